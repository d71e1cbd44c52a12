"""Overlapping windows over a section, laid out as pylops ``Patch2D`` lays them out."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from pylops.signalprocessing import patch2d_design

from sparseinv._validation import check_positive_number

__all__ = ["window_layout"]


def window_layout(
    shape: tuple[int, int],
    window: tuple[int, int],
    overlap: tuple[int, int] | None = None,
    *,
    local_shape: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """How overlapping windows of ``window`` samples cover a ``shape`` section (pylops ``Patch2D``).

    Parameters
    ----------
    shape : (int, int)
        Section size ``(traces, samples)``.
    window : (int, int)
        Window size, at most ``shape``.
    overlap : (int, int), optional
        Overlap of neighbours, at most half the window (the tapers of ``Patch2D``);
        default ``window // 2``. A window as large as the section has no overlap along
        that axis.
    local_shape : (int, int), optional
        Shape of one window's coefficients (the local transform's model); default
        ``window``.

    Returns
    -------
    dict
        ``"window"``, ``"overlap"``, ``"n_windows"``, ``"grid"`` (windows along each
        axis), ``"model_shape"`` (all coefficients, as ``Patch2D`` lays them out),
        ``"data_ranges"`` (per window, ``((x0, x1), (t0, t1))`` of the section),
        ``"model_slices"`` (per window, the slice of the flat coefficient vector) and
        ``"labels"``.

    Raises
    ------
    ValueError
        When the windows do not tile the section exactly (the last window would stop
        short of its end); the message names the window sizes that would.

    Examples
    --------
    >>> layout = window_layout((40, 60), (20, 30))
    >>> layout["grid"], layout["n_windows"], layout["data_ranges"][1]
    ((3, 3), 9, ((0, 20), (15, 45)))
    """
    shape = _pair(shape, "shape")
    window = _pair(window, "windows")
    if overlap is None:
        overlap = tuple(0 if w == n else w // 2 for w, n in zip(window, shape, strict=True))
    overlap = _pair(overlap, "overlap", allow_zero=True)
    local_shape = window if local_shape is None else _pair(local_shape, "local_shape")
    starts = []
    for axis, (n, w, o) in enumerate(zip(shape, window, overlap, strict=True)):
        what = ("traces", "samples")[axis]
        if w > n or 2 * o > w:
            # Patch2D's Hanning tapers span the overlap from both sides: at most half
            raise ValueError(
                f"windows must be at most the section ({n} {what}) and overlap at most half "
                f"the window; got window {w}, overlap {o} along the {what}"
            )
        step = w - o
        if (n - w) % step:
            fits = [v for v in range(max(2 * o, o + 1), n + 1) if (n - v) % (v - o) == 0]
            near = sorted(fits, key=lambda v: abs(v - w))[:3]
            raise ValueError(
                f"windows of {w} {what} with overlap {o} do not tile {n} {what} "
                f"((n - window) % (window - overlap) = {(n - w) % step}); with that overlap "
                f"windows of {sorted(near)} {what} do"
            )
        starts.append(np.arange(0, n - w + 1, step))
    nwins, model_shape, _, _ = patch2d_design(shape, window, overlap, local_shape)
    if tuple(nwins) != tuple(len(s) for s in starts):
        raise ValueError(
            f"pylops lays out {nwins} windows where {len(starts[0])} x {len(starts[1])} tile"
        )
    size = local_shape[0] * local_shape[1]
    ranges, slices, labels = [], [], []
    # Patch2D lays the coefficients out as (nwins_x, nwins_t, *local_shape): window
    # (i, j) is one contiguous block of the flat vector
    for k, (sx, st) in enumerate(itertools.product(*starts)):
        ranges.append(((int(sx), int(sx) + window[0]), (int(st), int(st) + window[1])))
        slices.append(slice(k * size, (k + 1) * size))
        labels.append(f"traces {sx}-{sx + window[0] - 1}, samples {st}-{st + window[1] - 1}")
    return {
        "window": window,
        "overlap": overlap,
        "n_windows": len(ranges),
        "grid": tuple(int(v) for v in nwins),
        "model_shape": (int(model_shape[0]), int(model_shape[1])),
        "local_shape": local_shape,
        "data_ranges": ranges,
        "model_slices": slices,
        "labels": labels,
    }


def _pair(value: Any, name: str, *, allow_zero: bool = False) -> tuple[int, int]:
    try:
        a, b = value
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair of ints; got {value!r}") from None
    return (
        check_positive_number(a, f"{name}[0]", integer=True, allow_zero=allow_zero),
        check_positive_number(b, f"{name}[1]", integer=True, allow_zero=allow_zero),
    )
