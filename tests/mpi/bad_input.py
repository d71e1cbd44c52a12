"""Bad input to a distributed solve: every rank raises the same error, naming the argument.

Each case records ``started`` before the call (so a hang names its case), then the
exception each rank raised. A rank that does not raise while another does would wait
in the next collective: the harness's time-out then ends the job and the host test
names the last case each rank started.

Run by hand: ``mpiexec -n 3 python -m mpi4py tests/mpi/bad_input.py``.
"""

from __future__ import annotations

import numpy as np
import problems
from _rankio import COMM, RANK, SIZE, emit, run
from pylops_mpi import DistributedArray, Partition

import sparseinv as si

#: case -> (exception type expected on every rank, argument the message must name)
EXPECTED = {
    "b_other_split": ("ValueError", "b"),
    "b_other_global_shape": ("ValueError", "b"),
    "b_broadcast_for_split_data": ("ValueError", "b"),
    "b_plain_array": ("TypeError", "b"),
    "b_nonfinite_on_last_rank": ("ValueError", "b"),
    "x0_other_split": ("ValueError", "x0"),
    "lam_other_split": ("ValueError", "lam"),
    "lam_wrong_global_size": ("ValueError", "lam"),
    "lam_negative_on_last_rank": ("ValueError", "lam"),
}


def even_split(n: int) -> list[tuple[int]]:
    return [(n // SIZE + (r < n % SIZE),) for r in range(SIZE)]


def differs_from(local_shapes, n: int) -> list[tuple[int]]:
    """A split of n that differs from local_shapes on some rank (moves one entry)."""
    other = even_split(n)
    if [int(s[0]) for s in other] == [int(s[0]) for s in local_shapes]:
        other = [(other[0][0] + 1,), *[(s[0],) for s in other[1:-1]], (other[-1][0] - 1,)]
    return other


def cases(problem, pen):
    op, b, n, m = problem.op, problem.b, problem.n, problem.op.shape[0]

    def b_other_split():
        other = DistributedArray(m, local_shapes=differs_from(problem.data_local_shapes, m))
        other[:] = 1.0
        si.fista(op, other, pen)

    def b_other_global_shape():
        bigger = DistributedArray(
            m + SIZE, local_shapes=[(s[0] + 1,) for s in problem.data_local_shapes]
        )
        bigger[:] = 1.0
        si.fista(op, bigger, pen)

    def b_broadcast_for_split_data():
        rep = DistributedArray(m, partition=Partition.BROADCAST)
        rep[:] = problem.b_full
        si.fista(op, rep, pen)

    def b_plain_array():
        si.fista(op, problem.b_full, pen)

    def b_nonfinite_on_last_rank():
        bad = b.copy()
        if RANK == SIZE - 1:
            bad.local_array[0] = np.nan
        si.fista(op, bad, pen)

    def x0_other_split():
        if problem.model_partition is Partition.BROADCAST:
            x0 = DistributedArray(n, local_shapes=even_split(n))  # SCATTER for a replicated model
        else:
            x0 = DistributedArray(n, local_shapes=differs_from(problem.model_local_shapes, n))
        x0[:] = 0.0
        si.fista(op, b, pen, x0=x0)

    def lam_other_split():
        lam = DistributedArray(n, local_shapes=differs_from(problem.model_local_shapes, n))
        lam[:] = 0.1
        si.fista(op, b, si.L1(lam))

    def lam_wrong_global_size():
        si.fista(op, b, si.L1(np.full(n + 1, 0.1)))

    def lam_negative_on_last_rank():
        lam = problem.model_array(np.full(n, 0.1))
        if RANK == SIZE - 1:
            lam.local_array[-1] = -1.0
        si.fista(op, b, si.L1(lam))

    return {
        f.__name__: f
        for f in (
            b_other_split,
            b_other_global_shape,
            b_broadcast_for_split_data,
            b_plain_array,
            b_nonfinite_on_last_rank,
            x0_other_split,
            lam_other_split,
            lam_wrong_global_size,
            lam_negative_on_last_rank,
        )
    }


def main() -> None:
    emit(
        "plan",
        cases=[f"{layout}-{c}" for layout in ("replicated", "split") for c in EXPECTED],
        expected={c: list(v) for c, v in EXPECTED.items()},
    )
    for layout in ("replicated", "split"):
        problem = problems.make(layout)
        pen = problems.penalty(problem, si.L1, "scalar")
        for name, call in cases(problem, pen).items():
            case = f"{layout}-{name}"
            emit("started", case=case)
            try:
                call()
            except Exception as exc:  # recorded, compared across ranks by the host test
                emit(case=case, raised=type(exc).__name__, message=str(exc))
            else:
                emit(case=case, raised=None, message="")
            COMM.barrier()  # every rank is done with this case before the next one


run(main)
