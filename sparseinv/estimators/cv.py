"""SparseRegressionCV: λ (or one λ per group) chosen from the data, then the fit at it."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import check_random_state

import sparseinv
from sparseinv._validation import check_flag, check_positive_number
from sparseinv.estimators._base import _fill, _LinearModel
from sparseinv.estimators._design import _Design, _resolve_groups, _validate
from sparseinv.estimators._penalty import PENALTY_NAMES, make_penalty
from sparseinv.selection._engine import check_choice

_SELECTION_METHODS = ("cv", "sure", "gcv", "discrepancy")


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
