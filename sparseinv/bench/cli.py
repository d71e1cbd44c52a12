"""The ``sparseinv`` command line: ``sparseinv bench [--suite quick|full] ...``."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

__all__ = ["main", "run_bench"]


def _default_jobs() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def run_bench(
    *,
    suite: str = "quick",
    cases: Sequence[str] | None = None,
    out: str | Path = "results",
    seed: int = 0,
    jobs: int = 1,
    stream: TextIO | str | None = "stdout",
) -> dict[str, Path]:
    """Run benchmark cases and write ``results.md``, ``results.csv`` and figures.

    Parameters
    ----------
    suite : {"quick", "full"}, default "quick"
        Trials and sizes (the same code runs in both).
    cases : sequence of str, optional
        Names of :data:`sparseinv.bench.CASES` to run, in that order; all by default.
    out : str or Path, default "results"
        Output folder.
    seed : int, default 0
        Base seed; every trial's seed derives from it.
    jobs : int, default 1
        Worker processes for the trials.
    stream : file, "stdout" or None, default "stdout"
        Where progress lines go: a file, the current standard output, or nowhere.

    Returns
    -------
    dict of str to Path
        ``"markdown"``, ``"csv"`` and the figures.

    Examples
    --------
    >>> import tempfile
    >>> from sparseinv.bench.cases import CASES
    >>> paths = run_bench(cases=[], out=tempfile.mkdtemp(), stream=None)
    >>> sorted(paths)
    ['csv', 'markdown']
    """
    from sparseinv.bench.cases import CASES, SUITES
    from sparseinv.bench.report import write_report
    from sparseinv.bench.runner import Runner, limit_blas_threads

    if suite not in SUITES:
        raise ValueError(f"suite must be one of {SUITES}; got {suite!r}")
    names = list(CASES) if cases is None else list(cases)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise ValueError(f"cases must be among {', '.join(CASES)}; got {', '.join(unknown)}")
    start = time.perf_counter()
    reports = []
    with limit_blas_threads(1), Runner(jobs=jobs, seed=seed, stream=stream) as runner:
        for i, name in enumerate(names, 1):
            runner.log(f"case {i}/{len(names)}: {name} ({suite} suite)")
            report = CASES[name].run(CASES[name].config(suite), runner)
            for check in report.checks:
                runner.log(f"  {check.status:6s} {check.target}: {check.measured}")
            runner.log(f"case {name} done in {report.seconds:.0f} s")
            reports.append(report)
        paths = write_report(
            reports, out, suite=suite, seed=seed, jobs=jobs, seconds=time.perf_counter() - start
        )
    return paths


def _parser() -> argparse.ArgumentParser:
    from sparseinv.bench.cases import CASES, SUITES

    parser = argparse.ArgumentParser(prog="sparseinv", description="sparseinv command line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    bench = commands.add_parser(
        "bench",
        help="run the recovery-quality benchmark",
        description="Run the recovery-quality benchmark and write results.md, results.csv "
        "and PNG figures.",
    )
    bench.add_argument("--suite", choices=SUITES, default="quick", help="trial counts and sizes")
    bench.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated cases to run (default: all): {', '.join(CASES)}",
    )
    bench.add_argument("--out", default="results", help="output folder (default: results)")
    bench.add_argument("--seed", type=int, default=0, help="base seed (default: 0)")
    bench.add_argument(
        "--jobs",
        type=int,
        default=_default_jobs(),
        help="worker processes for the trials (default: the usable cores, at most 4)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sparseinv`` console script.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after the program name (``sys.argv[1:]`` by default), e.g.
        ``["bench", "--suite", "quick"]``.

    Returns
    -------
    int
        Exit status: 0 on success, 2 for bad arguments.

    Examples
    --------
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> main(["bench", "--cases", "", "--out", out, "--jobs", "1"])  # doctest: +ELLIPSIS
    report: .../results.md ...
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1; got {args.jobs}")
    os.environ.setdefault("MPLBACKEND", "Agg")
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    try:
        paths = run_bench(
            suite=args.suite, cases=cases, out=args.out, seed=args.seed, jobs=args.jobs
        )
    except ValueError as err:
        parser.error(str(err))
    folder = paths["markdown"].parent
    print(f"report: {paths['markdown']}  (table: {paths['csv']}; figures in {folder})")
    return 0
