"""Array helpers of the penalty blocks and their dual: |x|² and the soft threshold.

They work on numpy and cupy arrays alike and keep the dtype of their input (a
float32 block stays float32).
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = Any
Coef = Any  # a float or a block broadcasting against (rows, columns)


def abs2(x: Array) -> Array:
    """|x|² without a square root (complex-safe), in the real dtype of ``x``."""
    if x.dtype.kind == "c":
        return x.real * x.real + x.imag * x.imag
    return x * x


def soft(v: Array, thresh: Coef, xp: Any) -> Array:
    """Soft threshold, complex-safe: ``v · max(|v| - t, 0)/|v|`` keeps the phase."""
    if v.dtype.kind != "c":
        return v - xp.clip(v, -thresh, thresh)
    mag = xp.abs(v)
    tiny = np.finfo(mag.dtype).tiny
    return v * (xp.maximum(mag - thresh, 0) / xp.maximum(mag, tiny))
