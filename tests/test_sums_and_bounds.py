"""Elastic net as a penalty sum, and bounds on every penalty (issue 12)."""

import warnings

import numpy as np
import pytest
from _references import (
    close_objectives,
    scipy_separable_solution,
    skglm_group_lasso,
    sklearn_elastic_net,
    sklearn_positive_lasso,
)

import sparseinv as si

SOLVERS = [si.fista, si.ista, si.irls]
PG = [si.fista, si.ista]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        return fn(*args, **kwargs)


def _problem(seed=0, m=50, n=100, k=None, noise=0.1):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    shape = (n,) if k is None else (n, k)
    x = np.zeros(shape)
    x[rng.choice(n, 10, replace=False)] = rng.standard_normal((10, *shape[1:])) * 2
    b = A @ x + noise * rng.standard_normal((m, *shape[1:]))
    return A, b


# --------------------------------------------------------------------------- elastic net
def test_elastic_net_prox_is_soft_threshold_then_shrink():
    v = np.array([3.0, -0.5, -2.0, 0.0])
    np.testing.assert_allclose((si.L1(1.0) + si.L2(1.0)).prox(v, 1.0), [1.0, 0.0, -0.5, 0.0])
    # either order, per-coefficient λ on each part
    pen = si.L2([1.0, 0.0, 3.0, 1.0]) + si.L1([0.5, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(pen.prox(v, 2.0), [(3.0 - 1.0) / 3.0, 0.0, -2.0 / 7.0, 0.0])
    assert pen.name == "l1+l2" and (si.L0(1.0) + si.L2(1.0)).name == "l0+l2"


def test_elastic_net_value_is_the_sum_of_its_parts():
    x = np.array([2.0, -1.0, 0.0])
    pen = si.L1([1.0, 2.0, 3.0]) + si.L2(0.5)
    assert pen.value(x) == pytest.approx(si.L1([1.0, 2.0, 3.0]).value(x) + si.L2(0.5).value(x))


@pytest.mark.parametrize("solver", SOLVERS)
def test_elastic_net_matches_scikit_learn(solver):
    A, b = _problem(1)
    top = si.lam_max(A, b)
    a, c = 0.1 * top, 0.05 * top
    x_ref = sklearn_elastic_net(A, b, a, c)
    pen = si.L1(a) + si.L2(c)
    F_ref = si.objective(A, b, pen, x_ref)
    res = solver(A, b, pen, tol=1e-10, max_iter=20000)
    assert res.converged
    assert close_objectives(res.objective, F_ref), (res.objective, F_ref)


def test_elastic_net_conversion_round_trips():
    alpha, ratio = si.to_sklearn_elastic_net(3.0, 1.0, 100)
    assert (alpha, ratio) == (0.04, 0.75)
    assert si.from_sklearn_elastic_net(alpha, ratio, 100) == pytest.approx((3.0, 1.0))
    with pytest.raises(ValueError, match="l1_ratio"):
        si.from_sklearn_elastic_net(0.1, 1.5, 10)
    with pytest.raises(ValueError, match="a \\+ c"):
        si.to_sklearn_elastic_net(0.0, 0.0, 10)


@pytest.mark.parametrize("solver", PG)
def test_positive_elastic_net_matches_scikit_learn(solver):
    A, b = _problem(2)
    top = si.lam_max(A, b)
    a, c = 0.05 * top, 0.02 * top
    x_ref = sklearn_elastic_net(A, b, a, c, positive=True)
    pen = si.L1(a, positive=True) + si.L2(c)
    F_ref = si.objective(A, b, pen, x_ref)
    res = solver(A, b, pen, tol=1e-10, max_iter=20000)
    assert np.all(res.x >= 0)
    assert close_objectives(res.objective, F_ref), (res.objective, F_ref)


@pytest.mark.parametrize("solver", SOLVERS)
def test_elastic_net_with_per_group_and_per_coefficient_lambdas_matches_scipy(solver):
    A, b = _problem(3)
    groups = si.Groups.from_labels(np.arange(100) % 4)
    top = si.lam_max(A, b)
    a = 0.1 * top * np.array([0.5, 1.0, 2.0, 4.0])  # per group on the L1 part
    c = np.linspace(0.0, 0.3 * top, 100)  # per coefficient on the L2 part (0 included)
    pen = si.L1(a, groups=groups) + si.L2(c)
    x_ref = scipy_separable_solution(A, b, l1=a[groups.membership], l2=c)
    F_ref = si.objective(A, b, pen, x_ref)
    res = solver(A, b, pen, tol=1e-10, max_iter=20000)
    assert res.converged
    assert close_objectives(res.objective, F_ref), (res.objective, F_ref)


def test_elastic_net_gap_certifies_the_suboptimality():
    A, b = _problem(4)
    top = si.lam_max(A, b)
    pen = si.L1(0.05 * top) + si.L2(0.01 * top)
    F_star = si.fista(A, b, pen, tol=1e-13, max_iter=50000).objective
    for tol in (1e-2, 1e-4, 1e-7):
        res = si.ista(A, b, pen, tol=tol, max_iter=50000)
        assert res.converged
        assert (res.objective - F_star) / res.objective <= res.optimality <= tol


def test_group_lasso_plus_ridge_matches_skglm_on_the_augmented_system():
    A, b = _problem(5)
    groups = si.Groups.from_labels(np.arange(100) % 10)
    lam = 0.1 * np.max(si.lam_max(A, b, groups, penalty="l21"))
    ridge = np.linspace(0.01, 0.1, 10)  # one λ per group of the L21 part
    pen = si.L21(lam, groups=groups) + si.L2(ridge, groups=groups)
    # ½‖Ax − b‖² + ½Σ c_i x_i² = ½‖[A; diag √c] x − [b; 0]‖²: a plain group lasso
    root = np.sqrt(ridge[groups.membership])
    A_aug, b_aug = np.vstack([A, np.diag(root)]), np.concatenate([b, np.zeros(A.shape[1])])
    x_ref = skglm_group_lasso(A_aug, b_aug, groups, np.full(groups.n_groups, lam))
    F_ref = si.objective(A, b, pen, x_ref)
    for solver in SOLVERS:
        res = solver(A, b, pen, tol=1e-10, max_iter=20000)
        assert close_objectives(res.objective, F_ref), (solver.__name__, res.objective, F_ref)


# --------------------------------------------------------------------------- bounds
@pytest.mark.parametrize("solver", PG)
def test_positive_lasso_matches_scikit_learn(solver):
    A, b = _problem(6)
    lam = 0.05 * si.lam_max(A, b)
    x_ref = sklearn_positive_lasso(A, b, lam)
    pen = si.L1(lam, positive=True)
    F_ref = si.objective(A, b, pen, x_ref)
    res = solver(A, b, pen, tol=1e-10, max_iter=20000)
    assert res.converged and np.all(res.x >= 0)
    assert close_objectives(res.objective, F_ref), (res.objective, F_ref)


def test_positive_lasso_on_an_orthonormal_operator_is_the_one_sided_threshold():
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal((40, 30)))
    b = rng.standard_normal(40) * 2
    lam = 0.5
    res = si.fista(Q, b, si.L1(lam, positive=True), tol=1e-12)
    np.testing.assert_allclose(res.x, np.maximum(Q.T @ b - lam, 0), atol=1e-9)


@pytest.mark.parametrize("solver", PG)
@pytest.mark.parametrize(
    "make",
    [
        lambda lam, lo, hi: si.L1(lam, bounds=(lo, hi)),
        lambda lam, lo, hi: si.L2(lam, bounds=(lo, hi)),
        lambda lam, lo, hi: si.L1(lam, bounds=(lo, None)) + si.L2(0.2 * lam, bounds=(None, hi)),
    ],
    ids=["l1", "l2", "l1+l2"],
)
def test_per_coefficient_bounds_match_scipy(solver, make):
    A, b = _problem(8)
    lam = 0.05 * si.lam_max(A, b)
    n = A.shape[1]
    rng = np.random.default_rng(0)
    lower = np.where(rng.random(n) < 0.3, -np.inf, -rng.random(n))
    upper = np.where(rng.random(n) < 0.3, np.inf, rng.random(n))
    lower[:4] = 0.2  # bounds that exclude 0: L1 is then linear there, still exact
    upper[:4] = np.maximum(upper[:4], 0.5)
    pen = make(lam, lower, upper)
    parts = pen.parts()
    l1 = None if parts.sparse is None else lam
    l2 = None if parts.ridge is None else (lam if parts.sparse is None else 0.2 * lam)
    x_ref = scipy_separable_solution(A, b, l1=l1, l2=l2, lower=lower, upper=upper)
    F_ref = si.objective(A, b, pen, x_ref)
    res = solver(A, b, pen, tol=1e-10, max_iter=30000)
    assert np.all(res.x >= lower) and np.all(res.x <= upper)
    assert res.converged
    assert close_objectives(res.objective, F_ref), (res.objective, F_ref)


def test_refinement_respects_the_bounds():
    # an ill-conditioned problem, where FISTA's CG refinement does the work: the
    # coefficients at a bound leave its free set and CG stops where one reaches a bound
    rng = np.random.default_rng(9)
    A = rng.standard_normal((60, 40)) @ np.diag(np.logspace(0, -3, 40))
    b = A @ rng.standard_normal(40) + 0.01 * rng.standard_normal(60)
    pen = si.L1(1e-4 * si.lam_max(A, b), bounds=(-0.5, 0.5))
    x_ref = scipy_separable_solution(A, b, l1=1e-4 * si.lam_max(A, b), lower=-0.5, upper=0.5)
    on = si.fista(A, b, pen, tol=1e-10, max_iter=20000, refine=True)
    off = _quiet(si.fista, A, b, pen, tol=1e-10, max_iter=20000, refine=False)
    assert np.all(np.abs(on.x) <= 0.5)
    assert np.sum(np.abs(on.x) == 0.5) > 0  # some coefficients sit on a bound
    F_ref = si.objective(A, b, pen, x_ref)
    assert on.converged and on.objective <= F_ref * (1 + 1e-6)
    assert on.n_iter <= off.n_iter


def test_l0_with_bounds_is_solved_by_the_two_candidate_prox():
    rng = np.random.default_rng(10)
    Q, _ = np.linalg.qr(rng.standard_normal((30, 20)))
    b = rng.standard_normal(30) * 2
    lam = 0.3
    lower, upper = -0.5, 1.0
    res = si.ista(Q, b, si.L0(lam, bounds=(lower, upper)), tol=1e-12)
    # on an orthonormal operator every coordinate is its own prox problem
    v = Q.T @ b
    clipped = np.clip(v, lower, upper)
    keep = 0.5 * (clipped - v) ** 2 + lam * (clipped != 0) < 0.5 * v**2
    np.testing.assert_allclose(res.x, np.where(keep, clipped, 0.0), atol=1e-10)


def test_start_is_projected_onto_the_bounds():
    A, b = _problem(11)
    x0 = np.full(A.shape[1], -3.0)
    x0_copy = x0.copy()
    res = si.fista(A, b, si.L1(0.1, bounds=(0.5, 2.0)), x0=x0, tol=1e-10)
    np.testing.assert_array_equal(x0, x0_copy)
    assert np.isfinite(res.objective) and res.converged
    assert np.all(res.x >= 0.5) and np.all(res.x <= 2.0)


def test_value_is_infinite_outside_the_bounds():
    pen = si.L1(1.0, bounds=(-1.0, 1.0))
    assert pen.value(np.array([0.5, -1.0])) == 1.5
    assert pen.value(np.array([0.5, -1.1])) == np.inf


def test_irls_rejects_bounds_and_points_to_fista():
    A, b = _problem(12)
    for pen in (si.L1(0.1, positive=True), si.L1(0.1) + si.L2(0.1, bounds=(-1, 1))):
        with pytest.raises(ValueError, match="fista"):
            si.irls(A, b, pen)


# --------------------------------------------------------------------------- batches
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["elastic_net", "positive", "box"])
def test_each_column_of_a_batch_equals_its_single_solve(solver, kind):
    if solver is si.irls and kind != "elastic_net":
        pytest.skip("irls has no bounds")
    A, B = _problem(13, k=3)
    top = si.lam_max(A, B)  # (k,)
    lam = 0.1 * top[None, :]

    def make(lam):
        if kind == "elastic_net":
            return si.L1(lam) + si.L2(0.5 * lam)
        if kind == "positive":
            return si.L1(lam, positive=True)
        return si.L1(lam, bounds=(-0.3, np.linspace(0.1, 1.0, A.shape[1])))

    res = _quiet(solver, A, B, make(lam), tol=1e-11, max_iter=20000)
    for j in range(3):
        alone = _quiet(solver, A, B[:, j], make(float(lam[0, j])), tol=1e-11, max_iter=20000)
        col = res.column(j)
        assert abs(col.objective - alone.objective) <= 1e-8 * abs(alone.objective)
        F_col = si.objective(A, B[:, j], make(float(lam[0, j])), col.x)
        assert col.objective == pytest.approx(F_col)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "bounds, error, match",
    [
        ((1.0, 0.0), ValueError, "lower <= upper"),
        (([0.0, 2.0], [1.0, 1.0]), ValueError, "coefficient 1"),
        ((np.nan, 1.0), ValueError, "NaN"),
        ((0.0, [1.0, np.nan]), ValueError, "NaN"),
        ((np.inf, np.inf), ValueError, "lower < inf"),
        (([0.0, 0.0], [1.0, 1.0, 1.0]), ValueError, "same length"),
        ("01", TypeError, "bounds"),
        ((0.0,), TypeError, "bounds"),
        ((0.0, "a"), TypeError, "bounds"),
        (([[0.0]], 1.0), ValueError, "1-D"),
    ],
)
@pytest.mark.parametrize("cls", [si.L0, si.L1, si.L2])
def test_bad_bounds_are_named_errors(cls, bounds, error, match):
    with pytest.raises(error, match=match):
        cls(1.0, bounds=bounds)


