"""The scikit-learn face: sparseinv.estimators against scikit-learn's own models and checks.

References: scikit-learn's ``Lasso``, ``Ridge`` and ``ElasticNet`` after the alpha
conversion of :mod:`sparseinv.objective` (coefficients and intercepts to 1e-6),
per-output fits for multi-output y, ``check_estimator`` through
``parametrize_with_checks``, the selection functions on the centred data, and
KKT conditions where no reference exists.
"""

from __future__ import annotations

import doctest
import inspect
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import sparseinv as si

pytest.importorskip("sklearn", minversion="1.6")

from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparseinv.estimators import (
    CentredSparseDesign,
    SparseRegression,
    SparseRegressionCV,
    expected_failed_checks,
    make_penalty,
)

TIGHT = {"tol": 1e-12, "max_iter": 20000}
SK_TIGHT = {"tol": 1e-14, "max_iter": 200000}


def _has_sums() -> bool:
    try:
        si.L1(1.0) + si.L2(1.0)
    except TypeError:
        return False
    return True


HAS_L21 = hasattr(si, "L21")
HAS_SUMS = _has_sums()
HAS_BOUNDS = "bounds" in inspect.signature(si.L1).parameters
needs_l21 = pytest.mark.skipif(
    not HAS_L21, reason="sparseinv.L21 (group sparsity, issue 12 penalties part) not merged yet"
)
needs_sums = pytest.mark.skipif(
    not HAS_SUMS, reason="penalty sums L1(a) + L2(c) (issue 12 penalties part) not merged yet"
)
needs_bounds = pytest.mark.skipif(
    not HAS_BOUNDS, reason="bounds= on the penalties (issue 12 penalties part) not merged yet"
)


