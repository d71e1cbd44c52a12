r"""The objective convention of sparseinv, and converters to the peers' conventions.

Every solver, penalty, benchmark and table of sparseinv uses one objective:

.. math::

    F(x) = \tfrac12\|Ax - b\|_2^2 + \sum_{i=1}^{n} \lambda_i R(x_i)
    + \iota_{[l, u]}(x),
    \qquad
    R(x) = \begin{cases}
        [x \ne 0] & \text{L0} \\
        |x| & \text{L1 (the modulus for complex } x) \\
        \tfrac12 |x|^2 & \text{L2}
    \end{cases}

where :math:`\lambda_i \ge 0` is one number, one value per group of coefficients
(:math:`\lambda_i = \lambda_{g(i)}`) or one value per coefficient, :math:`\lambda_i = 0`
leaves :math:`x_i` unpenalized and :math:`\lambda_i = \infty` forces :math:`x_i = 0`.
The group penalty L21 is :math:`\sum_g \lambda_g\|x_g\|_2` (no hidden weight: the
usual :math:`\sqrt{n_g}` is in :math:`\lambda_g` if wanted), the elastic net is the
sum ``L1(a) + L2(c)``, :math:`\sum_i a_i|x_i| + \tfrac{c_i}2|x_i|^2`, and the bounds
``bounds=(l, u)`` of any penalty add the indicator :math:`\iota_{[l,u]}` (0 inside
the box, ∞ outside). Note the :math:`\tfrac12` on the data term and on L2, and none
on L1, L21 and L0.

The peers write the same problem with other constants (``n`` below is the number
of rows of A, ``n_samples``):

=================================================  ===========================================
peer                                               its parameters for ours
=================================================  ===========================================
pylops ``ista``/``fista`` (``eps``)                ``eps = 2 λ`` (it thresholds at eps·step/2)
scikit-learn ``Lasso`` (``alpha``)                 ``alpha = λ / n``
scikit-learn ``Lasso(positive=True)``              ``alpha = λ / n``, ``L1(λ, positive=True)``
scikit-learn ``ElasticNet(alpha, l1_ratio)``       ``alpha = (a + c)/n``, ``l1_ratio = a/(a + c)``
scikit-learn ``MultiTaskLasso`` (``alpha``)        ``alpha = λ / n``, ``L21(λ, rows=True)``
skglm / celer ``Lasso`` (``alpha``)                ``alpha = λ / n``
skglm ``GroupLasso(alpha, weights)``               ``alpha · weights_g = λ_g / n``
skglm ``WeightedL1(alpha, weights)``               ``alpha · weights_i = λ_i / n`` (0 and ∞ alike)
pyproximal ``L1(sigma)`` with ``L2(Op, b)``        ``sigma = λ``
=================================================  ===========================================

scikit-learn's ``ElasticNet`` minimizes
:math:`\tfrac1{2n}\|b - Ax\|^2 + \alpha\rho\|x\|_1 + \tfrac{\alpha(1-\rho)}2\|x\|^2`;
multiplied by n it is ours with :math:`a = n\alpha\rho` and :math:`c = n\alpha(1-\rho)`
(:func:`to_sklearn_elastic_net`, :func:`from_sklearn_elastic_net`). Its
``positive=True`` is ``L1(a, positive=True) + L2(c)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv._validation import check_block, check_positive_number
from sparseinv.backend import Space, array_module, to_host
from sparseinv.groups import Groups
from sparseinv.operators import as_operator
from sparseinv.penalties import Penalty

__all__ = [
    "from_pylops_eps",
    "from_sklearn_alpha",
    "from_sklearn_elastic_net",
    "lam_max",
    "objective",
    "to_pylops_eps",
    "to_sklearn_alpha",
    "to_sklearn_elastic_net",
]


def objective(A: Any, b: Any, penalty: Penalty, x: Any) -> float | NDArray[np.float64]:
    r"""Evaluate :math:`F(x) = \tfrac12\|Ax-b\|^2 + \sum_i\lambda_i R(x_i)`.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator or ColumnBatch
        The operator.
    b : ndarray
        Data, shape ``(n_measurements,)``, or ``(n_measurements, k)`` for ``k``
        right-hand sides.
    penalty : Penalty
        L0, L1, L2, L21 or a sum, with its λ (any shape the solvers accept).
    x : ndarray
        Coefficients, shape ``(n_features,)``, or ``(n_features, k)`` with a 2-D ``b``.

    Returns
    -------
    float or ndarray
        F, or one F per column for a 2-D ``b`` (one F for the whole block with a
        penalty that couples the columns, ``L21(lam, rows=True)``); ``inf`` outside
        the penalty's bounds.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> si.objective(np.eye(2), np.array([1.0, 0.0]), si.L1(0.5), np.array([1.0, 0.0]))
    0.5
    >>> si.objective(np.eye(2), np.eye(2), si.L1(0.5), np.zeros((2, 2))).tolist()
    [0.5, 0.5]
    """
    if not isinstance(penalty, Penalty):
        raise TypeError(
            "penalty must be a sparseinv penalty (sparseinv.L0, L1, L2, L21 or a sum); "
            f"got {type(penalty).__name__}"
        )
    op = as_operator(A)
    m, n = op.shape
    xp = array_module(b) if hasattr(b, "shape") else np
    B, batched = check_block(b, "b", m, xp, columns=op.batch)
    k = B.shape[1]
    X, _ = check_block(x, "x", n, xp, columns=k if batched else None, vector=not batched)
    op.track_columns(k)
    space = Space(xp)
    dtype = np.result_type(X.dtype, B.dtype, np.float32)
    R = op.forward(X) - B
    if penalty.couples_columns and batched and k > 1:
        # one problem across the columns (L21(rows=True)): one value
        return float(np.sum(0.5 * space.data.sq_norm(R)) + penalty.value(X))
    pen = penalty.bind(space, n, k, batched=batched, dtype=dtype)
    values = 0.5 * space.data.sq_norm(R) + pen.value(X)
    return values if batched else float(values[0])


def to_pylops_eps(lam: float) -> float:
    """Convert our λ to pylops' ``ista``/``fista`` ``eps``: ``eps = 2 λ``.

    Parameters
    ----------
    lam : float
        λ in sparseinv's convention.

    Returns
    -------
    float

    Examples
    --------
    >>> to_pylops_eps(0.1)
    0.2
    """
    return 2.0 * check_positive_number(lam, "lam", allow_zero=True)


def from_pylops_eps(eps: float) -> float:
    """Our λ for a pylops ``eps``: ``λ = eps / 2``.

    Parameters
    ----------
    eps : float
        pylops' sparsity damping.

    Returns
    -------
    float

    Examples
    --------
    >>> from_pylops_eps(0.2)
    0.1
    """
    return 0.5 * check_positive_number(eps, "eps", allow_zero=True)


def to_sklearn_alpha(lam: float, n_samples: int) -> float:
    """Convert our λ to the scikit-learn / skglm / celer ``alpha``: ``alpha = λ / n_samples``.

    Parameters
    ----------
    lam : float
        λ in sparseinv's convention.
    n_samples : int
        Number of rows of A (measurements).

    Returns
    -------
    float

    Examples
    --------
    >>> to_sklearn_alpha(5.0, 100)
    0.05
    """
    n = check_positive_number(n_samples, "n_samples", integer=True)
    return check_positive_number(lam, "lam", allow_zero=True) / n


def from_sklearn_alpha(alpha: float, n_samples: int) -> float:
    """Our λ for a scikit-learn ``alpha``: ``λ = alpha · n_samples``.

    Parameters
    ----------
    alpha : float
        scikit-learn's regularization strength.
    n_samples : int
        Number of rows of A.

    Returns
    -------
    float

    Examples
    --------
    >>> from_sklearn_alpha(0.05, 100)
    5.0
    """
    n = check_positive_number(n_samples, "n_samples", integer=True)
    return check_positive_number(alpha, "alpha", allow_zero=True) * n


def to_sklearn_elastic_net(a: float, c: float, n_samples: int) -> tuple[float, float]:
    r"""The scikit-learn ``ElasticNet(alpha, l1_ratio)`` of our ``L1(a) + L2(c)``.

    scikit-learn minimizes :math:`\tfrac1{2n}\|b - Ax\|^2 + \alpha\rho\|x\|_1 +
    \tfrac{\alpha(1-\rho)}2\|x\|^2`; times n this is ours with :math:`a = n\alpha\rho`,
    :math:`c = n\alpha(1-\rho)`, so :math:`\alpha = (a + c)/n` and :math:`\rho = a/(a + c)`.

    Parameters
    ----------
    a : float
        λ of the L1 part, ≥ 0.
    c : float
        λ of the L2 part, ≥ 0 (``a + c > 0``).
    n_samples : int
        Number of rows of A.

    Returns
    -------
    alpha : float
        scikit-learn's ``alpha``.
    l1_ratio : float
        scikit-learn's ``l1_ratio``.

    Examples
    --------
    >>> to_sklearn_elastic_net(3.0, 1.0, 100)
    (0.04, 0.75)
    """
    n = check_positive_number(n_samples, "n_samples", integer=True)
    a = check_positive_number(a, "a", allow_zero=True)
    c = check_positive_number(c, "c", allow_zero=True)
    if a + c == 0:
        raise ValueError("a + c must be > 0 (scikit-learn's alpha = (a + c)/n); got a = c = 0")
    return (a + c) / n, a / (a + c)


def from_sklearn_elastic_net(alpha: float, l1_ratio: float, n_samples: int) -> tuple[float, float]:
    """Our ``(a, c)`` of ``L1(a) + L2(c)`` for scikit-learn's ``ElasticNet(alpha, l1_ratio)``.

    ``a = n·alpha·l1_ratio`` and ``c = n·alpha·(1 - l1_ratio)``
    (see :func:`to_sklearn_elastic_net`).

    Parameters
    ----------
    alpha : float
        scikit-learn's regularization strength, ≥ 0.
    l1_ratio : float
        Its mixing parameter in [0, 1].
    n_samples : int
        Number of rows of A.

    Returns
    -------
    a : float
        λ of the L1 part.
    c : float
        λ of the L2 part.

    Examples
    --------
    >>> from_sklearn_elastic_net(0.04, 0.75, 100)
    (3.0, 1.0)
    """
    n = check_positive_number(n_samples, "n_samples", integer=True)
    alpha = check_positive_number(alpha, "alpha", allow_zero=True)
    ratio = check_positive_number(l1_ratio, "l1_ratio", allow_zero=True)
    if ratio > 1:
        raise ValueError(f"l1_ratio must be in [0, 1]; got {l1_ratio!r}")
    return n * alpha * ratio, n * alpha * (1.0 - ratio)


def lam_max(
    A: Any, b: Any, groups: Groups | None = None, *, penalty: str | Penalty = "l1"
) -> float | NDArray[np.float64]:
    r"""Smallest λ for which :math:`x = 0` solves the L1 (or L21) problem.

    For L1, :math:`x = 0` is optimal iff :math:`|a_i^H b| \le \lambda_i` for every i,
    so the single-λ value is :math:`\|A^Hb\|_\infty` and the per-group value is
    :math:`\lambda_{\max,g} = \max_{i \in g} |a_i^H b|`. For L21 (``penalty="l21"``,
    with ``groups``) it is :math:`\|A_g^Hb\|_2` per group. With a penalty *instance*
    the answer is the smallest scale s such that ``s`` times its λ zeroes every
    penalized coefficient: :math:`s_{\max} = \max_i v_i/\lambda_i` (per group for
    L21), where :math:`v_i` is how far :math:`a_i^Hr` leaves :math:`[-1, 1]` at x = 0,
    the bounds' normal cone included (``positive=True``: :math:`(a_i^Hr)_+`). The
    unpenalized coefficients (λ = 0, no bound) are then the least-squares fit
    :math:`x_U` and :math:`r = b - A_Ux_U`; coefficients with λ = ∞ do not count. An
    L2 part changes nothing (its gradient at 0 is 0). Costs one rmatvec (one block
    application for a 2-D ``b``), plus :math:`|U|` applications of A and Aᴴ for the fit.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator or ColumnBatch
        The operator.
    b : ndarray
        Data: ``(m,)``, or ``(m, k)`` for one value per column.
    groups : Groups, optional
        When given, one value per group (for a string ``penalty``).
    penalty : {"l1", "l21"} or Penalty, default "l1"
        The penalty: ``"l1"`` and ``"l21"`` give λ_max per coefficient set; an L1,
        L21 or sum instance gives the scale of its λ (its own groups and bounds).

    Returns
    -------
    float or ndarray
        A float, ``(G,)`` per group; for a 2-D ``b``, ``(k,)`` per column or ``(G, k)``
        per group and column. A scale (float, or ``(k,)``) for a penalty instance.

    Raises
    ------
    ValueError
        For ``"l21"`` without groups, a penalty without a λ_max (L0, L2), bounds that
        exclude 0 for a penalized coefficient, unpenalized coefficients with bounds,
        or more unpenalized coefficients than the fit allows.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> si.lam_max(np.eye(3), np.array([1.0, -4.0, 2.0]))
    4.0
    >>> si.lam_max(np.eye(3), np.array([1.0, -4.0, 2.0]), si.Groups.from_sizes([2, 1])).tolist()
    [4.0, 2.0]
    >>> si.lam_max(np.eye(2), np.array([[1.0, 3.0], [-2.0, 0.0]])).tolist()
    [2.0, 3.0]
    >>> g = si.Groups.from_sizes([2, 1])
    >>> si.lam_max(np.eye(3), np.array([3.0, -4.0, 2.0]), g, penalty="l21").tolist()
    [5.0, 2.0]
    >>> si.lam_max(np.eye(3), np.array([1.0, -4.0, 2.0]), penalty=si.L1(1.0, positive=True))
    2.0
    """
    op = as_operator(A)
    m, n = op.shape
    xp = array_module(b) if hasattr(b, "shape") else np
    B, batched = check_block(b, "b", m, xp, columns=op.batch)
    op.track_columns(B.shape[1])
    if isinstance(penalty, Penalty):
        return _penalty_scale(op, B, batched, penalty, xp)
    if penalty not in ("l1", "l21"):
        raise ValueError(f"penalty must be 'l1', 'l21' or a Penalty instance; got {penalty!r}")
    if penalty == "l21" and groups is None:
        raise ValueError("penalty='l21' needs groups (the L21 groups)")
    corr = to_host(xp.abs(op.adjoint(B)))  # (n, k)
    if groups is None:
        out = corr.max(axis=0)
        return out if batched else float(out[0])
    if not isinstance(groups, Groups):
        raise TypeError(f"groups must be a sparseinv.Groups; got {type(groups).__name__}")
    if groups.n_features != n:
        raise ValueError(f"groups cover {groups.n_features} coefficients but A has {n} columns")
    out = np.zeros((groups.n_groups, corr.shape[1]))
    if penalty == "l21":
        np.add.at(out, groups.membership, corr * corr)
        out = np.sqrt(out)
    else:
        np.maximum.at(out, groups.membership, corr)
    return out if batched else out[:, 0]


def _penalty_scale(op: Any, B: Any, batched: bool, penalty: Penalty, xp: Any) -> Any:
    """The smallest s for which ``s·penalty`` has x = 0 on its penalized coefficients."""
    from sparseinv._unpenalized import UnpenalizedBasis

    m, n = op.shape
    k = B.shape[1]
    if penalty.couples_columns and batched and k > 1:
        penalty = penalty.vectorized(n, k)
        B, batched, k = B.T.reshape(-1, 1), False, 1
        op = _stacked(op, B.shape[0] // m)
        n = op.shape[1]
    space = Space(xp)
    dtype = np.result_type(op.dtype, B.dtype, np.float32)
    pen = penalty.bind(space, n, k, batched=batched, dtype=dtype)
    if pen.kind not in ("l1", "l21"):
        raise ValueError(
            f"lam_max is defined for L1 and L21 (and their sums with L2); got {penalty!r}, "
            "which zeroes no coefficient at a finite λ or whose zero depends on the step"
        )
    B = B.astype(dtype, copy=False)
    corr = op.adjoint(B)
    if pen.unpenalized is not None:
        basis = UnpenalizedBasis.build(op, space, pen.unpenalized, dtype=dtype)
        if basis is None:
            raise ValueError(
                "lam_max fits the unpenalized coefficients (λ = 0) by least squares: at most "
                "64 of them, and not with a ColumnBatch operator"
            )
        _, corr = basis.project(-B, -corr)
        corr = -corr
    lower, upper = pen.lower, pen.upper
    if lower is not None:
        if bool(xp.any((lower > 0) | (upper < 0))):
            raise ValueError(
                f"the bounds of {penalty!r} exclude 0: x = 0 is not feasible, so no λ zeroes it"
            )
        lam_c = pen.groups.expand(pen.lam) if pen.kind == "l21" else pen.lam
        free = xp.asarray(lam_c, dtype=pen.real) == 0
        if pen.fixed is not None:
            free = free & ~pen.fixed
        if bool(xp.any(free & ((lower > -np.inf) | (upper < np.inf)))):
            raise ValueError(
                "lam_max fits the unpenalized coefficients (λ = 0) by least squares: they "
                f"must have no bounds; got {penalty!r}"
            )
        # x = 0 is optimal iff Aᴴr ∈ λ[-1, 1] + N(0): the normal cone absorbs one sign
        inf = xp.asarray(np.inf, dtype=corr.real.dtype)
        corr = xp.clip(corr.real, xp.where(lower < 0, -inf, 0), xp.where(upper > 0, inf, 0))
    size = xp.abs(corr)
    lam = pen.lam
    if pen.kind == "l21":
        size = xp.sqrt(space.model.group_sum(size * size, pen.groups))
    lam = (
        xp.broadcast_to(xp.asarray(lam, dtype=size.dtype), size.shape)
        if not isinstance(lam, float)
        else xp.full(size.shape, lam, dtype=size.dtype)
    )
    penalized = lam > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = xp.where(penalized, size / xp.where(penalized, lam, 1), 0)
    out = to_host(ratio.max(axis=0)).astype(np.float64)
    return out if batched else float(out[0])


def _stacked(op: Any, k: int) -> Any:
    """I_k ⊗ A applied to vec blocks (for a column-coupled penalty)."""
    from sparseinv.operators import CountingOperator

    m, n = op.shape

    def forward(V: Any) -> Any:
        return op.forward(V[:, 0].reshape(k, n).T).T.reshape(-1, 1)

    def adjoint(V: Any) -> Any:
        return op.adjoint(V[:, 0].reshape(k, m).T).T.reshape(-1, 1)

    return CountingOperator.from_functions(op.operator, (m * k, n * k), op.dtype, forward, adjoint)
