"""Iteratively reweighted least squares with matrix-free conjugate gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv._validation import check_flag, check_positive_number
from sparseinv.lipschitz import power_iteration
from sparseinv.penalties import Penalty
from sparseinv.result import SolveResult, warn_if_unconverged
from sparseinv.solvers._cg import block_cg
from sparseinv.solvers._loop import Callback, run_proximal_gradient, stops
from sparseinv.solvers._problem import Problem, Start, certifiable_tol, measure, start_point
from sparseinv.solvers._setup import Setup, check_options, prepare
from sparseinv.solvers._state import Record

__all__ = ["irls"]

_SMOOTHING_DECAY = 10**-0.5  # ε² ← ε²/10 when the iterate settles (Chartrand & Yin)
_RUNAWAY = 11.0  # a step that multiplies the weighted quadratic by more has run away
_SMOOTHING_FLOOR = 1e-6  # stop decreasing ε below this fraction of ε0
_CHANGE_FLOOR = 1e-9  # inexact CG cannot resolve smaller relative changes
_RESOLVED_ULPS = 10.0  # nor, in float32, changes below this many ulps of the dtype


def irls(
    A: Any,
    b: Any,
    penalty: Penalty,
    *,
    x0: Any = None,
    max_iter: int = 100,
    tol: float = 1e-6,
    callback: Callback | None = None,
    smoothing: float | None = None,
    cg_max_iter: int = 1000,
    polish: bool = True,
) -> SolveResult:
    r"""Iteratively reweighted least squares for L0, L1 or L2, matrix-free.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator or ColumnBatch
        Operator of shape ``(m, n)``: numpy/cupy array, scipy sparse matrix, scipy
        or pylops ``LinearOperator``; real or complex.
    b : ndarray
        Data with ``m`` entries, or a block ``(m, k)`` of ``k`` right-hand sides
        (each solved as its own problem, as in :func:`fista`); real or complex.
    penalty : Penalty
        :class:`~sparseinv.L0`, :class:`~sparseinv.L1` or :class:`~sparseinv.L2` with
        one λ, one per group or one per coefficient (or per column of a block).
    x0 : ndarray, optional
        Starting point with ``n`` entries, or ``(n, k)`` (zeros by default). Not modified.
    max_iter : int, optional
        Most reweighting (outer) iterations, ≥ 1; the polishing stage gets as many.
    tol : float, optional
        Tolerance ≥ 0: on the relative change of x between reweightings once ε has
        reached its floor, and passed on to the polishing stage, whose measure (see
        :func:`fista`) is the one reported; for L2, on the certified distance bound
        of :func:`fista`'s Notes.
    callback : callable, optional
        Called as ``callback(x)`` with a copy of each outer iterate; a truthy return
        stops the solve.
    smoothing : float, optional
        Initial smoothing ε0 > 0 of the surrogate. Default
        :math:`\|A^Hb\|_\infty / L`, the scale of the first gradient step.
    cg_max_iter : int, optional
        Most conjugate-gradient iterations per reweighting.
    polish : bool, optional
        Finish L0 and L1 with the proximal-gradient loop started at the IRLS
        iterate (default True), which sets exact zeros and certifies optimality.

    Returns
    -------
    SolveResult
        ``objective`` and ``history["objective"]`` hold the true penalty, not the
        surrogate. ``n_iter`` counts outer and polishing iterations; ``step`` is that
        of the polishing stage (None without it).

    Raises
    ------
    TypeError, ValueError
        For a bad argument; the message names it.

    See Also
    --------
    fista : Proximal gradient with momentum.

    Notes
    -----
    IRLS minimizes the sparseinv objective (:mod:`sparseinv.objective`)
    :math:`\tfrac12\|Ax-b\|^2 + \sum_i\lambda_i R(x_i)` through a smooth surrogate
    of R majorized by quadratics. Each outer iteration solves

    .. math::

        (A^HA + \mathrm{diag}(d))\,x = A^Hb, \qquad d_i = \lambda_i w_i(x^{(k)}, \varepsilon)

    with :math:`w = 1/\sqrt{|x|^2+\varepsilon^2}` (L1), :math:`w = 1/(2(|x|^2+\varepsilon^2))`
    (L0, the log surrogate) or :math:`w = 1` (L2, exact in one solve). When
    :math:`m < n` and every :math:`d_i > 0` the equivalent data-space system
    :math:`(AD^{-1}A^H + I)u = b`, :math:`x = D^{-1}A^Hu` is solved instead (its CG
    converges in about as many steps as there are large coefficients). Each CG
    step applies A and :math:`A^H` once. Per-group λ enters through
    :math:`\lambda_i` exactly as in ISTA/FISTA.

    ε starts at ε0 and is divided by :math:`\sqrt{10}` (:math:`\varepsilon^2` by 10,
    as in Chartrand & Yin) whenever the relative change of x between two
    reweightings falls below :math:`(\varepsilon/\varepsilon_0)/100`, down to
    :math:`10^{-6}\varepsilon_0`. Since ε > 0 throughout, no weight is infinite and
    a coefficient that reaches zero can come back (pylops' model IRLS freezes it).

    IRLS iterates never hold exact zeros, so for L0 their true objective counts
    every coefficient. With ``polish=True`` the result is handed to the
    proximal-gradient loop (FISTA with restart, monotone for L0), so the returned
    x has exact zeros, is a fixed point of the prox-gradient map (hard thresholding
    for L0) and carries the same optimality measure as :func:`fista`. Without
    polishing, ``optimality`` is the relative change of x between the last two
    reweightings, which does not bound the suboptimality.

    As in :func:`fista`, a start that is already optimal (for instance
    :math:`x_0 = 0` when :math:`\lambda \ge \lambda_{\max}`) is returned exactly,
    and the result is never worse than the start. For L2 the CG solve is checked
    on an exact gradient against the certified distance bound and resumed with a
    tighter tolerance until it holds (at most four rounds). With a data block,
    every column has its own weights, smoothing and stopping, and the CG solves
    are a block of independent systems, one per column.

    References
    ----------
    .. [1] R. Chartrand, W. Yin, "Iteratively reweighted algorithms for compressive
       sensing", ICASSP 2008.
    .. [2] I. Daubechies, R. DeVore, M. Fornasier, C. S. Güntürk, "Iteratively
       reweighted least squares minimization for sparse recovery", CPAM 63, 2010.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 100)); x = np.zeros(100); x[:4] = 3.0
    >>> res = si.irls(A, A @ x, si.L1(0.1))
    >>> bool(np.allclose(res.x, x, atol=0.05)), res.converged
    (True, True)
    """
    options = check_options(step=None, max_iter=max_iter, tol=tol, callback=callback)
    max_iter, tol, callback = options["max_iter"], options["tol"], options["callback"]
    cg_max_iter = check_positive_number(cg_max_iter, "cg_max_iter", integer=True)
    if smoothing is not None:
        smoothing = check_positive_number(smoothing, "smoothing")
    polish = check_flag(polish, "polish")
    if isinstance(penalty, Penalty) and penalty.bounds is not None:
        raise ValueError(
            f"irls does not support bounds (got {penalty!r}): its weighted least-squares "
            "steps have no box; use si.fista, whose prox handles bounds exactly"
        )
    setup = prepare(A, b, penalty, x0)
    tol = certifiable_tol(tol, setup.dtype)
    start = start_point(setup, adaptive=True)
    record = Record(setup.n_columns, setup.x0.shape, setup.xp, setup.dtype)
    prob = start.problem
    record.log(prob.slots, start.objective, np.full(setup.n_columns, np.nan), _apps(prob))
    # the start's certificate: x0 = 0 is returned exactly when λ ≥ λ_max
    done = ~start.finite | ((tol > 0) & (start.optimality <= tol))
    if done.any():
        idx = np.flatnonzero(done)
        record.finish(
            idx,
            x=setup.x0[:, idx],
            objective=start.objective[idx],
            optimality=start.optimality[idx],
            step=np.full(idx.size, np.nan),
            n_iter=0,
            reason=np.where(start.finite[idx], "converged", "diverged"),
        )
    running = np.flatnonzero(~done)
    if running.size:
        if setup.penalty.kind is None:  # a ridge alone: one weighted solve
            _ridge(setup, start, running, record, tol=tol, cg_max_iter=cg_max_iter)
        else:
            _reweighted(
                setup,
                start,
                running,
                record,
                max_iter=max_iter,
                tol=tol,
                callback=callback,
                smoothing=smoothing,
                cg_max_iter=cg_max_iter,
                polish=polish,
            )
    result = record.result(
        solver="irls",
        op=setup.op,
        columns=setup.columns,
        batched=setup.batched,
        x=setup.output(record.x),
        scale=setup.scale,
    )
    warn_if_unconverged(result, tol=tol)
    return result


def _apps(prob: Problem) -> np.ndarray:
    return prob.op.column_matvec[prob.columns] + prob.op.column_rmatvec[prob.columns]


def _ridge(
    setup: Setup,
    start: Start,
    running: np.ndarray,
    record: Record,
    *,
    tol: float,
    cg_max_iter: int,
) -> None:
    """L2: CG on (AᴴA + diag λ) x = Aᴴb per column, until the optimality measure holds.

    The CG residual is -∇F(x); the measure (the certified distance bound for λ > 0,
    see :func:`~sparseinv.solvers._problem.measure`) is checked on an exact
    gradient, and CG resumes with a tighter tolerance where it does not hold yet.
    """
    prob = start.problem.take(running)
    space = prob.space
    X = setup.x0[:, running]
    D = prob.pen.irls_weights(X, 0.0)
    free = prob.pen.free_mask  # λ = inf: those coefficients stay at 0 exactly
    eps = float(np.finfo(prob.real).eps)
    normal = _normal_system(prob, D, free)

    # a short power iteration only to reject an operator whose squared norm under- or
    # overflows (its products would have lost their precision), as the other solvers do
    power_iteration(
        prob.op,
        space.model,
        n_columns=prob.op.batch or 1,
        max_iter=2,
        tol=1.0,
        rng=0,
        xp=space.xp,
        dtype=setup.dtype,
        start=setup.power_start,
        columns=None if prob.op.batch else prob.columns,
    )
    G = start.grad[:, running]
    zero_start = not bool(space.model.count(X != 0).any())
    rhs = _masked(space, free, -G if zero_start else prob.adjoint(prob.b))  # Aᴴb
    rtol = np.full(running.size, max(tol, eps))
    F = start.objective[running]
    optimality = np.full(running.size, np.inf)
    rounds = 0
    for rounds in range(1, 5):  # noqa: B007
        cg = block_cg(
            normal,
            rhs,
            X,
            tol=rtol,
            max_iter=cg_max_iter,
            reducer=space.model,
            residual0=_masked(space, free, -(G + D * X)),  # the normal equations' residual: -∇F
        )
        X = cg.x
        AX = prob.forward(X)
        R = AX - prob.b
        G = prob.adjoint(R)
        with np.errstate(over="ignore", invalid="ignore"):
            F = prob.objective(X, AX)
        # without λ > 0 everywhere: ‖∇F(x)‖ relative to ‖Aᴴb‖ (the mapping of a unit step)
        dd = space.model.sq_norm(G + D * X)
        optimality = measure(prob, F, R, G, X, X, dd, np.ones(running.size))
        record.log(prob.slots, F, optimality, _apps(prob))
        short = np.isfinite(optimality) & (optimality > tol) & (rtol > eps)
        if tol == 0 or not short.any():
            break
        rtol = np.where(short, np.maximum(0.5 * rtol * tol / optimality, eps), rtol)
    finite = np.isfinite(F)
    reasons = np.where(finite, np.where(optimality <= tol, "converged", "max_iter"), "diverged")
    X = xp_where(space, finite, X, setup.x0[:, running])
    F = np.where(finite, F, start.objective[running])
    record.finish(
        running,
        x=X,
        objective=F,
        optimality=optimality,
        step=np.full(running.size, np.nan),
        n_iter=rounds,
        reason=reasons,
    )


def xp_where(space: Any, mask: np.ndarray, a: Any, b: Any) -> Any:
    """Column-wise choice between two blocks."""
    if mask.all():
        return a
    return space.xp.where(space.xp.asarray(mask.reshape(1, -1)), a, b)


def _reweighted(
    setup: Setup,
    start: Start,
    running: np.ndarray,
    record: Record,
    *,
    max_iter: int,
    tol: float,
    callback: Callback | None,
    smoothing: float | None,
    cg_max_iter: int,
    polish: bool,
) -> None:
    prob = start.problem.take(running)
    space = prob.space
    xp = space.xp
    op = prob.op
    X = setup.x0[:, running]
    AX = start.Ax[:, running]
    F = start.objective[running]
    c = running.size
    rhs = prob.adjoint(prob.b)
    if smoothing is None:
        lower, _ = power_iteration(
            op,
            space.model,
            n_columns=op.batch or 1,
            max_iter=10,
            tol=1e-2,
            rng=0,
            xp=xp,
            dtype=setup.dtype,
            start=setup.power_start,
            columns=None if op.batch else prob.columns,
        )
        L = lower[prob.columns] if op.batch else np.full(c, float(lower[0]))
        eps0 = space.model.max(xp.abs(rhs)) / np.maximum(L, np.finfo(float).tiny)
        eps0 = np.where((eps0 > 0) & np.isfinite(eps0), eps0, 1.0)
    else:
        eps0 = np.full(c, float(smoothing))
    eps = eps0.copy()
    ulp = float(np.finfo(prob.real).eps)
    change = np.full(c, np.inf)
    finished: list[
        tuple[np.ndarray, Any, np.ndarray, np.ndarray, np.ndarray, str | np.ndarray]
    ] = []
    whole = record.x.copy()
    it = 0
    for it in range(1, max_iter + 1):
        # settle at each ε until x moves by less than ε/ε0/100 (ε² in Chartrand & Yin),
        # but never below what the dtype resolves (float32: 1e-7), or ε stops decreasing
        settle = np.maximum(eps / eps0 / 100, _RESOLVED_ULPS * ulp)
        D = prob.pen.irls_weights(X, prob.col(eps))
        # CG to a tenth of the settling threshold: its own noise must not hide the settling
        cg_tol = np.clip(0.1 * settle, max(1e-10, ulp), 1e-3)
        X_new = _weighted_solve(prob, rhs, D, X, AX, tol=cg_tol, max_iter=cg_max_iter)
        bad = ~space.model.all(xp.isfinite(X_new))
        if bad.any():
            X_new = xp_where(space, ~bad, X_new, X)
        X_new, AX_new = _descend(prob, D, X, AX, X_new, prob.forward(X_new))
        norm = np.sqrt(space.model.sq_norm(X_new))
        diff = np.sqrt(space.model.sq_norm(X_new - X))
        change = np.where(norm > 0, diff / np.where(norm > 0, norm, 1.0), 0.0)
        X, AX = X_new, AX_new
        with np.errstate(over="ignore", invalid="ignore"):
            F = prob.objective(X, AX)
        bad |= ~np.isfinite(F)
        record.log(prob.slots, F, change, _apps(prob))
        at_floor = eps <= _SMOOTHING_FLOOR * eps0
        converged = at_floor & (change <= max(tol, _CHANGE_FLOOR, _RESOLVED_ULPS * ulp)) & ~bad
        stop = converged | bad
        reasons = np.where(bad, "diverged", "converged")
        if callback is not None:
            whole[:, prob.slots] = X
            if stops(callback, setup.output(whole)):
                reasons = np.where(stop, reasons, "callback")
                stop = np.ones(c, dtype=bool)
        if stop.any():
            idx = np.flatnonzero(stop)
            n_iter = np.where(bad[idx], it - 1, it)
            finished.append((prob.slots[idx], X[:, idx], F[idx], change[idx], n_iter, reasons[idx]))
            keep = np.flatnonzero(~stop)
            prob, X, AX, F = prob.take(keep), X[:, keep], AX[:, keep], F[keep]
            rhs, eps, eps0, change = rhs[:, keep], eps[keep], eps0[keep], change[keep]
            c = keep.size
            if c == 0:
                break
        eps = np.where(
            ~at_floor[~stop] & (change < settle[~stop]),
            np.maximum(eps * _SMOOTHING_DECAY, _SMOOTHING_FLOOR * eps0),
            eps,
        )
    if c:
        finished.append((prob.slots, X, F, change, np.full(c, max_iter), "max_iter"))
    for slots, Xs, Fs, opt, n_iter, reasons in finished:
        reasons = np.broadcast_to(np.asarray(reasons), slots.shape)
        polishable = (reasons == "converged") | (reasons == "max_iter")
        if polish and polishable.any():
            pidx = np.flatnonzero(polishable)
            _polish(
                setup,
                start,
                record,
                slots[pidx],
                Xs[:, pidx],
                n_iter[pidx],
                max_iter=max_iter,
                tol=tol,
            )
            rest = np.flatnonzero(~polishable)
        else:
            rest = np.arange(slots.size)
        if rest.size:
            record.finish(
                slots[rest],
                x=Xs[:, rest],
                objective=Fs[rest],
                optimality=opt[rest],
                step=np.full(rest.size, np.nan),
                n_iter=n_iter[rest],
                reason=reasons[rest],
            )


def _descend(prob: Problem, D: Any, X: Any, AX: Any, X_new: Any, AX_new: Any) -> tuple[Any, Any]:
    r"""``x_new``, or per column the best point towards it when the step ran away.

    IRLS is majorize-minimize on the weighted quadratic
    :math:`Q(z) = \tfrac12\|Az - b\|^2 + \tfrac12\sum_i d_i|z_i|^2`. Primal CG from
    ``x`` never raises Q; a data-space CG stopped early can. Modest rises are harmless
    and enforcing strict descent slows the recovery (IRLS-L0's 50 % point on the
    n = 256, m = 100 phase transition fell from k = 53 to 45), but with the extreme
    weights of a small ε a step can multiply Q by 1e10 and the iterates run away. A
    step that raises Q more than ``_RUNAWAY``-fold is replaced by the minimizer of
    Q on the line, which costs no operator application (``A`` is linear).
    """
    space = prob.space
    xp = space.xp
    dX = X_new - X
    AdX = AX_new - AX
    R = AX - prob.b
    curv = space.data.sq_norm(AdX) + space.model.sum(D * _abs2(dX))
    slope = space.data.vdot(AdX, R) + space.model.sum(D * (xp.conj(X) * dX).real)
    Q = 0.5 * space.data.sq_norm(R) + 0.5 * space.model.sum(D * _abs2(X))
    with np.errstate(invalid="ignore", over="ignore"):
        ran_away = ~(slope + 0.5 * curv <= (_RUNAWAY - 1.0) * Q)  # Q(x_new) > _RUNAWAY Q(x)
    if not ran_away.any():
        return X_new, AX_new
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(curv > 0, -slope / np.where(curv > 0, curv, 1.0), 0.0)
    t = np.where(np.isfinite(t), t, 0.0)
    t = np.where(ran_away, t, 1.0)
    tcol = prob.col(t)
    return X + tcol * dX, AX + tcol * AdX


def _abs2(x: Any) -> Any:
    return (x.conj() * x).real if x.dtype.kind == "c" else x * x


def _weighted_solve(
    prob: Problem, rhs: Any, D: Any, X: Any, AX: Any, *, tol: np.ndarray, max_iter: int
) -> Any:
    """Solve (AᴴA + diag d) x = Aᴴb per column, in data space when that system is smaller."""
    m, n = prob.op.shape
    space = prob.space
    free = prob.pen.free_mask  # λ = inf: those coefficients stay at 0 exactly
    positive = D > 0 if free is None else (D > 0) | ~free
    if m < n and bool(space.model.all(positive).all()):
        inv_d = (
            1.0 / D if free is None else space.xp.where(free, 1.0 / space.xp.where(free, D, 1), 0)
        )

        def data_system(U: Any, idx: Any) -> Any:
            sub = prob if idx is None else prob.take(idx)
            scale = inv_d if idx is None else inv_d[:, idx]
            return sub.forward(scale * sub.adjoint(U)) + U

        cg = block_cg(
            data_system,
            prob.b,
            prob.b - AX,  # at the solution u is the residual b - Ax
            tol=tol,
            max_iter=max_iter,
            reducer=space.data,
        )
        return inv_d * prob.adjoint(cg.x)

    normal = _normal_system(prob, D, free)
    rhs = _masked(space, free, rhs)
    return block_cg(normal, rhs, X, tol=tol, max_iter=max_iter, reducer=space.model).x


def _normal_system(prob: Problem, D: Any, free: Any) -> Any:
    """V ↦ (AᴴA + diag d)V per column; the identity on coefficients forced to 0 (λ = inf)."""
    xp = prob.space.xp

    def normal(V: Any, idx: Any) -> Any:
        sub = prob if idx is None else prob.take(idx)
        d = D if idx is None else D[:, idx]
        if free is None:
            return sub.adjoint(sub.forward(V)) + d * V
        mask = free if (idx is None or free.shape[1] == 1) else free[:, idx]
        return xp.where(mask, sub.adjoint(sub.forward(xp.where(mask, V, 0))), V) + d * V

    return normal


def _masked(space: Any, free: Any, values: Any) -> Any:
    """``values`` with 0 where the coefficients are forced to 0."""
    return values if free is None else space.xp.where(free, values, 0)


def _polish(
    setup: Setup,
    start: Start,
    record: Record,
    slots: np.ndarray,
    X: Any,
    n_iter: np.ndarray,
    *,
    max_iter: int,
    tol: float,
) -> None:
    """Hand the IRLS iterates to the proximal-gradient loop; merge histories and counts."""
    sub = setup.subset(slots, X)
    final = run_proximal_gradient(
        sub,
        step=None,
        max_iter=max_iter,
        tol=tol,
        callback=None,
        momentum=True,
        restart=True,
        refine=True,
        anderson=True,
        solver="irls",
        warn=False,
        origin=(setup.x0[:, slots], start.objective[slots]),
    )
    record.extend(slots, final.history)
    record.finish(
        slots,
        x=final.x,
        objective=final.objective,
        optimality=final.optimality,
        step=final.step,
        n_iter=n_iter + final.n_iter,
        reason=final.stop_reason,
    )
