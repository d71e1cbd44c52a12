r"""A penalty that couples the columns of a data block makes the batch one problem.

The solver loop treats each column of a block as its own problem: its own step,
momentum, restart, stopping test, and it retires a column as soon as that column
has converged. A penalty such as ``L21(lam, rows=True)``,
:math:`\sum_i\lambda_i\|X_{i,:}\|_2`, is not a sum over the columns, so none of that
holds: the prox needs every column at once, the objective and its certificate
exist only for the whole block, and a column must not stop on its own.

Rather than teaching the loop a second mode, the block problem is rewritten as the
single-column problem it is: the unknown :math:`\operatorname{vec}(X)` (column-major,
entry ``i + j·n`` is ``X[i, j]``), the data :math:`\operatorname{vec}(B)`, the operator
:math:`I_k \otimes A` (applied as ``A`` on the ``(n, k)`` block, one block
application per iteration) and the group penalty with one group per row of X. The
loop then runs its one-column path: one step, one momentum, one stopping test for
the batch, and no column leaves it. The result carries the ``(n, k)`` solution and
the scalar fields of one problem.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv._validation import check_block
from sparseinv.backend import Space
from sparseinv.operators import CountingOperator

Array = Any


def prepare_coupled(op: CountingOperator, B: Array, penalty: Any, x0: Any, xp: Any) -> Any:
    """The one-column :class:`~sparseinv.solvers._setup.Setup` of a column-coupled block."""
    from sparseinv.solvers._setup import assemble, working_dtype

    m, n = op.shape
    k = int(B.shape[1])
    dtype = working_dtype(op.dtype, B.dtype)
    if x0 is None:
        X0 = xp.zeros((n, k), dtype=dtype)
    else:
        X0, _ = check_block(x0, "x0", n, xp, columns=k)
        X0 = X0.astype(np.result_type(dtype, X0.dtype), copy=True)
        dtype = X0.dtype
    op.track_columns(k)

    def forward(V: Array) -> Array:
        return _vec(op.forward(_unvec(V, n, k)))

    def adjoint(V: Array) -> Array:
        return _vec(op.adjoint(_unvec(V, m, k)))

    vec_op = CountingOperator.from_functions(op.operator, (m * k, n * k), dtype, forward, adjoint)
    space = Space(xp)
    pen = penalty.vectorized(n, k).bind(space, n * k, 1, batched=False, dtype=dtype)
    return assemble(
        op=vec_op,
        B=_vec(B.astype(dtype, copy=False)),
        X0=_vec(X0),
        pen=pen,
        space=space,
        dtype=dtype,
        batched=False,
        output=lambda V: xp.ascontiguousarray(_unvec(V, n, k)),
    )


def _vec(X: Array) -> Array:
    """``(rows, k)`` -> ``(rows·k, 1)``, column after column."""
    return X.T.reshape(-1, 1)


def _unvec(V: Array, rows: int, k: int) -> Array:
    """``(rows·k, 1)`` -> ``(rows, k)`` (a view)."""
    return V[:, 0].reshape(k, rows).T
