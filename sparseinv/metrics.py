r"""Recovery metrics: signal-to-noise ratio, relative error and support recovery.

All metrics take the truth first, ``metric(x_true, x)``, accept real or complex
arrays (numpy, or cupy) of equal shape, and return a Python float. Support metrics
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
    """Both arrays on one array module, checked for equal shapes, flattened."""
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
    return xp, x_true.ravel(), xp.asarray(x).ravel()


def _sq_norm(xp: Any, v: Any) -> float:
    return float(xp.sum(xp.abs(v) ** 2)) if v.size else 0.0


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

    Examples
    --------
    >>> snr_db([1.0, 0.0], [1.0, 0.1])
    20.0
    >>> snr_db([1.0, 2.0], [1.0, 2.0])
    inf
    """
    xp, x_true, x = _pair(x_true, x)
    signal, error = _sq_norm(xp, x_true), _sq_norm(xp, x_true - x)
    if error == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal / error)


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

    Examples
    --------
    >>> relative_error([3.0, 4.0], [3.0, 3.0])
    0.2
    """
    xp, x_true, x = _pair(x_true, x)
    signal, error = _sq_norm(xp, x_true), _sq_norm(xp, x_true - x)
    if error == 0.0:
        return 0.0
    if signal == 0.0:
        return math.inf
    return math.sqrt(error / signal)


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
