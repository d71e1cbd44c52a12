r"""The elementwise penalties :class:`L0`, :class:`L1` and :class:`L2`.

Each is :math:`\sum_i \lambda_i R(x_i)` with :math:`R(x) = [x \ne 0]` (L0, hard
thresholding), :math:`|x|` (L1, soft thresholding; the modulus for complex x) or
:math:`\tfrac12|x|^2` (L2, ridge shrinkage); everything but their names, convexity,
degree and parts is in :class:`~sparseinv.penalties.base.Penalty`.
"""

from __future__ import annotations

from sparseinv.penalties.base import Parts, Penalty

__all__ = ["L0", "L1", "L2"]


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
