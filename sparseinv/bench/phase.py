r"""Phase-transition tools: the Donoho–Tanner curve, exact-recovery solvers and the 50 % point.

The phase transition of noiseless sparse recovery with an :math:`m \times n` Gaussian
matrix and a :math:`k`-sparse vector is drawn in the plane
:math:`(\delta, \rho) = (m/n, k/m)`; below the curve :math:`\rho_W(\delta)` basis
pursuit recovers the vector with high probability, above it it fails.

The recovery cases share the pieces here: :func:`path_recover` (continuation along a
λ path, then least squares on the support; :func:`l1_recover` is it on L1), one
trial and its success criterion (:func:`recovery_trial`, :data:`SUCCESS_TOL`), the
success rate of a cell of trials (:func:`success_summary`) and the 50 % point.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from sparseinv.metrics import relative_error
from sparseinv.objective import lam_max
from sparseinv.paths import lambda_path
from sparseinv.penalties import L0, Penalty
from sparseinv.result import ConvergenceWarning
from sparseinv.solvers import irls

__all__ = [
    "LAM_RATIOS",
    "SUCCESS_TOL",
    "debias",
    "donoho_tanner",
    "fifty_percent",
    "irls_l0_recover",
    "l1_recover",
    "linear_fifty_percent",
    "path_recover",
    "recovery_trial",
    "success_summary",
]

#: a recovery succeeds when ‖x − x_true‖ / ‖x_true‖ is below this
SUCCESS_TOL = 1e-3
#: the default λ/λ_max path of :func:`path_recover` (and :func:`l1_recover`)
LAM_RATIOS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4)


def donoho_tanner(delta: float) -> float:
    r"""The weak phase transition :math:`\rho_W(\delta)` of L1 recovery (signed signals).

    Parameters
    ----------
    delta : float
        Undersampling ratio :math:`\delta = m/n` in (0, 1).

    Returns
    -------
    float
        :math:`\rho_W(\delta)`, the largest :math:`k/m` at which basis pursuit
        recovers a typical :math:`k`-sparse vector as :math:`n \to \infty`.

    Notes
    -----
    The curve is computed from the state-evolution formula of Donoho, Maleki and
    Montanari, which equals the Donoho–Tanner weak threshold of the cross-polytope:

    .. math::

        \rho_W(\delta) = \max_{z \ge 0}
        \frac{1 - (2/\delta)\,[(1+z^2)\Phi(-z) - z\varphi(z)]}
             {1 + z^2 - 2[(1+z^2)\Phi(-z) - z\varphi(z)]},

    with :math:`\varphi, \Phi` the standard normal density and distribution.

    References
    ----------
    .. [1] D. L. Donoho, J. Tanner, "Counting faces of randomly projected polytopes
       when the projection radically lowers dimension", J. AMS 22, 2009.
    .. [2] D. L. Donoho, A. Maleki, A. Montanari, "Message-passing algorithms for
       compressed sensing", PNAS 106, 2009.

    Examples
    --------
    >>> round(donoho_tanner(0.25), 3), round(donoho_tanner(0.5), 3)
    (0.267, 0.386)
    """
    if not isinstance(delta, (int, float)) or not 0 < delta < 1:
        raise ValueError(f"delta must be a number in (0, 1); got {delta!r}")

    def negative(z: float) -> float:
        g = (1 + z * z) * stats.norm.cdf(-z) - z * stats.norm.pdf(z)
        return -(1 - 2 / delta * g) / (1 + z * z - 2 * g)

    res = optimize.minimize_scalar(
        negative, bounds=(1e-9, 12.0), method="bounded", options={"xatol": 1e-10}
    )
    return float(-res.fun)


def debias(A: NDArray, b: NDArray, x: NDArray) -> NDArray:
    """Least squares on the support of ``x`` (when it has at most ``m`` entries).

    Parameters
    ----------
    A : ndarray
        The ``(m, n)`` matrix.
    b : ndarray
        Data.
    x : ndarray
        An estimate whose non-zeros set the support.

    Returns
    -------
    ndarray
        :math:`\\arg\\min_{z:\\,\\mathrm{supp}(z) \\subseteq S}\\|Az - b\\|` with
        :math:`S = \\mathrm{supp}(x)`; ``x`` itself (a copy) when :math:`|S| > m`.

    Examples
    --------
    >>> import numpy as np
    >>> debias(np.eye(2), np.array([2.0, 3.0]), np.array([1.5, 0.0])).tolist()
    [2.0, 0.0]
    """
    support = np.flatnonzero(x)
    out = np.array(x, copy=True)
    if 0 < support.size <= A.shape[0]:
        out[:] = 0
        out[support] = np.linalg.lstsq(A[:, support], b, rcond=None)[0]
    return out


def path_recover(
    A: NDArray,
    b: NDArray,
    penalty: str | Penalty,
    lam_top: float,
    *,
    lam_ratios: ArrayLike = LAM_RATIOS,
    tol: float = 1e-10,
    max_iter: int = 20_000,
) -> tuple[NDArray, int]:
    r"""Exact recovery by FISTA continuation along a λ path, then least squares on the support.

    Parameters
    ----------
    A : ndarray
        The ``(m, n)`` matrix.
    b : ndarray
        Noiseless data.
    penalty : str or Penalty
        The penalty of the path (:func:`sparseinv.lambda_path`: a name, or a penalty
        whose type and groups are kept and whose λ is replaced).
    lam_top : float
        The λ the ratios multiply, :math:`\lambda_{\max}` of the penalty.
    lam_ratios : array_like, optional
        The path :math:`\lambda/\lambda_{\max}`, decreasing; the last sets the final
        problem.
    tol : float, default 1e-10
        Relative duality gap of every solve.
    max_iter : int, default 20000
        Most FISTA iterations per solve.

    Returns
    -------
    x : ndarray
        The debiased solution.
    n_applications : int
        Operator applications of the whole path.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv.problems import compressed_sensing
    >>> p = compressed_sensing(40, 100, 5, rng=0)
    >>> x, _ = path_recover(p.A, p.b, "l1", lam_max(p.A, p.b))
    >>> bool(np.linalg.norm(x - p.x_true) < 1e-8)
    True
    """
    lams = [lam_top * r for r in np.asarray(lam_ratios, float)]
    path = lambda_path(A, b, penalty, lams, tol=tol, max_iter=max_iter)
    return debias(A, b, path.results[-1].x), path.n_applications


def l1_recover(
    A: NDArray,
    b: NDArray,
    *,
    lam_ratios: ArrayLike = LAM_RATIOS,
    tol: float = 1e-10,
    max_iter: int = 20_000,
) -> tuple[NDArray, int]:
    r"""Basis pursuit by FISTA continuation on L1, then least squares on the support.

    Parameters
    ----------
    A : ndarray
        The ``(m, n)`` matrix.
    b : ndarray
        Noiseless data.
    lam_ratios : array_like, optional
        The path :math:`\lambda/\lambda_{\max}`, decreasing; the last sets the final
        problem.
    tol : float, default 1e-10
        Relative duality gap of every solve.
    max_iter : int, default 20000
        Most FISTA iterations per solve.

    Returns
    -------
    x : ndarray
        The debiased solution.
    n_applications : int
        Operator applications of the whole path.

    Notes
    -----
    Basis pursuit :math:`\min\|x\|_1` s.t. :math:`Ax = b` is the :math:`\lambda \to 0`
    limit of :math:`\tfrac12\|Ax-b\|^2 + \lambda\|x\|_1`. The path is solved with
    :func:`path_recover` (:func:`sparseinv.lambda_path`, warm starts) down to
    :math:`\lambda = 10^{-4}\lambda_{\max}`, whose support is that of the basis
    pursuit solution; the remaining :math:`O(\lambda)` shrinkage is removed by least
    squares on that support (:func:`debias`). When basis pursuit recovers
    :math:`x_0`, this returns :math:`x_0` to rounding; when it fails, its support is
    not that of :math:`x_0` and neither is the debiased vector, so success is
    judged as for basis pursuit itself.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv.problems import compressed_sensing
    >>> p = compressed_sensing(40, 100, 5, rng=0)
    >>> x, _ = l1_recover(p.A, p.b)
    >>> bool(np.linalg.norm(x - p.x_true) < 1e-8)
    True
    """
    return path_recover(
        A, b, "l1", lam_max(A, b), lam_ratios=lam_ratios, tol=tol, max_iter=max_iter
    )


def irls_l0_recover(
    A: NDArray,
    b: NDArray,
    *,
    lam_ratio: float = 1e-10,
    max_iter: int = 300,
    tol: float = 1e-10,
    cg_max_iter: int = 1000,
) -> tuple[NDArray, int]:
    r"""Sparse recovery by IRLS on the L0 penalty (log surrogate) with a tiny λ.

    Parameters
    ----------
    A : ndarray
        The ``(m, n)`` matrix.
    b : ndarray
        Noiseless data.
    lam_ratio : float, default 1e-10
        :math:`\lambda = \text{lam\_ratio}\cdot\lambda_{\max}^2` (L0's λ is in units of
        :math:`b^2`).
    max_iter : int, default 300
        Most reweighting iterations.
    tol : float, default 1e-10
        Relative change of x at which IRLS stops.
    cg_max_iter : int, default 1000
        Most conjugate-gradient steps per reweighting.

    Returns
    -------
    x : ndarray
        The IRLS iterate (no polishing, no debiasing).
    n_applications : int
        Operator applications.

    Notes
    -----
    With :math:`\lambda \to 0`, IRLS on the log surrogate with decreasing smoothing
    :math:`\varepsilon` is the :math:`\ell_p \to \ell_0` scheme of Chartrand & Yin,
    which recovers markedly denser vectors than basis pursuit.

    References
    ----------
    .. [1] R. Chartrand, W. Yin, "Iteratively reweighted algorithms for compressive
       sensing", ICASSP 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv.problems import compressed_sensing
    >>> p = compressed_sensing(40, 100, 5, amplitudes="gaussian", rng=0)
    >>> x, _ = irls_l0_recover(p.A, p.b)
    >>> bool(np.linalg.norm(x - p.x_true) < 1e-3 * np.linalg.norm(p.x_true))
    True
    """
    lam = lam_ratio * lam_max(A, b) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = irls(A, b, L0(lam), max_iter=max_iter, tol=tol, polish=False, cg_max_iter=cg_max_iter)
    return res.x, res.n_applications


def recovery_trial(x_true: NDArray, recover: Callable[[], tuple[NDArray, int]]) -> dict[str, Any]:
    """One recovery, timed, and whether it succeeded (relative error below :data:`SUCCESS_TOL`).

    Parameters
    ----------
    x_true : ndarray
        The vector to recover.
    recover : callable
        ``recover() -> (x, n_applications)``: the recovery to run (e.g. a
        :func:`path_recover` or :func:`irls_l0_recover` on the problem's data).

    Returns
    -------
    dict
        ``success``, ``relative_error``, ``n_applications``, ``seconds``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv.problems import compressed_sensing
    >>> p = compressed_sensing(40, 100, 5, rng=0)
    >>> recovery_trial(p.x_true, lambda: l1_recover(p.A, p.b))["success"]
    True
    """
    start = time.perf_counter()
    x, n_apps = recover()
    err = relative_error(x_true, x)
    return {
        "success": bool(err < SUCCESS_TOL),
        "relative_error": err,
        "n_applications": n_apps,
        "seconds": time.perf_counter() - start,
    }


def success_summary(chunk: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The success rate and costs of one cell of :func:`recovery_trial` results.

    Parameters
    ----------
    chunk : sequence of dict
        The trials of the cell.

    Returns
    -------
    dict
        ``trials``, ``successes``, ``rate``, ``median_applications``, ``mean_seconds``.

    Examples
    --------
    >>> success_summary([{"success": True, "n_applications": 4, "seconds": 1.0},
    ...                  {"success": False, "n_applications": 8, "seconds": 3.0}])["rate"]
    0.5
    """
    trials = len(chunk)
    wins = sum(r["success"] for r in chunk)
    return {
        "trials": trials,
        "successes": wins,
        "rate": wins / trials,
        "median_applications": float(np.median([r["n_applications"] for r in chunk])),
        "mean_seconds": float(np.mean([r["seconds"] for r in chunk])),
    }


def fifty_percent(values: ArrayLike, successes: ArrayLike, trials: ArrayLike) -> float:
    r"""Where the success probability crosses 50 %, by a logistic fit (maximum likelihood).

    Parameters
    ----------
    values : array_like
        The swept quantity (ρ = k/m, or k), one per cell.
    successes : array_like
        Successful trials per cell.
    trials : array_like
        Trials per cell.

    Returns
    -------
    float
        :math:`x_{50}` of the fit :math:`P(x) = 1/(1 + e^{s(x - x_{50})})`; NaN when
        every trial succeeded or every one failed.

    Notes
    -----
    The binomial log-likelihood :math:`\sum_c y_c\log P(x_c) + (t_c - y_c)\log(1-P(x_c))`
    is maximized over :math:`(x_{50}, s)` from the linear interpolation of the
    empirical success rates; using every trial, the fit is steadier than the first
    crossing of 50 % by the empirical rates.

    Examples
    --------
    >>> round(fifty_percent([1, 2, 3, 4], [10, 8, 2, 0], [10, 10, 10, 10]), 2)
    2.5
    """
    x = np.asarray(values, dtype=float)
    y = np.asarray(successes, dtype=float)
    t = np.asarray(trials, dtype=float)
    if not (x.shape == y.shape == t.shape) or x.ndim != 1 or x.size < 2:
        raise ValueError(
            "values, successes and trials must be 1-D of one length >= 2; got shapes "
            f"{x.shape}, {y.shape}, {t.shape}"
        )
    total = y.sum()
    if total == 0 or total == t.sum():
        return math.nan
    order = np.argsort(x)
    x, y, t = x[order], y[order], t[order]
    start = linear_fifty_percent(x, y / t)
    if not math.isfinite(start):
        start = float(np.median(x))
    scale = max(float(np.ptp(x)), 1e-12)

    def nll(params: NDArray) -> float:
        x50, slope = params
        z = np.clip(slope * (x - x50) / scale, -50, 50)
        # log P = -log(1 + e^z), log(1 - P) = z - log(1 + e^z)
        soft = np.logaddexp(0.0, z)
        return float(np.sum(y * soft + (t - y) * (soft - z)))

    res = optimize.minimize(
        nll,
        np.array([start, 10.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-8 * scale, "fatol": 1e-10, "maxiter": 2000},
    )
    return float(res.x[0])


def linear_fifty_percent(values: ArrayLike, rates: ArrayLike) -> float:
    """First crossing of 50 % by the empirical success rates, linearly interpolated.

    Parameters
    ----------
    values : array_like
        The swept quantity, increasing.
    rates : array_like
        Success rate per value, in [0, 1].

    Returns
    -------
    float
        The crossing, or NaN when the rates never cross 50 %.

    Examples
    --------
    >>> linear_fifty_percent([1.0, 2.0, 3.0], [1.0, 0.75, 0.25])
    2.5
    """
    x = np.asarray(values, dtype=float)
    r = np.asarray(rates, dtype=float)
    for i in range(x.size - 1):
        if r[i] >= 0.5 > r[i + 1]:
            return float(x[i] + (r[i] - 0.5) / (r[i] - r[i + 1]) * (x[i + 1] - x[i]))
    return math.nan
