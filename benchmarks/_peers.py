"""The solvers of ``speed_vs_peers.py``, each run to a relative suboptimality of 1e-6.

Every runner takes a :class:`SpeedProblem` and returns a :class:`Run`: the
cheapest setting at which the solver reaches the target, its median time there,
its operator applications (or what the solver reports instead), and the objective
of a long, tight run, whose agreement with the certified F* shows that all
solvers minimize the same function.

How each solver is stopped at the target:

- first-order solvers (sparseinv, pylops, pyproximal): a traced run records F at
  every iterate (an untimed callback); the timed run stops at the first iterate
  within the target (``max_iter`` / ``niter`` = that count). sparseinv is also
  timed stopping on its own certificate, ``tol=1e-6``;
- coordinate-descent solvers (scikit-learn, skglm, celer), which have no
  per-iteration callback: their ``tol`` is swept from 1e-1 down by factors of √10
  and the loosest ``tol`` whose solution is within the target is timed.

Conventions: sklearn/skglm/celer ``alpha = λ / n_samples`` (their datafit is
``‖y − Xw‖² / (2 n_samples)``), per-coefficient λ as ``alpha · weights`` with
``weights = λ_i / λ_ref``; pylops ``eps = 2λ``; pyproximal ``L2(Op, b)`` +
``L1(sigma=λ)``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pylops
from _harness import (
    AGREEMENT,
    TARGET,
    BareTimes,
    Counted,
    first_at_target,
    l1_objective,
    relative_suboptimality,
)

import sparseinv as si

#: the tolerances swept for the coordinate-descent solvers, loosest first
CD_TOLERANCES = tuple(10.0 ** (-e / 2) for e in range(2, 29))


@dataclass
class SpeedProblem:
    """One problem of the speed benchmark, as each kind of solver receives it."""

    key: str
    label: str
    A: Any  # what sparseinv receives: ndarray, scipy sparse or pylops operator
    Op: pylops.LinearOperator  # what pylops and pyproximal receive
    b: np.ndarray
    penalty: si.L1
    lam_coef: float | np.ndarray  # λ per coefficient (or one), for objective and certificate
    explicit: Any = None  # real explicit matrix for the coordinate-descent peers, or None
    note: str = ""

    @property
    def lam_ref(self) -> float:
        """One λ: the scalar one, or the mean of the per-coefficient ones."""
        return float(np.mean(self.lam_coef))

    @property
    def per_coefficient(self) -> bool:
        """True when λ varies over the coefficients."""
        return np.ndim(self.lam_coef) > 0

    def objective(self, x: Any) -> float:
        """F(x) = ½‖Ax − b‖² + Σ λ_i |x_i|, evaluated outside every solver."""
        return l1_objective(self.Op, self.b, self.lam_coef, x)


@dataclass
class Run:
    """One solver on one problem: the cheapest setting reaching the target, and its cost."""

    solver: str
    setting: str = "–"  # the stop: iterations or tol
    seconds: float | None = None  # median time at that setting
    n_matvec: int | None = None  # applications of A (None: not countable)
    n_rmatvec: int | None = None  # applications of Aᴴ
    iterations: str = "–"  # iterations, epochs or outer iterations, as the solver reports them
    reached: float | None = None  # relative suboptimality at the timed setting
    final_objective: float | None = None  # F after a long tight run
    final_x: Any = field(default=None, repr=False)
    floor: BareTimes | None = None  # bare application times of the operator it applied
    note: str = ""
    timed: Callable[[], Any] | None = field(default=None, repr=False)  # the run to time

    @property
    def reached_target(self) -> bool:
        return self.timed is not None

    @property
    def n_applications(self) -> int | None:
        if self.n_matvec is None or self.n_rmatvec is None:
            return None
        return self.n_matvec + self.n_rmatvec

    @property
    def overhead(self) -> float | None:
        """Time over (applications × bare application time): 1.0 is the floor."""
        if self.seconds is None or self.floor is None or self.n_applications is None:
            return None
        return self.seconds / self.floor.floor(self.n_matvec, self.n_rmatvec)


class _TraceDone(Exception):
    """Raised from a callback to end a traced run once it is close enough to F*."""


@dataclass(frozen=True)
class TraceOptions:
    """Limits of the traced runs of the first-order solvers."""

    max_iter: int = 20_000
    max_seconds: float = 60.0
    close: float = AGREEMENT / 10  # a traced run may stop once this close to F*


def _trace(
    run: Callable[[int, Callable[[np.ndarray], None]], Any],
    p: SpeedProblem,
    f_ref: float,
    opts: TraceOptions,
) -> tuple[np.ndarray, np.ndarray]:
    """F at x0 = 0 and at every iterate of ``run(max_iter, callback)``, and the last iterate."""
    values = [p.objective(np.zeros(p.Op.shape[1]))]
    last: list[np.ndarray] = []
    start = time.perf_counter()

    def callback(x: np.ndarray) -> None:
        values.append(p.objective(x))
        last[:] = [np.array(x, copy=True)]
        if relative_suboptimality(values[-1], f_ref) <= opts.close or (
            time.perf_counter() - start > opts.max_seconds
        ):
            raise _TraceDone

    try:
        run(opts.max_iter, callback)
    except _TraceDone:
        pass
    return np.array(values), last[0]


def _first_order(
    name: str,
    run: Callable[..., Any],
    p: SpeedProblem,
    f_ref: float,
    opts: TraceOptions,
    floor: BareTimes,
) -> Run:
    """Trace, stop at the first iterate within the target, time and count that run."""
    values, x_last = _trace(lambda n, cb: run(p.Op, n, cb), p, f_ref, opts)
    out = Run(name, final_objective=float(values[-1]), final_x=x_last, floor=floor)
    k = first_at_target(values, f_ref)
    if k is None:
        out.note = f"target not reached in {values.size - 1} iterations"
        return out
    counted = Counted(p.Op)
    x = run(counted, k, None)
    out.setting = f"{k} it"
    out.iterations = str(k)
    out.n_matvec, out.n_rmatvec = counted.n_matvec, counted.n_rmatvec
    out.reached = float(relative_suboptimality(p.objective(x), f_ref))
    out.timed = lambda: run(p.Op, k, None)
    return out


# --------------------------------------------------------------------------- sparseinv
def run_sparseinv(
    p: SpeedProblem,
    f_ref: float,
    opts: TraceOptions,
    floor: BareTimes,
    tolerances: tuple[float, ...],
) -> list[Run]:
    """sparseinv.fista stopped at the target (oracle count), and on its own certificate.

    The own stop is timed at the loosest ``tol`` of ``tolerances`` (loosest first)
    whose solution is within the target, the rule the coordinate-descent peers are
    timed by (:func:`run_coordinate_descent`).
    """

    def solve(max_iter: int, callback: Any = None, tol: float = 0.0) -> si.SolveResult:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", si.ConvergenceWarning)
            return si.fista(p.A, p.b, p.penalty, max_iter=max_iter, tol=tol, callback=callback)

    values, x_last = _trace(lambda n, cb: solve(n, cb), p, f_ref, opts)
    oracle = Run("sparseinv.fista", final_objective=float(values[-1]), final_x=x_last, floor=floor)
    k = first_at_target(values, f_ref)
    if k is None:
        oracle.note = f"target not reached in {values.size - 1} iterations"
    else:
        res = solve(k)
        oracle.setting = f"{k} it"
        oracle.iterations = str(res.n_iter)
        oracle.n_matvec, oracle.n_rmatvec = res.n_matvec, res.n_rmatvec
        oracle.reached = float(relative_suboptimality(p.objective(res.x), f_ref))
        oracle.timed = lambda: solve(k)

    for tol in tolerances:
        res = solve(opts.max_iter, tol=tol)
        reached = float(relative_suboptimality(p.objective(res.x), f_ref))
        if reached <= TARGET:
            break
    certified = Run(
        "sparseinv.fista (own stop)",
        setting=f"tol={tol:.0e}",
        iterations=str(res.n_iter),
        n_matvec=res.n_matvec,
        n_rmatvec=res.n_rmatvec,
        reached=reached,
        timed=lambda tol=tol: solve(opts.max_iter, tol=tol),
        floor=floor,
        note="; ".join(
            s
            for s in (
                "" if res.converged else f"stopped: {res.stop_reason}",
                "" if reached <= TARGET else f"target not reached down to tol={tol:.0e}",
            )
            if s
        ),
    )
    return [oracle, certified]


# --------------------------------------------------------------------------- pylops, pyproximal
def run_pylops(
    p: SpeedProblem,
    f_ref: float,
    opts: TraceOptions,
    floor: BareTimes,
    step: float,
) -> list[Run]:
    """pylops' FISTA given step 1/L and eps = 2λ (one λ; per coefficient by rescaled columns)."""
    from pylops.optimization.sparsity import fista

    # per-coefficient λ: x = x' / w with w = λ_i / λ_ref turns Σλ_i|x_i| into λ_ref‖x'‖₁
    # and A into A diag(1/w), a composite operator with the same ‖·‖ ratio per column
    weights = np.asarray(p.lam_coef) / p.lam_ref if p.per_coefficient else None
    if weights is not None:
        # the rescaled operator has its own norm: its 1/L is given, as 1/L is otherwise
        rescaled = p.Op @ pylops.Diagonal(1.0 / weights, dtype=p.Op.dtype)
        step = 1.0 / si.lipschitz(rescaled, tol=1e-10, max_iter=5000, margin=1.0).value

    def run(Op: Any, n_iter: int, callback: Any) -> np.ndarray:
        inner = callback
        if weights is not None:
            Op = Op @ pylops.Diagonal(1.0 / weights, dtype=Op.dtype)
            inner = None if callback is None else (lambda x: callback(x / weights))
        x = fista(
            Op,
            p.b,
            niter=n_iter,
            eps=si.to_pylops_eps(p.lam_ref),
            alpha=step,
            tol=0.0,
            callback=inner,
        )[0]
        return x if weights is None else x / weights

    out = _first_order("pylops fista", run, p, f_ref, opts, floor)
    if weights is not None:
        out.note = (out.note + "; " if out.note else "") + "λ_i by rescaled columns"
    return [out]


