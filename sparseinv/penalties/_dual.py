r"""The dual objective of every convex penalty, for the solvers' duality gap.

For :math:`F(x) = \tfrac12\|Ax - b\|^2 + \sum_i h_i(x_i)` (per group for L21) the
Fenchel dual is

.. math::

    D(\theta) = \operatorname{Re}\langle b, \theta\rangle - \tfrac12\|\theta\|^2
    - \sum_i h_i^*(a_i^H\theta) \le F(x) \quad \text{for every } \theta \text{ and } x,

so :math:`F(x) - D(\theta)` bounds :math:`F(x) - F^\star`. The solvers take
:math:`\theta = s\,r` with :math:`r = b - Ay` and the best of a few scales s (the
least-squares one :math:`\operatorname{Re}\langle b, r\rangle/\|r\|^2`, s = 1, which is
optimal at the solution, and the ridge-corrected one), each clipped to the
interval where θ is feasible. The conjugates :math:`h^*` of the penalties, with
:math:`h = \lambda|x| + \tfrac\mu2|x|^2 + \iota_{[l,u]}`:

- μ > 0: :math:`h^*(z) = z\hat x - \lambda|\hat x| - \tfrac\mu2\hat x^2` at
  :math:`\hat x = \operatorname{clip}(\operatorname{soft}(z, \lambda)/\mu, l, u)`, that is
  :math:`(|z| - \lambda)_+^2/(2\mu)` without bounds: finite, no constraint on θ;
- μ = 0: the maximum of :math:`zx - \lambda|x|` over the finite bounds and
  :math:`\operatorname{clip}(0, l, u)`, finite where both bounds are, and the
  constraint :math:`z \le \lambda` (:math:`z \ge -\lambda`) where the upper (lower)
  bound is infinite, :math:`|z| \le \lambda` without bounds;
- λ = ∞ (the box [0, 0]): :math:`h^* = 0`;
- L21: :math:`h_g^*(z_g) = (\|\Pi_K z_g\| - \lambda_g)_+^2/(2\mu_g)`, or the constraint
  :math:`\|\Pi_K z_g\| \le \lambda_g` when μ_g = 0, with :math:`\Pi_K` the projection on
  the cone of sign bounds (the identity without bounds).

An unpenalized coefficient without bounds (λ = μ = 0) has the constraint
:math:`a_i^H\theta = 0`, which no multiple of a residual meets exactly: the solvers
project θ onto it first (:mod:`sparseinv._unpenalized`), after which the gap is
again a certificate. There is no dual for L0 (non-convex), for L21 with bounds
that are not sign bounds, for unpenalized coefficients with a one-sided bound, or
when the unpenalized coefficients change with the column; those solves use the
gradient mapping.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv.backend import host
from sparseinv.penalties._arrays import abs2

Array = Any


def prepare(pen: Any, n_local: int, n_columns: int) -> None:
    """Fill in what the dual of ``pen`` needs: its constraints and unpenalized coefficients."""
    space, xp = pen.space, pen.space.xp
    pen.symmetric = pen.lower is None
    pen.unpenalized = None
    pen.constraint = None
    pen.finite_conjugate = False
    if pen.kind == "l0":
        pen.has_dual = False
        return
    groups = pen.groups
    ridge = pen.ridge_group if pen.kind == "l21" else pen.ridge
    lam = pen.lam
    if pen.kind is None:
        lam = 0.0
    with np.errstate(divide="ignore"):
        pen.inv_ridge = _where_positive(xp, ridge, pen.real)
    # the constraint weights 1/λ where h* is (in part) an indicator: μ = 0 and λ > 0
    if isinstance(lam, float) and isinstance(ridge, float):
        pen.constraint = None if (ridge == 0.0 and lam > 0) else _zeros_like_weights(xp, pen)
    else:
        active = _as_array(xp, ridge, pen.real) == 0
        active = active & (_as_array(xp, lam, pen.real) > 0)
        pen.constraint = xp.where(active, 1 / xp.where(active, _as_array(xp, lam, pen.real), 1), 0)
    ridge_any = _any(space, _as_array(xp, ridge, pen.real) > 0)
    pen.finite_conjugate = ridge_any or (pen.lower is not None and not pen.cone)
    if pen.kind == "l21" and pen.lower is not None and not pen.cone:
        pen.has_dual = False
        return
    # unpenalized coefficients: λ = μ = 0 in every part and not forced to 0
    lam_c = groups.expand(lam) if (groups is not None and not isinstance(lam, float)) else lam
    if pen.kind is None:
        lam_c = 0.0
    zero = (_as_array(xp, lam_c, pen.real) == 0) & (_as_array(xp, pen.ridge, pen.real) == 0)
    if pen.fixed is not None:
        zero = zero & ~pen.fixed
    zero = xp.broadcast_to(zero, (n_local, zero.shape[1]))
    if pen.lower is not None:
        lo_inf, hi_inf = pen.lower == -np.inf, pen.upper == np.inf
        free = zero & lo_inf & hi_inf
        one_sided = zero & (lo_inf != hi_inf)
        if _any(space, one_sided):
            pen.has_dual = False  # an unpenalized coefficient with one bound: see the module
            return
    else:
        free = zero
    if free.shape[1] > 1:
        every, some = free.all(axis=1), free.any(axis=1)
        if _any(space, (some & ~every)[:, None]):
            pen.has_dual = False  # the unpenalized set changes with the column
            return
        free = every[:, None]
    pen.has_dual = True
    if _any(space, free):
        pen.unpenalized = xp.ascontiguousarray(free)


def dual_value(pen: Any, b: Array, residual: Array, gradient: Array) -> np.ndarray | None:
    """Per-column :math:`\\max_s D(-s\\,\\text{residual})` over a few scales, or None.

    ``residual`` is :math:`Ay - b` and ``gradient`` :math:`A^H(Ay - b)`.
    """
    if not pen.has_dual:
        return None
    space, xp = pen.space, pen.space.xp
    rr = space.data.sq_norm(residual)
    beta = -space.data.vdot(b, residual)
    C = -gradient  # the correlations a_i^H θ at s = 1
    if pen.symmetric and np.any(beta < 0):
        # h* is even: the best θ is -s r for s ≥ 0 after a flip of the sign of r
        sign = np.where(beta < 0, -1.0, 1.0)
        C = C * space.columns(sign, pen.real)
        beta = np.abs(beta)
    grouped = pen.kind == "l21"
    if grouped:
        C = xp.clip(C, pen.lower, pen.upper) if pen.lower is not None else C
        nu = xp.sqrt(space.model.group_sum(abs2(C), pen.groups))  # (G, c), on every process
        ratio = host(_group_ratio(pen, nu))
    else:
        ratio = _ratio(pen, C)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_hi = np.where(ratio > 0, 1.0 / ratio, np.inf)
        s_ls = np.where(rr > 0, beta / np.where(rr > 0, rr, 1.0), 0.0)
    s = np.minimum(np.maximum(s_ls, 0.0), s_hi)  # np.clip's overhead is twice this, per call
    if not pen.finite_conjugate:
        return s * beta - 0.5 * s * s * rr  # h* = 0 on the feasible scales
    q = host((nu * nu * pen.inv_ridge).sum(axis=0)) if grouped else _ridge_curvature(pen, C)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = rr + q
        s_ridge = np.where(total > 0, beta / np.where(total > 0, total, 1.0), 0.0)
    scales = np.stack([s, np.minimum(1.0, s_hi), np.clip(s_ridge, 0.0, s_hi)])
    H = _group_conjugates(pen, nu, scales) if grouped else _conjugates(pen, C, scales)
    D = scales * beta - 0.5 * scales * scales * rr - H
    return np.max(np.where(np.isfinite(D), D, -np.inf), axis=0)


def _ratio(pen: Any, C: Array) -> np.ndarray:
    """Per column, the largest violation/λ over the constrained coefficients (s ≤ 1/ratio)."""
    xp, model = pen.space.xp, pen.space.model
    if pen.lower is None:
        viol = xp.abs(C)
    else:
        inf = xp.asarray(np.inf, dtype=pen.real)
        viol = xp.maximum(xp.where(pen.upper == inf, C, 0), xp.where(pen.lower == -inf, -C, 0))
    if pen.unpenalized is not None:
        viol = xp.where(pen.unpenalized, 0, viol)  # projected: a_i^H θ = 0 up to rounding
    if pen.constraint is None:
        lam = pen.lam
        return model.max(viol) / lam if isinstance(lam, float) else model.max(viol / lam)
    return model.max(viol * pen.constraint)


def _group_ratio(pen: Any, nu: Array) -> Array:
    xp = pen.space.xp
    if pen.constraint is None:
        return (nu / pen.lam).max(axis=0) if nu.shape[0] else xp.zeros(nu.shape[1])
    return (nu * pen.constraint).max(axis=0)


def _ridge_curvature(pen: Any, C: Array) -> np.ndarray:
    """Σ |c_i|²/μ_i over the coefficients with a ridge."""
    return pen.space.model.sum(abs2(C) * pen.inv_ridge)


def _conjugates(pen: Any, C: Array, scales: np.ndarray) -> np.ndarray:
    r"""Σ_i h_i^*(s c_i) for each row s of ``scales`` (its finite part): ``(K, columns)``."""
    space, xp = pen.space, pen.space.xp
    lam, ridge, inv = pen.lam, pen.ridge, pen.inv_ridge
    if pen.kind is None:
        lam = 0.0
    blocks = []
    for s in scales:
        Z = C * space.columns(s, pen.real)
        if Z.dtype.kind == "c":  # no bounds: (|z| - λ)₊²/(2μ)
            h = 0.5 * inv * xp.maximum(xp.abs(Z) - lam, 0) ** 2
        else:
            lo = -np.inf if pen.lower is None else pen.lower
            hi = np.inf if pen.upper is None else pen.upper
            xhat = xp.clip((Z - xp.clip(Z, -lam, lam)) * inv, lo, hi)
            h = Z * xhat - lam * xp.abs(xhat) - 0.5 * ridge * xhat * xhat
            if pen.lower is not None and not pen.cone:
                # μ = 0 with finite bounds: the best of the finite ends and clip(0, l, u)
                flat = xp.broadcast_to(inv == 0, h.shape)
                for end in (pen.lower, pen.upper):
                    finite = xp.isfinite(end)
                    safe = xp.where(finite, end, 0)
                    at_end = xp.where(finite, Z * safe - lam * xp.abs(safe), -np.inf)
                    h = xp.where(flat, xp.maximum(h, at_end), h)
        blocks.append(h)
    total = space.model.sum(xp.concatenate(blocks, axis=1))
    return total.reshape(len(blocks), -1)


def _group_conjugates(pen: Any, nu: Array, scales: np.ndarray) -> np.ndarray:
    xp = pen.space.xp
    out = []
    for s in scales:
        excess = xp.maximum(nu * xp.asarray(s.reshape(1, -1).astype(pen.real)) - pen.lam, 0)
        out.append(host((0.5 * pen.inv_ridge * excess * excess).sum(axis=0)))
    return np.stack(out)


# ---------------------------------------------------------------------------- helpers
def _as_array(xp: Any, value: Any, real: Any) -> Array:
    return xp.asarray(value, dtype=real).reshape(-1, 1) if np.ndim(value) == 0 else value


def _where_positive(xp: Any, value: Any, real: Any) -> Any:
    """1/value where value > 0, else 0 (a float stays a float)."""
    if isinstance(value, float):
        return 1.0 / value if value > 0 else 0.0
    return xp.where(value > 0, 1 / xp.where(value > 0, value, 1), 0).astype(real)


def _zeros_like_weights(xp: Any, pen: Any) -> Array:
    return xp.zeros((1, 1), dtype=pen.real)


def _any(space: Any, mask: Array) -> bool:
    """Whether ``mask`` holds anywhere, on every process (a collective verdict)."""
    return space.agree(bool(space.xp.any(mask)))
