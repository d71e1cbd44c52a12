"""Speed of sparseinv.fista against skglm, celer, scikit-learn, pylops and pyproximal.

One process, one BLAS thread. Per problem, every solver is timed to a relative
suboptimality of 1e-6 against a certified F* (the lowest final objective of all
solvers, certified by a duality gap computed here, not by sparseinv), and its
operator applications are counted (see ``_peers.py`` for how each solver is
stopped and counted). Printed as markdown tables: one per problem, then a summary
against the targets of issue 11.

Problems (``--problems``, comma-separated keys):

- ``p1`` dense Gaussian CS 500×2000, 50 nonzeros (Gaussian amplitudes), 30 dB,
  λ = 0.05 λ_max; ``p2`` the same at 2000×10000 with 200 nonzeros;
- ``p1s`` / ``p2s`` the same sizes with a scipy sparse CSC matrix: 2 % of the rows
  of every column are nonzero (10 and 40 entries per column), N(0, 1/entries), so
  columns have unit norm on average, as for the dense matrices;
- ``p1g2``, ``p1g20``, ``p2g2``, ``p2g20``: p1 / p2 with one λ per group of 2 or 20
  equal contiguous groups, λ_g = 0.05 λ_max · geomspace(0.5, 2, G) (a 4× spread);
  skglm runs its ``WeightedLasso`` (the WeightedL1 penalty), celer its ``weights``;
- ``p3`` matrix-free spike deconvolution, nt = 4000, dt = 2 ms, pylops
  ``Convolve1D`` with a 30 Hz Ricker, 100 spikes of constant amplitude scale, 20 dB,
  λ = 0.02 λ_max; ``p3csc`` the same problem with the convolution as an explicit
  CSC matrix for every solver (so the coordinate-descent peers can run it);
- ``p4`` complex FK interpolation of a 128×256 gather, 50 % of the traces kept
  (``A = R Fᴴ``, orthonormal FFT2D), λ = 0.01 λ_max.

Columns: ``mv+rmv`` applications of A and Aᴴ (the step estimate included);
``overhead`` = time / (applications × one bare application of the same operator,
A and Aᴴ timed separately in the same run); ``F@stop`` the relative suboptimality
at the timed stop; ``final F`` the relative difference of the solver's long tight
run from F* (agreement asked: 1e-9). ``sparseinv.fista`` is traced (a callback
finds its first iterate within 1e-6), which keeps it off its working set;
``sparseinv.fista (own stop)`` stops on its own certificate at the loosest ``tol``
that reaches 1e-6, as the coordinate-descent peers stop on theirs: the summary
gives both against the best of those peers.

Run: ``python benchmarks/speed_vs_peers.py [--problems p1,p3] [--repeat 5]
[--seeds 0,1] [--quick] [--solvers sparseinv,skglm,...]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import argparse
import importlib.util
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import _one_thread  # noqa: F401  (one BLAS thread, before numpy is imported)
import numpy as np
import pylops
import scipy.sparse as sp
from _harness import (
    AGREEMENT,
    TARGET,
    as_pylops,
    bare_times,
    blas_threads,
    certify,
    fmt_ratio,
    fmt_sci,
    fmt_time,
    machine_load,
    markdown_table,
)
from _peers import (
    CD_SOLVERS,
    CD_TOLERANCES,
    FIRST_ORDER,
    Run,
    SpeedProblem,
    TraceOptions,
    run_coordinate_descent,
    run_sparseinv,
)

import sparseinv as si

ALL_SOLVERS = ("sparseinv", *CD_SOLVERS, *FIRST_ORDER)


# --------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class Sizes:
    """Problem sizes; ``--quick`` shrinks them so that a run takes seconds."""

    cs1: tuple[int, int, int] = (500, 2000, 50)
    cs2: tuple[int, int, int] = (2000, 10000, 200)
    nt: int = 4000
    gather: tuple[int, int] = (128, 256)  # (traces, samples)


QUICK = Sizes(cs1=(100, 400, 10), cs2=(200, 1000, 20), nt=400, gather=(32, 64))


def _explicit_problem(
    key: str, label: str, A: np.ndarray | sp.csc_matrix, b: np.ndarray, fraction: float, note: str
) -> SpeedProblem:
    lam = fraction * si.lam_max(A, b)
    # coordinate descent walks columns: a dense matrix in Fortran order spares each fit a copy
    explicit = np.asfortranarray(A) if isinstance(A, np.ndarray) else A
    return SpeedProblem(
        key, label, A, as_pylops(A), b, si.L1(lam), lam, explicit=explicit, note=note
    )


def dense_cs(key: str, size: tuple[int, int, int], rng: np.random.Generator) -> SpeedProblem:
    """Gaussian CS, Gaussian amplitudes, 30 dB, λ = 0.05 λ_max."""
    m, n, k = size
    p = si.problems.compressed_sensing(m, n, k, amplitudes="gaussian", snr_db=30, rng=rng)
    return _explicit_problem(key, f"dense CS {m}×{n}, {k} nonzeros", p.A, p.b, 0.05, "")


def sparse_gaussian_csc(rng: np.random.Generator, m: int, n: int, per_column: int) -> sp.csc_matrix:
    """CSC matrix with ``per_column`` N(0, 1/per_column) entries at random rows of each column."""
    rows = np.concatenate([rng.choice(m, per_column, replace=False) for _ in range(n)])
    values = rng.standard_normal(n * per_column) / np.sqrt(per_column)
    indptr = np.arange(0, n * per_column + 1, per_column)
    A = sp.csc_matrix((values, rows, indptr), shape=(m, n))
    A.sort_indices()
    return A


def sparse_cs(key: str, size: tuple[int, int, int], rng: np.random.Generator) -> SpeedProblem:
    """The dense CS problem with a 2 %-dense sparse Gaussian CSC matrix."""
    m, n, k = size
    per_column = max(2, round(0.02 * m))
    A = sparse_gaussian_csc(rng, m, n, per_column)
    x_true = np.zeros(n)
    x_true[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    b, _ = si.problems.add_noise(A @ x_true, 30, rng=rng)
    label = f"sparse CSC CS {m}×{n} ({per_column} entries/column), {k} nonzeros"
    return _explicit_problem(key, label, A, b, 0.05, "")


def grouped(base: SpeedProblem, n_groups: int, key: str) -> SpeedProblem:
    """``base`` with one λ per equal contiguous group, λ_g = λ · geomspace(0.5, 2, G)."""
    n = base.Op.shape[1]
    groups = si.Groups.from_sizes([s.size for s in np.array_split(np.arange(n), n_groups)])
    lam_g = float(base.lam_coef) * np.geomspace(0.5, 2.0, n_groups)
    return SpeedProblem(
        key,
        f"{base.label}, λ per group ({n_groups} groups)",
        base.A,
        base.Op,
        base.b,
        si.L1(lam_g, groups=groups),
        groups.expand(lam_g),
        explicit=base.explicit,
        note="skglm WeightedLasso",
    )


def deconvolution(key: str, nt: int, rng: np.random.Generator, explicit: bool) -> SpeedProblem:
    """Spike deconvolution (30 Hz Ricker, dt = 2 ms, 20 dB), λ = 0.02 λ_max."""
    p = si.problems.spike_deconvolution(nt, 0.002, 30.0, decay=0.0, snr_db=20, rng=rng)
    lam = 0.02 * si.lam_max(p.A, p.b)
    label = f"spike deconvolution nt={nt}"
    if not explicit:
        return SpeedProblem(key, label + " (Convolve1D)", p.A, p.A, p.b, si.L1(lam), lam)
    A = sp.csc_matrix(p.A.todense())
    A.eliminate_zeros()
    return SpeedProblem(
        key,
        label + f" (explicit CSC, {A.nnz} entries)",
        A,
        as_pylops(A),
        p.b,
        si.L1(lam),
        lam,
        explicit=A,
    )


def fk_interpolation(key: str, gather: tuple[int, int], rng: np.random.Generator) -> SpeedProblem:
    """Complex FK interpolation, 50 % of the traces, λ = 0.01 λ_max (noiseless)."""
    nx, nt = gather
    p = si.problems.trace_interpolation(nt, nx, 0.5, transform="fk", nffts=(nx, nt), rng=rng)
    lam = 0.01 * si.lam_max(p.A, p.b)
    label = f"complex FK {nx}×{nt}, 50% traces"
    return SpeedProblem(key, label, p.A, p.A, p.b, si.L1(lam), lam, note="complex: CD n/a")


def build(key: str, sizes: Sizes, seed: int) -> SpeedProblem:
    """The problem ``key`` for ``seed``."""
    rng = np.random.default_rng(seed)
    if key in ("p1", "p2"):
        return dense_cs(key, sizes.cs1 if key == "p1" else sizes.cs2, rng)
    if key in ("p1s", "p2s"):
        return sparse_cs(key, sizes.cs1 if key == "p1s" else sizes.cs2, rng)
    if key in ("p1g2", "p1g20", "p2g2", "p2g20"):
        base = dense_cs(key[:2], sizes.cs1 if key.startswith("p1") else sizes.cs2, rng)
        return grouped(base, int(key[3:]), key)
    if key in ("p3", "p3csc"):
        return deconvolution(key, sizes.nt, rng, explicit=key == "p3csc")
    if key == "p4":
        return fk_interpolation(key, sizes.gather, rng)
    raise ValueError(f"unknown problem {key!r}; choose from {', '.join(PROBLEMS)}")


PROBLEMS = ("p1", "p2", "p1s", "p2s", "p1g2", "p1g20", "p2g2", "p2g20", "p3", "p3csc", "p4")
#: ``--quick`` without ``--problems``: one problem of each kind of operator and penalty
QUICK_PROBLEMS = ("p1", "p1s", "p1g2", "p3", "p4")


# --------------------------------------------------------------------------- one problem
@dataclass
class Outcome:
    """Every solver's run on one problem, with the certified F*."""

    problem: SpeedProblem
    seed: int
    runs: list[Run]
    f_star: float
    certified_gap: float
    load: str
    agreement: float = AGREEMENT  # asked of every solver's final F


