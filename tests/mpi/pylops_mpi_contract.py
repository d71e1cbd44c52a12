"""What sparseinv relies on in pylops-mpi: layouts, global reductions, conventions.

Each check records ``{"check": name, "ok": bool, "detail": ...}`` on every rank; the host
test (tests/test_mpi.py) asserts each one on every rank, for 2 and 3 ranks. Splits are
uneven on purpose (rank r holds more rows and columns than rank r - 1). When a pylops-mpi
release changes one of these behaviours, the failing check names the assumption.

Run by hand: ``mpiexec -n 3 python -m mpi4py tests/mpi/pylops_mpi_contract.py``.
"""

from __future__ import annotations

import numpy as np
import pylops
import pylops_mpi
import scipy.linalg
from _rankio import COMM, RANK, SIZE, emit, run
from pylops.optimization.sparsity import fista as pylops_fista
from pylops_mpi import DistributedArray, Partition

import sparseinv as si


def check(name: str, ok: bool, **detail) -> None:
    emit(check=name, ok=bool(ok), **detail)


def offsets(local_shapes) -> np.ndarray:
    """Global start of each rank's slice, and the total at the end."""
    return np.concatenate([[0], np.cumsum([int(s[0]) for s in local_shapes])]).astype(int)


def blocks(seed: int, dtype=np.float64) -> list[np.ndarray]:
    """One dense block per rank, (20 + 2r) x (12 + 3r): uneven rows and columns."""
    out = []
    for r in range(SIZE):
        gen = np.random.default_rng(seed + r)
        blk = gen.standard_normal((20 + 2 * r, 12 + 3 * r))
        if np.dtype(dtype).kind == "c":
            blk = blk + 1j * gen.standard_normal(blk.shape)
        out.append(blk)
    return out