def run_pyproximal(
    p: SpeedProblem,
    f_ref: float,
    opts: TraceOptions,
    floor: BareTimes,
    step: float,
) -> list[Run]:
    """pyproximal's ProximalGradient (acceleration="fista"), given step 1/L."""
    import pyproximal

    dtype = np.result_type(p.Op.dtype, p.b.dtype)

    def run(Op: Any, n_iter: int, callback: Any) -> np.ndarray:
        # an implicit view: for an explicit MatrixMult, L2 would form AᴴA (n × n) up front,
        # which proximal-gradient steps never use (0.6 s on p1, minutes on p2)
        Op = pylops.LinearOperator(Op=Op, explicit=False)
        return pyproximal.optimization.primal.ProximalGradient(
            pyproximal.L2(Op=Op, b=p.b),
            pyproximal.L1(sigma=p.lam_coef),
            x0=np.zeros(Op.shape[1], dtype=dtype),
            tau=step,
            niter=n_iter,
            acceleration="fista",
            callback=callback,
        )

    return [_first_order("pyproximal PG(fista)", run, p, f_ref, opts, floor)]


# --------------------------------------------------------------------------- coordinate descent
def _cd_estimator(name: str, p: SpeedProblem, tol: float, tight: bool) -> tuple[Any, Any, Any]:
    """(estimator, X it is fitted on, scale turning its coef_ into x) for one tol."""
    n_samples = p.b.shape[0]
    alpha = p.lam_ref / n_samples
    weights = np.asarray(p.lam_coef) / p.lam_ref if p.per_coefficient else None
    X, scale = p.explicit, None  # dense: Fortran order, as coordinate descent wants it
    if name == "scikit-learn":
        from sklearn.linear_model import Lasso

        if weights is not None:
            # no per-coefficient λ in sklearn: x = x' / w with columns X_j / w_j is exact
            X = (
                p.explicit.multiply(1.0 / weights).tocsc()
                if hasattr(p.explicit, "tocsc")
                else np.asfortranarray(p.explicit / weights)
            )
            scale = 1.0 / weights
        est = Lasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=200_000)
    elif name == "skglm":
        import skglm

        kwargs = {"max_iter": 1000 if tight else 50, "max_epochs": 1_000_000 if tight else 50_000}
        if weights is None:
            est = skglm.Lasso(alpha=alpha, fit_intercept=False, tol=tol, **kwargs)
        else:  # skglm's WeightedL1 penalty: alpha · Σ w_j |x_j|
            est = skglm.WeightedLasso(
                alpha=alpha, weights=weights, fit_intercept=False, tol=tol, **kwargs
            )
    elif name == "celer":
        import celer

        est = celer.Lasso(
            alpha=alpha,
            fit_intercept=False,
            tol=tol,
            weights=weights,
            max_iter=1000 if tight else 100,
            max_epochs=1_000_000 if tight else 50_000,
        )
    else:
        raise ValueError(f"unknown coordinate-descent solver {name!r}")
    return est, X, scale


