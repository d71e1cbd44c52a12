r"""Binding a penalty to one problem: :func:`bind_parts` builds its :class:`BoundPenalty`.

From a user-facing :class:`~sparseinv.Penalty` and the shape, device, dtype and
rows of a problem: λ of each part as a block of the real dtype (λ = ∞ split off
as coefficients forced to 0), the groups as a :class:`GroupIndex`, the bounds of
this process's rows rounded inwards to the dtype, and what the dual needs
(:func:`sparseinv.penalties._dual.prepare`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv.backend import Space
from sparseinv.penalties import _dual
from sparseinv.penalties._blocks import BoundPenalty, GroupIndex

__all__ = ["bind_parts"]

Array = Any
Coef = Any  # a float or a block broadcasting against (rows, columns)


def bind_parts(
    penalty: Any,
    space: Space,
    n_features: int,
    n_columns: int,
    *,
    batched: bool,
    dtype: Any,
    rows: slice | None = None,
    layout: Any = None,
) -> BoundPenalty:
    """The :class:`BoundPenalty` of ``penalty`` on an ``(n_features, n_columns)`` problem."""
    from sparseinv.groups import Groups

    xp = space.xp
    dtype = np.dtype(dtype)
    real = np.empty(0, dtype=dtype).real.dtype
    n, k = n_features, n_columns
    if penalty.couples_columns and batched and k > 1:
        raise ValueError(
            f"{penalty!r} couples the columns of b (one problem): bind penalty.vectorized(n, k) "
            "to vec(X), as the solvers do"
        )
    sparse, ridge_part, bounds = penalty.parts()
    kind = None if sparse is None else sparse.name
    n_local = n if rows is None else rows.stop - rows.start
    opts = {"batched": batched, "real": real, "rows": rows, "layout": layout}
    groups = None
    lam: Coef = 0.0
    fixed_parts = []
    if kind in ("l0", "l1"):
        lam = sparse.local_coef(space, n, k, **opts)
    elif kind == "l21":
        grp = sparse.groups if sparse.groups is not None else Groups.from_sizes(np.ones(n, int))
        membership = grp.membership if rows is None else grp.membership[rows]
        groups = GroupIndex(membership, grp.n_groups, xp, real)
        host = sparse.group_lam(grp.n_groups, k, batched=batched)
        lam = host if isinstance(host, float) else xp.asarray(host, dtype=real)
    lam, fixed_sparse = _split_infinite(xp, lam)
    if fixed_sparse is not None:
        fixed_parts.append(fixed_sparse if groups is None else groups.expand(fixed_sparse))
    ridge: Coef = 0.0
    ridge_group: Coef = 0.0
    if ridge_part is not None:
        ridge = ridge_part.local_coef(space, n, k, **opts)
        ridge, fixed_ridge = _split_infinite(xp, ridge)
        if fixed_ridge is not None:
            fixed_parts.append(fixed_ridge)
        if kind == "l21":
            ridge_group, _ = _split_infinite(
                xp, _group_level(ridge_part, grp, k, batched, xp, real)
            )
    fixed = None
    for part in fixed_parts:
        part = xp.broadcast_to(part, (n_local, part.shape[1]))
        fixed = part if fixed is None else fixed | part
    complex_ = dtype.kind == "c"
    if bounds is not None and complex_:
        raise TypeError(
            f"bounds need real coefficients; got {penalty!r} with complex data (dtype {dtype})"
        )
    lower = upper = None
    if bounds is not None:
        lower, upper = _local_box(xp, bounds, rows, real)
    if fixed is not None and not space.agree(bool(xp.any(fixed))):
        fixed = None  # no λ = inf anywhere: nothing is forced
    if fixed is not None and not complex_:
        if lower is not None:
            excluded = fixed & ((lower > 0) | (upper < 0))
            if space.agree(bool(xp.any(excluded))):
                raise ValueError(
                    f"lam is inf (forcing 0) where the bounds exclude 0 in {penalty!r}: "
                    "no coefficient is feasible there"
                )
        zero = xp.asarray(0.0, dtype=real)
        base_lo = -np.inf if lower is None else lower
        base_hi = np.inf if upper is None else upper
        lower = xp.where(fixed, zero, xp.asarray(base_lo, dtype=real))
        upper = xp.where(fixed, zero, xp.asarray(base_hi, dtype=real))
    zero_ok = None if lower is None else (lower <= 0) & (upper >= 0)
    cone = lower is not None and _sign_bounds(xp, lower, upper, space)
    pen = BoundPenalty(
        penalty=penalty,
        space=space,
        kind=kind,
        lam=lam,
        ridge=ridge,
        ridge_group=ridge_group,
        lower=lower,
        upper=upper,
        fixed=fixed,
        groups=groups,
        user_box=bounds is not None,
        cone=cone,
        zero_ok=zero_ok,
        real=real,
        row_offset=0 if rows is None else int(rows.start),
        n_global=n,
    )
    _dual.prepare(pen, n_local, k)
    return pen


def _split_infinite(xp: Any, coef: Coef) -> tuple[Coef, Array | None]:
    """λ with 0 where it is ∞, and the mask of those coefficients.

    The mask is None only for a finite float λ, the same on every process, so that
    every process takes the same branches (and collective calls) afterwards.
    """
    if isinstance(coef, float):
        if coef == np.inf:
            return 0.0, xp.ones((1, 1), dtype=bool)
        return coef, None
    inf = xp.isinf(coef)
    return xp.where(inf, 0, coef), inf


def _group_level(ridge: Any, grp: Any, k: int, batched: bool, xp: Any, real: Any) -> Coef:
    """The L2 part's λ on each group of an L21 part (it is constant on each group)."""
    coef = ridge.lam_block(grp.n_features, k, batched=batched)
    if isinstance(coef, float):
        return coef
    if coef.shape[0] > 1:
        coef = coef[grp.indices[grp.offsets[:-1]]]  # the first coefficient of each group
    return xp.asarray(coef, dtype=real)


def _local_box(xp: Any, bounds: Any, rows: slice | None, real: Any) -> tuple[Array, Array]:
    """This process's ``(rows, 1)`` bounds in the dtype of the solve, rounded inwards.

    A float32 solve rounds a bound to the nearest float32, which may lie outside
    the box (float32(-0.3) < -0.3): the result would then break the bounds the
    user gave. Each bound is moved to the nearest value of the dtype inside the
    box, except where that empties an interval (l = u between two float32s).
    """
    lower, upper = (
        np.asarray(side if isinstance(side, float) or rows is None else side[rows], float)
        for side in bounds
    )
    lower, upper = lower.reshape(-1, 1), upper.reshape(-1, 1)
    lo, hi = lower.astype(real), upper.astype(real)
    inf = np.asarray(np.inf, dtype=real)
    lo_in = np.where(lo < lower, np.nextafter(lo, inf), lo)
    hi_in = np.where(hi > upper, np.nextafter(hi, -inf), hi)
    empty = lo_in > hi_in
    lo, hi = np.where(empty, lo, lo_in), np.where(empty, hi, hi_in)
    return xp.asarray(lo, dtype=real), xp.asarray(hi, dtype=real)


def _sign_bounds(xp: Any, lower: Array, upper: Array, space: Space) -> bool:
    """Whether every bound is 0 or infinite with 0 inside: the box is a cone."""
    ok = ((lower == 0) | (lower == -np.inf)) & ((upper == 0) | (upper == np.inf))
    return not space.agree(not bool(xp.all(ok)))
