"""Tests of sparseinv.compare: records, strategies, the selections it runs through one search."""

from __future__ import annotations

import itertools
import math

import matplotlib
import numpy as np
import pytest
from scipy.fft import dct

import sparseinv as si
from sparseinv.compare import (
    DATA_SELECTIONS,
    DEFAULT_STRATEGIES,
    SELECTIONS,
    STRATEGIES,
    SelectionResult,
)
from sparseinv.problems import Problem
from sparseinv.selection.strategies import ORACLE_MIN_STEP, select_strategy

matplotlib.use("Agg")

RECORD_KEYS = {
    "strategy",
    "lams",
    "snr_db",
    "nmse_db",
    "relative_error",
    "f1",
    "per_group_snr_db",
    "n_solves",
    "n_operator_applications",
    "seconds",
}


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # matrix-vector products gain nothing from threads, and shared cores punish them
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def density():
    return si.problems.density_contrast(n_measurements=200, snr_db=20.0, rng=0)


@pytest.fixture(scope="module")
def density_result(density):
    return si.compare(density, strategies=("single", "lam_max", "per_group"), n_lams=13)


def _small(seed=0, m=40, sizes=(30, 30), nonzeros=(8, 2)):
    return si.problems.block_sparse(list(sizes), list(nonzeros), n_measurements=m, rng=seed)


# ----------------------------------------------------------------------------- the signs
def test_density_contrast_per_group_wins_with_the_larger_lambda_on_the_sparse_block(
    density_result,
):
    single, lam_max, grouped = density_result.records
    assert grouped["snr_db"] - single["snr_db"] >= 1.0
    assert grouped["gain_db"] == pytest.approx(grouped["snr_db"] - single["snr_db"])
    # the sparser block (5/250 non-zeros) wants the larger λ, about twice
    ratio = grouped["lams"][1] / grouped["lams"][0]
    assert 1.4 <= ratio <= 2.9
    # λ_max equalization gives the sparse block the smaller λ: the wrong way here
    assert lam_max["lams"][1] < lam_max["lams"][0]
    assert lam_max["snr_db"] < single["snr_db"]


def test_size_only_control_per_group_gains_nothing():
    p = si.problems.size_only(rng=0)
    res = si.compare(p, strategies=("single", "per_group"), n_lams=13)
    single, grouped = res.records
    assert grouped["snr_db"] >= single["snr_db"]  # the oracle never loses
    assert abs(grouped["gain_db"]) <= 0.3


def test_per_group_never_loses_to_single_under_the_oracle():
    for seed in range(3):
        res = si.compare(_small(seed), strategies=("single", "per_group"), n_lams=10, budget=40)
        single, grouped = res.records
        assert grouped["snr_db"] >= single["snr_db"] - 1e-12


# ----------------------------------------------------------------------------- records
def test_records_hold_the_documented_keys_and_costs(density_result, density):
    assert [r["strategy"] for r in density_result.records] == ["single", "lam_max", "per_group"]
    for r in density_result.records:
        assert RECORD_KEYS <= set(r)
        assert r["lams"].shape == (2,) and np.all(r["lams"] > 0)
        assert r["per_group_snr_db"].shape == (2,)
        assert r["n_solves"] > 0 and r["n_operator_applications"] > r["n_solves"]
        assert r["seconds"] > 0
        assert r["nmse_db"] == pytest.approx(-r["snr_db"])
        x = density_result.solutions[r["strategy"]]
        assert r["snr_db"] == pytest.approx(si.metrics.snr_db(density.x_true, x))
        assert r["f1"] == pytest.approx(si.metrics.f1(density.x_true, x))
    single, lam_max, grouped = density_result.records
    assert single["lams"][0] == single["lams"][1]
    np.testing.assert_allclose(lam_max["lams"] / lam_max["weights"], lam_max["scale"])
    # the per-group cost includes the single-λ search it starts from
    assert grouped["n_solves"] > single["n_solves"]
    assert grouped["n_operator_applications"] > single["n_operator_applications"]
    assert grouped["weights"] is None and math.isnan(grouped["scale"])


