"""SparseRegression: a linear model fitted with any sparseinv penalty and solver at a given λ."""

from __future__ import annotations

from typing import Any

from sparseinv._validation import check_flag
from sparseinv.estimators._base import _fill, _LinearModel
from sparseinv.estimators._design import (
    _check_sample_weight,
    _Design,
    _resolve_groups,
    _validate,
)
from sparseinv.estimators._penalty import make_penalty


class SparseRegression(_LinearModel):
    r"""Linear regression with a sparseinv penalty at a given λ.

    Parameters
    ----------
    penalty : {"l1", "l0", "l2", "l21", "elasticnet"}, optional
        The penalty R (default ``"l1"``): :class:`~sparseinv.L1` (lasso),
        :class:`~sparseinv.L0`, :class:`~sparseinv.L2` (ridge); ``"l21"`` (group
        lasso, needs ``groups``) and ``"elasticnet"`` (``L1(l1_ratio·lam) +
        L2((1 − l1_ratio)·lam)``) where this sparseinv has them (see
        :func:`make_penalty`).
    lam : float or array_like, optional
        λ ≥ 0 in sparseinv's convention (default 1.0; see Notes for scikit-learn's
        alpha): one number, one value per group (with ``groups``), one per feature,
        or 2-D with one column per output of a 2-D y (the table in
        :mod:`sparseinv.penalties`).
    l1_ratio : float, optional
        The L1 share of ``"elasticnet"``, in [0, 1] (default 0.5); ignored otherwise.
    bounds : tuple, optional
        ``(lower, upper)`` on the coefficients (scalars or one per feature,
        ``-inf``/``inf`` allowed), passed to the penalty constructor where this
        sparseinv's penalties take it; ``(0, np.inf)`` fits non-negative
        coefficients.<common>
    warm_start : bool, optional
        Start the next ``fit`` from the current ``coef_`` (when its shape fits)
        instead of zero (default False).

    Attributes
    ----------
    coef_ : ndarray
        The coefficients, shape ``(n_features,)``, or ``(n_outputs, n_features)``
        for a 2-D y.
    intercept_ : float or ndarray
        The intercept (0.0 without ``fit_intercept``); ``(n_outputs,)`` for a 2-D y.
    n_iter_ : int or ndarray of int
        Iterations of the solve (one per output for a 2-D y).
    objective_ : float or ndarray
        The minimized objective (see Notes) at ``coef_``, one per output for a 2-D y.
    converged_ : bool or ndarray of bool
        Whether the solve reached ``tol`` (one per output for a 2-D y; a
        :class:`~sparseinv.ConvergenceWarning` says when not).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        The feature names, when X had them (a pandas DataFrame).

    See Also
    --------
    SparseRegressionCV : The same model with λ chosen from the data.
    sparseinv.fista : The default solver.

    Notes
    -----
    ``fit`` minimizes

    .. math::

        \tfrac12\sum_i s_i\,(y_i - x_i^T w - c)^2 + \sum_j \lambda_j R(w_j)

    over the coefficients :math:`w` (``coef_``) and the intercept :math:`c`, with
    sample weights :math:`s_i` (default 1). A 2-D y of k outputs is one batched
    solve of k problems (``b`` of shape ``(m, k)``): each output is fitted as if
    alone, with its own λ when ``lam`` has one column per output.
    <alpha>

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv.estimators import SparseRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> y = 3.0 * X[:, 0] - 2.0 * X[:, 3] + 1.0 + 0.01 * rng.standard_normal(50)
    >>> model = SparseRegression("l1", lam=1.0).fit(X, y)
    >>> np.flatnonzero(model.coef_).tolist(), round(model.intercept_, 1)
    ([0, 3], 1.0)
    """

    def __init__(
        self,
        penalty: str = "l1",
        lam: Any = 1.0,
        *,
        l1_ratio: float = 0.5,
        bounds: Any = None,
        groups: Any = None,
        solver: Any = "fista",
        fit_intercept: bool = True,
        max_iter: int | None = None,
        tol: float | None = None,
        solver_options: dict[str, Any] | None = None,
        warm_start: bool = False,
    ) -> None:
        self.penalty = penalty
        self.lam = lam
        self.l1_ratio = l1_ratio
        self.groups = groups
        self.bounds = bounds
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.solver_options = solver_options

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SparseRegression:
        """Fit the coefficients and the intercept.

        Parameters
        ----------
        X : array_like or sparse matrix
            Shape ``(n_samples, n_features)``; a scipy sparse X stays sparse.
        y : array_like
            Shape ``(n_samples,)``, or ``(n_samples, n_outputs)``.
        sample_weight : array_like, optional
            One weight ≥ 0 per sample (see Notes of the class).

        Returns
        -------
        SparseRegression
            The fitted estimator.
        """
        X, y = _validate(self, X, y)
        check_flag(self.fit_intercept, "fit_intercept")
        warm_start = check_flag(self.warm_start, "warm_start")
        design = _Design(
            X, y, _check_sample_weight(sample_weight, X.shape[0], X.dtype), self.fit_intercept
        )
        groups = _resolve_groups(self.groups, X.shape[1])
        penalty = make_penalty(
            self.penalty, self.lam, groups=groups, bounds=self.bounds, l1_ratio=self.l1_ratio
        )
        x0 = None
        shape = (y.shape[1], X.shape[1]) if y.ndim == 2 else (X.shape[1],)
        if warm_start and getattr(self, "coef_", None) is not None:
            if self.coef_.shape == shape:
                x0 = self.coef_.T
        self._fit_at(design, penalty, x0)
        return self


SparseRegression.__doc__ = _fill(
    SparseRegression.__doc__, 'Needed by ``"l21"`` and by a per-group ``lam``.'
)
