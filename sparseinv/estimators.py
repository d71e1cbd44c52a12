r"""scikit-learn estimators: sparse regression with a fixed λ, or λ chosen from the data.

:class:`SparseRegression` fits a linear model with any sparseinv penalty and solver
at a given λ; :class:`SparseRegressionCV` chooses λ (or one λ per group) with
:func:`sparseinv.select_lambda` / :func:`sparseinv.select_group_lambdas` and then
fits at it. Both follow the scikit-learn estimator API (``fit``, ``predict``,
``score``, ``get_params``, cloning, ``Pipeline``, ``GridSearchCV``) and pass
``sklearn.utils.estimator_checks.check_estimator`` up to the checks listed by
:func:`expected_failed_checks`.

scikit-learn is an optional extra: ``pip install "sparseinv[sklearn]"``.
``import sparseinv`` never imports it; importing this module without it raises an
``ImportError`` that names the extra.

The objective keeps sparseinv's convention (:mod:`sparseinv.objective`): with
sample weights :math:`s_i` (all 1 by default) and the intercept :math:`c`,

.. math::

    \min_{w, c}\ \tfrac12\sum_i s_i\,(y_i - x_i^T w - c)^2 + \sum_j \lambda_j R(w_j),

a *sum* of squares, not scikit-learn's mean; :func:`sparseinv.to_sklearn_alpha`
converts (see the Notes of :class:`SparseRegression`).
"""

from __future__ import annotations

import inspect
import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator

import sparseinv
from sparseinv._validation import check_flag, check_positive_number
from sparseinv.groups import Groups
from sparseinv.penalties import Penalty
from sparseinv.result import SolveResult
from sparseinv.selection._engine import check_choice
from sparseinv.solvers import resolve_solver

_EXTRA = 'pip install "sparseinv[sklearn]"'
try:
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as err:  # scikit-learn missing, or older than 1.6 (no validate_data)
    raise ImportError(
        f"sparseinv.estimators needs scikit-learn >= 1.6, the optional extra of sparseinv: {_EXTRA}"
    ) from err

__all__ = [
    "PENALTY_NAMES",
    "CentredSparseDesign",
    "SparseRegression",
    "SparseRegressionCV",
    "expected_failed_checks",
    "make_penalty",
]

#: the ``penalty`` names of the estimators; "l21" and "elasticnet" need a sparseinv
#: with group sparsity (``sparseinv.L21``) and penalty sums (``L1(a) + L2(c)``)
PENALTY_NAMES = ("l0", "l1", "l2", "l21", "elasticnet")
_SELECTION_METHODS = ("cv", "sure", "gcv", "discrepancy")


# ---------------------------------------------------------------------- the design
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


def _accepts(cls: type, keyword: str) -> bool:
    return keyword in inspect.signature(cls).parameters


def make_penalty(
    name: str,
    lam: Any,
    *,
    groups: Groups | None = None,
    bounds: Any = None,
    l1_ratio: float = 0.5,
) -> Penalty:
    """The sparseinv penalty an estimator's ``penalty``, ``lam`` and ``bounds`` stand for.

    Parameters
    ----------
    name : {"l0", "l1", "l2", "l21", "elasticnet"}
        The penalty (see :data:`PENALTY_NAMES`).
    lam : float or array_like
        λ in sparseinv's convention (any shape the penalties take).
    groups : Groups, optional
        The groups of a per-group λ (required for ``"l21"``).
    bounds : tuple, optional
        ``(lower, upper)``, passed to the penalty constructor.
    l1_ratio : float, optional
        For ``"elasticnet"``: ``L1(l1_ratio·lam) + L2((1 − l1_ratio)·lam)``.

    Returns
    -------
    Penalty

    Raises
    ------
    ValueError
        For an unknown name, or a penalty or option this sparseinv does not have.

    Examples
    --------
    >>> make_penalty("l1", 0.5)
    L1(0.5)
    """
    name = check_choice(name, "penalty", PENALTY_NAMES)
    extra: dict[str, Any] = {} if groups is None else {"groups": groups}
    if name == "elasticnet":
        ratio = check_positive_number(l1_ratio, "l1_ratio", allow_zero=True)
        if ratio > 1:
            raise ValueError(f"l1_ratio must be in [0, 1]; got {l1_ratio!r}")
        lam_arr = lam if isinstance(lam, numbers.Real) else np.asarray(lam, dtype=float)
        parts = [
            _penalty_class("l1", bounds)(ratio * lam_arr, **extra, **_bounds(bounds)),
            _penalty_class("l2", bounds)((1 - ratio) * lam_arr, **extra, **_bounds(bounds)),
        ]
        try:
            return parts[0] + parts[1]
        except TypeError:
            raise ValueError(
                "penalty='elasticnet' needs penalty sums (sparseinv.L1(a) + sparseinv.L2(c), "
                f"issue 12), which sparseinv {sparseinv.__version__} does not have"
            ) from None
    cls = _penalty_class(name, bounds)
    if name == "l21" and groups is None:
        raise ValueError("penalty='l21' needs groups (a sparseinv.Groups or one label per feature)")
    return cls(lam, **extra, **_bounds(bounds))


