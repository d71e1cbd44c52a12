r"""Group weighting rules: a relative weight :math:`w_g` per group, for :math:`\lambda_g = s\,w_g`.

A *strategy* for choosing the per-group λ of
:math:`F(x) = \tfrac12\|Ax-b\|^2 + \sum_g \lambda_g \sum_{i\in g} R(x_i)` fixes the
ratios between groups by a rule and leaves one scale :math:`s` to tune, exactly as
a single λ does. :func:`group_weights` computes the weights of the rules below.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from sparseinv._validation import check_positive_number, check_rng
from sparseinv.groups import Groups
from sparseinv.objective import lam_max
from sparseinv.operators import CountingOperator, as_operator
from sparseinv.penalties import Penalty, penalty_type

__all__ = ["RULES", "column_norms", "group_weights"]

#: every weighting rule of :func:`group_weights`, in the order tables show them
RULES = (
    "uniform",
    "size",
    "sqrt_size",
    "inverse_size",
    "inverse_frobenius",
    "column_norm",
    "lam_max",
)


def group_weights(
    A: Any,
    b: Any,
    groups: Groups,
    rule: str,
    *,
    penalty: str | type[Penalty] = "l1",
    max_columns: int = 64,
    rng: int | np.random.Generator | None = 0,
) -> NDArray[np.float64]:
    r"""Relative weight of each group under a weighting rule, for :math:`\lambda_g = s\,w_g`.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator, shape ``(n_measurements, n_features)``. A
        :class:`~sparseinv.operators.CountingOperator` keeps counting the
        applications made here.
    b : ndarray
        Data; only the ``"lam_max"`` rule reads it.
    groups : Groups
        The partition of the ``n_features`` coefficients.
    rule : str
        One of :data:`RULES` (see Notes).
    penalty : {"l1", "l0"} or Penalty class, default "l1"
        The penalty the weights are for; only ``"lam_max"`` depends on it, and is
        not defined for L2 (a ridge zeroes no group at a finite λ).
    max_columns : int, default 64
        For the column-norm rules on a matrix-free operator: groups of at most
        ``max_columns`` coefficients get exact column norms (one application of
        ``A`` per column); larger groups a random sample of ``max_columns`` of their
        columns. Explicit matrices (numpy, scipy sparse) are always exact.
    rng : int or numpy.random.Generator, default 0
        Seed of that sample; fixed by default, so the weights are deterministic.

    Returns
    -------
    ndarray of float
        One positive weight per group, scaled to a geometric mean of 1 (only the
        ratios matter: the scale :math:`s` is tuned). A new array.

    Raises
    ------
    ValueError
        For an unknown rule, or a group whose weight is zero or not finite (all-zero
        columns, or no correlation with ``b`` for ``"lam_max"``).
    TypeError
        When ``groups`` is not a :class:`~sparseinv.Groups`, or ``rng`` is not a seed
        or a generator.

    Notes
    -----
    With :math:`n_g` the size of group :math:`g`, :math:`a_i` the columns of A and
    :math:`A_g` the columns of group :math:`g`:

    - ``"uniform"``: :math:`w_g = 1`, one λ for all (the single-λ strategy);
    - ``"size"``: :math:`w_g \propto n_g`, larger groups pay more;
    - ``"sqrt_size"``: :math:`w_g \propto \sqrt{n_g}`, the group-lasso convention [1]_;
    - ``"inverse_size"``: :math:`w_g \propto 1/n_g`, small groups are not
      over-penalized by one λ;
    - ``"inverse_frobenius"``: :math:`w_g \propto 1/\|A_g\|_F`, the inverse energy of
      the group's columns;
    - ``"column_norm"``: :math:`w_g \propto \tfrac{1}{n_g}\sum_{i\in g}\|a_i\|_2`, the
      mean column norm: one λ on :math:`\|a_i\| x_i`, as with normalized columns;
    - ``"lam_max"``: :math:`w_g \propto \lambda_{\max,g} = \max_{i\in g}|a_i^Hb|` (L1)
      or :math:`\lambda_{\max,g}^2` (L0).

    ``"lam_max"`` equalizes the per-group thresholds at which the solution stops
    being zero: for L1, :math:`x = 0` is optimal iff
    :math:`\lambda_g \ge \lambda_{\max,g}` for every g, so with
    :math:`\lambda_g = s\,\lambda_{\max,g}` all groups leave zero together at
    :math:`s = 1`; for L0 with unit-norm columns a
    coefficient enters when :math:`\lambda_i < |a_i^Hb|^2/2`, so the matching weight
    is :math:`\lambda_{\max,g}^2`. It favours groups with strong correlations, which
    need not be those that deserve a small λ.

    :math:`\|A_g\|_F^2 = n_g \cdot \operatorname{mean}_{i\in g}\|a_i\|^2` and the mean
    column norm are exact for explicit matrices; for matrix-free operators they are
    computed from ``A e_i`` for every column of a small group and for a random sample
    of ``max_columns`` columns of a large one (an unbiased estimate of the mean).

    References
    ----------
    .. [1] M. Yuan, Y. Lin, "Model selection and estimation in regression with grouped
       variables", J. R. Statist. Soc. B 68, 2006.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> A = np.hstack([np.ones((4, 4)), 2 * np.ones((4, 1))])
    >>> groups = si.Groups.from_sizes([4, 1])
    >>> si.group_weights(A, np.ones(4), groups, "sqrt_size").round(3).tolist()
    [1.414, 0.707]
    >>> si.group_weights(A, np.ones(4), groups, "column_norm").round(3).tolist()
    [0.707, 1.414]
    >>> w = si.group_weights(A, np.ones(4), groups, "lam_max")
    >>> float(w[1] / w[0])
    2.0
    """
    if not isinstance(groups, Groups):
        raise TypeError(f"groups must be a sparseinv.Groups; got {type(groups).__name__}")
    if not isinstance(rule, str) or rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(map(repr, RULES))}; got {rule!r}")
    cls = penalty_type(penalty)
    max_columns = check_positive_number(max_columns, "max_columns", integer=True)
    rng = check_rng(rng)  # checked even when no rule samples: a bad seed is a bad call
    op = A if isinstance(A, CountingOperator) else as_operator(A)
    if groups.n_features != op.shape[1]:
        raise ValueError(
            f"groups cover {groups.n_features} coefficients but A has {op.shape[1]} columns"
        )
    sizes = groups.sizes.astype(float)
    if rule == "uniform":
        raw = np.ones(groups.n_groups)
    elif rule == "size":
        raw = sizes
    elif rule == "sqrt_size":
        raw = np.sqrt(sizes)
    elif rule == "inverse_size":
        raw = 1.0 / sizes
    elif rule in ("inverse_frobenius", "column_norm"):
        norms = _sampled_column_norms(op, groups, max_columns=max_columns, rng=rng)
        if rule == "column_norm":
            raw = np.array([float(np.mean(v)) for v in norms])
        else:
            raw = 1.0 / np.sqrt(sizes * np.array([float(np.mean(v**2)) for v in norms]))
    else:  # lam_max
        if cls.name == "l2":
            raise ValueError(
                "rule 'lam_max' is defined for penalty 'l1' and 'l0' (the λ at which a group "
                "becomes zero); got penalty 'l2', which zeroes no group"
            )
        raw = np.asarray(lam_max(op, b, groups), dtype=float)
        if cls.name == "l0":
            raw = raw**2
    bad = ~np.isfinite(raw) | (raw <= 0)
    if np.any(bad):
        g = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"rule {rule!r} gives group {groups.labels[g]!r} the weight {float(raw[g])!r}; weights "
            "must be finite and > 0 (all-zero columns, or no correlation with b?)"
        )
    return raw / np.exp(np.mean(np.log(raw)))


def column_norms(
    A: Any, groups: Groups, *, max_columns: int = 64, rng: int | np.random.Generator | None = 0
) -> list[NDArray[np.float64]]:
    r"""Euclidean norms :math:`\|a_i\|_2` of the columns of each group (all, or a sample).

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator; a :class:`~sparseinv.operators.CountingOperator` keeps counting.
    groups : Groups
        The partition of the columns.
    max_columns : int, default 64
        Matrix-free operators: most columns per group applied (see
        :func:`group_weights`).
    rng : int or numpy.random.Generator, default 0
        Seed of the column sample.

    Returns
    -------
    list of ndarray
        One array per group: the norms of all its columns (explicit matrices and
        small groups) or of a random sample of ``max_columns`` of them.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> A = np.array([[3.0, 0.0, 1.0], [4.0, 2.0, 0.0]])
    >>> [v.tolist() for v in column_norms(A, si.Groups.from_sizes([2, 1]))]
    [[5.0, 2.0], [1.0]]
    """
    if not isinstance(groups, Groups):
        raise TypeError(f"groups must be a sparseinv.Groups; got {type(groups).__name__}")
    max_columns = check_positive_number(max_columns, "max_columns", integer=True)
    rng = check_rng(rng)
    op = A if isinstance(A, CountingOperator) else as_operator(A)
    return _sampled_column_norms(op, groups, max_columns=max_columns, rng=rng)


def _sampled_column_norms(
    op: CountingOperator, groups: Groups, *, max_columns: int, rng: Any
) -> list[NDArray[np.float64]]:
    matrix = op.operator
    if sp.issparse(matrix):
        squared = np.asarray(abs(matrix).power(2).sum(axis=0)).ravel()
        return [np.sqrt(squared[groups.group(g)]) for g in range(groups.n_groups)]
    if isinstance(matrix, np.ndarray):
        full = np.linalg.norm(matrix, axis=0)
        return [full[groups.group(g)] for g in range(groups.n_groups)]
    gen = np.random.default_rng(rng)
    out = []
    for g in range(groups.n_groups):
        cols = groups.group(g)
        if cols.size > max_columns:
            cols = np.sort(gen.choice(cols, size=max_columns, replace=False))
        e = np.zeros(op.shape[1], dtype=op.dtype)
        norms = np.empty(cols.size)
        for j, col in enumerate(cols):
            e[col] = 1.0
            norms[j] = float(np.linalg.norm(op.matvec(e)))
            e[col] = 0.0
        out.append(norms)
    return out
