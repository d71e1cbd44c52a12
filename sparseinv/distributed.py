r"""Solves on pylops-mpi operators and distributed arrays.

``si.fista(Op, b, penalty)`` with a pylops-mpi ``MPILinearOperator`` ``Op`` and a
``DistributedArray`` ``b`` runs the same solver loop as on one process. The loop
never sees a ``DistributedArray``: it works on each rank's local block, the
operator wrapper turns blocks into distributed arrays only around ``Op.matvec`` and
``Op.rmatvec``, and every reduction the loop takes a branch on goes through a
:class:`MPIReducer`:

- a vector split over the ranks (``Partition.SCATTER``) is reduced locally, then
  across the ranks (an ``Allgather`` of the partial results, summed in rank order,
  so that every rank gets bitwise the same value and takes the same branch);
- a vector every rank holds whole (``Partition.BROADCAST``, the model of an
  ``MPIVStack``) is reduced locally only, never summed over the ranks.

The layout of the model is read from the operator (``MPIBlockDiag``'s model split,
``MPIVStack``'s replicated model) or, for any other operator, from ``Op.rmatvec(b)``.
λ may be a number, one value per group (global :class:`~sparseinv.Groups`; groups
may cross rank boundaries), a full per-coefficient array (each rank takes its
slice) or a ``DistributedArray`` with the model's layout. Every check of the input
ends in one collective verdict, so a bad argument raises the same error on every
rank. The step estimate starts from the serial solve's random vector, so a
distributed solve takes the steps of the serial solve of the gathered problem.

Many right-hand sides are best spread over the ranks by column, each rank solving
its own columns with its own copy of A::

    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    mine = np.array_split(np.arange(B.shape[1]), comm.size)[comm.rank]
    res = si.fista(A, B[:, mine], si.L1(lam))          # a batched solve per rank
    X = np.concatenate(comm.allgather(res.x), axis=1)  # every column, on every rank
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv.backend import Reducer, Space, array_module

__all__ = ["MPIReducer", "is_distributed", "prepare"]

Array = Any


def _from_pylops_mpi(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "pylops_mpi"


def is_distributed(A: Any, b: Any) -> bool:
    """Whether ``A`` or ``b`` comes from pylops-mpi."""
    return _from_pylops_mpi(A) or _from_pylops_mpi(b)


class MPIReducer(Reducer):
    """Reductions of a vector split over the ranks of ``comm``: local, then across ranks.

    Parameters
    ----------
    xp : module
        numpy or cupy (the partial results are moved to the host).
    comm : mpi4py communicator
    """

    __slots__ = ("comm",)

    def __init__(self, xp: Any, comm: Any) -> None:
        super().__init__(xp)
        self.comm = comm

    def combine_sum(self, local: np.ndarray) -> np.ndarray:
        local = np.ascontiguousarray(local, dtype=np.float64)
        parts = np.empty((self.comm.size, *local.shape))
        self.comm.Allgather(local, parts)
        return parts.sum(axis=0)  # in rank order: the same bits on every rank

    def combine_max(self, local: np.ndarray) -> np.ndarray:
        from mpi4py import MPI

        local = np.ascontiguousarray(local, dtype=np.float64)
        out = np.empty_like(local)
        self.comm.Allreduce(local, out, op=MPI.MAX)
        return out


class _Layout:
    """How one vector space is laid out over the ranks."""

    def __init__(self, size: int, partition: Any, local_shapes: list[tuple[int, ...]], comm: Any):
        from pylops_mpi import Partition

        self.size = int(size)
        self.partition = partition
        self.local_shapes = [(int(s[0]),) for s in local_shapes]
        self.comm = comm
        self.replicated = partition is not Partition.SCATTER
        rank = comm.rank
        self.start = 0 if self.replicated else sum(s[0] for s in self.local_shapes[:rank])
        self.stop = self.start + self.local_shapes[rank][0]

    @property
    def rows(self) -> slice | None:
        return None if self.replicated else slice(self.start, self.stop)

    def reducer(self, xp: Any) -> Reducer:
        return Reducer(xp) if self.replicated else MPIReducer(xp, self.comm)

    def wrap(self, local: Array) -> Any:
        """A DistributedArray of this layout around a local vector (no copy)."""
        from pylops_mpi import DistributedArray

        return DistributedArray(
            self.size,
            base_comm=self.comm,
            partition=self.partition,
            local_shapes=self.local_shapes,
            local_array=local,
            engine="cupy" if array_module(local) is not np else "numpy",
            dtype=local.dtype,
        )

    def same_as(self, arr: Any) -> bool:
        """Whether a DistributedArray has this layout (every rank computes the same answer)."""
        from pylops_mpi import Partition

        if tuple(arr.global_shape) != (self.size,):
            return False
        if (arr.partition is Partition.SCATTER) != (not self.replicated):
            return False
        shapes = [(int(s[0]),) for s in arr.local_shapes]
        return shapes == self.local_shapes


def _agree(comm: Any, ok: bool, exc: type[Exception], message: str) -> None:
    """Raise ``exc(message)`` on every rank when ``ok`` is false on any."""
    verdicts = comm.allgather(bool(ok))
    if not all(verdicts):
        bad = [r for r, v in enumerate(verdicts) if not v]
        where = "" if len(bad) == len(verdicts) else f" (on rank{'s' * (len(bad) > 1)} {bad})"
        raise exc(message + where)


def _layout_of(arr: Any, comm: Any) -> _Layout:
    return _Layout(arr.global_shape[0], arr.partition, list(arr.local_shapes), comm)


def _model_layout(Op: Any, b: Any, comm: Any) -> _Layout:
    """The model's layout, from the operator where it says it, else from Op.rmatvec(b)."""
    import pylops_mpi
    from pylops_mpi import Partition

    n = int(Op.shape[1])
    if hasattr(Op, "local_shapes_m"):
        return _Layout(n, Partition.SCATTER, list(Op.local_shapes_m), comm)
    if isinstance(Op, pylops_mpi.MPIVStack):
        return _Layout(n, Partition.BROADCAST, [(n,)] * comm.size, comm)
    return _layout_of(Op.rmatvec(b), comm)


