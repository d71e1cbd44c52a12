r"""Penalties :math:`\sum_i \lambda_i R(x_i)`: L0, L1, L2 with one, per-group or per-coefficient λ.

Each penalty is a small immutable object. Its λ is a single number, one value per
group of a :class:`~sparseinv.Groups`, or one value per coefficient; with many
right-hand sides (a data block of ``k`` columns) it may also differ per column.
The objective convention (see :mod:`sparseinv.objective`) is

.. math::

    F(x) = \tfrac12\|Ax - b\|_2^2 + \sum_i \lambda_i R(x_i),

with :math:`R(x) = [x \ne 0]` (L0), :math:`|x|` (L1, the modulus for complex
:math:`x`) or :math:`\tfrac12|x|^2` (L2).

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

The mathematics is written once, in methods that take λ explicitly (``*_of``);
a solver binds a penalty to its problem (:meth:`Penalty.bind`), which fixes the
λ block, the array module and the reductions (:mod:`sparseinv.backend`).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv._validation import check_lam_values, check_positive_number
from sparseinv.backend import Space, array_module
from sparseinv.groups import Groups

__all__ = ["L0", "L1", "L2", "PENALTIES", "BoundPenalty", "Penalty", "penalty_type"]

Array = Any  # numpy or cupy array
Coef = Any  # a float, or a 2-D array broadcasting against (rows, columns) blocks


def _abs2(x: Array) -> Array:
    """|x|² without a square root (complex-safe)."""
    if x.dtype.kind == "c":
        return x.real * x.real + x.imag * x.imag
    return x * x


class Penalty(abc.ABC):
    r"""Base class of the separable penalties :math:`\sum_i \lambda_i R(x_i)`.

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0: one number, one value per group (with ``groups``), one value per
        coefficient, or a 2-D array with one column per right-hand side (see the
        table in :mod:`sparseinv.penalties`).
    groups : Groups, optional
        The groups that a per-group ``lam`` refers to.

    Notes
    -----
    A λ array whose first dimension equals ``groups.n_groups`` is read as one value
    per group; one whose first dimension equals ``groups.n_features`` as one value
    per coefficient (when both agree, per group). Without ``groups`` a 1-D array is
    one value per coefficient. λ is copied on construction; the caller's array is
    never modified.

    Examples
    --------
    The concrete penalties are :class:`L0`, :class:`L1` and :class:`L2`:

    >>> import numpy as np
    >>> from sparseinv import L1, Groups, Penalty
    >>> pen = L1([0.5, 2.0], groups=Groups.from_sizes([2, 1]))
    >>> isinstance(pen, Penalty), pen.coef_lam.tolist()
    (True, [0.5, 0.5, 2.0])
    >>> pen.value(np.array([1.0, -1.0, 1.0]))
    3.0
    """

    __slots__ = ("_coef", "_distributed", "_groups", "_lam")

    #: short name used in tables and messages
    name: ClassVar[str] = ""
    #: whether R is convex (drives FISTA's restart rule)
    convex: ClassVar[bool] = True
    #: R(s·x) = s**degree · R(x): how λ follows a rescaling of the data
    degree: ClassVar[int] = 1

    def __init__(self, lam: float | ArrayLike, *, groups: Groups | None = None) -> None:
        self._distributed = None
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

    # ------------------------------------------------------------------ description
    @property
    def lam(self) -> float | NDArray[np.float64]:
        """The λ as given: a float, one value per group or one per coefficient (read-only)."""
        return self._lam

    @property
    def groups(self) -> Groups | None:
        """The groups a per-group λ refers to, or None."""
        return self._groups

    @property
    def coef_lam(self) -> float | NDArray[np.float64]:
        """The λ of each coefficient: a float, ``(n,)``, or 2-D for per-column λ (read-only)."""
        return self._coef

    @property
    def n_features(self) -> int | None:
        """Number of coefficients fixed by λ or the groups; None when λ does not fix it."""
        if self._groups is not None:
            return self._groups.n_features
        if self._distributed is not None:
            return int(self._distributed.global_shape[0])
        if isinstance(self._coef, float) or (self._coef.ndim == 2 and self._coef.shape[0] == 1):
            return None
        return int(self._coef.shape[0])

    def with_lam(self, lam: float | ArrayLike) -> Penalty:
        """The same penalty type and groups with another λ.

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
        return type(self)(lam, groups=self._groups)

    def check_size(self, n_features: int) -> None:
        """Raise if λ or the groups do not fit ``n_features`` coefficients.

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
            what = "groups" if self._groups is not None else "lam"
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
        """This penalty on one problem: λ as a block on the problem's device and dtype.

        Parameters
        ----------
        space : Space
            Array module and reductions of the solve.
        n_features, n_columns : int
            Shape ``(n, k)`` of the unknowns.
        batched : bool
            Whether the data were given as a 2-D block.
        dtype : dtype
            dtype of the iterates; λ takes its real counterpart, so a float32 solve
            stays float32.
        rows : slice, optional
            The coefficients this process holds (a model split over MPI ranks).
        layout : object, optional
            The layout of a distributed model, which a ``DistributedArray`` λ must have.

        Returns
        -------
        BoundPenalty
        """
        if self._distributed is not None:
            if layout is None:
                raise ValueError(
                    "lam is a DistributedArray: it needs a pylops-mpi operator and data"
                )
            from sparseinv.distributed import check_lam_layout

            self.check_size(n_features)
            check_lam_layout(self._distributed, layout)
            real = np.empty(0, dtype=dtype).real.dtype
            return BoundPenalty(
                self, space.xp.asarray(self._coef.reshape(-1, 1), dtype=real), space
            )
        coef = self.lam_block(n_features, n_columns, batched=batched)
        if not isinstance(coef, float):
            if rows is not None and coef.shape[0] > 1:
                coef = coef[rows]
            real = np.empty(0, dtype=dtype).real.dtype
            coef = space.xp.asarray(coef, dtype=real)
        return BoundPenalty(self, coef, space)

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
                f"x must have {own} rows to match the penalty's lam or groups; "
                f"got shape {tuple(x.shape)}"
            )
        return self.bind(Space(xp), n, k, batched=batched, dtype=x.dtype)

    def __repr__(self) -> str:
        lam = self._lam
        text = repr(lam) if isinstance(lam, float) else f"<{lam.size} values>"
        grp = "" if self._groups is None else f", groups={self._groups!r}"
        return f"{type(self).__name__}({text}{grp})"

    # ------------------------------------------------------------------ user-facing mathematics
    def value(self, x: Array) -> float | NDArray[np.float64]:
        r"""The penalty :math:`\sum_i \lambda_i R(x_i)` at ``x``.

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
        out = self._local(x).value(_as_block(x))
        return float(out[0]) if x.ndim == 1 else out

    def prox(self, v: Array, step: float) -> Array:
        r"""Proximal operator of ``step`` times the penalty.

        :math:`\operatorname{prox}(v) = \arg\min_x \tfrac12\|x - v\|^2 + \text{step}\sum_i
        \lambda_i R(x_i)`, complex-safe (the phase of ``v`` is kept).

        Parameters
        ----------
        v : ndarray
            Point to evaluate, real or complex, ``(n,)`` or ``(n, k)``.
        step : float
            Step size > 0.

        Returns
        -------
        ndarray
            A new array of the shape of ``v``; ``v`` is not modified.
        """
        step = check_positive_number(step, "step")
        v = _as_array(v)
        return self._local(v).prox(_as_block(v), step).reshape(v.shape)

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
            :math:`d_i = \lambda_i w_i(x_i)`, real and non-negative.
        """
        bound = self._local(x)
        return bound.irls_weights(_as_block(x), eps).reshape(x.shape)

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
        """
        bound = self._local(x)
        return bound.subdiff_distance(_as_block(x), _as_block(grad)).reshape(x.shape)

    def restricted_quadratic(self, x: Array) -> tuple[Array, Array, Array] | None:
        r"""The penalty near ``x``, on its free set, as a quadratic; None if it is not one.

        Where the support (and, for L1, the signs) of ``x`` is kept fixed, L0, L2
        and real L1 are quadratic in the free coefficients. Solvers use this to
        refine an iterate by conjugate gradients once its support has settled.

        Parameters
        ----------
        x : ndarray
            Current iterate.

        Returns
        -------
        (free, grad, hess) or None
            Boolean mask of the free coefficients, the gradient of the penalty at
            ``x`` on them and its (diagonal) Hessian; None for complex L1, whose
            modulus is not quadratic on the support.
        """
        quad = self._local(x).restricted_quadratic(_as_block(x))
        if quad is None:
            return None
        xp = array_module(x)
        return tuple(xp.broadcast_to(part, _as_block(x).shape).reshape(x.shape) for part in quad)

    def dual_value(self, b: Array, residual: Array, correlation: Array) -> float | None:
        r"""Dual objective at the best rescaling of a residual, or None.

        See :meth:`L1.dual_value` and :meth:`L2.dual_value`; L0 has no dual.

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
        """
        bound = self._local(correlation)
        out = bound.dual_value(_as_block(b), _as_block(residual), _as_block(correlation))
        if out is None:
            return None
        return float(out[0]) if correlation.ndim == 1 else out

    # ------------------------------------------------------------------ the mathematics, λ given
    @abc.abstractmethod
    def value_of(self, x: Array, coef: Coef, space: Space) -> np.ndarray:
        """Per-column penalty of a block.

        Parameters
        ----------
        x : array
            Coefficients, ``(rows, columns)``.
        coef : float or array
            λ, a float or a block broadcasting against ``x``.
        space : Space
            The reductions over the rows.

        Returns
        -------
        ndarray
            One value per column.
        """

    @abc.abstractmethod
    def prox_of(self, v: Array, step: Any, coef: Coef) -> Array:
        """Prox of ``step`` times the penalty on a block.

        Parameters
        ----------
        v : array
            Points, ``(rows, columns)``.
        step : float or array
            Step, a float or a ``(1, columns)`` block.
        coef : float or array
            λ, a float or a block broadcasting against ``v``.

        Returns
        -------
        array
            A new block.
        """

    @abc.abstractmethod
    def irls_weights_of(self, x: Array, eps: Any, coef: Coef) -> Array:
        """IRLS weights of a block.

        Parameters
        ----------
        x : array
            Iterates, ``(rows, columns)``.
        eps : float or array
            Smoothing, a float or a ``(1, columns)`` block.
        coef : float or array
            λ.

        Returns
        -------
        array
            Real, non-negative, the shape of ``x``.
        """

    @abc.abstractmethod
    def subdiff_distance_of(self, x: Array, grad: Array, coef: Coef) -> Array:
        """Distance of ``-grad`` to the subdifferential, elementwise on a block.

        Parameters
        ----------
        x : array
            Coefficients.
        grad : array
            Gradient of the data term at ``x``.
        coef : float or array
            λ.

        Returns
        -------
        array
        """

    @abc.abstractmethod
    def restricted_quadratic_of(self, x: Array, coef: Coef) -> tuple[Array, Any, Any] | None:
        """The penalty on the free set of a block as a quadratic, or None.

        Parameters
        ----------
        x : array
            Iterates.
        coef : float or array
            λ.

        Returns
        -------
        (free, grad, hess) or None
            Free mask, penalty gradient and diagonal Hessian (floats or blocks).
        """

    def dual_value_of(
        self, b: Array, residual: Array, correlation: Array, coef: Coef, space: Space
    ) -> np.ndarray | None:
        """Per-column dual objective at the best multiple of the residual, or None.

        Parameters
        ----------
        b : array
            Data block.
        residual : array
            Residual block :math:`b - Ay` (or its negative: the best multiple is the same).
        correlation : array
            :math:`A^H` times ``residual``.
        coef : float or array
            λ.
        space : Space
            The reductions.

        Returns
        -------
        ndarray or None
            None where the penalty has no dual (L0) or some λ is 0.
        """
        return None


