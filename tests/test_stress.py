"""Stress suite of issue 8: every solver x penalty on adversarial but valid input.

Each test asserts, through the public API only:

- a bounded run: iteration and operator-application counts within the documented work
  (:func:`_hardening.check_result`), and a budget on the applications of A that turns
  a solve that never returns into a failure (:class:`_hardening.Runaway`) after a
  bounded amount of work; pytest-timeout is only the backstop;
- a finite result, or ``stop_reason == "diverged"``, or a ``ValueError``/``TypeError``
  that names the argument;
- agreement with a reference (closed form, scikit-learn's Lasso at a tight tolerance,
  the unscaled problem) and across storage formats;
- that no input was modified.

Tests are named after the defect of issue 8 they prove. Those that fail on today's
solvers (issue 8 items 0-9, in the core files) are ``xfail(strict=True)``: the fix
turns them into an XPASS, which fails the run until the marker is removed.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pylops
import pytest
import scipy.sparse as sp
from _hardening import (
    PENALTIES,
    SOLVERS,
    Runaway,
    equivalent_lam,
    formats,
    reference_lasso,
    run_solver,
)
from scipy.fft import dct
from scipy.sparse.linalg import LinearOperator, aslinearoperator
from sklearn.datasets import make_low_rank_matrix, make_regression

import sparseinv as si

pytestmark = pytest.mark.timeout(60)

SOLVER_NAMES = sorted(SOLVERS)
PENALTY_NAMES = sorted(PENALTIES)
CONVEX = ("l1", "l2")
TOL = 1e-6  # the solvers' default tol


def _gaussian(m: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n)), rng.standard_normal(m)


def _objective(A, b, pen):
    return lambda x: si.objective(A, b, pen, x)


def _optimum(A: np.ndarray, b: np.ndarray, name: str, lam: float) -> float:
    """F* of the convex problems: the L2 closed form, scikit-learn's Lasso for L1."""
    pen = PENALTIES[name](lam)
    if name == "l2":
        n = A.shape[1]
        x = np.linalg.solve(A.conj().T @ A + lam * np.eye(n), A.conj().T @ b)
    else:
        x = reference_lasso(A, b, lam)
    return si.objective(A, b, pen, x)


def _outcome_or_clear_error(call, argument: str):
    """The result of ``call()``, or None when it raised a clear error naming ``argument``."""
    try:
        return call()
    except Runaway:
        raise
    except (ValueError, TypeError) as err:
        assert re.search(rf"\b{argument}\b", str(err)), f"the error does not name {argument}: {err}"
        return None


# =============================================================== item 0: wrong answer, converged
def _small_wide_failures(solver: str, problems, lam_ratio: float) -> list[str]:
    """Problems where the default solve is above the optimum or misreports F(x)."""
    failures = []
    for label, A, b in problems:
        lam = lam_ratio * si.lam_max(A, b)
        pen = si.L1(lam)
        res, _ = run_solver(solver, A, b, pen)
        F = si.objective(A, b, pen, res.x)
        F_star = _optimum(A, b, "l1", lam)
        if not math.isclose(res.objective, F, rel_tol=1e-9):
            failures.append(f"{label}: res.objective {res.objective:.4g} but F(res.x) {F:.4g}")
        elif res.converged and F > F_star * (1 + TOL) + 1e-15:
            failures.append(f"{label}: converged at F = {F:.4g}, {F / F_star:.3g} x F*")
    return failures


GAUSSIAN_8x30 = [(f"draw {s}", *_gaussian(8, 30, s)) for s in range(40)]
FEW_ROWS = {m: [(f"m={m} draw {s}", *_gaussian(m, 25, 100 + s)) for s in range(12)] for m in (4, 6)}


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_default_solve_reaches_the_optimum_on_gaussian_8x30(solver):
    failures = _small_wide_failures(solver, GAUSSIAN_8x30, 0.05)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("m", sorted(FEW_ROWS))
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_default_solve_reaches_the_optimum_with_few_rows(solver, m):
    failures = _small_wide_failures(solver, FEW_ROWS[m], 0.05)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_two_equal_columns_reach_the_optimum_and_report_F_of_x(solver):
    problems = []
    for seed in range(4):
        A, b = _gaussian(6, 12, seed)
        problems.append((f"draw {seed}", np.hstack([A, A[:, :1]]), b))
    failures = _small_wide_failures(solver, problems, 1e-3)
    assert not failures, "\n".join(failures)