def test_default_strategies_and_every_strategy_run():
    p = _small(1)
    res = si.compare(p, n_lams=8, budget=30)
    assert tuple(r["strategy"] for r in res.records) == DEFAULT_STRATEGIES
    res = si.compare(p, strategies=STRATEGIES, n_lams=8, budget=30)
    assert tuple(r["strategy"] for r in res.records) == STRATEGIES
    # equal-sized groups: the size rules are the single λ, tuned once
    single, size = res.record("single"), res.record("size")
    np.testing.assert_allclose(size["lams"], single["lams"])
    assert size["same_as"] == "single" and res.record("inverse_size")["same_as"] == "single"
    assert size["n_solves"] == single["n_solves"] and single["same_as"] is None
    assert res.record("lam_max")["same_as"] is None
    assert "| size (= single) |" in res.to_markdown()


def test_markdown_csv_and_plot(density_result, tmp_path):
    md = density_result.to_markdown()
    lines = md.splitlines()
    assert lines[0].startswith("| strategy | SNR (dB)")
    assert len(lines) == 2 + 3
    assert "| per_group |" in md
    path = density_result.to_csv(tmp_path / "table.csv")
    text = path.read_text().splitlines()
    assert text[0].split(",")[:3] == ["problem", "strategy", "snr_db"]
    assert len(text) == 4 and text[3].split(",")[1] == "per_group"
    fig = density_result.plot()
    assert len(fig.axes) == 2
    assert len(fig.axes[0].patches) == 3
    # the group boundaries and names are marked on the model
    assert [t.get_text() for t in fig.axes[1].texts] == ["dense (50/250)", "sparse (5/250)"]


def test_problem_is_not_modified(density):
    A, b, x = density.A.copy(), density.b.copy(), density.x_true.copy()
    si.compare(density, strategies=("single",), n_lams=5)
    assert np.array_equal(density.A, A) and np.array_equal(density.b, b)
    assert np.array_equal(density.x_true, x)


@pytest.mark.parametrize(
    ("penalty", "solver", "strategies"),
    [
        ("l0", "fista", ("single", "lam_max", "per_group")),
        ("l2", "irls", ("single", "sqrt_size")),
        ("l1", "ista", ("single", "column_norm")),
        ("l1", "irls", ("single",)),
    ],
)
def test_other_penalties_and_solvers(penalty, solver, strategies):
    p = _small(2)
    res = si.compare(p, penalty=penalty, solver=solver, strategies=strategies, n_lams=8, budget=25)
    assert res.penalty == penalty and res.solver == solver
    single = res.record("single")
    assert single["snr_db"] > 0.0  # better than x = 0
    for r in res.records:
        assert math.isfinite(r["snr_db"])


def test_metric_f1_tunes_the_support():
    p = _small(3)
    by_f1 = si.compare(p, strategies=("single",), metric="f1", n_lams=10)
    by_snr = si.compare(p, strategies=("single",), metric="snr_db", n_lams=10)
    assert by_f1.records[0]["f1"] >= by_snr.records[0]["f1"]
    assert by_f1.metric == "f1"


def test_synthesis_domain_compares_the_synthesized_signal():
    # an orthonormal synthesis: the signal SNR equals the coefficient SNR (Parseval)
    rng = np.random.default_rng(4)
    n = 64
    S = dct(np.eye(n), norm="ortho", axis=0).T
    x_true = np.zeros(n)
    x_true[rng.choice(n, 6, replace=False)] = rng.standard_normal(6)
    keep = np.sort(rng.choice(n, 40, replace=False))
    A = S[keep]
    b = A @ x_true + 0.01 * rng.standard_normal(40)
    p = Problem(
        A=A,
        b=b,
        x_true=x_true,
        groups=si.Groups.from_sizes([32, 32]),
        noise_std=0.01,
        name="dct",
        extra={"synthesis": S},
    )
    res = si.compare(p, strategies=("single",), domain="synthesis", n_lams=8)
    r = res.records[0]
    assert res.reference.shape == (n,)
    assert r["snr_db"] == pytest.approx(r["model_snr_db"], abs=1e-9)
    assert r["synthesis_snr_db"] == pytest.approx(r["snr_db"])
    model = si.compare(p, strategies=("single",), n_lams=8).records[0]
    assert model["synthesis_snr_db"] == pytest.approx(model["snr_db"], abs=1e-9)


