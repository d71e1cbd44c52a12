"""Checks and random draws shared by the problem generators (private)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv._validation import _describe, check_positive_number, check_rng
from sparseinv.groups import Groups

__all__ = [
    "block_groups",
    "check_choice",
    "check_count",
    "check_fraction",
    "check_rng",
    "check_snr",
    "distinct_format",
    "draw_amplitudes",
    "draw_subset",
    "gaussian_matrix",
    "n_kept",
]


def check_choice(value: Any, name: str, options: Sequence[str]) -> str:
    """``value`` if it is one of ``options``."""
    if not isinstance(value, str) or value not in options:
        expected = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {expected}; got {value!r}")
    return value


def check_fraction(value: Any, name: str) -> float:
    """A real number in (0, 1]."""
    value = check_positive_number(value, name)
    if value > 1:
        raise ValueError(f"{name} must be in (0, 1]; got {value!r}")
    return value


def check_snr(snr_db: Any) -> float | None:
    """None (noiseless) or a finite real number of decibels."""
    if snr_db is None:
        return None
    if isinstance(snr_db, bool) or not isinstance(snr_db, numbers.Real):
        raise TypeError(
            f"snr_db must be None or a real number of decibels; got {_describe(snr_db)}"
        )
    try:
        # float() first: np.isfinite rejects a Fraction, and 10**400 overflows
        value = float(snr_db)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"snr_db must be finite (None means noiseless); got {_describe(snr_db)}")
    return value


def check_count(value: Any, name: str, upper: int, upper_name: str) -> int:
    """An integer in [0, upper]."""
    value = check_positive_number(value, name, allow_zero=True, integer=True)
    if value > upper:
        raise ValueError(f"{name} must be <= {upper_name} ({upper}); got {value}")
    return value


def n_kept(fraction: float, n: int) -> int:
    """How many of ``n`` items a fraction keeps: rounded, at least one."""
    return max(1, round(fraction * n))


def draw_subset(rng: np.random.Generator, n: int, k: int) -> NDArray[np.intp]:
    """``k`` distinct indices of ``0 .. n - 1``, sorted."""
    return np.sort(rng.choice(n, size=k, replace=False)).astype(np.intp)


def draw_amplitudes(rng: np.random.Generator, k: int, kind: str) -> NDArray[np.float64]:
    """``k`` amplitudes: random signs (``"sign"``) or standard normal (``"gaussian"``)."""
    if kind == "sign":
        return rng.choice(np.array([-1.0, 1.0]), size=k)
    return rng.standard_normal(k)


def distinct_format(values: ArrayLike, decimals: int) -> Callable[[float], str]:
    """A number format that prints the distinct ``values`` distinctly.

    ``decimals`` fixed decimals, or more where they are needed (group labels must be
    distinct, and intervals narrower than the default rounding, e.g. one time sample
    per window, would print alike); significant digits for values too small for
    fixed decimals.
    """
    values = np.unique(np.asarray(values, dtype=float))
    for d in range(decimals, 18):
        if len({f"{v:.{d}f}" for v in values}) == values.size:
            return lambda v, d=d: f"{v:.{d}f}"
    for p in range(1, 18):
        if len({f"{v:.{p}g}" for v in values}) == values.size:
            break
    return lambda v, p=p: f"{v:.{p}g}"


def block_groups(sizes: Sequence[int], labels: Sequence[Hashable]) -> Groups:
    """Contiguous blocks of the given sizes, with labels."""
    sizes = np.asarray(sizes, dtype=np.intp)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return Groups(offsets, np.arange(offsets[-1]), labels=list(labels))


def gaussian_matrix(rng: np.random.Generator, n_measurements: int, n_features: int) -> NDArray:
    """iid N(0, 1/m) entries, so that every column has norm close to 1."""
    return rng.standard_normal((n_measurements, n_features)) / np.sqrt(n_measurements)
