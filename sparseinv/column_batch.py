"""Operators that act on many columns at once, declared to the solvers as one batch."""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv._validation import _describe as describe
from sparseinv._validation import check_flag, check_positive_number

__all__ = ["ColumnBatch"]


class ColumnBatch:
    """Declare that an operator acts on each column of an ``(n, k)`` model on its own.

    Many pylops operators can apply one modelling operator to many traces at once:
    ``Convolve1D(dims=(nt, k), axis=0)``, ``MatrixMult(A, otherdims=(k,))``, FFTs
    along an axis... They have shape ``(m·k, n·k)`` and act on an ``(n, k)`` model
    flattened in C order, column ``j`` of the data depending on column ``j`` of the
    model only. Wrapped in a ``ColumnBatch``, such an operator takes a data block
    ``B`` of shape ``(m, k)`` in the solvers, and a batch of ``k`` traces costs one
    vectorized application instead of ``k``. With ``columns_first=True`` the
    operator acts on the transposed layout, a ``(k, n)`` model in C order (each
    column contiguous), as built with the column axis first:
    ``Convolve1D(dims=(k, nt), axis=1)``, ``FFT2D(dims=(k, nx, nt), axes=(1, 2))``.

    Parameters
    ----------
    operator : LinearOperator
        A scipy or pylops operator of shape ``(m·k, n·k)``.
    n_columns : int
        The number ``k`` of columns it acts on.
    resize : callable, optional
        ``resize(columns)`` returns the same operator restricted to the columns
        ``columns`` (a sorted array of indices into the ``k``), of shape
        ``(m·c, n·c)`` for ``c = len(columns)``: e.g.
        ``lambda cols: Convolve1D((nt, len(cols)), h=wavelet, axis=0)`` when every
        column sees the same operator. With it, the work follows the running columns.
    columns_first : bool, optional
        The operator acts on a ``(k, n)`` model and gives ``(k, m)`` data (in C
        order): the column index is the first axis of its ``dims``, not the last.
        Transforms along contiguous axes are often faster: a 2-D FFT of 16 gathers
        of 64×128 over ``(k, nx, nt)``, with the transposes this option adds to each
        application, took about 0.6 of the time of one over ``(nx, nt, k)``.

    Attributes
    ----------
    shape : tuple of int
        ``(m, n)``: the shape of the operator one column sees.
    n_columns : int
    dtype : numpy.dtype
    resize : callable or None

    Notes
    -----
    Without ``resize``, every application acts on all ``k`` columns, so columns
    that have converged keep costing work (they are given zeros). With it, the
    operator is rebuilt on the running columns each time their number has fallen to
    half the width of the operator in use (at most ``log2 k`` rebuilds, and never
    more than twice the work of the running columns); an explicit matrix or a
    per-column operator, applied with ``matmat``, is applied to the running columns
    only. Nothing checks that the operator really is column-separable: the dot test
    ``pylops.utils.dottest`` and a comparison with a per-column solve are the way
    to make sure.

    Examples
    --------
    >>> import numpy as np, pylops, sparseinv as si
    >>> k = 3
    >>> Op = pylops.MatrixMult(np.array([[1.0, 2.0]]), otherdims=(k,))
    >>> batch = si.ColumnBatch(Op, n_columns=k)
    >>> batch.shape, batch.n_columns
    ((1, 2), 3)
    >>> res = si.fista(batch, np.array([[5.0, 0.0, -5.0]]), si.L2(1e-9), tol=1e-12)
    >>> np.round(res.x, 6).tolist()
    [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0]]
    """

    __slots__ = ("columns_first", "dtype", "n_columns", "operator", "resize", "shape")

    def __init__(
        self, operator: Any, *, n_columns: int, resize: Any = None, columns_first: bool = False
    ) -> None:
        k = check_positive_number(n_columns, "n_columns", integer=True)
        columns_first = check_flag(columns_first, "columns_first")
        shape = getattr(operator, "shape", None)
        if shape is None or len(shape) != 2 or not hasattr(operator, "matvec"):
            raise TypeError(
                f"operator must be a scipy or pylops LinearOperator; got {describe(operator)}"
            )
        m_all, n_all = int(shape[0]), int(shape[1])
        if m_all % k or n_all % k:
            raise ValueError(
                f"operator must have shape (m·{k}, n·{k}) to act on n_columns={k} columns; "
                f"got shape {(m_all, n_all)}"
            )
        if resize is not None and not callable(resize):
            raise TypeError(
                f"resize must be a callable columns -> operator, or None; got {describe(resize)}"
            )
        self.operator = operator
        self.n_columns = k
        self.shape = (m_all // k, n_all // k)
        self.dtype = np.dtype(operator.dtype)
        self.resize = resize
        self.columns_first = columns_first

    def restricted(self, columns: np.ndarray) -> Any:
        """The operator on ``columns`` only, built by ``resize`` and checked.

        Parameters
        ----------
        columns : ndarray of int
            Sorted indices of the columns to keep.

        Returns
        -------
        LinearOperator
            Of shape ``(m·c, n·c)``, ``c = len(columns)``.
        """
        if len(columns) == self.n_columns:
            return self.operator
        op = self.resize(columns)
        m, n = self.shape
        c = len(columns)
        if tuple(getattr(op, "shape", ())) != (m * c, n * c) or not hasattr(op, "rmatvec"):
            raise ValueError(
                f"resize must return an operator of shape ({m}·c, {n}·c) for c = {c} columns; "
                f"got {describe(op)}"
            )
        return op

    def __repr__(self) -> str:
        name = type(self.operator).__name__
        return f"ColumnBatch({name}, shape={self.shape}, n_columns={self.n_columns})"
