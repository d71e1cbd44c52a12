"""MPI tests: scripts of tests/mpi/ run under ``mpiexec -n 2`` and ``-n 3`` with a hard time-out.

The test process stays serial and launches each script once per rank count
(:mod:`mpi_harness`); every rank writes JSON records that the tests below assert on.
``-n 3`` on a 2-core machine relies on oversubscription, which MPICH allows by default
and Open MPI with ``--oversubscribe`` (added by the harness).

Why not pytest-mpi (``mpiexec -n 2 pytest --with-mpi``, as pylops-mpi's CI does): there
every rank runs the whole pytest session, so one rank failing an assertion or raising
leaves the others blocked in the next collective until CI's limit, with no time-out that
can reach the other ranks; the MPI tests would need a second pytest command beside the
serial suite; and the ranks' reports interleave. Launching from the serial suite gives a
time-out that kills the whole job, a report of what each rank did, and ``-n 2`` and
``-n 3`` in one run. The price is the start-up of each launch (a few seconds for the
imports), paid once per script and rank count by grouping many checks in one script.

Run by hand (from the repository root, with the ``mpi`` extra installed)::

    mpiexec -n 3 python -m mpi4py tests/mpi/pylops_mpi_contract.py   # records on stdout
    python -m pytest tests/test_mpi.py -q                             # through the harness
"""

from __future__ import annotations

import functools
import os
import re
import time

import pytest
from mpi_harness import MPIRun, missing_requirement, run_mpi

_MISSING = missing_requirement()
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=f"MPI tests skipped: {_MISSING}")

RANK_COUNTS = (2, 3)


@functools.cache
def launched(script: str, n_ranks: int) -> MPIRun:
    """One launch per script and rank count, shared by the tests that read its records."""
    return run_mpi(script, n_ranks)


def _records_by_check(run: MPIRun) -> dict[str, dict[int, dict]]:
    by_check: dict[str, dict[int, dict]] = {}
    for rank, records in run.results().items():
        for record in records:
            by_check.setdefault(record["check"], {})[rank] = record
    return by_check


# ---------------------------------------------------------------------- the harness itself
def test_harness_kills_a_hung_job_within_its_time_out():
    start = time.monotonic()
    run = run_mpi("hang.py", 2, timeout=4.0)
    elapsed = time.monotonic() - start
    assert run.timed_out
    assert elapsed < 15.0, f"the time-out of 4 s took {elapsed:.1f} s to end the job"
    problems = run.failures()
    assert any("time-out" in p for p in problems)
    assert any("rank 0 wrote no exit record" in p for p in problems)
    with pytest.raises(AssertionError, match="time-out"):
        run.check()
    # nothing of the job survives the kill: neither its process group nor a rank that started
    pids = [rec["pid"] for recs in run.results("started").values() for rec in recs]
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and (
        _group_alive(run.process_group) or any(map(_alive, pids))
    ):
        time.sleep(0.1)
    assert not _group_alive(run.process_group), "processes of the job survived the time-out"
    assert not [pid for pid in pids if _alive(pid)], "ranks survived the time-out"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - the id was reused by another user
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


def test_harness_reports_the_rank_that_raised_and_ends_the_job():
    run = run_mpi("fail_one_rank.py", 2, timeout=60.0)
    assert not run.timed_out, "one rank raising left the other hanging"
    assert run.returncode != 0
    assert run.exit_status(1) == 1
    with pytest.raises(AssertionError, match="rank 1 failed: ValueError: rank 1 fails on purpose"):
        run.check()


# ---------------------------------------------------------------------- pylops-mpi contract
_CONTRACT_CHECKS = (
    "wrap_local_array_without_copy",
    "scatter_reductions_are_global",
    "asarray_gathers_global_vector",
    "default_split_front_loads_remainder",
    "broadcast_reductions_are_not_summed_over_ranks",
    "broadcast_setitem_takes_rank_0",
    "vstack_layouts",
    "vstack_matches_serial_and_adjoint_sums_over_ranks",
    "vstack_rejects_scatter_model",
    "block_diag_layouts_float64",
    "block_diag_matches_serial_float64",
    "block_diag_silently_redistributes_foreign_split_float64",
    "block_diag_layouts_complex128",
    "block_diag_matches_serial_complex128",
    "block_diag_silently_redistributes_foreign_split_complex128",
    "block_diag_local_blocks_equal_matvec_float64",
    "block_diag_local_blocks_equal_matvec_complex128",
    "fista_equals_pylops_fista_with_eps_2lam",
    "fista_applies_2_matvec_1_rmatvec_per_iteration",
)