def prepare(A: Any, b: Any, penalty: Any, x0: Any) -> Any:
    """The :class:`~sparseinv.solvers._setup.Setup` of a distributed solve (collective)."""
    from mpi4py import MPI
    from pylops_mpi import DistributedArray, MPILinearOperator, Partition

    from sparseinv.operators import CountingOperator, check_dtype
    from sparseinv.solvers._setup import assemble, working_dtype

    comm = getattr(b, "base_comm", None) or MPI.COMM_WORLD
    _agree(
        comm,
        isinstance(A, MPILinearOperator),
        TypeError,
        "A must be a pylops_mpi MPILinearOperator when b is a DistributedArray; "
        f"got {type(A).__name__}",
    )
    _agree(
        comm,
        isinstance(b, DistributedArray),
        TypeError,
        "b must be a pylops_mpi DistributedArray for a distributed operator; "
        f"got {type(b).__name__}",
    )
    M, N = (int(s) for s in A.shape)
    _agree(
        comm,
        tuple(b.global_shape) == (M,),
        ValueError,
        f"b must have global shape ({M},) to match A; got {tuple(b.global_shape)}",
    )
    data = _layout_of(b, comm)
    expected = getattr(A, "local_shapes_n", None)
    if expected is not None:
        expected = [(int(s[0]),) for s in expected]
        _agree(
            comm,
            b.partition is Partition.SCATTER and data.local_shapes == expected,
            ValueError,
            f"b must be split over the ranks as A's data ({[s[0] for s in expected]} entries "
            f"per rank, partition SCATTER); got {[s[0] for s in data.local_shapes]} "
            f"({b.partition.name})",
        )
    xp = array_module(b.local_array)
    local_b = b.local_array
    kind = np.dtype(local_b.dtype).kind
    _agree(comm, kind in "biufc", TypeError, f"b must be numeric; got dtype {local_b.dtype}")
    _agree(
        comm,
        bool(xp.all(xp.isfinite(local_b))),
        ValueError,
        "b must be finite; it holds NaN or infinite entries",
    )
    model = _model_layout(A, b, comm)
    dtype = working_dtype(check_dtype(np.dtype(A.dtype), "A"), local_b.dtype)
    space = Space(xp, model=model.reducer(xp), data=data.reducer(xp))

    blocks = _local_blocks(A, xp)
    if blocks is not None:  # no communication: this rank's blocks, applied directly
        forward, adjoint = blocks
    else:

        def forward(X: Array) -> Array:
            x = model.wrap(X[:, 0].astype(dtype, copy=False))
            return A.matvec(x).local_array.reshape(-1, 1)

        def adjoint(R: Array) -> Array:
            r = data.wrap(R[:, 0].astype(dtype, copy=False))
            return A.rmatvec(r).local_array.reshape(-1, 1)

    op = CountingOperator.from_functions(A, (M, N), dtype, forward, adjoint)
    n_local = model.stop - model.start if not model.replicated else N
    if x0 is None:
        X0 = xp.zeros((n_local, 1), dtype=dtype)
    else:
        X0 = _local_start(x0, model, comm, xp, dtype)
    gen = np.random.default_rng(0)  # the serial start vector, this rank's part of it
    v = gen.standard_normal(N)
    if np.dtype(dtype).kind == "c":
        v = v + 1j * gen.standard_normal(N)
    v = v.astype(dtype, copy=False)
    power_start = xp.asarray(v if model.rows is None else v[model.rows])
    pen = penalty.bind(space, N, 1, batched=False, dtype=dtype, rows=model.rows, layout=model)
    return assemble(
        op=op,
        B=local_b.reshape(-1, 1).astype(dtype, copy=False),
        X0=X0,
        pen=pen,
        space=space,
        dtype=dtype,
        batched=False,
        output=lambda X: model.wrap(xp.ascontiguousarray(X[:, 0])),
        power_start=power_start,
    )


