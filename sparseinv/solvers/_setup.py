"""Checks and set-up shared by every solver: operator view, data, start, penalty, backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sparseinv._validation import check_block, check_callback, check_positive_number
from sparseinv.backend import Space, array_module
from sparseinv.operators import CountingOperator, as_operator
from sparseinv.penalties import BoundPenalty, Penalty

Array = Any


@dataclass(frozen=True)
class Setup:
    """A validated problem, every vector as a ``(rows, columns)`` block.

    Attributes
    ----------
    op : CountingOperator
        The operator view, counters at zero.
    b : array
        Data block ``(m, k)``.
    x0 : array
        Start block ``(n, k)``, a fresh copy in the solve's dtype.
    penalty : BoundPenalty
        The penalty with its λ block on the solve's device and dtype.
    space : Space
        Array module and reductions.
    dtype : numpy.dtype
        dtype of the iterates.
    batched : bool
        Whether ``b`` was given as a 2-D block (the result then has one column per
        right-hand side).
    output : callable
        Turns a final ``(n, k)`` block into what the caller gets back.
    columns : ndarray of int
        The operator's column indices of the data columns (all by default).
    power_start : array, optional
        The start vector of the step estimate (a distributed solve passes its local
        part of the serial start).
    scale : ndarray, optional
        Per-column powers of two the data were divided by (see :func:`data_scale`);
        the result's x is multiplied back and its objective by ``scale**2``.
    """

    op: CountingOperator
    b: Array
    x0: Array
    penalty: BoundPenalty
    space: Space
    dtype: np.dtype
    batched: bool
    output: Any
    columns: np.ndarray | None = None
    power_start: Any = None
    scale: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.columns is None:
            object.__setattr__(self, "columns", np.arange(self.b.shape[1]))

    def subset(self, idx: np.ndarray, x0: Array) -> Setup:
        """The same problem for the columns at positions ``idx``, started at ``x0``."""
        return Setup(
            op=self.op,
            b=self.b[:, idx],
            x0=x0,
            penalty=self.penalty.take(idx),
            space=self.space,
            dtype=self.dtype,
            batched=True,
            output=lambda X: X,
            columns=self.columns[idx],
            power_start=self.power_start,
        )

    @property
    def xp(self) -> Any:
        return self.space.xp

    @property
    def n_columns(self) -> int:
        return int(self.b.shape[1])


def prepare(A: Any, b: Any, penalty: Any, x0: Any, *, column_sq: np.ndarray | None = None) -> Setup:
    """Validate the common arguments; nothing the caller passed is modified or aliased.

    ``column_sq``: the known column squares of a checked numpy matrix (see
    :class:`~sparseinv.operators.CountingOperator`).
    """
    if not isinstance(penalty, Penalty):
        raise TypeError(
            "penalty must be a sparseinv penalty (sparseinv.L0, L1 or L2); "
            f"got {type(penalty).__name__}"
        )
    from sparseinv import distributed

    if distributed.is_distributed(A, b):
        return distributed.prepare(A, b, penalty, x0)
    op = as_operator(A) if column_sq is None else CountingOperator(A, column_sq=column_sq)
    m, n = op.shape
    xp = array_module(b) if hasattr(b, "shape") else np
    B, batched = check_block(b, "b", m, xp, columns=op.batch)
    if penalty.couples_columns and batched and B.shape[1] > 1:
        from sparseinv.solvers._coupled import prepare_coupled  # one problem, not k

        return prepare_coupled(op, B, penalty, x0, xp)
    k = int(B.shape[1])
    dtype = working_dtype(op.dtype, B.dtype)
    if x0 is None:
        start = xp.zeros((n, k), dtype=dtype)
    else:
        X0, _ = check_block(x0, "x0", n, xp, columns=k if batched else None, vector=not batched)
        start = X0.astype(np.result_type(dtype, X0.dtype), order="C", copy=True)
        dtype = start.dtype
    op.track_columns(k)
    space = Space(xp)
    return assemble(
        op=op,
        # row-major like the iterates: a column-major B (a transposed array) made every
        # residual a mixed-layout operation (dense CS, 64 columns: 1.12x the time)
        B=B.astype(dtype, order="C", copy=False),
        X0=start,
        pen=penalty.bind(space, n, k, batched=batched, dtype=dtype),
        space=space,
        dtype=dtype,
        batched=batched,
        output=(lambda X: X) if batched else (lambda X: X[:, 0]),
    )


def assemble(
    *,
    op: CountingOperator,
    B: Array,
    X0: Array,
    pen: BoundPenalty,
    space: Space,
    dtype: Any,
    batched: bool,
    output: Any,
    power_start: Any = None,
) -> Setup:
    """The Setup of validated blocks, extreme data rescaled (see :func:`data_scale`).

    The start is projected onto the penalty's bounds (and set to 0 where λ = ∞),
    where the objective is finite.
    """
    X0 = pen.feasible(X0)
    scale = data_scale(space, B)
    if scale is not None:
        B, X0, pen = rescale(space, B, X0, pen, scale, dtype)
        unscaled = output
        output = lambda X: unscaled(X * space.columns(scale, X.real.dtype))  # noqa: E731
    return Setup(
        op=op,
        b=B,
        x0=X0,
        penalty=pen,
        space=space,
        dtype=np.dtype(dtype),
        batched=batched,
        output=output,
        power_start=power_start,
        scale=scale,
    )


_EXTREME = 2.0**100  # data beyond this factor from 1 are rescaled, so that squares neither
# overflow nor underflow


def data_scale(space: Space, B: Array) -> np.ndarray | None:
    """Per-column powers of two that bring extreme data near 1, or None when none is extreme.

    A power of two scales without rounding, so the solve of the rescaled problem
    takes the same steps as that of the original, with squares (½‖r‖², the duality
    gap) that stay in range: data of 1e-300 or 1e300 are solved as well as data of 1.
    """
    top = space.data.max(space.xp.abs(B))
    extreme = (top > 0) & ((top > _EXTREME) | (top < 1.0 / _EXTREME))
    if not extreme.any():
        return None
    exponent = np.frexp(np.where(extreme, top, 1.0))[1]
    return np.ldexp(1.0, np.where(extreme, exponent, 0))


def rescale(
    space: Space, B: Array, X0: Array, pen: BoundPenalty, scale: np.ndarray, dtype: Any
) -> tuple[Array, Array, BoundPenalty]:
    """b/s, x0/s and the penalty of the variable x/s: the same problem, F divided by s²."""
    real = np.empty(0, dtype=dtype).real.dtype
    col = space.columns(scale, real)
    return B / col, X0 / col, pen.rescaled(scale)


def working_dtype(op_dtype: Any, b_dtype: Any) -> np.dtype:
    """The dtype the iterates live in: that of A and b together, at least float32."""
    dtype = np.result_type(op_dtype, b_dtype)
    if dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    if dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        raise TypeError(
            f"b must have dtype float32, float64, complex64 or complex128 (with A of dtype "
            f"{np.dtype(op_dtype)}); got {np.dtype(b_dtype)}"
        )
    return np.dtype(dtype)


def check_options(
    *, step: float | None, max_iter: int, tol: float, callback: Any = None
) -> dict[str, Any]:
    """Validate the options every solver shares."""
    if step is not None:
        step = check_positive_number(step, "step")
    return {
        "step": step,
        "max_iter": check_positive_number(max_iter, "max_iter", integer=True),
        "tol": check_positive_number(tol, "tol", allow_zero=True),
        "callback": check_callback(callback),
    }
