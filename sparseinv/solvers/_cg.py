"""Matrix-free conjugate gradients for Hermitian positive (semi-)definite systems.

:func:`block_cg` solves ``k`` independent systems at once, one per column, each
with its own step lengths and its own stopping (a block of k systems, not one
system); the operator is applied to the columns still running only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from sparseinv.backend import Reducer

Array = Any


class CGResult(NamedTuple):
    x: Array
    n_iter: Any  # per column (an int for conjugate_gradient)
    converged: Any
    relative_residual: Any


def block_cg(
    apply: Callable[[Array, Any], Array],
    rhs: Array,
    x0: Array,
    *,
    tol: Any,
    max_iter: int,
    reducer: Reducer,
    residual0: Array | None = None,
) -> CGResult:
    """Solve ``M x_j = rhs_j`` for every column j by CG from ``x0``.

    Parameters
    ----------
    apply : callable
        ``apply(V, idx)`` returns ``M V`` for the block ``V`` holding the columns at
        positions ``idx`` (None: all of them).
    rhs, x0 : array
        ``(rows, k)`` blocks.
    tol : float or ndarray
        Relative residual ``‖rhs - Mx‖ ≤ tol·‖rhs‖`` at which a column stops
        (one per column or one for all).
    max_iter : int
        Most iterations.
    reducer : Reducer
        Column reductions of the rows.
    residual0 : array, optional
        ``rhs - M x0`` when already known (saves one application).

    Returns
    -------
    CGResult
        ``n_iter``, ``converged`` and ``relative_residual`` per column. A column also
        stops, unconverged, on a direction of non-positive or non-finite curvature
        or a non-finite residual. (CG residuals are not monotone: with the extreme
        weights of IRLS at small ε they can rise a thousandfold before falling, so
        growth is no reason to stop.)
    """
    xp = reducer.xp
    k = rhs.shape[1]
    rhs_norm2 = reducer.sq_norm(rhs)
    tol = np.broadcast_to(np.asarray(tol, dtype=float), (k,))
    target = tol * tol * rhs_norm2
    if residual0 is not None:
        R = residual0.copy()
    elif bool(reducer.count(x0 != 0).any()):
        R = rhs - apply(x0, None)
    else:
        R = rhs.copy()
    X = x0.copy()
    rr = reducer.sq_norm(R)
    P = R.copy()
    n_iter = np.zeros(k, dtype=np.int64)
    running = (rr > target) & np.isfinite(rr)
    real = np.empty(0, dtype=X.dtype).real.dtype
    alpha = np.zeros(k)
    beta = np.zeros(k)
    for _ in range(max_iter):
        if not running.any():
            break
        if running.all():
            MP = apply(P, None)
        else:
            idx = np.flatnonzero(running)
            MP = xp.zeros_like(P)
            MP[:, idx] = apply(P[:, idx], idx)
        curv = reducer.vdot(P, MP)
        running &= curv > 0  # a direction of non-positive (or NaN) curvature: stop there
        alpha[:] = 0.0
        np.divide(rr, curv, out=alpha, where=running)
        acol = xp.asarray(alpha.astype(real).reshape(1, -1))
        X += acol * P
        R -= acol * MP
        rr_new = reducer.sq_norm(R)
        beta[:] = 0.0
        np.divide(rr_new, rr, out=beta, where=running)
        P *= xp.asarray(beta.astype(real).reshape(1, -1))
        P += R
        np.copyto(rr, rr_new, where=running)
        n_iter += running
        running &= (rr > target) & np.isfinite(rr)
    relative = np.sqrt(np.divide(rr, rhs_norm2, out=np.zeros(k), where=rhs_norm2 > 0))
    return CGResult(X, n_iter, rr <= target, relative)


def conjugate_gradient(
    apply: Callable[[Array], Array],
    rhs: Array,
    x0: Array,
    *,
    tol: float,
    max_iter: int,
    xp: Any,
) -> CGResult:
    """Solve ``M x = rhs`` for one vector by CG from ``x0``; stops at ``‖rhs - Mx‖ ≤ tol·‖rhs‖``.

    ``apply(v)`` returns ``M v``. The 1-D face of :func:`block_cg`.
    """
    out = block_cg(
        lambda V, idx: apply(V[:, 0]).reshape(-1, 1),
        rhs.reshape(-1, 1),
        x0.reshape(-1, 1),
        tol=tol,
        max_iter=max_iter,
        reducer=Reducer(xp),
    )
    return CGResult(
        out.x[:, 0], int(out.n_iter[0]), bool(out.converged[0]), float(out.relative_residual[0])
    )