# ================================================================ item 1: entries near float max
@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize(
    "solver",
    SOLVER_NAMES,
)
def test_entries_near_float_max_end_in_bounded_work(solver, penalty):
    rng = np.random.default_rng(0)
    A = np.finfo(np.float64).max * rng.uniform(size=(10, 2))  # huge but finite
    b = rng.standard_normal(10)
    assert np.all(np.isfinite(A))
    pen = PENALTIES[penalty](1.0)
    res = _outcome_or_clear_error(
        lambda: run_solver(solver, A, b, pen, **_bounded_options(solver))[0], "A"
    )
    assert res is None or res.stop_reason in ("converged", "diverged", "max_iter")


# ================================================================ item 2: L2 refinement diverges
def _sklearn_ridge_data(n_samples: int, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    # scikit-learn's dense/sparse equality test for ridge-type elastic nets
    return make_regression(
        n_samples=n_samples,
        n_features=n_features,
        effective_rank=n_features // 2,
        n_informative=n_features // 2,
        noise=1,
        random_state=42,
    )


@pytest.mark.parametrize("shape", [(24, 6), (6, 24)], ids=["24x6", "6x24"])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_l2_refinement_never_diverges(solver, shape):
    A, b = _sklearn_ridge_data(*shape)
    res, _ = run_solver(solver, A, b, si.L2(24.0))
    assert res.stop_reason == "converged"
    F_star = _optimum(A, b, "l2", 24.0)
    assert si.objective(A, b, si.L2(24.0), res.x) <= F_star * (1 + TOL)


# ================================================================ item 3: IRLS at λ_max
SKLEARN_ALPHA_MAX_X = np.array([[3.0, -1.0], [2.0, -5.0], [5.0, -3.0], [1.0, -4.0]])


@pytest.mark.parametrize("ratio", [1.0, 1.01, 10.0])
@pytest.mark.parametrize("kind", ["dense", "csc_array", "csc_matrix"])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_lam_at_or_above_lam_max_gives_the_exact_zero_solution(solver, kind, ratio):
    # scikit-learn's alpha_max test: x = 0 exactly, and F(0) = ½‖b‖² reported
    A = SKLEARN_ALPHA_MAX_X
    b = A @ np.array([1.0, -2.0])
    lam = ratio * si.lam_max(A, b)
    A_kind = {"dense": A, "csc_array": sp.csc_array(A), "csc_matrix": sp.csc_matrix(A)}[kind]
    res, _ = run_solver(solver, A_kind, b, si.L1(lam))
    assert res.converged
    assert np.array_equal(res.x, np.zeros(2)), res.x
    assert res.objective == 0.5 * float(b @ b)


@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_no_solve_returns_a_point_worse_than_its_start(solver, penalty):
    A, b = _gaussian(20, 40, 7)
    pen = PENALTIES[penalty](0.2 * si.lam_max(A, b))
    x0 = np.random.default_rng(8).standard_normal(40) * (np.arange(40) < 5)
    res, _ = run_solver(solver, A, b, pen, x0=x0)
    assert si.objective(A, b, pen, res.x) <= si.objective(A, b, pen, x0) * (1 + 1e-12)


# ================================================================ item 4: IRLS accuracy
def _correlated(n: int, p: int, seed: int, rho: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Columns with correlation rho^|i-j|, 20 % non-zeros, SNR 3 (as skglm's test data)."""
    rng = np.random.default_rng(seed)
    cov = rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    A = rng.multivariate_normal(np.zeros(p), cov, size=n)
    w = np.zeros(p)
    values = rng.standard_normal(max(1, p // 5))
    w[rng.choice(p, values.size, replace=False)] = values
    b = A @ w
    b += rng.standard_normal(n) * np.linalg.norm(b) / np.sqrt(n) / 3
    return A, b


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_certificate_bounds_the_distance_to_the_lasso_minimizer(solver):
    # skglm's comparison with scikit-learn's Lasso (rho = 0.1): at tol = 1e-10 every
    # solver must be as close to the minimizer as FISTA and scikit-learn are to each other
    A, b = _correlated(18, 8, seed=4)
    lam = 0.1 * si.lam_max(A, b)
    pen = si.L1(lam)
    x_ref = reference_lasso(A, b, lam)
    res, _ = run_solver(solver, A, b, pen, tol=1e-10, max_iter=None if solver == "irls" else 20000)
    assert res.converged
    F, F_ref = si.objective(A, b, pen, res.x), si.objective(A, b, pen, x_ref)
    # the reported measure bounds the true relative suboptimality
    assert (F - F_ref) / F <= res.optimality + 1e-14
    # a gap bounds F - F*, not the distance (the Lasso is not strongly convex); at a gap
    # of 1e-10 every solver still lands within 1e-5 of the minimizer
    assert np.linalg.norm(res.x - x_ref) <= 1e-5 * np.linalg.norm(x_ref)


# ================================================================ item 5: L2 stopping rule
def _ill_conditioned_ridge(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((30, 10)))
    V, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    return U @ np.diag(np.logspace(0, -3, 10)) @ V.T, rng.standard_normal(30)


def _ridge_problems():
    out = {}
    for shape in ((12, 4), (4, 12)):  # scikit-learn's ols_ridge_dataset
        rng = np.random.RandomState(0)
        A = make_low_rank_matrix(*shape, effective_rank=min(shape), random_state=rng)
        A[:, -1] = 1
        out[f"sklearn-{shape[0]}x{shape[1]}"] = (A, rng.standard_normal(shape[0]), 1.0)
    out["ill-conditioned"] = (*_ill_conditioned_ridge(0), 1e-4)
    return out


RIDGE = _ridge_problems()


@pytest.mark.parametrize("problem", sorted(RIDGE))
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_l2_matches_the_closed_form_to_1e7(solver, problem):
    # scikit-learn's ridge test: tol = 1e-10 and 1e-7 relative against the closed form
    A, b, lam = RIDGE[problem]
    x_star = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ b)
    res, _ = run_solver(solver, A, b, si.L2(lam), tol=1e-10, max_iter=20000)
    if solver == "ista" and problem == "ill-conditioned":
        # ISTA needs ~L/μ·log(1/tol) ≈ 2e5 steps here: it may run out, but must say so
        assert res.converged or res.stop_reason == "max_iter"
    else:
        assert res.converged
    if res.converged:  # the L2 measure bounds the relative distance: converged means close
        assert np.linalg.norm(res.x - x_star) <= 1e-7 * np.linalg.norm(x_star)


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_converged_l2_is_within_what_tol_promises(solver):
    # at the default tol the answer may be rough, but "converged" must keep its promise:
    # F(x) - F* <= tol F(x), the meaning of the duality gap the L1 solvers report
    A, b, lam = RIDGE["ill-conditioned"]
    res, _ = run_solver(solver, A, b, si.L2(lam), max_iter=20000)
    assert res.converged or (solver == "ista" and res.stop_reason == "max_iter")
    F = si.objective(A, b, si.L2(lam), res.x)
    if res.converged:
        assert F - _optimum(A, b, "l2", lam) <= TOL * F


# ================================================================ item 6: storage formats
FORMAT_CASES = {
    "6x24-lam3": (*_sklearn_ridge_data(6, 24), 3.0),
    "24x6-lam12": (*_sklearn_ridge_data(24, 6), 12.0),
}


@pytest.mark.parametrize("case", sorted(FORMAT_CASES))
@pytest.mark.parametrize("penalty", CONVEX)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_storage_formats_agree_to_the_tolerance_asked(solver, penalty, case):
    A, b, lam = FORMAT_CASES[case]
    A = A - A.mean(axis=0)
    b = b - b.mean()
    pen = PENALTIES[penalty](lam)
    results = {name: run_solver(solver, Af, b, pen)[0] for name, Af in formats(A).items()}
    F_star = _optimum(A, b, penalty, lam)
    x_dense = results["dense"].x
    for name, res in results.items():
        assert res.converged, name
        F = si.objective(A, b, pen, res.x)
        assert F <= F_star * (1 + TOL), name
        # the same matrix gives the same answer: to rounding, not to tol
        assert np.linalg.norm(res.x - x_dense) <= 1e-7 * np.linalg.norm(x_dense), name


# ================================================================ item 7: more hangs
def _bad_operator(kind: str, bad: float):
    A, b = _gaussian(20, 10, 3)
    A[3, 4] = bad
    op = {
        "csc": lambda: sp.csc_array(A),
        "csr_matrix": lambda: sp.csr_matrix(A),
        "linop": lambda: aslinearoperator(A),
        "pylops": lambda: pylops.MatrixMult(A),
    }[kind]()
    return op, b


def _bounded_options(solver: str) -> dict:
    # small budgets: a hang becomes a Runaway after a few thousand applications
    return {"max_iter": 50, "cg_max_iter": 50} if solver == "irls" else {"max_iter": 200}


@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize("bad", [math.nan, math.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("kind", ["csc", "csr_matrix", "linop", "pylops"])
def test_non_finite_entries_inside_an_operator_are_an_error_or_diverged(kind, bad, solver, penalty):
    # a dense NaN is rejected up front; inside these kinds it was not, and the loops hung
    op, b = _bad_operator(kind, bad)
    res = _outcome_or_clear_error(
        lambda: run_solver(solver, op, b, PENALTIES[penalty](0.1), **_bounded_options(solver)),
        "A",
    )
    if res is not None:
        assert res[0].stop_reason == "diverged", res[0].stop_reason


@pytest.mark.parametrize("scale", [1e160, 1e200, 1e300])
@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_huge_operator_is_solved_or_rejected(solver, penalty, scale):
    # ‖A‖² overflows: a clear error for A, "diverged", or the answer of the unscaled problem
    A, b = _gaussian(20, 10, 5)
    lam = 0.1 * si.lam_max(A, b)
    factor = {"l0": 1.0, "l1": scale, "l2": scale * scale}[penalty]
    pen_scaled = PENALTIES[penalty](lam * factor) if math.isfinite(lam * factor) else None
    if pen_scaled is None:  # λ s² beyond float64: only L0 and L1 have this test at 1e300
        pytest.skip("the equivalent λ overflows float64")
    _check_scaled(solver, penalty, A, b, scale, pen_scaled, lam)


@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_tiny_operator_with_tiny_lam_is_solved_or_rejected(solver, penalty):
    # irls(A·1e-160, L1(1e-300)) hung; ‖A‖² = 1e-320 is subnormal
    A, b = _gaussian(20, 10, 5)
    scale = 1e-160
    pen_scaled = PENALTIES[penalty](1e-300)
    _check_scaled(solver, penalty, A, b, scale, pen_scaled, equivalent_lam(penalty, 1e-300, scale))


def _check_scaled(solver, penalty, A, b, scale, pen_scaled, lam_unscaled):
    """sA with pen_scaled is the problem (A, lam_unscaled) in the variable s·x."""
    res = _outcome_or_clear_error(
        lambda: run_solver(solver, A * scale, b, pen_scaled, **_bounded_options(solver))[0], "A"
    )
    if res is None or res.stop_reason == "diverged":
        return
    assert res.stop_reason == "converged", res.stop_reason
    x_unscaled = scale * res.x
    pen = PENALTIES[penalty](lam_unscaled)
    F = si.objective(A, b, pen, x_unscaled)
    assert math.isclose(res.objective, F, rel_tol=1e-9)
    if penalty in CONVEX:
        assert F <= _optimum(A, b, penalty, lam_unscaled) * (1 + TOL) + 1e-12


@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_huge_start_is_recovered_from_or_diverged(solver, penalty):
    # x0 = 1e160·ones: F(x0) overflows; ISTA and FISTA hung
    A, b = _gaussian(20, 10, 5)
    lam = 0.1 * si.lam_max(A, b)
    pen = PENALTIES[penalty](lam)
    res = _outcome_or_clear_error(
        lambda: run_solver(solver, A, b, pen, x0=1e160 * np.ones(10), **_bounded_options(solver))[
            0
        ],
        "x0",
    )
    if res is None or res.stop_reason == "diverged":
        return
    assert res.stop_reason == "converged"
    if penalty in CONVEX:
        assert si.objective(A, b, pen, res.x) <= _optimum(A, b, penalty, lam) * (1 + TOL)


def test_select_lambda_with_a_non_finite_operator_ends():
    from _hardening import Budget, counted

    op, b = _bad_operator("csc", math.nan)
    budget = Budget(200_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            si.select_lambda(counted(op, budget), b, "l1", method="discrepancy", noise_std=0.1)
    except ValueError as err:
        assert re.search(r"\bA\b", str(err)), err


# ================================================================ item 8: output buffers
def _buffer_reusing_operator(A: np.ndarray) -> LinearOperator:
    """A legal scipy LinearOperator that returns the same output array every time."""
    out_m, out_r = np.empty(A.shape[0]), np.empty(A.shape[1])

    def matvec(x):
        out_m[:] = A @ np.ravel(x)
        return out_m

    def rmatvec(y):
        out_r[:] = A.T @ np.ravel(y)
        return out_r

    return LinearOperator(A.shape, matvec=matvec, rmatvec=rmatvec, dtype=A.dtype)


@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_operator_reusing_its_output_buffer_gives_the_same_answer(solver, penalty):
    # ISTA and FISTA stopped as "diverged", IRLS converged 12 % above the optimum
    A, b = _gaussian(30, 60, 1)
    A /= np.sqrt(30)
    pen = PENALTIES[penalty](0.1 * si.lam_max(A, b))
    reference, _ = run_solver(solver, aslinearoperator(A), b, pen)
    res, _ = run_solver(solver, _buffer_reusing_operator(A), b, pen)
    assert res.stop_reason == reference.stop_reason
    np.testing.assert_allclose(res.x, reference.x, rtol=1e-9, atol=1e-12)


# ================================================================ item 9: np.True_ callbacks
@pytest.mark.parametrize(
    "stop", [True, np.True_, np.bool_(1)], ids=["True", "np.True_", "np.bool_"]
)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_callback_returning_a_true_value_stops_the_solve(solver, stop):
    A, b = _gaussian(30, 60, 1)
    calls = []

    def callback(x):
        calls.append(x)
        return stop

    pen = si.L1(0.1 * si.lam_max(A, b))
    res, _ = run_solver(solver, A, b, pen, tol=0, max_iter=50, callback=callback)
    assert res.stop_reason == "callback"
    assert len(calls) == 1


@pytest.mark.parametrize("go_on", [None, False, np.False_], ids=["None", "False", "np.False_"])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_callback_returning_a_false_value_does_not_stop(solver, go_on):
    A, b = _gaussian(30, 60, 1)
    calls = []

    def callback(x):
        calls.append(x)
        return go_on

    res, _ = run_solver(
        solver, A, b, si.L1(0.1 * si.lam_max(A, b)), tol=0, max_iter=5, callback=callback
    )
    assert res.stop_reason == "max_iter"
    assert len(calls) >= 5


# ================================================================ warm start at the solution
ORTHONORMAL = dct(np.eye(32), norm="ortho", axis=0)


@pytest.mark.parametrize("penalty", CONVEX)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_start_at_the_exact_solution_costs_one_certificate(solver, penalty):
    # orthonormal A: the solution is the prox of Aᵀb, exact to rounding
    b = np.random.default_rng(2).standard_normal(32)
    pen = PENALTIES[penalty](0.3)
    x_star = pen.prox(ORTHONORMAL.T @ b, 1.0)
    res, _ = run_solver(solver, ORTHONORMAL, b, pen, x0=x_star)
    assert res.converged
    assert res.n_matvec <= 1 and res.n_rmatvec <= 1, (res.n_matvec, res.n_rmatvec)
    np.testing.assert_allclose(res.x, x_star, atol=1e-12)


# ================================================================ adversarial but valid matrices
def _adversarial() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    out = {}
    A = rng.standard_normal((15, 6)) @ rng.standard_normal((6, 25))  # rank 6 of 15
    out["rank-deficient"] = (A, rng.standard_normal(15))
    U, _ = np.linalg.qr(rng.standard_normal((20, 12)))
    V, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    out["cond-1e12"] = (U @ np.diag(np.logspace(0, -12, 12)) @ V.T, rng.standard_normal(20))
    A = rng.standard_normal((15, 20))
    A[:, [0, 7, 19]] = 0.0
    out["zero-columns"] = (A, rng.standard_normal(15))
    A = rng.standard_normal((15, 10))
    out["duplicated-columns"] = (np.hstack([A, A[:, :3]]), rng.standard_normal(15))
    out["1x1"] = (np.array([[2.0]]), np.array([3.0]))
    out["1xn"] = (rng.standard_normal((1, 8)), np.array([1.5]))
    out["nx1"] = (rng.standard_normal((8, 1)), rng.standard_normal(8))
    return out


ADVERSARIAL = _adversarial()


@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
def test_adversarial_matrices_in_every_format(case, solver, penalty):
    A, b = ADVERSARIAL[case]
    lam = 0.1 * si.lam_max(A, b) if penalty != "l2" else 0.1 * np.linalg.norm(A, 2) ** 2
    if penalty == "l0":
        lam = lam**2 / 10  # L0's λ is a squared amplitude
    pen = PENALTIES[penalty](lam)
    results = {}
    for name, Af in formats(A).items():
        res, _ = run_solver(solver, Af, b, pen)
        # F at x computed two ways (this format's product, the dense one) differs by the
        # rounding of A x: eps·‖|A||x|‖ per residual, times ‖r‖ (x reaches 1e8 at cond 1e12)
        x = np.asarray(res.x)
        rounding = 8 * np.finfo(float).eps * np.linalg.norm(np.abs(A) @ np.abs(x))
        rounding *= np.linalg.norm(A @ x - b) + rounding
        F = si.objective(A, b, pen, res.x)
        assert math.isclose(res.objective, F, rel_tol=1e-9, abs_tol=rounding), name
        results[name] = res
    if case == "zero-columns":
        for res in results.values():
            assert np.all(res.x[[0, 7, 19]] == 0)
    F = {name: si.objective(A, b, pen, res.x) for name, res in results.items()}
    if penalty in CONVEX:
        F_star = _optimum(A, b, penalty, lam)
        for name, res in results.items():
            if res.converged:
                assert F[name] <= F_star * (1 + TOL) + 1e-300, (name, F[name], F_star)
    elif case == "cond-1e12":
        # L0 is non-convex: on a matrix of condition 1e12 the rounding of one storage
        # format against another can lead to another local minimum (supports of 10 and
        # 11 here), so each format must return a certified fixed point of the step
        for name, res in results.items():
            if res.converged:
                grad = A.T @ (A @ res.x - b)
                moved = pen.prox(res.x - res.step * grad, res.step)
                mapping = np.linalg.norm(moved - res.x) / res.step / np.linalg.norm(A.T @ b)
                assert mapping <= TOL, (name, mapping)
    else:  # a local minimum of L0, the same in every format
        assert max(F.values()) <= min(F.values()) * (1 + TOL) + 1e-300, F


@pytest.mark.parametrize("ratio", [1.0, 1 - 1e-9, 0.999, 0.9])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_lam_at_and_just_below_lam_max(solver, ratio):
    A, b = _gaussian(20, 30, 9)
    lam = ratio * si.lam_max(A, b)
    pen = si.L1(lam)
    res, _ = run_solver(solver, A, b, pen)
    assert res.converged
    if ratio == 1.0:
        assert np.array_equal(res.x, np.zeros(30))
    else:
        assert si.objective(A, b, pen, res.x) <= _optimum(A, b, "l1", lam) * (1 + TOL)


@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_single_precision_input(solver, penalty, dtype):
    rng = np.random.default_rng(12)
    A = rng.standard_normal((30, 50)).astype(dtype)
    b = rng.standard_normal(30).astype(dtype)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal((30, 50)).astype(np.float32)
        b = b + 1j * rng.standard_normal(30).astype(np.float32)
    lam = 0.2 * si.lam_max(A, b)
    pen = PENALTIES[penalty](lam if penalty != "l0" else lam**2 / 10)
    results = {name: run_solver(solver, Af, b, pen, tol=1e-4)[0] for name, Af in formats(A).items()}
    # the double-precision solve of the same data is the reference
    A64, b64 = (
        A.astype(np.complex128 if A.dtype.kind == "c" else np.float64),
        b.astype(np.complex128 if b.dtype.kind == "c" else np.float64),
    )
    ref, _ = run_solver(
        solver, A64, b64, pen, tol=1e-10, max_iter=20000 if solver != "irls" else 200
    )
    for name, res in results.items():
        assert np.iscomplexobj(res.x) == (np.dtype(dtype).kind == "c"), name
        F = si.objective(A64, b64, pen, np.asarray(res.x, dtype=A64.dtype))
        if penalty in CONVEX:
            assert F <= ref.objective * (1 + 1e-3), (name, F, ref.objective)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
@pytest.mark.parametrize("penalty", PENALTY_NAMES)
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_data_near_the_float_limits_is_solved_or_rejected(solver, penalty, scale):
    # b·s with λ scaled to match is the problem (A, b) in the variable x / s; at 1e300
    # ½‖b‖² overflows, so a clear error for b or "diverged" is also an answer
    A, b = _gaussian(20, 10, 5)
    lam = 0.1 * si.lam_max(A, b)
    factor = {"l0": scale * scale, "l1": scale, "l2": 1.0}[penalty]
    if not 0 < lam * factor < math.inf:
        pytest.skip("the equivalent λ is beyond float64")
    pen_scaled = PENALTIES[penalty](lam * factor)
    res = _outcome_or_clear_error(
        lambda: run_solver(solver, A, scale * b, pen_scaled, **_bounded_options(solver))[0], "b"
    )
    if res is None or res.stop_reason == "diverged":
        return
    assert res.stop_reason in ("converged", "max_iter")
    pen = PENALTIES[penalty](lam)
    F = si.objective(A, b, pen, res.x / scale)
    if penalty in CONVEX and res.converged:
        assert F <= _optimum(A, b, penalty, lam) * (1 + TOL)
