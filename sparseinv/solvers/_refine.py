"""Conjugate-gradient refinement on the free set of the iterates, where F is a quadratic."""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv.solvers._problem import Problem, gradient, measure
from sparseinv.solvers._state import PGState

Array = Any

_CG_MAX_ITER = 100  # CG steps per refinement
_CG_RTOL = 1e-10  # relative residual at which CG stops
_ROUNDING = 100.0  # residuals below this many ulps of the gradient are rounding, not signal
_GROWTH = 100.0  # a residual this many times above its best: CG has lost its way


def refine(state: PGState, prob: Problem) -> tuple[PGState, np.ndarray]:
    r"""Minimize F on the free set of each column by conjugate gradients, where it is quadratic.

    With the support (and L1 signs) of x fixed, F is the quadratic
    ½‖A_S x_S - b‖² + (penalty's quadratic), minimized by CG on the normal
    equations, one matvec and one rmatvec per CG step. The step is cut where a
    coefficient would leave the interval where F is that quadratic (a sign change
    for L1, a bound), and that coefficient is set to the limit and leaves the free
    set (an active-set step); coefficients at a bound are not free to begin with.
    CG stops at its relative tolerance, at the rounding level of
    the gradient, when its residual grows far above its best (a singular or
    ill-conditioned restricted system: the free set may have more columns than
    rows), or on a direction of (numerically) zero curvature.

    The result is then checked: A x and the gradient are recomputed exactly (one
    matvec and one rmatvec), and a column keeps the refined point only where F did
    not increase. So a refinement never raises F, its objective is F(x) itself,
    and the optimality measure it returns is certified at the point returned; the
    next FISTA step reuses the exact gradient.

    Returns
    -------
    (PGState, ndarray)
        The state of these columns after the refinement (momentum reset) and their
        optimality.
    """
    space, pen = prob.space, prob.pen
    xp = space.xp
    X_old, AX_old = state.x, state.Ax
    c = X_old.shape[1]
    free, pen_grad, hess = pen.restricted_quadratic(X_old)
    offset = pen_grad - hess * X_old  # penalty gradient = offset + hess·x on the free set
    G_old = gradient(prob, AX_old - prob.b, state.grad_known, state.grad)
    # where F is this quadratic: each free coefficient keeps its sign (L1) and its bounds
    limits = pen.free_limits(X_old)
    eps = float(np.finfo(prob.real).eps)

    def residual(X: Array, G: Array, free: Array) -> Array:
        return xp.where(free, -(G + offset + hess * X), 0)

    X, AX, G = X_old, AX_old, G_old
    rho = residual(X, G, free)
    rr = space.model.sq_norm(rho)
    floor = (_ROUNDING * eps) ** 2 * (
        space.model.sq_norm(xp.where(free, G, 0)) + space.model.sq_norm(xp.where(free, offset, 0))
    )
    target = np.maximum(_CG_RTOL**2 * rr, floor)
    best = rr.copy()
    P = rho
    running = (rr > target) & np.isfinite(rr)
    L = 1.0 / state.step  # the curvature scale the steps have seen
    for _ in range(_CG_MAX_ITER):
        if not running.any():
            break
        idx = np.flatnonzero(running)
        whole = idx.size == c
        Pa = P if whole else P[:, idx]
        Qa = prob.forward(Pa, None if whole else idx)
        Wa = prob.adjoint(Qa, None if whole else idx)
        Q, W = (Qa, Wa) if whole else (_scatter(xp, Qa, idx, c), _scatter(xp, Wa, idx, c))
        curv = space.model.vdot(P, xp.where(free, W, 0) + hess * P)
        pp = space.model.sq_norm(P)
        # a direction of (numerically) zero curvature: the restricted system is singular there
        flat = ~(curv > _ROUNDING * eps * L * pp) | ~np.isfinite(curv)
        running &= ~flat
        alpha = np.where(running, rr / np.where(running, curv, 1.0), 0.0)
        acol = prob.col(alpha)
        X_new = X + acol * P
        AX, G = AX + acol * Q, G + acol * W
        flip = np.zeros(c, dtype=bool)
        if limits is not None:
            lo, hi = limits
            flipped = free & ((X_new < lo) | (X_new > hi))
            flip = running & (space.model.count(flipped) > 0)
        if flip.any():
            # F is this quadratic only up to the first limit (a sign change, a bound):
            # step back there, drop the coefficient that reaches it (at the limit exactly)
            # and restart CG on the rest
            flipped = flipped & (prob.col(flip) > 0)
            limit = xp.where(P > 0, hi, lo)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = xp.where(flipped, (limit - X) / xp.where(flipped, P, 1), np.inf)
            first = -space.model.max(-ratios)
            back = np.where(flip, alpha - first, 0.0)
            dropped = flipped & (ratios <= prob.col(np.where(flip, first, -np.inf)))
            bcol = prob.col(back)
            X = xp.where(dropped, limit, X_new - bcol * P)
            AX, G = AX - bcol * Q, G - bcol * W
            free = free & ~dropped
        else:
            X = X_new
        rho = residual(X, G, free)
        rr_new = space.model.sq_norm(rho)
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = np.where(running & ~flip, rr_new / rr, 0.0)
        P = rho + prob.col(beta) * P
        rr = np.where(running, rr_new, rr)
        best = np.minimum(best, rr)
        running &= (rr > target) & (rr <= _GROWTH * best) & np.isfinite(rr)

    # check the result against F itself, with A x and the gradient computed anew
    AX = prob.forward(X)
    R = AX - prob.b
    G = prob.adjoint(R)
    with np.errstate(over="ignore", invalid="ignore"):
        F = 0.5 * space.data.sq_norm(R) + pen.value(X)
    keep = np.isfinite(F) & (F <= state.objective)
    if not keep.all():
        kcol = prob.col(keep) > 0
        X, AX, G = xp.where(kcol, X, X_old), xp.where(kcol, AX, AX_old), xp.where(kcol, G, G_old)
        R = AX - prob.b
        F = np.where(keep, F, state.objective)
    scol = prob.col(state.step)
    Z = pen.prox(X - scol * G, scol)
    dd = space.model.sq_norm(Z - X)
    optimality = measure(prob, F, R, G, X, Z, dd, state.step)
    new = state._replace(
        x=X,
        Ax=AX,
        x_prev=X,
        Ax_prev=AX,
        grad=G,
        grad_known=np.ones(c, dtype=bool),
        objective=F,
        t=np.ones(c),
        ax_exact=np.ones(c, dtype=bool),
    )
    return new, optimality


def _scatter(xp: Any, part: Array, idx: np.ndarray, c: int) -> Array:
    full = xp.zeros((part.shape[0], c), dtype=part.dtype)
    full[:, idx] = part
    return full