def check_distributed_array() -> None:
    local_shapes = [(5 + r,) for r in range(SIZE)]
    n = sum(s[0] for s in local_shapes)
    gen = np.random.default_rng(0)
    full = gen.standard_normal(n) + 1j * gen.standard_normal(n)
    start = offsets(local_shapes)
    local = full[start[RANK] : start[RANK + 1]].copy()
    dist = DistributedArray(n, local_shapes=local_shapes, local_array=local)
    check(
        "wrap_local_array_without_copy",
        np.shares_memory(dist.local_array, local)
        and dist.partition is Partition.SCATTER
        and dist.dtype == np.complex128,
    )
    check(
        "scatter_reductions_are_global",
        np.isclose(dist.dot(dist, vdot=True), np.vdot(full, full))
        and np.isclose(dist.dot(dist), np.dot(full, full))
        and np.isclose(dist.norm(), np.linalg.norm(full))
        and np.isclose(dist.norm(1), np.abs(full).sum())
        and np.isclose(dist.norm(np.inf), np.abs(full).max()),
    )
    check("asarray_gathers_global_vector", np.array_equal(dist.asarray(), full))
    default = DistributedArray(10)
    check(
        "default_split_front_loads_remainder",
        [int(s[0]) for s in default.local_shapes]
        == [10 // SIZE + (r < 10 % SIZE) for r in range(SIZE)],
        local_shapes=[int(s[0]) for s in default.local_shapes],
    )
    replicated = DistributedArray(6, partition=Partition.BROADCAST)
    replicated[:] = np.arange(6.0)
    check(
        "broadcast_reductions_are_not_summed_over_ranks",
        np.isclose(replicated.dot(replicated), 55.0) and np.isclose(replicated.norm(1), 15.0),
        dot=replicated.dot(replicated),
    )
    replicated[:] = np.full(6, float(RANK))  # BROADCAST setitem sends rank 0's value
    check("broadcast_setitem_takes_rank_0", np.all(replicated.local_array == 0.0))


def check_vstack() -> None:
    ops = blocks(10)
    n = ops[0].shape[1]
    op = pylops_mpi.MPIVStack(ops=[pylops.MatrixMult(ops[RANK][:, :n])])
    stacked = np.vstack([blk[:, :n] for blk in ops])
    x = DistributedArray(n, partition=Partition.BROADCAST)
    x[:] = np.arange(n, dtype=float)
    y = op.matvec(x)
    back = op.rmatvec(y)
    check(
        "vstack_layouts",
        y.partition is Partition.SCATTER
        and [int(s[0]) for s in y.local_shapes] == [blk.shape[0] for blk in ops]
        and [int(s[0]) for s in op.local_shapes_n] == [blk.shape[0] for blk in ops]
        and back.partition is Partition.BROADCAST
        and tuple(back.local_shape) == (n,),
    )
    check(
        "vstack_matches_serial_and_adjoint_sums_over_ranks",
        np.allclose(y.asarray(), stacked @ x.local_array)
        and np.allclose(back.local_array, stacked.T @ y.asarray()),
    )
    try:
        op.matvec(DistributedArray(n))
        raised = ""
    except ValueError as exc:
        raised = str(exc)
    check("vstack_rejects_scatter_model", "partition" in raised, message=raised[:120])


def check_block_diag(dtype) -> None:
    ops = blocks(20, dtype)
    full = scipy.linalg.block_diag(*ops)
    op = pylops_mpi.MPIBlockDiag(ops=[pylops.MatrixMult(ops[RANK], dtype=dtype)])
    model, data = offsets(op.local_shapes_m), offsets(op.local_shapes_n)
    x_full = np.random.default_rng(3).standard_normal(full.shape[1]).astype(dtype)
    x = DistributedArray(
        op.shape[1],
        local_shapes=op.local_shapes_m,
        local_array=x_full[model[RANK] : model[RANK + 1]].copy(),
    )
    y = op.matvec(x)
    back = op.rmatvec(y)
    name = np.dtype(dtype).name
    check(
        f"block_diag_layouts_{name}",
        list(np.diff(model)) == [blk.shape[1] for blk in ops]
        and list(np.diff(data)) == [blk.shape[0] for blk in ops]
        and y.partition is Partition.SCATTER
        and tuple(y.local_shape) == tuple(op.local_shapes_n[RANK])
        and back.partition is Partition.SCATTER
        and tuple(back.local_shape) == tuple(op.local_shapes_m[RANK])
        and y.dtype == np.dtype(dtype)
        and back.dtype == np.dtype(dtype),
    )
    check(
        f"block_diag_matches_serial_{name}",
        np.allclose(y.asarray(), full @ x_full)
        and np.allclose(back.asarray(), full.conj().T @ (full @ x_full)),
    )
    # an x with the default (even) split is moved to the operator's split without a word:
    # pylops-mpi does not catch a layout mismatch, so sparseinv must check layouts itself
    even = DistributedArray.to_dist(x_full)
    y_even = op.matvec(even)
    check(
        f"block_diag_silently_redistributes_foreign_split_{name}",
        np.allclose(y_even.asarray(), full @ x_full)
        and tuple(y_even.local_shape) == tuple(op.local_shapes_n[RANK]),
        x_local=int(even.local_shape[0]),
        op_local=int(op.local_shapes_m[RANK][0]),
    )


def check_local_blocks(dtype) -> None:
    """sparseinv applies an MPIBlockDiag's own blocks: the same vectors as its matvec."""
    from sparseinv.distributed import _local_blocks

    mine = blocks(40 + 2 * RANK, dtype)[:2]  # two blocks on every rank: uneven, stacked
    op = pylops_mpi.MPIBlockDiag(ops=[pylops.MatrixMult(blk, dtype=dtype) for blk in mine])
    gen = np.random.default_rng(5 + RANK)
    x_local = gen.standard_normal(int(op.local_shapes_m[RANK][0])).astype(dtype)
    r_local = gen.standard_normal(int(op.local_shapes_n[RANK][0])).astype(dtype)
    x = DistributedArray(op.shape[1], local_shapes=op.local_shapes_m, local_array=x_local)
    r = DistributedArray(op.shape[0], local_shapes=op.local_shapes_n, local_array=r_local)
    forward, adjoint = _local_blocks(op, np)
    masked = pylops_mpi.MPIBlockDiag(ops=[pylops.MatrixMult(mine[0])], mask=[0] * SIZE)
    check(
        f"block_diag_local_blocks_equal_matvec_{np.dtype(dtype).name}",
        np.array_equal(forward(x_local.reshape(-1, 1))[:, 0], op.matvec(x).local_array)
        and np.array_equal(adjoint(r_local.reshape(-1, 1))[:, 0], op.rmatvec(r).local_array)
        and _local_blocks(masked, np) is None,
    )


def check_fista_convention() -> None:
    ops = blocks(30)
    full = scipy.linalg.block_diag(*ops)
    x_true = np.zeros(full.shape[1])
    x_true[::5] = 1.0
    b_full = full @ x_true + 0.01 * np.random.default_rng(4).standard_normal(full.shape[0])
    op = pylops_mpi.MPIBlockDiag(ops=[pylops.MatrixMult(ops[RANK])])
    data = offsets(op.local_shapes_n)
    b = DistributedArray(
        op.shape[0],
        local_shapes=op.local_shapes_n,
        local_array=b_full[data[RANK] : data[RANK + 1]].copy(),
    )
    x0 = DistributedArray(op.shape[1], local_shapes=op.local_shapes_m)
    x0[:] = 0.0
    lam = 0.1 * si.lam_max(full, b_full)
    step = 1.0 / np.linalg.norm(full, 2) ** 2
    counts = {"matvec": 0, "rmatvec": 0}
    for name in counts:  # count what pylops-mpi's fista applies
        method = getattr(op, name)

        def counted(v, _method=method, _name=name):
            counts[_name] += 1
            return _method(v)

        setattr(op, name, counted)
    n_iter = 100
    x, _, _ = pylops_mpi.optimization.sparsity.fista(
        op, b, x0, niter=n_iter, eps=si.to_pylops_eps(lam), alpha=step, tol=0.0
    )
    serial, _, _ = pylops_fista(
        pylops.MatrixMult(full),
        b_full,
        niter=n_iter,
        eps=si.to_pylops_eps(lam),
        alpha=step,
        tol=0.0,
    )
    check(
        "fista_equals_pylops_fista_with_eps_2lam",
        np.allclose(x.asarray(), serial, atol=1e-12),
        max_diff=float(np.abs(x.asarray() - serial).max()),
    )
    check(
        "fista_applies_2_matvec_1_rmatvec_per_iteration",
        counts["matvec"] == 2 * n_iter and counts["rmatvec"] == n_iter,
        **counts,
    )


def main() -> None:
    check_distributed_array()
    check_vstack()
    check_block_diag(np.float64)
    check_block_diag(np.complex128)
    check_local_blocks(np.float64)
    check_local_blocks(np.complex128)
    check_fista_convention()
    COMM.barrier()


run(main)
