"""Checks and random draws shared by the problem generators (private)."""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups


def as_rng(rng: Any) -> np.random.Generator:
    """A generator from a seed, a generator (used as is) or None (fresh entropy)."""
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"rng must be None, an integer seed or a numpy.random.Generator; got {rng!r} ({err})"
        ) from None


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
        raise TypeError(f"snr_db must be None or a real number of decibels; got {snr_db!r}")
    if not np.isfinite(snr_db):
        raise ValueError(f"snr_db must be finite (None means noiseless); got {snr_db!r}")
    return float(snr_db)


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


def block_groups(sizes: Sequence[int], labels: Sequence[Hashable]) -> Groups:
    """Contiguous blocks of the given sizes, with labels."""
    sizes = np.asarray(sizes, dtype=np.intp)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return Groups(offsets, np.arange(offsets[-1]), labels=list(labels))


def gaussian_matrix(rng: np.random.Generator, n_measurements: int, n_features: int) -> NDArray:
    """iid N(0, 1/m) entries, so that every column has norm close to 1."""
    return rng.standard_normal((n_measurements, n_features)) / np.sqrt(n_measurements)
