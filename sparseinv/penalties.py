r"""Penalties :math:`\sum_i \lambda_i R(x_i)`: L0, L1, L2 with one, per-group or per-coefficient λ.

Each penalty is a small immutable object. Its λ is a single number, one value per
group of a :class:`~sparseinv.Groups`, or one value per coefficient. The objective
convention (see :mod:`sparseinv.objective`) is

.. math::

    F(x) = \tfrac12\|Ax - b\|_2^2 + \sum_i \lambda_i R(x_i),

with :math:`R(x) = [x \ne 0]` (L0), :math:`|x|` (L1, the modulus for complex
:math:`x`) or :math:`\tfrac12|x|^2` (L2).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pylops.utils.backend import get_array_module

from sparseinv._validation import check_lam_values
from sparseinv.groups import Groups

__all__ = ["L0", "L1", "L2", "PENALTIES", "Penalty", "penalty_type"]

Array = Any  # numpy or cupy array


def _abs2(x: Array) -> Array:
    """|x|² without a square root (complex-safe)."""
    if x.dtype.kind == "c":
        return x.real * x.real + x.imag * x.imag
    return x * x


def _real_sum(xp: Any, values: Array) -> float:
    return float(xp.sum(values))


class Penalty(abc.ABC):
    r"""Base class of the separable penalties :math:`\sum_i \lambda_i R(x_i)`.

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0: one number, one value per group (with ``groups``) or one value per
        coefficient.
    groups : Groups, optional
        The groups that a per-group ``lam`` refers to.

    Notes
    -----
    A λ array whose length equals ``groups.n_groups`` is read as one value per
    group; one whose length equals ``groups.n_features`` as one value per
    coefficient (when both lengths agree, per group). Without ``groups`` an array is
    one value per coefficient. λ is copied on construction; the caller's array
    is never modified.

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

    __slots__ = ("_coef", "_groups", "_lam")

    #: short name used in tables and messages
    name: ClassVar[str] = ""
    #: whether R is convex (drives FISTA's restart rule)
    convex: ClassVar[bool] = True

    def __init__(self, lam: float | ArrayLike, *, groups: Groups | None = None) -> None:
        lam = check_lam_values(lam, "lam")
        if groups is not None and not isinstance(groups, Groups):
            raise TypeError(
                f"groups must be a sparseinv.Groups; got {type(groups).__name__} "
                "(build one with Groups.from_sizes or Groups.from_labels)"
            )
        coef: float | NDArray[np.float64]
        if isinstance(lam, float):
            coef = lam
        elif groups is None:
            coef = lam
        elif lam.size == groups.n_groups:
            coef = groups.expand(lam)
            coef.flags.writeable = False
        elif lam.size == groups.n_features:
            coef = lam
        else:
            raise ValueError(
                f"lam must hold one value per group ({groups.n_groups}) or per coefficient "
                f"({groups.n_features}); got {lam.size} values"
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
        """The λ of each coefficient: a float when λ is one number, else an array (read-only)."""
        return self._coef

    @property
    def n_features(self) -> int | None:
        """Number of coefficients fixed by λ or the groups; None for a single λ without groups."""
        if self._groups is not None:
            return self._groups.n_features
        return None if isinstance(self._coef, float) else int(self._coef.size)

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

    def on(self, xp: Any, dtype: Any = None) -> Penalty:
        """A copy whose per-coefficient λ lives on array module ``xp`` with the real ``dtype``.

        Solvers call this once so that the prox neither moves λ between devices nor
        promotes float32 iterates to float64.

        Parameters
        ----------
        xp : module
            numpy or cupy.
        dtype : dtype, optional
            dtype of the iterates; λ takes its real counterpart.

        Returns
        -------
        Penalty

        Examples
        --------
        >>> import numpy as np
        >>> from sparseinv import L1
        >>> L1([1.0, 2.0]).on(np, np.complex64).coef_lam.dtype
        dtype('float32')
        """
        if isinstance(self._coef, float):
            return self
        real = np.float64 if dtype is None else np.empty(0, dtype=dtype).real.dtype
        if xp is np and self._coef.dtype == real:
            return self
        clone = object.__new__(type(self))
        clone._lam, clone._groups = self._lam, self._groups
        clone._coef = xp.asarray(self._coef, dtype=real)
        return clone

    def __repr__(self) -> str:
        lam = self._lam
        text = repr(lam) if isinstance(lam, float) else f"<{lam.size} values>"
        grp = "" if self._groups is None else f", groups={self._groups!r}"
        return f"{type(self).__name__}({text}{grp})"

    # ------------------------------------------------------------------ mathematics
    @abc.abstractmethod
    def value(self, x: Array) -> float:
        r"""The penalty :math:`\sum_i \lambda_i R(x_i)` at ``x``.

        Parameters
        ----------
        x : ndarray
            Coefficients, real or complex.

        Returns
        -------
        float
        """

    @abc.abstractmethod
    def prox(self, v: Array, step: float) -> Array:
        r"""Proximal operator of ``step`` times the penalty.

        :math:`\operatorname{prox}(v) = \arg\min_x \tfrac12\|x - v\|^2 + \text{step}\sum_i
        \lambda_i R(x_i)`, complex-safe (the phase of ``v`` is kept).

        Parameters
        ----------
        v : ndarray
            Point to evaluate, real or complex.
        step : float
            Step size > 0.

        Returns
        -------
        ndarray
            A new array; ``v`` is not modified.
        """

    @abc.abstractmethod
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

    @abc.abstractmethod
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

    @abc.abstractmethod
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

    def dual_value(self, b: Array, residual: Array, correlation: Array) -> float | None:
        r"""Dual objective at the best rescaling of a residual, or None.

        Only the L1 penalty with all λ > 0 provides a dual certificate; see
        :meth:`L1.dual_value`.

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
        return None


class L0(Penalty):
    r"""The L0 penalty :math:`\sum_i \lambda_i [x_i \ne 0]` (non-convex).

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0: one number, one per group (with ``groups``) or one per coefficient.
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

    def value(self, x: Array) -> float:
        xp = get_array_module(x)
        nz = x != 0
        if isinstance(self._coef, float):
            return self._coef * int(xp.count_nonzero(nz))
        return _real_sum(xp, self._coef[nz])

    def prox(self, v: Array, step: float) -> Array:
        xp = get_array_module(v)
        return xp.where(_abs2(v) > 2.0 * step * self._coef, v, 0)

    def irls_weights(self, x: Array, eps: float) -> Array:
        return self._coef / (2.0 * (_abs2(x) + eps * eps))

    def subdiff_distance(self, x: Array, grad: Array) -> Array:
        xp = get_array_module(x)
        return xp.where(x != 0, xp.abs(grad), 0.0)

    def restricted_quadratic(self, x: Array) -> tuple[Array, Array, Array]:
        xp = get_array_module(x)
        zero = xp.zeros(x.shape, dtype=_abs2(x[:1]).dtype)
        return x != 0, zero, zero


class L1(Penalty):
    r"""The L1 penalty :math:`\sum_i \lambda_i |x_i|` (modulus for complex x).

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0: one number, one per group (with ``groups``) or one per coefficient.
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

    def value(self, x: Array) -> float:
        xp = get_array_module(x)
        if isinstance(self._coef, float):
            return self._coef * float(xp.sum(xp.abs(x)))
        return _real_sum(xp, self._coef * xp.abs(x))

    def prox(self, v: Array, step: float) -> Array:
        xp = get_array_module(v)
        thresh = step * self._coef
        if v.dtype.kind != "c":
            return v - xp.clip(v, -thresh, thresh)
        mag = xp.abs(v)
        tiny = np.finfo(mag.dtype).tiny
        return v * (xp.maximum(mag - thresh, 0) / xp.maximum(mag, tiny))

    def irls_weights(self, x: Array, eps: float) -> Array:
        xp = get_array_module(x)
        return self._coef / xp.sqrt(_abs2(x) + eps * eps)

    def subdiff_distance(self, x: Array, grad: Array) -> Array:
        xp = get_array_module(x)
        mag = xp.abs(x)
        tiny = np.finfo(mag.dtype).tiny
        on = xp.abs(grad + self._coef * x / xp.maximum(mag, tiny))
        off = xp.maximum(xp.abs(grad) - self._coef, 0.0)
        return xp.where(mag > 0, on, off)

    def restricted_quadratic(self, x: Array) -> tuple[Array, Array, Array] | None:
        if x.dtype.kind == "c":
            return None
        xp = get_array_module(x)
        zero = xp.zeros(x.shape, dtype=x.dtype)
        return x != 0, self._coef * xp.sign(x), zero

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
        xp = get_array_module(residual)
        coef = self._coef
        if isinstance(coef, float):
            if coef <= 0:
                return None
            ratio = float(xp.max(xp.abs(correlation))) / coef
        else:
            if float(xp.min(coef)) <= 0:
                return None
            ratio = float(xp.max(xp.abs(correlation) / coef))
        rr = float(xp.vdot(residual, residual).real)
        if rr == 0.0:
            return 0.5 * float(xp.vdot(b, b).real)
        br = float(xp.vdot(b, residual).real)
        s = br / rr
        if ratio > 0:
            s = min(max(s, -1.0 / ratio), 1.0 / ratio)
        return s * br - 0.5 * s * s * rr


class L2(Penalty):
    r"""The L2 (ridge) penalty :math:`\sum_i \lambda_i \tfrac12 |x_i|^2`.

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0: one number, one per group (with ``groups``) or one per coefficient.
    groups : Groups, optional
        Groups that a per-group ``lam`` refers to.

    Notes
    -----
    The prox is the shrinkage :math:`v / (1 + t\lambda)`; IRLS is exact in one
    solve since the penalty is already quadratic (weights :math:`\lambda`).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv import L2
    >>> L2(1.0).prox(np.array([2.0, -4.0]), 1.0).tolist()
    [1.0, -2.0]
    """

    __slots__ = ()
    name = "l2"

    def value(self, x: Array) -> float:
        xp = get_array_module(x)
        if isinstance(self._coef, float):
            return 0.5 * self._coef * float(xp.vdot(x, x).real)
        return 0.5 * _real_sum(xp, self._coef * _abs2(x))

    def prox(self, v: Array, step: float) -> Array:
        return v / (1.0 + step * self._coef)

    def irls_weights(self, x: Array, eps: float) -> Array:
        xp = get_array_module(x)
        return xp.broadcast_to(xp.asarray(self._coef, dtype=_abs2(x[:1]).dtype), x.shape)

    def subdiff_distance(self, x: Array, grad: Array) -> Array:
        xp = get_array_module(x)
        return xp.abs(grad + self._coef * x)

    def restricted_quadratic(self, x: Array) -> tuple[Array, Array, Array]:
        xp = get_array_module(x)
        hess = self.irls_weights(x, 0.0)
        return xp.ones(x.shape, dtype=bool), hess * x, hess


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
