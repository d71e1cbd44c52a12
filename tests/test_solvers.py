"""Solvers against closed forms, reference solvers and optimality certificates."""

import warnings

import numpy as np
import pylops
import pytest
import scipy.sparse as sp
from scipy.fft import dct
from scipy.sparse.linalg import aslinearoperator
from sklearn.linear_model import Lasso

import sparseinv as si

SOLVERS = [si.ista, si.fista, si.irls]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        return fn(*args, **kwargs)


def _cs(seed=0, m=60, n=150, k=6, noise=0.01):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.choice([-1.0, 1.0], k) * (1 + rng.random(k))
    b = A @ x + noise * rng.standard_normal(m)
    return A, b, x


def _prox_solution(pen, Q, b):
    # with an orthonormal A: argmin ½‖x − Aᴴb‖² + pen(x) = prox(Aᴴb, 1)
    return pen.prox(Q.conj().T @ b, 1.0)


# --------------------------------------------------------------------------- closed forms
ORTHONORMAL = {
    "identity": np.eye(64),
    "dct": dct(np.eye(64), norm="ortho", axis=0),
}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", sorted(ORTHONORMAL))
@pytest.mark.parametrize("cls", si.PENALTIES)
@pytest.mark.parametrize("grouped", [False, True])
def test_orthonormal_operator_gives_the_prox(solver, name, cls, grouped):
    Q = ORTHONORMAL[name]
    rng = np.random.default_rng(3)
    b = 2 * rng.standard_normal(64)
    groups = si.Groups.from_labels(rng.integers(0, 3, 64))
    pen = cls([0.3, 1.0, 2.0], groups=groups) if grouped else cls(0.8)
    res = solver(Q, b, pen, tol=1e-12, max_iter=2000)
    expected = _prox_solution(pen, Q, b)
    assert res.converged
    assert np.allclose(res.x, expected, atol=1e-8)
    assert np.isclose(res.objective, si.objective(Q, b, pen, expected), rtol=1e-12, atol=1e-12)


def test_l0_orthonormal_global_optimum_is_hard_thresholding_at_sqrt_2lam():
    Q = ORTHONORMAL["dct"]
    b = np.random.default_rng(4).standard_normal(64)
    lam = 0.4
    c = Q.T @ b
    expected = np.where(np.abs(c) > np.sqrt(2 * lam), c, 0.0)
    for solver in SOLVERS:
        res = solver(Q, b, si.L0(lam), tol=1e-12)
        assert np.allclose(res.x, expected, atol=1e-10), solver.__name__


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("grouped", [False, True])
def test_ridge_closed_form(solver, grouped):
    A, b, _ = _cs(1)
    groups = si.Groups.from_sizes([50, 100])
    lam = np.array([0.5, 2.0]) if grouped else 0.7
    pen = si.L2(lam, groups=groups if grouped else None)
    coef = groups.expand(lam) if grouped else np.full(A.shape[1], lam)
    expected = np.linalg.solve(A.T @ A + np.diag(coef), A.T @ b)
    f_star = si.objective(A, b, pen, expected)
    for tol in (1e-6, 1e-12):
        res = solver(A, b, pen, tol=tol, max_iter=20000)
        assert res.converged
        # the relative duality gap certifies F - F* and, by strong convexity, the distance
        assert res.objective - f_star <= tol * res.objective + 1e-15
        bound = np.sqrt(2 * tol * res.objective / coef.min())
        assert np.linalg.norm(res.x - expected) <= bound
    assert np.allclose(res.x, expected, rtol=1e-5, atol=1e-9)


# --------------------------------------------------------------------------- references
def _sklearn_lasso(A, b, lam):
    model = Lasso(alpha=si.to_sklearn_alpha(lam, A.shape[0]), fit_intercept=False, tol=1e-14)
    model.set_params(max_iter=200_000)
    return model.fit(A, b).coef_


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", [0, 1])
def test_scalar_lasso_matches_scikit_learn(solver, seed):
    A, b, _ = _cs(seed)
    lam = 0.05 * si.lam_max(A, b)
    ref = si.objective(A, b, si.L1(lam), _sklearn_lasso(A, b, lam))
    res = solver(A, b, si.L1(lam), tol=1e-9, max_iter=20000)
    assert res.converged
    assert abs(res.objective - ref) / ref <= 1e-6


