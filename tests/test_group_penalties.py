"""Group sparsity (issue 12): L21 with any partition, its prox, dual, λ_max, KKT, references,
and the row-coupled L21(rows=True) that makes a batch one problem."""

import warnings

import numpy as np
import pytest
from _references import (
    close_objectives,
    cvxpy_solution,
    skglm_group_lasso,
    skglm_group_lasso_estimator,
    sklearn_multitask_lasso,
)

import sparseinv as si

SOLVERS = [si.fista, si.ista, si.irls]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        return fn(*args, **kwargs)


def _problem(seed=0, m=50, n=90, k=None, noise=0.05):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    shape = (n,) if k is None else (n, k)
    x = np.zeros(shape)
    rows = rng.choice(n, 12, replace=False)
    x[rows] = rng.standard_normal((12, *shape[1:])) * 2
    b = A @ x + noise * rng.standard_normal((m, *shape[1:]))
    return A, b


def _scattered_groups(n, n_groups, seed=3):
    """A partition whose groups are not contiguous (labels drawn at random)."""
    labels = np.random.default_rng(seed).permutation(np.arange(n) % n_groups)
    return si.Groups.from_labels(labels)


def _block_soft(v, groups, thresh):
    out = np.zeros_like(v)
    for g in range(groups.n_groups):
        idx = groups.group(g)
        norm = np.linalg.norm(v[idx])
        t = thresh[g] if np.ndim(thresh) else thresh
        if norm > t:
            out[idx] = v[idx] * (1 - t / norm)
    return out


# --------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("solver", SOLVERS)
def test_orthonormal_operator_gives_the_block_soft_threshold(solver):
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((60, 40)))  # QᵀQ = I
    b = rng.standard_normal(60) * 2
    groups = _scattered_groups(40, 8)
    lam = np.linspace(0.5, 3.0, 8)
    expected = _block_soft(Q.T @ b, groups, lam)
    res = solver(Q, b, si.L21(lam, groups=groups), tol=1e-12, max_iter=5000)
    assert res.converged
    np.testing.assert_allclose(res.x, expected, atol=1e-7)
    # some groups are zero and some are not: the threshold is exercised both ways
    norms = groups.norms(expected)
    assert np.any(norms == 0) and np.any(norms > 0)


def test_complex_block_soft_threshold_keeps_the_phase():
    groups = si.Groups.from_sizes([2, 1])
    v = np.array([3 + 4j, 0.0, 0.5j])
    out = si.L21(1.0, groups=groups).prox(v, 1.0)
    np.testing.assert_allclose(out, [(3 + 4j) * 4 / 5, 0.0, 0.0])


def test_value_is_the_sum_of_weighted_group_norms():
    groups = si.Groups.from_labels(["a", "b", "a", "b"])
    x = np.array([3.0, 1.0, 4.0, 0.0])
    assert si.L21([2.0, 10.0], groups=groups).value(x) == 2.0 * 5.0 + 10.0 * 1.0
    assert si.L21(1.0, groups=groups).value(1j * x) == 6.0


# --------------------------------------------------------------------------- references
def test_matches_skglm_group_lasso_estimator_with_sqrt_size_weights():
    A, b = _problem(1, n=80)
    groups = si.Groups.from_sizes([4] * 20)
    weights = np.sqrt(groups.sizes.astype(float))
    lam = 0.2 * np.max(si.lam_max(A, b, groups, penalty="l21") / weights)
    x_ref = skglm_group_lasso_estimator(A, b, 4, lam, weights)
    pen = si.L21(lam * weights, groups=groups)
    F_ref = si.objective(A, b, pen, x_ref)
    for solver in SOLVERS:
        res = solver(A, b, pen, tol=1e-10, max_iter=20000)
        assert res.converged
        assert close_objectives(res.objective, F_ref), (solver.__name__, res.objective, F_ref)


@pytest.mark.parametrize("positive", [False, True])
def test_matches_skglm_weighted_group_l2_on_scattered_groups(positive):
    # non-contiguous groups, one unpenalized group (weight 0) and, optionally, x ≥ 0
    A, b = _problem(2)
    groups = _scattered_groups(90, 15)
    lam = 0.15 * np.max(si.lam_max(A, b, groups, penalty="l21")) * np.linspace(0.5, 1.5, 15)
    lam[4] = 0.0
    x_ref = skglm_group_lasso(A, b, groups, lam, positive=positive)
    pen = si.L21(lam, groups=groups, positive=positive)
    F_ref = si.objective(A, b, pen, x_ref)
    for solver in (si.fista, si.ista) if positive else SOLVERS:
        res = solver(A, b, pen, tol=1e-10, max_iter=20000)
        assert res.converged, solver.__name__
        assert close_objectives(res.objective, F_ref), (solver.__name__, res.objective, F_ref)


