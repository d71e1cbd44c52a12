r"""Penalty sums: :class:`PenaltySum`, a sparse part plus a ridge (``L1(a) + L2(c)``).

Also the checks a sum makes of its parts: the intersection of their bounds and,
for ``L21 + L2``, one ridge λ per group (the condition of a closed-form prox).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv.groups import Groups
from sparseinv.penalties._bounds import Bound, bounds_size
from sparseinv.penalties.base import Parts, Penalty
from sparseinv.penalties.elementwise import L2
from sparseinv.penalties.group import L21

__all__ = ["PenaltySum"]


class PenaltySum(Penalty):
    r"""The sum of a sparse penalty (L0, L1 or L21) and a ridge (L2): ``L1(a) + L2(c)``.

    Built by adding two penalties. ``L1(a) + L2(c)`` is the elastic net
    :math:`\sum_i a_i|x_i| + \tfrac{c_i}2|x_i|^2`; each part keeps its own λ (one
    number, per group, per coefficient or per column) and its bounds, the bounds of
    the sum being their intersection.

    Parameters
    ----------
    first, second : Penalty
        The two parts, in either order.

    Raises
    ------
    ValueError
        For a sum of a penalty with itself (``L1(a) + L1(b)``: give ``L1(a + b)``),
        for sums without closed-form prox (L0 + L1, L1 + L21...), for an L2 part
        whose λ varies inside an L21 group, and for bounds whose intersection is empty.
    TypeError
        For anything but a sparseinv penalty.

    Notes
    -----
    The prox of :math:`t(h + \tfrac{c}2|x|^2)` is that of :math:`h` with the step
    :math:`t/(1 + tc)` at :math:`v/(1 + tc)`, for any h and per coefficient (per
    group for L21, hence the constancy of c in a group): for the elastic net, a soft
    threshold followed by a shrinkage,
    :math:`x = \operatorname{soft}(v, ta)/(1 + tc)`. With bounds, it is clipped to
    them (L1, L2: separable and convex). The conjugate of
    :math:`a|x| + \tfrac c2 x^2` is :math:`(|z| - a)_+^2/(2c)`, so the dual has no
    constraint where c > 0 and the duality gap is the stopping measure. The
    conversion to scikit-learn's ``ElasticNet(alpha, l1_ratio)`` is in
    :mod:`sparseinv.objective` (:func:`~sparseinv.objective.to_sklearn_elastic_net`).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> pen = si.L1(1.0) + si.L2(1.0)
    >>> pen.name, pen.prox(np.array([3.0, -0.5]), 1.0).tolist()
    ('l1+l2', [1.0, 0.0])
    >>> pen.value(np.array([2.0, 0.0]))
    4.0
    """

    __slots__ = ("_parts",)

    def __init__(self, first: Penalty, second: Penalty) -> None:
        for part in (first, second):
            if not isinstance(part, Penalty):
                raise TypeError(
                    f"a penalty sum adds sparseinv penalties; got {type(part).__name__}"
                )
        a, b = first.parts(), second.parts()
        names = [p.name for p in (a.sparse, b.sparse, a.ridge, b.ridge) if p is not None]
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice is not None:
            raise ValueError(
                f"a penalty sum cannot hold {twice.upper()} twice (the sum of a penalty "
                f"with itself): give one {twice.upper()} with the summed λ"
            )
        sparse = a.sparse if a.sparse is not None else b.sparse
        ridge = a.ridge if a.ridge is not None else b.ridge
        if len(names) != 2 or sparse is None or ridge is None or len(set(names)) != 2:
            raise ValueError(
                f"unsupported penalty sum {' + '.join(n.upper() for n in names)}: a sum is one "
                "sparse part (L0, L1 or L21) plus one L2 (other sums have no closed-form prox)"
            )
        self._parts = Parts(sparse, ridge, _intersect(a.bounds, b.bounds))
        self._distributed = None
        self._groups = None
        self._lam = None
        self._coef = None
        self._bounds = self._parts.bounds
        sizes = {s for s in (sparse.n_features, ridge.n_features, bounds_size(self._bounds)) if s}
        if len(sizes) > 1:
            raise ValueError(
                f"the parts of a penalty sum must fit the same coefficients; got {sorted(sizes)}"
            )
        if sparse.name == "l21":
            _check_ridge_constant_in_groups(sparse, ridge)

    @property
    def name(self) -> str:  # type: ignore[override]
        """``"l1+l2"``, ``"l0+l2"`` or ``"l21+l2"``."""
        return f"{self._parts.sparse.name}+l2"

    @property
    def convex(self) -> bool:  # type: ignore[override]
        """Whether the sparse part is convex."""
        return self._parts.sparse.convex

    @property
    def sparse(self) -> Penalty:
        """The sparse part (L0, L1 or L21)."""
        return self._parts.sparse

    @property
    def ridge(self) -> Penalty:
        """The L2 part."""
        return self._parts.ridge

    @property
    def lam(self) -> tuple[Any, Any]:
        """``(λ of the sparse part, λ of the L2 part)``, as given."""
        return self._parts.sparse.lam, self._parts.ridge.lam

    @property
    def groups(self) -> Groups | None:
        """The groups of the sparse part."""
        return self._parts.sparse.groups

    @property
    def coef_lam(self) -> tuple[Any, Any]:
        """``(sparse part, L2 part)`` λ per coefficient."""
        return self._parts.sparse.coef_lam, self._parts.ridge.coef_lam

    @property
    def couples_columns(self) -> bool:
        """Whether the sparse part couples the columns (``L21(rows=True)``)."""
        return self._parts.sparse.couples_columns

    @property
    def n_features(self) -> int | None:
        """Number of coefficients fixed by the parts or the bounds, or None."""
        for size in (
            self._parts.sparse.n_features,
            self._parts.ridge.n_features,
            bounds_size(self._bounds),
        ):
            if size is not None:
                return size
        return None

    def parts(self) -> Parts:
        """The sparse part, the L2 part and the intersection of their bounds.

        Returns
        -------
        Parts
        """
        return self._parts

    def with_lam(self, lam: Any) -> PenaltySum:
        """The same sum with new λs: ``lam = (sparse part's λ, L2 part's λ)``.

        Parameters
        ----------
        lam : tuple
            Two λ, one per part.

        Returns
        -------
        PenaltySum

        Examples
        --------
        >>> import sparseinv as si
        >>> (si.L1(1.0) + si.L2(2.0)).with_lam((0.5, 0.1)).lam
        (0.5, 0.1)
        """
        if not isinstance(lam, tuple) or len(lam) != 2:
            raise TypeError(
                "lam of a penalty sum is a pair (sparse part's λ, L2 part's λ); "
                f"got {type(lam).__name__}"
            )
        return PenaltySum(self._parts.sparse.with_lam(lam[0]), self._parts.ridge.with_lam(lam[1]))

    def check_size(self, n_features: int) -> None:
        """Raise if a part or the bounds do not fit ``n_features`` coefficients.

        Parameters
        ----------
        n_features : int
            Number of columns of the operator.
        """
        self._parts.sparse.check_size(n_features)
        self._parts.ridge.check_size(n_features)
        size = bounds_size(self._bounds)
        if size is not None and size != n_features:
            raise ValueError(
                f"penalty bounds cover {size} coefficients but A has {n_features} columns"
            )

    def vectorized(self, n_features: int, n_columns: int) -> PenaltySum:
        """The rows-coupled sum on ``vec(X)`` (see :meth:`L21.vectorized`).

        Parameters
        ----------
        n_features : int
            n, the rows of the block.
        n_columns : int
            k, its columns.

        Returns
        -------
        PenaltySum
        """
        if not self.couples_columns:
            return self
        self.check_size(n_features)
        return self._vectorized_for(n_features, n_columns)

    def _vectorized_for(self, n: int, k: int) -> PenaltySum:
        sparse, ridge = self._parts.sparse, self._parts.ridge
        coef = ridge.coef_lam
        lam = coef if isinstance(coef, float) else np.tile(np.ravel(coef), k)
        bounds = ridge.bounds
        if bounds is not None:
            bounds = tuple(s if isinstance(s, float) else np.tile(s, k) for s in bounds)
        return PenaltySum(sparse._vectorized_for(n, k), L2(lam, bounds=bounds))

    def __repr__(self) -> str:
        return f"{self._parts.sparse!r} + {self._parts.ridge!r}"


def _intersect(
    a: tuple[Bound, Bound] | None, b: tuple[Bound, Bound] | None
) -> tuple[Bound, Bound] | None:
    """The intersection of two boxes (the sum of their indicators)."""
    if a is None or b is None:
        return a if b is None else b
    lower = np.maximum(a[0], b[0])
    upper = np.minimum(a[1], b[1])
    if np.any(lower > upper):
        first = int(np.flatnonzero(np.atleast_1d(lower > upper))[0])
        raise ValueError(
            "the bounds of the parts of a penalty sum do not intersect (lower > upper "
            f"at coefficient {first})"
        )
    out = []
    for side in (lower, upper):
        if np.ndim(side) == 0:
            out.append(float(side))
        else:
            side = np.array(side, dtype=np.float64)
            side.flags.writeable = False
            out.append(side)
    return out[0], out[1]


def _check_ridge_constant_in_groups(sparse: L21, ridge: Penalty) -> None:
    """An L2 part added to L21 must have one λ per group (per column): a closed-form prox."""
    coef = ridge.coef_lam
    if isinstance(coef, float):
        return
    if sparse.rows:
        if coef.ndim == 2 and coef.shape[1] > 1:
            raise ValueError(
                "the L2 part of L21(rows=True) + L2 must not vary along the columns (one λ "
                "per row): the prox of the sum has no closed form otherwise"
            )
        return
    groups = sparse.groups
    if coef.shape[0] != groups.n_features:
        return  # (1, k): constant over the rows
    ordered = coef[groups.indices]
    starts = groups.offsets[:-1]
    varies = np.maximum.reduceat(ordered, starts, axis=0) != np.minimum.reduceat(
        ordered, starts, axis=0
    )
    varies = varies.reshape(varies.shape[0], -1).any(axis=1)
    if varies.any():
        g = int(np.flatnonzero(varies)[0])
        raise ValueError(
            f"the L2 part of L21 + L2 must have one λ per group of the L21 part; it varies "
            f"inside group {groups.labels[g]!r} (the prox of the sum has no closed form)"
        )
