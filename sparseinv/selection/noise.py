r"""Estimates of the noise level σ of ``b = A x + n`` from the data alone.

Four estimators, each valid in its own situation; ``"auto"`` picks one for every A and b:

``"least_squares"``
    :math:`\hat\sigma^2 = \|b - A\hat x_{LS}\|^2 / (m - n)`, the residual of the
    least-squares fit. Unbiased for Gaussian noise when A has full column rank; needs
    more measurements than unknowns (``m > n``).
``"wavelet"``
    :math:`\hat\sigma = \operatorname{median}|d_1| / 0.6745`, the median absolute
    deviation of the finest-scale (orthonormal) wavelet coefficients :math:`d_1` of
    ``b`` (Donoho & Johnstone 1994). Valid when ``b`` is a sampled signal whose
    content lies well below the Nyquist frequency of its sampling (a band-limited
    trace, a blurred or smooth signal), so that the finest band holds noise only. It
    is meaningless for randomised measurements (a Gaussian sensing matrix gives an
    unstructured ``b`` whose finest band holds signal): ``"auto"`` therefore uses it
    only when the estimate is below ``max_ratio`` times the rms of ``b``. That check
    cannot see every violation: samples of a signal kept at irregular positions
    (the ECG problem keeps a random half) look smooth, yet the jumps between kept
    samples put signal in the finest band, and σ̂ comes out about 1.7 times too large
    at 25 dB. Of that, a factor of about 1.2 is the recording's own noise, which the
    data cannot tell from the noise added: the estimate of the fully sampled
    recording, ``extra["recording_noise_std"]`` of :func:`~sparseinv.problems.ecg`.
``"cv"``
    The residual of the cross-validated Lasso,
    :math:`\hat\sigma^2 = \|b - A\hat x_{\hat\lambda}\|^2 / (m - \mathrm{df}_{\hat\lambda})`
    with df the support size and :math:`\hat\lambda` the K-fold cross-validation
    minimum on a warm-started path (Reid, Tibshirani & Friedman 2016), among the fits
    that leave at least a fifth of the observations to the residual
    (:math:`m - \mathrm{df} \ge m/5`). Made for ``m <= n``; it needs a sparse fit
    whose residual is noise, and inherits the bias of the df (for L0 the support size
    underestimates it, so σ̂ is low). Near the Lasso phase transition the CV curve is
    flat down to the interpolating fits (df → m), where σ̂ is a ratio of two small
    numbers and collapsed to 0.2–0.5 σ on some draws; with the bound on df, 16 draws
    of ``density_contrast`` give 0.68–1.84 σ (median 1.0 on seeds 0–7), at the price
    of an upward bias when the CV minimum lies beyond the bound (signal left in the
    residual).
``"scaled_lasso"``
    The scaled (square-root) Lasso (Sun & Zhang 2012; Belloni, Chernozhukov & Wang
    2011): the fixed point of :math:`\hat x = \arg\min \tfrac12\|Ax - b\|^2 +
    \lambda_0\hat\sigma c\|x\|_1`, :math:`\hat\sigma = \|b - A\hat x\| /
    \sqrt{m - |\hat S|}`, with c the rms column norm of A and the quantile penalty
    level :math:`\lambda_0 = \sqrt2\,\Phi^{-1}(1 - k/n)`, :math:`k = L^4 + 2L^2`,
    :math:`L = \Phi^{-1}(1 - k/n)` (Sun & Zhang 2013). Made for sparse ``x`` with
    ``m <= n``; a few Lasso solves. Its shrinkage leaves signal in the residual when
    x is not very sparse (σ̂ high near the phase transition).

For complex data (circular noise, :math:`E|n_i|^2 = \sigma^2`, σ²/2 per real and
imaginary part) every estimate is of σ, the same convention as
:func:`sparseinv.problems.add_noise`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pylops.utils.backend import get_array_module
from scipy.stats import norm

from sparseinv._validation import check_positive_number, check_vector
from sparseinv.operators import as_operator
from sparseinv.penalties import L1
from sparseinv.selection._engine import (
    Engine,
    Fit,
    check_choice,
    check_n_folds,
    fit_path,
    scale_grid,
)
from sparseinv.selection.criteria import CrossValidation
from sparseinv.selection.search import LambdaSearch

__all__ = [
    "NOISE_METHODS",
    "SELECTION_NOISE_METHODS",
    "NoiseEstimate",
    "estimate_noise_std",
    "noise_for_selection",
]

#: the estimators :func:`estimate_noise_std` offers
NOISE_METHODS = ("auto", "least_squares", "wavelet", "cv", "scaled_lasso")
#: how the selection functions may obtain σ when it is not given
SELECTION_NOISE_METHODS = NOISE_METHODS
_MAD = 0.6744897501960817  # median |N(0, 1)|
#: most fixed-point iterations of the scaled Lasso
_SCALED_LASSO_ITER = 30
#: probes of the Hutchinson estimate of ‖A‖_F² (the rms column norm of the scaled Lasso)
_FROBENIUS_PROBES = 8
#: least residual degrees of freedom of the ``"cv"`` fit, as a fraction of the real
#: observations N: N − df ≥ N/5 bounds the relative spread of σ̂² by √(10/N)
_CV_MIN_RESIDUAL_FRACTION = 0.2


@dataclass(frozen=True)
class NoiseEstimate:
    """Result of :func:`estimate_noise_std`.

    Attributes
    ----------
    noise_std : float
        σ̂, the standard deviation of the noise of one sample of ``b``.
    method : str
        The estimator used: ``"least_squares"``, ``"wavelet"``, ``"cv"`` or
        ``"scaled_lasso"``.
    n_applications : int
        Applications of A and Aᴴ it cost (0 for the wavelet estimate).
    n_solves : int
        Solves it made (``"cv"``: the path and its folds; ``"scaled_lasso"``: one per
        fixed-point iteration; 0 otherwise).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> est = si.estimate_noise_std(np.eye(4, 2), np.array([1.0, 2.0, 0.3, -0.4]))
    >>> est.method, round(est.noise_std, 3)
    ('least_squares', 0.354)
    """

    noise_std: float
    method: str
    n_applications: int = 0
    n_solves: int = 0


def estimate_noise_std(
    A: Any,
    b: Any,
    *,
    method: str = "auto",
    wavelet: str = "db4",
    max_ratio: float = 0.5,
    max_iter: int | None = None,
    tol: float = 1e-10,
    n_lambdas: int = 30,
    lam_min_ratio: float = 1e-3,
    n_folds: int = 5,
    solver: str | Any = "fista",
    rng: int | np.random.Generator | None = 0,
    **solver_options: Any,
) -> NoiseEstimate:
    r"""Estimate the noise level σ of ``b = A x + n`` without knowing ``x``.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator.
    b : ndarray
        Data, real or complex. Not modified.
    method : {"auto", "least_squares", "wavelet", "cv", "scaled_lasso"}, optional
        ``"auto"`` (default) uses the least-squares residual when ``m > n``, else the
        wavelet estimate when it passes the check below, else the cross-validated
        Lasso refit (``"cv"``); see the module notes for each estimator.
    wavelet : str, optional
        Orthogonal PyWavelets wavelet of the finest-scale coefficients (``"db4"``).
    max_ratio : float, optional
        ``"auto"`` accepts the wavelet estimate only when it is at most
        ``max_ratio`` times the rms of ``b`` (mean removed): a larger value means the
        finest band of ``b`` holds signal, not only noise (default 0.5).
    max_iter : int, optional
        Most LSQR iterations of the least-squares fit (default ``max(100, 4 n)``).
    tol : float, optional
        LSQR tolerance (``atol`` and ``btol``).
    n_lambdas, lam_min_ratio : optional
        The warm-started Lasso path of ``"cv"`` (30 values from λ_max down to 1e-3
        λ_max).
    n_folds : int, optional
        K of the cross-validation of ``"cv"`` (default 5; at most m).
    solver : str or callable, optional
        The solver of the Lasso fits (``"fista"``).
    rng : int or numpy.random.Generator, optional
        Seed of the folds (and of the probes of ``"scaled_lasso"``); default 0.
    **solver_options
        Passed to every Lasso solve (``max_iter``, ``tol``...).

    Returns
    -------
    NoiseEstimate

    Raises
    ------
    ValueError
        For an unknown ``method``, ``"least_squares"`` with ``m <= n``, a b with fewer
        than two samples, or an A and b whose Lasso path is empty (A = 0 or
        Aᴴb = 0), where no residual can tell noise from signal.

    Notes
    -----
    Least squares: with :math:`P` the projector on the range of A (rank n),
    :math:`E\|(I - P)n\|^2 = (m - n)\sigma^2`, so
    :math:`\hat\sigma^2 = \|b - A\hat x_{LS}\|^2/(m - n)` is unbiased. The fit is
    matrix-free (LSQR). A rank-deficient A inflates the estimate by the factor
    :math:`(m - \operatorname{rank})/(m - n) \ge 1`.

    Wavelet: for white Gaussian noise the finest-scale coefficients of an
    orthonormal transform are :math:`N(0, \sigma^2)` plus the signal's finest
    detail; the median absolute deviation divided by 0.6745 is robust to the few
    large coefficients a smooth or piecewise-smooth signal leaves there. For
    complex ``b`` the real and imaginary parts are estimated separately and
    :math:`\hat\sigma^2 = \hat\sigma_{re}^2 + \hat\sigma_{im}^2`.

    Cross-validated Lasso (``m <= n``): with N real observations and df the support
    size in real units (twice the non-zeros for complex x),
    :math:`\hat\sigma^2 = \mathrm{RSS}/(N - \mathrm{df})` at the λ of least
    K-fold cross-validated error among the fits with :math:`N - \mathrm{df} \ge N/5`
    (all fits with df < N when none has; halved back to σ per complex sample). By
    Stein's lemma :math:`E\,\mathrm{RSS} = E\|A(\hat x - x)\|^2 + (N - 2\,E\,\mathrm{df})
    \sigma^2`, so the relative bias of σ̂² is
    :math:`(\|A(\hat x - x)\|^2/(\mathrm{df}\,\sigma^2) - 1)\,\mathrm{df}/(N - \mathrm{df})`
    and its spread under pure noise :math:`\sqrt{2/(N - \mathrm{df})}`: both grow
    without bound as df → N, and the bound caps the amplification at 4 and the spread
    at :math:`\sqrt{10/N}`. Its cost is a cross-validated path: ``n_lambdas``
    (K + 1) solves.

    Scaled Lasso: every iteration is one warm-started Lasso solve at
    :math:`\lambda = \lambda_0\hat\sigma c`, from :math:`\hat\sigma = \|b\|/\sqrt N`
    down (at most 30, until σ̂ changes by less than 1e-4 relative).

    References
    ----------
    .. [1] D. L. Donoho, I. M. Johnstone, "Ideal spatial adaptation by wavelet
       shrinkage", Biometrika 81, 1994.
    .. [2] S. Reid, R. Tibshirani, J. Friedman, "A study of error variance
       estimation in lasso regression", Statistica Sinica 26, 2016.
    .. [3] T. Sun, C.-H. Zhang, "Scaled sparse linear regression", Biometrika 99,
       2012.
    .. [4] A. Belloni, V. Chernozhukov, L. Wang, "Square-root lasso: pivotal recovery
       of sparse signals via conic programming", Biometrika 98, 2011.
    .. [5] T. Sun, C.-H. Zhang, "Sparse matrix inversion with scaled lasso", JMLR 14,
       2013.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 1, 2048)
    >>> b = np.sin(2 * np.pi * 3 * t) + 0.1 * rng.standard_normal(t.size)
    >>> est = si.estimate_noise_std(np.eye(t.size), b)  # m = n: the wavelet estimate
    >>> est.method, round(est.noise_std, 2)
    ('wavelet', 0.1)

    Where m ≤ n and b is unstructured, ``"auto"`` refits the cross-validated Lasso:

    >>> p = si.problems.compressed_sensing(100, 256, 8, snr_db=20, rng=0)
    >>> est = si.estimate_noise_std(p.A, p.b)
    >>> est.method, bool(0.8 < est.noise_std / p.noise_std < 1.25)
    ('cv', True)
    """
    method = check_choice(method, "method", NOISE_METHODS)
    max_ratio = check_positive_number(max_ratio, "max_ratio")
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) != 2:
        raise TypeError(f"A must be a 2-D array or linear operator; got {type(A).__name__}")
    m, n = int(shape[0]), int(shape[1])
    xp = get_array_module(b) if hasattr(b, "shape") else np
    flat = check_vector(b, "b", m, xp)
    if method == "least_squares" or (method == "auto" and m > n):
        if m <= n:
            raise ValueError(
                f"method='least_squares' needs more measurements than unknowns (m > n); "
                f"got A of shape {(m, n)}"
            )
        return _least_squares(A, flat, max_iter=max_iter, tol=tol)
    if method == "wavelet" or (method == "auto" and m >= 4):
        sigma, ratio = _wavelet(flat, wavelet)
        if method == "wavelet" or ratio <= max_ratio:
            return NoiseEstimate(noise_std=sigma, method="wavelet")
    n_lambdas = check_positive_number(n_lambdas, "n_lambdas", integer=True)
    lam_min_ratio = check_positive_number(lam_min_ratio, "lam_min_ratio")
    gen = np.random.default_rng(rng)
    engine = Engine(A, flat, L1, None, solver, solver_options, rng=int(gen.integers(2**32)))
    if method == "scaled_lasso":
        return scaled_lasso(engine, rng=gen)
    top = engine.top_scale(None)
    lam_values = list(scale_grid(top, n_lambdas=n_lambdas, lam_min_ratio=lam_min_ratio))
    return cv_refit(engine, lam_values, n_folds=n_folds, rng=gen)[0]


def noise_for_selection(
    engine: Engine,
    lam_values: list[Any],
    *,
    noise_std: float | None,
    noise_method: str,
    n_folds: int,
    rng: np.random.Generator,
) -> SelectionNoise:
    """σ for a selection on ``engine``'s path ``lam_values``: given, or estimated.

    ``"cv"`` (and ``"auto"`` where it picks the refit) runs on the selection's own
    engine and grid, so its full-data fits are returned for the selection to reuse;
    the other estimators run on ``engine``'s A and b (see :func:`estimate_noise_std`).
    """
    if noise_std is not None:
        return SelectionNoise(noise_std, "given", 0, 0, None)
    m, n = engine.shape
    method = noise_method
    if method == "auto":
        if m > n:
            method = "least_squares"
        elif m >= 4 and _wavelet(engine.b, "db4")[1] <= 0.5:
            method = "wavelet"
        else:
            method = "cv"
    if method == "cv":
        solves0, apps0 = engine.n_solves, engine.n_applications
        est, fits = cv_refit(engine, lam_values, n_folds=n_folds, rng=rng)
        # the path's solves are the selection engine's own: counted there, not here
        return SelectionNoise(
            est.noise_std,
            est.method,
            est.n_solves - (engine.n_solves - solves0),
            est.n_applications - (engine.n_applications - apps0),
            fits,
        )
    est = estimate_noise_std(engine.A, engine.b, method=method)
    return SelectionNoise(est.noise_std, est.method, est.n_solves, est.n_applications, None)


@dataclass(frozen=True)
class SelectionNoise:
    """σ for a selection, its source, its cost, and the path fits it made (or None)."""

    noise_std: float
    method: str
    n_solves: int
    n_applications: int
    fits: list[Fit] | None


def cv_refit(
    engine: Engine, lam_values: list[Any], *, n_folds: int, rng: np.random.Generator
) -> tuple[NoiseEstimate, list[Fit]]:
    r"""σ̂ from the Lasso residual at the cross-validated λ of a path (Reid et al. 2016).

    Returns the estimate and the full-data fits of the path. Among λ whose fit leaves
    :math:`N - \mathrm{df} \ge N/5` residual degrees of freedom (or, when none does,
    fewer degrees of freedom than real observations), the one of least held-out error
    is used; the cost counts the path and the folds.
    """
    N = engine.n_obs
    if engine.shape[0] < 2:
        raise ValueError(
            "noise_std must be given: b has a single measurement, nothing to cross-validate"
        )
    n_folds = check_n_folds(min(n_folds, engine.shape[0]), engine.shape[0])
    solves0, apps0 = engine.n_solves, engine.n_applications
    fits = fit_path(engine, lam_values)
    cv = CrossValidation(engine, n_folds=n_folds, rng=rng)
    # the parameters are the positions on the path (λ may be arrays: scales times weights)
    points = LambdaSearch(cv).scan(
        [np.array([i + 1.0]) for i in range(len(lam_values))],
        to_lams=lambda p: lam_values[round(float(p[0])) - 1],
    )
    values = np.array([pt.value for pt in points])
    # near the floor of the path the fit interpolates: RSS/(N − df) is a ratio of two
    # small numbers (relative spread √(2/(N − df))) and the CV curve is flat there, so its
    # minimum lands on such fits and σ̂ collapses; keep N − df ≥ N/5 where any fit does
    usable = np.array([fit.df < N for fit in fits])
    stable = np.array([fit.df <= (1.0 - _CV_MIN_RESIDUAL_FRACTION) * N for fit in fits])
    allowed = stable if stable.any() else usable
    values = np.where(allowed, values, np.inf)
    k = cv.choose(values)
    if not usable[k]:
        raise ValueError(
            "noise_std must be given: every fit of the λ path has as many degrees of freedom "
            f"as real observations ({N}), so no residual can estimate σ"
        )
    v = fits[k].rss / (N - fits[k].df)
    sigma = math.sqrt(2.0 * v) if engine.is_complex else math.sqrt(v)
    est = NoiseEstimate(
        noise_std=sigma,
        method="cv",
        n_applications=engine.n_applications - apps0 + cv.n_applications,
        n_solves=engine.n_solves - solves0 + cv.n_solves,
    )
    return est, fits


def _least_squares(A: Any, b: Any, *, max_iter: int | None, tol: float) -> NoiseEstimate:
    from scipy.sparse.linalg import LinearOperator, lsqr

    op = as_operator(A)
    m, n = op.shape
    host_b = np.asarray(b.get() if hasattr(b, "get") and not isinstance(b, np.ndarray) else b)
    dtype = np.result_type(op.dtype, host_b.dtype, np.float64)
    xp = get_array_module(b)

    def forward(v: NDArray) -> NDArray:
        return _to_host(op.matvec(xp.asarray(np.ravel(v).astype(dtype, copy=False))))

    def adjoint(v: NDArray) -> NDArray:
        return _to_host(op.rmatvec(xp.asarray(np.ravel(v).astype(dtype, copy=False))))

    linop = LinearOperator((m, n), matvec=forward, rmatvec=adjoint, dtype=dtype)
    limit = max(100, 4 * n) if max_iter is None else max_iter
    sol = lsqr(linop, host_b.astype(dtype, copy=False), atol=tol, btol=tol, iter_lim=limit)
    residual = host_b - forward(sol[0])
    rss = float(np.vdot(residual, residual).real)
    return NoiseEstimate(
        noise_std=math.sqrt(rss / (m - n)),
        method="least_squares",
        n_applications=op.n_applications,
    )


def _to_host(v: Any) -> NDArray:
    return np.asarray(v.get() if hasattr(v, "get") and not isinstance(v, np.ndarray) else v)


def _wavelet(b: Any, wavelet: str) -> tuple[float, float]:
    """MAD estimate of σ from the finest wavelet band, and its ratio to the rms of b."""
    import pywt

    if not isinstance(wavelet, str) or wavelet not in pywt.wavelist(kind="discrete"):
        raise ValueError(
            f"wavelet must be a discrete PyWavelets wavelet (e.g. 'db4', 'haar'); got {wavelet!r}"
        )
    host = _to_host(b)
    if host.size < 4:
        raise ValueError(
            f"b must have at least 4 samples for the wavelet estimate; got {host.size}"
        )
    parts = (host.real, host.imag) if np.iscomplexobj(host) else (host,)
    var = 0.0
    for part in parts:
        _, detail = pywt.dwt(part, wavelet, mode="periodization")
        var += (float(np.median(np.abs(detail))) / _MAD) ** 2
    sigma = math.sqrt(var)
    centred = host - host.mean()
    rms = math.sqrt(float(np.vdot(centred, centred).real) / host.size)
    ratio = sigma / rms if rms > 0 else math.inf
    return sigma, ratio


def scaled_lasso(engine: Engine, *, rng: np.random.Generator) -> NoiseEstimate:
    r"""σ̂ of the scaled Lasso with the quantile penalty level (Sun & Zhang 2012, 2013).

    The fixed point of :math:`\hat x = \arg\min\tfrac12\|Ax - b\|^2 + \lambda_0\hat\sigma
    c\|x\|_1` and :math:`\hat\sigma^2 = \|b - A\hat x\|^2/(N - \mathrm{df})` (per real
    observation, back to σ for complex data), from :math:`\hat\sigma = \|b\|/\sqrt N`
    down; c is the rms column norm of A (a Hutchinson estimate of
    :math:`\|A\|_F^2/n`) and :math:`\lambda_0 = \sqrt2\,L` with
    :math:`L = \Phi^{-1}(1 - k/n)`, :math:`k = L^4 + 2L^2` (solved by iteration).
    """
    m, n = engine.shape
    N = engine.n_obs
    xp = engine.xp
    frob = 0.0
    for _ in range(_FROBENIUS_PROBES):
        z = rng.choice(np.array([-1.0, 1.0]), size=n).astype(engine.dtype)
        v = engine.op.matvec(xp.asarray(z))
        frob += float(xp.vdot(v, v).real) / _FROBENIUS_PROBES
    c = math.sqrt(frob / n)
    if not c > 0:
        raise ValueError(f"A must not be zero: A of shape {(m, n)} has ‖A‖_F = 0")
    k = 1.0
    for _ in range(100):  # k = L⁴ + 2L², L = Φ⁻¹(1 − k/n): a contraction from k = 1
        L = float(norm.isf(min(k / n, 0.5)))
        k_new = L**4 + 2 * L**2
        if abs(k_new - k) <= 1e-9 * k:
            break
        k = k_new
    lam0 = math.sqrt(2.0) * float(norm.isf(min(k / n, 0.5)))
    bb = float(xp.vdot(engine.b, engine.b).real)
    var = bb / N  # per real observation
    scale = math.sqrt(2.0) if engine.is_complex else 1.0
    solves0, apps0 = engine.n_solves, engine.n_applications
    x = None
    for _ in range(_SCALED_LASSO_ITER):
        fit = engine.fit(lam0 * scale * math.sqrt(var) * c, x0=x)
        x = fit.x
        if not fit.df < N:
            break  # the fit interpolates: keep the last σ̂
        new = fit.rss / (N - fit.df)
        done = abs(math.sqrt(new) - math.sqrt(var)) <= 1e-4 * math.sqrt(var)
        var = new
        if done or not var > 0:
            break
    # least squares on the selected support removes the Lasso's shrinkage from the
    # residual (the scaled Lasso-LSE of Sun & Zhang 2012), while the support is small
    refit = _support_refit(engine, x) if x is not None else None
    extra_apps = 0
    if refit is not None:
        var, extra_apps = refit
    return NoiseEstimate(
        noise_std=scale * math.sqrt(var),
        method="scaled_lasso",
        n_applications=engine.n_applications - apps0 + _FROBENIUS_PROBES + extra_apps,
        n_solves=engine.n_solves - solves0,
    )


def _support_refit(engine: Engine, x: Any) -> tuple[float, int] | None:
    """Per-observation noise variance of the least-squares fit on the support of ``x``.

    ``‖b − A_S z‖² / (N − df_S)`` with z the LSQR solution on the support S; None when
    the support is empty or holds more than half as many real parameters as real
    observations (the refit would then follow the noise).
    """
    from scipy.sparse.linalg import LinearOperator, lsqr

    host = _to_host(x)
    support = np.flatnonzero(host)
    df = support.size * (2 if np.iscomplexobj(host) else 1)
    N = engine.n_obs
    if support.size == 0 or df > N / 2:
        return None
    op = engine.op
    m, n = op.shape
    xp = engine.xp
    dtype = engine.dtype
    count = [0]

    def forward(z: NDArray) -> NDArray:
        full = np.zeros(n, dtype=dtype)
        full[support] = np.ravel(z)
        count[0] += 1
        return _to_host(op.matvec(xp.asarray(full)))

    def adjoint(r: NDArray) -> NDArray:
        count[0] += 1
        return _to_host(op.rmatvec(xp.asarray(np.ravel(r).astype(dtype, copy=False))))[support]

    linop = LinearOperator((m, support.size), matvec=forward, rmatvec=adjoint, dtype=dtype)
    b = _to_host(engine.b).astype(dtype, copy=False)
    z = lsqr(linop, b, atol=1e-10, btol=1e-10, iter_lim=max(100, 4 * support.size))[0]
    r = b - forward(z)
    return float(np.vdot(r, r).real) / (N - df), count[0]
