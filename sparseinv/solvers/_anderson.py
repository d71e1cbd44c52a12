r"""Anderson extrapolation of the proximal-gradient iterates, from a memory of their differences.

The loop hands every iteration's difference :math:`u = x_{k+1} - x_k` (and
:math:`A u`, which it has anyway) to a :class:`Memory`, a ring of ``M`` preallocated
slots: at most one copy per iteration, no re-stacking. Every ``M`` iterations of a column's
run (``2M``, then ``4M`` after tries that were rejected; ``M`` again after one that
moved the column), the weights :math:`c` (summing to 1) that minimize
:math:`\|\sum_i c_i u_i\|` combine its last ``M + 1`` iterates (Bertrand & Massias,
2021, as in celer and skglm); since the iterates are the last one minus partial
sums of differences,

.. math::

    x_e = \sum_{i=0}^{M-1} c_i x_{i+1} = x_M - \sum_{l=1}^{M-1} C_l u_l,
    \qquad C_l = \sum_{i<l} c_i,

the combination and :math:`A x_e` (the same combination of the stored
:math:`A u_l`) cost one pass each and no operator application. The Gram matrix of
the ``M`` differences is one matrix product (one reduction across processes) per
extrapolation: the windows of successive extrapolations do not overlap, so an
update of it one row per iteration would compute the same entries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv.backend import Reducer
from sparseinv.solvers._problem import Problem
from sparseinv.solvers._state import Batch

Array = Any

_MAX_WEIGHT = 1e3  # ‖c‖₁ beyond this: the combination would amplify rounding
_MAX_BACKOFF = 4  # rejected tries stretch the wait to at most this many memories
_TINY = np.finfo(float).tiny


class Memory:
    """The last ``size`` differences of the iterates (and of their images) of a batch.

    Parameters
    ----------
    size : int
        Differences combined by one extrapolation (``M``).
    model_shape, data_shape : tuple of int
        ``(n, c)`` and ``(m, c)``.
    xp : module
    dtype : dtype
    """

    def __init__(
        self,
        size: int,
        model_shape: tuple[int, int],
        data_shape: tuple[int, int],
        xp: Any,
        dtype: Any,
    ) -> None:
        self.size = size
        self.xp = xp
        self.dx = xp.empty((size, *model_shape), dtype=dtype)
        self.da = xp.empty((size, *data_shape), dtype=dtype)
        self.filled = np.zeros(model_shape[1], dtype=np.int64)  # differences of each column's run
        # differences before a column's next try: doubled by a rejected extrapolation
        # (up to _MAX_BACKOFF memories), back to one memory after an accepted one
        self.wait = np.full(model_shape[1], size, dtype=np.int64)
        self.cursor = 0  # the slot the next difference goes to

    def push(self, mom: Array, amom: Array) -> None:
        """Store one difference of every column (``filled`` is the caller's to update)."""
        self.dx[self.cursor] = mom
        self.da[self.cursor] = amom
        self.cursor = (self.cursor + 1) % self.size

    def take(self, idx: np.ndarray) -> Memory:
        """The memory of the columns at positions ``idx``."""
        out = Memory.__new__(Memory)
        out.size, out.xp, out.cursor = self.size, self.xp, self.cursor
        out.dx, out.da = self.dx[:, :, idx], self.da[:, :, idx]
        out.filled, out.wait = self.filled[idx], self.wait[idx]
        return out

    def order(self) -> list[int]:
        """The slots, oldest difference first."""
        return [(self.cursor + i) % self.size for i in range(self.size)]

    def of(self, idx: np.ndarray | None) -> tuple[Array, Array]:
        """The stored differences of columns ``idx`` (None: all, no copy), in slot order."""
        if idx is None:
            return self.dx, self.da
        return self.dx[:, :, idx], self.da[:, :, idx]


def anderson_point(
    memory: Memory, idx: np.ndarray | None, x: Array, ax: Array, reducer: Reducer, real: Any
) -> tuple[Array, Array, np.ndarray, np.ndarray] | None:
    """The extrapolated ``x_e``, ``A x_e``, the weights' ``‖c‖₁`` and which columns are usable.

    ``x`` and ``ax`` are the current iterates of the columns ``idx`` (None: all);
    None when no column has usable weights.
    """
    xp = memory.xp
    dx, da = memory.of(idx)  # slot order; the Gram matrix is permuted to time order
    order = memory.order()
    gram = reducer.gram(dx)[:, order][:, :, order]  # (columns, M, M), oldest first
    M = gram.shape[1]
    trace = np.trace(gram, axis1=1, axis2=2)
    gram += (1e-10 * np.maximum(trace, _TINY))[:, None, None] * np.eye(M)
    with np.errstate(all="ignore"):
        try:
            weights = np.linalg.solve(gram, np.ones((gram.shape[0], M, 1)))[..., 0]
        except np.linalg.LinAlgError:
            return None
        weights /= weights.sum(axis=1, keepdims=True)
    size = np.abs(weights).sum(axis=1)
    usable = np.all(np.isfinite(weights), axis=1) & (size <= _MAX_WEIGHT)
    if not usable.any():
        return None
    weights[~usable] = 0.0
    # x_e = x - Σ_l C_l u_l, C_l = Σ_{i<l} c_i: the weight of a difference in the iterates after it
    partial = np.zeros_like(weights)
    np.cumsum(weights[:, :-1], axis=1, out=partial[:, 1:])
    slotted = np.empty_like(partial)
    slotted[:, order] = partial  # back to the slots the differences sit in
    C = xp.asarray(slotted.T.astype(real))  # (M, columns)
    if dx.shape[2] == 1:  # one column: matrix-vector products
        x_e = x - (C[:, 0] @ dx[:, :, 0])[:, None]
        ax_e = ax - (C[:, 0] @ da[:, :, 0])[:, None]
    else:
        x_e = x - xp.einsum("lc,lnc->nc", C, dx)
        ax_e = ax - xp.einsum("lc,lmc->mc", C, da)
    return x_e, ax_e, size, usable


def extrapolate(
    memory: Memory, batch: Batch, prob: Problem, b_norm: np.ndarray, *, grow: np.ndarray
) -> tuple[np.ndarray, Array] | None:
    """Store this iteration's differences; extrapolate the columns whose memory is full.

    ``grow`` marks the columns whose run of differences continues (the others start
    their memory again). The extrapolated point replaces the iterate where F is lower
    there by more than the rounding error of its F (whose A x is combined, not
    computed): a gain within rounding would throw the momentum away for nothing, and
    accepting such gains every few iterations stalls FISTA near the optimum. The
    moved columns lose their momentum and their known gradient.

    Returns
    -------
    (ndarray, Array) or None
        The columns moved and their new iterates, or None when none moved.
    """
    filled = np.where(grow, memory.filled + 1, 0)
    # a try combines the last `size` differences: earlier ones need not be stored
    if np.any(filled > memory.wait - memory.size):
        memory.push(batch.mom, batch.amom)
    memory.filled = filled
    ready = filled >= memory.wait
    if not ready.any():
        return None
    everyone = bool(ready.all())
    idx = None if everyone else np.flatnonzero(ready)
    memory.filled[ready] = 0
    # until a try moves a column, its next one comes later (the cost of a try is a Gram
    # matrix, a solve and a pass over the memory; most are rejected on some problems)
    memory.wait[ready] = np.minimum(2 * memory.wait[ready], _MAX_BACKOFF * memory.size)
    X = batch.x if everyone else batch.x[:, idx]
    AX = batch.ax if everyone else batch.ax[:, idx]
    point = anderson_point(memory, idx, X, AX, prob.space.model, prob.real)
    if point is None:
        return None
    X_e, AX_e, size, usable = point
    sub = prob.take(idx)
    with np.errstate(over="ignore", invalid="ignore"):
        F_e = sub.objective(X_e, AX_e)
    F = batch.objective if everyone else batch.objective[idx]
    # rounding of F at x_e: ½‖Ax_e - b‖² with Ax_e a combination of weight ‖c‖₁
    eps = float(np.finfo(prob.real).eps)
    norm = b_norm if everyone else b_norm[idx]
    margin = eps * size * np.sqrt(2.0 * np.abs(F)) * norm
    better = usable & np.isfinite(F_e) & (F_e < F - margin)
    if not better.any():
        return None
    pick = np.flatnonzero(better)
    chosen = pick if everyone else idx[pick]
    memory.wait[chosen] = memory.size
    batch.x[:, chosen] = X_e[:, pick]
    batch.ax[:, chosen] = AX_e[:, pick]
    # no momentum across the jump: the next step starts from x_e itself
    batch.mom[:, chosen] = 0
    batch.amom[:, chosen] = 0
    batch.objective[chosen] = F_e[pick]
    batch.grad_known[chosen] = False
    batch.ax_exact[chosen] = False
    return chosen, X_e[:, pick]