@pytest.mark.parametrize("n_ranks", RANK_COUNTS)
def test_pylops_mpi_contract_ran_every_check(n_ranks):
    run = launched("pylops_mpi_contract.py", n_ranks).check()
    by_check = _records_by_check(run)
    assert set(by_check) == set(_CONTRACT_CHECKS)
    for name, per_rank in by_check.items():
        assert sorted(per_rank) == list(range(n_ranks)), f"{name}: ranks {sorted(per_rank)}"


@pytest.mark.parametrize("check", _CONTRACT_CHECKS)
@pytest.mark.parametrize("n_ranks", RANK_COUNTS)
def test_pylops_mpi_contract(n_ranks, check):
    run = launched("pylops_mpi_contract.py", n_ranks).check()
    per_rank = _records_by_check(run).get(check)
    assert per_rank, f"{check} was not recorded"
    failed = {rank: rec for rank, rec in per_rank.items() if not rec["ok"]}
    assert not failed, f"{check} failed on ranks {sorted(failed)}: {failed}"


# ---------------------------------------------------------------------- sparseinv on pylops-mpi
# These run the solvers on distributed operators and data.
REL_OBJECTIVE_TOL = 1e-10


def _planned(run: MPIRun) -> list[str]:
    plans = run.results("plan").get(0)
    assert plans, f"{run.script}: rank 0 recorded no plan"
    return plans[0]["cases"]


def _by_case(run: MPIRun, event: str = "result") -> dict[str, dict[int, dict]]:
    by_case: dict[str, dict[int, dict]] = {}
    for rank, records in run.results(event).items():
        for record in records:
            by_case.setdefault(record["case"], {})[rank] = record
    return by_case


@pytest.mark.parametrize("n_ranks", RANK_COUNTS)
def test_distributed_solves_equal_the_serial_solve(n_ranks):
    run = launched("solve_matches_serial.py", n_ranks).check()
    results = _by_case(run)
    problems = []
    for case in _planned(run):
        per_rank = results.get(case, {})
        if sorted(per_rank) != list(range(n_ranks)):
            problems.append(f"{case}: recorded on ranks {sorted(per_rank)}")
            continue
        for rank, rec in per_rank.items():
            layout = rec["x_layout"]
            if layout.get("type") != "DistributedArray":
                problems.append(f"{case} rank {rank}: res.x is a {layout.get('type')}")
            elif layout["partition"] != rec["expected_partition"] or (
                layout["local_shape"] != rec["expected_local_shape"]
            ):
                problems.append(
                    f"{case} rank {rank}: res.x is {layout}, expected partition "
                    f"{rec['expected_partition']} and local shape {rec['expected_local_shape']}"
                )
            if rec["objective_type"] != "float":
                problems.append(f"{case} rank {rank}: objective is a {rec['objective_type']}")
            if not rec["same_on_every_rank"]:
                problems.append(f"{case}: objective, counters or stop reason differ by rank")
            ref = rec["reference_objective"]
            for what in ("objective", "objective_at_gathered_x"):
                rel = abs(rec[what] - ref) / max(abs(ref), 1e-300)
                if rel > REL_OBJECTIVE_TOL:
                    problems.append(f"{case} rank {rank}: {what} off by {rel:.2e} (relative)")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


@pytest.mark.parametrize("n_ranks", RANK_COUNTS)
def test_bad_distributed_input_raises_the_same_error_on_every_rank(n_ranks):
    run = launched("bad_input.py", n_ranks)
    if run.timed_out:
        started = {rank: recs[-1]["case"] for rank, recs in run.results("started").items() if recs}
        pytest.fail(f"bad_input.py hung; last case started on each rank: {started}")
    run.check()
    plan = run.results("plan")[0][0]
    results = _by_case(run)
    problems = []
    for case in plan["cases"]:
        expected_type, argument = plan["expected"][case.split("-", 1)[1]]
        per_rank = results.get(case, {})
        if sorted(per_rank) != list(range(n_ranks)):
            problems.append(f"{case}: recorded on ranks {sorted(per_rank)}")
            continue
        raised = {rec["raised"] for rec in per_rank.values()}
        messages = {rec["message"] for rec in per_rank.values()}
        if raised != {expected_type}:
            problems.append(f"{case}: raised {sorted(map(str, raised))}, expected {expected_type}")
        if len(messages) != 1:
            problems.append(f"{case}: the ranks' messages differ: {sorted(messages)}")
        for message in messages:
            if not re.search(rf"\b{re.escape(argument)}\b", message):
                problems.append(f"{case}: the message does not name {argument!r}: {message!r}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