def test_bounds_and_positive_are_exclusive_and_checked():
    with pytest.raises(ValueError, match="not both"):
        si.L1(1.0, bounds=(0, 1), positive=True)
    with pytest.raises(TypeError, match="positive"):
        si.L1(1.0, positive="yes")
    with pytest.raises(ValueError, match="bounds must hold one value per coefficient"):
        si.L1([1.0, 2.0], bounds=([0.0] * 3, 1.0))


def test_bounds_must_fit_the_operator():
    A, b = _problem(14)
    with pytest.raises(ValueError, match="bounds cover 3"):
        si.fista(A, b, si.L1(0.1, bounds=(np.zeros(3), 1.0)))


def test_bounds_need_real_coefficients():
    A, b = _problem(15)
    with pytest.raises(TypeError, match="bounds need real coefficients"):
        si.fista(A.astype(complex), b, si.L1(0.1, positive=True))


def test_infinite_lambda_where_the_bounds_exclude_zero_is_rejected():
    A, b = _problem(16)
    lam = np.full(A.shape[1], 0.1)
    lam[3] = np.inf
    with pytest.raises(ValueError, match="exclude 0"):
        si.fista(A, b, si.L1(lam, bounds=(0.5, 1.0)))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: si.L1(1.0) + si.L1(2.0), "L1 twice"),
        (lambda: si.L2(1.0) + si.L2(2.0), "L2 twice"),
        (lambda: (si.L1(1.0) + si.L2(1.0)) + si.L2(1.0), "L2 twice"),
        (lambda: si.L0(1.0) + si.L1(1.0), "unsupported penalty sum"),
        (lambda: si.L1(1.0) + si.L21(1.0, groups=si.Groups.from_sizes([2])), "unsupported"),
        (lambda: si.L1(1.0, bounds=(1, 2)) + si.L2(1.0, bounds=(3, 4)), "do not intersect"),
        (lambda: si.L1([1.0, 2.0]) + si.L2([1.0, 2.0, 3.0]), "same coefficients"),
        (
            lambda: si.L21(1.0, groups=si.Groups.from_sizes([2, 1])) + si.L2([1.0, 2.0, 3.0]),
            "varies inside group 0",
        ),
    ],
)
def test_bad_sums_are_named_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_a_sum_adds_penalties_only():
    with pytest.raises(TypeError):
        si.L1(1.0) + 3.0
    with pytest.raises(TypeError, match="penalty sum"):
        si.PenaltySum(si.L1(1.0), "l2")


def test_sum_bounds_are_the_intersection():
    pen = si.L1(1.0, bounds=(-1.0, 2.0)) + si.L2(1.0, bounds=(0.0, 5.0))
    assert pen.bounds == (0.0, 2.0)
    np.testing.assert_allclose(pen.prox(np.array([-3.0, 9.0]), 1.0), [0.0, 2.0])


def test_nothing_the_caller_passed_is_modified():
    A, b = _problem(17)
    lower, upper = -np.ones(A.shape[1]), np.ones(A.shape[1])
    lam = np.full(A.shape[1], 0.1)
    copies = [a.copy() for a in (A, b, lower, upper, lam)]
    pen = si.L1(lam, bounds=(lower, upper)) + si.L2(lam)
    lower[0] = 99.0  # the penalty keeps its own copy
    assert pen.bounds[0][0] == -1.0
    lower[0] = -1.0
    si.fista(A, b, pen, tol=1e-8)
    si.ista(A, b, pen, tol=1e-6)
    for before, after in zip(copies, (A, b, lower, upper, lam), strict=True):
        np.testing.assert_array_equal(before, after)
    with pytest.raises(ValueError):
        pen.bounds[1][0] = 5.0  # read-only
