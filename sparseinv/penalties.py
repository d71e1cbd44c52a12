r"""Penalties: L0, L1, L2, group L21, their sums, and bounds on the coefficients.

Each penalty is a small immutable object. Its λ is a single number, one value per
group of a :class:`~sparseinv.Groups`, or one value per coefficient; with many
right-hand sides (a data block of ``k`` columns) it may also differ per column.
The objective convention (see :mod:`sparseinv.objective`) is

.. math::

    F(x) = \tfrac12\|Ax - b\|_2^2 + \sum_i \lambda_i R(x_i) + \iota_{[l, u]}(x),

with :math:`R(x) = [x \ne 0]` (L0), :math:`|x|` (L1, the modulus for complex
:math:`x`) or :math:`\tfrac12|x|^2` (L2); the group penalty L21 is
:math:`\sum_g \lambda_g \|x_g\|_2`, and ``L1(a) + L2(c)`` is the elastic net. Every
penalty takes ``bounds=(lower, upper)`` (or ``positive=True``), the indicator
:math:`\iota_{[l,u]}` above. λ = 0 leaves a coefficient unpenalized and λ = ∞
forces it to 0, exactly.

Shapes of λ for an operator with ``n`` columns and data with ``k`` columns:

==============  =========================================================
λ               meaning
==============  =========================================================
number          one λ for every coefficient and column
``(n,)``        one per coefficient, the same in every column (even if n == k)
``(G,)``        one per group (with ``groups``), the same in every column
``(1, k)``      one per column (a 2-D data block only)
``(n, k)``      one per coefficient and column
``(G, k)``      one per group and column (with ``groups``)
==============  =========================================================

L21 takes the rows with G groups (never one λ per coefficient). The mathematics
on ``(rows, columns)`` blocks is in :mod:`sparseinv._penalty_blocks`: a solver binds
a penalty to its problem (:meth:`Penalty.bind`), which fixes the λ blocks, the
bounds, the array module and the reductions (:mod:`sparseinv.backend`).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv._bounds import Bound, bounds_size, check_bounds, describe_bounds
from sparseinv._validation import check_flag, check_lam_values, check_positive_number
from sparseinv.backend import Space, array_module
from sparseinv.groups import Groups

__all__ = [
    "L0",
    "L1",
    "L2",
    "L21",
    "PENALTIES",
    "BoundPenalty",
    "Penalty",
    "PenaltySum",
    "penalty_type",
]

Array = Any  # numpy or cupy array
Coef = Any  # a float, or a 2-D array broadcasting against (rows, columns) blocks


class Parts(NamedTuple):
    """What a penalty is made of: a sparse part, a ridge part and the bounds."""

    sparse: Any  # L0, L1 or L21, or None
    ridge: Any  # L2, or None
    bounds: tuple[Bound, Bound] | None


class Penalty(abc.ABC):  # noqa: B024 - abstract as a family: only its subclasses are penalties
    r"""Base class of the penalties :math:`\sum_i \lambda_i R(x_i)`, with optional bounds.

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0 (``inf`` allowed): one number, one value per group (with ``groups``),
        one value per coefficient, or a 2-D array with one column per right-hand
        side (see the table in :mod:`sparseinv.penalties`).
    groups : Groups, optional
        The groups that a per-group ``lam`` refers to.
    bounds : (lower, upper), optional
        Bounds on the coefficients: numbers or arrays of one value per coefficient,
        ``-inf``/``inf`` (or None) for no bound on a side. Real coefficients only.
    positive : bool, default False
        Shorthand for ``bounds=(0, inf)``.

    Notes
    -----
    A λ array whose first dimension equals ``groups.n_groups`` is read as one value
    per group; one whose first dimension equals ``groups.n_features`` as one value
    per coefficient (when both agree, per group). Without ``groups`` a 1-D array is
    one value per coefficient. λ and the bounds are copied on construction; the
    caller's arrays are never modified.

    With bounds the penalty is :math:`\sum_i\lambda_i R(x_i) + \iota_{[l,u]}(x)`: its
    value is ``inf`` outside the box and its prox is the exact prox of the sum (for
    a separable convex R, the soft threshold or shrinkage clipped to the box, since
    a convex function of one variable is minimized on an interval at the projection
    of its unconstrained minimizer). Solvers start from ``x0`` projected onto the box.
    λ_i = ∞ forces :math:`x_i = 0` (the box :math:`[0, 0]`, whatever R), never by
    rescaling a column; λ_i = 0 leaves :math:`x_i` free.

    Two penalties add: ``L1(a) + L2(c)`` is the elastic net (:class:`PenaltySum`).

    Examples
    --------
    The concrete penalties are :class:`L0`, :class:`L1`, :class:`L2` and :class:`L21`:

    >>> import numpy as np
    >>> from sparseinv import L1, Groups, Penalty
    >>> pen = L1([0.5, 2.0], groups=Groups.from_sizes([2, 1]))
    >>> isinstance(pen, Penalty), pen.coef_lam.tolist()
    (True, [0.5, 0.5, 2.0])
    >>> pen.value(np.array([1.0, -1.0, 1.0]))
    3.0
    """

    __slots__ = ("_bounds", "_coef", "_distributed", "_groups", "_lam")

    #: short name used in tables and messages
    name: ClassVar[str] = ""
    #: whether R is convex (drives FISTA's restart rule)
    convex: ClassVar[bool] = True
    #: R(s·x) = s**degree · R(x): how λ follows a rescaling of the data
    degree: ClassVar[int] = 1

    def __init__(
        self,
        lam: float | ArrayLike,
        *,
        groups: Groups | None = None,
        bounds: tuple[Any, Any] | None = None,
        positive: bool = False,
    ) -> None:
        self._distributed = None
        self._bounds = check_bounds(bounds, positive)
        if type(lam).__module__.split(".")[0] == "pylops_mpi":
            # a per-coefficient λ with the layout of a distributed model: each rank keeps
            # its part (checked on every rank, so a bad value raises everywhere)
            from sparseinv.distributed import local_lam

            local, self._distributed = local_lam(lam)
            local.flags.writeable = False
            if groups is not None:
                raise ValueError("lam given as a DistributedArray is per coefficient: no groups")
            self._lam, self._groups, self._coef = self._distributed, None, local
            return
        lam = check_lam_values(lam, "lam")
        if groups is not None and not isinstance(groups, Groups):
            raise TypeError(
                f"groups must be a sparseinv.Groups; got {type(groups).__name__} "
                "(build one with Groups.from_sizes or Groups.from_labels)"
            )
        coef: float | NDArray[np.float64]
        if isinstance(lam, float) or groups is None:
            coef = lam
        elif lam.shape[0] == groups.n_groups:
            coef = lam[groups.membership]  # (G,) or (G, k) -> one row per coefficient
            coef.flags.writeable = False
        elif lam.shape[0] == groups.n_features or (lam.ndim == 2 and lam.shape[0] == 1):
            coef = lam
        else:
            raise ValueError(
                f"lam must hold one value per group ({groups.n_groups}) or per coefficient "
                f"({groups.n_features}); got {lam.shape[0]} values"
            )
        self._lam = lam
        self._groups = groups
        self._coef = coef
        size, own = bounds_size(self._bounds), self.n_features
        if size is not None and own is not None and size != own:
            raise ValueError(
                f"bounds must hold one value per coefficient ({own}, as lam or groups); "
                f"got {size} values"
            )

    # ------------------------------------------------------------------ description
    @property
    def lam(self) -> Any:
        """The λ as given: a float, one value per group or one per coefficient (read-only)."""
        return self._lam

    @property
    def groups(self) -> Groups | None:
        """The groups a per-group λ refers to, or None."""
        return self._groups

    @property
    def coef_lam(self) -> Any:
        """The λ of each coefficient: a float, ``(n,)``, or 2-D for per-column λ (read-only)."""
        return self._coef

    @property
    def bounds(self) -> tuple[Bound, Bound] | None:
        """``(lower, upper)`` (numbers or read-only arrays), or None without bounds."""
        return self._bounds

    @property
    def couples_columns(self) -> bool:
        """Whether the penalty couples the columns of a data block (one problem, not k)."""
        return False

    @property
    def n_features(self) -> int | None:
        """Number of coefficients fixed by λ, the groups or the bounds; None when unfixed."""
        if self._groups is not None:
            return self._groups.n_features
        if self._distributed is not None:
            return int(self._distributed.global_shape[0])
        if isinstance(self._coef, float) or (self._coef.ndim == 2 and self._coef.shape[0] == 1):
            return bounds_size(self._bounds)
        return int(self._coef.shape[0])

    def parts(self) -> Parts:
        """The sparse part, the ridge part and the bounds of this penalty.

        Returns
        -------
        Parts
            ``(sparse, ridge, bounds)``: L0, L1, L21 or None; L2 or None; the box or None.
        """
        return Parts(self, None, self._bounds)

    def with_lam(self, lam: float | ArrayLike) -> Penalty:
        """The same penalty type, groups and bounds with another λ.

        Parameters
        ----------
        lam : float or array_like
            The new λ.

        Returns
        -------
        Penalty

        Examples
        --------
        >>> from sparseinv import L1
        >>> L1(1.0).with_lam(0.5).lam
        0.5
        """
        return type(self)(lam, groups=self._groups, bounds=self._bounds)

    def check_size(self, n_features: int) -> None:
        """Raise if λ, the groups or the bounds do not fit ``n_features`` coefficients.

        Parameters
        ----------
        n_features : int
            Number of columns of the operator.

        Examples
        --------
        >>> from sparseinv import L1
        >>> L1([1.0, 2.0]).check_size(2)
        """
        own = self.n_features
        if own is not None and own != n_features:
            if self._groups is not None:
                what = "groups"
            elif isinstance(self._coef, float) or self._coef.shape[0] == 1:
                what = "bounds"
            else:
                what = "lam"
            raise ValueError(
                f"penalty {what} cover {own} coefficients but A has {n_features} columns"
            )

    def lam_block(self, n_features: int, n_columns: int, *, batched: bool) -> Coef:
        """The λ block of an ``(n_features, n_columns)`` problem: a float or a 2-D array.

        Parameters
        ----------
        n_features : int
            Columns of the operator.
        n_columns : int
            Right-hand sides.
        batched : bool
            Whether the data were given as a 2-D block (only then may λ vary by column).

        Returns
        -------
        float or ndarray
            Shape ``(1, k)``, ``(n, 1)`` or ``(n, k)`` when not a float.

        Raises
        ------
        ValueError
            When λ's shape is none of those allowed (see :mod:`sparseinv.penalties`).

        Examples
        --------
        >>> import numpy as np
        >>> from sparseinv import L1
        >>> L1(np.array([[1.0, 2.0]])).lam_block(3, 2, batched=True).shape
        (1, 2)
        """
        self.check_size(n_features)
        coef = self._coef
        if isinstance(coef, float):
            return coef
        n, k = n_features, n_columns
        if coef.ndim == 1:
            return coef.reshape(n, 1)
        if batched and coef.shape in ((1, k), (n, k)):
            return coef
        grouped = self._groups is not None
        allowed = f"(), ({n},), (1, {k}) or ({n}, {k})" if batched else f"() or ({n},)"
        if grouped:
            G = self._groups.n_groups
            allowed += f", ({G},)" + (f" or ({G}, {k})" if batched else "")
        need = "" if batched else " (a 2-D lam needs a 2-D b)"
        raise ValueError(
            f"lam must have shape {allowed} for A with {n} columns and b with {k} "
            f"column{'s' if k > 1 else ''}{need}; got shape {tuple(self._lam.shape)}"
        )

    def local_coef(
        self,
        space: Space,
        n_features: int,
        n_columns: int,
        *,
        batched: bool,
        real: Any,
        rows: slice | None = None,
        layout: Any = None,
    ) -> Coef:
        """The λ per coefficient as a float or a block on the device (this process's rows).

        Parameters
        ----------
        space : Space
            Array module of the solve.
        n_features, n_columns : int
            Shape of the unknowns.
        batched : bool
            Whether the data were a 2-D block.
        real : dtype
            The real dtype of the iterates.
        rows : slice, optional
            The coefficients this process holds.
        layout : object, optional
            The layout a ``DistributedArray`` λ must have.

        Returns
        -------
        float or array
        """
        if self._distributed is not None:
            if layout is None:
                raise ValueError(
                    "lam is a DistributedArray: it needs a pylops-mpi operator and data"
                )
            from sparseinv.distributed import check_lam_layout

            check_lam_layout(self._distributed, layout)
            return space.xp.asarray(self._coef.reshape(-1, 1), dtype=real)
        coef = self.lam_block(n_features, n_columns, batched=batched)
        if isinstance(coef, float):
            return coef
        if rows is not None and coef.shape[0] > 1:
            coef = coef[rows]
        return space.xp.asarray(coef, dtype=real)

    def bind(
        self,
        space: Space,
        n_features: int,
        n_columns: int,
        *,
        batched: bool,
        dtype: Any,
        rows: slice | None = None,
        layout: Any = None,
    ) -> BoundPenalty:
        """This penalty on one problem: λ and the bounds as blocks on its device and dtype.

        Parameters
        ----------
        space : Space
            Array module and reductions of the solve.
        n_features, n_columns : int
            Shape ``(n, k)`` of the unknowns.
        batched : bool
            Whether the data were given as a 2-D block.
        dtype : dtype
            dtype of the iterates; λ and the bounds take its real counterpart, so a
            float32 solve stays float32.
        rows : slice, optional
            The coefficients this process holds (a model split over MPI ranks).
        layout : object, optional
            The layout of a distributed model, which a ``DistributedArray`` λ must have.

        Returns
        -------
        BoundPenalty

        Raises
        ------
        ValueError, TypeError
            When λ, the groups or the bounds do not fit the problem (bounds on complex
            coefficients, λ = inf where the bounds exclude 0...).
        """
        self.check_size(n_features)
        return bind_parts(
            self,
            space,
            n_features,
            n_columns,
            batched=batched,
            dtype=dtype,
            rows=rows,
            layout=layout,
        )

    def _local(self, x: Array) -> BoundPenalty:
        """Bound to the shape of a user's array (1-D: one column; 2-D: a batch)."""
        if x.ndim not in (1, 2):
            raise ValueError(f"x must be a 1-D or 2-D array; got shape {tuple(x.shape)}")
        xp = array_module(x)
        batched = x.ndim == 2
        n, k = x.shape if batched else (x.shape[0], 1)
        own = self.n_features
        if own is not None and own != n:
            raise ValueError(
                f"x must have {own} rows to match the penalty's lam, groups or bounds; "
                f"got shape {tuple(x.shape)}"
            )
        dtype = x.dtype if x.dtype.kind in "fc" else np.dtype(np.float64)
        return self.bind(Space(xp), n, k, batched=batched, dtype=dtype)

    def __repr__(self) -> str:
        lam = self._lam
        text = repr(lam) if isinstance(lam, float) else f"<{lam.size} values>"
        grp = "" if self._groups is None else f", groups={self._groups!r}"
        return f"{type(self).__name__}({text}{grp}{describe_bounds(self._bounds)})"

    def __add__(self, other: Any) -> PenaltySum:
        if not isinstance(other, Penalty):
            return NotImplemented
        return PenaltySum(self, other)

    # ------------------------------------------------------------------ user-facing mathematics
    def value(self, x: Array) -> float | NDArray[np.float64]:
        r"""The penalty :math:`\sum_i \lambda_i R(x_i)` at ``x`` (``inf`` outside the bounds).

        Parameters
        ----------
        x : ndarray
            Coefficients, real or complex: ``(n,)``, or ``(n, k)`` for one value per column.

        Returns
        -------
        float or ndarray
            A float for 1-D ``x``, else one value per column.
        """
        x = _as_array(x)
        if self.couples_columns and x.ndim == 2 and x.shape[1] > 1:
            # one problem: one value, that of vec(Xᵀ) with one group per row
            return self._vectorized_for(*x.shape).value(x.T.reshape(-1))
        out = self._local(x).value(_as_block(x))
        return float(out[0]) if x.ndim == 1 else out

    def prox(self, v: Array, step: float) -> Array:
        r"""Proximal operator of ``step`` times the penalty (bounds included).

        :math:`\operatorname{prox}(v) = \arg\min_x \tfrac12\|x - v\|^2 + \text{step}\sum_i
        \lambda_i R(x_i) + \iota_{[l,u]}(x)`, complex-safe (the phase of ``v`` is kept).

        Parameters
        ----------
        v : ndarray
            Point to evaluate, real or complex, ``(n,)`` or ``(n, k)``.
        step : float
            Step size > 0.

        Returns
        -------
        ndarray
            A new array of the shape and dtype of ``v``; ``v`` is not modified.
        """
        step = check_positive_number(step, "step")
        v = _as_array(v)
        if self.couples_columns and v.ndim == 2 and v.shape[1] > 1:
            n, k = v.shape
            return self._vectorized_for(n, k).prox(v.T.reshape(-1), step).reshape(k, n).T.copy()
        return self._local(v).prox(_as_block(v), step).reshape(v.shape)

    def _vectorized_for(self, n: int, k: int) -> Penalty:
        """The penalty of vec(Xᵀ) for an ``(n, k)`` X (penalties that couple the columns)."""
        raise NotImplementedError(f"{type(self).__name__} does not couple the columns")

    def irls_weights(self, x: Array, eps: float) -> Array:
        r"""Diagonal :math:`d` of the IRLS system :math:`(A^HA + \mathrm{diag}(d))x = A^Hb`.

        Parameters
        ----------
        x : ndarray
            Current iterate.
        eps : float
            Smoothing parameter ε > 0 of the surrogate.

        Returns
        -------
        ndarray
            :math:`d_i = \lambda_i w_i(x_i)`, real and non-negative (0 where λ = inf:
            those coefficients are held at 0 by the solver, not by a weight).
        """
        x = _as_array(x)
        return self._local(x).irls_weights(_as_block(x), eps).reshape(x.shape)

    def subdiff_distance(self, x: Array, grad: Array) -> Array:
        r"""Per-coefficient distance of :math:`-\nabla f(x)` to :math:`\partial(\lambda_i R)(x_i)`.

        Parameters
        ----------
        x : ndarray
            Coefficients.
        grad : ndarray
            Gradient of the data term at ``x``, :math:`A^H(Ax - b)`.

        Returns
        -------
        ndarray
            Zero everywhere exactly at a stationary point (for L0: where the
            non-zero coefficients are stationary; zero coefficients always pass).
            The subdifferential includes the normal cone of the bounds; for L21 the
            entries of a group have the group's distance as their Euclidean norm.
        """
        x = _as_array(x)
        bound = self._local(x)
        return bound.subdiff_distance(_as_block(x), _as_block(_as_array(grad))).reshape(x.shape)

    def restricted_quadratic(self, x: Array) -> tuple[Array, Array, Array] | None:
        r"""The penalty near ``x``, on its free set, as a quadratic; None if it is not one.

        Where the support (and, for L1, the signs) of ``x`` is kept fixed, L0, L2
        and real L1 are quadratic in the free coefficients. Solvers use this to
        refine an iterate by conjugate gradients once its support has settled.
        Coefficients at a bound are not free.

        Parameters
        ----------
        x : ndarray
            Current iterate.

        Returns
        -------
        (free, grad, hess) or None
            Boolean mask of the free coefficients, the gradient of the penalty at
            ``x`` on them and its (diagonal) Hessian; None for complex L1 and for
            L21, which are not quadratic on the support.
        """
        x = _as_array(x)
        quad = self._local(x).restricted_quadratic(_as_block(x))
        if quad is None:
            return None
        xp = array_module(x)
        return tuple(xp.broadcast_to(part, _as_block(x).shape).reshape(x.shape) for part in quad)

    def dual_value(self, b: Array, residual: Array, correlation: Array) -> float | None:
        r"""Dual objective at the best rescaling of a residual, or None.

        The dual of :math:`\min_x \tfrac12\|Ax-b\|^2 + h(x)` is
        :math:`\max_\theta \operatorname{Re}\langle b,\theta\rangle - \tfrac12\|\theta\|^2
        - \sum_i h_i^*(a_i^H\theta)`; it is evaluated at :math:`\theta = s\,r` for the
        best of a few scales s (see :mod:`sparseinv._penalty_dual`). For L1 it is
        the Lasso dual of :class:`L1`'s Notes.

        Parameters
        ----------
        b : ndarray
            Data.
        residual : ndarray
            :math:`r = b - Ay` for some y.
        correlation : ndarray
            :math:`A^H r`.

        Returns
        -------
        float or None
            None for L0, and where the dual needs the operator: unpenalized free
            coefficients, whose constraint :math:`a_i^H\theta = 0` the solvers enforce
            by projecting θ.
        """
        correlation = _as_array(correlation)
        bound = self._local(correlation)
        if bound.unpenalized is not None:
            return None
        R, G = -_as_block(_as_array(residual)), -_as_block(correlation)
        out = bound.dual_value(_as_block(_as_array(b)), R, G)
        if out is None:
            return None
        return float(out[0]) if correlation.ndim == 1 else out


class L0(Penalty):
    r"""The L0 penalty :math:`\sum_i \lambda_i [x_i \ne 0]` (non-convex).

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0 (``inf`` forces 0): one number, one per group (with ``groups``), one per
        coefficient, or per column (see :mod:`sparseinv.penalties`).
    groups : Groups, optional
        Groups that a per-group ``lam`` refers to.
    bounds : (lower, upper), optional
        Bounds on the coefficients (see :class:`Penalty`).
    positive : bool, default False
        Shorthand for ``bounds=(0, inf)``.

    Notes
    -----
    The prox of :math:`t\lambda[x \ne 0]` is hard thresholding: keep :math:`v`
    where :math:`|v| > \sqrt{2t\lambda}`, else 0 (ties go to 0). With bounds it
    compares the two candidates, :math:`c = \operatorname{clip}(v, l, u)` at the
    cost :math:`\tfrac12(c - v)^2 + t\lambda[c \ne 0]` and 0 at :math:`\tfrac12 v^2`
    (where :math:`0 \in [l, u]`); where the bounds exclude 0 the penalty is the
    constant λ and the prox is the clip. The IRLS surrogate is
    :math:`\tfrac{\lambda}{4}\log(|x|^2 + \varepsilon^2)`, whose weights
    :math:`\lambda / (2(|x|^2 + \varepsilon^2))` make the IRLS fixed point on an
    orthonormal operator collapse to zero exactly at the hard threshold
    :math:`\sqrt{2\lambda}`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv import L0
    >>> L0(0.5).prox(np.array([0.9, 1.1, -2.0]), 1.0).tolist()
    [0.0, 1.1, -2.0]
    """

    __slots__ = ()
    name = "l0"
    convex = False
    degree = 0


class L1(Penalty):
    r"""The L1 penalty :math:`\sum_i \lambda_i |x_i|` (modulus for complex x).

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0 (``inf`` forces 0): one number, one per group (with ``groups``), one per
        coefficient, or per column (see :mod:`sparseinv.penalties`).
    groups : Groups, optional
        Groups that a per-group ``lam`` refers to.
    bounds : (lower, upper), optional
        Bounds on the coefficients (see :class:`Penalty`).
    positive : bool, default False
        Shorthand for ``bounds=(0, inf)``: the non-negative Lasso.

    Notes
    -----
    The prox is soft thresholding at :math:`t\lambda_i`; for complex :math:`v` it is
    :math:`v\,\max(|v| - t\lambda, 0)/|v|`, which keeps the phase without
    computing it. With bounds it is the soft threshold clipped to :math:`[l_i, u_i]`,
    also where the interval excludes 0 (there :math:`|x| = \pm x` is linear and the
    prox is :math:`\operatorname{clip}(v \mp t\lambda, l, u)`: λ then shrinks but no
    longer sparsifies). The IRLS weights are :math:`\lambda / \sqrt{|x|^2 + \varepsilon^2}`.

    The dual of :math:`\min_x \tfrac12\|Ax-b\|^2 + \sum_i\lambda_i|x_i|` is
    :math:`\max_\theta \operatorname{Re}\langle b,\theta\rangle - \tfrac12\|\theta\|^2`
    subject to :math:`|a_i^H\theta| \le \lambda_i`. With :math:`\theta = s r`,
    feasibility is :math:`|s| \le \min_i \lambda_i / |a_i^H r|` and the best
    :math:`s` is :math:`\operatorname{Re}\langle b, r\rangle / \|r\|^2` clipped to it.
    A coefficient with :math:`\lambda_i = 0` has the constraint :math:`a_i^H\theta = 0`,
    which the solvers enforce by projecting θ (see :func:`sparseinv.fista`).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv import L1, Groups
    >>> L1(0.5).prox(np.array([0.2, 1.5, -2.0]), 1.0).tolist()
    [0.0, 1.0, -1.5]
    >>> L1([1.0, 0.0], groups=Groups.from_sizes([1, 2])).value(np.array([-2.0, 3.0, 4.0]))
    2.0
    >>> L1(0.5, positive=True).prox(np.array([0.2, 1.5, -2.0]), 1.0).tolist()
    [0.0, 1.0, 0.0]
    >>> b = np.array([3.0, 0.5]); x = np.array([2.0, 0.0])  # the solution for A = I
    >>> r = b - x
    >>> L1(1.0).dual_value(b, r, r), float(0.5 * r @ r + L1(1.0).value(x))  # zero gap
    (2.625, 2.625)
    """

    __slots__ = ()
    name = "l1"


class L2(Penalty):
    r"""The L2 (ridge) penalty :math:`\sum_i \lambda_i \tfrac12 |x_i|^2`.

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0 (``inf`` forces 0): one number, one per group (with ``groups``), one per
        coefficient, or per column (see :mod:`sparseinv.penalties`).
    groups : Groups, optional
        Groups that a per-group ``lam`` refers to.
    bounds : (lower, upper), optional
        Bounds on the coefficients (see :class:`Penalty`).
    positive : bool, default False
        Shorthand for ``bounds=(0, inf)``.

    Notes
    -----
    The prox is the shrinkage :math:`v / (1 + t\lambda)` (clipped to the bounds);
    IRLS is exact in one solve since the penalty is already quadratic (weights
    :math:`\lambda`). The dual of
    :math:`\min_x\tfrac12\|Ax-b\|^2 + \sum_i\tfrac{\lambda_i}2|x_i|^2` is
    :math:`\max_\theta \operatorname{Re}\langle b,\theta\rangle - \tfrac12\|\theta\|^2
    - \sum_i |a_i^H\theta|^2/(2\lambda_i)`, evaluated at the best multiple of the
    residual; its gap bounds the suboptimality, and the distance to the solution
    by :math:`\|x - x^\star\|^2 \le 2\,\mathrm{gap}/\min_i\lambda_i`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv import L2
    >>> L2(1.0).prox(np.array([2.0, -4.0]), 1.0).tolist()
    [1.0, -2.0]
    """

    __slots__ = ()
    name = "l2"
    degree = 2

    def parts(self) -> Parts:
        """The ridge part (this penalty) and the bounds; no sparse part.

        Returns
        -------
        Parts
        """
        return Parts(None, self, self._bounds)


class L21(Penalty):
    r"""The group penalty :math:`\sum_g \lambda_g \|x_g\|_2` (group lasso; complex-safe).

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0 (``inf`` forces the group to 0): one number, one value per group
        ``(G,)``, per column ``(1, k)`` or per group and column ``(G, k)``; with
        ``rows=True`` one number or one value per row ``(n,)``. There are no hidden
        weights: pass :math:`\lambda_g = s\,w_g` with :math:`w_g \propto \sqrt{n_g}` for
        the usual group-lasso scaling (:func:`sparseinv.group_weights`,
        ``rule="sqrt_size"``).
    groups : Groups
        The groups :math:`g` (any partition: a group need not be contiguous).
    rows : bool, default False
        Joint row sparsity of a 2-D data block (multi-task Lasso, multiple
        measurement vectors): :math:`\sum_i \lambda_i \|X_{i,:}\|_2` over the rows of
        the ``(n, k)`` solution, instead of ``groups``. This couples the columns, so
        a batch is one problem: one objective, one stopping test (see Notes).
    bounds : (lower, upper), optional
        Bounds on the coefficients (see :class:`Penalty`); real coefficients only.
    positive : bool, default False
        Shorthand for ``bounds=(0, inf)``.

    Notes
    -----
    The prox is the block soft threshold
    :math:`x_g = v_g\,\max(1 - t\lambda_g/\|v_g\|_2, 0)`. With sign bounds (each
    bound 0 or infinite, as ``positive=True``) the box is a cone K and the prox is
    the block soft threshold of the projection of :math:`v` onto K. With general
    bounds it is :math:`x_g = \operatorname{clip}(\sigma v_g, l, u)` with
    :math:`\sigma = \tau/(\tau + t\lambda_g)` and :math:`\tau = \|x_g\|` the root of a
    monotone scalar equation, found by bisection to the last bit (0 when the
    projection of :math:`v_g` on the tangent cone of the box at 0 has norm at most
    :math:`t\lambda_g`). The IRLS weights are
    :math:`\lambda_g/\sqrt{\|x_g\|^2 + \varepsilon^2}` on every coefficient of the group.

    The dual of :math:`\min_x \tfrac12\|Ax-b\|^2 + \sum_g\lambda_g\|x_g\|` is that of
    the Lasso with the constraints :math:`\|A_g^H\theta\|_2 \le \lambda_g`; its gap is
    the solvers' stopping measure (with general, non-sign bounds the gradient
    mapping is used instead). :math:`x = 0` is optimal iff
    :math:`\lambda_g \ge \|A_g^Hb\|_2` for every group:
    ``sparseinv.lam_max(A, b, groups, penalty="l21")``.

    With ``rows=True`` and a data block of k columns, the k problems are one: the
    solvers vectorize it (the unknown :math:`\operatorname{vec}(X)` with one group per
    row of X, the operator :math:`I_k \otimes A`), so the step, the momentum, the
    restart and the stopping test are those of the whole batch, and no column
    leaves the batch on its own. The result has the ``(n, k)`` solution and scalar
    fields (one objective, one ``converged``). A 1-D ``b`` gives one group per
    coefficient (the L1 penalty with complex modulus).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> g = si.Groups.from_sizes([2, 1])
    >>> si.L21(1.0, groups=g).prox(np.array([3.0, 4.0, 0.5]), 1.0).tolist()
    [2.4, 3.2, 0.0]
    >>> si.L21(1.0, groups=g).value(np.array([3.0, 4.0, -2.0]))
    7.0
    >>> si.L21(1.0, rows=True).value(np.array([[3.0, 4.0], [0.0, 0.0]]))
    5.0
    """

    __slots__ = ("_rows",)
    name = "l21"

    def __init__(
        self,
        lam: float | ArrayLike,
        *,
        groups: Groups | None = None,
        rows: bool = False,
        bounds: tuple[Any, Any] | None = None,
        positive: bool = False,
    ) -> None:
        self._rows = check_flag(rows, "rows")
        if type(lam).__module__.split(".")[0] == "pylops_mpi":
            raise TypeError(
                "lam of L21 must be a number or one value per group, not a DistributedArray"
            )
        if rows and groups is not None:
            raise ValueError("give groups or rows=True, not both (rows=True groups the rows of X)")
        if not rows and groups is None:
            raise ValueError(
                "L21 needs groups (a sparseinv.Groups) or rows=True (joint row sparsity of a "
                "2-D block); for one group per coefficient use L1"
            )
        value = check_lam_values(lam, "lam")
        if not isinstance(value, float):
            if rows and value.ndim != 1:
                raise ValueError(
                    "lam of L21(rows=True) must be a number or one value per row (n,): the "
                    f"columns are one problem; got shape {value.shape}"
                )
            if isinstance(groups, Groups):
                G = groups.n_groups
                if value.shape[0] != G and not (value.ndim == 2 and value.shape[0] == 1):
                    raise ValueError(
                        f"lam of L21 must hold one value per group ({G}), as (G,) or (G, k); "
                        f"got shape {value.shape} (a group norm has no per-coefficient λ)"
                    )
        super().__init__(value, groups=groups, bounds=bounds, positive=positive)

    @property
    def rows(self) -> bool:
        """Whether the groups are the rows of a 2-D solution (joint row sparsity)."""
        return self._rows

    @property
    def couples_columns(self) -> bool:
        """True with ``rows=True``: a batch is one problem."""
        return self._rows

    def with_lam(self, lam: float | ArrayLike) -> L21:
        """The same groups (or rows) and bounds with another λ.

        Parameters
        ----------
        lam : float or array_like
            The new λ.

        Returns
        -------
        L21

        Examples
        --------
        >>> import sparseinv as si
        >>> si.L21(1.0, rows=True).with_lam(2.0).lam
        2.0
        """
        return L21(lam, groups=self._groups, rows=self._rows, bounds=self._bounds)

    def group_lam(self, n_groups: int, n_columns: int, *, batched: bool) -> Coef:
        """The λ per group: a float or a ``(G, 1)``, ``(1, k)`` or ``(G, k)`` host array.

        Parameters
        ----------
        n_groups : int
            G.
        n_columns : int
            k.
        batched : bool
            Whether the data were a 2-D block.

        Returns
        -------
        float or ndarray
        """
        lam = self._lam
        if isinstance(lam, float):
            return lam
        G, k = n_groups, n_columns
        if lam.ndim == 1 and lam.shape[0] == G:
            return lam.reshape(-1, 1)
        if batched and lam.shape in ((1, k), (G, k)):
            return lam
        allowed = f"(), ({G},), (1, {k}) or ({G}, {k})" if batched else f"() or ({G},)"
        need = "" if batched else " (a 2-D lam needs a 2-D b)"
        raise ValueError(
            f"lam must have shape {allowed} for {G} groups and b with {k} "
            f"column{'s' if k > 1 else ''}{need}; got shape {tuple(lam.shape)}"
        )

    def vectorized(self, n_features: int, n_columns: int) -> L21:
        """The rows penalty of an ``(n, k)`` block as a group penalty on ``vec(X)``.

        Column-major vec: entry ``i + j·n`` is ``X[i, j]``; group ``i`` holds row ``i``.

        Parameters
        ----------
        n_features : int
            n, the rows of the block.
        n_columns : int
            k, its columns.

        Returns
        -------
        L21
            ``self`` when the penalty does not couple the columns.
        """
        if not self._rows:
            return self
        self.check_size(n_features)
        return self._vectorized_for(n_features, n_columns)

    def _vectorized_for(self, n: int, k: int) -> L21:
        groups = Groups(np.arange(0, n * k + 1, k), np.arange(n * k).reshape(k, n).T.reshape(-1))
        bounds = None
        if self._bounds is not None:
            bounds = tuple(s if isinstance(s, float) else np.tile(s, k) for s in self._bounds)
        return L21(self._lam, groups=groups, bounds=bounds)

    def __repr__(self) -> str:
        if not self._rows:
            return super().__repr__()
        lam = self._lam
        text = repr(lam) if isinstance(lam, float) else f"<{lam.size} values>"
        return f"L21({text}, rows=True{describe_bounds(self._bounds)})"


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


#: the penalties built from a λ alone (one value per coefficient), for contract tests and tables
PENALTIES: tuple[type[Penalty], ...] = (L0, L1, L2)


def penalty_type(penalty: str | type[Penalty]) -> type[Penalty]:
    """The penalty class for a name (``"l0"``, ``"l1"``, ``"l2"``, ``"l21"``) or a class.

    Parameters
    ----------
    penalty : str or Penalty subclass
        Name (case-insensitive) or class.

    Returns
    -------
    type

    Examples
    --------
    >>> penalty_type("L1").__name__
    'L1'
    """
    if isinstance(penalty, type) and issubclass(penalty, Penalty):
        return penalty
    names = {cls.name: cls for cls in (*PENALTIES, L21)}
    if isinstance(penalty, str) and penalty.lower() in names:
        return names[penalty.lower()]
    raise ValueError(f"penalty must be one of {sorted(names)} or a Penalty class; got {penalty!r}")


def _as_array(x: Any) -> Array:
    return x if hasattr(x, "ndim") and hasattr(x, "dtype") else np.asarray(x)


def _as_block(x: Array) -> Array:
    return x.reshape(-1, 1) if x.ndim == 1 else x


from sparseinv._penalty_blocks import BoundPenalty, bind_parts  # noqa: E402 (needs Parts)
