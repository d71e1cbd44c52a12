"""Bounds on the coefficients of a penalty: ``bounds=(lower, upper)`` or ``positive=True``."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv._validation import _describe

Bound = float | NDArray[np.float64]  # a number, or one value per coefficient (read-only)


def check_bounds(bounds: Any, positive: Any) -> tuple[Bound, Bound] | None:
    """``(lower, upper)`` from a penalty's ``bounds`` and ``positive``; None when unbounded.

    Each side is a real number or a 1-D array of one value per coefficient
    (``None`` for no bound on that side); ``-inf`` and ``inf`` are allowed, NaN is
    not, and ``lower <= upper`` everywhere. ``positive=True`` is ``(0, inf)``.
    Arrays are copied (read-only): the caller's arrays are never modified.
    """
    if not isinstance(positive, (bool, np.bool_)):
        raise TypeError(f"positive must be True or False; got {_describe(positive)}")
    if positive:
        if bounds is not None:
            raise ValueError(
                "give bounds or positive=True, not both (positive=True is bounds=(0, inf)); "
                f"got bounds={_describe(bounds)}"
            )
        return 0.0, np.inf
    if bounds is None:
        return None
    if isinstance(bounds, (str, bytes)) or not hasattr(bounds, "__len__") or len(bounds) != 2:
        raise TypeError(
            f"bounds must be a pair (lower, upper) of numbers or arrays; got {_describe(bounds)}"
        )
    lower = _side(bounds[0], "lower", -np.inf)
    upper = _side(bounds[1], "upper", np.inf)
    if not isinstance(lower, float) and not isinstance(upper, float):
        if lower.shape != upper.shape:
            raise ValueError(
                "bounds must give lower and upper the same length; got "
                f"{lower.shape[0]} and {upper.shape[0]} values"
            )
    if np.any(np.asarray(lower) == np.inf) or np.any(np.asarray(upper) == -np.inf):
        raise ValueError("bounds must have lower < inf and upper > -inf (no coefficient fits)")
    crossed = np.broadcast_to(
        np.asarray(lower) > np.asarray(upper), np.broadcast(lower, upper).shape
    )
    if np.any(crossed):
        where = np.flatnonzero(np.atleast_1d(crossed))
        i = int(where[0])
        lo = float(np.atleast_1d(np.broadcast_to(lower, crossed.shape))[i])
        hi = float(np.atleast_1d(np.broadcast_to(upper, crossed.shape))[i])
        at = f" at coefficient {i}" if crossed.ndim else ""
        raise ValueError(f"bounds must have lower <= upper; got lower = {lo} > upper = {hi}{at}")
    if isinstance(lower, float) and isinstance(upper, float) and lower == -np.inf == -upper:
        return None
    return lower, upper


def _side(value: Any, name: str, default: float) -> Bound:
    if value is None:
        return default
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        out = float(value)
        if np.isnan(out):
            raise ValueError(f"bounds must not be NaN; got {name} = nan")
        return out
    arr = np.asarray(value)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(
            f"bounds' {name} must be a real number or a 1-D array; got {_describe(value)}"
        )
    if arr.ndim == 0:
        return _side(float(arr), name, default)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"bounds' {name} must be a number or a non-empty 1-D array of one value per "
            f"coefficient; got {_describe(value)}"
        )
    if np.any(np.isnan(arr)):
        first = int(np.flatnonzero(np.isnan(arr))[0])
        raise ValueError(f"bounds must not be NaN; got NaN in {name} at coefficient {first}")
    out = arr.astype(np.float64, copy=True)
    out.flags.writeable = False
    return out


def bounds_size(bounds: tuple[Bound, Bound] | None) -> int | None:
    """The number of coefficients per-coefficient bounds fix, or None."""
    if bounds is None:
        return None
    for side in bounds:
        if not isinstance(side, float):
            return int(side.shape[0])
    return None


def describe_bounds(bounds: tuple[Bound, Bound] | None) -> str:
    """A short text for reprs: ``", bounds=(0.0, inf)"`` or ``""``."""
    if bounds is None:
        return ""
    parts = [repr(s) if isinstance(s, float) else f"<{s.size} values>" for s in bounds]
    return f", bounds=({parts[0]}, {parts[1]})"
