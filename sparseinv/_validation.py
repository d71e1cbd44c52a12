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


_MAX_INT = int(np.iinfo(np.int64).max)


def _as_float(value: Any, name: str) -> float:
    """A real number (int, float, Fraction, Decimal, numpy scalar) as a float."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite; got {_describe(value)}") from None


def check_positive_number(
    value: Any, name: str, *, allow_zero: bool = False, integer: bool = False
) -> Any:
    """A finite real number > 0 (or >= 0); an integer when ``integer``."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
        expected = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {expected}; got {_describe(value)}")
    if integer:
        out: Any = int(value)
        finite = out <= _MAX_INT
    else:
        out = _as_float(value, name)
        finite = bool(np.isfinite(out))
    bound_ok = out >= 0 if allow_zero else out > 0
    if not finite or not bound_ok:
        need = ">= 0" if allow_zero else "> 0"
        if integer:
            need += f" and at most {_MAX_INT}"
        raise ValueError(f"{name} must be finite and {need}; got {_describe(value)}")
    return out


def check_flag(value: Any, name: str) -> bool:
    """A bool (or numpy bool); anything else is a TypeError naming the option."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {_describe(value)}")
    return bool(value)


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """A numpy Generator from a seed (int >= 0), a Generator (used as is) or None.

    A ``TypeError`` names ``rng`` for anything else (a string, a float, a legacy
    ``RandomState``) and a ``ValueError`` a negative seed, instead of numpy's
    ``SeedSequence`` messages that do not say which argument was wrong.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is not None and (
        isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral)
    ):
        raise TypeError(
            f"{name} must be None, an integer seed or a numpy.random.Generator; "
            f"got {_describe(rng)}"
        )
    if rng is not None and rng < 0:
        raise ValueError(f"{name} must be a non-negative integer seed; got {rng!r}")
    return np.random.default_rng(rng)


def check_callback(callback: Any) -> Any:
    """None or a callable."""
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None; got {_describe(callback)}")
    return callback


def check_lam_values(lam: Any, name: str = "lam") -> float | NDArray[np.float64]:
    """λ as a float or a read-only 1-D or 2-D float64 copy: >= 0, ``inf`` allowed, no NaN.

    λ = 0 leaves a coefficient unpenalized and λ = inf forces it to 0 (both exactly).
    """
    if isinstance(lam, numbers.Real) and not isinstance(lam, (bool, np.bool_)):
        value = _as_float(lam, name)  # an integer beyond float64 is an error, not inf
        if np.isnan(value) or value < 0:
            raise ValueError(f"{name} must be >= 0 (inf allowed: it forces 0); got {lam!r}")
        return value
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
    if arr.ndim > 2 or arr.size == 0:
        raise ValueError(
            f"{name} must be a number or a non-empty 1-D or 2-D array; got {_describe(lam)}"
        )
    bad = np.isnan(arr) | (arr < 0)
    if np.any(bad):
        first = np.unravel_index(int(np.flatnonzero(bad)[0]), arr.shape)
        where = first[0] if arr.ndim == 1 else tuple(int(i) for i in first)
        raise ValueError(
            f"{name} must be >= 0 everywhere (inf allowed: it forces 0); got {arr[first]!r} "
            f"at index {where}"
        )
    out = arr.astype(np.float64, copy=True)
    out.flags.writeable = False
    return out


def _numeric(value: Any, name: str) -> Any:
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        value = np.asarray(value)
    if np.dtype(value.dtype).kind not in "biufc":
        raise TypeError(f"{name} must be a numeric array; got {_describe(value)}")
    return value


def check_vector(value: Any, name: str, size: int, xp: Any) -> Any:
    """A finite 1-D view of ``value`` with ``size`` entries (other shapes are flattened)."""
    value = _numeric(value, name)
    if int(np.prod(value.shape)) != size:
        raise ValueError(f"{name} must have {size} entries to match A; got {_describe(value)}")
    flat = value.reshape(size)
    if not bool(xp.all(xp.isfinite(flat))):
        n_bad = int(xp.sum(~xp.isfinite(flat)))
        raise ValueError(f"{name} must be finite; got {n_bad} NaN or infinite entries")
    return flat


def check_block(
    value: Any,
    name: str,
    rows: int,
    xp: Any,
    *,
    columns: int | None = None,
    vector: bool = False,
) -> Any:
    """A finite ``(rows, k)`` view of ``value`` and whether it was given as a batch.

    A 2-D ``value`` with ``rows`` rows is a batch of its columns (``columns`` of them
    when given), even of one column; any other array with ``rows`` entries is one
    vector (flattened). ``vector`` words the error for a single vector.
    Non-finite entries are reported with the first column that holds one.
    """
    value = _numeric(value, name)
    shape = tuple(value.shape)
    if len(shape) == 2 and shape[0] == rows:
        block, batched = value, True
    elif int(np.prod(shape)) == rows:
        block, batched = value.reshape(rows, 1), False
    else:
        if vector:
            expected = f"{rows} entries"
        elif columns is None:
            expected = f"shape ({rows},) or ({rows}, k)"
        else:
            expected = f"shape ({rows}, {columns})"
        raise ValueError(f"{name} must have {expected} to match A; got {_describe(value)}")
    if columns is not None and block.shape[1] != columns:
        raise ValueError(
            f"{name} must have shape ({rows}, {columns}) to match the other arguments; "
            f"got {_describe(value)}"
        )
    if block.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column; got {_describe(value)}")
    finite = xp.isfinite(block).all(axis=0)
    if not bool(finite.all()):
        bad = np.flatnonzero(~np.asarray(finite.get() if hasattr(finite, "get") else finite))
        n_bad = int(xp.sum(~xp.isfinite(block)))
        where = f" (in column {int(bad[0])})" if batched else ""
        raise ValueError(f"{name} must be finite; got {n_bad} NaN or infinite entries{where}")
    return block, batched
