"""FISTA's working set on explicit matrices: the same F* as FISTA on all the columns."""

import dataclasses
import warnings

import numpy as np
import pylops
import pytest
import scipy.sparse as sp

import sparseinv as si
from sparseinv.solvers import _working_set, proximal_gradient
from sparseinv.solvers.proximal_gradient import _full_fista


def _plain(A, b, pen, *, x0=None, tol=1e-11, max_iter=20000):
    # FISTA on every column, without the working set
    flags = {"restart": True, "refine": True, "anderson": True}
    return _full_fista(A, b, pen, x0=x0, max_iter=max_iter, tol=tol, **flags)


def _cs(seed=0, m=120, n=600, k=12, complex_=False):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k) + 1.0
    if complex_:
        A = A + 1j * rng.standard_normal((m, n)) / np.sqrt(m)
        x = x * np.exp(2j * np.pi * rng.random(n))
    b = A @ x + 0.01 * rng.standard_normal(m)
    return A, b


def _widths(monkeypatch):
    """The number of columns of every subproblem solved from now on, in order."""
    widths = []

    def spy(sub_A, *args, **kwargs):
        widths.append(sub_A.shape[1])
        return _full_fista(sub_A, *args, **kwargs)

    monkeypatch.setattr(proximal_gradient, "_full_fista", spy)
    return widths


def _check_same_optimum(A, b, pen, **kwargs):
    res = si.fista(A, b, pen, tol=1e-11, max_iter=20000, **kwargs)
    ref = _plain(A, b, pen, **kwargs)
    assert res.converged and ref.converged
    assert res.objective == pytest.approx(ref.objective, rel=1e-9)
    assert res.objective == pytest.approx(si.objective(A, b, pen, res.x), rel=1e-12)
    assert res.optimality <= 1e-11
    hist = res.history
    assert len(hist["objective"]) == res.n_iter + 1
    assert hist["optimality"][-1] == res.optimality
    assert hist["n_applications"][-1] == res.n_matvec + res.n_rmatvec
    return res, ref


def test_dense_matches_the_full_solve_and_works_on_a_few_columns(monkeypatch):
    A, b = _cs()
    pen = si.L1(0.05 * si.lam_max(A, b))
    assert _working_set.applies(A, b, pen, step=None, callback=None)
    widths = _widths(monkeypatch)
    res, _ = _check_same_optimum(A, b, pen)
    # every subproblem was solved on a fraction of the columns
    assert widths and max(widths) < A.shape[1] / 2
    # the support of the solution is far smaller than n: the solve did not need all columns
    assert np.count_nonzero(res.x) < 0.2 * A.shape[1]


def test_sparse_matrix():
    rng = np.random.default_rng(1)
    A = sp.random(
        150, 800, density=0.05, random_state=rng, format="csr", data_rvs=rng.standard_normal
    )
    b = A @ np.where(rng.random(800) < 0.02, rng.standard_normal(800), 0.0)
    b += 0.01 * rng.standard_normal(150)
    _check_same_optimum(A, b, si.L1(0.05 * si.lam_max(A, b)))


def test_per_group_and_per_coefficient_lambda():
    A, b = _cs(seed=2)
    lam0 = 0.05 * si.lam_max(A, b)
    groups = si.Groups.from_sizes([30] * 20)
    _check_same_optimum(A, b, si.L1(lam0 * np.geomspace(0.5, 2, 20), groups=groups))
    lam = lam0 * np.random.default_rng(3).uniform(0.5, 2.0, A.shape[1])
    _check_same_optimum(A, b, si.L1(lam))


def test_complex():
    A, b = _cs(seed=4, complex_=True)
    _check_same_optimum(A, b, si.L1(0.05 * si.lam_max(A, b)))


def test_warm_start():
    A, b = _cs(seed=5)
    pen = si.L1(0.05 * si.lam_max(A, b))
    x0 = np.random.default_rng(6).standard_normal(A.shape[1])
    x0_copy = x0.copy()
    _check_same_optimum(A, b, pen, x0=x0)
    np.testing.assert_array_equal(x0, x0_copy)  # not mutated
    first = si.fista(A, b, pen, tol=1e-11)
    again = si.fista(A, b, pen, tol=1e-11, x0=first.x)
    assert again.converged and again.n_iter == 0


def test_max_iter_reports_unconverged():
    A, b = _cs(seed=7)
    with pytest.warns(si.ConvergenceWarning):
        res = si.fista(A, b, si.L1(0.01 * si.lam_max(A, b)), tol=1e-14, max_iter=5)
    assert not res.converged and res.stop_reason == "max_iter" and res.n_iter <= 5