# ----------------------------------------------------------------------------- selection
def test_a_callable_selection_is_called_with_the_protocol_and_its_solves_are_counted():
    p = _small(5)
    calls = []

    def fixed_fraction(problem, penalty, weights, *, start, solver, budget):
        calls.append((penalty, None if weights is None else weights.copy(), start, budget))
        lmax = si.lam_max(problem.A, problem.b)
        if weights is None:  # per-group: scale the single choice
            return start.lams * np.array([1.0, 2.0])
        lams = [0.5 * lmax, 0.1 * lmax]
        si.lambda_path(problem.A, problem.b, penalty, lams, solver=solver)
        return 0.1 * lmax

    res = si.compare(p, strategies=("single", "per_group"), selection=fixed_fraction, budget=7)
    assert res.selection == "fixed_fraction"
    (pen, w, start, budget), (_, w2, start2, _) = calls
    assert pen is si.L1 and budget == 7
    assert np.array_equal(w, np.ones(2)) and start is None
    assert w2 is None and isinstance(start2, SelectionResult)
    single, grouped = res.records
    lmax = si.lam_max(p.A, p.b)
    np.testing.assert_allclose(single["lams"], 0.1 * lmax)
    # two path solves; the final λ was among them, so no extra solve
    assert single["n_solves"] == 2
    # per-group: one more solve at the returned λ, plus the single-λ cost
    assert grouped["n_solves"] == 3
    np.testing.assert_allclose(grouped["lams"], 0.1 * lmax * np.array([1.0, 2.0]))
    assert math.isnan(grouped["gain_db"]) is False


def test_a_selection_may_run_without_x_true():
    p = _small(6)
    blind = Problem(A=p.A, b=p.b, x_true=None, groups=p.groups, noise_std=p.noise_std, name="blind")

    def half(problem, penalty, weights, *, start, solver, budget):
        return 0.5 * si.lam_max(problem.A, problem.b)

    res = si.compare(blind, strategies=("single",), selection=half)
    assert math.isnan(res.records[0]["snr_db"]) and res.records[0]["n_solves"] == 1


def test_every_selection_runs_through_select_strategy():
    assert si.compare.__module__ == "sparseinv.compare"
    for name, select in SELECTIONS.items():
        assert select.func is select_strategy and select.keywords == {"method": name}
    p = _small(7)
    best = select_strategy(p, si.L1, np.ones(2), method="oracle", n_lambdas=6)
    res = si.compare(p, strategies=("single",), n_lams=6)
    np.testing.assert_allclose(best.lams, res.records[0]["lams"])
    assert best.score == pytest.approx(res.records[0]["snr_db"])


# ----------------------------------------------------------------------------- data-driven
@pytest.fixture(scope="module")
def small_density():
    # density contrast at 2/5 of the size: 20 of 100 and 2 of 100 non-zeros, m = 80
    return si.problems.block_sparse([100, 100], [20, 2], n_measurements=80, rng=3)


def _blind(p, noise_std):
    """The problem without its answer, with a wrong σ."""
    return Problem(
        A=p.A, b=p.b, x_true=None, groups=p.groups, noise_std=noise_std, name=p.name + " (blind)"
    )