def reference(p: SpeedProblem, max_seconds: float) -> tuple[float, list[np.ndarray]]:
    """Long tight sparseinv solves: the lowest F and their points (certified with the peers').

    Two runs, the default FISTA and FISTA without Anderson extrapolation (two
    independent paths to F*: Anderson once stalled on complex FK, see
    tests/test_anderson.py), each stopped at a relative duality gap of 1e-13 or after
    ``max_seconds``.
    """
    points = []
    for options in ({}, {"anderson": False}):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", si.ConvergenceWarning)
            res = si.fista(
                p.A, p.b, p.penalty, max_iter=1_000_000, tol=1e-13,
                callback=lambda _x, start=start: time.perf_counter() - start > max_seconds,
                **options,
            )  # fmt: skip
        points.append(res.x)
    return min(p.objective(x) for x in points), points


def bench_problem(
    p: SpeedProblem,
    seed: int,
    solvers: tuple[str, ...],
    repeat: int,
    opts: TraceOptions,
    tolerances: tuple[float, ...],
    floor_seconds: float,
) -> Outcome:
    """Run every solver on ``p``; F* is the lowest final F, certified by the best dual bound."""
    f_ref, ref_points = reference(p, opts.max_seconds)
    floor_si = bare_times(p.A, min_seconds=floor_seconds)
    floor_op = floor_si if p.Op is p.A else bare_times(p.Op, min_seconds=floor_seconds)
    step = 1.0 / si.lipschitz(p.Op, tol=1e-10, max_iter=5000, margin=1.0).value
    runs: list[Run] = []
    for name in solvers:
        if name == "sparseinv":
            runs += run_sparseinv(p, f_ref, opts, floor_si, tolerances)
        elif name in FIRST_ORDER:
            runs += FIRST_ORDER[name](p, f_ref, opts, floor_op, step)
        else:
            runs += run_coordinate_descent(name, p, f_ref, tolerances)
    # round robin: a shared machine's load changes over a run and then hits all alike
    times: dict[int, list[float]] = {i: [] for i, r in enumerate(runs) if r.timed is not None}
    floors = [floor_si] if floor_op is floor_si else [floor_si, floor_op]
    for _ in range(repeat):
        for i in times:
            start = time.perf_counter()
            runs[i].timed()
            times[i].append(time.perf_counter() - start)
        for floor in floors:  # the overhead's denominator, under the same load
            floor.sample()
    for i, samples in times.items():
        runs[i].seconds = float(np.median(samples))
    points = ref_points + [r.final_x for r in runs if r.final_x is not None]
    certificates = [certify(p.Op, p.b, p.lam_coef, x) for x in points]
    f_star = min(c.primal for c in certificates)
    dual = max(c.dual for c in certificates)
    gap = (f_star - dual) / abs(f_star)
    return Outcome(p, seed, runs, f_star, gap, machine_load(), agreement=10 * opts.close)


