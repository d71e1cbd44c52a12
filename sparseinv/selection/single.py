"""Select one λ (or one scale of fixed per-group ratios) from the data alone."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups
from sparseinv.penalties import Penalty
from sparseinv.result import SolveResult
from sparseinv.selection._engine import (
    LAM_MIN_RATIO,
    Engine,
    Fit,
    check_choice,
    check_n_folds,
    check_noise_std,
    check_scales,
    check_weights,
    resolve_penalty,
    scale_grid,
)
from sparseinv.selection.criteria import CRITERIA, Criterion, CrossValidation
from sparseinv.selection.noise import estimate_noise_std

__all__ = ["SELECTION_NOISE_METHODS", "LambdaSelection", "select_lambda"]

#: how the selection functions may obtain σ when it is not given
SELECTION_NOISE_METHODS = ("auto", "least_squares", "wavelet", "cv")


@dataclass(frozen=True)
class LambdaSelection:
    """Result of :func:`select_lambda`.

    Attributes
    ----------
    lam : float or ndarray
        The chosen λ: a float, or the array ``scale * weights`` when weights fix the
        ratios (one value per group or per coefficient, like ``weights``).
    x : ndarray
        The solution at ``lam`` (from the warm-started path).
    method : str
        The criterion: ``"cv"``, ``"discrepancy"``, ``"sure"`` or ``"gcv"``.
    penalty : str
        ``"l0"``, ``"l1"`` or ``"l2"``.
    index : int
        Position of the chosen λ on the path.
    scale : float
        The chosen scale s (equal to ``lam`` without weights).
    criterion_value : float
        The criterion at the chosen λ.
    path_lams : ndarray
        The λ of the path, from the largest down: shape ``(n_lambdas,)``, or
        ``(n_lambdas, len(weights))`` with weights.
    path_scales : ndarray
        The scales s of the path, shape ``(n_lambdas,)``.
    criterion : ndarray
        The criterion along the path (for ``"discrepancy"`` the ratio
        ‖b − Ax‖ / (τσ√m), chosen where it crosses 1).
    objective : ndarray
        F at each solution of the full-data path.
    support_size : ndarray of int
        Non-zeros of each solution.
    df : ndarray
        Degrees of freedom of each solution in real units (see Notes of
        :func:`select_lambda`).
    residual_norm : ndarray
        ‖b − Ax‖ of each solution.
    noise_std : float or None
        The σ the criterion used (None for ``"cv"`` and ``"gcv"``).
    noise_method : str or None
        Where σ came from: ``"given"``, ``"least_squares"``, ``"wavelet"``, ``"cv"``
        or None.
    weights : ndarray or None
        The fixed ratios, or None.
    n_solves : int
        Solves run in total (full-data path, folds, noise estimate).
    n_applications : int
        Applications of A and Aᴴ (or of row subsets of A) in total.
    converged : bool
        Whether every solve of the full-data path converged.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> A = np.eye(4); b = np.array([5.0, -4.0, 0.05, -0.02])
    >>> sel = si.select_lambda(A, b, "l1", method="sure", noise_std=0.2, n_lambdas=20)
    >>> int(sel.support_size[0]), int(np.count_nonzero(sel.x)), sel.path_lams.shape
    (0, 2, (20,))
    """

    lam: float | NDArray[np.float64]
    x: Any
    method: str
    penalty: str
    index: int
    scale: float
    criterion_value: float
    path_lams: NDArray[np.float64]
    path_scales: NDArray[np.float64]
    criterion: NDArray[np.float64]
    objective: NDArray[np.float64]
    support_size: NDArray[np.intp]
    df: NDArray[np.float64]
    residual_norm: NDArray[np.float64]
    noise_std: float | None
    noise_method: str | None
    weights: NDArray[np.float64] | None
    n_solves: int
    n_applications: int
    converged: bool

    def __post_init__(self) -> None:
        for name in (
            "path_lams",
            "path_scales",
            "criterion",
            "objective",
            "support_size",
            "df",
            "residual_norm",
        ):
            arr = np.array(getattr(self, name))
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)


@dataclass
class _Run:
    """A finished single-λ selection with what the per-group search reuses."""

    result: LambdaSelection
    engine: Engine
    criterion: Criterion
    state: Any  # the criterion's warm-start state at the chosen λ
    fits: list[Fit]
    gen: np.random.Generator  # the random source of folds and probes, to continue with


def select_lambda(
    A: Any,
    b: Any,
    penalty: str | type[Penalty] | Penalty = "l1",
    *,
    groups: Groups | None = None,
    weights: ArrayLike | None = None,
    method: str = "cv",
    noise_std: float | None = None,
    noise_method: str = "auto",
    lams: Sequence[float] | NDArray[np.float64] | None = None,
    n_lambdas: int = 30,
    lam_min_ratio: float | None = None,
    n_folds: int = 5,
    tau: float = 1.0,
    n_probes: int = 16,
    solver: str | Callable[..., SolveResult] = "fista",
    rng: int | np.random.Generator | None = None,
    **solver_options: Any,
) -> LambdaSelection:
    r"""Choose λ from the data alone on a warm-started path from λ_max down.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator (numpy/cupy array, scipy sparse, scipy or pylops operator; real
        or complex). Only its applications are used: the selection is matrix-free.
    b : ndarray
        Data. Not modified.
    penalty : {"l1", "l0", "l2"}, Penalty class or Penalty, optional
        The penalty (an instance gives its type and groups; its λ is ignored).
    groups : Groups, optional
        Groups of the coefficients (needed for per-group ``weights``).
    weights : array_like, optional
        Fixed positive ratios: λ = s·w with one w per group (with ``groups``) or per
        coefficient; the scale s is selected. None: one λ for all coefficients.
    method : {"cv", "discrepancy", "sure", "gcv"}, optional
        The criterion (default ``"cv"``), see Notes; :data:`CRITERIA` lists them.
    noise_std : float, optional
        σ of the noise of one sample of b (for ``"sure"`` and ``"discrepancy"``).
        None: estimated as ``noise_method`` says.
    noise_method : {"auto", "least_squares", "wavelet", "cv"}, optional
        How σ is estimated when not given: see :func:`estimate_noise_std` for the
        first three; ``"cv"`` is the refitted residual
        :math:`\|b - A\hat x\|^2/(m - \mathrm{df})` at the cross-validated λ (Reid,
        Tibshirani & Friedman 2016). ``"auto"`` tries least squares (``m > n``), then
        the wavelet estimate (when ``b`` is a smooth sampled signal), then ``"cv"``
        for SURE; for the discrepancy principle it stops with an error, since a σ
        fitted by the very model the principle selects would make it circular.
    lams : sequence of float, optional
        The grid of λ (of scales s with weights); sorted from large to small. Default:
        ``n_lambdas`` values from the largest useful one down to
        ``lam_min_ratio`` times it, geometric.
    n_lambdas : int, optional
        Grid size (default 30).
    lam_min_ratio : float, optional
        Smallest over largest λ of the default grid (1e-3 for L1, 1e-4 for L0, 1e-6
        for L2).
    n_folds : int, optional
        K of K-fold cross-validation, ``2 <= K <= m`` (default 5).
    tau : float, optional
        τ of the discrepancy principle (default 1).
    n_probes : int, optional
        Hutchinson probes of the L2 degrees of freedom (default 16).
    solver : str or callable, optional
        ``"fista"`` (default), ``"ista"``, ``"irls"`` or a solver function.
    rng : int or numpy.random.Generator, optional
        Seed of the folds and probes; a seed gives a deterministic selection.
    **solver_options
        Passed to every solve (``max_iter``, ``tol``...).

    Returns
    -------
    LambdaSelection

    Raises
    ------
    ValueError
        For an unknown ``method``, ``n_folds`` outside ``[2, m]``, an empty grid
        ``lams``, ``groups`` or ``weights`` that do not match A, or a discrepancy
        principle without ``noise_std`` where σ cannot be estimated.

    Notes
    -----
    With N real observations (m, or 2m for complex data), v the noise variance of
    one of them (σ², or σ²/2 per real and imaginary part for complex data, whose
    noise has :math:`E|n_i|^2 = \sigma^2`), RSS = :math:`\|b - A\hat x_\lambda\|^2`:

    - ``"sure"``: :math:`\mathrm{RSS} - Nv + 2v\,\mathrm{df}`, Stein's unbiased
      estimate of the prediction risk :math:`E\|A(\hat x_\lambda - x)\|^2`. For a
      real Lasso (one λ or per-group λ) df = number of non-zeros is unbiased (Zou,
      Hastie & Tibshirani 2007); for complex data df = 2·non-zeros real parameters,
      which with v = σ²/2 gives :math:`\mathrm{RSS} - m\sigma^2 + 2\sigma^2|S|`, an
      upper bound of the exact divergence (it omits the shrinkage of the phase
      direction, :math:`\sum_{i\in S}\lambda_i/|v_i|` for an orthonormal A). For L2,
      df = :math:`\operatorname{tr}A(A^HA + \Lambda)^{-1}A^H` by Hutchinson's
      estimator with ``n_probes`` Rademacher probes, each one conjugate-gradient
      solve (matrix-free). For L0, df = support size is the df of the least-squares
      fit on that support and misses the jumps of hard thresholding (Tibshirani
      2015), so SURE is too optimistic about small λ; prefer ``"cv"`` for L0.
    - ``"gcv"``: :math:`(\mathrm{RSS}/N) / (1 - \mathrm{df}/N)^2` with the same df.
    - ``"discrepancy"``: the largest grid λ with
      :math:`\|b - A\hat x_\lambda\| \le \tau\sigma\sqrt m` (Morozov).
    - ``"cv"``: total held-out squared error of K-fold cross-validation over the rows
      of A, each fold solved at :math:`\lambda m_{-k}/m` (same λ per measurement).

    The path starts where x = 0 (L1: :math:`\max_i|a_i^Hb|/w_i`; L0:
    :math:`\max_i|a_i^Hb|^2/(2\|A\|^2 w_i)`, where zero is a fixed point of hard
    thresholding with step 1/‖A‖², doubled until the solver returns zero; L2: the
    largest λ is 10‖A‖²/min w), every solve warm-started from the previous one.
    Cost: one solve per λ, plus K per λ for cross-validation (and for a ``"cv"``
    noise estimate), plus ``n_probes`` conjugate-gradient solves per λ for L2
    degrees of freedom. A σ that cannot be had is reported before any solve.

    References
    ----------
    .. [1] C. Stein, "Estimation of the mean of a multivariate normal distribution",
       Ann. Statist. 9, 1981.
    .. [2] H. Zou, T. Hastie, R. Tibshirani, "On the degrees of freedom of the lasso",
       Ann. Statist. 35, 2007.
    .. [3] G. H. Golub, M. Heath, G. Wahba, "Generalized cross-validation as a method
       for choosing a good ridge parameter", Technometrics 21, 1979.
    .. [4] V. A. Morozov, "On the solution of functional equations by the method of
       regularization", Soviet Math. Dokl. 7, 1966.
    .. [5] M. F. Hutchinson, "A stochastic estimator of the trace of the influence
       matrix for Laplacian smoothing splines", Commun. Stat. Simul. 18, 1989.
    .. [6] R. J. Tibshirani, "Degrees of freedom and model search", Statist. Sinica
       25, 2015.
    .. [7] S. Reid, R. Tibshirani, J. Friedman, "A study of error variance estimation
       in lasso regression", Statist. Sinica 26, 2016.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.compressed_sensing(60, 128, 5, snr_db=20, rng=0)
    >>> sel = si.select_lambda(p.A, p.b, "l1", method="sure", noise_std=p.noise_std,
    ...                        n_lambdas=15)
    >>> sel.path_lams.shape, bool(si.metrics.snr_db(p.x_true, sel.x) > 15)
    ((15,), True)
    """
    return run_single(
        A,
        b,
        penalty,
        groups=groups,
        weights=weights,
        method=method,
        noise_std=noise_std,
        noise_method=noise_method,
        lams=lams,
        n_lambdas=n_lambdas,
        lam_min_ratio=lam_min_ratio,
        n_folds=n_folds,
        tau=tau,
        n_probes=n_probes,
        solver=solver,
        rng=rng,
        solver_options=solver_options,
    ).result


def run_single(
    A: Any,
    b: Any,
    penalty: Any,
    *,
    groups: Groups | None,
    weights: Any,
    method: str,
    noise_std: float | None,
    noise_method: str,
    lams: Any,
    n_lambdas: int,
    lam_min_ratio: float | None,
    n_folds: int,
    tau: float,
    n_probes: int,
    solver: Any,
    rng: Any,
    solver_options: dict[str, Any],
) -> _Run:
    """:func:`select_lambda` with the engine, criterion and states it used."""
    method = check_choice(method, "method", tuple(CRITERIA))
    noise_method = check_choice(noise_method, "noise_method", SELECTION_NOISE_METHODS)
    noise_std = check_noise_std(noise_std)
    tau = check_positive_number(tau, "tau")
    n_probes = check_positive_number(n_probes, "n_probes", integer=True)
    pen_cls, groups = resolve_penalty(penalty, groups)
    gen = np.random.default_rng(rng)
    engine = Engine(
        A,
        b,
        pen_cls,
        groups,
        solver,
        solver_options,
        n_probes=n_probes,
        rng=int(gen.integers(2**32)),
    )
    n = engine.shape[1]
    n_folds = check_n_folds(n_folds)  # and <= m where folds are made
    w = check_weights(weights, groups, n)
    if lams is not None:
        scales = check_scales(lams)
    else:
        n_lambdas = check_positive_number(n_lambdas, "n_lambdas", integer=True)
        ratio = LAM_MIN_RATIO[pen_cls.name] if lam_min_ratio is None else lam_min_ratio
        ratio = check_positive_number(ratio, "lam_min_ratio")
        if ratio >= 1:
            raise ValueError(f"lam_min_ratio must be in (0, 1); got {ratio!r}")
        scales = scale_grid(engine.top_scale(w), n_lambdas=n_lambdas, lam_min_ratio=ratio)
    lam_values = [float(s) if w is None else s * w for s in scales]
    crit_cls = CRITERIA[method]
    extra_solves = extra_applications = 0
    sigma: float | None = None
    source: str | None = None
    if crit_cls.needs_noise_std:  # before the path: a missing σ fails fast
        sigma, source, extra_applications = _noise_before_path(
            engine, method, noise_std, noise_method
        )

    fits = fit_path(engine, lam_values)
    if crit_cls.needs_noise_std and sigma is None:
        sigma, extra_solves, extra_applications = _cv_noise(engine, lam_values, fits, n_folds, gen)
    noise_var = None if sigma is None else engine.noise_var_per_obs(sigma)
    criterion = crit_cls(engine, noise_var=noise_var, tau=tau, n_folds=n_folds, rng=gen)
    values = criterion.path(lam_values, fits)
    index = criterion.choose(values)
    # the per-group search continues from the criterion's solutions at the chosen λ
    chosen_state = criterion.best_state if isinstance(criterion, CrossValidation) else fits[index]

    result = LambdaSelection(
        lam=lam_values[index],
        x=fits[index].x,
        method=method,
        penalty=pen_cls.name,
        index=index,
        scale=float(scales[index]),
        criterion_value=float(values[index]),
        path_lams=np.array(lam_values),
        path_scales=scales,
        criterion=values,
        objective=np.array([f.objective for f in fits]),
        support_size=np.array([f.support_size for f in fits], dtype=np.intp),
        df=np.array([f.df for f in fits]),
        residual_norm=np.sqrt([f.rss for f in fits]),
        noise_std=sigma,
        noise_method=source,
        weights=w,
        n_solves=engine.n_solves + criterion.n_solves + extra_solves,
        n_applications=engine.n_applications + criterion.n_applications + extra_applications,
        converged=all(f.converged for f in fits),
    )
    return _Run(
        result=result,
        engine=engine,
        criterion=criterion,
        state=chosen_state,
        fits=fits,
        gen=gen,
    )


def fit_path(engine: Engine, lam_values: Sequence[Any]) -> list[Fit]:
    """Full-data fits along ``lam_values`` (from large to small), each warm-started
    from the previous one (solution and L2 probe solutions)."""
    fits: list[Fit] = []
    for lam in lam_values:
        last = fits[-1] if fits else None
        fit = engine.fit(
            lam, x0=None if last is None else last.x, probes=None if last is None else last.probes
        )
        if last is not None and last.probes is not None:
            fits[-1] = replace(last, probes=None)  # keep one set of probe solutions
        fits.append(fit)
    return fits


def _noise_before_path(
    engine: Engine, method: str, noise_std: float | None, noise_method: str
) -> tuple[float | None, str | None, int]:
    """σ where it needs no path: given, least squares or wavelet. ``(None, "cv", 0)``
    when the cross-validated refit must be used; raises when σ cannot be had."""
    if noise_std is not None:
        return noise_std, "given", 0
    if noise_method == "cv":
        return None, "cv", 0
    if noise_method in ("least_squares", "wavelet") or method == "discrepancy":
        est = estimate_noise_std(engine.A, engine.b, method=noise_method)
        return est.noise_std, est.method, est.n_applications
    try:
        est = estimate_noise_std(engine.A, engine.b, method="auto")
    except ValueError:
        return None, "cv", 0
    return est.noise_std, est.method, est.n_applications


def _cv_noise(
    engine: Engine, lam_values: list[Any], fits: list[Fit], n_folds: int, gen: np.random.Generator
) -> tuple[float, int, int]:
    """σ from the refitted residual at the cross-validated λ (Reid et al. 2016)."""
    cv = CrossValidation(engine, n_folds=n_folds, rng=gen)
    values = cv.path(lam_values, fits)
    k = cv.choose(values)
    N = engine.n_obs
    if not fits[k].df < N:
        raise ValueError(
            "noise_std must be given: the cross-validated fit has as many degrees of freedom "
            f"({fits[k].df:g}) as real observations ({N}), so its residual cannot estimate σ"
        )
    v = fits[k].rss / (N - fits[k].df)
    sigma = math.sqrt(2.0 * v) if engine.is_complex else math.sqrt(v)
    return sigma, cv.n_solves, cv.n_applications
