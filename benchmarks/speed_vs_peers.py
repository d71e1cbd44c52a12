"""Speed of sparseinv.fista against pylops (and pyproximal) on the three issue problems.

Roles as in benchopt: *problems* build (A, b, λ), *solvers* run to a given
iteration count, the *metric* is time and operator applications to reach a
relative suboptimality of 1e-6 against a reference F* from a long certified run.

Run: ``python benchmarks/speed_vs_peers.py [--problems cs,deconv,fk] [--repeat 5]``.
Timings use one BLAS thread; sparseinv's time includes its own step estimate,
pylops is handed its step 1/L. Operator applications are counted by wrapping A.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pylops
from pylops.optimization.sparsity import fista as pylops_fista

import sparseinv as si

TARGET = 1e-6


# --------------------------------------------------------------------------- problems
@dataclass
class Problem:
    name: str
    A: Any  # what sparseinv receives
    Op: pylops.LinearOperator  # what the peers receive
    b: np.ndarray
    lam: float


def _from_suite(p: si.problems.Problem, name: str, fraction: float) -> Problem:
    A = p.A
    Op = pylops.MatrixMult(A) if isinstance(A, np.ndarray) else A
    return Problem(name, A, Op, p.b, fraction * si.lam_max(A, p.b))


def problem_cs(rng: np.random.Generator) -> Problem:
    p = si.problems.compressed_sensing(500, 2000, 50, amplitudes="gaussian", snr_db=30, rng=rng)
    return _from_suite(p, "(a) dense CS 500x2000", 0.05)


def problem_deconv(rng: np.random.Generator, dt: float = 0.002) -> Problem:
    p = si.problems.spike_deconvolution(4000, dt, 30.0, decay=0.0, snr_db=20, rng=rng)
    return _from_suite(p, f"(b) deconvolution nt=4000 dt={dt * 1e3:g} ms", 0.02)


def problem_fk(rng: np.random.Generator) -> Problem:
    p = si.problems.trace_interpolation(256, 128, 0.5, transform="fk", nffts=(128, 256), rng=rng)
    return _from_suite(p, "(c) complex FK 128x256, 50% traces", 0.01)


PROBLEMS: dict[str, Callable[[np.random.Generator], Problem]] = {
    "cs": problem_cs,
    "deconv": problem_deconv,
    "deconv1ms": lambda rng: problem_deconv(rng, dt=0.001),
    "fk": problem_fk,
}


# --------------------------------------------------------------------------- counting
class Counted(pylops.LinearOperator):
    """pylops operator that counts the applications of the one it wraps."""

    def __init__(self, Op: pylops.LinearOperator) -> None:
        super().__init__(Op=Op)
        self.n = 0

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        self.n += 1
        return self.Op._matvec(x)

    def _rmatvec(self, x: np.ndarray) -> np.ndarray:
        self.n += 1
        return self.Op._rmatvec(x)


def objective(p: Problem, x: np.ndarray) -> float:
    r = p.Op @ x - p.b
    return 0.5 * float(np.vdot(r, r).real) + p.lam * float(np.abs(x).sum())


# --------------------------------------------------------------------------- solvers
def run_sparseinv(p: Problem, n_iter: int) -> si.SolveResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        return si.fista(p.A, p.b, si.L1(p.lam), max_iter=n_iter, tol=0.0)


def run_pyproximal(
    p: Problem, n_iter: int, step: float, Op: Any = None, callback: Any = None
) -> Any:
    import pyproximal

    x0 = np.zeros(p.Op.shape[1], dtype=np.result_type(p.Op.dtype, p.b.dtype))
    return pyproximal.optimization.primal.ProximalGradient(
        pyproximal.L2(Op=p.Op if Op is None else Op, b=p.b),
        pyproximal.L1(sigma=p.lam),
        x0=x0,
        tau=step,
        niter=n_iter,
        acceleration="fista",
        callback=callback,
    )


def run_pylops(p: Problem, n_iter: int, step: float, Op: Any = None, callback: Any = None) -> Any:
    return pylops_fista(
        p.Op if Op is None else Op,
        p.b,
        niter=n_iter,
        eps=si.to_pylops_eps(p.lam),
        alpha=step,
        tol=0.0,
        callback=callback,
    )[0]


def iterations_to_target(values: np.ndarray, f_star: float) -> int | None:
    hit = np.flatnonzero((values - f_star) / abs(f_star) <= TARGET)
    return int(hit[0]) if hit.size else None


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


PEERS: dict[str, Callable[..., Any]] = {"pylops fista": run_pylops}
try:
    import pyproximal  # noqa: F401

    PEERS["pyproximal PG(fista)"] = run_pyproximal
except ImportError:  # optional peer
    pass


def bench(p: Problem, repeat: int, max_iter: int) -> list[dict[str, Any]]:
    """One row per peer: iterations, applications and seconds to reach the target."""
    ref = si.fista(p.A, p.b, si.L1(p.lam), max_iter=100_000, tol=1e-12)
    step = 1.0 / si.lipschitz(p.Op, tol=1e-10, max_iter=2000, margin=1.0).value

    # sparseinv's history holds F at every iterate and the running operator count
    ours = run_sparseinv(p, max_iter)
    traces = {}
    for name, run in PEERS.items():
        xs: list[np.ndarray] = []
        run(p, max_iter, step, callback=lambda x, xs=xs: xs.append(x.copy()))
        x0 = np.zeros_like(xs[0])
        traces[name] = np.array([objective(p, x) for x in [x0, *xs]])
    f_star = min(
        ref.objective, ours.history["objective"].min(), *(t.min() for t in traces.values())
    )

    k_si = iterations_to_target(ours.history["objective"], f_star)
    rows = []
    t_si = median_time(lambda: run_sparseinv(p, k_si), repeat) if k_si is not None else None
    apps_si = int(ours.history["n_applications"][k_si]) if k_si is not None else None
    certified = si.fista(p.A, p.b, si.L1(p.lam), max_iter=100_000, tol=TARGET)
    for name, run in PEERS.items():
        k_peer = iterations_to_target(traces[name], f_star)
        row = {
            "problem": p.name,
            "peer": name,
            "k_si": k_si,
            "k_peer": k_peer,
            "apps_si": apps_si,
            "t_si": t_si,
            "certified_apps": certified.n_applications,
        }
        if k_peer is not None and k_si is not None:
            counted = Counted(p.Op)
            run(p, k_peer, step, Op=counted)
            row["apps_peer"] = counted.n
            row["t_peer"] = median_time(lambda run=run, k=k_peer: run(p, k, step), repeat)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--problems", default="cs,deconv,deconv1ms,fk")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=3000)
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    args = parser.parse_args()
    print(
        f"target: relative suboptimality {TARGET:g}; one BLAS thread; sparseinv time includes "
        "its step estimate, the peers get step 1/L"
    )
    print(
        "| problem | seed | peer | sparseinv it | peer it | sparseinv apps | peer apps "
        "| apps ratio | sparseinv ms | peer ms | time ratio | sparseinv certified stop (apps) |"
    )
    print("|" + "---|" * 12)
    for name in args.problems.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            p = PROBLEMS[name](np.random.default_rng(seed))
            for r in bench(p, args.repeat, args.max_iter):
                if "t_peer" not in r:
                    print(f"| {r['problem']} | {seed} | {r['peer']} | target not reached: {r} |")
                    continue
                print(
                    f"| {r['problem']} | {seed} | {r['peer']} | {r['k_si']} | {r['k_peer']} "
                    f"| {r['apps_si']} | {r['apps_peer']} | {r['apps_si'] / r['apps_peer']:.2f} "
                    f"| {r['t_si'] * 1e3:.1f} | {r['t_peer'] * 1e3:.1f} "
                    f"| {r['t_si'] / r['t_peer']:.2f} | {r['certified_apps']} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