@pytest.mark.parametrize("solver", SOLVERS)
def test_per_group_lasso_matches_rescaled_scikit_learn(solver):
    # Σ λ_i|x_i| with x_i = u_i·λ0/λ_i is λ0‖u‖₁ for the column-rescaled A
    A, b, _ = _cs(2)
    groups = si.Groups.from_labels(np.arange(A.shape[1]) % 3)
    lam_g = np.array([0.02, 0.08, 0.2]) * si.lam_max(A, b)
    coef = groups.expand(lam_g)
    lam0 = lam_g.min()
    u = _sklearn_lasso(A * (lam0 / coef), b, lam0)
    x_ref = u * lam0 / coef
    pen = si.L1(lam_g, groups=groups)
    ref = si.objective(A, b, pen, x_ref)
    res = solver(A, b, pen, tol=1e-9, max_iter=20000)
    assert abs(res.objective - ref) / ref <= 1e-6
    assert np.allclose(res.x, x_ref, atol=1e-5)


@pytest.mark.parametrize("solver", SOLVERS)
def test_l1_kkt_holds_per_group(solver):
    A, b, _ = _cs(5)
    groups = si.Groups.from_sizes([50, 50, 50])
    lam_g = np.array([0.05, 0.1, 0.3]) * si.lam_max(A, b)
    pen = si.L1(lam_g, groups=groups)
    res = solver(A, b, pen, tol=1e-10, max_iter=20000)
    grad = A.T @ (A @ res.x - b)
    dist = pen.subdiff_distance(res.x, grad)
    for g in range(groups.n_groups):
        idx = groups.group(g)
        # |∇_i f| ≤ λ_g off the support, ∇_i f = −λ_g sign(x_i) on it
        assert dist[idx].max() <= 1e-4 * lam_g[g], g
        off = idx[res.x[idx] == 0]
        assert np.all(np.abs(grad[off]) <= lam_g[g] * (1 + 1e-6))


def test_lam_max_is_the_critical_value():
    A, b, _ = _cs(6)
    lmax = si.lam_max(A, b)
    assert np.all(si.fista(A, b, si.L1(lmax)).x == 0)
    assert np.any(si.fista(A, b, si.L1(0.98 * lmax)).x != 0)
    groups = si.Groups.from_sizes([75, 75])
    lmax_g = si.lam_max(A, b, groups)
    assert np.isclose(lmax_g.max(), lmax)
    res = si.fista(A, b, si.L1([lmax_g[0], 0.5 * lmax_g[1]], groups=groups))
    assert np.all(res.x[:75] == 0) and np.any(res.x[75:] != 0)