@pytest.mark.parametrize("method", ["sure", "cv"])
def test_data_driven_selection_needs_neither_x_true_nor_the_true_noise(small_density, method):
    p = small_density
    kw = {
        "strategies": ("single", "sqrt_size", "per_group"),
        "selection": method,
        "n_lams": 12,
        "selection_options": {"starts": ("single",)},  # blindness, not the starts, is tested
    }
    res = si.compare(p, **kw)
    # no x_true, and a wildly wrong σ on the problem: the same λ and solutions
    blind = si.compare(_blind(p, noise_std=1e3 * p.noise_std), **kw)
    assert res.selection == method and blind.selection == method
    for rec, rec_blind in zip(res.records, blind.records, strict=True):
        assert np.all(np.isfinite(rec["lams"])) and np.all(rec["lams"] > 0)
        np.testing.assert_array_equal(rec["lams"], rec_blind["lams"])
        np.testing.assert_array_equal(
            res.solutions[rec["strategy"]], blind.solutions[rec["strategy"]]
        )
        for key in ("snr_db", "nmse_db", "f1"):
            assert math.isfinite(rec[key]) and math.isnan(rec_blind[key])
        assert rec["n_solves"] > 0 and rec["n_operator_applications"] > 0 and rec["seconds"] > 0
    single, _, grouped = res.records
    if method == "sure":  # m < n Gaussian: σ from the cross-validated refit, not p.noise_std
        assert single["noise_method"] == "cv"
        assert 0.5 * p.noise_std < single["noise_std"] < 2 * p.noise_std
    else:
        assert single["noise_method"] is None and math.isnan(single["noise_std"])
    # the per-group search continues the single path: its cost adds to it
    assert grouped["n_solves"] > single["n_solves"]
    assert single["snr_db"] > 8.0 and grouped["snr_db"] > single["snr_db"] - 1.0
    with pytest.raises(ValueError, match=r"selection='oracle' tunes λ against problem\.x_true"):
        si.compare(_blind(p, p.noise_std), strategies=("single",))


def test_per_group_continues_the_single_path_as_select_group_lambdas_would(small_density):
    p = small_density
    res = si.compare(
        p, strategies=("single", "per_group"), selection="sure", n_lams=12, lam_min_ratio=1e-3
    )
    ref = si.select_group_lambdas(
        p.A,
        p.b,
        p.groups,
        method="sure",
        n_lambdas=12,
        lam_min_ratio=1e-3,
        max_evaluations=150,
        rng=0,
    )
    single, grouped = res.records
    np.testing.assert_allclose(single["lams"], ref.single_lam, rtol=1e-12)
    np.testing.assert_allclose(grouped["lams"], ref.lam, rtol=1e-12)
    # counted once: the single path, then what the search added
    assert grouped["n_solves"] == ref.n_solves
    assert grouped["n_operator_applications"] >= ref.n_applications


def test_discrepancy_per_group_minimizes_sure_with_the_same_noise_estimate(small_density):
    p = small_density
    sigma = 1.1 * p.noise_std
    res = si.compare(
        p,
        strategies=("single", "per_group"),
        selection="discrepancy",
        n_lams=12,
        selection_options={"noise_std": sigma},
    )
    single, grouped = res.records
    assert single["noise_method"] == grouped["noise_method"] == "given"
    assert single["noise_std"] == grouped["noise_std"] == sigma
    pg = select_strategy(
        p,
        si.L1,
        None,
        method="discrepancy",
        noise_std=sigma,
        n_lambdas=12,
        lam_min_ratio=1e-4,
        budget=150,
    )
    assert isinstance(pg, SelectionResult) and pg.method == "sure"
    assert pg.selection.single.noise_std == sigma
    np.testing.assert_allclose(pg.lams, grouped["lams"], rtol=1e-12)
    # the discrepancy choice of one λ satisfies its equation on the grid
    path = select_strategy(
        p,
        si.L1,
        np.ones(2),
        method="discrepancy",
        noise_std=sigma,
        n_lambdas=12,
        lam_min_ratio=1e-4,
    ).selection
    target = sigma * np.sqrt(p.n_measurements)
    assert path.residual_norm[path.index] <= target < path.residual_norm[path.index - 1]


def test_quasi_optimality_per_group_continues_with_cross_validation_from_its_lambda():
    # quasi-optimality chooses one λ; the per-group λ minimize the CV error from there
    calls = []

    def solver(A, b, penalty, **kw):  # counts every solve, folds included
        calls.append(1)
        return si.fista(A, b, penalty, **kw)

    p = si.problems.spike_deconvolution(nt=300, rng=0)
    single = select_strategy(
        p, si.L1, np.ones(4), method="quasi_optimality", n_lambdas=12, solver=solver
    )
    assert single.method == "quasi_optimality" and single.n_solves == len(calls) == 12
    grouped = select_strategy(
        p,
        si.L1,
        None,
        start=single,
        method="quasi_optimality",
        n_lambdas=12,
        budget=40,
        solver=solver,
    )
    sel = grouped.selection
    assert grouped.method == sel.method == "cv" and sel.single_lam == single.lams[0]
    assert math.isfinite(sel.single_criterion_value) and sel.single_criterion_value > 0
    # every solve the search made is counted, the K folds that score its start
    # included (they were missed before), and the single path's are not
    assert grouped.n_solves == len(calls) - 12 == sel.n_solves - single.n_solves
    if sel.fallback:
        np.testing.assert_array_equal(grouped.x, single.x)
    else:
        assert sel.criterion_value < sel.single_criterion_value


