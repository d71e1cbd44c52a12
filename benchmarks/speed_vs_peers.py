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
    Op: pylops.LinearOperator  # what pylops receives
    b: np.ndarray
    lam: float


def problem_cs(rng: np.random.Generator) -> Problem:
    m, n, k = 500, 2000, 50
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    b = _add_noise(A @ x, 30.0, rng)
    return Problem("cs 500x2000", A, pylops.MatrixMult(A), b, 0.05 * si.lam_max(A, b))


def problem_deconv(rng: np.random.Generator, dt: float = 0.002) -> Problem:
    nt, f0 = 4000, 30.0
    t = np.arange(round(0.08 / dt) + 1) * dt
    wav, _, center = pylops.utils.wavelets.ricker(t, f0=f0)
    Op = pylops.signalprocessing.Convolve1D(nt, h=wav, offset=center)
    x = np.zeros(nt)
    idx = rng.choice(nt, 80, replace=False)
    x[idx] = rng.standard_normal(idx.size)
    b = _add_noise(Op @ x, 20.0, rng)
    return Problem(f"deconv nt=4000 dt={dt * 1e3:g} ms", Op, Op, b, 0.02 * si.lam_max(Op, b))


def problem_fk(rng: np.random.Generator) -> Problem:
    nx, nt, dt = 128, 256, 0.004
    t = np.arange(nt) * dt
    wav = pylops.utils.wavelets.ricker(t[:41], f0=20.0)[0]
    d = np.zeros((nx, nt))
    for slope, t0, amp in ((0.4e-3, 0.2, 1.0), (-0.2e-3, 0.5, -0.7), (0.9e-3, 0.1, 0.5)):
        for ix in range(nx):
            it = round((t0 + slope * ix * 10) / dt)
            if 0 <= it < nt:
                d[ix, it] += amp
    d = np.apply_along_axis(lambda tr: np.convolve(tr, wav, mode="same"), 1, d)
    keep = np.sort(rng.choice(nx, nx // 2, replace=False))
    R = pylops.Restriction((nx, nt), keep, axis=0, dtype=np.complex128)
    F = pylops.signalprocessing.FFT2D(dims=(nx, nt), dtype=np.complex128)
    Op = R @ F.H
    b = (R @ d.ravel()).astype(np.complex128)
    return Problem("fk 128x256 complex", Op, Op, b, 0.01 * si.lam_max(Op, b))


def _add_noise(clean: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    sigma = np.linalg.norm(clean) / np.sqrt(clean.size) * 10 ** (-snr_db / 20)
    return clean + sigma * rng.standard_normal(clean.size)


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


def bench(p: Problem, repeat: int, max_iter: int) -> dict[str, Any]:
    ref = si.fista(p.A, p.b, si.L1(p.lam), max_iter=100_000, tol=1e-12)
    L = si.lipschitz(p.Op, tol=1e-10, max_iter=2000, margin=1.0).value
    step = 1.0 / L

    # sparseinv: its history holds F at every iterate and the running count
    si_run = run_sparseinv(p, max_iter)
    xs: list[np.ndarray] = []
    run_pylops(p, max_iter, step, callback=lambda x: xs.append(x.copy()))
    f_pylops = np.array([objective(p, x) for x in xs])
    f_star = min(ref.objective, float(si_run.history["objective"].min()), float(f_pylops.min()))

    k_si = iterations_to_target(si_run.history["objective"], f_star)
    k_py = iterations_to_target(np.concatenate([[objective(p, 0 * xs[0])], f_pylops]), f_star)
    out: dict[str, Any] = {"problem": p.name, "k_si": k_si, "k_py": k_py}
    if k_si is None or k_py is None:
        return out
    out["apps_si"] = int(si_run.history["n_applications"][k_si])
    counted = Counted(p.Op)
    run_pylops(p, k_py, step, Op=counted)
    out["apps_py"] = counted.n
    out["t_si"] = median_time(lambda: run_sparseinv(p, k_si), repeat)
    out["t_py"] = median_time(lambda: run_pylops(p, k_py, step), repeat)
    certified = si.fista(p.A, p.b, si.L1(p.lam), max_iter=100_000, tol=TARGET)
    out["certified_iter"] = certified.n_iter
    out["certified_apps"] = certified.n_applications
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--problems", default="cs,deconv,deconv1ms,fk")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    header = (
        "| problem | sparseinv it | pylops it | sparseinv apps | pylops apps | apps ratio "
        "| sparseinv s | pylops s | time ratio |"
    )
    print(header)
    print("|" + "---|" * 9)
    for name in args.problems.split(","):
        p = PROBLEMS[name](np.random.default_rng(args.seed))
        r = bench(p, args.repeat, args.max_iter)
        if "t_si" not in r:
            print(f"| {r['problem']} | target not reached: {r} |")
            continue
        print(
            f"| {r['problem']} | {r['k_si']} | {r['k_py']} | {r['apps_si']} | {r['apps_py']} "
            f"| {r['apps_si'] / r['apps_py']:.2f} | {r['t_si'] * 1e3:.1f} ms | "
            f"{r['t_py'] * 1e3:.1f} ms | {r['t_si'] / r['t_py']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
