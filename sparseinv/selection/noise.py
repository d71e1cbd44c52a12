r"""Estimates of the noise level σ of ``b = A x + n`` from the data alone.

Three estimators, each valid in its own situation:

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
    (the ECG problem keeps a random 30 %) look smooth, yet the jumps between kept
    samples put signal in the finest band, and σ̂ comes out about twice too large at
    25 dB. Give ``noise_std`` or use cross-validation there.
``"path"``
    The refitted residual of a sparse fit on a λ path,
    :math:`\hat\sigma^2 = \|b - A\hat x_\lambda\|^2 / (m - \mathrm{df}_\lambda)`
    (Reid, Tibshirani & Friedman 2016), at the λ that minimises SURE computed with
    that same :math:`\hat\sigma` (a fixed point, reached from above). It needs a
    path, so :func:`estimate_noise_std` does not offer it; :func:`select_lambda`
    uses it for ``method="sure"`` when the other two do not apply. It inherits the
    bias of the df: for L0 the support size underestimates the df, so σ̂ is low.

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

from sparseinv._validation import check_positive_number, check_vector
from sparseinv.operators import as_operator
from sparseinv.selection._engine import check_choice

__all__ = ["NOISE_METHODS", "NoiseEstimate", "estimate_noise_std"]

#: the estimators :func:`estimate_noise_std` offers
NOISE_METHODS = ("auto", "least_squares", "wavelet")
_MAD = 0.6744897501960817  # median |N(0, 1)|


@dataclass(frozen=True)
class NoiseEstimate:
    """Result of :func:`estimate_noise_std`.

    Attributes
    ----------
    noise_std : float
        σ̂, the standard deviation of the noise of one sample of ``b``.
    method : str
        The estimator used: ``"least_squares"``, ``"wavelet"`` (or ``"path"`` when
        built by the selection functions).
    n_applications : int
        Applications of A and Aᴴ it cost (0 for the wavelet estimate).

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


def estimate_noise_std(
    A: Any,
    b: Any,
    *,
    method: str = "auto",
    wavelet: str = "db4",
    max_ratio: float = 0.5,
    max_iter: int | None = None,
    tol: float = 1e-10,
) -> NoiseEstimate:
    r"""Estimate the noise level σ of ``b = A x + n`` without knowing ``x``.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator (only the least-squares estimate applies it).
    b : ndarray
        Data, real or complex. Not modified.
    method : {"auto", "least_squares", "wavelet"}, optional
        ``"auto"`` (default) uses the least-squares residual when ``m > n``, else
        the wavelet estimate when it passes the check below, else raises.
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

    Returns
    -------
    NoiseEstimate

    Raises
    ------
    ValueError
        For an unknown ``method``, ``"least_squares"`` with ``m <= n``, or ``"auto"``
        when neither estimate applies (the message says so and names ``noise_std``).

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

    References
    ----------
    .. [1] D. L. Donoho, I. M. Johnstone, "Ideal spatial adaptation by wavelet
       shrinkage", Biometrika 81, 1994.
    .. [2] S. Reid, R. Tibshirani, J. Friedman, "A study of error variance
       estimation in lasso regression", Statistica Sinica 26, 2016.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 1, 2048)
    >>> b = np.sin(2 * np.pi * 3 * t) + 0.1 * rng.standard_normal(t.size)
    >>> est = si.estimate_noise_std(np.eye(t.size), b)  # m = n: the wavelet estimate
    >>> est.method, round(est.noise_std, 2)
    ('wavelet', 0.1)
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
    sigma, ratio = _wavelet(flat, wavelet)
    if method == "wavelet" or ratio <= max_ratio:
        return NoiseEstimate(noise_std=sigma, method="wavelet")
    raise ValueError(
        "noise_std must be given: it cannot be estimated from these data. A has "
        f"m = {m} <= n = {n} (no least-squares residual), and the finest wavelet band of b "
        f"holds signal (MAD estimate {sigma:.3g} is {ratio:.2f} x the rms of b > "
        f"max_ratio = {max_ratio:g}), as for randomised measurements"
    )


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


def path_noise_var(
    rss: NDArray[np.float64], df: NDArray[np.float64], n_obs: int, *, max_iter: int = 100
) -> tuple[float, int]:
    r"""Per-observation noise variance from a λ path: the SURE fixed point.

    :math:`v = \mathrm{RSS}_k / (N - \mathrm{df}_k)` at
    :math:`k = \arg\min_j \mathrm{RSS}_j + 2v\,\mathrm{df}_j`, iterated from
    :math:`v_0 = \mathrm{RSS}_0 / N` (the first, largest λ): v decreases to the
    largest fixed point. Only λ with :math:`\mathrm{df} \le N/2` are used, where the
    refitted residual is stable. Returns ``(v, k)``.
    """
    rss = np.asarray(rss, dtype=float)
    df = np.asarray(df, dtype=float)
    usable = df <= n_obs / 2
    if not np.any(usable):
        raise ValueError(
            "noise_std must be given: every fit on the λ path has more than half as many "
            "degrees of freedom as measurements, so the residual cannot estimate the noise"
        )
    idx = np.flatnonzero(usable)
    v = float(rss[idx[0]]) / n_obs
    k = int(idx[0])
    for _ in range(max_iter):
        k_new = int(idx[np.argmin(rss[idx] + 2.0 * v * df[idx])])
        v_new = float(rss[k_new]) / (n_obs - df[k_new])
        if k_new == k and math.isclose(v_new, v, rel_tol=1e-12):
            break
        k, v = k_new, v_new
    return v, k