def test_data_selections_are_registered_and_check_their_method():
    assert DATA_SELECTIONS == ("cv", "discrepancy", "sure", "gcv", "quasi_optimality")
    assert set(SELECTIONS) == {"oracle", *DATA_SELECTIONS}
    p = _small(8)
    res = si.compare(
        p, strategies=("single",), selection="gcv", n_lams=8, selection_options={"n_lambdas": 6}
    )
    assert res.records[0]["n_solves"] == 6  # selection_options override the grid
    with pytest.raises(ValueError, match="method must be one of"):
        select_strategy(p, si.L1, np.ones(2), method="aic")
    with pytest.raises(ValueError, match="n_folds"):
        si.compare(p, strategies=("single",), selection="cv", selection_options={"n_folds": 1})


# ----------------------------------------------------------------------------- bad input
def test_bad_input_is_rejected_with_named_arguments(density):
    with pytest.raises(ValueError, match=r"strategies must be among .*got 'grouped'"):
        si.compare(density, strategies=("single", "grouped"))
    with pytest.raises(ValueError, match="strategies must not repeat"):
        si.compare(density, strategies=("single", "single"))
    with pytest.raises(ValueError, match="strategies must name at least one"):
        si.compare(density, strategies=())
    blind = Problem(
        A=density.A, b=density.b, x_true=None, groups=density.groups, noise_std=0.1, name="b"
    )
    with pytest.raises(ValueError, match=r"selection='oracle' tunes λ against problem\.x_true"):
        si.compare(blind)
    with pytest.raises(TypeError, match=r"problem must be a sparseinv\.problems\.Problem"):
        si.compare((density.A, density.b))
    with pytest.raises(ValueError, match="metric must be one of"):
        si.compare(density, metric="psnr")
    with pytest.raises(ValueError, match="domain must be one of"):
        si.compare(density, domain="data")
    with pytest.raises(ValueError, match=r"domain='synthesis' needs problem.extra\['synthesis'\]"):
        si.compare(density, domain="synthesis")
    with pytest.raises(ValueError, match="must not hold 'lam_max' with penalty 'l2'"):
        si.compare(density, penalty="l2", strategies=("lam_max",))
    with pytest.raises(ValueError, match=r"selection must be one of 'oracle', 'cv'.*got 'aic'"):
        si.compare(density, selection="aic")
    with pytest.raises(TypeError, match="selection must be a str or a callable"):
        si.compare(density, selection=3)
    with pytest.raises(ValueError, match="budget must be finite and > 0"):
        si.compare(density, budget=0)
    with pytest.raises(ValueError, match="solver must be one of"):
        si.compare(density, solver="admm")
    with pytest.raises(ValueError, match="penalty must be one of"):
        si.compare(density, penalty="l3")


# ----------------------------------------------------------------------------- the oracle
def _snr(p):
    return lambda x: si.metrics.snr_db(p.x_true, x)


def test_oracle_scale_walks_down_from_the_zero_solution_and_refines():
    p = _small(8)
    best = select_strategy(p, si.L1, np.ones(2), n_lambdas=12)
    lams = [lam[0] for lam, _ in best.trace]
    lmax = si.lam_max(p.A, p.b)
    assert lams[0] == pytest.approx(lmax)
    path = best.selection.path_scales
    assert all(a > b for a, b in itertools.pairwise(path))
    np.testing.assert_allclose(lams[: path.size], path)
    assert best.score == pytest.approx(max(s for _, s in best.trace))
    assert best.score == pytest.approx(si.metrics.snr_db(p.x_true, best.x))
    assert best.n_solves == len(best.trace)
    # the refinement reaches the resolution of the finest step factor, 2^(1/8)
    assert ORACLE_MIN_STEP == 2.0**0.125
    steps = {round(math.log2(x) / math.log2(ORACLE_MIN_STEP), 6) for x in lams[path.size :]}
    assert len(steps) >= 2


