r"""The objective convention of sparseinv, and converters to the peers' conventions.

Every solver, penalty, benchmark and table of sparseinv uses one objective:

.. math::

    F(x) = \tfrac12\|Ax - b\|_2^2 + \sum_{i=1}^{n} \lambda_i R(x_i),
    \qquad
    R(x) = \begin{cases}
        [x \ne 0] & \text{L0} \\
        |x| & \text{L1 (the modulus for complex } x) \\
        \tfrac12 |x|^2 & \text{L2}
    \end{cases}

where :math:`\lambda_i \ge 0` is one number, one value per group of coefficients
(:math:`\lambda_i = \lambda_{g(i)}`) or one value per coefficient. Note the
:math:`\tfrac12` on the data term and on L2, and none on L1 and L0.

The peers write the same problem with other constants:

============================================  ==============================================
peer                                          its parameter for our λ
============================================  ==============================================
pylops ``ista``/``fista`` (``eps``)           ``eps = 2 λ`` (it thresholds at eps·step/2)
scikit-learn ``Lasso`` (``alpha``)            ``alpha = λ / n_samples``
skglm / celer ``Lasso`` (``alpha``)           ``alpha = λ / n_samples``
pyproximal ``L1(sigma)`` with ``L2(Op, b)``   ``sigma = λ``
============================================  ==============================================
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
    "lam_max",
    "objective",
    "to_pylops_eps",
    "to_sklearn_alpha",
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
        L0, L1 or L2 with its λ (any shape the solvers accept).
    x : ndarray
        Coefficients, shape ``(n_features,)``, or ``(n_features, k)`` with a 2-D ``b``.

    Returns
    -------
    float or ndarray
        F, or one F per column for a 2-D ``b``.

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
            "penalty must be a sparseinv penalty (sparseinv.L0, L1 or L2); "
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
    pen = penalty.bind(space, n, k, batched=batched, dtype=dtype)
    R = op.forward(X) - B
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


def lam_max(A: Any, b: Any, groups: Groups | None = None) -> float | NDArray[np.float64]:
    r"""Smallest λ for which :math:`x = 0` solves the L1 problem.

    :math:`x = 0` is optimal iff :math:`|a_i^H b| \le \lambda_i` for every i, so the
    single-λ value is :math:`\|A^Hb\|_\infty` and the per-group value is
    :math:`\lambda_{\max,g} = \max_{i \in g} |a_i^H b|`. Costs one rmatvec (one block
    application for a 2-D ``b``).

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator or ColumnBatch
        The operator.
    b : ndarray
        Data: ``(m,)``, or ``(m, k)`` for one value per column.
    groups : Groups, optional
        When given, one value per group.

    Returns
    -------
    float or ndarray
        A float, ``(G,)`` per group; for a 2-D ``b``, ``(k,)`` per column or ``(G, k)``
        per group and column.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> si.lam_max(np.eye(3), np.array([1.0, -4.0, 2.0]))
    4.0
    >>> si.lam_max(np.eye(3), np.array([1.0, -4.0, 2.0]), si.Groups.from_sizes([2, 1])).tolist()
    [4.0, 2.0]
    >>> si.lam_max(np.eye(2), np.array([[1.0, 3.0], [-2.0, 0.0]])).tolist()
    [2.0, 3.0]
    """
    op = as_operator(A)
    m, n = op.shape
    xp = array_module(b) if hasattr(b, "shape") else np
    B, batched = check_block(b, "b", m, xp, columns=op.batch)
    op.track_columns(B.shape[1])
    corr = to_host(xp.abs(op.adjoint(B)))  # (n, k)
    if groups is None:
        out = corr.max(axis=0)
        return out if batched else float(out[0])
    if not isinstance(groups, Groups):
        raise TypeError(f"groups must be a sparseinv.Groups; got {type(groups).__name__}")
    if groups.n_features != n:
        raise ValueError(f"groups cover {groups.n_features} coefficients but A has {n} columns")
    out = np.zeros((groups.n_groups, corr.shape[1]))
    np.maximum.at(out, groups.membership, corr)
    return out if batched else out[:, 0]