class BoundPenalty:
    """A penalty on one problem: its λ block, array module and reductions.

    Built by :meth:`Penalty.bind`; the solver loops call it on ``(rows, columns)``
    blocks. :meth:`take` restricts it to some of the columns.

    Parameters
    ----------
    penalty : Penalty
    coef : float or array
        λ as a float or a block broadcasting against the iterates.
    space : Space
    """

    __slots__ = ("coef", "penalty", "space")

    def __init__(self, penalty: Penalty, coef: Coef, space: Space) -> None:
        self.penalty = penalty
        self.coef = coef
        self.space = space

    @property
    def name(self) -> str:
        return self.penalty.name

    @property
    def convex(self) -> bool:
        return self.penalty.convex

    @property
    def quadratic(self) -> bool:
        """Whether the penalty itself is a strictly convex quadratic (L2 with λ > 0)."""
        if self.penalty.name != "l2":
            return False
        if isinstance(self.coef, float):
            return self.coef > 0
        return bool(-self.space.model.max(-self.coef.reshape(-1, 1))[0] > 0)

    def take(self, columns: Any) -> BoundPenalty:
        """The same penalty on the columns at positions ``columns``."""
        coef = self.coef
        if isinstance(coef, float) or coef.shape[1] == 1:
            return self
        return BoundPenalty(self.penalty, coef[:, columns], self.space)

    def rescaled(self, scale: np.ndarray) -> BoundPenalty:
        """The penalty of the variable x/s when the data are divided by s (per column).

        With b/s and x/s the data term is divided by s², so λ is multiplied by
        :math:`s^{\text{degree} - 2}`.
        """
        factor = np.asarray(scale, dtype=float) ** (self.penalty.degree - 2)
        if np.all(factor == 1.0):
            return self
        coef = self.coef
        real = np.float64 if isinstance(coef, float) else coef.dtype
        col = self.space.xp.asarray(factor.reshape(1, -1).astype(real))
        return BoundPenalty(self.penalty, coef * col, self.space)

    def value(self, x: Array) -> np.ndarray:
        """Per-column penalty of a block."""
        return self.penalty.value_of(x, self.coef, self.space)

    def prox(self, v: Array, step: Any) -> Array:
        """Prox of ``step`` times the penalty on a block."""
        return self.penalty.prox_of(v, step, self.coef)

    def irls_weights(self, x: Array, eps: Any) -> Array:
        """IRLS weights of a block."""
        return self.penalty.irls_weights_of(x, eps, self.coef)

    def subdiff_distance(self, x: Array, grad: Array) -> Array:
        """Elementwise distance to the subdifferential."""
        return self.penalty.subdiff_distance_of(x, grad, self.coef)

    def restricted_quadratic(self, x: Array) -> tuple[Array, Any, Any] | None:
        """The penalty on the free set as a quadratic, or None."""
        return self.penalty.restricted_quadratic_of(x, self.coef)

    def dual_value(self, b: Array, residual: Array, correlation: Array) -> np.ndarray | None:
        """Per-column dual objective, or None."""
        return self.penalty.dual_value_of(b, residual, correlation, self.coef, self.space)