# --------------------------------------------------------------------------- report
def _rel(value: float | None, f_star: float) -> float | None:
    return None if value is None else abs(value - f_star) / abs(f_star)


def problem_table(out: Outcome) -> str:
    """The markdown table of one problem."""
    ours = next((r for r in out.runs if r.solver == "sparseinv.fista"), None)
    rows = []
    for r in out.runs:
        ratio = (
            ours.seconds / r.seconds
            if ours is not None and ours.seconds is not None and r.seconds is not None
            else None
        )
        apps_ratio = (
            ours.n_applications / r.n_applications
            if ours is not None and ours.n_applications and r.n_applications
            else None
        )
        agreement = _rel(r.final_objective, out.f_star)
        agree = (
            "–"
            if agreement is None
            else f"{agreement:.1e} {'ok' if agreement <= out.agreement else 'NO'}"
        )
        apps = (
            "–" if r.n_applications is None else f"{r.n_applications} ({r.n_matvec}+{r.n_rmatvec})"
        )
        rows.append(
            [
                r.solver,
                r.setting,
                fmt_time(r.seconds),
                fmt_ratio(ratio),
                apps,
                fmt_ratio(apps_ratio),
                r.iterations,
                fmt_ratio(r.overhead),
                fmt_sci(None if r.reached is None else max(r.reached, 0.0)),
                agree,
                r.note,
            ]
        )
    header = [
        "solver", "stop", "time", "sparseinv/this", "mv+rmv", "apps ratio", "iterations",
        "overhead", "F@stop", "final F vs F*", "note",
    ]  # fmt: skip
    title = (
        f"### {out.problem.key}: {out.problem.label}, seed {out.seed} "
        f"({out.load}; F* = {out.f_star:.12g}, certified relative gap {out.certified_gap:.1e})"
    )
    return title + "\n\n" + markdown_table(header, rows)