def _local_blocks(A: Any, xp: Any) -> tuple[Any, Any] | None:
    """Forward and adjoint of an ``MPIBlockDiag`` from this rank's blocks, else None.

    A block-diagonal operator needs no communication: rank r's data are its blocks
    applied to its part of the model. pylops-mpi's ``matvec`` computes exactly that,
    after building two DistributedArrays and redistributing its input (five
    collectives per application); here the blocks are applied to the local vectors
    directly, the same products bit for bit, so the operator, not the bookkeeping,
    is what splits over the ranks.
    """
    import pylops_mpi

    if type(A) is not pylops_mpi.MPIBlockDiag or getattr(A, "mask", None) is not None:
        return None
    ops = list(A.ops)
    cols = np.concatenate([[0], np.cumsum([int(o.shape[1]) for o in ops])])
    rows = np.concatenate([[0], np.cumsum([int(o.shape[0]) for o in ops])])
    dtype = np.dtype(A.dtype)

    def apply(which: str, v: Array, edges: np.ndarray) -> Array:
        parts = [
            getattr(o, which)(v[edges[i] : edges[i + 1]]).astype(dtype, copy=False)
            for i, o in enumerate(ops)
        ]
        return (parts[0] if len(parts) == 1 else xp.concatenate(parts)).reshape(-1, 1)

    def forward(X: Array) -> Array:
        return apply("matvec", X[:, 0].astype(dtype, copy=False), cols)

    def adjoint(R: Array) -> Array:
        return apply("rmatvec", R[:, 0].astype(dtype, copy=False), rows)

    return forward, adjoint


def _local_start(x0: Any, model: _Layout, comm: Any, xp: Any, dtype: Any) -> Array:
    from pylops_mpi import DistributedArray

    if isinstance(x0, DistributedArray):
        _agree(
            comm,
            model.same_as(x0),
            ValueError,
            f"x0 must have the model's layout (global shape ({model.size},), "
            f"{model.partition.name}, {[s[0] for s in model.local_shapes]} entries per rank)",
        )
        local = x0.local_array
    else:
        full = np.asarray(x0)
        _agree(
            comm,
            full.shape == (model.size,),
            ValueError,
            f"x0 must be a DistributedArray with the model's layout or a full array of "
            f"shape ({model.size},); got shape {full.shape}",
        )
        local = full if model.rows is None else full[model.rows]
    _agree(comm, bool(np.all(np.isfinite(local))), ValueError, "x0 must be finite")
    return xp.asarray(local, dtype=np.result_type(dtype, local.dtype)).reshape(-1, 1).copy()


def local_lam(lam: Any) -> tuple[np.ndarray, Any] | None:
    """The local λ of a DistributedArray λ and its array, checked on every rank; else None."""
    from pylops_mpi import DistributedArray

    if not isinstance(lam, DistributedArray):
        return None
    comm = lam.base_comm
    local = np.asarray(
        lam.local_array.get() if hasattr(lam.local_array, "get") else lam.local_array
    )
    _agree(
        comm,
        local.dtype.kind in "biuf",
        TypeError,
        f"lam must hold real numbers; got dtype {local.dtype}",
    )
    _agree(
        comm,
        bool(np.all(np.isfinite(local)) and np.all(local >= 0)),
        ValueError,
        "lam must be finite and >= 0 everywhere",
    )
    return local.astype(np.float64), lam


def check_lam_layout(lam: Any, layout: _Layout) -> None:
    """A DistributedArray λ must have the model's layout (collective)."""
    _agree(
        layout.comm,
        layout.same_as(lam),
        ValueError,
        f"lam must have the model's layout (global shape ({layout.size},), "
        f"{layout.partition.name}, {[s[0] for s in layout.local_shapes]} entries per rank); "
        f"got global shape {tuple(lam.global_shape)}, {lam.partition.name}, "
        f"{[int(s[0]) for s in lam.local_shapes]} entries per rank",
    )