def test_general_bounds_match_cvxpy():
    A, b = _problem(3)
    groups = _scattered_groups(90, 15)
    lam = 0.1 * np.max(si.lam_max(A, b, groups, penalty="l21"))
    lower, upper = -0.4, np.linspace(0.3, 1.5, 90)
    x_ref = cvxpy_solution(A, b, groups=groups, l21=lam, lower=lower, upper=upper)
    pen = si.L21(lam, groups=groups, bounds=(lower, upper))
    F_ref = si.objective(A, b, pen, x_ref)
    for solver in (si.fista, si.ista):
        res = solver(A, b, pen, tol=1e-10, max_iter=20000)
        assert np.all(res.x >= lower) and np.all(res.x <= upper)
        assert res.objective <= F_ref * (1 + 1e-6), (solver.__name__, res.objective, F_ref)


def test_kkt_holds_per_group():
    A, b = _problem(4)
    groups = _scattered_groups(90, 18)
    lam = 0.1 * np.max(si.lam_max(A, b, groups, penalty="l21")) * np.linspace(0.3, 2.0, 18)
    res = si.fista(A, b, si.L21(lam, groups=groups), tol=1e-12, max_iter=20000)
    grad = A.T @ (A @ res.x - b)
    scale = np.max(lam)
    active = 0
    for g in range(groups.n_groups):
        idx = groups.group(g)
        norm = np.linalg.norm(res.x[idx])
        if norm > 0:  # ∇_g f = -λ_g x_g/‖x_g‖
            active += 1
            assert np.linalg.norm(grad[idx] + lam[g] * res.x[idx] / norm) <= 1e-5 * scale
        else:  # ‖∇_g f‖ ≤ λ_g
            assert np.linalg.norm(grad[idx]) <= lam[g] * (1 + 1e-6)
    assert 0 < active < groups.n_groups
    dist = si.L21(lam, groups=groups).subdiff_distance(res.x, grad)
    assert np.linalg.norm(dist) <= 1e-5 * scale


def test_duality_gap_certifies_the_suboptimality():
    A, b = _problem(5)
    groups = _scattered_groups(90, 15)
    pen = si.L21(0.1 * np.max(si.lam_max(A, b, groups, penalty="l21")), groups=groups)
    F_star = si.fista(A, b, pen, tol=1e-13, max_iter=50000).objective
    for tol in (1e-2, 1e-4, 1e-6):
        res = si.ista(A, b, pen, tol=tol, max_iter=50000)
        assert res.converged
        assert (res.objective - F_star) / res.objective <= res.optimality <= tol


def test_start_at_zero_above_lam_max_is_certified_without_a_step():
    A, b = _problem(6)
    groups = _scattered_groups(90, 10)
    top = si.lam_max(A, b, groups, penalty="l21")
    expected = np.array([np.linalg.norm(A[:, groups.group(g)].T @ b) for g in range(10)])
    np.testing.assert_allclose(top, expected)
    res = si.fista(A, b, si.L21(top * (1 + 1e-9), groups=groups))
    assert res.n_iter == 0 and res.converged and not np.any(res.x)
    res = si.fista(A, b, si.L21(top * 0.9, groups=groups), tol=1e-10)
    assert np.all(groups.norms(res.x) > 0)  # below every λ_max,g: every group leaves 0


def test_lam_max_of_a_weighted_penalty_is_the_scale_that_zeroes_it():
    A, b = _problem(7)
    groups = _scattered_groups(90, 10)
    weights = si.group_weights(A, b, groups, "sqrt_size")
    scale = si.lam_max(A, b, penalty=si.L21(weights, groups=groups))
    assert scale == pytest.approx(np.max(si.lam_max(A, b, groups, penalty="l21") / weights))
    above = si.fista(A, b, si.L21(scale * (1 + 1e-9) * weights, groups=groups))
    assert not np.any(above.x)
    below = si.fista(A, b, si.L21(scale * 0.99 * weights, groups=groups), tol=1e-10)
    assert np.any(below.x)