def summary_table(outcomes: list[Outcome]) -> str:
    """sparseinv against the best explicit-matrix peer and pyproximal, with issue 11's targets."""
    rows = []
    for out in outcomes:
        by_name = {r.solver: r for r in out.runs}
        ours = by_name.get("sparseinv.fista")
        t_ours = None if ours is None else ours.seconds
        # stopped on its own certificate, as the CD peers on their tol: what a user runs
        # (the traced run's callback keeps fista off its working set)
        own = by_name.get("sparseinv.fista (own stop)")
        t_own = None if own is None else own.seconds
        cd = [by_name[n] for n in CD_SOLVERS if n in by_name and by_name[n].seconds is not None]
        best = min(cd, key=lambda r: r.seconds) if cd else None
        prox = by_name.get("pyproximal PG(fista)")
        t_prox = None if prox is None else prox.seconds
        agreements = [_rel(r.final_objective, out.f_star) for r in out.runs]
        worst = max((a for a in agreements if a is not None), default=None)
        rows.append(
            [
                f"{out.problem.key} (seed {out.seed})",
                fmt_time(t_ours),
                "–" if best is None else f"{best.solver} {fmt_time(best.seconds)}",
                fmt_ratio(None if best is None or t_ours is None else t_ours / best.seconds),
                fmt_time(t_own),
                fmt_ratio(None if best is None or t_own is None else t_own / best.seconds),
                fmt_time(t_prox),
                fmt_ratio(None if t_prox is None or t_ours is None else t_ours / t_prox),
                fmt_ratio(None if t_prox is None or t_own is None else t_own / t_prox),
                fmt_ratio(None if ours is None else ours.overhead),
                "–" if worst is None else f"{worst:.1e} {'ok' if worst <= out.agreement else 'NO'}",
                out.load,
            ]
        )
    header = [
        "problem", "sparseinv (traced)", "best CD peer", "ratio (target ≤ 1.0)",
        "sparseinv own stop", "own stop / CD peer", "pyproximal",
        "ratio (target ≤ 0.3 on p3, p4)", "own stop / pyproximal", "overhead (target ≤ 1.15)",
        "worst final-F disagreement (≤ 1e-9; --quick 1e-7)", "machine",
    ]  # fmt: skip
    return "### Summary against issue 11\n\n" + markdown_table(header, rows)