def test_other_problems_take_the_full_path():
    A, b = _cs()
    lam = 0.05 * si.lam_max(A, b)
    assert not _working_set.applies(pylops.MatrixMult(A), b, si.L1(lam), step=None, callback=None)
    assert not _working_set.applies(A, b, si.L0(lam), step=None, callback=None)
    assert not _working_set.applies(A, b[:, None], si.L1(lam), step=None, callback=None)
    assert not _working_set.applies(A, b, si.L1(lam), step=0.1, callback=None)
    # a zero λ has no duality gap to stop on: the full path, the same answer
    lam_coef = np.full(A.shape[1], lam)
    lam_coef[0] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        res = si.fista(A, b, si.L1(lam_coef), tol=1e-9, max_iter=20000)
        ref = _plain(A, b, si.L1(lam_coef), tol=1e-9)
    assert res.objective == pytest.approx(ref.objective, rel=1e-12)


def test_a_diverged_subproblem_ends_the_solve_as_diverged():
    # a subproblem that diverges (here: reported so) must not be hidden as max_iter
    A, b = _cs(seed=8)
    pen = si.L1(0.05 * si.lam_max(A, b))

    def diverging(sub_A, sub_b, sub_pen, **kwargs):
        res = _full_fista(sub_A, sub_b, sub_pen, **{**kwargs, "max_iter": 3})
        return dataclasses.replace(res, stop_reason="diverged", converged=False)

    flags = {"restart": True, "refine": True, "anderson": True}
    with pytest.warns(si.ConvergenceWarning, match="diverged"):
        res = _working_set.solve(
            diverging, A, b, pen, x0=None, max_iter=1000, tol=1e-10, options=flags
        )
    assert res.stop_reason == "diverged" and not res.converged
    assert np.all(np.isfinite(res.x))
    assert res.objective == pytest.approx(si.objective(A, b, pen, res.x), rel=1e-12)


def test_the_last_outer_iteration_solves_the_full_problem(monkeypatch):
    # with one outer iteration allowed, it must be the full problem solved to tol
    A, b = _cs(seed=9)
    pen = si.L1(0.05 * si.lam_max(A, b))
    monkeypatch.setattr(_working_set, "_MAX_OUTER", 1)
    res = si.fista(A, b, pen, tol=1e-10, max_iter=20000)
    assert res.converged and res.optimality <= 1e-10
    assert res.objective == pytest.approx(_plain(A, b, pen).objective, rel=1e-9)


def test_each_subproblem_starts_from_the_last_step(monkeypatch):
    # only the first subproblem pays for a power iteration; the others start from its step
    A, b = _cs(seed=10)
    pen = si.L1(0.02 * si.lam_max(A, b))
    starts = []

    def spy(sub_A, *args, **kwargs):
        starts.append(kwargs.get("step_start"))
        return _full_fista(sub_A, *args, **kwargs)

    monkeypatch.setattr(proximal_gradient, "_full_fista", spy)
    _check_same_optimum(A, b, pen)
    assert len(starts) >= 2 and starts[0] is None
    assert all(s is not None and s > 0 for s in starts[1:])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_group_lambda_keeps_the_working_set_near_twice_the_support(monkeypatch, seed):
    # two groups with λ 4× apart: each subproblem cuts the full gap little, and doubling
    # the set on every such outer iteration took the last subproblem to all 1000 columns
    # (old rule: widths [100, 352-376, 1000]; now [100, ~180, ~300, ~340])
    rng = np.random.default_rng(seed)
    m, n = 200, 1000
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    x[rng.choice(n, 40, replace=False)] = rng.standard_normal(40)
    b = A @ x + 0.03 * np.linalg.norm(A @ x) / np.sqrt(m) * rng.standard_normal(m)
    lam0 = 0.05 * si.lam_max(A, b)
    pen = si.L1(lam0 * np.geomspace(0.5, 2, 2), groups=si.Groups.from_sizes([n // 2] * 2))
    widths = _widths(monkeypatch)
    res, _ = _check_same_optimum(A, b, pen)
    support = np.count_nonzero(res.x)
    assert 100 < support < 200
    assert max(widths) <= 2.5 * support < n / 2


def test_the_matrix_is_checked_once_not_per_subproblem(monkeypatch):
    # the subproblems' columns come from the checked matrix: their pass of squares (the
    # NaN and infinity check) is skipped, and their answers are unchanged
    from sparseinv import operators

    A, b = _cs(seed=3)
    pen = si.L1(0.05 * si.lam_max(A, b))
    calls = []
    squares = operators.column_squares

    def counted(A):
        calls.append(A.shape)
        return squares(A)

    monkeypatch.setattr(operators, "column_squares", counted)
    widths = _widths(monkeypatch)
    res = si.fista(A, b, pen, tol=1e-10)
    assert res.converged and len(widths) >= 2
    assert calls == [A.shape], calls
    assert res.objective == pytest.approx(_plain(A, b, pen).objective, rel=1e-9)
