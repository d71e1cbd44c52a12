r"""Recovery metrics: signal-to-noise ratio, relative error and support recovery.

All metrics take the truth first, ``metric(x_true, x)``, accept real or complex
arrays (numpy, or cupy) of equal shape, and return a Python float. Both arrays must
be finite: a NaN or an infinite entry raises a ``ValueError`` naming the argument
(a NaN is below every support tolerance, so it would otherwise count as a correct
zero). Norms are computed on the arrays divided by their largest entry, so that
entries from 1e-300 to 1e300 neither underflow nor overflow when squared. Support metrics
call coefficient :math:`i` *in the support* of a vector :math:`v` when
:math:`|v_i| > \tau`, with one absolute tolerance :math:`\tau` for both vectors:
by default :math:`\tau = \text{threshold} \cdot \max_i |x_{\text{true}, i}|`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pylops.utils.backend import get_array_module

from sparseinv._numerics import scaled_norm
from sparseinv._validation import _describe, check_positive_number
from sparseinv.groups import Groups

__all__ = [
    "f1",
    "nmse_db",
    "per_group",
    "precision",
    "recall",
    "relative_error",
    "snr_db",
    "support",
]

DEFAULT_THRESHOLD = 1e-3


def _pair(x_true: Any, x: Any) -> tuple[Any, Any, Any]:
    """Both arrays on one array module, checked for equal shapes and finite, flattened."""
    arrays = []
    for name, value in (("x_true", x_true), ("x", x)):
        if not hasattr(value, "shape") or not hasattr(value, "dtype"):
            value = np.asarray(value)
        if value.dtype == object or not np.issubdtype(np.dtype(value.dtype), np.number):
            raise TypeError(f"{name} must be a numeric array; got {_describe(value)}")
        arrays.append(value)
    x_true, x = arrays
    if tuple(x.shape) != tuple(x_true.shape):
        raise ValueError(
            f"x must have the shape of x_true {tuple(x_true.shape)}; got {tuple(x.shape)}"
        )
    xp = get_array_module(x_true)
    x_true, x = x_true.ravel(), xp.asarray(x).ravel()
    for name, value in (("x_true", x_true), ("x", x)):
        # a NaN compares False with every tolerance: it would count as a correct zero
        finite = xp.isfinite(value)
        if not bool(xp.all(finite)):
            n_bad = int(value.size - xp.count_nonzero(finite))
            raise ValueError(f"{name} must be finite; got {n_bad} NaN or infinite entries")
    return xp, x_true, x


def _norms(xp: Any, x_true: Any, x: Any) -> tuple[float, float, float, float, float]:
    """Scaled norms of the signal ``x_true`` and of the error ``x_true - x``.

    Returns ``(s_scale, s_sum, e_scale, e_sum, e_unit)``: ``‖x_true‖ = s_scale √s_sum``
    and ``‖x_true - x‖ = e_scale · e_unit · √e_sum``; ``e_unit`` is 1 unless the
    difference itself overflows, where it is the largest input entry.
    """
    s_scale, s_sum = scaled_norm(xp, x_true)
    with np.errstate(over="ignore", invalid="ignore"):
        error = x_true - x
    if bool(xp.all(xp.isfinite(error))):
        return s_scale, s_sum, *scaled_norm(xp, error), 1.0
    # entries near the float limit: subtract in units of the larger input
    unit = max(s_scale, scaled_norm(xp, x)[0])
    return s_scale, s_sum, *scaled_norm(xp, x_true / unit - x / unit), unit


def snr_db(x_true: Any, x: Any) -> float:
    r"""Signal-to-noise ratio of an estimate, in dB.

    Parameters
    ----------
    x_true : array_like
        Reference (true) vector, real or complex.
    x : array_like
        Estimate, same shape.

    Returns
    -------
    float
        :math:`10 \log_{10}(\|x_\text{true}\|^2 / \|x_\text{true} - x\|^2)`;
        ``inf`` when ``x == x_true`` (including both zero) and ``-inf`` when
        ``x_true`` is zero but ``x`` is not.

    Raises
    ------
    TypeError
        For non-numeric input.
    ValueError
        For arrays of different shapes or with NaN or infinite entries.

    Notes
    -----
    Computed as :math:`20\log_{10}(s_t/s_e) + 10\log_{10}(\sigma_t/\sigma_e)` with
    :math:`\|v\|^2 = s^2 \sigma`, :math:`s = \max_i|v_i|`, so the ratio is exact for
    vectors of any scale (``snr_db([1e-200], [0.0])`` is 0 dB).

    Examples
    --------
    >>> snr_db([1.0, 0.0], [1.0, 0.1])
    20.0
    >>> snr_db([1.0, 2.0], [1.0, 2.0])
    inf
    """
    xp, x_true, x = _pair(x_true, x)
    s_scale, s_sum, e_scale, e_sum, e_unit = _norms(xp, x_true, x)
    if e_scale == 0.0:
        return math.inf
    if s_scale == 0.0:
        return -math.inf
    # in logarithms: the ratio of the scales alone can overflow
    log_ratio = math.log10(s_scale) - math.log10(e_scale) - math.log10(e_unit)
    return 20.0 * log_ratio + 10.0 * math.log10(s_sum / e_sum)


def nmse_db(x_true: Any, x: Any) -> float:
    r"""Normalised mean squared error in dB, ``-snr_db(x_true, x)``.

    Parameters
    ----------
    x_true : array_like
        Reference vector.
    x : array_like
        Estimate, same shape.

    Returns
    -------
    float
        :math:`10 \log_{10}(\|x_\text{true} - x\|^2 / \|x_\text{true}\|^2)`; lower is
        better, ``-inf`` for a perfect estimate.

    Examples
    --------
    >>> nmse_db([1.0, 0.0], [1.0, 0.1])
    -20.0
    """
    return -snr_db(x_true, x)


def relative_error(x_true: Any, x: Any) -> float:
    r"""Relative error :math:`\|x - x_\text{true}\|_2 / \|x_\text{true}\|_2`.

    Parameters
    ----------
    x_true : array_like
        Reference vector.
    x : array_like
        Estimate, same shape.

    Returns
    -------
    float
        The relative error; 0.0 when ``x == x_true`` and ``inf`` when ``x_true`` is
        zero but ``x`` is not.

    Raises
    ------
    TypeError
        For non-numeric input.
    ValueError
        For arrays of different shapes or with NaN or infinite entries.

    Notes
    -----
    Both norms are computed on the vectors divided by their largest entry (see
    :func:`snr_db`): ``relative_error([1e-200], [2e-200])`` is 1.0, not 0/0.

    Examples
    --------
    >>> relative_error([3.0, 4.0], [3.0, 3.0])
    0.2
    """
    xp, x_true, x = _pair(x_true, x)
    s_scale, s_sum, e_scale, e_sum, e_unit = _norms(xp, x_true, x)
    if e_scale == 0.0:
        return 0.0
    if s_scale == 0.0:
        return math.inf
    with np.errstate(over="ignore", under="ignore"):
        # an error 1e308 times the signal is inf, one 1e-308 times it is 0: both are right
        ratio = np.float64(e_scale) / np.float64(s_scale) * np.float64(e_unit)
        return float(ratio * math.sqrt(e_sum / s_sum))


def _tolerance(xp: Any, x_true: Any, threshold: float, tol: float | None) -> float:
    if tol is not None:
        return check_positive_number(tol, "tol", allow_zero=True)
    threshold = check_positive_number(threshold, "threshold", allow_zero=True)
    peak = float(xp.max(xp.abs(x_true))) if x_true.size else 0.0
    return threshold * peak


def support(
    x_true: Any, x: Any, *, threshold: float = DEFAULT_THRESHOLD, tol: float | None = None
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    r"""The supports of ``x_true`` and ``x`` under one tolerance.

    Parameters
    ----------
    x_true : array_like
        Reference vector.
    x : array_like
        Estimate, same shape.
    threshold : float, default 1e-3
        Tolerance relative to :math:`\max_i |x_{\text{true}, i}|`.
    tol : float, optional
        Absolute tolerance :math:`\tau`; overrides ``threshold``.

    Returns
    -------
    true_support : ndarray of bool
        :math:`|x_{\text{true}, i}| > \tau`, flattened (on the array module of the
        inputs).
    estimated_support : ndarray of bool
        :math:`|x_i| > \tau`, flattened (on the array module of the inputs).

    Notes
    -----
    One absolute tolerance for both vectors, set by the truth, so that a small
    spurious coefficient of the estimate counts as a false positive whatever the
    estimate's own scale. When ``x_true`` is zero, :math:`\tau = 0` unless ``tol`` is
    given.

    Examples
    --------
    >>> s_true, s_hat = support([1.0, 0.0, 0.5], [0.9, 1e-5, 0.0])
    >>> s_true.tolist(), s_hat.tolist()
    ([True, False, True], [True, False, False])
    """
    xp, x_true, x = _pair(x_true, x)
    tau = _tolerance(xp, x_true, threshold, tol)
    return xp.abs(x_true) > tau, xp.abs(x) > tau


def _counts(x_true: Any, x: Any, threshold: float, tol: float | None) -> tuple[int, int, int]:
    """True positives, size of the estimated support, size of the true support."""
    s_true, s_hat = support(x_true, x, threshold=threshold, tol=tol)
    return int((s_true & s_hat).sum()), int(s_hat.sum()), int(s_true.sum())


def precision(
    x_true: Any, x: Any, *, threshold: float = DEFAULT_THRESHOLD, tol: float | None = None
) -> float:
    r"""Fraction of the estimated support that is in the true support.

    Parameters
    ----------
    x_true : array_like
        Reference vector.
    x : array_like
        Estimate, same shape.
    threshold : float, default 1e-3
        Support tolerance relative to :math:`\max|x_\text{true}|` (see :func:`support`).
    tol : float, optional
        Absolute support tolerance; overrides ``threshold``.

    Returns
    -------
    float
        :math:`|\hat S \cap S| / |\hat S|`; 1.0 when the estimated support
        :math:`\hat S` is empty (no false positive was made).

    Examples
    --------
    >>> precision([1.0, 0.0, 1.0, 0.0], [1.0, 0.5, 0.0, 0.0])
    0.5
    >>> precision([1.0, 0.0], [0.0, 0.0])
    1.0
    """
    hits, n_hat, _ = _counts(x_true, x, threshold, tol)
    return hits / n_hat if n_hat else 1.0


def recall(
    x_true: Any, x: Any, *, threshold: float = DEFAULT_THRESHOLD, tol: float | None = None
) -> float:
    r"""Fraction of the true support that the estimate recovers.

    Parameters
    ----------
    x_true : array_like
        Reference vector.
    x : array_like
        Estimate, same shape.
    threshold : float, default 1e-3
        Support tolerance relative to :math:`\max|x_\text{true}|` (see :func:`support`).
    tol : float, optional
        Absolute support tolerance; overrides ``threshold``.

    Returns
    -------
    float
        :math:`|\hat S \cap S| / |S|`; 1.0 when the true support :math:`S` is empty
        (nothing to miss).

    Examples
    --------
    >>> recall([1.0, 0.0, 1.0, 0.0], [1.0, 0.5, 0.0, 0.0])
    0.5
    """
    hits, _, n_true = _counts(x_true, x, threshold, tol)
    return hits / n_true if n_true else 1.0


def f1(
    x_true: Any, x: Any, *, threshold: float = DEFAULT_THRESHOLD, tol: float | None = None
) -> float:
    r"""Harmonic mean of :func:`precision` and :func:`recall` of the support.

    Parameters
    ----------
    x_true : array_like
        Reference vector.
    x : array_like
        Estimate, same shape.
    threshold : float, default 1e-3
        Support tolerance relative to :math:`\max|x_\text{true}|` (see :func:`support`).
    tol : float, optional
        Absolute support tolerance; overrides ``threshold``.

    Returns
    -------
    float
        :math:`2PR/(P + R)`, equal to :math:`2|\hat S \cap S| / (|\hat S| + |S|)`;
        1.0 when both supports are empty, 0.0 when exactly one is.

    Examples
    --------
    >>> f1([1.0, 0.0, 1.0, 0.0], [1.0, 0.5, 0.0, 0.0])
    0.5
    """
    hits, n_hat, n_true = _counts(x_true, x, threshold, tol)
    if n_hat + n_true == 0:
        return 1.0
    return 2.0 * hits / (n_hat + n_true)


_SUPPORT_METRICS = (precision, recall, f1)


def per_group(
    metric: Callable[..., float], x_true: Any, x: Any, groups: Groups, **kwargs: Any
) -> NDArray[np.float64]:
    """A metric evaluated on each group of coefficients.

    Parameters
    ----------
    metric : callable
        ``metric(x_true_g, x_g, **kwargs) -> float``, e.g. :func:`snr_db` or
        :func:`recall`.
    x_true : array_like
        Reference vector, 1-D with ``groups.n_features`` entries.
    x : array_like
        Estimate, same shape.
    groups : Groups
        The partition of the coefficients.
    **kwargs
        Passed to ``metric``.

    Returns
    -------
    ndarray of float
        One value per group, in group order.

    Notes
    -----
    For the support metrics of this module (:func:`precision`, :func:`recall`,
    :func:`f1`) the tolerance is computed once on the whole ``x_true`` and passed as
    ``tol`` to every group, unless ``tol`` is given: a group whose true coefficients
    are all zero is then judged against the global scale, not a zero tolerance.

    Examples
    --------
    >>> import sparseinv as si
    >>> g = si.Groups.from_sizes([2, 2])
    >>> per_group(relative_error, [3.0, 4.0, 1.0, 0.0], [3.0, 3.0, 1.0, 0.0], g).tolist()
    [0.2, 0.0]
    """
    if not isinstance(groups, Groups):
        raise TypeError(f"groups must be a sparseinv.Groups; got {type(groups).__name__}")
    if not callable(metric):
        raise TypeError(f"metric must be callable; got {_describe(metric)}")
    xp, x_true_flat, x_flat = _pair(x_true, x)
    shape = tuple(getattr(x_true, "shape", np.shape(x_true)))
    if shape != (groups.n_features,):
        raise ValueError(
            f"x_true must be 1-D with groups.n_features = {groups.n_features} entries; "
            f"got shape {shape}"
        )
    if metric in _SUPPORT_METRICS and kwargs.get("tol") is None:
        kwargs["tol"] = _tolerance(
            xp, x_true_flat, kwargs.pop("threshold", DEFAULT_THRESHOLD), None
        )
    out = np.empty(groups.n_groups)
    for g in range(groups.n_groups):
        idx = groups.group(g) if xp is np else xp.asarray(groups.group(g))
        out[g] = metric(x_true_flat[idx], x_flat[idx], **kwargs)
    return out