# --------------------------------------------------------------------------- main
def available(solvers: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """The solvers whose package imports, and a note for those missing."""
    modules = {"skglm": "skglm", "celer": "celer", "scikit-learn": "sklearn",
               "pyproximal": "pyproximal"}  # fmt: skip
    kept, missing = [], []
    for name in solvers:
        module = modules.get(name)
        if module is not None and importlib.util.find_spec(module) is None:
            missing.append(f"{name} (not installed)")
        else:
            kept.append(name)
    return tuple(kept), missing


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--problems",
        default=None,
        help=f"comma-separated keys (default all; with --quick {','.join(QUICK_PROBLEMS)})",
    )
    parser.add_argument("--solvers", default=",".join(ALL_SOLVERS), help="comma-separated")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the median is kept")
    parser.add_argument("--max-iter", type=int, default=20_000, help="cap of traced runs")
    parser.add_argument(
        "--trace-seconds", type=float, default=600.0, help="cap of one traced run's time"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 repeat: seconds")
    args = parser.parse_args(argv)
    if args.problems is None:
        args.problems = ",".join(QUICK_PROBLEMS if args.quick else PROBLEMS)
    for name in args.solvers.split(","):
        if name not in ALL_SOLVERS:
            parser.error(f"--solvers: unknown {name!r}; choose from {', '.join(ALL_SOLVERS)}")
    for key in args.problems.split(","):
        if key not in PROBLEMS:
            parser.error(f"--problems: unknown {key!r}; choose from {', '.join(PROBLEMS)}")
    return args


def main(argv: list[str] | None = None, *, emit: Callable[[str], None] = print) -> list[Outcome]:
    args = parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    repeat = 1 if args.quick else args.repeat
    opts = TraceOptions(
        max_iter=min(args.max_iter, 3000) if args.quick else args.max_iter,
        max_seconds=min(args.trace_seconds, 2.0) if args.quick else args.trace_seconds,
        # --quick is a smoke test: its traces stop 100x short of the 1e-9 agreement
        close=1e-8 if args.quick else AGREEMENT / 10,
    )
    tolerances = CD_TOLERANCES[::2] if args.quick else CD_TOLERANCES
    floor_seconds = 0.005 if args.quick else 0.05
    solvers, missing = available(tuple(args.solvers.split(",")))
    emit(
        f"Time to relative suboptimality {TARGET:g} against a certified F*; median of {repeat} "
        f"run(s); {blas_threads()}; sparseinv {si.__version__}, pylops {pylops.__version__}, "
        f"numpy {np.__version__}; final F asked to agree with F* to {10 * opts.close:g}; "
        f"{machine_load()} at start." + (f" Skipped: {', '.join(missing)}." if missing else "")
    )
    start = time.perf_counter()
    outcomes = []
    for key in args.problems.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            p = build(key, sizes, seed)
            out = bench_problem(p, seed, solvers, repeat, opts, tolerances, floor_seconds)
            outcomes.append(out)
            emit("\n" + problem_table(out))
    emit("\n" + summary_table(outcomes))
    emit(f"\nTotal {time.perf_counter() - start:.1f} s; {machine_load()} at the end.")
    return outcomes


if __name__ == "__main__":
    main()
