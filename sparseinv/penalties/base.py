"""The penalty interface: the base class :class:`Penalty` and its :class:`Parts`.

:class:`Penalty` holds what every penalty shares: λ (one number, per group, per
coefficient or per column), the groups, the bounds, the user-facing mathematics
(:meth:`~Penalty.value`, :meth:`~Penalty.prox`, the IRLS weights, the
subdifferential distance, the dual value) and the binding to one problem
(:meth:`~Penalty.bind`, which builds the block form of :mod:`sparseinv.penalties._blocks`).
:class:`Parts` is what a penalty is made of: a sparse part, a ridge part and the bounds.
The concrete penalties are in :mod:`sparseinv.penalties.elementwise`,
:mod:`sparseinv.penalties.group` and :mod:`sparseinv.penalties.sums`.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv._validation import check_lam_values, check_positive_number
from sparseinv.backend import Space, array_module
from sparseinv.groups import Groups
from sparseinv.penalties._binding import bind_parts
from sparseinv.penalties._bounds import Bound, bounds_size, check_bounds, describe_bounds

if TYPE_CHECKING:
    from sparseinv.penalties._blocks import BoundPenalty
    from sparseinv.penalties.sums import PenaltySum

__all__ = ["Parts", "Penalty"]

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
        from sparseinv.penalties.sums import PenaltySum

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
        best of a few scales s (see :mod:`sparseinv.penalties._dual`). For L1 it is
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


def _as_array(x: Any) -> Array:
    return x if hasattr(x, "ndim") and hasattr(x, "dtype") else np.asarray(x)


def _as_block(x: Array) -> Array:
    return x.reshape(-1, 1) if x.ndim == 1 else x