def test_oracle_respects_the_budget_and_is_deterministic():
    p = _small(9)
    a = select_strategy(p, si.L1, np.ones(2), budget=9)
    b = select_strategy(p, si.L1, np.ones(2), budget=9)
    assert a.n_solves <= 9
    np.testing.assert_array_equal(a.lams, b.lams)


def test_oracle_per_group_never_loses_and_stays_in_its_bounds():
    p = _small(10)
    single = select_strategy(p, si.L1, np.ones(2), n_lambdas=8)
    grouped = select_strategy(p, si.L1, None, start=single, n_lambdas=8)
    assert grouped.score >= single.score
    assert grouped.score == pytest.approx(si.metrics.snr_db(p.x_true, grouped.x))
    sel = grouped.selection
    top = sel.single.path_scales[0]
    # the range of the single grid (1e-4 λ_max up), with room to switch a group off
    for lams, _ in grouped.trace:
        assert np.all(lams >= 1e-4 * top * (1 - 1e-9)) and np.all(lams <= 4 * top * (1 + 1e-9))
    # it continued the single run: no solve of the single path repeated
    assert grouped.n_solves == sel.n_evaluations
    with pytest.raises(ValueError, match=r"oracle selection needs problem\.x_true"):
        select_strategy(_blind(p, p.noise_std), si.L1, np.ones(2))


def test_oracle_takes_a_recovery_score_for_a_problem_without_x_true():
    # a recorded section has no true model: the oracle scores solutions by a function of
    # the caller's (here the SNR against x_true, hidden from the problem)
    p = _small(11)
    blind, snr = _blind(p, p.noise_std), _snr(p)
    kw = {"n_lambdas": 8}
    single = select_strategy(p, si.L1, np.ones(2), **kw)
    custom = select_strategy(blind, si.L1, np.ones(2), recovery=snr, **kw)
    np.testing.assert_array_equal(custom.lams, single.lams)
    assert custom.score == pytest.approx(single.score) and custom.score == pytest.approx(
        snr(custom.x)
    )
    grouped = select_strategy(p, si.L1, None, start=single, **kw)
    custom_grouped = select_strategy(blind, si.L1, None, start=custom, recovery=snr, **kw)
    np.testing.assert_array_equal(custom_grouped.lams, grouped.lams)
    # it continued the single run (only the search's own solves), as with x_true
    assert custom_grouped.n_solves == custom_grouped.selection.n_evaluations
    # a start made with another score is not continued: its single path is run again
    other = select_strategy(blind, si.L1, None, start=custom, recovery=lambda x: snr(x), **kw)
    assert other.n_solves > other.selection.n_evaluations
    with pytest.raises(ValueError, match="recovery is the oracle's score"):
        select_strategy(p, si.L1, np.ones(2), method="gcv", recovery=snr)
    with pytest.raises(TypeError, match="recovery must be callable"):
        select_strategy(blind, si.L1, np.ones(2), recovery=3.0)


def test_oracle_solves_with_the_given_solver_options():
    p = _small(12)
    short = select_strategy(p, si.L1, np.ones(2), n_lambdas=6, solver_options={"max_iter": 2})
    full = select_strategy(p, si.L1, np.ones(2), n_lambdas=6)
    # every solve of the search costs what one FISTA solve of two iterations costs (its
    # step estimate included), plus a few applications of the search's set-up (λ_max)
    with pytest.warns(si.ConvergenceWarning):
        one = si.fista(p.A, p.b, si.L1(float(short.lams[0])), max_iter=2)
    per_solve = one.n_matvec + one.n_rmatvec
    assert short.n_solves * per_solve <= short.n_applications <= short.n_solves * per_solve + 8
    assert full.n_applications > 4 * short.n_applications
    assert not short.converged
