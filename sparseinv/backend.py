r"""What the solver loops need from the data: the array module and the reductions.

Every solver sees its vectors as blocks of shape ``(rows, columns)``: one column
per right-hand side (a 1-D problem is the batch of one). The algorithm is written
once against a :class:`Space`, chosen from the data by :func:`space_for`:

- ``xp``: the array module of the data (numpy or cupy), for the elementwise work;
- ``model`` and ``data``: one :class:`Reducer` each, for the reductions over the
  coefficients and over the measurements. A reduction returns one value per column,
  as a host ``numpy`` array of shape ``(columns,)``, so every branch of the loop is
  taken on host values.

On one process a reduction is a plain sum or maximum over the rows. Under MPI
(pylops-mpi), a reducer of a vector split over the ranks completes the local
result with an ``allreduce``, while that of a vector every rank holds whole does
not; either way every rank gets the same value and takes the same branch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Reducer", "Space", "array_module", "to_host"]

Array = Any


def array_module(x: Any) -> Any:
    """numpy or cupy, whichever ``x`` lives on (numpy for anything that is not cupy)."""
    if type(x).__module__.split(".")[0] == "cupy":
        import cupy

        return cupy
    return np


def linalg_module(xp: Any) -> Any:
    """scipy.linalg for numpy, cupyx.scipy.linalg for cupy (triangular solves and the like)."""
    if xp is np:
        import scipy.linalg

        return scipy.linalg
    import cupyx.scipy.linalg

    return cupyx.scipy.linalg


def to_host(x: Any) -> np.ndarray:
    """``x`` as a numpy array (a copy from the device for cupy)."""
    return np.asarray(x.get() if hasattr(x, "get") and not isinstance(x, np.ndarray) else x)


def host(x: Any) -> np.ndarray:
    """``x`` as a float64 numpy array (a copy from the device for cupy)."""
    return np.asarray(to_host(x), dtype=np.float64)


class Reducer:
    """Reductions over the rows of ``(rows, columns)`` blocks, one value per column.

    The base class reduces locally; a subclass completes each local result across
    processes by overriding :meth:`combine_sum` and :meth:`combine_max`.

    Parameters
    ----------
    xp : module
        numpy or cupy.

    Examples
    --------
    >>> import numpy as np
    >>> r = Reducer(np)
    >>> r.sq_norm(np.array([[3.0, 1.0], [4.0, 0.0]])).tolist()
    [25.0, 1.0]
    >>> r.max(np.array([[3.0, 1.0], [4.0, 0.0]])).tolist()
    [4.0, 1.0]
    """

    __slots__ = ("xp",)

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    # ------------------------------------------------------------ completion across processes
    def combine_sum(self, local: np.ndarray) -> np.ndarray:
        """Sum of the per-process partial results (the identity on one process)."""
        return local

    def combine_max(self, local: np.ndarray) -> np.ndarray:
        """Maximum of the per-process partial results (the identity on one process)."""
        return local

    # ------------------------------------------------------------ reductions
    def sum(self, values: Array) -> np.ndarray:
        """Column sums of a real block."""
        return self.combine_sum(host(values.sum(axis=0)))

    def vdot(self, a: Array, b: Array) -> np.ndarray:
        r"""Per column :math:`\operatorname{Re}\langle a, b\rangle = \operatorname{Re}\sum a^*b`."""
        if a.shape[1] == 1:  # one column: BLAS dot, no temporary
            xp = self.xp
            local = np.array([float(xp.vdot(a[:, 0], b[:, 0]).real)])
        else:
            local = host(_local_vdot(self.xp, a, b))
        return self.combine_sum(local)

    def sq_norm(self, a: Array) -> np.ndarray:
        """Column-wise squared Euclidean norms (real or complex)."""
        return self.vdot(a, a)

    def dots(self, pairs: Sequence[tuple[Array, Array]]) -> np.ndarray:
        r"""Per column :math:`\operatorname{Re}\langle a, b\rangle` of several pairs at once.

        One reduction across processes for all the pairs (one collective under MPI
        instead of one per pair), each partial result computed as :meth:`vdot` does;
        the sums are combined in rank order, so every process gets the same bits.

        Parameters
        ----------
        pairs : sequence of (array, array)
            Blocks of the same shape ``(rows, columns)``; the second may also be a
            single column ``(rows, 1)``, taken against every column of the first.

        Returns
        -------
        ndarray
            Shape ``(len(pairs), columns)``.

        Examples
        --------
        >>> import numpy as np
        >>> a = np.array([[3.0, 1.0], [4.0, 0.0]])
        >>> Reducer(np).dots([(a, a), (a, np.ones((2, 1)))]).tolist()
        [[25.0, 1.0], [7.0, 1.0]]
        """
        if self.xp is np:
            c = pairs[0][0].shape[1]
            if c == 1:  # one column: BLAS dots, no temporaries
                local = np.array([[np.vdot(a[:, 0], b[:, 0]).real] for a, b in pairs])
            else:
                local = np.empty((len(pairs), c))
                for row, (a, b) in zip(local, pairs, strict=True):
                    row[:] = _local_vdot(np, a, b)
        else:  # one transfer from the device for all the pairs
            local = host(self.xp.stack([_local_vdot(self.xp, a, b) for a, b in pairs]))
        return self.combine_sum(local.reshape(-1)).reshape(local.shape)

    def norm(self, a: Array) -> np.ndarray:
        """Column-wise Euclidean norms, scaled first so that no square under- or overflows."""
        top = self.max(self.xp.abs(a))
        safe = np.where((top > 0) & np.isfinite(top), top, 1.0)
        scaled = a / self.xp.asarray(safe.astype(np.empty(0, a.dtype).real.dtype))[None, :]
        return np.where(np.isfinite(top), safe * np.sqrt(self.sq_norm(scaled)), top)

    def max(self, values: Array) -> np.ndarray:
        """Column maxima of a real block (-inf for a process holding no rows)."""
        if values.shape[0] == 0:
            local = np.full(values.shape[1], -np.inf)
        else:
            local = host(values.max(axis=0))
        return self.combine_max(local)

    def count(self, mask: Array) -> np.ndarray:
        """Column-wise number of true entries."""
        return self.combine_sum(host(mask.sum(axis=0)))

    def all(self, mask: Array) -> np.ndarray:
        """Column-wise: every entry true (on every process)."""
        return self.count(~mask) == 0

    def group_sum(self, values: Array, groups: Any) -> Array:
        """Per-group sums of a real block: ``(n_groups, columns)``, on the device, in its dtype.

        ``groups.local_sum(values)`` sums the rows this process holds. A group may
        cross the processes' boundaries, so a combining reducer completes the partial
        sums with one reduction of the whole block (every process gets the same sums);
        a local one (one process, or a model every process holds whole) keeps them.
        """
        local = groups.local_sum(values)
        if type(self).combine_sum is Reducer.combine_sum:
            return local
        total = self.combine_sum(host(local).reshape(-1)).reshape(local.shape)
        return self.xp.asarray(total.astype(local.dtype))

    def gram(self, blocks: Sequence[Array] | Array) -> np.ndarray:
        r"""Per-column Gram matrices :math:`G_{jpq} = \operatorname{Re}\langle u_p, u_q\rangle`.

        Parameters
        ----------
        blocks : sequence of arrays, or array
            ``M`` blocks of the same shape ``(rows, columns)``, or their stack
            ``(M, rows, columns)``.

        Returns
        -------
        ndarray
            Shape ``(columns, M, M)``; one reduction across processes for all entries.

        Examples
        --------
        >>> import numpy as np
        >>> u = np.array([[[1.0], [0.0]], [[1.0], [1.0]]])  # two blocks of one column
        >>> Reducer(np).gram(u)[0].tolist()
        [[1.0, 1.0], [1.0, 2.0]]
        """
        xp = self.xp
        stack = blocks if hasattr(blocks, "ndim") else xp.stack(blocks)  # (M, rows, columns)
        M, _, c = stack.shape
        if c == 1:  # one column: one matrix product (BLAS)
            U = stack[:, :, 0]
            if U.dtype.kind == "c":  # Re⟨u, v⟩ is the real dot of the (re, im) pairs
                U = xp.ascontiguousarray(U).view(U.real.dtype)
            local = host((U @ U.T)[None])
        else:
            # one pass over two blocks per pair: a three-operand einsum does not use BLAS
            # and ran 2-4 times slower on (5, 8192, 16) complex stacks
            pairs = [(p, q) for p in range(M) for q in range(p, M)]
            dots = host(xp.stack([_local_vdot(xp, stack[p], stack[q]) for p, q in pairs]))
            local = np.empty((c, M, M))
            for (p, q), value in zip(pairs, dots, strict=True):  # one transfer from a device
                local[:, p, q] = local[:, q, p] = value
        return self.combine_sum(local.reshape(-1)).reshape(c, M, M)


def _local_vdot(xp: Any, a: Array, b: Array) -> Any:
    """The local per-column Re<a, b> (an array of the module; ``b`` may be one column)."""
    if a.shape[1] == 1:  # one column: a BLAS dot, no temporary
        return xp.asarray([xp.vdot(a[:, 0], b[:, 0]).real])
    if b.shape[1] == 1:
        b = b[:, 0]
        return (b.conj() @ a).real if a.dtype.kind == "c" or b.dtype.kind == "c" else b @ a
    if a.dtype.kind == "c" and b.dtype == a.dtype and a.flags.c_contiguous and b.flags.c_contiguous:
        # Re⟨a, b⟩ is the real dot of the (re, im) pairs: no conjugate, no temporary
        rows, c = a.shape
        real = a.real.dtype
        return xp.einsum(
            "ijr,ijr->j", a.view(real).reshape(rows, c, 2), b.view(real).reshape(rows, c, 2)
        )
    if a.dtype.kind == "c" or b.dtype.kind == "c":
        return (a.conj() * b).real.sum(axis=0)
    return xp.einsum("ij,ij->j", a, b)


class Space:
    """The array module and reducers one solve runs on.

    Parameters
    ----------
    xp : module
        numpy or cupy.
    model, data : Reducer, optional
        Reductions over the coefficients and over the measurements; local by
        default.

    Attributes
    ----------
    xp : module
    model, data : Reducer
    distributed : bool
        Whether the reductions span several processes.

    Examples
    --------
    >>> import numpy as np
    >>> space = Space(np)
    >>> space.data.vdot(np.ones((3, 1)), np.arange(3.0)[:, None]).tolist()
    [3.0]
    """

    __slots__ = ("data", "distributed", "model", "xp")

    def __init__(
        self, xp: Any, *, model: Reducer | None = None, data: Reducer | None = None
    ) -> None:
        self.xp = xp
        self.model = Reducer(xp) if model is None else model
        self.data = Reducer(xp) if data is None else data
        self.distributed = type(self.model) is not Reducer or type(self.data) is not Reducer

    def columns(self, values: Any, dtype: Any) -> Array:
        """Per-column host values as a ``(1, columns)`` block of ``dtype`` on the device."""
        return self.xp.asarray(np.asarray(values, dtype=dtype).reshape(1, -1))

    def agree(self, flag: bool) -> bool:
        """True on every process when ``flag`` is true on any (for errors every rank raises)."""
        return bool(self.data.combine_max(np.array([float(flag)]))[0] > 0) or bool(
            self.model.combine_max(np.array([float(flag)]))[0] > 0
        )
