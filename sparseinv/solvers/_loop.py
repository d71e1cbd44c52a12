"""The one proximal-gradient loop behind ISTA and FISTA, for one or many right-hand sides.

The state is explicit (:class:`~sparseinv.solvers._state.PGState`); FISTA is this
loop with momentum and restart, plus a conjugate-gradient refinement once the
support has settled and an Anderson extrapolation. Each column of a data block is
its own problem, with its own step, momentum, restart, stopping and divergence
test; a 1-D problem is the batch of one, and columns that stop leave the batch.

Every iteration applies A once and Aᴴ once, objective and optimality included:
A·y is a combination of A·x_k and A·x_{k-1}, and the sufficient-decrease test uses
A(z - y) = Az - Ay. Every inner loop is bounded and every quantity a branch
depends on is tested for finiteness, so a solve always returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sparseinv.operators import power_iteration
from sparseinv.result import SolveResult, warn_if_unconverged
from sparseinv.solvers._problem import Problem, gradient, measure, start_point
from sparseinv.solvers._refine import refine as refine_columns
from sparseinv.solvers._setup import Setup
from sparseinv.solvers._state import PGState, Record, put, take

Array = Any

#: a callback gets a copy of the iterate; a truthy return stops the solve
Callback = Callable[[Array], Any]

_DIVERGENCE_FACTOR = 1e8  # F above this multiple of F(x0): the iterates explode
_POWER_ITER = 10  # the step estimate only needs the scale: backtracking guards it
_GROW = 1.1  # trial growth of the step (the local curvature is often far below L)
_STREAK = 5  # accepted steps in a row before the step may grow...
_BACKOFF = 2  # ...a number doubled by each failed test, so growth fades where it fails
_SAFETY = 0.9  # a failed test sets step = _SAFETY / (observed curvature)
_MAX_BACKTRACK = 100  # failed tests in one iteration before a column is declared diverged
_PATIENCE = 5  # iterations with an unchanged support before a CG refinement
_ANDERSON_MEMORY = 5  # iterates combined by one Anderson extrapolation
_ANDERSON_MAX_WEIGHT = 1e3  # ‖c‖₁ beyond this: the combination would amplify rounding
_TINY = np.finfo(float).tiny


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
    origin: tuple[Array, np.ndarray] | None = None,
) -> SolveResult:
    """Run ISTA (``momentum=False``) or FISTA from a validated :class:`Setup`.

    ``origin``, the ``(x, F)`` of each column's original start when this run
    continues another solver's (IRLS polishing), is what the result must not be
    worse than; by default the setup's own start.
    """
    op, space, xp = setup.op, setup.space, setup.xp
    X0 = setup.x0
    k = setup.n_columns
    record = Record(k, X0.shape, xp, setup.dtype)
    start = start_point(setup, adaptive=step is None)
    prob, F0 = start.problem, start.objective
    origin = (X0, F0) if origin is None else origin
    record.log(prob.slots, F0, np.full(k, np.nan), _apps(op, prob.columns))
    certified = (tol > 0) & (start.optimality <= tol) & start.finite
    done0 = ~start.finite | certified
    if done0.any():
        idx = np.flatnonzero(done0)
        reasons = np.where(start.finite[idx], "converged", "diverged")
        record.finish(
            idx,
            x=X0[:, idx],
            objective=F0[idx],
            optimality=start.optimality[idx],
            step=np.full(idx.size, np.nan),
            n_iter=0,
            reason=reasons,
        )
    running = np.flatnonzero(~done0)
    if running.size == 0:
        return _result(record, setup, solver, tol, warn)

    # ------------------------------------------------------------ the step
    if step is None:
        lower, _ = power_iteration(
            op,
            space.model,
            n_columns=op.batch or 1,
            max_iter=_POWER_ITER,
            tol=1e-2,
            rng=0,
            xp=xp,
            dtype=setup.dtype,
            start=setup.power_start,
            columns=None if op.batch else prob.columns[running],
        )
        steps = 1.0 / np.maximum(lower, _TINY)
        # a ColumnBatch has one estimate per column of the operator, else one for all
        steps = steps[setup.columns] if op.batch else np.full(k, float(steps[0]))
    else:
        steps = np.full(k, float(step))

    c = running.size
    AX0 = start.Ax
    state = PGState(
        x=X0[:, running],
        Ax=AX0[:, running],
        x_prev=X0[:, running],
        Ax_prev=AX0[:, running],
        grad=start.grad[:, running],
        grad_known=np.ones(c, dtype=bool),
        objective=F0[running],
        t=np.ones(c),
        step=steps[running].copy(),
        streak=np.zeros(c, dtype=np.int64),
        failures=np.zeros(c, dtype=np.int64),
        ax_exact=np.ones(c, dtype=bool),
    )
    prob = prob.take(running)
    F_start = F0[running]
    refine = refine and prob.pen.restricted_quadratic(state.x) is not None
    unchanged = np.zeros(c, dtype=np.int64)
    patience = np.full(c, _PATIENCE)
    pattern = None
    memory: list[tuple[Array, Array]] = []  # (x, Ax) of the last iterates of the batch
    in_memory = np.zeros(c, dtype=np.int64)  # how many of them belong to each column's run

    for it in range(1, max_iter + 1):
        due = (unchanged >= patience) if refine else np.zeros(c, dtype=bool)
        if due.any() and not prob.pen.quadratic:
            # more free coefficients than rows: the restricted system is singular and the
            # active-set CG would march through sign changes; let the steps settle it first
            due &= space.model.count(state.x != 0) <= prob.op.shape[0]
        new, optimality, refined = _advance(state, prob, due, momentum=momentum, restart=restart)
        if refined.any():
            accepted = new.objective < state.objective
            patience = np.where(refined & ~accepted, 2 * patience, patience)
        F = new.objective
        diverged = ~np.isfinite(F) | (F > _DIVERGENCE_FACTOR * np.maximum(F_start, 1e-300))
        converged = (tol > 0) & (optimality <= tol) & ~diverged
        if converged.any() and prob.measure == "mapping":
            new, optimality, converged = _certify(new, prob, converged, optimality, tol)
        if anderson:
            grow = ~refined & ~converged & ~diverged
            memory.append((new.x, new.Ax))
            memory = memory[-(_ANDERSON_MEMORY + 1) :]
            in_memory = np.where(grow, in_memory + 1, 0)
            ready = in_memory > _ANDERSON_MEMORY
            if ready.any():
                jumped = _extrapolate(new, memory, np.flatnonzero(ready), prob)
                # the memory holds the point before a jump: a column that jumped starts afresh
                moved = ready & (jumped.objective < new.objective)
                in_memory = np.where(ready, np.where(moved, 0, 1), in_memory)
                new = jumped
        keep_old = diverged
        if keep_old.any():  # a diverged column keeps its last finite iterate
            new = put(new, np.flatnonzero(keep_old), take(state, np.flatnonzero(keep_old)), xp)
            optimality = np.where(keep_old, np.inf, optimality)
        state = new
        record.log(prob.slots, state.objective, optimality, _apps(op, prob.columns))
        stop = converged | diverged
        reasons = np.where(diverged, "diverged", "converged")
        if callback is not None and stops(callback, _current(record, state, prob, setup)):
            stop = np.ones(c, dtype=bool)
            reasons = np.where(stop & ~converged & ~diverged, "callback", reasons)
        if refine:
            new_pattern = xp.sign(state.x) if state.x.dtype.kind != "c" else state.x != 0
            same = (
                np.zeros(c, dtype=bool)
                if pattern is None
                else space.model.all(new_pattern == pattern)
            )
            unchanged = np.where(same & ~refined, unchanged + 1, 0)
            pattern = new_pattern
        if stop.any():
            idx = np.flatnonzero(stop)
            n_iter = np.where(diverged[idx], it - 1, it)
            _retire(record, state, prob, idx, reasons[idx], n_iter, optimality[idx], origin)
            keep = np.flatnonzero(~stop)
            if keep.size == 0:
                return _result(record, setup, solver, tol, warn)
            state, prob = take(state, keep), prob.take(keep)
            F_start, unchanged, patience = F_start[keep], unchanged[keep], patience[keep]
            in_memory = in_memory[keep]
            memory = [(x[:, keep], a[:, keep]) for x, a in memory]
            pattern = None if pattern is None else pattern[:, keep]
            c = keep.size
        last_optimality = optimality if not stop.any() else optimality[~stop]
    idx = np.arange(c)
    _retire(
        record,
        state,
        prob,
        idx,
        np.full(c, "max_iter"),
        np.full(c, max_iter),
        last_optimality,
        origin,
    )
    return _result(record, setup, solver, tol, warn)


def _apps(op: Any, columns: np.ndarray) -> np.ndarray:
    return op.column_matvec[columns] + op.column_rmatvec[columns]


def _advance(
    state: PGState, prob: Problem, due: np.ndarray, *, momentum: bool, restart: bool
) -> tuple[PGState, np.ndarray, np.ndarray]:
    """One iteration: a refinement for the columns ``due`` one, a step for the others."""
    if not due.any():
        new, optimality = _step(state, prob, momentum=momentum, restart=restart)
        return new, optimality, due
    if due.all():
        new, optimality = refine_columns(state, prob)
        return new, optimality, due
    xp = prob.space.xp
    on, off = np.flatnonzero(due), np.flatnonzero(~due)
    stepped, opt_step = _step(take(state, off), prob.take(off), momentum=momentum, restart=restart)
    refined, opt_ref = refine_columns(take(state, on), prob.take(on))
    new = put(put(state, off, stepped, xp), on, refined, xp)
    optimality = np.empty(due.size)
    optimality[off], optimality[on] = opt_step, opt_ref
    return new, optimality, due


def _step(
    state: PGState, prob: Problem, *, momentum: bool, restart: bool
) -> tuple[PGState, np.ndarray]:
    """One proximal-gradient step from the extrapolated point; one matvec, one rmatvec."""
    space, pen = prob.space, prob.pen
    xp = space.xp
    X, AX = state.x, state.Ax
    c = X.shape[1]
    t = state.t
    t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t)) if momentum else np.ones(c)
    beta = (t - 1.0) / t_next
    moving = beta > 0
    if moving.any():
        bcol = prob.col(beta)
        Y = X + bcol * (X - state.x_prev)
        AY = AX + bcol * (AX - state.Ax_prev)
    else:
        Y, AY = X, AX
    R = AY - prob.b
    G = gradient(prob, R, state.grad_known & ~moving, state.grad)

    steps = state.step.copy()
    if prob.adaptive:
        steps = np.where(state.streak >= _STREAK * _BACKOFF**state.failures, _GROW * steps, steps)
    failed = np.zeros(c, dtype=bool)
    Z = AZ = None
    dd = np.zeros(c)
    pending = np.arange(c)
    for _ in range(_MAX_BACKTRACK):
        whole = pending.size == c
        sub = None if whole else pending
        Ys = Y if whole else Y[:, pending]
        Gs = G if whole else G[:, pending]
        scol = prob.col(steps[pending])
        Zs = (pen if whole else pen.take(pending)).prox(Ys - scol * Gs, scol)
        AZs = prob.forward(Zs, sub)
        dds = space.model.sq_norm(Zs - Ys)
        ok = np.ones(pending.size, dtype=bool)
        if prob.adaptive:
            Ad2 = space.data.sq_norm(AZs - (AY if whole else AY[:, pending]))
            with np.errstate(divide="ignore", invalid="ignore"):
                curvature = Ad2 / dds
            # sufficient decrease of the quadratic model: ½‖A d‖² ≤ ‖d‖²/(2 step)
            ok = (
                (dds == 0.0)
                | (Ad2 <= prob.noise[pending])
                | (curvature * steps[pending] <= 1.0 + 1e-10)
                | ~np.isfinite(curvature)  # non-finite: left to the divergence test
            )
        if whole and ok.all():
            Z, AZ, dd = Zs, AZs, dds
            break
        if Z is None:
            Z, AZ = xp.empty_like(Y), xp.empty_like(AY)
        good = pending[ok]
        Z[:, good], AZ[:, good], dd[good] = Zs[:, ok], AZs[:, ok], dds[ok]
        bad = pending[~ok]
        steps[bad] = _SAFETY / curvature[~ok]
        failed[bad] = True
        pending = bad
        if pending.size == 0:
            break
    else:  # the step test keeps failing: give up on these columns
        Z[:, pending], AZ[:, pending] = Y[:, pending], AY[:, pending]
        dd[pending] = np.inf

    with np.errstate(over="ignore", invalid="ignore"):
        F = prob.objective(Z, AZ)
    F = np.where(np.isfinite(dd), F, np.inf)
    t_new = t_next.copy()
    if momentum and restart:
        if not pen.convex:
            # accelerated hard thresholding is non-convex: reject a step that raises F
            reject = (F > state.objective) & moving
            if reject.any():
                rcol = prob.col(reject) > 0
                Z, AZ = xp.where(rcol, X, Z), xp.where(rcol, AX, AZ)
                F = np.where(reject, state.objective, F)
                t_new[reject] = 1.0
        else:
            # gradient restart scheme (O'Donoghue & Candès, 2015): <y - z, z - x> > 0
            t_new[space.model.vdot(Z - Y, X - Z) > 0] = 1.0
    optimality = measure(prob, F, R, G, Y, Z, dd, steps)
    new = PGState(
        x=Z,
        Ax=AZ,
        x_prev=X,
        Ax_prev=AX,
        grad=G,
        grad_known=np.zeros(c, dtype=bool),
        objective=F,
        t=t_new,
        step=steps,
        streak=np.where(failed, 0, state.streak + 1),
        failures=state.failures + failed,
        ax_exact=np.ones(c, dtype=bool),
    )
    return new, optimality


def _certify(
    state: PGState, prob: Problem, claimed: np.ndarray, optimality: np.ndarray, tol: float
) -> tuple[PGState, np.ndarray, np.ndarray]:
    """Check a stationarity claim at the returned iterate itself (penalties without a dual).

    The gradient mapping of a step is measured at the point the step starts from;
    for the claimed columns it is evaluated again at z (one adjoint), so
    ``converged`` holds at the x returned.
    """
    idx = np.flatnonzero(claimed)
    sub = prob.take(idx)
    Z, AZ = state.x[:, idx], state.Ax[:, idx]
    G = sub.adjoint(AZ - sub.b)
    scol = sub.col(state.step[idx])
    moved = sub.pen.prox(Z - scol * G, scol)
    at_z = np.sqrt(prob.space.model.sq_norm(moved - Z)) / state.step[idx] / sub.scale
    optimality = optimality.copy()
    optimality[idx] = at_z
    grad = state.grad.copy()
    grad[:, idx] = G
    known = state.grad_known.copy()
    known[idx] = True
    state = state._replace(grad=grad, grad_known=known)
    return state, optimality, claimed & (optimality <= tol)


def _extrapolate(
    state: PGState, memory: list[tuple[Array, Array]], idx: np.ndarray, prob: Problem
) -> PGState:
    """Anderson extrapolation of the last iterates of columns ``idx``, kept where it lowers F.

    The weights c (summing to 1) minimize ‖Σ c_i (x_{i+1} - x_i)‖, as in the
    extrapolation of celer and skglm (Bertrand & Massias, 2021). A·x_e is the same
    combination of the stored A·x_i, so the test costs no operator application.
    """
    space = prob.space
    xp = space.xp
    xs = [x[:, idx] for x, _ in memory]
    axs = [a[:, idx] for _, a in memory]
    diffs = [xs[i + 1] - xs[i] for i in range(len(xs) - 1)]
    gram = space.model.gram(diffs)  # (columns, M, M)
    M = gram.shape[1]
    trace = np.trace(gram, axis1=1, axis2=2)
    gram = gram + (1e-10 * np.maximum(trace, _TINY))[:, None, None] * np.eye(M)
    with np.errstate(all="ignore"):
        try:
            weights = np.linalg.solve(gram, np.ones((idx.size, M, 1)))[..., 0]
        except np.linalg.LinAlgError:
            return state
        weights = weights / weights.sum(axis=1, keepdims=True)
    usable = np.all(np.isfinite(weights), axis=1) & (
        np.abs(weights).sum(axis=1) <= _ANDERSON_MAX_WEIGHT
    )
    if not usable.any():
        return state
    weights = np.where(usable[:, None], weights, 0.0)
    W = xp.asarray(weights.T.astype(prob.real))  # (M, columns)
    X_e = sum(W[i][None, :] * xs[i + 1] for i in range(M))
    AX_e = sum(W[i][None, :] * axs[i + 1] for i in range(M))
    sub = prob.take(idx)
    with np.errstate(over="ignore", invalid="ignore"):
        F_e = sub.objective(X_e, AX_e)
    better = usable & np.isfinite(F_e) & (F_e < state.objective[idx])
    if not better.any():
        return state
    chosen = idx[better]
    part = take(state, chosen)
    pick = np.flatnonzero(better)
    # no momentum across the jump: the next step starts from x_e itself
    part = part._replace(
        x=X_e[:, pick],
        Ax=AX_e[:, pick],
        x_prev=X_e[:, pick],
        Ax_prev=AX_e[:, pick],
        objective=F_e[pick],
        grad_known=np.zeros(pick.size, dtype=bool),
        ax_exact=np.zeros(pick.size, dtype=bool),
    )
    return put(state, chosen, part, xp)


def stops(callback: Callback, x: Array) -> bool:
    """Whether a callback's return value stops the solve (any truthy value does)."""
    value = callback(x)
    try:
        return bool(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"callback must return None, True or False; got {type(value).__name__}"
        ) from None


