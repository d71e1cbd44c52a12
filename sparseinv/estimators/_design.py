"""The least-squares problem of an estimator: validation, sample weights, the intercept
eliminated by centring (implicitly for a sparse X)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data

from sparseinv.groups import Groups


class CentredSparseDesign(LinearOperator):
    r"""The centred, weighted design :math:`S^{1/2}(X - \mathbf 1\mu^T)` of a sparse X.

    Applied matrix-free, so a sparse X is never densified: the centring is the
    rank-one correction :math:`-\mathbf 1(\mu^T v)` of :math:`Xv` and
    :math:`-\mu(\mathbf 1^T r)` of :math:`X^T r`.

    Parameters
    ----------
    X : scipy sparse matrix or array
        Shape ``(n_samples, n_features)``.
    mean : ndarray
        The column means μ subtracted, shape ``(n_features,)``.
    sqrt_weight : ndarray, optional
        :math:`\sqrt{s_i}` per sample; None for unit weights.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]]))
    >>> op = CentredSparseDesign(X, np.array([4.0, 2.0]) / 3)
    >>> np.allclose(op @ np.eye(2), X.toarray() - X.toarray().mean(axis=0))
    True
    """

    def __init__(self, X: Any, mean: NDArray, sqrt_weight: NDArray | None = None) -> None:
        self._X = X.tocsr()
        self._XT = X.T.tocsr()
        self._mean = np.asarray(mean, dtype=X.dtype)
        self._sqrt_weight = None if sqrt_weight is None else sqrt_weight.astype(X.dtype)
        super().__init__(dtype=X.dtype, shape=X.shape)

    def _matmat(self, V: NDArray) -> NDArray:
        out = np.asarray(self._X @ V) - self._mean @ V
        if self._sqrt_weight is not None:
            out *= self._sqrt_weight[:, None]
        return out

    def _matvec(self, v: NDArray) -> NDArray:
        return self._matmat(v.reshape(-1, 1)).reshape(-1)

    def _rmatmat(self, R: NDArray) -> NDArray:
        if self._sqrt_weight is not None:
            R = R * self._sqrt_weight[:, None]
        return np.asarray(self._XT @ R) - np.outer(self._mean, R.sum(axis=0))

    def _rmatvec(self, r: NDArray) -> NDArray:
        return self._rmatmat(r.reshape(-1, 1)).reshape(-1)


class _Design:
    """The least-squares problem left once the intercept is eliminated."""

    def __init__(self, X: Any, y: NDArray, sample_weight: NDArray | None, fit_intercept: bool):
        dtype = X.dtype
        m, n = X.shape
        Y = y.reshape(m, -1).astype(dtype, copy=False)
        sqrt_w = None if sample_weight is None else np.sqrt(sample_weight)
        if fit_intercept:
            w = np.ones(m, dtype=dtype) if sample_weight is None else sample_weight
            total = w.sum()
            self.x_offset = np.asarray(X.T @ w, dtype=dtype).reshape(n) / total
            self.y_offset = (w @ Y) / total
        else:
            self.x_offset = np.zeros(n, dtype=dtype)
            self.y_offset = np.zeros(Y.shape[1], dtype=dtype)
        B = Y - self.y_offset
        if sp.issparse(X):
            if fit_intercept or sqrt_w is not None:
                self.A: Any = CentredSparseDesign(X, self.x_offset, sqrt_w)
            else:
                self.A = X
        else:
            self.A = np.asarray(X) - self.x_offset  # a fresh array: X is never written to
            if sqrt_w is not None:
                self.A *= sqrt_w[:, None]
        self.B = B if sqrt_w is None else B * sqrt_w[:, None]
        self.multi_output = y.ndim == 2
        self.n_features = n

    def rhs(self) -> NDArray:
        """b as the solvers take it: 1-D for one output, ``(m, k)`` for several."""
        return self.B if self.multi_output else self.B[:, 0]

    def intercept(self, coef_block: NDArray) -> NDArray:
        """The optimal intercept of each output for coefficients ``(n, k)``."""
        return self.y_offset - self.x_offset @ coef_block


def _validate(estimator: BaseEstimator, X: Any, y: Any) -> tuple[Any, NDArray]:
    """X (float32/float64, dense or CSR/CSC) and y (1-D or 2-D, X's dtype)."""
    X, y = validate_data(
        estimator,
        X,
        y,
        accept_sparse=("csr", "csc"),
        dtype=(np.float64, np.float32),
        multi_output=True,
        y_numeric=True,
    )
    if y.ndim == 2 and y.shape[1] == 0:
        raise ValueError(f"y must have at least one column; got shape {y.shape}")
    return X, np.asarray(y, dtype=X.dtype)


def _check_sample_weight(sample_weight: Any, n_samples: int, dtype: Any) -> NDArray | None:
    """None, or finite non-negative weights, one per sample, not all zero (a copy)."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        sample_weight = np.full(n_samples, float(sample_weight))
    w = np.array(sample_weight, dtype=dtype)
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must hold one weight per sample, shape ({n_samples},); "
            f"got shape {w.shape}"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and >= 0; got a NaN, inf or negative")
    if not w.sum() > 0:
        raise ValueError("sample_weight must not be all zero: there would be nothing to fit")
    return w


def _resolve_groups(groups: Any, n_features: int) -> Groups | None:
    """A ``Groups`` for n_features coefficients from a Groups or one label per feature."""
    if groups is None:
        return None
    if not isinstance(groups, Groups):
        labels = np.asarray(groups)
        if labels.ndim != 1 or labels.size != n_features:
            raise ValueError(
                "groups must be a sparseinv.Groups or one label per feature "
                f"({n_features} features); got {labels.size} labels of shape {labels.shape}"
            )
        groups = Groups.from_labels(labels)
    if groups.n_features != n_features:
        raise ValueError(
            f"groups cover {groups.n_features} coefficients but X has {n_features} features"
        )
    return groups
