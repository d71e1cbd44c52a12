"""Select one λ (or one scale of fixed per-group ratios) from the data alone."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups
from sparseinv.operators import as_operator
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
    fit_path,
    resolve_penalty,
    scale_grid,
)
from sparseinv.selection.criteria import (
    CRITERIA,
    CV_RULES,
    Criterion,
    CrossValidation,
    FitCriterion,
    FoldFits,
    Oracle,
    QuasiOptimality,
)
from sparseinv.selection.lambda_selection import LambdaSelection, warn_at_edge
from sparseinv.selection.noise import (
    SELECTION_NOISE_METHODS,
    SelectionNoise,
    noise_for_selection,
)
from sparseinv.selection.search import LambdaSearch, Point

if TYPE_CHECKING:
    from sparseinv.selection.columns import ColumnLambdaSelection

__all__ = ["select_lambda"]


@dataclass
class _Run:
    """A finished single-λ selection with what the per-group search reuses."""

    result: LambdaSelection
    engine: Engine
    criterion: Criterion
    search: LambdaSearch  # the search that scanned the path (its cache and trace)
    state: Any  # the criterion's warm-start state at the chosen λ
    fits: list[Fit]
    gen: np.random.Generator  # the random source of folds and probes, to continue with
    grid_floor: float = 0.0  # the smallest scale of the full grid (the scan may stop before)
    grid_size: int = 0  # the scales of the full grid


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
    n_repeats: int = 1,
    cv_rule: str = "min",
    tau: float = 1.0,
    n_probes: int = 16,
    solver: str | Callable[..., SolveResult] = "fista",
    rng: int | np.random.Generator | None = None,
    **solver_options: Any,
) -> LambdaSelection | ColumnLambdaSelection:
    r"""Choose λ from the data alone on a warm-started path from λ_max down.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator (numpy/cupy array, scipy sparse, scipy or pylops operator; real
        or complex). Only its applications are used: the selection is matrix-free.
    b : ndarray
        Data, shape ``(m,)``; or ``(m, k)``, k right-hand sides, each with its own λ
        (see Notes). Not modified.
    penalty : {"l1", "l0", "l2"}, Penalty class or Penalty, optional
        The penalty (an instance gives its type and groups; its λ is ignored).
    groups : Groups, optional
        Groups of the coefficients (needed for per-group ``weights``).
    weights : array_like, optional
        Fixed positive ratios: λ = s·w with one w per group (with ``groups``) or per
        coefficient; the scale s is selected. None: one λ for all coefficients.
    method : {"cv", "discrepancy", "sure", "gcv", "quasi_optimality"}, optional
        The criterion (default ``"cv"``), see Notes; :data:`CRITERIA` lists them.
    noise_std : float or array_like, optional
        σ of the noise of one sample of b (for ``"sure"`` and ``"discrepancy"``); for
        a 2-D ``b`` one σ for every column or one per column, shape ``(k,)``.
        None: estimated as ``noise_method`` says (per column for a 2-D ``b``).
    noise_method : {"auto", "least_squares", "wavelet", "scaled_lasso", "cv"}, optional
        How σ is estimated when not given: see :func:`estimate_noise_std`
        (``"auto"``, the default, has an estimate for every A and b).
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
    n_repeats : int, optional
        Independent random partitions of the measurements into K folds (repeated
        K-fold, ``method="cv"`` only; default 1): R K solves per λ, and a criterion
        that depends less on one partition (see
        :class:`~sparseinv.selection.CrossValidation`).
    cv_rule : {"min", "one_se"}, optional
        How cross-validation picks λ (``method="cv"`` only): the minimum of the
        held-out error (default), or the one-standard-error rule, the largest λ whose
        error is within one standard error of the minimum (never a smaller λ than
        the minimum's).
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
    LambdaSelection or ColumnLambdaSelection
        The latter for a 2-D ``b``: ``lam`` of shape ``(1, k)`` (``si.L1(sel.lam)``
        solves ``b`` with it), ``x`` of shape ``(n, k)``, the criterion curves as
        ``(n_lambdas, k)`` and each column's :class:`LambdaSelection` as
        ``sel.column(j)``.

    Raises
    ------
    ValueError
        For an unknown ``method``, ``n_folds`` outside ``[2, m]``, an empty grid
        ``lams``, ``groups`` or ``weights`` that do not match A, an A that is zero
        or a b orthogonal to its range (x = 0 for every λ: nothing to select).

    Warns
    -----
    LambdaEdgeWarning
        When the chosen λ is the largest or the smallest of a grid of three or more
        (the criterion may keep falling beyond it).

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
      of A, each fold solved at :math:`\lambda m_{-k}/m` (same λ per measurement);
      with ``cv_rule="one_se"`` the largest λ within one standard error of the
      minimum (Hastie, Tibshirani & Friedman 2009, §7.10).
    - ``"quasi_optimality"``: the λ where the solution moves least,
      :math:`\|\hat x_\lambda - \hat x_{\rho\lambda}\| / \|\hat x_\lambda\|` with ρ
      the step of the grid (Tikhonov & Glasko 1965 [8]_; Bauer & Lukas 2011 [9]_);
      no σ and no df. The other rules score the prediction of b; this one watches
      x: the rule of Tikhonov (L2) regularization of ill-posed problems. For the
      Lasso prefer ``"cv"`` (see
      :class:`~sparseinv.selection.criteria.QuasiOptimality`).

    The path starts where x = 0 (L1: :math:`\max_i|a_i^Hb|/w_i`; L0:
    :math:`\max_i|a_i^Hb|^2/(2\|A\|^2 w_i)`, where zero is a fixed point of hard
    thresholding with step 1/‖A‖², doubled until the solver returns zero; L2: the
    largest λ is 10‖A‖²/min w), every solve warm-started from the previous one
    (the scan of :class:`~sparseinv.selection.search.LambdaSearch`). Cost: one solve
    per λ (quasi-optimality: one more where the previous point is not at ρλ), plus K
    per λ for cross-validation, plus ``n_probes`` conjugate-gradient
    solves per λ for L2 degrees of freedom, plus the noise estimate (see
    :func:`estimate_noise_std`; the cross-validated estimate shares the path's
    full-data solves).

    A 2-D ``b`` of shape ``(m, k)`` selects one λ per column: each column gets the
    grid it would get alone (from its own largest useful λ), its own σ (given or
    estimated column by column) and its own criterion curve, while the path is solved
    for all columns at once: one batched solve per grid point with the per-column λ of
    shape ``(1, k)`` (``(G, k)`` or ``(n, k)`` with weights), warm-started from the
    previous point; cross-validation solves each fold of all columns the same way, on
    the same folds for every column. Column j's selection is then that of
    ``select_lambda(A, b[:, j], ...)`` with the same seed ``rng`` (to the solver's
    tolerance); ``n_solves`` counts each batched solve once and ``n_applications``
    counts applications per column.

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
    .. [7] T. Hastie, R. Tibshirani, J. Friedman, "The elements of statistical
       learning", 2nd ed., Springer, 2009.
    .. [8] A. N. Tikhonov, V. B. Glasko, "Use of the regularization method in
       non-linear problems", USSR Comput. Math. Math. Phys. 5, 1965.
    .. [9] F. Bauer, M. A. Lukas, "Comparing parameter choice methods for
       regularization of ill-posed problems", Math. Comput. Simulation 81, 2011.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.compressed_sensing(60, 128, 5, snr_db=20, rng=0)
    >>> sel = si.select_lambda(p.A, p.b, "l1", method="sure", noise_std=p.noise_std,
    ...                        n_lambdas=15)
    >>> sel.path_lams.shape, bool(si.metrics.snr_db(p.x_true, sel.x) > 15)
    ((15,), True)
    """
    options = {
        "groups": groups,
        "weights": weights,
        "method": method,
        "noise_std": noise_std,
        "noise_method": noise_method,
        "lams": lams,
        "n_lambdas": n_lambdas,
        "lam_min_ratio": lam_min_ratio,
        "n_folds": n_folds,
        "n_repeats": n_repeats,
        "cv_rule": cv_rule,
        "tau": tau,
        "n_probes": n_probes,
        "solver": solver,
        "rng": rng,
        "solver_options": solver_options,
    }
    if is_block(A, b):
        from sparseinv.selection.columns import select_columns, warn_columns_at_edge

        result = select_columns(A, b, penalty, **options)
        warn_columns_at_edge(result)
        return result
    run = run_single(A, b, penalty, **options)
    warn_at_edge(run.result)
    return run.result


def is_block(A: Any, b: Any) -> bool:
    """Whether ``b`` is a 2-D block of right-hand sides of ``A`` (shape ``(m, k)``)."""
    shape = getattr(b, "shape", None)
    if shape is None or len(shape) != 2:
        return False
    return int(shape[0]) == int(as_operator(A).shape[0])


@dataclass
class _Setup:
    """What a single-λ selection needs before its scan: problem, criterion, grid, σ."""

    engine: Engine
    criterion: Criterion | None  # None: cross-validation without its folds
    noise: SelectionNoise | None
    gen: np.random.Generator
    scales: NDArray[np.float64]
    lam_values: list[Any]
    to_lams: Callable[[NDArray[np.float64]], Any]
    weights: NDArray[np.float64] | None
    method: str
    cv_rule: str
    penalty: type[Penalty]


def prepare_single(
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
    cv_rule: str = "min",
    n_repeats: int = 1,
    recovery: Callable[[Any], float] | None = None,
    folds: bool = True,
) -> _Setup:
    """Validate the options of :func:`select_lambda` on one column ``b``; build its
    engine, grid, σ (given or estimated) and criterion (arguments as in
    :func:`select_lambda`). ``folds=False`` builds no cross-validation criterion (its
    folds copy rows of A; a batch of columns shares those of one column): the
    setup's criterion is then None."""
    if method == "oracle":
        if recovery is None:
            raise ValueError("method='oracle' needs a recovery score")
    else:
        method = check_choice(method, "method", tuple(CRITERIA))
    noise_method = check_choice(noise_method, "noise_method", SELECTION_NOISE_METHODS)
    cv_rule = check_choice(cv_rule, "cv_rule", CV_RULES)
    noise_std = check_noise_std(noise_std)
    tau = check_positive_number(tau, "tau")
    n_probes = check_positive_number(n_probes, "n_probes", integer=True)
    n_repeats = check_positive_number(n_repeats, "n_repeats", integer=True)
    pen_cls, groups = resolve_penalty(penalty, groups)
    crit_cls: type[Criterion] = Oracle if method == "oracle" else CRITERIA[method]
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
        with_df=crit_cls.needs_df,
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

    def to_lams(params: NDArray[np.float64]) -> Any:
        return float(params[0]) if w is None else float(params[0]) * w

    lam_values = [to_lams(np.array([s])) for s in scales]
    noise = None
    if crit_cls.needs_noise_std:
        noise = noise_for_selection(
            engine,
            lam_values,
            noise_std=noise_std,
            noise_method=noise_method,
            n_folds=n_folds,
            rng=gen,
        )
    noise_var = None if noise is None else engine.noise_var_per_obs(noise.noise_std)
    criterion: Criterion | None
    if crit_cls is Oracle:
        criterion = Oracle(engine, recovery)  # type: ignore[arg-type]
    elif crit_cls is CrossValidation and not folds:
        criterion = None
    else:
        extra: dict[str, Any] = {}
        if crit_cls is CrossValidation:
            extra = {"rule": cv_rule, "n_repeats": n_repeats}
        elif crit_cls is QuasiOptimality and scales.size > 1:  # its partner: the grid's step
            extra = {"ratio": float((scales[0] / scales[-1]) ** (1.0 / (scales.size - 1)))}
        criterion = crit_cls(
            engine, noise_var=noise_var, tau=tau, n_folds=n_folds, rng=gen, **extra
        )
    return _Setup(
        engine=engine,
        criterion=criterion,
        noise=noise,
        gen=gen,
        scales=scales,
        lam_values=lam_values,
        to_lams=to_lams,
        weights=w,
        method=method,
        cv_rule=cv_rule,
        penalty=pen_cls,
    )


def run_single(
    A: Any,
    b: Any,
    penalty: Any,
    *,
    patience: int | None = None,
    max_points: int | None = None,
    **options: Any,
) -> _Run:
    """:func:`select_lambda` with the engine, criterion, search and states it used.

    ``method="oracle"`` with ``recovery`` (higher is better) scores each solution by
    :class:`~sparseinv.selection.criteria.Oracle` instead of a data-driven criterion
    (what :func:`sparseinv.compare` does); ``patience`` stops the scan that many
    points after the best (see :meth:`~sparseinv.selection.search.LambdaSearch.scan`)
    and ``max_points`` after that many points (a budget); ``options`` are the
    keywords of :func:`prepare_single` (those of :func:`select_lambda`, with
    ``solver_options`` as a dict, and ``recovery``).
    """
    setup = prepare_single(A, b, penalty, **options)
    engine, criterion, noise, gen = setup.engine, setup.criterion, setup.noise, setup.gen
    assert criterion is not None  # built with its folds
    scales, lam_values, to_lams, w = setup.scales, setup.lam_values, setup.to_lams, setup.weights
    method, cv_rule, pen_cls = setup.method, setup.cv_rule, setup.penalty
    search = LambdaSearch(criterion)
    reused = noise.fits if noise is not None and noise.fits is not None else None
    if reused is not None and isinstance(criterion, FitCriterion):
        for s, lam, fit in zip(scales, lam_values, reused, strict=True):  # scored, not solved
            search.remember(Point(np.array([s]), lam, _finite(criterion.score(fit)), fit))
    grid = scales if max_points is None else scales[:max_points]
    points = search.scan([np.array([s]) for s in grid], to_lams=to_lams, patience=patience)
    values = np.array([pt.value for pt in points])
    states = [pt.state for pt in points]
    if isinstance(criterion, FitCriterion):
        fits = list(states)
    else:  # the criterion solved its folds; the full-data path is solved here
        scanned_lams = lam_values[: len(points)]
        fits = reused[: len(points)] if reused is not None else fit_path(engine, scanned_lams)
    extra_solves = 0 if noise is None else noise.n_solves
    extra_apps = 0 if noise is None else noise.n_applications
    result = path_selection(
        criterion,
        method=method,
        penalty=pen_cls.name,
        scales=scales,
        lam_values=lam_values,
        values=values,
        states=states,
        fits=fits,
        noise=noise,
        weights=w,
        n_solves=engine.n_solves + criterion.n_solves + extra_solves,
        n_applications=engine.n_applications + criterion.n_applications + extra_apps,
        cv_rule=cv_rule,
    )
    index = result.index
    return _Run(
        result=result,
        engine=engine,
        criterion=criterion,
        search=search,
        state=states[index],
        fits=fits,
        gen=gen,
        grid_floor=float(scales[-1]),
        grid_size=int(scales.size),
    )


def path_selection(
    criterion: Criterion,
    *,
    method: str,
    penalty: str,
    scales: NDArray[np.float64],
    lam_values: Sequence[Any],
    values: NDArray[np.float64],
    states: Sequence[Any],
    fits: Sequence[Fit],
    noise: Any,
    weights: NDArray[np.float64] | None,
    n_solves: int,
    n_applications: int,
    cv_rule: str,
) -> LambdaSelection:
    """The :class:`LambdaSelection` of a scanned path (a prefix of the grid ``scales``).

    ``values`` and ``states`` are the criterion's along the scanned points, ``fits``
    the full-data fits there, ``noise`` the σ used (a ``SelectionNoise`` or None).
    """
    index = criterion.choose(values, states)
    min_index = Criterion.choose(criterion, values)
    scanned = scales[: len(values)]
    std = np.array([s.standard_error if isinstance(s, FoldFits) else math.nan for s in states])
    at_edge = None
    if scanned.size >= 3 and not (method == "discrepancy" and values[index] > 1.0):
        if index == 0:
            at_edge = "largest"
        elif index == scales.size - 1:
            at_edge = "smallest"
    return LambdaSelection(
        lam=lam_values[index],
        x=fits[index].x,
        method=method,
        penalty=penalty,
        index=index,
        scale=float(scanned[index]),
        criterion_value=float(values[index]),
        path_lams=np.array(lam_values[: len(values)]),
        path_scales=scanned,
        criterion=values,
        objective=np.array([f.objective for f in fits]),
        support_size=np.array([f.support_size for f in fits], dtype=np.intp),
        df=np.array([f.df for f in fits]),
        residual_norm=np.sqrt([f.rss for f in fits]),
        noise_std=None if noise is None else noise.noise_std,
        noise_method=None if noise is None else noise.method,
        weights=weights,
        n_solves=n_solves,
        n_applications=n_applications,
        converged=all(f.converged for f in fits),
        criterion_std=std,
        cv_rule=cv_rule if method == "cv" else "min",
        min_index=min_index,
        at_edge=at_edge,
    )


def _finite(value: float) -> float:
    return math.inf if math.isnan(value) else float(value)
