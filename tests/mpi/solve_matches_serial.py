"""si.ista / fista / irls on pylops-mpi operators equal the serial solve of the gathered problem.

For each case every rank records the distributed result and the serial reference (the
gathered problem, solved on every rank): the host test asserts a relative objective
difference ≤ 1e-10, ``res.x`` a DistributedArray with the model's partition and local
shapes, and objective / counters / stop reason equal on every rank.

Run by hand: ``mpiexec -n 3 python -m mpi4py tests/mpi/solve_matches_serial.py``.
"""

from __future__ import annotations

import os

import numpy as np
import problems
from _rankio import COMM, RANK, emit, run, same_on_every_rank
from pylops_mpi import DistributedArray

import sparseinv as si

SOLVERS = {"ista": si.ista, "fista": si.fista, "irls": si.irls}
PENALTIES = {"l0": si.L0, "l1": si.L1, "l2": si.L2}
OPTIONS = {"tol": 1e-12, "max_iter": 20_000}
# IRLS: the default 100 reweightings, then its proximal-gradient polish certifies the optimum
SOLVER_OPTIONS = {"ista": OPTIONS, "fista": OPTIONS, "irls": {"tol": 1e-12}}

# fista: every penalty with every kind of λ; ista and irls: each penalty and each kind once
CASES = [("fista", p, k) for p in PENALTIES for k in ("scalar", "group", "coef")]
CASES += [("ista", "l0", "coef"), ("ista", "l1", "group"), ("ista", "l2", "scalar")]
CASES += [("irls", "l0", "group"), ("irls", "l1", "scalar"), ("irls", "l2", "coef")]


def layout_of(x) -> dict:
    if not isinstance(x, DistributedArray):
        return {"type": type(x).__name__}
    return {
        "type": "DistributedArray",
        "partition": x.partition.name,
        "local_shape": [int(s) for s in x.local_shape],
        "global_shape": [int(s) for s in x.global_shape],
    }


def record(case: str, problem, res, ref, penalty) -> None:
    x_full = res.x.asarray() if isinstance(res.x, DistributedArray) else np.asarray(res.x)
    objective_at_x = si.objective(problem.A_full, problem.b_full, penalty, x_full)
    summary = {
        "objective": float(res.objective),
        "n_matvec": int(res.n_matvec),
        "n_rmatvec": int(res.n_rmatvec),
        "n_iter": int(res.n_iter),
        "stop_reason": res.stop_reason,
        "converged": bool(res.converged),
    }
    emit(
        case=case,
        layout=problem.layout,
        x_layout=layout_of(res.x),
        expected_partition=problem.model_partition.name,
        expected_local_shape=[int(problem.model_local_shapes[RANK][0])],
        objective=float(res.objective),
        objective_at_gathered_x=float(objective_at_x),
        reference_objective=float(ref.objective),
        max_abs_x_diff=float(np.max(np.abs(x_full - ref.x))),
        n_matvec=int(res.n_matvec),
        reference_n_matvec=int(ref.n_matvec),
        objective_type=type(res.objective).__name__,
        same_on_every_rank=same_on_every_rank(summary),
    )


def run_case(problem, solver: str, pen_name: str, lam_kind: str) -> None:
    pen = problems.penalty(problem, PENALTIES[pen_name], lam_kind)
    options = SOLVER_OPTIONS[solver]
    ref = SOLVERS[solver](problem.A_full, problem.b_full, pen, **options)
    res = SOLVERS[solver](problem.op, problem.b, pen, **options)
    record(f"{problem.layout}-{solver}-{pen_name}-{lam_kind}", problem, res, ref, pen)


def run_distributed_lam(problem) -> None:
    """A per-coefficient λ given as a DistributedArray with the model's layout."""
    pen_full = problems.penalty(problem, si.L1, "coef")
    lam_dist = problem.model_array(np.asarray(pen_full.coef_lam, dtype=np.float64))
    ref = si.fista(problem.A_full, problem.b_full, pen_full, **OPTIONS)
    res = si.fista(problem.op, problem.b, si.L1(lam_dist), **OPTIONS)
    record(f"{problem.layout}-fista-l1-coef_distributed", problem, res, ref, pen_full)


def run_x0(problem) -> None:
    """A starting point given as a DistributedArray with the model's layout."""
    pen = problems.penalty(problem, si.L1, "scalar")
    x0_full = np.random.default_rng(5).standard_normal(problem.n)
    ref = si.fista(problem.A_full, problem.b_full, pen, x0=x0_full, **OPTIONS)
    res = si.fista(problem.op, problem.b, pen, x0=problem.model_array(x0_full), **OPTIONS)
    record(f"{problem.layout}-fista-l1-x0", problem, res, ref, pen)


# with more ranks than cores (CI: 3 ranks on 2), every rank waits in its collectives for
# the others to be scheduled: run one case per solver and penalty there, every case on 2 ranks
OVERSUBSCRIBED = COMM.size > (os.cpu_count() or 1)
if OVERSUBSCRIBED:
    CASES = [("fista", "l1", "group"), ("fista", "l0", "coef"), ("fista", "l2", "scalar")]
    CASES += [("ista", "l1", "coef"), ("irls", "l1", "scalar")]


def planned_cases() -> list[str]:
    names = []
    for layout in ("replicated", "split"):
        names += [f"{layout}-{s}-{p}-{k}" for s, p, k in CASES]
        names += [f"{layout}-fista-l1-coef_distributed", f"{layout}-fista-l1-x0"]
        names.append(f"{layout}_complex-fista-l1-group")
    return names


def main() -> None:
    emit("plan", cases=planned_cases())
    for layout in ("replicated", "split"):
        problem = problems.make(layout)
        for solver, pen_name, lam_kind in CASES:
            run_case(problem, solver, pen_name, lam_kind)
        run_distributed_lam(problem)
        run_x0(problem)
        complex_problem = problems.make(layout, dtype=np.complex128)
        complex_problem.layout = f"{layout}_complex"
        run_case(complex_problem, "fista", "l1", "group")
    COMM.barrier()


run(main)