def _bounds(bounds: Any) -> dict[str, Any]:
    return {} if bounds is None else {"bounds": bounds}


def _penalty_class(name: str, bounds: Any) -> type[Penalty]:
    """The penalty class of a name, if this sparseinv has it (and takes ``bounds``)."""
    cls = getattr(sparseinv, name.upper(), None)
    if cls is None:
        raise ValueError(
            f"penalty={name!r} needs sparseinv.{name.upper()} (group sparsity, issue 12), which "
            f"sparseinv {sparseinv.__version__} does not have"
        )
    if bounds is not None and not _accepts(cls, "bounds"):
        raise ValueError(
            f"bounds needs penalties that accept bounds=(lower, upper) (issue 12); "
            f"sparseinv {sparseinv.__version__}'s {cls.__name__} does not"
        )
    return cls


# ---------------------------------------------------------------------- shared fitting
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


class SparseRegressionCV(_LinearModel):
    r"""Linear regression with a sparseinv penalty and λ chosen from the data.

    λ (or one λ per group) is chosen on a warm-started path from λ_max down by
    :func:`sparseinv.select_lambda` (``per_group=False``) or
    :func:`sparseinv.select_group_lambdas` (``per_group=True``); the model is then
    fitted at the chosen λ from zero, exactly as :class:`SparseRegression` with
    ``lam=lam_`` would be.

    Parameters
    ----------
    penalty : {"l1", "l0", "l2"}, optional
        The penalty (default ``"l1"``); any penalty :func:`sparseinv.select_lambda`
        takes (``"l21"`` once it does).
    method : {"cv", "sure", "gcv", "discrepancy"}, optional
        The criterion (default ``"cv"``, K-fold cross-validation over the
        samples): see the Notes of :func:`sparseinv.select_lambda`. Per group:
        ``"cv"``, ``"sure"`` or ``"gcv"``.
    per_group : bool, optional
        Choose one λ per group of ``groups`` (default False: one λ).
    weights : array_like, optional
        Fixed ratios, λ = s·w with one w per group (with ``groups``) or per feature;
        the scale s is chosen (``per_group=False`` only).
    lams : array_like, optional
        The grid of λ (of scales s with ``weights``), from large to small; default
        ``n_lambdas`` values from λ_max down, geometric.
    n_lambdas : int, optional
        Size of the default grid (default 30).
    lam_min_ratio : float, optional
        Smallest over largest λ of the default grid (default: the penalty's, see
        :func:`sparseinv.select_lambda`).
    n_folds : int, optional
        K of K-fold cross-validation (default 5), at most the number of samples.
    noise_std : float, optional
        σ of the noise of y, for ``"sure"`` and ``"discrepancy"``; None estimates it
        as ``noise_method`` says.
    noise_method : {"auto", "least_squares", "wavelet", "cv"}, optional
        How σ is estimated when not given (default ``"auto"``).<common>
    random_state : int, RandomState instance or None, optional
        Seed of the folds and of the degrees-of-freedom probes (default None); an
        int gives the same λ on every fit.
    selection_options : dict, optional
        Further keyword arguments of the selection function (``tau``,
        ``n_probes``, ``n_confirm``, ``starts``...).

    Attributes
    ----------
    lam_ : float or ndarray
        The chosen λ: a float; ``(n_groups,)`` per group, or the array s·w with
        ``weights``; for a 2-D y one more trailing axis of one entry per output.
    lams_ : ndarray
        The λ path of the single-λ stage, from the largest down, shape
        ``(n_lambdas,)`` (``(n_lambdas, len(weights))`` with weights); a trailing
        axis per output for a 2-D y.
    criterion_path_ : ndarray
        The criterion along ``lams_`` (for ``"discrepancy"`` the ratio
        ‖r‖ / (τσ√m), chosen where it crosses 1); a trailing axis per output.
    selection_ : LambdaSelection or GroupLambdaSelection, or list of them
        The whole selection result (one per output for a 2-D y): noise estimate,
        per-group search, costs.
    coef_, intercept_, n_iter_, objective_, converged_
        As in :class:`SparseRegression`, from the fit at ``lam_``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        The feature names, when X had them.

    See Also
    --------
    SparseRegression : The same model at a fixed λ.
    sparseinv.select_lambda, sparseinv.select_group_lambdas : The selection.

    Notes
    -----
    The selection runs on the centred design (see below), so the folds of
    ``"cv"`` are rows of X centred with the means of all samples, and a 2-D y is
    selected one output at a time (each its own λ), then fitted in one batched
    solve with one λ per output. ``fit`` takes no sample weights: the criteria
    count each sample as one observation.
    <alpha>

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv.estimators import SparseRegressionCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 20))
    >>> y = 2.0 * X[:, 0] - X[:, 5] + 0.1 * rng.standard_normal(60)
    >>> model = SparseRegressionCV(method="sure", noise_std=0.1, n_lambdas=20).fit(X, y)
    >>> model.lams_.shape, bool(model.lam_ < model.lams_[0])
    ((20,), True)
    >>> sorted(np.argsort(-np.abs(model.coef_))[:2].tolist())  # the two largest
    [0, 5]
    """

    def __init__(
        self,
        penalty: str = "l1",
        *,
        method: str = "cv",
        per_group: bool = False,
        weights: Any = None,
        lams: Any = None,
        n_lambdas: int = 30,
        lam_min_ratio: float | None = None,
        n_folds: int = 5,
        noise_std: float | None = None,
        noise_method: str = "auto",
        groups: Any = None,
        solver: Any = "fista",
        fit_intercept: bool = True,
        max_iter: int | None = None,
        tol: float | None = None,
        solver_options: dict[str, Any] | None = None,
        random_state: Any = None,
        selection_options: dict[str, Any] | None = None,
    ) -> None:
        self.penalty = penalty
        self.method = method
        self.per_group = per_group
        self.groups = groups
        self.weights = weights
        self.lams = lams
        self.n_lambdas = n_lambdas
        self.lam_min_ratio = lam_min_ratio
        self.n_folds = n_folds
        self.noise_std = noise_std
        self.noise_method = noise_method
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.selection_options = selection_options
        self.solver_options = solver_options

    def fit(self, X: Any, y: Any) -> SparseRegressionCV:
        """Choose λ, then fit the coefficients and the intercept at it.

        Parameters
        ----------
        X : array_like or sparse matrix
            Shape ``(n_samples, n_features)``; a scipy sparse X stays sparse.
        y : array_like
            Shape ``(n_samples,)``, or ``(n_samples, n_outputs)``.

        Returns
        -------
        SparseRegressionCV
            The fitted estimator.
        """
        X, y = _validate(self, X, y)
        check_flag(self.fit_intercept, "fit_intercept")
        per_group = check_flag(self.per_group, "per_group")
        name = self._penalty_name()
        method = check_choice(self.method, "method", _SELECTION_METHODS)
        groups = _resolve_groups(self.groups, X.shape[1])
        if per_group:
            if groups is None:
                raise ValueError("per_group=True needs groups (one λ is chosen per group)")
            if method == "discrepancy":
                raise ValueError(
                    "per_group=True chooses λ by 'cv', 'sure' or 'gcv'; got method='discrepancy'"
                )
            if self.weights is not None:
                raise ValueError("weights fix the ratios of one λ: they need per_group=False")
        n_folds = check_positive_number(self.n_folds, "n_folds", integer=True)
        if method == "cv" and X.shape[0] < n_folds:
            raise ValueError(
                f"method='cv' with n_folds={n_folds} needs at least {n_folds} samples; "
                f"got n_samples={X.shape[0]}"
            )
        design = _Design(X, y, None, self.fit_intercept)
        B = design.B
        seeds = check_random_state(self.random_state).randint(2**31 - 1, size=B.shape[1])
        options = {
            "method": method,
            "noise_std": self.noise_std,
            "noise_method": self.noise_method,
            "lams": self.lams,
            "n_lambdas": self.n_lambdas,
            "lam_min_ratio": self.lam_min_ratio,
            "n_folds": n_folds,
            "solver": self.solver,
            **(self.selection_options or {}),
            **self._solver_options(),
        }
        # a centred y orthogonal to every feature (a constant y, one sample) has coef_ = 0
        # for every λ: there is no path to choose from
        flat = np.flatnonzero(np.atleast_1d(sparseinv.lam_max(design.A, design.rhs())) == 0)
        if flat.size:
            raise ValueError(
                "y gives nothing to choose λ from: Xᵀ(y - ȳ) = 0"
                f"{f' for output {int(flat[0])}' if design.multi_output else ''}, so coef_ = 0 "
                f"for every λ (n_samples={X.shape[0]}); fit SparseRegression instead"
            )
        selections = []
        for j in range(B.shape[1]):
            if per_group:
                sel = sparseinv.select_group_lambdas(
                    design.A, B[:, j], groups, name, rng=int(seeds[j]), **options
                )
            else:
                sel = sparseinv.select_lambda(
                    design.A,
                    B[:, j],
                    name,
                    groups=groups,
                    weights=self.weights,
                    rng=int(seeds[j]),
                    **options,
                )
            selections.append(sel)
        paths = [sel.single if per_group else sel for sel in selections]
        if design.multi_output:
            self.lam_ = np.stack([np.asarray(sel.lam, dtype=float) for sel in selections], -1)
            self.lams_ = np.stack([p.path_lams for p in paths], axis=-1)
            self.criterion_path_ = np.stack([p.criterion for p in paths], axis=-1)
            self.selection_ = selections
            lam = self.lam_.reshape(1, -1) if self.lam_.ndim == 1 else self.lam_
        else:
            sel = selections[0]
            self.lam_ = sel.lam if isinstance(sel.lam, float) else np.array(sel.lam)
            self.lams_ = np.array(paths[0].path_lams)
            self.criterion_path_ = np.array(paths[0].criterion)
            self.selection_ = sel
            lam = self.lam_
        self._fit_at(design, make_penalty(name, lam, groups=groups), x0=None)
        return self

    def _penalty_name(self) -> str:
        """The penalty name, if the selection functions take that penalty."""
        name = check_choice(self.penalty, "penalty", PENALTY_NAMES)
        try:
            sparseinv.penalty_type(name)
        except ValueError:
            raise ValueError(
                f"SparseRegressionCV chooses λ for the penalties of sparseinv.select_lambda "
                f"({', '.join(p.name for p in sparseinv.PENALTIES)}); got penalty={name!r} "
                "(fit SparseRegression in a GridSearchCV over lam instead)"
            ) from None
        return name


SparseRegressionCV.__doc__ = _fill(
    SparseRegressionCV.__doc__, "Needed by ``per_group=True`` and by per-group ``weights``."
)


# ---------------------------------------------------------------------- estimator checks
def expected_failed_checks(estimator: BaseEstimator) -> dict[str, str]:
    """The scikit-learn estimator checks that ``estimator`` is expected to fail.

    scikit-learn's convention (``check_estimator(..., expected_failed_checks=...)``,
    ``parametrize_with_checks(..., expected_failed_checks=expected_failed_checks)``):
    check name to the reason it fails.

    Parameters
    ----------
    estimator : BaseEstimator
        A :class:`SparseRegression` or :class:`SparseRegressionCV` (any other
        estimator has no expected failure here).

    Returns
    -------
    dict of str to str
        Check name to reason; empty when every check passes.

    Examples
    --------
    >>> expected_failed_checks(SparseRegression())
    {}
    """
    return dict(_EXPECTED_FAILURES.get(type(estimator), {}))


_EXPECTED_FAILURES: dict[type, dict[str, str]] = {}