def test_group_weights_sqrt_size_gives_square_roots_of_sizes():
    groups = si.Groups.from_sizes([1, 4, 9])
    w = si.group_weights(np.ones((3, 14)), np.ones(3), groups, "sqrt_size")
    np.testing.assert_allclose(w / w[0], [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- batches
@pytest.mark.parametrize("solver", SOLVERS)
def test_each_column_of_a_group_batch_equals_its_single_solve(solver):
    A, B = _problem(8, k=3)
    groups = _scattered_groups(90, 15)
    top = si.lam_max(A, B, groups, penalty="l21")  # (G, k)
    lam = 0.2 * top.max(axis=0, keepdims=True) * np.array([[1.0, 0.5, 2.0]])
    res = _quiet(solver, A, B, si.L21(lam, groups=groups), tol=1e-11, max_iter=20000)
    assert res.objective.shape == (3,)
    for j in range(3):
        alone = _quiet(
            solver, A, B[:, j], si.L21(float(lam[0, j]), groups=groups), tol=1e-11, max_iter=20000
        )
        assert abs(res.column(j).objective - alone.objective) <= 1e-8 * alone.objective


# --------------------------------------------------------------------------- rows=True
@pytest.mark.parametrize("solver", SOLVERS)
def test_row_sparsity_matches_scikit_learn_multitask_lasso(solver):
    A, B = _problem(9, k=4)
    lam = 0.1 * np.max(np.linalg.norm(A.T @ B, axis=1))
    X_ref = sklearn_multitask_lasso(A, B, lam)
    pen = si.L21(lam, rows=True)
    F_ref = si.objective(A, B, pen, X_ref)
    assert isinstance(F_ref, float)  # one problem: one objective
    res = solver(A, B, pen, tol=1e-10, max_iter=20000)
    assert res.converged
    assert close_objectives(res.objective, F_ref), (res.objective, F_ref)
    assert res.x.shape == (A.shape[1], 4)
    rows = np.linalg.norm(res.x, axis=1)
    assert np.any(rows == 0) and np.any(rows > 0)  # whole rows are zero, others are not


def test_row_coupled_batch_is_one_problem_with_scalar_fields():
    A, B = _problem(10, k=3)
    B[:, 1] = 0.0  # alone, this column would be solved at its start (x = 0)
    lam = 0.1 * np.max(np.linalg.norm(A.T @ B, axis=1))
    res = si.fista(A, B, si.L21(lam, rows=True), tol=1e-10)
    assert res.x.shape == (90, 3)
    assert isinstance(res.objective, float) and isinstance(res.converged, bool)
    assert isinstance(res.n_iter, int) and res.n_iter > 0
    assert res.history["objective"].ndim == 1
    assert res.objective == pytest.approx(si.objective(A, B, si.L21(lam, rows=True), res.x))
    # the zero column is not retired on its own: it shares the rows of the others
    X_ref = sklearn_multitask_lasso(A, B, lam)
    np.testing.assert_allclose(res.x, X_ref, atol=1e-6)
    with pytest.raises(ValueError, match="batched"):
        res.column(0)


def test_row_coupling_is_not_the_columnwise_group_penalty():
    A, B = _problem(11, k=3)
    lam = 0.2 * np.max(np.linalg.norm(A.T @ B, axis=1))
    joint = si.fista(A, B, si.L21(lam, rows=True), tol=1e-10)
    separate = si.fista(A, B, si.L1(lam), tol=1e-10)
    support_joint = np.linalg.norm(joint.x, axis=1) > 0
    # the joint solution has one support for every column; the separate ones do not
    assert np.array_equal(joint.x != 0, np.repeat(support_joint[:, None], 3, axis=1))
    assert not np.array_equal(separate.x != 0, np.repeat((separate.x != 0).any(1)[:, None], 3, 1))


def test_rows_with_one_column_is_the_modulus_l1():
    A, b = _problem(12)
    lam = 0.1 * si.lam_max(A, b)
    a = si.fista(A, b, si.L21(lam, rows=True), tol=1e-12)
    c = si.fista(A, b, si.L1(lam), tol=1e-12)
    assert a.objective == pytest.approx(c.objective, rel=1e-10)


def test_rows_prox_and_value_act_on_whole_rows():
    pen = si.L21(1.0, rows=True)
    V = np.array([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(pen.prox(V, 1.0), [[2.4, 3.2], [0.0, 0.0]])
    assert pen.value(V) == pytest.approx(5.0 + 0.5)


# --------------------------------------------------------------------------- bad input
def test_l21_needs_groups_or_rows():
    with pytest.raises(ValueError, match="groups"):
        si.L21(1.0)
    with pytest.raises(ValueError, match="not both"):
        si.L21(1.0, groups=si.Groups.from_sizes([2]), rows=True)
    with pytest.raises(TypeError, match="groups"):
        si.L21(1.0, groups=[0, 0, 1])
    with pytest.raises(TypeError, match="rows"):
        si.L21(1.0, rows="yes")


def test_l21_takes_one_lambda_per_group_not_per_coefficient():
    groups = si.Groups.from_sizes([2, 3])
    with pytest.raises(ValueError, match=r"one value per group \(2\)"):
        si.L21(np.ones(5), groups=groups)
    with pytest.raises(ValueError, match="per row"):
        si.L21(np.ones((3, 2)), rows=True)


def test_groups_that_do_not_partition_the_coefficients_are_rejected():
    with pytest.raises(ValueError, match="partition"):
        si.Groups.from_indices([[0, 1], [1, 2]])  # coefficient 1 in two groups
    with pytest.raises(ValueError, match="partition"):
        si.Groups.from_indices([[0, 1], [3]])  # coefficient 2 in none
    A, b = _problem(13)
    lam = np.array([1.0, 2.0])
    pen = si.L21(lam, groups=si.Groups.from_sizes([40, 40]))  # 80 of A's 90 columns
    with pytest.raises(ValueError, match="groups cover 80"):
        si.fista(A, b, pen)
    assert lam.tolist() == [1.0, 2.0]


def test_lam_max_l21_needs_groups():
    A, b = _problem(14)
    with pytest.raises(ValueError, match="groups"):
        si.lam_max(A, b, penalty="l21")
    with pytest.raises(ValueError, match="penalty"):
        si.lam_max(A, b, penalty="l7")
