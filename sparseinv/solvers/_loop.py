"""The one proximal-gradient loop behind ISTA and FISTA, for one or many right-hand sides.

The state is explicit (:class:`~sparseinv.solvers._state.Batch`); FISTA is this
loop with momentum and restart, plus a conjugate-gradient refinement once the
support has settled and an Anderson extrapolation. Each column of a data block is
its own problem, with its own step, momentum, restart, stopping and divergence
test (the refinements alone wait for each other, see :func:`_gathered`); a 1-D
problem is the batch of one, and columns that stop leave the batch.

Every iteration applies A once and Aᴴ once, objective and optimality included:
A·y is a combination of A·x_k and A·x_{k-1}, the sufficient-decrease test uses
A(z - y) = Az - Ay, and F(z) = ½‖(Ay - b) + A(z - y)‖² + R(z) is read from the
dot products the test computes anyway. The loop owns its blocks and updates them in
place; the reductions an iteration needs are taken together, one call (one
collective under MPI) per space. Every inner loop is bounded and every quantity a
branch depends on is tested for finiteness, so a solve always returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sparseinv.lipschitz import power_iteration
from sparseinv.result import SolveResult, warn_if_unconverged
from sparseinv.solvers._anderson import Memory, extrapolate
from sparseinv.solvers._problem import Problem, gradient, measure, measure_at, start_point
from sparseinv.solvers._refine import refine as refine_columns
from sparseinv.solvers._setup import Setup
from sparseinv.solvers._state import Batch, Momentum, Record
from sparseinv.solvers._trial import Work, fails_decrease, pattern, try_step

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
#: a batch refines its due columns together: once 1/_QUORUM of its columns are due, or
#: when one has waited _MAX_DEFER more iterations (a CG step costs a block application
#: whatever the number of columns it serves)
_QUORUM = 3
_MAX_DEFER = 25
_ANDERSON_MEMORY = 5  # differences (of 6 iterates) combined by one Anderson extrapolation
_MAX_WAIT = 8  # most iterations between two evaluations of a costly optimality measure
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
    step_start: float | None = None,
) -> SolveResult:
    """Run ISTA (``momentum=False``) or FISTA from a validated :class:`Setup`.

    ``origin``, the ``(x, F)`` of each column's original start when this run
    continues another solver's (IRLS polishing), is what the result must not be
    worse than; by default the setup's own start. ``step_start``, with ``step``
    None, replaces the power-iteration estimate the adaptive step starts from (a
    working set's next subproblem starts from the last one's step).
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
    if step is None and step_start is not None:
        steps = np.full(k, float(step_start))
    elif step is None:
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

    loop = _Loop(
        setup,
        prob.take(running),
        start,
        running,
        steps[running].copy(),
        record,
        origin,
        tol=tol,
        callback=callback,
        momentum=momentum,
        restart=restart,
        refine=refine,
        anderson=anderson,
    )
    loop.run(max_iter)
    return _result(record, setup, solver, tol, warn)