def _cd_fit(name: str, p: SpeedProblem, tol: float, tight: bool = False) -> tuple[np.ndarray, Any]:
    """Fit once (the rescaling for sklearn's per-coefficient λ inside); (x, estimator)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        est, X, scale = _cd_estimator(name, p, tol, tight)
        est.fit(X, p.b)
    x = np.asarray(est.coef_).reshape(-1)
    return (x if scale is None else x * scale), est


def run_coordinate_descent(
    name: str, p: SpeedProblem, f_ref: float, tolerances: tuple[float, ...]
) -> list[Run]:
    """Sweep tol loosest first; time the first tol whose solution is within the target."""
    out = Run(name)
    if p.explicit is None:
        out.note = "needs an explicit real matrix"
        return [out]
    _cd_fit(name, p, tolerances[0])  # compile (numba) and warm caches, untimed
    for tol in tolerances:
        x, est = _cd_fit(name, p, tol)
        gap = float(relative_suboptimality(p.objective(x), f_ref))
        if gap <= TARGET:
            out.setting = f"tol={tol:.0e}"
            out.reached = gap
            out.timed = lambda tol=tol: _cd_fit(name, p, tol)
            what = "epochs" if name == "scikit-learn" else "outer it"
            out.iterations = f"{getattr(est, 'n_iter_', '?')} {what}"
            break
    else:
        out.note = f"target not reached down to tol={tolerances[-1]:.0e}"
    x, _ = _cd_fit(name, p, tolerances[-1], tight=True)
    out.final_objective, out.final_x = p.objective(x), x
    out.note = "; ".join(
        s
        for s in (
            out.note,
            "λ_i by rescaled columns" if name == "scikit-learn" and p.per_coefficient else "",
            "CD: applications not countable" if out.timed is not None else "",
        )
        if s
    )
    return [out]


CD_SOLVERS = ("skglm", "celer", "scikit-learn")
FIRST_ORDER = {"pylops": run_pylops, "pyproximal": run_pyproximal}