# --------------------------------------------------------------------------- complex data
def test_complex_fk_problem_ista_and_fista_agree():
    nx, nt = 16, 32
    rng = np.random.default_rng(7)
    F = pylops.signalprocessing.FFT2D(dims=(nx, nt), dtype=np.complex128)
    kept = np.sort(rng.choice(nx, 10, replace=False))
    Op = pylops.Restriction((nx, nt), kept, axis=0, dtype=np.complex128) @ F.H
    gather = np.zeros((nx, nt))
    for ix in range(nx):
        gather[ix, 8 + ix // 2] = 1.0
    b = (Op @ (F @ gather.ravel())).astype(np.complex128)
    lam = 0.05 * si.lam_max(Op, b)
    res_f = si.fista(Op, b, si.L1(lam), tol=1e-10, max_iter=20000)
    res_i = si.ista(Op, b, si.L1(lam), tol=1e-10, max_iter=20000)
    assert res_f.converged and res_i.converged
    assert np.iscomplexobj(res_f.x)
    assert abs(res_f.objective - res_i.objective) <= 1e-8 * res_f.objective
    assert np.allclose(res_f.x, res_i.x, atol=1e-5)


def test_complex_matrix_matches_its_real_embedding():
    rng = np.random.default_rng(8)
    A = rng.standard_normal((30, 60)) + 1j * rng.standard_normal((30, 60))
    b = rng.standard_normal(30) + 1j * rng.standard_normal(30)
    lam = 0.2 * si.lam_max(A, b)
    res = si.fista(A, b, si.L1(lam), tol=1e-12, max_iter=20000)
    # optimality of complex L1: |(Aᴴr)_i| ≤ λ off the support, Aᴴr = λ x/|x| on it
    grad = A.conj().T @ (A @ res.x - b)
    assert si.L1(lam).subdiff_distance(res.x, grad).max() <= 1e-5 * lam


# --------------------------------------------------------------------------- L0
@pytest.mark.parametrize("solver", SOLVERS)
def test_l0_returns_a_hard_thresholding_fixed_point(solver):
    A, b, _ = _cs(9, noise=0.05)
    lam = 0.01 * si.lam_max(A, b) ** 2
    res = solver(A, b, si.L0(lam), tol=1e-12, max_iter=5000)
    step = res.step if res.step is not None else 1.0 / np.linalg.norm(A, 2) ** 2
    step = min(step, 1.0 / np.linalg.norm(A, 2) ** 2)
    moved = si.L0(lam).prox(res.x - step * A.T @ (A @ res.x - b), step)
    assert np.array_equal(moved != 0, res.x != 0)
    assert np.allclose(moved, res.x, atol=1e-7)


@pytest.mark.parametrize("solver", SOLVERS)
def test_l0_exact_support_recovery_on_a_well_conditioned_problem(solver):
    rng = np.random.default_rng(10)
    m, n, k = 120, 200, 5
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    support = rng.choice(n, k, replace=False)
    x[support] = rng.choice([-1.0, 1.0], k) * (2 + rng.random(k))
    b = A @ x + 0.01 * rng.standard_normal(m)
    res = solver(A, b, si.L0(0.1), tol=1e-10, max_iter=5000)
    assert set(np.flatnonzero(res.x)) == set(support)
    assert np.linalg.norm(res.x - x) / np.linalg.norm(x) < 0.02


def test_fista_l0_objective_never_increases():
    A, b, _ = _cs(11, noise=0.1)
    res = si.fista(A, b, si.L0(0.02), tol=0, max_iter=300)
    assert np.all(np.diff(res.history["objective"]) <= 1e-12)


def test_irls_brings_back_coefficients_that_reach_zero():
    # start with the true support's coefficients at exactly zero: pylops' model IRLS
    # would freeze them there; with ε > 0 they come back
    A, b, x_true = _cs(12, noise=0.0)
    x0 = np.where(x_true == 0, 0.1, 0.0)
    res = si.irls(A, b, si.L1(1e-3), x0=x0, polish=False, max_iter=200)
    big = np.abs(x_true) > 0
    assert np.all(np.abs(res.x[big]) > 0.5)
    assert np.linalg.norm(res.x - x_true) / np.linalg.norm(x_true) < 0.01


def test_irls_l0_stays_bounded_when_its_weights_are_extreme():
    # beyond the L0 phase transition with λ → 0 the data-space CG solves are far from
    # exact; without the line search on the majorizer the objective jumped from 1e-6 to
    # ~10 here (and to 1e140 on other BLAS builds)
    p = si.problems.compressed_sensing(100, 256, 46, amplitudes="gaussian", rng=99238385)
    lam = 1e-10 * si.lam_max(p.A, p.b) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        res = si.irls(p.A, p.b, si.L0(lam), max_iter=300, tol=1e-10, polish=False, cg_max_iter=1000)
    history = np.array(res.history["objective"])
    assert np.all(np.isfinite(history))
    assert history[1:].max() < 1e-3 * history[0]


# --------------------------------------------------------------------------- FISTA specifics
def test_fista_applies_the_operator_once_each_way_per_iteration():
    A, b, _ = _cs(13)
    counted = _CountingLO(A)
    res = si.fista(
        counted,
        b,
        si.L1(0.1),
        step=0.5 / np.linalg.norm(A, 2) ** 2,
        tol=0,
        max_iter=40,
        refine=False,
    )
    assert res.n_iter == 40
    assert counted.n_matvec == res.n_matvec == 40
    assert counted.n_rmatvec == res.n_rmatvec == 40
    # the history is the true objective at every iterate
    xs = []
    si.fista(
        A,
        b,
        si.L1(0.1),
        step=0.5 / np.linalg.norm(A, 2) ** 2,
        tol=0,
        max_iter=10,
        refine=False,
        callback=lambda x: xs.append(x),
    )
    hist = si.fista(
        A, b, si.L1(0.1), step=0.5 / np.linalg.norm(A, 2) ** 2, tol=0, max_iter=10, refine=False
    ).history["objective"]
    assert np.allclose(hist[1:], [si.objective(A, b, si.L1(0.1), x) for x in xs], rtol=1e-12)


@pytest.mark.parametrize("kind", ["operator", "dense", "sparse"])
def test_a_small_free_set_is_refined_by_a_direct_solve(kind, monkeypatch):
    # spike deconvolution: the restricted system is ill-conditioned, so CG refinements
    # stop at their cap of 100 steps (5 of them on nt = 4000); a direct solve of the
    # free set lands on its minimizer, and the next refinement certifies the optimum
    from sparseinv.solvers import _refine

    p = si.problems.spike_deconvolution(600, 0.002, 30.0, snr_db=20, rng=3)
    dense = p.A @ np.eye(600)
    A = {"operator": p.A, "dense": dense, "sparse": sp.csc_matrix(dense)}[kind]
    pen = si.L1(0.02 * si.lam_max(A, p.b))
    direct = si.fista(A, p.b, pen, tol=1e-10, max_iter=20000)
    monkeypatch.setattr(_refine, "_direct_limit", lambda op, m: 0)  # CG only, as before
    cg = si.fista(A, p.b, pen, tol=1e-10, max_iter=20000)
    assert direct.converged and cg.converged
    assert abs(direct.objective - cg.objective) <= 1e-10 * cg.objective
    assert np.isclose(direct.objective, si.objective(A, p.b, pen, direct.x), rtol=1e-13)
    # the direct solves' columns of A are counted: a LinearOperator pays one matvec for
    # each, once per solve (0.63 of CG's applications here), a matrix none (0.55: 416
    # against 756)
    bound = 0.75 if kind == "operator" else 0.6
    assert direct.n_applications < bound * cg.n_applications, (direct, cg)


def test_a_linear_operators_columns_are_computed_once_per_solve(monkeypatch):
    # a refinement's free set is mostly the last one's: the columns of A computed by
    # unit-vector matvecs are kept, and only the new ones cost a matvec
    from sparseinv import operators

    rng = np.random.default_rng(4)
    A = rng.standard_normal((6, 9))
    op = operators.as_operator(aslinearoperator(A))
    first = op.columns_of([np.array([3, 1, 7])])[0]
    np.testing.assert_array_equal(first, A[:, [3, 1, 7]])
    assert op.n_matvec == 3
    again = op.columns_of([np.array([7, 0, 3, 0])])[0]  # 0 is new, and asked twice
    np.testing.assert_array_equal(again, A[:, [7, 0, 3, 0]])
    assert op.n_matvec == 4
    assert op.columns_of([np.array([], dtype=np.intp)])[0].shape == (6, 0)
    # past the store's budget it starts again, and the columns stay right
    monkeypatch.setattr(operators, "_MAX_KEPT_ENTRIES", 6 * 5)
    late = op.columns_of([np.array([8, 5, 2])])[0]  # 4 kept + 3 new > 5: emptied first
    np.testing.assert_array_equal(late, A[:, [8, 5, 2]])
    assert op.n_matvec == 7
    np.testing.assert_array_equal(op.columns_of([np.array([1, 8])])[0], A[:, [1, 8]])
    assert op.n_matvec == 8  # 8 was kept after the reset, 1 was not


def test_the_direct_refinement_keeps_signs_and_lowers_the_quadratic():
    from sparseinv.solvers._refine import _direct

    rng = np.random.default_rng(5)
    A_S = rng.standard_normal((20, 8)) @ np.diag(np.geomspace(1, 1e-2, 8))  # ill-conditioned
    x0 = rng.choice([-1.0, 1.0], 8)[:, None] * (0.5 + rng.random((8, 1)))
    r = rng.standard_normal((20, 1))
    offset = 0.3 * np.sign(x0)  # L1 with λ = 0.3 on a fixed sign pattern
    lo, hi = np.where(x0 > 0, 0.0, -np.inf), np.where(x0 < 0, 0.0, np.inf)

    def quadratic(x):
        return 0.5 * np.sum((A_S @ x - r) ** 2) + float(offset[:, 0] @ x[:, 0])

    x = _direct(np, A_S, x0.copy(), r, offset, 0.0, lo, hi)
    assert np.all((x >= lo) & (x <= hi))  # no sign changed: it stopped at zero
    assert quadratic(x) < quadratic(x0)
    free = x[:, 0] != 0
    assert free.sum() < 8  # the unconstrained minimizer flips signs here: some are dropped
    grad = A_S.T @ (A_S @ x - r) + offset
    np.testing.assert_allclose(grad[free], 0, atol=1e-9)  # stationary on what stays free
    # without limits (L2 with a ridge): the exact solution of the normal equations
    ridge = np.full((8, 1), 0.5)
    x = _direct(np, A_S, x0.copy(), r, np.zeros((8, 1)), ridge, None, None)
    exact = np.linalg.solve(A_S.T @ A_S + 0.5 * np.eye(8), A_S.T @ r)
    np.testing.assert_allclose(x, exact, rtol=1e-10)


def test_the_direct_refinement_factors_its_normal_matrix_once(monkeypatch):
    # a coefficient reaching its limit is held there through the columns of H⁻¹ (a solve
    # of the held ones only), not by a new factorization of the coefficients left free
    from sparseinv.solvers._refine import _direct

    rng = np.random.default_rng(10)
    s = 40
    A_S = rng.standard_normal((60, s)) @ np.diag(np.geomspace(1, 1e-1, s))
    x0 = rng.choice([-1.0, 1.0], s)[:, None] * (0.5 + rng.random((s, 1)))
    r = rng.standard_normal((60, 1))
    offset = 0.05 * np.sign(x0)
    lo, hi = np.where(x0 > 0, 0.0, -np.inf), np.where(x0 < 0, 0.0, np.inf)
    sizes = []

    def spy(original):
        def counted(a, *args, **kwargs):
            sizes.append(a.shape[0])
            return original(a, *args, **kwargs)

        return counted

    for name in ("solve", "cholesky", "inv"):
        monkeypatch.setattr(np.linalg, name, spy(getattr(np.linalg, name)))
    x = _direct(np, A_S, x0.copy(), r, offset, 0.0, lo, hi)
    held = int(np.sum(x[:, 0] == 0))
    assert 3 <= held < s // 2, held  # several coefficients reached zero, most stayed free
    # one factorization of the s×s normal matrix; re-solving the free ones would be
    # systems of s - 1, s - 2, ... > held coefficients
    assert [size for size in sizes if size > held] == [s], sizes
    free = x[:, 0] != 0
    grad = A_S.T @ (A_S @ x - r) + offset
    np.testing.assert_allclose(grad[free], 0, atol=1e-9)
    assert np.all((x >= lo) & (x <= hi))


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_a_gathered_free_set_larger_than_a_capped_cg_is_refined_directly(kind, monkeypatch):
    # with one λ per group, a 4× smaller λ on half the columns frees over 300 of 500
    # coefficients: past the cap for computed columns (256), but a matrix's columns are
    # a gather
    from sparseinv.solvers import _refine

    rng = np.random.default_rng(0)
    m, n = 500, 2000
    dense = rng.standard_normal((m, n)) / np.sqrt(m)
    x_true = np.zeros(n)
    x_true[rng.choice(n, 50, replace=False)] = rng.standard_normal(50)
    b = dense @ x_true + 0.03 * rng.standard_normal(m)
    lam = 0.05 * si.lam_max(dense, b) * np.array([0.5, 2.0])
    pen = si.L1(lam, groups=si.Groups.from_sizes([n // 2, n // 2]))
    A = dense if kind == "dense" else sp.csc_matrix(dense)
    calls = {"cg": 0, "direct": []}
    cg, direct = _refine._conjugate_gradients, _refine._direct

    def count_cg(*args, **kwargs):
        calls["cg"] += 1
        return cg(*args, **kwargs)

    def count_direct(xp, A_S, *args):
        calls["direct"].append(A_S.shape[1])
        return direct(xp, A_S, *args)

    monkeypatch.setattr(_refine, "_conjugate_gradients", count_cg)
    monkeypatch.setattr(_refine, "_direct", count_direct)
    res = si.fista(A, b, pen, tol=1e-10, max_iter=20000)
    assert res.converged
    assert calls["cg"] == 0 and max(calls["direct"]) > _refine._DIRECT_MAX, calls
    monkeypatch.setattr(_refine, "_direct_limit", lambda op, m: 0)  # CG only, as before
    cg = si.fista(A, b, pen, tol=1e-10, max_iter=20000)
    assert cg.converged and calls["cg"] > 0
    assert abs(res.objective - cg.objective) <= 1e-10 * cg.objective
    assert res.n_applications < 0.75 * cg.n_applications, (res, cg)


def test_fista_beats_ista_and_restart_and_refinement_help_when_ill_conditioned():
    rng = np.random.default_rng(14)
    A = rng.standard_normal((100, 80)) @ np.diag(np.geomspace(1, 1e-2, 80))
    b = rng.standard_normal(100)
    pen = si.L1(0.01 * si.lam_max(A, b))
    f_star = si.fista(A, b, pen, tol=1e-13, max_iter=20000).objective

    def gap_after(solver, **kw):
        res = solver(A, b, pen, tol=0, max_iter=1000, **kw)
        return res.objective - f_star

    ista = gap_after(si.ista)
    plain = gap_after(si.fista, refine=False, restart=False, anderson=False)
    restarted = gap_after(si.fista, refine=False, anderson=False)
    assert restarted < 1e-2 * plain and plain < 1e-2 * ista
    # the support refinement certifies the optimum in far fewer iterations
    refined = si.fista(A, b, pen, tol=1e-8, max_iter=20000)
    unrefined = si.fista(A, b, pen, tol=1e-8, max_iter=20000, refine=False, anderson=False)
    assert refined.converged and unrefined.converged
    assert refined.n_applications < 0.5 * unrefined.n_applications


def test_step_estimate_is_cheap_and_close():
    A, _, _ = _cs(15, m=200, n=500)
    est = si.lipschitz(A)
    true = np.linalg.norm(A, 2) ** 2
    assert 0.9 * true <= est.value <= 1.1 * true
    assert est.n_iter <= 30


# --------------------------------------------------------------------------- operators
def _operators(A):
    return {
        "ndarray": A,
        "sparse": sp.csr_matrix(A),
        "scipy_lo": aslinearoperator(A),
        "pylops": pylops.MatrixMult(A),
    }


@pytest.mark.parametrize("kind", ["ndarray", "sparse", "scipy_lo", "pylops"])
def test_every_operator_kind_gives_the_same_solution(kind):
    A, b, _ = _cs(16)
    pen = si.L1(0.1 * si.lam_max(A, b))
    ref = si.fista(A, b, pen, tol=1e-10)
    res = si.fista(_operators(A)[kind], b, pen, tol=1e-10)
    assert np.allclose(res.x, ref.x, atol=1e-8)


# --------------------------------------------------------------------------- contract
class _CountingLO(pylops.LinearOperator):
    def __init__(self, A):
        super().__init__(Op=pylops.MatrixMult(A, dtype=A.dtype))
        self.n_matvec = self.n_rmatvec = 0

    def _matvec(self, x):
        self.n_matvec += 1
        return self.Op._matvec(x)

    def _rmatvec(self, x):
        self.n_rmatvec += 1
        return self.Op._rmatvec(x)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", si.PENALTIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_contract(solver, cls, dtype):
    A, b, _ = _cs(17)
    A = A.astype(dtype)
    b = b.astype(dtype)
    groups = si.Groups.from_sizes([100, 50])
    lam = np.array([0.05, 0.2]) * (si.lam_max(A, b) if cls is not si.L0 else 0.1)
    pen = cls(lam, groups=groups)
    x0 = np.full(A.shape[1], 0.01, dtype=dtype)
    copies = [A.copy(), b.copy(), x0.copy(), lam.copy()]
    counted = _CountingLO(A)
    res = _quiet(solver, counted, b, pen, x0=x0, max_iter=50)
    # inputs untouched
    for before, after in zip(copies, [A, b, x0, lam], strict=True):
        assert np.array_equal(before, after)
    # dtype and shape kept
    assert res.x.shape == (A.shape[1],)
    assert res.x.dtype == np.dtype(dtype)
    # every field filled, history consistent
    assert res.solver == solver.__name__
    assert res.stop_reason in ("converged", "max_iter")
    assert res.converged == (res.stop_reason == "converged")
    assert np.isfinite(res.objective) and res.n_iter >= 1
    for key in ("objective", "optimality", "n_applications"):
        assert len(res.history[key]) == res.n_iter + 1
    assert np.isclose(res.objective, res.history["objective"][-1])
    assert np.isclose(res.objective, si.objective(A, b, pen, res.x), rtol=1e-5)
    # counters equal the calls made
    assert (res.n_matvec, res.n_rmatvec) == (counted.n_matvec, counted.n_rmatvec)
    assert res.history["n_applications"][-1] <= res.n_applications
    # deterministic, and the matrix itself gives the same solve (its refinements may
    # use products with its free columns only, so not the same bits)
    again = _quiet(solver, counted, b, pen, x0=x0, max_iter=50)
    assert np.array_equal(again.x, res.x)
    matrix = _quiet(solver, A, b, pen, x0=x0, max_iter=50)
    # 50 iterations from different rounding: float32 iterates agree to some ulps only
    double = res.x.dtype == np.float64
    rtol, atol, ftol = (1e-7, 1e-9, 1e-9) if double else (1e-4, 1e-5, 1e-6)
    np.testing.assert_allclose(matrix.x, res.x, rtol=rtol, atol=atol)
    assert abs(matrix.objective - res.objective) <= ftol * abs(res.objective)


def test_result_is_frozen():
    res = si.fista(np.eye(2), np.ones(2), si.L1(0.1))
    with pytest.raises(AttributeError):
        res.x = None
    with pytest.raises(TypeError):
        res.history["objective"] = []
    with pytest.raises(ValueError):
        res.history["objective"][0] = 1.0


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("solver", SOLVERS)
def test_bad_inputs_are_named(solver):
    A, b, _ = _cs(18)
    pen = si.L1(0.1)
    cases = [
        ((A, b[:-1], pen), {}, ValueError, r"b must have shape \(60,\) or \(60, k\)"),
        ((A, b, pen), {"x0": np.zeros(3)}, ValueError, "x0 must have 150 entries"),
        ((A, np.where(np.arange(60) == 3, np.nan, b), pen), {}, ValueError, "b must be finite"),
        ((A, b, pen), {"x0": np.full(150, np.inf)}, ValueError, "x0 must be finite"),
        ((A, b, si.L1(np.ones(7))), {}, ValueError, "lam cover 7 coefficients"),
        ((A, b, si.L1(1.0, groups=si.Groups.from_sizes([5]))), {}, ValueError, "groups cover"),
        ((A, b, "l1"), {}, TypeError, "penalty must be a sparseinv penalty"),
        ((A, b, pen), {"max_iter": 0}, ValueError, "max_iter"),
        ((A, b, pen), {"max_iter": 2.5}, TypeError, "max_iter"),
        ((A, b, pen), {"tol": -1.0}, ValueError, "tol"),
        (("not an operator", b, pen), {}, TypeError, "A must be"),
    ]
    if solver is not si.irls:
        cases += [
            ((A, b, pen), {"step": 0.0}, ValueError, "step"),
            ((A, b, pen), {"step": -1.0}, ValueError, "step"),
        ]
    for args, kwargs, exc, match in cases:
        with pytest.raises(exc, match=match):
            solver(*args, **kwargs)


def test_keyword_only_options():
    with pytest.raises(TypeError):
        si.fista(np.eye(2), np.ones(2), si.L1(0.1), None)


@pytest.mark.parametrize("solver", [si.ista, si.fista])
def test_divergence_is_reported_not_silent(solver):
    A, b, _ = _cs(19)
    too_big = 10.0 / np.linalg.norm(A, 2) ** 2
    with pytest.warns(si.ConvergenceWarning, match="diverged"):
        res = solver(A, b, si.L2(0.0), step=too_big, max_iter=5000)
    assert res.stop_reason == "diverged" and not res.converged
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.objective)


@pytest.mark.parametrize("solver", SOLVERS)
def test_max_iter_warns_and_tol_zero_does_not(solver):
    A, b, _ = _cs(20)
    pen = si.L1(0.01 * si.lam_max(A, b))
    with pytest.warns(si.ConvergenceWarning, match="max_iter"):
        res = solver(A, b, pen, max_iter=2, tol=1e-14)
    assert res.stop_reason == "max_iter" and not res.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error", si.ConvergenceWarning)
        res = solver(A, b, pen, max_iter=3, tol=0)
    assert res.stop_reason == "max_iter"


def test_callback_can_stop_the_solve():
    A, b, _ = _cs(21)
    seen = []
    res = si.fista(A, b, si.L1(0.01), callback=lambda x: seen.append(x) or len(seen) == 3)
    assert res.stop_reason == "callback" and res.n_iter == 3 and len(seen) == 3


def test_converters():
    assert si.to_pylops_eps(0.3) == 0.6 and si.from_pylops_eps(0.6) == 0.3
    assert si.to_sklearn_alpha(5.0, 50) == 0.1 and si.from_sklearn_alpha(0.1, 50) == 5.0
    with pytest.raises(ValueError, match="lam"):
        si.to_pylops_eps(-1.0)
    with pytest.raises(TypeError, match="n_samples"):
        si.to_sklearn_alpha(1.0, 2.5)


def test_pylops_fista_with_converted_eps_reaches_our_optimum():
    A, b, _ = _cs(22)
    lam = 0.1 * si.lam_max(A, b)
    ours = si.fista(A, b, si.L1(lam), tol=1e-12)
    theirs = pylops.optimization.sparsity.fista(
        pylops.MatrixMult(A), b, niter=5000, eps=si.to_pylops_eps(lam), tol=0
    )[0]
    assert np.allclose(theirs, ours.x, atol=1e-6)


def test_fistas_momentum_tables_are_the_recurrence_and_shared_read_only():
    # every solve starts from one cached table: it must hold the recurrence's values
    # and no solve may write into it
    import math

    from sparseinv.solvers._state import Momentum

    t = [1.0]
    for _ in range(600):
        t.append(0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t[-1] * t[-1])))
    t = np.array(t)
    first, second = Momentum(), Momentum()
    assert first.t is second.t and not first.t.flags.writeable
    with pytest.raises(ValueError):
        first.beta[0] = 1.0
    first.extend(600)
    np.testing.assert_array_equal(first.t, t)
    np.testing.assert_array_equal(first.beta, (t[:-1] - 1.0) / t[1:])
    assert second.t.size == 257  # extending one table leaves the shared one as it was