def regression(m=60, n=25, k=None, *, seed=0, offset=2.0):
    """Gaussian X with shifted, scaled columns and a sparse truth (so centring matters)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n)) * rng.uniform(0.5, 2.0, n) + rng.uniform(-1, 3, n)
    coef = np.zeros((n, k or 1))
    coef[rng.choice(n, 5, replace=False)] = rng.standard_normal((5, k or 1)) * 3
    Y = X @ coef + offset + 0.3 * rng.standard_normal((m, k or 1))
    return X, (Y if k else Y[:, 0])


def assert_same_model(ours, ref, *, atol=1e-6):
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=0, atol=atol)


# ---------------------------------------------------------------------- packaging
def test_sklearn_stays_optional():
    # one fresh interpreter: import sparseinv loads no sklearn; then, with sklearn made
    # unimportable, sparseinv.estimators raises an ImportError that names the extra
    code = (
        "import sys, sparseinv\n"
        "assert 'sklearn' not in sys.modules, 'import sparseinv imported sklearn'\n"
        "sys.modules['sklearn'] = None\n"
        "try:\n    import sparseinv.estimators\n"
        "except ImportError as err:\n    print(err)\n"
        "else:\n    raise SystemExit('no ImportError')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert "sparseinv[sklearn]" in out.stdout and "scikit-learn" in out.stdout


# ---------------------------------------------------------------------- references
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_lasso_equals_sklearn_after_alpha_conversion(fit_intercept, weighted):
    X, y = regression()
    sw = np.random.default_rng(3).integers(0, 4, X.shape[0]).astype(float) if weighted else None
    alpha = 0.05
    ref = Lasso(alpha=alpha, fit_intercept=fit_intercept, **SK_TIGHT).fit(X, y, sample_weight=sw)
    n_eff = X.shape[0] if sw is None else int(sw.sum())  # scikit-learn rescales sw to sum to m
    lam = si.from_sklearn_alpha(alpha, n_eff)
    ours = SparseRegression("l1", lam, fit_intercept=fit_intercept, **TIGHT).fit(X, y, sw)
    assert 0 < np.count_nonzero(ours.coef_) < X.shape[1]
    assert_same_model(ours, ref)
    assert ours.converged_ and ours.n_iter_ >= 1
    # objective_ is F at coef_ with the optimal intercept, in sparseinv's convention
    s = np.ones(X.shape[0]) if sw is None else sw
    r = y - X @ ours.coef_ - ours.intercept_
    expected = 0.5 * np.sum(s * r**2) + lam * np.abs(ours.coef_).sum()
    np.testing.assert_allclose(ours.objective_, expected, rtol=1e-12)


def test_ridge_equals_sklearn_with_lam_equal_alpha():
    X, y = regression()
    sw = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0])
    ref = Ridge(alpha=7.0, solver="cholesky").fit(X, y, sample_weight=sw)
    ours = SparseRegression("l2", 7.0, **TIGHT).fit(X, y, sample_weight=sw)
    assert_same_model(ours, ref)


@needs_sums
@pytest.mark.parametrize("l1_ratio", [0.3, 0.8])
def test_elastic_net_equals_sklearn(l1_ratio):
    X, y = regression()
    alpha = 0.08
    ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, **SK_TIGHT).fit(X, y)
    lam = si.from_sklearn_alpha(alpha, X.shape[0])
    ours = SparseRegression("elasticnet", lam, l1_ratio=l1_ratio, **TIGHT).fit(X, y)
    assert_same_model(ours, ref)


@needs_bounds
def test_bounds_zero_inf_equal_positive_lasso():
    X, y = regression(seed=4)
    ref = Lasso(alpha=0.02, positive=True, **SK_TIGHT).fit(X, y)
    lam = si.from_sklearn_alpha(0.02, X.shape[0])
    ours = SparseRegression("l1", lam, bounds=(0.0, np.inf), **TIGHT).fit(X, y)
    assert ours.coef_.min() >= 0 and np.any(ref.coef_ == 0)
    assert_same_model(ours, ref)


@needs_l21
def test_group_lasso_meets_its_kkt_conditions_per_group():
    X, y = regression(m=80, n=24, seed=5)
    labels = np.repeat(np.arange(6), 4)
    lam = np.linspace(20.0, 60.0, 6)
    model = SparseRegression("l21", lam, groups=labels, **TIGHT).fit(X, y)
    r = y - X @ model.coef_ - model.intercept_
    corr = X.T @ r  # ∇ of ½‖r‖² is -corr; KKT: corr_g ∈ λ_g ∂‖x_g‖
    assert abs(r.sum()) < 1e-8  # the free intercept: residuals sum to zero
    active = 0
    for g in range(6):
        idx = labels == g
        xg = model.coef_[idx]
        if np.linalg.norm(xg) > 0:
            active += 1
            np.testing.assert_allclose(corr[idx], lam[g] * xg / np.linalg.norm(xg), atol=1e-6)
        else:
            assert np.linalg.norm(corr[idx]) <= lam[g] * (1 + 1e-8)
    assert 0 < active < 6


# ---------------------------------------------------------------------- multi-output
@pytest.mark.parametrize("per_column_lam", [False, True])
def test_multi_output_equals_one_fit_per_output(per_column_lam):
    X, Y = regression(k=3, seed=6)
    lams = np.array([5.0, 20.0, 60.0])
    lam = lams[None, :] if per_column_lam else 20.0
    sw = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    multi = SparseRegression("l1", lam, **TIGHT).fit(X, Y, sample_weight=sw)
    assert multi.coef_.shape == (3, X.shape[1]) and multi.intercept_.shape == (3,)
    assert multi.n_iter_.shape == (3,) and multi.objective_.shape == (3,)
    for j in range(3):
        one = SparseRegression("l1", lams[j] if per_column_lam else 20.0, **TIGHT)
        one.fit(X, Y[:, j], sample_weight=sw)
        np.testing.assert_allclose(multi.coef_[j], one.coef_, rtol=0, atol=1e-8)
        np.testing.assert_allclose(multi.intercept_[j], one.intercept_, rtol=0, atol=1e-8)
        np.testing.assert_allclose(multi.objective_[j], one.objective_, rtol=1e-10)
    np.testing.assert_allclose(
        multi.predict(X), X @ multi.coef_.T + multi.intercept_, rtol=1e-12, atol=1e-12
    )


def test_multi_output_equals_sklearn_lasso():
    X, Y = regression(k=2, seed=7)
    ref = Lasso(alpha=0.1, **SK_TIGHT).fit(X, Y)
    ours = SparseRegression("l1", si.from_sklearn_alpha(0.1, X.shape[0]), **TIGHT).fit(X, Y)
    assert_same_model(ours, ref)


# ---------------------------------------------------------------------- sparse X
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_x_equals_dense_x(fmt, fit_intercept):
    X, Y = regression(k=2, seed=8)
    X[np.abs(X) < 1.0] = 0.0
    sw = np.random.default_rng(5).uniform(0.5, 2.0, X.shape[0])
    dense = SparseRegression("l1", 10.0, fit_intercept=fit_intercept, **TIGHT)
    dense.fit(X, Y, sample_weight=sw)
    Xs = sp.coo_matrix(X).asformat(fmt)
    sparse = SparseRegression("l1", 10.0, fit_intercept=fit_intercept, **TIGHT)
    sparse.fit(Xs, Y, sample_weight=sw)
    assert_same_model(sparse, dense, atol=1e-9)
    np.testing.assert_allclose(sparse.predict(Xs), dense.predict(X), rtol=1e-9, atol=1e-9)


def test_sparse_x_is_never_densified(monkeypatch):
    X, y = regression(seed=9)
    X[np.abs(X) < 1.0] = 0.0
    Xs = sp.csr_matrix(X)
    expected = SparseRegression("l1", 10.0, **TIGHT).fit(X, y)

    def refuse(*args, **kwargs):
        raise AssertionError("the sparse X was densified")

    for cls in (sp.csr_matrix, sp.csc_matrix):
        for name in ("toarray", "todense", "__array__"):
            monkeypatch.setattr(cls, name, refuse, raising=False)
    model = SparseRegression("l1", 10.0, **TIGHT).fit(Xs, y)
    assert_same_model(model, expected, atol=1e-9)
    model.predict(Xs)


def test_centred_sparse_design_is_the_centred_matrix_and_its_adjoint():
    rng = np.random.default_rng(10)
    X = sp.random(30, 12, density=0.3, random_state=11, format="csr")
    mean = rng.standard_normal(12)
    sqrt_w = rng.uniform(0.5, 2.0, 30)
    op = CentredSparseDesign(X, mean, sqrt_w)
    dense = sqrt_w[:, None] * (X.toarray() - mean)
    V, R = rng.standard_normal((12, 3)), rng.standard_normal((30, 3))
    np.testing.assert_allclose(op.matmat(V), dense @ V, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.rmatmat(R), dense.T @ R, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.matvec(V[:, 0]), dense @ V[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.rmatvec(R[:, 0]), dense.T @ R[:, 0], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------- warm start
def test_warm_start_reduces_iterations_and_keeps_the_solution():
    X, y = regression(m=100, n=80, seed=12)
    X[:, 1] = X[:, 0] + 0.05 * X[:, 1]  # correlated columns: a slow solve from zero
    lam = 0.02 * si.lam_max(X - X.mean(0), y - y.mean())
    options = {"tol": 1e-10, "max_iter": 20000}
    warm = SparseRegression("l1", lam, warm_start=True, **options).fit(X, y)
    cold = SparseRegression("l1", 0.9 * lam, **options).fit(X, y)
    warm.set_params(lam=0.9 * lam).fit(X, y)
    assert warm.n_iter_ < cold.n_iter_ / 2, (warm.n_iter_, cold.n_iter_)
    assert_same_model(warm, cold, atol=1e-6)
    # without warm_start the previous coef_ is ignored: the same run as from zero
    again = SparseRegression("l1", lam, **options).fit(X, y)
    again.set_params(lam=0.9 * lam).fit(X, y)
    assert again.n_iter_ == cold.n_iter_


def test_warm_start_with_a_new_shape_starts_from_zero():
    X, Y = regression(k=2, seed=13)
    model = SparseRegression("l1", 5.0, warm_start=True, **TIGHT).fit(X, Y)
    model.fit(X, Y[:, 0])  # coef_ (2, n) does not fit a 1-D y
    ref = SparseRegression("l1", 5.0, **TIGHT).fit(X, Y[:, 0])
    assert_same_model(model, ref, atol=1e-9)


# ---------------------------------------------------------------------- scikit-learn checks
CHECKED = [
    SparseRegression(),
    SparseRegression("l2"),
    SparseRegression("l0"),
    SparseRegression(solver="irls"),
    SparseRegressionCV(n_lambdas=6, n_folds=3),
    SparseRegressionCV(method="sure", n_lambdas=10),
]
if HAS_SUMS:
    CHECKED.append(SparseRegression("elasticnet"))


@parametrize_with_checks(CHECKED, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("estimator", [SparseRegression(), SparseRegressionCV()])
def test_expected_failed_checks_are_at_most_two_with_reasons(estimator):
    failures = expected_failed_checks(estimator)
    assert isinstance(failures, dict) and len(failures) <= 2
    assert all(isinstance(reason, str) and reason for reason in failures.values())


def test_pipeline_and_grid_search_over_lam():
    X, y = regression(m=90, n=30, seed=14)
    pipe = make_pipeline(StandardScaler(), SparseRegression("l1", **TIGHT))
    grid = [1.0, 10.0, 40.0, 150.0]
    folds = KFold(4, shuffle=True, random_state=0)
    search = GridSearchCV(pipe, {"sparseregression__lam": grid}, cv=folds).fit(X, y)
    scores = [
        cross_val_score(pipe.set_params(sparseregression__lam=lam), X, y, cv=folds).mean()
        for lam in grid
    ]
    assert search.best_params_["sparseregression__lam"] == grid[int(np.argmax(scores))]
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], scores, rtol=1e-12)
    best = search.best_estimator_[-1]
    Xs = StandardScaler().fit_transform(X)
    ref = SparseRegression("l1", search.best_params_["sparseregression__lam"], **TIGHT)
    assert_same_model(best, ref.fit(Xs, y), atol=1e-9)


def test_cv_estimator_in_a_pipeline_matches_its_parts():
    X, y = regression(m=80, n=20, seed=15)
    pipe = make_pipeline(StandardScaler(), SparseRegressionCV(method="gcv", n_lambdas=12))
    pipe.fit(X, y)
    Xs = StandardScaler().fit_transform(X)
    alone = SparseRegressionCV(method="gcv", n_lambdas=12).fit(Xs, y)
    assert pipe[-1].lam_ == alone.lam_
    np.testing.assert_allclose(pipe.predict(X), alone.predict(Xs), rtol=1e-10, atol=1e-10)


def test_fitted_estimators_pickle():
    X, y = regression(seed=16)
    for model in (SparseRegression().fit(X, y), SparseRegressionCV(method="gcv").fit(X, y)):
        again = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(again.predict(X), model.predict(X))


# ---------------------------------------------------------------------- SparseRegressionCV
def centred(X, y):
    return X - X.mean(axis=0), y - y.mean(axis=0)


@pytest.mark.parametrize("method", ["sure", "gcv", "discrepancy"])
def test_cv_estimator_is_select_lambda_on_the_centred_data(method):
    X, y = regression(m=80, n=40, seed=17)
    model = SparseRegressionCV(method=method, noise_std=0.3, n_lambdas=15).fit(X, y)
    Xc, yc = centred(X, y)
    sel = si.select_lambda(Xc, yc, "l1", method=method, noise_std=0.3, n_lambdas=15)
    assert model.selection_.index == sel.index
    assert model.lam_ == pytest.approx(sel.lam, rel=1e-12)
    np.testing.assert_allclose(model.lams_, sel.path_lams, rtol=1e-12)
    np.testing.assert_allclose(model.criterion_path_, sel.criterion, rtol=1e-9)
    fixed = SparseRegression("l1", model.lam_).fit(X, y)
    assert_same_model(model, fixed, atol=1e-12)


def test_cv_estimator_folds_follow_random_state():
    X, y = regression(m=60, n=30, seed=18)
    a = SparseRegressionCV(n_lambdas=10, n_folds=4, random_state=3).fit(X, y)
    seed = int(np.random.RandomState(3).randint(2**31 - 1, size=1)[0])
    Xc, yc = centred(X, y)
    sel = si.select_lambda(Xc, yc, "l1", method="cv", n_lambdas=10, n_folds=4, rng=seed)
    assert a.selection_.index == sel.index and a.lam_ == pytest.approx(sel.lam, rel=1e-12)
    np.testing.assert_allclose(a.criterion_path_, sel.criterion, rtol=1e-9)


def test_cv_estimator_per_group_is_select_group_lambdas():
    X, y = regression(m=90, n=20, seed=19)
    labels = np.repeat([0, 1, 2, 3], 5)
    options = {"n_confirm": 0, "starts": ("single",)}
    model = SparseRegressionCV(
        method="sure",
        per_group=True,
        groups=labels,
        noise_std=0.3,
        n_lambdas=12,
        selection_options=options,
    ).fit(X, y)
    Xc, yc = centred(X, y)
    groups = si.Groups.from_labels(labels)
    sel = si.select_group_lambdas(
        Xc, yc, groups, "l1", method="sure", noise_std=0.3, n_lambdas=12, **options
    )
    assert not np.all(sel.lam == sel.lam[0])  # a genuinely per-group choice
    np.testing.assert_allclose(model.lam_, sel.lam, rtol=1e-12)
    np.testing.assert_allclose(model.criterion_path_, sel.single.criterion, rtol=1e-9)
    fixed = SparseRegression("l1", model.lam_, groups=labels).fit(X, y)
    assert_same_model(model, fixed, atol=1e-12)


def test_cv_estimator_multi_output_selects_each_output():
    X, Y = regression(m=70, n=25, k=3, seed=20)
    multi = SparseRegressionCV(method="gcv", n_lambdas=12).fit(X, Y)
    assert multi.lam_.shape == (3,) and multi.lams_.shape == (12, 3)
    for j in range(3):
        one = SparseRegressionCV(method="gcv", n_lambdas=12).fit(X, Y[:, j])
        assert multi.selection_[j].index == one.selection_.index
        assert multi.lam_[j] == pytest.approx(one.lam_, rel=1e-12)
        np.testing.assert_allclose(multi.criterion_path_[:, j], one.criterion_path_, rtol=1e-9)
        np.testing.assert_allclose(multi.coef_[j], one.coef_, rtol=0, atol=1e-8)
        np.testing.assert_allclose(multi.intercept_[j], one.intercept_, rtol=0, atol=1e-8)


def test_cv_estimator_sparse_x_equals_dense_x():
    X, y = regression(m=60, n=30, seed=21)
    X[np.abs(X) < 1.0] = 0.0
    dense = SparseRegressionCV(n_lambdas=8, n_folds=3, random_state=0).fit(X, y)
    sparse = SparseRegressionCV(n_lambdas=8, n_folds=3, random_state=0).fit(sp.csr_matrix(X), y)
    assert sparse.lam_ == pytest.approx(dense.lam_, rel=1e-9)
    assert_same_model(sparse, dense, atol=1e-8)


# ---------------------------------------------------------------------- bad input
def test_nan_in_x_gives_sklearns_error():
    X, y = regression()
    X[3, 2] = np.nan
    for model in (SparseRegression(), SparseRegressionCV()):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            model.fit(X, y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"penalty": "l3"}, "penalty must be one of"),
        ({"lam": -1.0}, "lam"),
        ({"groups": [0, 1]}, "groups must be a sparseinv.Groups or one label per feature"),
        ({"solver": "newton"}, "solver must be one of"),
        ({"fit_intercept": "yes"}, "fit_intercept"),
        ({"l1_ratio": 2.0, "penalty": "elasticnet"}, "l1_ratio|penalty sums"),
        ({"penalty": "l21"}, "groups|L21"),
        ({"bounds": (0.0, 1.0)}, "bounds"),
    ],
)
def test_bad_parameters_are_named_at_fit(params, match):
    if "bounds" in params and HAS_BOUNDS:
        pytest.skip("bounds are supported: no error expected")
    X, y = regression()
    model = SparseRegression(**params)  # scikit-learn: no validation in __init__
    with pytest.raises((ValueError, TypeError), match=match):
        model.fit(X, y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"method": "aic"}, "method must be one of"),
        ({"per_group": True}, "per_group=True needs groups"),
        (
            {"per_group": True, "groups": np.repeat([0, 1], 12), "method": "discrepancy"},
            "discrepancy",
        ),
        ({"penalty": "elasticnet"}, "SparseRegressionCV chooses λ"),
        ({"n_folds": 100}, "n_samples=60"),
    ],
)
def test_cv_bad_parameters_are_named(params, match):
    X, y = regression(n=24)
    with pytest.raises(ValueError, match=match):
        SparseRegressionCV(**params).fit(X, y)


def test_cv_estimator_refuses_a_y_with_nothing_to_select():
    X, _ = regression()
    with pytest.raises(ValueError, match="nothing to choose"):
        SparseRegressionCV().fit(X, np.full(X.shape[0], 3.0))


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.ones(5), "one weight per sample"),
        (-np.ones(60), ">= 0"),
        (np.zeros(60), "all zero"),
        (np.full(60, np.nan), "finite"),
    ],
)
def test_bad_sample_weight(weights, match):
    X, y = regression()
    with pytest.raises(ValueError, match=match):
        SparseRegression().fit(X, y, sample_weight=weights)


def test_inputs_are_not_modified():
    X, y = regression()
    sw = np.linspace(0.5, 2.0, X.shape[0])
    copies = X.copy(), y.copy(), sw.copy()
    SparseRegression().fit(X, y, sample_weight=sw).predict(X)
    SparseRegressionCV(method="gcv").fit(X, y).predict(X)
    for before, after in zip(copies, (X, y, sw), strict=True):
        np.testing.assert_array_equal(before, after)


def test_make_penalty_maps_names_to_penalties():
    g = si.Groups.from_sizes([2, 3])
    pen = make_penalty("l1", 0.5)
    assert isinstance(pen, si.L1) and pen.lam == 0.5
    pen = make_penalty("l0", [1.0, 2.0], groups=g)
    assert isinstance(pen, si.L0) and pen.coef_lam.tolist() == [1.0, 1.0, 2.0, 2.0, 2.0]
    assert isinstance(make_penalty("l2", 3.0), si.L2)


def test_the_estimators_page_runs_as_written():
    page = Path(__file__).resolve().parents[1] / "docs" / "estimators.rst"
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10 and result.failed == 0