class _Loop:
    """One proximal-gradient solve of the running columns (see :func:`run_proximal_gradient`)."""

    def __init__(
        self,
        setup: Setup,
        prob: Problem,
        start: Any,
        running: np.ndarray,
        steps: np.ndarray,
        record: Record,
        origin: tuple[Array, np.ndarray],
        *,
        tol: float,
        callback: Callback | None,
        momentum: bool,
        restart: bool,
        refine: bool,
        anderson: bool,
    ) -> None:
        xp = setup.xp
        c = running.size
        self.setup, self.prob, self.record, self.origin = setup, prob, record, origin
        self.tol, self.callback = tol, callback
        self.momentum = momentum
        # the gradient restart of the convex penalties; for L0 a rise of F is rejected
        self.restart = momentum and restart and prob.pen.convex
        self.reject = momentum and restart and not prob.pen.convex
        X, AX = setup.x0[:, running], start.Ax[:, running]
        self.refine = refine and prob.pen.restricted_quadratic(X) is not None
        tracked = momentum or anderson
        self.batch = Batch(
            x=X,
            ax=AX,
            mom=xp.zeros_like(X) if tracked else None,
            amom=xp.zeros_like(AX) if tracked else None,
            grad=start.grad[:, running],
            grad_known=np.ones(c, dtype=bool),
            objective=start.objective[running],
            age=np.zeros(c, dtype=np.int64),
            step=steps,
            streak=np.zeros(c, dtype=np.int64),
            need=np.full(c, float(_STREAK)),
            ax_exact=np.ones(c, dtype=bool),
        )
        self.limit = _DIVERGENCE_FACTOR * np.maximum(start.objective[running], 1e-300)
        self.table = Momentum()
        # a costly measure (a duality gap, a distance) is evaluated only where it may stop
        # a column; tol = 0 stops none, and the result's measure is taken at the end
        self.gated = prob.measure != "mapping"
        never = np.iinfo(np.int64).max
        self.next_check = np.full(c, 1 if tol > 0 else never, dtype=np.int64)
        self.unchanged = np.zeros(c, dtype=np.int64)
        self.patience = np.full(c, _PATIENCE)
        self.fingerprint = np.full(c, np.nan)
        self.probe = None
        if self.refine:
            # the sign pattern is compared through a random projection of it: one dot product
            seed = getattr(getattr(setup.space.model, "comm", None), "rank", 0)
            probe = np.random.default_rng(seed).uniform(1.0, 2.0, size=(X.shape[0], 1))
            self.probe = xp.asarray(probe.astype(prob.real))
        self.memory = None
        if anderson:
            self.memory = Memory(_ANDERSON_MEMORY, X.shape, AX.shape, xp, setup.dtype)
            self.b_norm = np.sqrt(setup.space.data.sq_norm(prob.b))
        self._resize()

    # ------------------------------------------------------------------ bookkeeping
    def _resize(self) -> None:
        prob = self.prob
        self.work = Work(self.batch, prob.space.xp, prob.real, self.refine)
        c = self.batch.n_columns
        self.all_columns = c == self.setup.op.column_matvec.size and bool(
            np.all(prob.columns == np.arange(c))
        )

    def _keep(self, keep: np.ndarray) -> None:
        """Drop every column but those at positions ``keep``."""
        self.batch = self.batch.take(keep)
        self.prob = self.prob.take(keep)
        for name in ("limit", "next_check", "unchanged", "patience", "fingerprint"):
            setattr(self, name, getattr(self, name)[keep])
        if self.memory is not None:
            self.memory = self.memory.take(keep)
            self.b_norm = self.b_norm[keep]
        self._resize()

    def _apps(self) -> np.ndarray:
        op = self.setup.op
        if self.all_columns:
            return op.column_matvec + op.column_rmatvec
        return _apps(op, self.prob.columns)

    def _current(self) -> Array:
        """A copy of the whole current iterate (finished columns at their final values)."""
        whole = self.record.x.copy()
        whole[:, self.prob.slots] = self.batch.x
        return self.setup.output(whole)

    # ------------------------------------------------------------------ the iterations
    def run(self, max_iter: int) -> None:
        """Iterate until every column has stopped or ``max_iter`` iterations."""
        record, tol = self.record, self.tol
        optimality = np.full(self.batch.n_columns, np.nan)
        for it in range(1, max_iter + 1):
            if it >= self.table.beta.size:
                self.table.extend(2 * it)
            prob = self.prob
            c = self.batch.n_columns
            refined = None
            if self.refine:
                due = self.unchanged >= self.patience
                if due.any() and not prob.pen.quadratic:
                    # more free coefficients than rows: the restricted system is singular and
                    # the active-set CG would march through sign changes; steps settle it first
                    due &= prob.space.model.count(self.batch.x != 0) <= prob.op.shape[0]
                if due.any() and _gathered(due, self.unchanged - self.patience):
                    refined = due
            # the last iteration's measure is the result's: always taken
            evaluate = (it >= self.next_check) if self.gated and it < max_iter else None
            if refined is None:
                optimality, diverged, fingerprint = self._step(
                    self.batch, prob, self.work, evaluate, self.limit, self.fingerprint
                )
            else:
                optimality, diverged, fingerprint = self._advance(refined, evaluate)
            if self.gated and tol > 0:
                self._schedule(it, optimality)
            converged = (optimality <= tol) & ~diverged if tol > 0 else np.zeros(c, dtype=bool)
            if prob.measure == "mapping" and converged.any():
                optimality, converged = self._certify(converged, optimality)
            if self.memory is not None:
                fingerprint = self._extrapolate(it, refined, converged | diverged, fingerprint)
            record.log_iterate(it, prob.slots, self.batch.objective, optimality, self._apps())
            stop = converged | diverged
            reasons = None
            if self.callback is not None and stops(self.callback, self._current()):
                reasons = np.where(
                    diverged, "diverged", np.where(converged, "converged", "callback")
                )
                stop = np.ones(c, dtype=bool)
            if self.refine:
                same = fingerprint == self.fingerprint  # NaN (no pattern yet) is never the same
                if refined is not None:
                    same &= ~refined
                    self.patience[refined] *= np.where(self._accepted, 1, 2)
                self.unchanged = np.where(same, self.unchanged + 1, 0)
                self.fingerprint = fingerprint
            if stop.any():
                idx = np.flatnonzero(stop)
                if reasons is None:
                    reasons = np.where(diverged, "diverged", "converged")
                n_iter = np.where(diverged[idx], it - 1, it)
                self._retire(idx, reasons[idx], n_iter, optimality[idx])
                keep = np.flatnonzero(~stop)
                if keep.size == 0:
                    return
                self._keep(keep)
                optimality = optimality[keep]
        c = self.batch.n_columns
        self._retire(np.arange(c), np.full(c, "max_iter"), np.full(c, max_iter), optimality)

    def _schedule(self, it: int, optimality: np.ndarray) -> None:
        """When each column's costly measure is next evaluated.

        A measure that would need to fall by 10^w to reach ``tol`` is evaluated again
        after w iterations (at most :data:`_MAX_WAIT`): a column stops late only
        where its measure falls faster than tenfold per iteration.
        """
        seen = np.isfinite(optimality)
        if not seen.any():
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            orders = np.floor(np.log10(optimality[seen] / self.tol))
        # fmax/fmin take the number over a NaN (1 wait) and bound ±inf (a tenth of
        # nan_to_num and clip's overhead, paid every iteration)
        wait = np.fmin(np.fmax(orders, 1.0), _MAX_WAIT).astype(np.int64)
        self.next_check[seen] = it + wait

    def _advance(
        self, due: np.ndarray, evaluate: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """A refinement for the columns ``due`` one, a step for the others."""
        batch, prob = self.batch, self.prob
        c = due.size
        on, off = np.flatnonzero(due), np.flatnonzero(~due)
        refined, opt_ref = refine_columns(batch.take(on), prob.take(on))
        self._accepted = refined.objective < batch.objective[on]
        optimality = np.empty(c)
        diverged = np.zeros(c, dtype=bool)
        fingerprint = np.full(c, np.nan)
        optimality[on] = opt_ref
        if self.probe is not None:
            signs = pattern(prob.space.xp, refined.x, None)
            fingerprint[on] = prob.space.model.dots([(signs, self.probe)])[0]
        if off.size:
            stepped, sub = batch.take(off), prob.take(off)
            opt_step, div_step, print_step = self._step(
                stepped,
                sub,
                Work(stepped, prob.space.xp, prob.real, self.refine),
                None if evaluate is None else evaluate[off],
                self.limit[off],
                self.fingerprint[off],
            )
            batch.put(off, stepped)
            optimality[off], diverged[off] = opt_step, div_step
            if print_step is not None:
                fingerprint[off] = print_step
        batch.put(on, refined)
        return optimality, diverged, fingerprint

    def _step(
        self,
        batch: Batch,
        prob: Problem,
        work: Work,
        evaluate: np.ndarray | None,
        limit: np.ndarray,
        fingerprint: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """One proximal-gradient step of ``batch`` (updated in place); one matvec, one rmatvec.

        Returns the optimality (NaN where not evaluated), which columns diverged (their
        iterate is kept) and the fingerprint of the new sign pattern.
        """
        xp = prob.space.xp
        X, AX = batch.x, batch.ax
        moving = beta = None
        if self.momentum:
            beta = self.table.beta[batch.age]
            moving = beta > 0
            if moving.any():
                bcol = prob.col(beta)
                Y = xp.multiply(batch.mom, bcol, out=work.y)
                Y += X
                AY = xp.multiply(batch.amom, bcol, out=work.ay)
                AY += AX
            else:
                moving = None
        if moving is None:
            Y, AY = X, AX
        R = xp.subtract(AY, prob.b, out=work.r)
        known = batch.grad_known if moving is None else batch.grad_known & ~moving
        G = gradient(prob, R, known, batch.grad)

        steps = batch.step
        if prob.adaptive:
            grow = batch.streak >= batch.need
            if grow.any():
                steps[grow] *= _GROW
        mom = batch.mom if self.restart and moving is not None else None
        trial = try_step(
            prob, Y, AY, R, G, steps, mom=mom, probe=self.probe, work=work, with_rr=True
        )
        Z, AZ, dd, ad2, rda = trial.z, trial.az, trial.dd, trial.ad2, trial.rda
        dm, value, new_print = trial.dm, trial.value, trial.fingerprint
        failed = None
        if prob.adaptive:
            bad = fails_decrease(trial, steps, prob.noise)
            if bad.any():
                failed = bad
                dd, ad2, rda, value = dd.copy(), ad2.copy(), rda.copy(), value.copy()
                dm = None if dm is None else dm.copy()
                new_print = None if new_print is None else new_print.copy()
                pending = np.flatnonzero(bad)
                for _ in range(_MAX_BACKTRACK - 1):
                    with np.errstate(divide="ignore", invalid="ignore"):
                        steps[pending] = _SAFETY / (ad2[pending] / dd[pending])
                    sub = prob.take(pending)
                    again = try_step(
                        sub,
                        Y[:, pending],
                        AY[:, pending],
                        R[:, pending],
                        G[:, pending],
                        steps[pending],
                        mom=None if mom is None else mom[:, pending],
                        probe=self.probe,
                        work=None,
                        with_rr=False,
                    )
                    Z[:, pending], AZ[:, pending] = again.z, again.az
                    dd[pending], ad2[pending], rda[pending] = again.dd, again.ad2, again.rda
                    value[pending] = again.value
                    if dm is not None:
                        dm[pending] = again.dm
                    if new_print is not None:
                        new_print[pending] = again.fingerprint
                    pending = pending[fails_decrease(again, steps[pending], sub.noise)]
                    if pending.size == 0:
                        break
                else:  # the step test keeps failing: give up on these columns
                    Z[:, pending], AZ[:, pending] = Y[:, pending], AY[:, pending]
                    dd[pending] = np.inf
        with np.errstate(over="ignore", invalid="ignore"):
            # ½‖Az - b‖² = ½‖(Ay - b) + A(z - y)‖², from the products the test took
            F = 0.5 * (trial.rr + 2.0 * rda + ad2) + value
        if failed is not None:
            F[~np.isfinite(dd)] = np.inf
        restarted = None
        if moving is not None:
            if self.restart:
                # gradient restart (O'Donoghue & Candès, 2015): ⟨y - z, z - x⟩ > 0, where
                # x - y = -β·mom, so ⟨z - y, x - z⟩ = -β⟨z - y, mom⟩ - ‖z - y‖²
                restarted = -beta * dm - dd > 0
            elif self.reject:
                # accelerated hard thresholding is non-convex: reject a step that raises F
                restarted = (F > batch.objective) & moving
                if restarted.any():
                    back = np.flatnonzero(restarted)
                    Z[:, back], AZ[:, back] = X[:, back], AX[:, back]
                    F[back] = batch.objective[back]
                    if new_print is not None:
                        new_print = new_print.copy()
                        new_print[back] = fingerprint[back]
        diverged = ~np.isfinite(F) | (F > limit)
        if diverged.any():  # a diverged column keeps its last finite iterate
            back = np.flatnonzero(diverged)
            Z[:, back], AZ[:, back] = X[:, back], AX[:, back]
        if evaluate is None or evaluate.any():
            optimality = measure(prob, F, R, G, Y, Z, dd, steps)
        else:
            optimality = np.full(F.size, np.nan)
        if diverged.any():
            optimality[diverged] = np.inf
            F[diverged] = batch.objective[diverged]

        if batch.mom is not None:
            xp.subtract(Z, X, out=batch.mom)
            xp.subtract(AZ, AX, out=batch.amom)
        batch.x, batch.ax, batch.grad, batch.objective = Z, AZ, G, F
        batch.grad_known[:] = False
        batch.ax_exact[:] = True
        if self.momentum:
            batch.age += 1
            if restarted is not None and restarted.any():
                batch.age[restarted] = 0
        batch.streak += 1
        if failed is not None:
            batch.streak[failed] = 0
            batch.need[failed] *= _BACKOFF
        return optimality, diverged, new_print

    def _certify(
        self, claimed: np.ndarray, optimality: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Check a stationarity claim at the returned iterate itself (penalties without a dual).

        The gradient mapping of a step is measured at the point the step starts from;
        for the claimed columns it is evaluated again at z (one adjoint), so
        ``converged`` holds at the x returned.
        """
        batch = self.batch
        idx = np.flatnonzero(claimed)
        sub = self.prob.take(idx)
        Z, AZ = batch.x[:, idx], batch.ax[:, idx]
        G = sub.adjoint(AZ - sub.b)
        scol = sub.col(batch.step[idx])
        moved = sub.pen.prox(Z - scol * G, scol)
        at_z = np.sqrt(sub.space.model.sq_norm(moved - Z)) / batch.step[idx] / sub.scale
        optimality = optimality.copy()
        optimality[idx] = at_z
        batch.grad[:, idx] = G
        batch.grad_known[idx] = True
        return optimality, claimed & (optimality <= self.tol)

    def _extrapolate(
        self,
        it: int,
        refined: np.ndarray | None,
        stopped: np.ndarray,
        fingerprint: np.ndarray | None,
    ) -> np.ndarray | None:
        """Anderson-extrapolate the columns whose memory is full; their sign pattern anew."""
        grow = ~stopped if refined is None else ~stopped & ~refined
        moved = extrapolate(self.memory, self.batch, self.prob, self.b_norm, grow=grow)
        if moved is None:
            return fingerprint
        chosen, X_e = moved
        self.next_check[chosen] = np.minimum(self.next_check[chosen], it + 1)
        if fingerprint is not None:
            fingerprint = fingerprint.copy()
            signs = pattern(self.prob.space.xp, X_e, None)
            fingerprint[chosen] = self.prob.space.model.dots([(signs, self.probe)])[0]
        return fingerprint

    def _retire(
        self, idx: np.ndarray, reasons: np.ndarray, n_iter: Any, optimality: np.ndarray
    ) -> None:
        """Record columns ``idx``: F recomputed where Ax was combined, never worse than the origin.

        A column whose measure was not evaluated at its last iterate (a callback that
        stops between two evaluations) is measured at the returned x (one adjoint).
        """
        batch, prob = self.batch, self.prob
        X0, F0 = self.origin
        X, AX = batch.x[:, idx], batch.ax[:, idx]
        F = batch.objective[idx].copy()
        combined = np.flatnonzero(~batch.ax_exact[idx])
        if combined.size:
            sub = prob.take(idx[combined])
            AX[:, combined] = sub.forward(X[:, combined])
            F[combined] = sub.objective(X[:, combined], AX[:, combined])
        optimality = np.array(optimality, dtype=float)
        unknown = np.flatnonzero(np.isnan(optimality))
        if unknown.size:
            optimality[unknown] = measure_at(
                prob.take(idx[unknown]),
                batch,
                idx[unknown],
                X[:, unknown],
                AX[:, unknown],
                F[unknown],
            )
        slots = prob.slots[idx]
        worse = np.isfinite(F0[slots]) & (F > F0[slots] * (1 + 1e-12) + 1e-300)
        if worse.any():
            X = X.copy()
            X[:, worse] = X0[:, slots[worse]]
            F[worse] = F0[slots[worse]]
        self.record.finish(
            slots,
            x=X,
            objective=F,
            optimality=optimality,
            step=batch.step[idx],
            n_iter=n_iter,
            reason=reasons,
        )


def _apps(op: Any, columns: np.ndarray) -> np.ndarray:
    return op.column_matvec[columns] + op.column_rmatvec[columns]


def stops(callback: Callback, x: Array) -> bool:
    """Whether a callback's return value stops the solve (any truthy value does)."""
    value = callback(x)
    try:
        return bool(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"callback must return None, True or False; got {type(value).__name__}"
        ) from None


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


def _gathered(due: np.ndarray, waited: np.ndarray) -> bool:
    """Whether the columns ``due`` for a refinement run it now, together.

    One column refines at once (a single solve is unchanged). In a batch, a CG step
    costs one block application whatever the number of columns it serves, and the
    columns fall due at different iterations: a due column keeps stepping (which
    costs it nothing it would not have spent) until a quorum is due or it has waited
    :data:`_MAX_DEFER` iterations.
    """
    return due.sum() * _QUORUM >= due.size or bool(waited[due].max() >= _MAX_DEFER)
