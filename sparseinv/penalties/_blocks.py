r"""Penalties on ``(rows, columns)`` blocks: what the solver loops call.

:class:`BoundPenalty` is a user-facing :class:`~sparseinv.Penalty` bound to one
problem (by :func:`~sparseinv.penalties._binding.bind_parts`): the λ of its sparse
part (L0, L1 or L21) and of its ridge part (L2) as blocks on the problem's device
and real dtype, its bounds (with the coefficients of λ = ∞ folded in as the box
:math:`[0, 0]`), its groups (:class:`GroupIndex`, whose sums go through the model's
reducer so that a group may cross MPI ranks) and what its dual needs
(:mod:`sparseinv.penalties._dual`). It holds the value, prox, IRLS weights,
optimality measures and dual value on those blocks.

Every method takes and returns blocks; a float λ stays a float (no broadcast
array), and every array made here has the real or complex dtype of the iterates,
so a float32 solve stays float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from sparseinv.backend import host
from sparseinv.penalties import _dual
from sparseinv.penalties._arrays import abs2, soft

__all__ = ["BoundPenalty", "GroupIndex"]

Array = Any
Coef = Any  # a float or a block broadcasting against (rows, columns)


class GroupIndex:
    """The groups of the rows a process holds: sums per group and expansion back to rows.

    Parameters
    ----------
    membership : ndarray of int
        The (global) group of each local row.
    n_groups : int
        G, the number of groups of the whole model.
    xp : module
        numpy or cupy.
    dtype : dtype
        Real dtype of the sums.
    """

    __slots__ = ("_matrix", "membership", "n_groups", "xp")

    def __init__(self, membership: np.ndarray, n_groups: int, xp: Any, dtype: Any) -> None:
        n_local = int(membership.size)
        self.n_groups = int(n_groups)
        self.xp = xp
        self.membership = xp.asarray(membership)
        shape = (self.n_groups, n_local)
        if xp is np:
            self._matrix = sp.csr_matrix(
                (np.ones(n_local, dtype=dtype), (membership, np.arange(n_local))), shape=shape
            )
        else:  # cupy: the same indicator matrix on the device
            import cupyx.scipy.sparse as csp

            self._matrix = csp.csr_matrix(
                (xp.ones(n_local, dtype=dtype), (xp.asarray(membership), xp.arange(n_local))),
                shape=shape,
            )

    def local_sum(self, values: Array) -> Array:
        """Sums of a real ``(rows, columns)`` block over the local rows of each group."""
        return self.xp.asarray(self._matrix @ values)

    def expand(self, group_values: Coef) -> Coef:
        """One row per coefficient from one row per group (a float stays a float)."""
        if isinstance(group_values, float) or group_values.shape[0] == 1:
            return group_values
        return group_values[self.membership]


class BoundPenalty:
    """A penalty on one problem: λ blocks, bounds, groups, array module and reductions.

    Built by :meth:`sparseinv.Penalty.bind`; the solver loops call it on
    ``(rows, columns)`` blocks. :meth:`take` restricts it to some of the columns.

    Attributes
    ----------
    penalty : Penalty
        The user's penalty.
    kind : {"l0", "l1", "l21", None}
        The sparse part (None: a ridge alone).
    lam : float or array
        λ of the sparse part (per coefficient; per group for L21), 0 where λ = ∞.
    ridge : float or array
        λ of the L2 part (0.0 without one), 0 where λ = ∞.
    lower, upper : float, array or None
        The box, with the coefficients of λ = ∞ at [0, 0] (real coefficients).
    fixed : array or None
        The coefficients forced to 0 (λ = ∞ in some part).
    unpenalized : array or None
        ``(rows, 1)`` mask of the free unpenalized coefficients (λ = 0 in every part,
        no bound), whose dual constraint :math:`a_i^H\\theta = 0` the solver enforces.
    has_dual : bool
        Whether the duality gap is available (not for L0, L21 with general bounds,
        unpenalized coefficients with a one-sided bound, or an unpenalized set that
        varies with the column).
    """

    __slots__ = (
        "cone",
        "constraint",
        "finite_conjugate",
        "fixed",
        "groups",
        "has_dual",
        "inv_ridge",
        "kind",
        "lam",
        "lower",
        "n_global",
        "penalty",
        "real",
        "ridge",
        "ridge_group",
        "row_offset",
        "space",
        "symmetric",
        "unpenalized",
        "upper",
        "user_box",
        "zero_ok",
    )

    def __init__(self, **fields: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))

    def _replace(self, **changes: Any) -> BoundPenalty:
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return BoundPenalty(**fields)

    # ------------------------------------------------------------------ description
    @property
    def name(self) -> str:
        return self.penalty.name

    @property
    def convex(self) -> bool:
        return self.penalty.convex

    @property
    def coef(self) -> Coef:
        """λ of the sparse part, or of the ridge for an L2 penalty."""
        return self.ridge if self.kind is None else self.lam

    @property
    def has_box(self) -> bool:
        return self.lower is not None

    @property
    def quadratic(self) -> bool:
        """Whether the penalty is a strictly convex quadratic (L2 with every λ > 0, no box)."""
        if self.kind is not None or self.lower is not None or self.fixed is not None:
            return False
        ridge = self.ridge
        if isinstance(ridge, float):
            return ridge > 0
        return bool(-self.space.model.max(-ridge.reshape(-1, 1))[0] > 0)

    @property
    def free_mask(self) -> Array | None:
        """Where the coefficients are not forced to 0, or None when none is."""
        return None if self.fixed is None else ~self.fixed

    def take(self, columns: Any) -> BoundPenalty:
        """The same penalty on the columns at positions ``columns``."""
        changes = {}
        for name in (
            "lam",
            "ridge",
            "ridge_group",
            "inv_ridge",
            "lower",
            "upper",
            "fixed",
            "zero_ok",
            "constraint",
        ):
            value = getattr(self, name)
            if hasattr(value, "shape") and value.ndim == 2 and value.shape[1] > 1:
                changes[name] = value[:, columns]
        return self._replace(**changes) if changes else self

    def rescaled(self, scale: np.ndarray) -> BoundPenalty:
        r"""The penalty of the variable x/s when the data are divided by s (per column).

        With b/s and x/s the data term is divided by s², so a part of degree d has
        its λ multiplied by :math:`s^{d - 2}` (L1, L21: 1/s; L0: 1/s²; L2: 1), and
        the bounds are divided by s.
        """
        scale = np.asarray(scale, dtype=float)
        if np.all(scale == 1.0):
            return self
        xp = self.space.xp
        degree = {"l0": 0, "l1": 1, "l21": 1}.get(self.kind)
        changes: dict[str, Any] = {}
        if degree is not None:
            changes["lam"] = self.lam * _column(xp, scale ** float(degree - 2), self.real)
        if self.lower is not None:
            inv = _column(xp, 1.0 / scale, self.real)
            changes["lower"] = self.lower * inv
            changes["upper"] = self.upper * inv
        return self._replace(**changes)

    def feasible(self, X: Array) -> Array:
        """``X`` projected onto the bounds (and 0 where λ = ∞): a solver's start."""
        xp = self.space.xp
        if self.lower is not None:
            return xp.clip(X, self.lower, self.upper)
        if self.fixed is not None:
            return xp.where(self.fixed, 0, X)
        return X

    def _const(self, value: float) -> Array:
        """A 0-d array of the real dtype (a Python float would promote a bool mask)."""
        return self.space.xp.asarray(value, dtype=self.real)

    # ------------------------------------------------------------------ value
    def value(self, x: Array) -> np.ndarray:
        """Per-column penalty of a block (``inf`` where a column leaves the bounds)."""
        space, xp, kind, lam = self.space, self.space.xp, self.kind, self.lam
        model = space.model
        out = np.zeros(x.shape[1])
        terms = None
        if kind == "l1":
            mag = xp.abs(x)
            if isinstance(lam, float):
                out = lam * model.sum(mag)
            else:
                terms = lam * mag
        elif kind == "l0":
            nz = x != 0
            if isinstance(lam, float):
                out = lam * model.count(nz)
            else:
                terms = xp.where(nz, lam, 0)
        elif kind == "l21":
            norms = xp.sqrt(model.group_sum(abs2(x), self.groups))
            out = (
                host((lam * norms).sum(axis=0))
                if not isinstance(lam, float)
                else (lam * host(norms.sum(axis=0)))
            )
        ridge = self.ridge
        if not (isinstance(ridge, float) and ridge == 0.0):
            if isinstance(ridge, float) and terms is None:
                out = out + 0.5 * ridge * model.sq_norm(x)
            else:
                quad = 0.5 * ridge * abs2(x)
                terms = quad if terms is None else terms + quad
        if terms is not None:
            out = out + model.sum(terms)
        if self.lower is not None:
            outside = model.count((x < self.lower) | (x > self.upper))
            out = np.where(outside > 0, np.inf, out)
        elif self.fixed is not None:
            out = np.where(model.count(self.fixed & (x != 0)) > 0, np.inf, out)
        return out

    # ------------------------------------------------------------------ prox
    def prox(self, v: Array, step: Any) -> Array:
        """Prox of ``step`` times the penalty and the bounds on a block (exact)."""
        xp, kind = self.space.xp, self.kind
        x, t = v, step
        ridge = self.ridge
        with_ridge = not (isinstance(ridge, float) and ridge == 0.0)
        if with_ridge:
            # prox of t(h + c/2|x|²) at v: prox of t/(1 + tc)·h at v/(1 + tc)
            shrink = 1.0 + t * ridge
            x = v / shrink
            t = t / shrink
        if kind == "l1":
            x = soft(x, t * self.lam, xp)
        elif kind == "l0":
            return self._hard(x, t * self.lam)
        elif kind == "l21":
            t_group = step / (1.0 + step * self.ridge_group) if with_ridge else step
            return self._group_prox(x, t_group * self.lam)
        if self.lower is not None:
            return xp.clip(x, self.lower, self.upper)
        if self.fixed is not None:
            return xp.where(self.fixed, 0, x)
        return x

    def _hard(self, x: Array, thresh: Coef) -> Array:
        """Hard threshold at √(2t) λ, or the better of clip(x) and 0 within the bounds."""
        xp = self.space.xp
        if self.lower is None:
            out = xp.where(abs2(x) > 2.0 * thresh, x, 0)
            return out if self.fixed is None else xp.where(self.fixed, 0, out)
        clipped = xp.clip(x, self.lower, self.upper)
        cost = 0.5 * abs2(clipped - x) + (clipped != 0).astype(self.real) * thresh
        drop = self.zero_ok & ~(cost < 0.5 * abs2(x))  # ties go to 0, as without bounds
        return xp.where(drop, 0, clipped)

    def _group_prox(self, x: Array, thresh: Coef) -> Array:
        xp = self.space.xp
        if self.lower is None:
            if self.fixed is not None:
                x = xp.where(self.fixed, 0, x)
            return self._block_soft(x, thresh)
        if self.cone:  # prox of λ‖·‖ + ι_K, K a cone of signs: block soft of the projection
            return self._block_soft(xp.clip(x, self.lower, self.upper), thresh)
        return self._group_box(x, thresh)

    def _block_soft(self, x: Array, thresh: Coef) -> Array:
        xp = self.space.xp
        norms = xp.sqrt(self.space.model.group_sum(abs2(x), self.groups))
        # 1 − t/‖v_g‖ only where ‖v_g‖ > t (no overflow of t/‖v_g‖ for ‖v_g‖ ≈ 0)
        above = norms > thresh
        factor = xp.where(above, 1 - thresh / xp.where(above, norms, 1), 0)
        return x * self.groups.expand(factor)

    def _group_box(self, v: Array, thresh: Coef) -> Array:
        r"""Prox of :math:`t\lambda_g\|x_g\| + \iota_{[l,u]}`: bisection on the scale σ.

        The optimality condition gives :math:`x = \operatorname{clip}(\sigma v, l, u)`
        with :math:`\sigma = \tau/(\tau + t\lambda)`, :math:`\tau = \|x_g\|`: σ is the
        root in (0, 1] of :math:`(1 - \sigma)\|\operatorname{clip}(\sigma v)\| - t\lambda\sigma`,
        positive before it and negative after. x = 0 where 0 is feasible and the
        projection of v on the tangent cone at 0 has norm at most tλ.
        """
        xp, model, groups = self.space.xp, self.space.model, self.groups
        lower, upper = self.lower, self.upper
        inf = self._const(np.inf)
        tangent = xp.clip(v, xp.where(lower < 0, -inf, 0), xp.where(upper > 0, inf, 0))
        infeasible_zero = model.group_sum(
            (~self.zero_ok).astype(self.real) * xp.ones_like(tangent), groups
        )
        lengths = xp.sqrt(model.group_sum(abs2(tangent), groups))
        zero = (infeasible_zero == 0) & (lengths <= thresh)
        shape = lengths.shape
        low = xp.zeros(shape, dtype=self.real)
        high = xp.ones(shape, dtype=self.real)
        for _ in range(np.finfo(self.real).nmant + 2):
            mid = 0.5 * (low + high)
            trial = xp.clip(groups.expand(mid) * v, lower, upper)
            size = xp.sqrt(model.group_sum(abs2(trial), groups))
            above = (1 - mid) * size - thresh * mid > 0
            low = xp.where(above, mid, low)
            high = xp.where(above, high, mid)
        sigma = xp.where(zero, 0, 0.5 * (low + high))
        return xp.clip(groups.expand(sigma) * v, lower, upper)

    # ------------------------------------------------------------------ IRLS
    def irls_weights(self, x: Array, eps: Any) -> Array:
        """IRLS weights of a block: the sparse part's plus the ridge's λ (0 where λ = ∞)."""
        xp, kind, lam = self.space.xp, self.kind, self.lam
        if kind == "l1":
            out = lam / xp.sqrt(abs2(x) + eps * eps)
        elif kind == "l0":
            out = lam / (2.0 * (abs2(x) + eps * eps))
        elif kind == "l21":
            sq = self.space.model.group_sum(abs2(x), self.groups)
            out = self.groups.expand(lam / xp.sqrt(sq + eps * eps))
            out = xp.broadcast_to(out, x.shape)
        else:
            out = None
        ridge = self.ridge
        if out is None:
            real = abs2(x[:1]).dtype
            return xp.broadcast_to(xp.asarray(ridge, dtype=real), x.shape)
        if not (isinstance(ridge, float) and ridge == 0.0):
            out = out + ridge
        return out

    # ------------------------------------------------------------------ optimality
    def subdiff_distance(self, x: Array, grad: Array) -> Array:
        """Elementwise distance of ``-grad`` to the subdifferential (bounds' normal cone in)."""
        xp, kind, lam = self.space.xp, self.kind, self.lam
        g = grad + self.ridge * x if not _is_zero(self.ridge) else grad
        if kind == "l21":
            return self._group_distance(x, g)
        if x.dtype.kind == "c" or self.lower is None:
            if kind == "l1":
                mag = xp.abs(x)
                tiny = np.finfo(mag.dtype).tiny
                on = xp.abs(g + lam * x / xp.maximum(mag, tiny))
                out = xp.where(mag > 0, on, xp.maximum(xp.abs(g) - lam, 0))
            elif kind == "l0":
                out = xp.where(x != 0, xp.abs(g), 0)
            else:
                out = xp.abs(g)
            return out if self.fixed is None else xp.where(self.fixed, 0, out)
        # real with bounds: the subdifferential is an interval [lo, hi] per coefficient
        w = -g
        inf = self._const(np.inf)
        if kind == "l1":
            lam_c = xp.broadcast_to(xp.asarray(lam, dtype=self.real), x.shape)
            lo = xp.where(x > 0, lam_c, -lam_c)
            hi = xp.where(x < 0, -lam_c, lam_c)
        elif kind == "l0":
            lo = xp.where(x != 0, 0, -inf)
            hi = xp.where(x != 0, 0, inf)
        else:
            lo = xp.zeros(x.shape, dtype=self.real)
            hi = xp.zeros(x.shape, dtype=self.real)
        lo = xp.where(x <= self.lower, -inf, lo)  # normal cone at the lower bound
        hi = xp.where(x >= self.upper, inf, hi)
        out = xp.maximum(xp.maximum(lo - w, w - hi), 0)
        return xp.where((x < self.lower) | (x > self.upper), inf, out)

    def _group_distance(self, x: Array, g: Array) -> Array:
        xp, model, groups = self.space.xp, self.space.model, self.groups
        norms = xp.sqrt(model.group_sum(abs2(x), groups))
        tiny = np.finfo(norms.dtype).tiny
        unit = x / groups.expand(xp.maximum(norms, tiny))
        at_zero = groups.expand(norms) == 0
        lam = self.groups.expand(self.lam)
        w = -(g + lam * unit)  # what the normal cone must absorb where x_g ≠ 0
        if self.lower is not None:
            inf = self._const(np.inf)
            lo = xp.where(x <= self.lower, -inf, 0)
            hi = xp.where(x >= self.upper, inf, 0)
            on = xp.maximum(xp.maximum(lo - w, w - hi), 0)
            # at x_g = 0: distance (‖Π_T(-g)‖ - λ)₊, T the tangent cone of the box at 0
            tangent = xp.clip(
                -g, xp.where(self.lower < 0, -inf, 0), xp.where(self.upper > 0, inf, 0)
            )
        else:
            on = xp.abs(w)
            tangent = -g
        length = xp.sqrt(model.group_sum(abs2(tangent), groups))
        excess = xp.maximum(length - self.lam, 0) / xp.maximum(length, tiny)
        off = xp.abs(tangent) * groups.expand(excess)
        out = xp.where(at_zero, off, on)
        if self.fixed is not None and self.lower is None:
            out = xp.where(self.fixed, 0, out)
        return out

    def restricted_quadratic(self, x: Array) -> tuple[Array, Any, Any] | None:
        """The penalty on the free set of a block as a quadratic (free, grad, hess), or None."""
        xp, kind = self.space.xp, self.kind
        if kind == "l21" or (kind == "l1" and x.dtype.kind == "c"):
            return None
        free = (x != 0) if kind in ("l0", "l1") else xp.ones(x.shape, dtype=bool)
        if self.lower is not None:  # a coefficient at a bound leaves the free set
            free = free & (x > self.lower) & (x < self.upper)
        elif self.fixed is not None:
            free = free & ~self.fixed
        grad: Any = self.lam * xp.sign(x) if kind == "l1" else 0.0
        hess = self.ridge
        if not _is_zero(hess):
            grad = grad + hess * x
        return free, grad, hess

    def free_limits(self, x: Array) -> tuple[Array, Array] | None:
        """Per coefficient, the interval where the restricted quadratic holds, or None.

        L1 keeps the sign of each free coefficient (a crossing of 0 changes the
        quadratic), and the bounds hold everywhere: a refinement stops a coefficient
        where it reaches a limit and drops it from the free set.
        """
        xp = self.space.xp
        if self.kind == "l1":
            inf, zero = self._const(np.inf), self._const(0.0)
            lo = xp.where(x > 0, zero, -inf)
            hi = xp.where(x < 0, zero, inf)
            if self.lower is not None:
                lo, hi = xp.maximum(lo, self.lower), xp.minimum(hi, self.upper)
            return lo, hi
        if self.lower is not None:
            shape = x.shape
            return (
                xp.broadcast_to(xp.asarray(self.lower, dtype=self.real), shape),
                xp.broadcast_to(xp.asarray(self.upper, dtype=self.real), shape),
            )
        return None

    def dual_value(self, b: Array, residual: Array, gradient: Array) -> np.ndarray | None:
        r"""Per-column dual objective at the best of a few multiples of the residual, or None.

        ``residual`` is :math:`Ay - b` and ``gradient`` :math:`A^H(Ay - b)` (the dual
        point is :math:`\theta = -s\,(Ay - b)`), projected by the solver onto the
        constraints of the unpenalized coefficients when there are any.
        """
        return _dual.dual_value(self, b, residual, gradient)


def _is_zero(value: Any) -> bool:
    return isinstance(value, float) and value == 0.0


def _column(xp: Any, values: np.ndarray, real: Any) -> Array:
    return xp.asarray(np.asarray(values, dtype=real).reshape(1, -1))
