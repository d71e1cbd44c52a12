"""What both estimators share: parameters, fitting through a sparseinv solver, prediction."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from sparseinv.estimators._design import _Design
from sparseinv.penalties import Penalty
from sparseinv.result import SolveResult
from sparseinv.solvers import resolve_solver


class _LinearModel(RegressorMixin, BaseEstimator):
    """What both estimators share: the solve at one λ, prediction and tags."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags

    def _solver_options(self) -> dict[str, Any]:
        options = dict(self.solver_options or {})
        if self.max_iter is not None:
            options["max_iter"] = self.max_iter
        if self.tol is not None:
            options["tol"] = self.tol
        return options

    def _fit_at(self, design: _Design, penalty: Penalty, x0: Any) -> SolveResult:
        """Solve at ``penalty`` and set the fitted attributes."""
        solve = resolve_solver(self.solver)
        res = solve(design.A, design.rhs(), penalty, x0=x0, **self._solver_options())
        coef = np.asarray(res.x)
        block = coef.reshape(design.n_features, -1)
        intercept = design.intercept(block) if self.fit_intercept else np.zeros(block.shape[1])
        if design.multi_output:
            self.coef_ = np.ascontiguousarray(block.T)
            self.intercept_ = np.asarray(intercept, dtype=coef.dtype)
            self.n_iter_ = np.asarray(res.n_iter)
            self.objective_ = np.asarray(res.objective)
            self.converged_ = np.asarray(res.converged)
        else:
            self.coef_ = coef
            self.intercept_ = float(intercept[0])
            self.n_iter_ = int(res.n_iter)
            self.objective_ = float(res.objective)
            self.converged_ = bool(res.converged)
        return res

    def predict(self, X: Any) -> NDArray:
        """Predict with the fitted linear model, ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array_like or sparse matrix
            Shape ``(n_samples, n_features)``.

        Returns
        -------
        ndarray
            Shape ``(n_samples,)``, or ``(n_samples, n_outputs)`` for a 2-D y.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32), reset=False
        )
        return np.asarray(X @ self.coef_.T) + self.intercept_


_COMMON_PARAMETERS = """
    groups : Groups or array_like, optional
        The groups of the features: a :class:`~sparseinv.Groups`, or one label per
        feature (:meth:`~sparseinv.Groups.from_labels`).<groups_extra>
    solver : {"fista", "ista", "irls"} or callable, optional
        The sparseinv solver (default ``"fista"``), or a function with the solvers'
        signature.
    fit_intercept : bool, optional
        Fit an unpenalized intercept (default True); see Notes.
    max_iter : int, optional
        Most iterations of each solve; None (default) keeps the solver's default
        (1000 for ISTA/FISTA, 100 for IRLS).
    tol : float, optional
        Tolerance of the solver's optimality measure (the relative duality gap for
        L1, see :func:`sparseinv.fista`); None keeps the solver's default (1e-6).
    solver_options : dict, optional
        Further keyword arguments of the solver (``step``, ``restart``...)."""

_SKLEARN_ALPHA_NOTES = r"""
    **λ and scikit-learn's alpha.** sparseinv's objective is a *sum* of squared
    residuals (:mod:`sparseinv.objective`), scikit-learn's ``Lasso`` and
    ``ElasticNet`` a *mean*, :math:`\frac1{2N}\|y - Xw\|^2 + \alpha(\ldots)`. The one
    conversion is :func:`sparseinv.to_sklearn_alpha` /
    :func:`sparseinv.from_sklearn_alpha`: ``alpha = lam / N`` with N the number of
    samples, or the sum of the sample weights when there are weights
    (scikit-learn rescales its weights to sum to N). So

    - ``Lasso(alpha)`` is ``penalty="l1", lam=from_sklearn_alpha(alpha, N)``, and
      ``Lasso(alpha, positive=True)`` adds ``bounds=(0, np.inf)``;
    - ``ElasticNet(alpha, l1_ratio=r)`` is ``penalty="elasticnet", l1_ratio=r,
      lam=from_sklearn_alpha(alpha, N)``;
    - ``Ridge(alpha)``, whose objective :math:`\|y - Xw\|^2 + \alpha\|w\|^2` has no
      :math:`\frac1N` and is twice sparseinv's L2 objective at λ = alpha, is
      ``penalty="l2", lam=alpha``.

    The same λ therefore means a stronger regularization for fewer samples; a
    sample weight of 2 counts a sample twice (fitting with integer weights equals
    fitting on the repeated samples).

    **Intercept.** With ``fit_intercept=True`` the intercept is eliminated in closed
    form: with the weighted means :math:`\mu = \sum_i s_i x_i / \sum_i s_i` and
    :math:`\bar y`, the solver minimizes
    :math:`\frac12\|S^{1/2}((X - \mathbf 1\mu^T)w - (y - \bar y))\|^2 + \sum_j
    \lambda_j R(w_j)` and ``intercept_`` is :math:`\bar y - \mu^T w`. A dense X is
    centred in a copy; a scipy sparse X is never densified: it is centred
    implicitly, by a matrix-free operator (:class:`CentredSparseDesign`) that
    subtracts :math:`\mu^T v` from every entry of :math:`Xv`. The bounds and the
    penalty act on ``coef_`` only; the intercept is free."""


def _fill(doc: str, groups_extra: str) -> str:
    """A class docstring with the shared parameters and notes put in."""
    common = _COMMON_PARAMETERS.replace("<groups_extra>", " " + groups_extra)
    return doc.replace("<common>", common).replace(
        "\n    <alpha>\n", "\n" + _SKLEARN_ALPHA_NOTES + "\n"
    )
