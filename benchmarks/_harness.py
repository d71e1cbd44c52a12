"""Measuring tools shared by the benchmark scripts of this folder.

Nothing here is sparseinv's own code: the objective, the duality-gap certificate
and the counters are written again from their definitions, so that a benchmark
checks the package instead of trusting it.

- :class:`Counted` wraps a pylops operator and counts forward and adjoint
  applications, vector by vector and block by block;
- :func:`certify` bounds the suboptimality of a point by a duality gap;
- :func:`bare_times` measures one bare application of an operator;
- :func:`per_call_time` and :func:`machine_load` time and describe the run;
- :func:`markdown_table` prints the results.

The scripts import :mod:`_one_thread` before numpy; this module reads the
setting back (:func:`blas_threads`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pylops
from _one_thread import THREAD_VARIABLES

import sparseinv as si

#: relative suboptimality every solver is timed to
TARGET = 1e-6
#: agreement asked of every solver's final objective with the certified F*
AGREEMENT = 1e-9


def blas_threads() -> str:
    """The thread settings in force, for the header of a report."""
    return ", ".join(f"{name}={os.environ.get(name, 'unset')}" for name in THREAD_VARIABLES)


def machine_load() -> str:
    """The 1-, 5- and 15-minute load averages and the CPU count (a shared machine is noisy)."""
    try:
        loads = os.getloadavg()
    except OSError:  # not available on every platform
        return "load unknown"
    return f"load {loads[0]:.2f} {loads[1]:.2f} {loads[2]:.2f} on {os.cpu_count()} CPUs"


# --------------------------------------------------------------------------- counting
def as_pylops(A: Any) -> pylops.LinearOperator:
    """A pylops view of A: an operator as is, a dense or scipy sparse matrix as MatrixMult."""
    if isinstance(A, pylops.LinearOperator):
        return A
    return pylops.MatrixMult(A, dtype=A.dtype)


class Counted(pylops.LinearOperator):
    """A pylops operator that counts the applications of the one it wraps.

    ``n_matvec`` / ``n_rmatvec`` count vector applications; ``n_matmat`` /
    ``n_rmatmat`` count block applications and ``n_matmat_columns`` /
    ``n_rmatmat_columns`` the columns they carried. A block passed on to an operator
    whose own ``_matmat`` loops over columns is counted once as a block; the columns
    then say what it cost.
    """

    def __init__(self, Op: Any) -> None:
        Op = as_pylops(Op)
        super().__init__(Op=Op, dtype=Op.dtype, shape=Op.shape)
        self.reset()

    def reset(self) -> None:
        """Set every counter to 0."""
        self.n_matvec = self.n_rmatvec = 0
        self.n_matmat = self.n_rmatmat = 0
        self.n_matmat_columns = self.n_rmatmat_columns = 0

    @property
    def n_applications(self) -> int:
        """Vector applications of A and Aᴴ, a block of k columns counting k."""
        return self.n_matvec + self.n_rmatvec + self.n_matmat_columns + self.n_rmatmat_columns

    @property
    def n_blocks(self) -> int:
        """Applications of A and Aᴴ, a block counting 1 whatever its columns."""
        return self.n_matvec + self.n_rmatvec + self.n_matmat + self.n_rmatmat

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        self.n_matvec += 1
        return self.Op._matvec(x)

    def _rmatvec(self, x: np.ndarray) -> np.ndarray:
        self.n_rmatvec += 1
        return self.Op._rmatvec(x)

    def _matmat(self, X: np.ndarray) -> np.ndarray:
        self.n_matmat += 1
        self.n_matmat_columns += X.shape[1]
        return self.Op._matmat(X)

    def _rmatmat(self, X: np.ndarray) -> np.ndarray:
        self.n_rmatmat += 1
        self.n_rmatmat_columns += X.shape[1]
        return self.Op._rmatmat(X)


# --------------------------------------------------------------------------- objective
def l1_objective(Op: pylops.LinearOperator, b: np.ndarray, lam: Any, x: Any) -> float:
    """``½‖Ax − b‖² + Σ λ_i |x_i|`` (complex modulus for complex x); ``lam`` scalar or (n,)."""
    x = np.asarray(x).reshape(-1)
    r = Op @ x - b
    return 0.5 * float(np.vdot(r, r).real) + float(np.sum(lam * np.abs(x)))


@dataclass(frozen=True)
class Certificate:
    """A duality-gap certificate of the point ``x`` of an L1 problem.

    Attributes
    ----------
    primal : float
        F(x).
    dual : float
        D(θ) ≤ F* for the feasible dual point θ built from the residual.
    """

    primal: float
    dual: float

    @property
    def relative_gap(self) -> float:
        """``(F(x) − D(θ)) / F(x)``, which bounds ``(F(x) − F*) / F(x)``."""
        return max(self.primal - self.dual, 0.0) / max(self.primal, np.finfo(float).tiny)


def certify(Op: Any, b: np.ndarray, lam: Any, x: np.ndarray) -> Certificate:
    r"""Duality-gap certificate of x for :math:`\min_x \tfrac12\|Ax-b\|^2 + \sum_i\lambda_i|x_i|`.

    The dual is :math:`D(\theta) = \operatorname{Re}\langle\theta, b\rangle - \tfrac12\|\theta\|^2`
    over :math:`|a_i^H\theta| \le \lambda_i`; :math:`\theta = s\,(b - Ax)` with the best
    feasible scale s. ``lam`` is a scalar or one value per coefficient.
    """
    Op = as_pylops(Op)
    x = np.asarray(x).reshape(-1)
    r = b - Op @ x
    corr = np.abs(Op.H @ r)
    lam_vec = np.broadcast_to(np.asarray(lam, dtype=float), corr.shape)
    active = corr > 0
    s_max = float(np.min(lam_vec[active] / corr[active])) if active.any() else math.inf
    rr = float(np.vdot(r, r).real)
    rb = float(np.vdot(r, b).real)
    s = min(max(rb / rr, 0.0), s_max) if rr > 0 else 0.0
    dual = s * rb - 0.5 * s * s * rr
    primal = 0.5 * rr + float(np.sum(lam_vec * np.abs(x)))
    return Certificate(primal=primal, dual=dual)


def relative_suboptimality(values: Any, f_star: float) -> np.ndarray:
    """``(F − F*) / |F*|`` elementwise."""
    return (np.asarray(values, dtype=float) - f_star) / abs(f_star)


def first_at_target(values: Any, f_star: float, target: float = TARGET) -> int | None:
    """Index of the first value within ``target`` of ``f_star`` (relative), or None."""
    hit = np.flatnonzero(relative_suboptimality(values, f_star) <= target)
    return int(hit[0]) if hit.size else None


# --------------------------------------------------------------------------- timing
def per_call_time(fn: Callable[[], Any], *, min_seconds: float = 0.05, blocks: int = 5) -> float:
    """Median over ``blocks`` of the mean time of one call in a block lasting ``min_seconds``."""
    fn()  # warm caches (FFT plans, sparse index arrays)
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    calls = max(1, math.ceil(min_seconds / once))
    means = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        means.append((time.perf_counter() - start) / calls)
    return float(np.median(means))


class BareTimes:
    """Time of one bare application of A and of Aᴴ, as sparseinv applies them.

    :func:`sparseinv.as_operator` is what every sparseinv solver applies, so this is
    the floor of its iterations (a dense matrix as ``A @ x``, a sparse one as CSR, a
    pylops operator through its ``matvec``). On a shared machine the load changes
    during a run: :meth:`sample` is called between the timed solver runs, and the
    medians of all samples are used.
    """

    def __init__(self, A: Any, *, min_seconds: float = 0.05, rng: int = 0) -> None:
        op = si.as_operator(A)
        m, n = op.shape
        gen = np.random.default_rng(rng)
        x = gen.standard_normal(n).astype(op.dtype)
        r = gen.standard_normal(m).astype(op.dtype)
        self._forward = lambda: op.matvec(x)
        self._adjoint = lambda: op.rmatvec(r)
        self._min_seconds = min_seconds
        self._samples: tuple[list[float], list[float]] = ([], [])
        self.sample(blocks=3)

    def sample(self, blocks: int = 1) -> None:
        """Add a measurement of each (``blocks`` blocks of ``min_seconds``)."""
        for fn, samples in zip((self._forward, self._adjoint), self._samples, strict=True):
            samples.append(per_call_time(fn, min_seconds=self._min_seconds, blocks=blocks))

    @property
    def matvec(self) -> float:
        """Median time of one application of A, in seconds."""
        return float(np.median(self._samples[0]))

    @property
    def rmatvec(self) -> float:
        """Median time of one application of Aᴴ, in seconds."""
        return float(np.median(self._samples[1]))

    def floor(self, n_matvec: int, n_rmatvec: int) -> float:
        """What ``n_matvec`` applications of A and ``n_rmatvec`` of Aᴴ cost."""
        return n_matvec * self.matvec + n_rmatvec * self.rmatvec


def bare_times(A: Any, *, min_seconds: float = 0.05) -> BareTimes:
    """A :class:`BareTimes` of ``A``, measured once (more with ``.sample()``)."""
    return BareTimes(A, min_seconds=min_seconds)


# --------------------------------------------------------------------------- output
def fmt_time(seconds: float | None) -> str:
    """A time in the unit that suits it."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_ratio(value: float | None) -> str:
    """A ratio as ``1.23×``."""
    return "–" if value is None or not math.isfinite(value) else f"{value:.2f}×"


def fmt_sci(value: float | None) -> str:
    """A small number in scientific notation."""
    return "–" if value is None or not math.isfinite(value) else f"{value:.1e}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table of strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
