"""The one proximal-gradient loop behind ISTA and FISTA.

The state is explicit (:class:`PGState`); FISTA is this loop with momentum and
restart, plus an optional conjugate-gradient refinement once the support has
settled. Every iteration applies A once and Aᴴ once, objective and optimality
included: A·y is a combination of A·x_k and A·x_{k-1}, and the sufficient-decrease
test uses A(z - y) = Az - Ay.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from sparseinv.operators import CountingOperator, lipschitz
from sparseinv.penalties import Penalty
from sparseinv.result import SolveResult, warn_if_unconverged
from sparseinv.solvers._setup import Setup, new_history, sq_norm, start_point

Array = Any

#: a callback gets a copy of the iterate; returning True stops the solve
Callback = Callable[[Array], Any]

_DIVERGENCE_FACTOR = 1e8  # F above this multiple of F(x0): the iterates explode
_POWER_ITER = 10  # the step estimate only needs the scale: backtracking guards it
_GROW = 1.1  # trial growth of the step (the local curvature is often far below L)
_STREAK = 5  # accepted steps in a row before the step may grow...
_BACKOFF = 2  # ...a number doubled by each failed test, so growth fades where it fails
_SAFETY = 0.9  # a failed test sets step = _SAFETY / (observed curvature)
_PATIENCE = 5  # iterations with an unchanged support before a CG refinement
_CG_MAX_ITER = 100  # CG steps per refinement
_CG_RTOL = 1e-10
_ANDERSON_MEMORY = 5  # iterates combined by one Anderson extrapolation


class PGState(NamedTuple):
    """Proximal-gradient state after iteration k."""

    x: Array  # iterate x_k
    Ax: Array  # A x_k
    x_prev: Array  # x_{k-1}
    Ax_prev: Array  # A x_{k-1}
    objective: float  # F(x_k)
    t: float  # FISTA momentum parameter (1: no momentum)
    step: float
    grad: Array | None  # ∇f(x_k) when already known (after a refinement)
    streak: int = 0  # accepted steps since the last failed sufficient-decrease test
    failures: int = 0  # failed tests so far: each one doubles the streak needed to grow


class _Problem(NamedTuple):
    op: CountingOperator
    b: Array
    pen: Penalty
    xp: Any
    adaptive: bool  # step adapted by the sufficient-decrease test
    noise: float  # ‖A d‖² below this is rounding error in Az - Ay, not curvature


def run_proximal_gradient(
    setup: Setup,
    *,
    step: float | None,
    max_iter: int,
    tol: float,
    callback: Callback | None,
    momentum: bool,
    restart: bool,
    refine: bool,
    anderson: bool,
    solver: str,
    warn: bool = True,
) -> SolveResult:
    """Run ISTA (``momentum=False``) or FISTA from a validated :class:`Setup`."""
    op, b, xp, pen = setup.op, setup.b, setup.xp, setup.penalty
    # Az - Ay carries the rounding of both terms: near convergence ‖A d‖ is that small
    noise = (1e3 * np.finfo(setup.dtype).eps) ** 2 * sq_norm(xp, b)
    prob = _Problem(op=op, b=b, pen=pen, xp=xp, adaptive=step is None, noise=noise)
    if step is None:
        estimate = lipschitz(
            op, max_iter=_POWER_ITER, tol=1e-2, margin=1.0, xp=xp, dtype=setup.dtype
        )
        step = 1.0 / max(estimate.value, np.finfo(float).tiny)

    x = setup.x0
    Ax, F0 = start_point(setup)
    state = PGState(x=x, Ax=Ax, x_prev=x, Ax_prev=Ax, objective=F0, t=1.0, step=step, grad=None)
    history = new_history(F0, op.n_applications)
    stop_reason = "max_iter"
    optimality = math.inf
    pattern = None
    unchanged = 0
    refine = refine and pen.restricted_quadratic(state.x) is not None
    memory: list[tuple[Array, Array]] = []  # (x, Ax) of the last iterates, for Anderson
    k = 0
    for k in range(1, max_iter + 1):
        refined = refine and unchanged >= _PATIENCE
        if refined:
            new, optimality = _refine(state, prob)
            unchanged = 0
        else:
            new, optimality = _iterate(state, prob, momentum=momentum, restart=restart)
        F = new.objective
        if not math.isfinite(F) or F > _DIVERGENCE_FACTOR * max(F0, 1e-300):
            stop_reason = "diverged"
            k -= 1
            break
        state = new
        converged = tol > 0 and optimality <= tol
        if anderson and not refined and not converged:
            memory.append((state.x, state.Ax))
            if len(memory) > _ANDERSON_MEMORY:
                state = _extrapolate(state, memory, prob)
                memory = [(state.x, state.Ax)]
        history["objective"].append(state.objective)
        history["optimality"].append(optimality)
        history["n_applications"].append(op.n_applications)
        if converged:
            stop_reason = "converged"
            break
        if callback is not None and callback(state.x.copy()) is True:
            stop_reason = "callback"
            break
        if refine and not refined:
            new_pattern = xp.sign(state.x) if state.x.dtype.kind != "c" else state.x != 0
            same = pattern is not None and bool(xp.array_equal(new_pattern, pattern))
            unchanged = unchanged + 1 if same else 0
            pattern = new_pattern

    result = SolveResult(
        x=state.x,
        objective=state.objective,
        converged=stop_reason == "converged",
        stop_reason=stop_reason,
        n_iter=k,
        n_matvec=op.n_matvec,
        n_rmatvec=op.n_rmatvec,
        step=state.step,
        optimality=optimality,
        history=history,
        solver=solver,
    )
    if warn:
        warn_if_unconverged(result, tol=tol)
    return result


def _iterate(
    state: PGState, prob: _Problem, *, momentum: bool, restart: bool
) -> tuple[PGState, float]:
    """One proximal-gradient step from the extrapolated point; one matvec, one rmatvec."""
    op, b, pen, xp = prob.op, prob.b, prob.pen, prob.xp
    x, Ax, step = state.x, state.Ax, state.step
    t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * state.t * state.t)) if momentum else 1.0
    beta = (state.t - 1.0) / t_next
    if beta > 0:
        y = x + beta * (x - state.x_prev)
        Ay = Ax + beta * (Ax - state.Ax_prev)
        grad = None
    else:
        y, Ay, grad = x, Ax, state.grad
    r = Ay - b
    if grad is None:
        grad = op.rmatvec(r)
    failed = False
    if prob.adaptive and state.streak >= _STREAK * _BACKOFF**state.failures:
        step *= _GROW
    while True:
        z = pen.prox(y - step * grad, step)
        Az = op.matvec(z)
        d = z - y
        dd = sq_norm(xp, d)
        if not prob.adaptive or dd == 0.0:
            break
        Ad2 = sq_norm(xp, Az - Ay)
        if Ad2 <= prob.noise:
            break
        curvature = Ad2 / dd
        # sufficient decrease of the quadratic model: ½‖A d‖² ≤ ‖d‖²/(2 step)
        if curvature * step <= 1.0 + 1e-10:
            break
        step = _SAFETY / curvature
        failed = True
    F = 0.5 * sq_norm(xp, Az - b) + pen.value(z)

    t = t_next
    if momentum and restart:
        if not pen.convex:
            # accelerated hard thresholding is non-convex: reject a step that raises F
            if F > state.objective and beta > 0:
                z, Az, F = x, Ax, state.objective
                t = 1.0
        elif float(xp.vdot(d, x - z).real) > 0:
            # gradient restart scheme (O'Donoghue & Candès, 2015): <y - z, z - x> > 0
            t = 1.0
    optimality = _optimality(prob, F, r, grad, z, y, dd)
    new = PGState(
        x=z,
        Ax=Az,
        x_prev=x,
        Ax_prev=Ax,
        objective=F,
        t=t,
        step=step,
        grad=None,
        streak=0 if failed else state.streak + 1,
        failures=state.failures + failed,
    )
    return new, optimality


def _optimality(
    prob: _Problem, F: float, r: Array, grad: Array, z: Array, y: Array, dd: float
) -> float:
    """Relative duality gap where the penalty has a dual, else relative fixed-point residual."""
    xp = prob.xp
    dual = prob.pen.dual_value(prob.b, -r, -grad)
    if dual is not None:
        return max(F - dual, 0.0) / max(F, np.finfo(float).tiny)
    scale = max(math.sqrt(sq_norm(xp, z)), math.sqrt(sq_norm(xp, y)))
    return math.sqrt(dd) / scale if scale > 0 else 0.0


def _refine(state: PGState, prob: _Problem) -> tuple[PGState, float]:
    """Conjugate gradients on the free set of x, where the penalty is quadratic.

    With the support (and L1 signs) of x fixed, F is the quadratic
    ½‖A_S x_S - b‖² + (penalty's quadratic), minimized by CG on the normal
    equations, one matvec and one rmatvec per CG step. Every CG step lowers F; for
    L1 the step is cut where a coefficient would change sign, and that coefficient
    is set to 0. The gradient is carried along by linearity, so the result has a
    certified optimality measure and the next FISTA step needs no extra rmatvec.
    """
    op, b, pen, xp = prob.op, prob.b, prob.pen, prob.xp
    x, Ax = state.x, state.Ax
    quad = pen.restricted_quadratic(x)
    grad = state.grad if state.grad is not None else op.rmatvec(Ax - b)
    if quad is not None:
        free, pen_grad, hess = quad
        offset = pen_grad - hess * x  # penalty gradient = offset + hess·x on the free set
        signs = xp.sign(x)

        def residual(x_: Array, grad_: Array) -> Array:
            return xp.where(free, -(grad_ + offset + hess * x_), 0)

        rho = residual(x, grad)
        rr = rr0 = sq_norm(xp, rho)
        p = rho
        for _ in range(_CG_MAX_ITER):
            if rr <= (_CG_RTOL * _CG_RTOL) * rr0 or rr == 0.0:
                break
            q = op.matvec(p)
            w = op.rmatvec(q)
            curv = float(xp.vdot(p, xp.where(free, w, 0) + hess * p).real)
            if curv <= 0:
                break
            alpha = rr / curv
            x_new = x + alpha * p
            flipped = free & (xp.sign(x_new) != signs) if pen.name == "l1" else None
            x, Ax, grad = x_new, Ax + alpha * q, grad + alpha * w
            if flipped is not None and bool(xp.any(flipped)):
                # F is this quadratic only up to the first sign change: step back there,
                # drop the coefficient that reaches zero and restart CG on the rest
                ratios = xp.where(flipped, (x - alpha * p) / xp.where(flipped, -p, 1), math.inf)
                back = alpha - float(xp.min(ratios))
                dropped = flipped & (ratios <= alpha - back)
                x = xp.where(dropped, 0, x - back * p)
                Ax, grad = Ax - back * q, grad - back * w
                free = free & ~dropped
                rho = residual(x, grad)
                rr = sq_norm(xp, rho)
                p = rho
                continue
            rho = residual(x, grad)
            rr_new = sq_norm(xp, rho)
            p = rho + (rr_new / rr) * p
            rr = rr_new
    r = Ax - b
    F = 0.5 * sq_norm(xp, r) + pen.value(x)
    # optimality at x: the prox-gradient residual needs no operator application
    z = pen.prox(x - state.step * grad, state.step)
    optimality = _optimality(prob, F, r, grad, z, x, sq_norm(xp, z - x))
    new = state._replace(x=x, Ax=Ax, x_prev=x, Ax_prev=Ax, objective=F, t=1.0, grad=grad)
    return new, optimality


def _extrapolate(state: PGState, memory: list[tuple[Array, Array]], prob: _Problem) -> PGState:
    """Anderson extrapolation of the last iterates, kept only if it lowers F.

    The weights c (summing to 1) minimize ‖Σ c_i (x_{i+1} - x_i)‖, as in the
    extrapolation of celer and skglm (Bertrand & Massias, 2021). A·x_e is the same
    combination of the stored A·x_i, so the test costs no operator application.
    """
    xp = prob.xp
    xs = xp.stack([x for x, _ in memory])
    diffs = xs[1:] - xs[:-1]
    gram = (diffs.conj() @ diffs.T).real
    gram = np.asarray(gram.get() if hasattr(gram, "get") else gram)
    gram += 1e-10 * max(np.trace(gram), np.finfo(float).tiny) * np.eye(len(gram))
    try:
        weights = np.linalg.solve(gram, np.ones(len(gram)))
    except np.linalg.LinAlgError:
        return state
    if not np.all(np.isfinite(weights)) or weights.sum() == 0:
        return state
    weights /= weights.sum()
    x_e = sum(float(c) * x for c, (x, _) in zip(weights, memory[1:], strict=True))
    Ax_e = sum(float(c) * a for c, (_, a) in zip(weights, memory[1:], strict=True))
    F_e = 0.5 * sq_norm(xp, Ax_e - prob.b) + prob.pen.value(x_e)
    if not F_e < state.objective:
        return state
    # no momentum across the jump: the next step starts from x_e itself
    return state._replace(x=x_e, Ax=Ax_e, x_prev=x_e, Ax_prev=Ax_e, objective=F_e, grad=None)