def _current(record: Record, state: PGState, prob: Problem, setup: Setup) -> Array:
    """A copy of the whole current iterate (finished columns at their final values)."""
    whole = record.x.copy()
    whole[:, prob.slots] = state.x
    return setup.output(whole)


def _retire(
    record: Record,
    state: PGState,
    prob: Problem,
    idx: np.ndarray,
    reasons: np.ndarray,
    n_iter: Any,
    optimality: np.ndarray,
    origin: tuple[Array, np.ndarray],
) -> None:
    """Record columns ``idx``: F recomputed where Ax was combined, never worse than the origin."""
    X0, F0 = origin
    X, F = state.x[:, idx], state.objective[idx].copy()
    combined = np.flatnonzero(~state.ax_exact[idx])
    if combined.size:
        sub = prob.take(idx[combined])
        F[combined] = sub.objective(X[:, combined], sub.forward(X[:, combined]))
    slots = prob.slots[idx]
    worse = np.isfinite(F0[slots]) & (F > F0[slots] * (1 + 1e-12) + 1e-300)
    if worse.any():
        X = X.copy()
        X[:, worse] = X0[:, slots[worse]]
        F[worse] = F0[slots[worse]]
    record.finish(
        slots,
        x=X,
        objective=F,
        optimality=optimality,
        step=state.step[idx],
        n_iter=n_iter,
        reason=reasons,
    )


def _result(record: Record, setup: Setup, solver: str, tol: float, warn: bool) -> SolveResult:
    result = record.result(
        solver=solver,
        op=setup.op,
        columns=setup.columns,
        batched=setup.batched,
        x=setup.output(record.x),
        scale=setup.scale,
    )
    if warn:
        warn_if_unconverged(result, tol=tol)
    return result
