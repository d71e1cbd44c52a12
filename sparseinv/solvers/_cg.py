"""Matrix-free conjugate gradients for Hermitian positive (semi-)definite systems."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

Array = Any


class CGResult(NamedTuple):
    x: Array
    n_iter: int
    converged: bool
    relative_residual: float


def conjugate_gradient(
    apply: Callable[[Array], Array],
    rhs: Array,
    x0: Array,
    *,
    tol: float,
    max_iter: int,
    xp: Any,
) -> CGResult:
    """Solve ``M x = rhs`` by CG from ``x0``; stops at ``‖rhs - Mx‖ ≤ tol·‖rhs‖``.

    ``apply(v)`` returns ``M v``. The residual is updated by recurrence (one
    application of M per iteration).
    """
    rhs_norm2 = float(xp.vdot(rhs, rhs).real)
    if rhs_norm2 == 0.0:
        return CGResult(xp.zeros_like(x0), 0, True, 0.0)
    x = x0
    r = rhs - apply(x) if bool(xp.any(x0 != 0)) else rhs
    rr = float(xp.vdot(r, r).real)
    target = tol * tol * rhs_norm2
    p = r
    n_iter = 0
    while rr > target and n_iter < max_iter:
        Mp = apply(p)
        curv = float(xp.vdot(p, Mp).real)
        if curv <= 0.0:
            break
        alpha = rr / curv
        x = x + alpha * p
        r = r - alpha * Mp
        rr_new = float(xp.vdot(r, r).real)
        p = r + (rr_new / rr) * p
        rr = rr_new
        n_iter += 1
    return CGResult(x, n_iter, rr <= target, (rr / rhs_norm2) ** 0.5)
