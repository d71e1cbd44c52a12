"""Argument checks shared by the package: each error names the argument, the value and the need."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray) or hasattr(value, "shape"):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_int_array(values: Any, name: str) -> NDArray[np.intp]:
    """A 1-D integer array copy of ``values``; floats are accepted only when integral."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of integers; got {_describe(values)}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if (
            not np.issubdtype(arr.dtype, np.floating)
            or not np.all(np.isfinite(arr))
            or np.any(arr != np.round(arr))
        ):
            raise TypeError(f"{name} must hold integers; got {_describe(values)}")
    return arr.astype(np.intp, copy=True)


def check_positive_number(
    value: Any, name: str, *, allow_zero: bool = False, integer: bool = False
) -> Any:
    """A finite real number > 0 (or >= 0); an integer when ``integer``."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {expected}; got {_describe(value)}")
    bound_ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not bound_ok:
        need = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {need}; got {value!r}")
    return int(value) if integer else float(value)


def check_lam_values(lam: Any, name: str = "lam") -> float | NDArray[np.float64]:
    """λ as a float or a read-only 1-D float64 copy; finite and non-negative."""
    if isinstance(lam, numbers.Real) and not isinstance(lam, bool):
        if not np.isfinite(lam) or lam < 0:
            raise ValueError(f"{name} must be finite and >= 0; got {lam!r}")
        return float(lam)
    if (
        hasattr(lam, "get")
        and not isinstance(lam, np.ndarray)
        and hasattr(lam, "__cuda_array_interface__")
    ):
        lam = lam.get()  # cupy: λ is small and lives on the host
    arr = np.asarray(lam)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(
            f"{name} must be a real number or a 1-D array of reals; got {_describe(lam)}"
        )
    if arr.ndim == 0:
        return check_lam_values(float(arr), name)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty 1-D array; got {_describe(lam)}")
    bad = ~np.isfinite(arr) | (arr < 0)
    if np.any(bad):
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite and >= 0 everywhere; got {arr[first]!r} at index {first}"
        )
    out = arr.astype(np.float64, copy=True)
    out.flags.writeable = False
    return out


def check_vector(value: Any, name: str, size: int, xp: Any) -> Any:
    """A finite 1-D view of ``value`` with ``size`` entries (other shapes are flattened)."""
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        value = np.asarray(value)
    if value.dtype == object or not (
        np.issubdtype(value.dtype, np.number) and not np.issubdtype(value.dtype, np.timedelta64)
    ):
        raise TypeError(f"{name} must be a numeric array; got {_describe(value)}")
    if int(np.prod(value.shape)) != size:
        raise ValueError(f"{name} must have {size} entries to match A; got {_describe(value)}")
    flat = value.reshape(size)
    if not bool(xp.all(xp.isfinite(flat))):
        n_bad = int(xp.sum(~xp.isfinite(flat)))
        raise ValueError(f"{name} must be finite; got {n_bad} NaN or infinite entries")
    return flat
