"""Norms computed without overflow or underflow, for data at any scale (private)."""

from __future__ import annotations

from typing import Any

import numpy as np


def scaled_norm(xp: Any, v: Any) -> tuple[float, float]:
    r"""``(scale, s)`` with :math:`\|v\|_2 = \text{scale} \cdot \sqrt{s}`, free of over/underflow.

    ``scale = max_i |v_i|`` (over real and imaginary parts) and ``s`` is the sum of
    squares of ``v / scale``, in ``[1, 2 v.size]``: squaring the raw entries would
    overflow from about 1e154 and underflow below 1e-162. ``(0.0, 0.0)`` for a zero
    or empty ``v``.
    """
    if v.size == 0:
        return 0.0, 0.0
    if v.dtype.kind == "c":
        v = xp.concatenate([v.real, v.imag])
    if v.dtype.kind != "f" or v.dtype.itemsize < 8:
        v = v.astype(np.float64)  # integers (abs(int_min) wraps) and low precision
    scale = float(xp.max(xp.abs(v)))
    if scale == 0.0:
        return 0.0, 0.0
    w = v / scale
    return scale, float(xp.sum(w * w))