def _as_array(x: Any) -> Array:
    return x if hasattr(x, "ndim") and hasattr(x, "dtype") else np.asarray(x)


def _as_block(x: Array) -> Array:
    return x.reshape(-1, 1) if x.ndim == 1 else x


def _min_coef(coef: Coef, space: Space, n_columns: int) -> np.ndarray:
    """Per-column smallest λ (over every process)."""
    if isinstance(coef, float):
        return np.full(n_columns, coef)
    low = -space.model.max(-space.xp.broadcast_to(coef, (coef.shape[0], n_columns)))
    return low


class L0(Penalty):
    r"""The L0 penalty :math:`\sum_i \lambda_i [x_i \ne 0]` (non-convex).

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0: one number, one per group (with ``groups``), one per coefficient, or
        per column (see :mod:`sparseinv.penalties`).
    groups : Groups, optional
        Groups that a per-group ``lam`` refers to.

    Notes
    -----
    The prox of :math:`t\lambda[x \ne 0]` is hard thresholding: keep :math:`v`
    where :math:`|v| > \sqrt{2t\lambda}`, else 0 (ties go to 0). The IRLS surrogate
    is :math:`\tfrac{\lambda}{4}\log(|x|^2 + \varepsilon^2)`, whose weights
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

    def value_of(self, x: Array, coef: Coef, space: Space) -> np.ndarray:
        nz = x != 0
        if isinstance(coef, float):
            return coef * space.model.count(nz)
        return space.model.sum(space.xp.where(nz, coef, 0.0))

    def prox_of(self, v: Array, step: Any, coef: Coef) -> Array:
        xp = array_module(v)
        return xp.where(_abs2(v) > 2.0 * step * coef, v, 0)

    def irls_weights_of(self, x: Array, eps: Any, coef: Coef) -> Array:
        return coef / (2.0 * (_abs2(x) + eps * eps))

    def subdiff_distance_of(self, x: Array, grad: Array, coef: Coef) -> Array:
        xp = array_module(x)
        return xp.where(x != 0, xp.abs(grad), 0.0)

    def restricted_quadratic_of(self, x: Array, coef: Coef) -> tuple[Array, Any, Any]:
        return x != 0, 0.0, 0.0


class L1(Penalty):
    r"""The L1 penalty :math:`\sum_i \lambda_i |x_i|` (modulus for complex x).

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0: one number, one per group (with ``groups``), one per coefficient, or
        per column (see :mod:`sparseinv.penalties`).
    groups : Groups, optional
        Groups that a per-group ``lam`` refers to.

    Notes
    -----
    The prox is soft thresholding at :math:`t\lambda_i`; for complex :math:`v` it is
    :math:`v\,\max(|v| - t\lambda, 0)/|v|`, which keeps the phase without
    computing it. The IRLS weights are :math:`\lambda / \sqrt{|x|^2 + \varepsilon^2}`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv import L1, Groups
    >>> L1(0.5).prox(np.array([0.2, 1.5, -2.0]), 1.0).tolist()
    [0.0, 1.0, -1.5]
    >>> L1([1.0, 0.0], groups=Groups.from_sizes([1, 2])).value(np.array([-2.0, 3.0, 4.0]))
    2.0
    """

    __slots__ = ()
    name = "l1"

    def value_of(self, x: Array, coef: Coef, space: Space) -> np.ndarray:
        mag = space.xp.abs(x)
        if isinstance(coef, float):
            return coef * space.model.sum(mag)
        return space.model.sum(coef * mag)

    def prox_of(self, v: Array, step: Any, coef: Coef) -> Array:
        xp = array_module(v)
        thresh = step * coef
        if v.dtype.kind != "c":
            return v - xp.clip(v, -thresh, thresh)
        mag = xp.abs(v)
        tiny = np.finfo(mag.dtype).tiny
        return v * (xp.maximum(mag - thresh, 0) / xp.maximum(mag, tiny))

    def irls_weights_of(self, x: Array, eps: Any, coef: Coef) -> Array:
        xp = array_module(x)
        return coef / xp.sqrt(_abs2(x) + eps * eps)

    def subdiff_distance_of(self, x: Array, grad: Array, coef: Coef) -> Array:
        xp = array_module(x)
        mag = xp.abs(x)
        tiny = np.finfo(mag.dtype).tiny
        on = xp.abs(grad + coef * x / xp.maximum(mag, tiny))
        off = xp.maximum(xp.abs(grad) - coef, 0.0)
        return xp.where(mag > 0, on, off)

    def restricted_quadratic_of(self, x: Array, coef: Coef) -> tuple[Array, Any, Any] | None:
        if x.dtype.kind == "c":
            return None
        xp = array_module(x)
        return x != 0, coef * xp.sign(x), 0.0

    def dual_value_of(
        self, b: Array, residual: Array, correlation: Array, coef: Coef, space: Space
    ) -> np.ndarray | None:
        k = residual.shape[1]
        if np.any(_min_coef(coef, space, k) <= 0):
            return None
        xp = space.xp
        mag = xp.abs(correlation)
        ratio = space.model.max(mag) / coef if isinstance(coef, float) else None
        if ratio is None:
            ratio = space.model.max(mag / coef)
        rr = space.data.sq_norm(residual)
        br = space.data.vdot(b, residual)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(rr > 0, br / np.where(rr > 0, rr, 1.0), 0.0)
            bound = np.where(ratio > 0, 1.0 / ratio, np.inf)
        s = np.clip(s, -bound, bound)
        dual = s * br - 0.5 * s * s * rr
        # r = 0: θ = 0 is the only rescaling, and D(0) = 0
        return np.where(rr > 0, dual, 0.0)

    def dual_value(self, b: Array, residual: Array, correlation: Array) -> float | None:
        r"""Lasso dual objective at :math:`\theta = s\,r`, the best feasible rescaling.

        The dual of :math:`\min_x \tfrac12\|Ax-b\|^2 + \sum_i\lambda_i|x_i|` is
        :math:`\max_\theta \operatorname{Re}\langle b,\theta\rangle - \tfrac12\|\theta\|^2`
        subject to :math:`|a_i^H\theta| \le \lambda_i`. With :math:`\theta = s r`,
        feasibility is :math:`|s| \le \min_i \lambda_i / |a_i^H r|` and the best
        :math:`s` is :math:`\operatorname{Re}\langle b, r\rangle / \|r\|^2` clipped to it.

        Parameters
        ----------
        b : ndarray
            Data.
        residual : ndarray
            :math:`r = b - Ay`.
        correlation : ndarray
            :math:`A^H r`.

        Returns
        -------
        float or None
            None when some λ is 0 (no finite certificate).

        Examples
        --------
        >>> import numpy as np
        >>> from sparseinv import L1
        >>> b = np.array([3.0, 0.5]); x = np.array([2.0, 0.0])  # the solution for A = I
        >>> r = b - x
        >>> L1(1.0).dual_value(b, r, r), float(0.5 * r @ r + L1(1.0).value(x))  # zero gap
        (2.625, 2.625)
        """
        return super().dual_value(b, residual, correlation)


class L2(Penalty):
    r"""The L2 (ridge) penalty :math:`\sum_i \lambda_i \tfrac12 |x_i|^2`.

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0: one number, one per group (with ``groups``), one per coefficient, or
        per column (see :mod:`sparseinv.penalties`).
    groups : Groups, optional
        Groups that a per-group ``lam`` refers to.

    Notes
    -----
    The prox is the shrinkage :math:`v / (1 + t\lambda)`; IRLS is exact in one
    solve since the penalty is already quadratic (weights :math:`\lambda`). The
    dual of :math:`\min_x\tfrac12\|Ax-b\|^2 + \sum_i\tfrac{\lambda_i}2|x_i|^2` is
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

    def value_of(self, x: Array, coef: Coef, space: Space) -> np.ndarray:
        if isinstance(coef, float):
            return 0.5 * coef * space.model.sq_norm(x)
        return 0.5 * space.model.sum(coef * _abs2(x))

    def prox_of(self, v: Array, step: Any, coef: Coef) -> Array:
        return v / (1.0 + step * coef)

    def irls_weights_of(self, x: Array, eps: Any, coef: Coef) -> Array:
        xp = array_module(x)
        real = _abs2(x[:1]).dtype
        return xp.broadcast_to(xp.asarray(coef, dtype=real), x.shape)

    def subdiff_distance_of(self, x: Array, grad: Array, coef: Coef) -> Array:
        xp = array_module(x)
        return xp.abs(grad + coef * x)

    def restricted_quadratic_of(self, x: Array, coef: Coef) -> tuple[Array, Any, Any]:
        xp = array_module(x)
        return xp.ones(x.shape, dtype=bool), coef * x, coef

    def dual_value_of(
        self, b: Array, residual: Array, correlation: Array, coef: Coef, space: Space
    ) -> np.ndarray | None:
        k = residual.shape[1]
        if np.any(_min_coef(coef, space, k) <= 0):
            return None
        quad = space.model.sum(_abs2(correlation) / coef)
        rr = space.data.sq_norm(residual)
        br = space.data.vdot(b, residual)
        total = rr + quad
        s = np.where(total > 0, br / np.where(total > 0, total, 1.0), 0.0)
        return s * br - 0.5 * s * s * total


#: every penalty type, for contract tests and tables
PENALTIES: tuple[type[Penalty], ...] = (L0, L1, L2)


def penalty_type(penalty: str | type[Penalty]) -> type[Penalty]:
    """The penalty class for a name in :data:`PENALTIES` (``"l0"``, ``"l1"``, ``"l2"``) or a class.

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
    names = {cls.name: cls for cls in PENALTIES}
    if isinstance(penalty, str) and penalty.lower() in names:
        return names[penalty.lower()]
    raise ValueError(f"penalty must be one of {sorted(names)} or a Penalty class; got {penalty!r}")
