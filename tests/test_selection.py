"""λ selection from the data alone: criteria against their definitions, recovery, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pylops
import pytest

import sparseinv as si
from sparseinv import metrics, problems
from sparseinv.selection import (
    CRITERIA,
    estimate_noise_std,
    select_group_lambdas,
    select_lambda,
)
from sparseinv.selection._engine import Engine


def _gaussian(m: int, n: int, k: int, sigma: float, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.choice([-1.0, 1.0], k) * rng.uniform(1, 2, k)
    return A, x, A @ x + sigma * rng.standard_normal(m)


def _scaled_blocks():
    """Block 1's columns 100 times weaker and its coefficients 100 times larger."""
    return problems.block_sparse(
        [40, 40],
        [4, 4],
        amplitudes=[1.0, 100.0],
        column_scales=[1.0, 0.01],
        n_measurements=60,
        rng=0,
    )


# ----------------------------------------------------------------------------- SURE


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_sure_is_unbiased_for_the_prediction_risk(penalty: str) -> None:
    # E[SURE] = E‖A(x̂ − x)‖²: compare the two over many noise draws (paired differences)
    m, n, sigma = 40, 30, 0.5
    A, x_true, _ = _gaussian(m, n, 4, sigma, seed=1)
    lam = 1.0 if penalty == "l1" else 2.0
    rng = np.random.default_rng(2)
    diffs, risks = [], []
    for _ in range(200):
        b = A @ x_true + sigma * rng.standard_normal(m)
        sel = select_lambda(
            A, b, penalty, method="sure", noise_std=sigma, lams=[lam], n_probes=4, tol=1e-10
        )
        risk = float(np.sum((A @ (sel.x - x_true)) ** 2))
        diffs.append(sel.criterion_value - risk)
        risks.append(risk)
    diffs = np.array(diffs)
    stderr = diffs.std(ddof=1) / np.sqrt(diffs.size)
    assert abs(diffs.mean()) < 4 * stderr
    assert stderr < 0.1 * np.mean(risks)  # the test has power


def test_sure_matches_its_formula_and_the_exact_ridge_trace() -> None:
    A, _, b = _gaussian(50, 20, 3, 0.3, seed=3)
    sel = select_lambda(A, b, "l1", method="sure", noise_std=0.3, n_lambdas=8, rng=0)
    r = b - A @ sel.x
    expected = r @ r - 50 * 0.09 + 2 * 0.09 * np.count_nonzero(sel.x)
    assert sel.criterion_value == pytest.approx(expected, rel=1e-8, abs=1e-10)
    # ridge df by Hutchinson against the exact trace of the hat matrix
    lam = 0.7
    engine = Engine(A, b, si.L2, None, "fista", {}, n_probes=64, rng=0)
    fit = engine.fit(lam)
    exact = np.trace(A @ np.linalg.solve(A.T @ A + lam * np.eye(20), A.T))
    assert fit.df == pytest.approx(exact, rel=0.1)


def test_complex_sure_counts_real_degrees_of_freedom() -> None:
    p = problems.compressed_sensing(64, 128, 5, sensing="partial_fourier", snr_db=20, rng=0)
    sel = select_lambda(p.A, p.b, "l1", method="sure", noise_std=p.noise_std, n_lambdas=15)
    k = np.count_nonzero(sel.x)
    assert sel.df[sel.index] == 2 * k
    r = p.b - p.A @ sel.x
    sure = np.vdot(r, r).real - 64 * p.noise_std**2 + 2 * p.noise_std**2 * k
    assert sel.criterion_value == pytest.approx(sure, rel=1e-8)
    assert metrics.snr_db(p.x_true, sel.x) > 15


# ----------------------------------------------------------------------------- discrepancy


def test_discrepancy_choice_satisfies_its_equation_to_the_grid() -> None:
    p = problems.spike_deconvolution(300, rng=1)
    tau = 1.05
    sel = select_lambda(
        p.A, p.b, "l1", method="discrepancy", noise_std=p.noise_std, tau=tau, n_lambdas=25
    )
    target = tau * p.noise_std * np.sqrt(p.n_measurements)
    k = sel.index
    assert 0 < k < sel.path_lams.size - 1
    assert sel.residual_norm[k] <= target < sel.residual_norm[k - 1]
    assert sel.criterion[k] == pytest.approx(sel.residual_norm[k] / target)


def test_discrepancy_estimates_noise_from_a_smooth_trace() -> None:
    p = problems.spike_deconvolution(512, rng=0)  # band-limited trace: wavelet estimate
    sel = select_lambda(p.A, p.b, "l1", method="discrepancy", n_lambdas=20)
    assert sel.noise_method == "wavelet"
    assert sel.noise_std == pytest.approx(p.noise_std, rel=0.15)


# ----------------------------------------------------------------------------- recovery


@pytest.mark.parametrize("method", ["sure", "cv"])
def test_chosen_lambda_is_near_the_oracle(method: str) -> None:
    p = problems.compressed_sensing(100, 256, 10, snr_db=20, rng=3)
    sel = select_lambda(p.A, p.b, "l1", method=method, noise_std=p.noise_std, n_lambdas=25, rng=0)
    path = si.lambda_path(p.A, p.b, "l1", list(sel.path_lams))
    snrs = [metrics.snr_db(p.x_true, x) for x in path.x]
    risks = [np.sum((p.A @ (x - p.x_true)) ** 2) for x in path.x]
    best = int(np.argmax(snrs))
    assert abs(sel.index - best) <= 3  # within a factor 10**(3·3/24) ≈ 2.4 of the oracle λ
    assert risks[sel.index] < 1.5 * min(risks)  # the risk SURE and CV estimate
    assert snrs[sel.index] > snrs[best] - 2.5


def test_cv_is_matrix_free_and_matches_the_dense_operator() -> None:
    p = problems.spike_deconvolution(120, rng=2)
    dense = p.A.todense()
    kw = {"method": "cv", "n_lambdas": 6, "n_folds": 4, "rng": 5, "tol": 1e-8}
    sel_op = select_lambda(p.A, p.b, "l1", **kw)
    sel_dense = select_lambda(dense, p.b, "l1", **kw)
    assert isinstance(p.A, pylops.LinearOperator)
    assert sel_op.index == sel_dense.index
    np.testing.assert_allclose(sel_op.criterion, sel_dense.criterion, rtol=1e-4)
    assert sel_op.n_solves == 6 * 5  # full path and four folds
    assert sel_op.n_applications > 0


def test_gcv_and_l0_and_weights() -> None:
    p = problems.density_contrast(n_measurements=120, rng=0)
    sel = select_lambda(p.A, p.b, "l1", method="gcv", n_lambdas=15)
    assert sel.noise_std is None and np.isfinite(sel.criterion_value)
    w = np.array([1.0, 2.0])
    ws = select_lambda(p.A, p.b, "l1", groups=p.groups, weights=w, method="gcv", n_lambdas=15)
    assert ws.path_lams.shape == (15, 2)
    np.testing.assert_allclose(ws.lam, ws.scale * w)
    l0 = select_lambda(p.A, p.b, "l0", method="cv", n_lambdas=8, n_folds=3, rng=0)
    assert l0.support_size[0] == 0 and 0 < np.count_nonzero(l0.x) < p.n_measurements


def test_inputs_are_not_modified() -> None:
    A, _, b = _gaussian(30, 40, 3, 0.1, seed=4)
    A0, b0 = A.copy(), b.copy()
    b.flags.writeable = False
    select_lambda(A, b, "l1", method="cv", n_lambdas=5, rng=0)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)


# ----------------------------------------------------------------------------- noise


def test_noise_estimates() -> None:
    A, _, b = _gaussian(400, 40, 5, 0.2, seed=6)
    est = estimate_noise_std(A, b)
    assert est.method == "least_squares" and est.noise_std == pytest.approx(0.2, rel=0.1)
    cs = problems.compressed_sensing(80, 200, 8, snr_db=20, rng=0)
    auto = estimate_noise_std(cs.A, cs.b)  # m < n, unstructured b: the cross-validated refit
    assert auto.method == "cv" and auto.n_solves > 0
    assert 0.7 * cs.noise_std < auto.noise_std < 1.4 * cs.noise_std
    with pytest.raises(ValueError, match="least_squares"):
        estimate_noise_std(cs.A, cs.b, method="least_squares")
    # SURE falls back on the cross-validated refit, whose σ̂ is of the right order
    sel = select_lambda(cs.A, cs.b, "l1", method="sure", n_lambdas=12, rng=0)
    assert sel.noise_method == "cv"
    assert 0.5 * cs.noise_std < sel.noise_std < 2 * cs.noise_std


# ----------------------------------------------------------------------------- per group


def test_group_lambdas_density_contrast() -> None:
    p = problems.density_contrast(rng=0)
    sel = select_group_lambdas(
        p.A, p.b, p.groups, method="sure", noise_std=p.noise_std, n_lambdas=20, rng=3
    )
    assert sel.lam.shape == (2,) and np.all(np.isfinite(sel.lam)) and np.all(sel.lam > 0)
    assert not sel.fallback and sel.confirm_value < sel.single_confirm_value
    assert sel.lam[0] < sel.lam[1]  # the dense block gets the smaller λ
    assert sel.criterion_value <= sel.single_criterion_value
    assert metrics.snr_db(p.x_true, sel.x) > metrics.snr_db(p.x_true, sel.single.x) + 0.5
    assert sel.n_solves > sel.single.n_solves


def test_group_lambdas_never_worse_than_single_and_cv_runs() -> None:
    p = problems.block_sparse([60, 140], [6, 14], n_measurements=100, rng=1)
    kw = {"method": "cv", "n_lambdas": 10, "n_folds": 3, "n_confirm": 2, "rng": 4}
    sel = select_group_lambdas(p.A, p.b, p.groups, **kw)
    again = select_group_lambdas(p.A, p.b, p.groups, **kw)
    np.testing.assert_array_equal(sel.lam, again.lam)  # deterministic for a seed
    np.testing.assert_array_equal(sel.search_criterion, again.search_criterion)
    assert np.all(np.isfinite(sel.lam)) and np.all(sel.lam > 0)
    assert sel.criterion_value <= sel.single_criterion_value
    assert sel.search_lams.shape == (sel.n_evaluations, 2)
    if sel.fallback:
        np.testing.assert_array_equal(sel.lam, [sel.single_lam] * 2)
    else:
        assert sel.confirm_value < sel.single_confirm_value
        assert sel.criterion_value == pytest.approx(sel.search_criterion.min())


def test_group_lambdas_are_deterministic_for_a_seed_and_continue_a_single_run() -> None:
    from sparseinv.selection.group_search import search_groups
    from sparseinv.selection.single import run_single

    p = problems.block_sparse([100, 100], [20, 2], n_measurements=80, rng=5)
    kw = {"method": "sure", "n_lambdas": 12, "lam_min_ratio": 1e-3, "n_confirm": 1}
    first = select_group_lambdas(p.A, p.b, p.groups, rng=7, **kw)
    again = select_group_lambdas(p.A, p.b, p.groups, rng=7, **kw)
    np.testing.assert_array_equal(first.lam, again.lam)
    np.testing.assert_array_equal(first.x, again.x)
    assert first.noise_std == again.noise_std and first.n_solves == again.n_solves
    assert first.lam.shape == (2,) and np.all(np.isfinite(first.lam)) and np.all(first.lam > 0)
    # a single-λ run continued by the search is the same selection, at the same cost
    run = run_single(
        p.A,
        p.b,
        "l1",
        groups=p.groups,
        weights=None,
        method="sure",
        noise_std=None,
        noise_method="auto",
        lams=None,
        n_lambdas=12,
        lam_min_ratio=1e-3,
        n_folds=5,
        tau=1.0,
        n_probes=16,
        solver="fista",
        rng=7,
        solver_options={},
    )
    cont = search_groups(run, p.groups, n_confirm=1)
    np.testing.assert_array_equal(cont.lam, first.lam)
    assert cont.n_solves == first.n_solves


@pytest.mark.parametrize("method", ["sure", "cv"])
def test_group_lambdas_multi_start_escapes_the_single_lambda(method: str) -> None:
    # block 1's columns are 100 times weaker, its coefficients 100 times larger: its λ
    # must be ~100 times smaller, and steps of 2 from one λ change nothing (block 1 stays
    # zero), so the single start is stuck; the weighting-rule starts are not
    p = _scaled_blocks()
    kw = {"method": method, "n_lambdas": 12, "n_folds": 3, "n_confirm": 1, "rng": 0}
    one = select_group_lambdas(p.A, p.b, p.groups, starts=("single",), **kw)
    multi = select_group_lambdas(p.A, p.b, p.groups, **kw)
    assert one.start == "single" and set(one.start_values) == {"single"}
    assert set(multi.start_values) == {"single", "lam_max", "column_norm"}
    assert multi.start_values["single"] == pytest.approx(one.single_criterion_value)
    # one search from every start; the one from the single λ is the single-start search
    assert set(multi.search_values) == set(multi.start_values)
    assert multi.search_values["single"] == one.search_values["single"]
    assert multi.start != "single"
    assert multi.criterion_value == multi.search_values[multi.start]
    assert multi.criterion_value == min(multi.search_values.values())
    ratios = multi.start_lam / si.group_weights(p.A, p.b, p.groups, multi.start)
    np.testing.assert_allclose(ratios, ratios[0])  # the start is on its rule's path
    # never worse on the criterion than the single start, nor than the single λ
    assert multi.criterion_value <= one.criterion_value <= one.single_criterion_value
    assert multi.criterion_value < one.criterion_value
    assert not multi.fallback and multi.lam[1] < multi.lam[0] / 30
    snr_one = metrics.snr_db(p.x_true, one.x)
    assert metrics.snr_db(p.x_true, multi.x) > snr_one + 5
    # the rule paths are paid for: one path each (K fold solves per λ for CV, one
    # full-data solve otherwise), then the searches (K per evaluation for CV), the
    # confirmation (K, and K per end tried) and, for CV, the full fit
    K = 3 if method == "cv" else 1
    extra = 2 * 12 * K + multi.n_evaluations * K + 2 * 3
    assert multi.n_solves >= multi.single.n_solves + extra + (method == "cv")
    assert multi.n_applications > one.n_applications


def test_group_lambdas_starts_are_validated() -> None:
    p = problems.block_sparse([20, 20], [2, 2], n_measurements=30, rng=0)
    for bad in ((), ("single", "nope"), ("uniform",)):
        with pytest.raises(ValueError, match="starts"):
            select_group_lambdas(p.A, p.b, p.groups, method="gcv", starts=bad)
    with pytest.raises(TypeError, match="starts"):
        select_group_lambdas(p.A, p.b, p.groups, method="gcv", starts=3)  # type: ignore[arg-type]
    # a rule alone is a valid start; the result still never beats the single λ's fallback
    sel = select_group_lambdas(
        p.A, p.b, p.groups, method="gcv", n_lambdas=8, n_confirm=0, starts="lam_max", rng=0
    )
    assert sel.start == "lam_max" and set(sel.start_values) == {"lam_max"}
    assert sel.criterion_value <= sel.single_criterion_value


def test_group_lambdas_ridge_with_hutchinson_df() -> None:
    p = problems.block_sparse([30, 20], [30, 2], amplitudes=[1.0, 3.0], n_measurements=60, rng=2)
    sel = select_group_lambdas(
        p.A,
        p.b,
        p.groups,
        "l2",
        method="sure",
        noise_std=p.noise_std,
        n_lambdas=10,
        n_confirm=0,
        rng=0,
    )
    assert sel.lam.shape == (2,) and np.all(np.isfinite(sel.lam)) and np.all(sel.lam > 0)
    assert sel.criterion_value <= sel.single_criterion_value
    assert 0 < sel.single.df[sel.single.index] < p.n_measurements


# ----------------------------------------------------------------------------- errors


def test_errors_name_the_argument() -> None:
    A, _, b = _gaussian(20, 30, 3, 0.1, seed=7)
    with pytest.raises(ValueError, match="method"):
        select_lambda(A, b, method="aic")
    with pytest.raises(ValueError, match="n_folds"):
        select_lambda(A, b, method="cv", n_folds=1)
    with pytest.raises(ValueError, match="n_folds"):
        select_lambda(A, b, method="cv", n_folds=21)
    with pytest.raises(ValueError, match="lams"):
        select_lambda(A, b, method="gcv", lams=[])
    with pytest.raises(ValueError, match="groups"):
        select_lambda(A, b, groups=si.Groups.from_sizes([10, 10]), method="gcv")
    with pytest.raises(ValueError, match="groups"):
        select_group_lambdas(A, b, si.Groups.from_sizes([10, 10]))
    with pytest.raises(ValueError, match="weights"):
        select_lambda(A, b, groups=si.Groups.from_sizes([10, 20]), weights=[1, 2, 3])
    with pytest.raises(ValueError, match="method"):
        select_group_lambdas(A, b, si.Groups.from_sizes([10, 20]), method="discrepancy")
    with pytest.raises(ValueError, match=r"'quasi_optimality' \(quasi-optimality minimised"):
        select_group_lambdas(A, b, si.Groups.from_sizes([10, 20]), method="quasi_optimality")
    with pytest.raises(ValueError, match="method"):
        select_group_lambdas(A, b, si.Groups.from_sizes([10, 20]), method="aic")
    g = si.Groups.from_sizes([10, 20])
    with pytest.raises(ValueError, match="n_folds"):
        select_group_lambdas(A, b, g, method="cv", n_folds=1)
    with pytest.raises(ValueError, match="n_folds"):
        select_group_lambdas(A, b, g, method="cv", n_folds=21)
    with pytest.raises(ValueError, match="lams"):
        select_group_lambdas(A, b, g, method="gcv", lams=[])
    assert set(CRITERIA) == {"cv", "discrepancy", "sure", "gcv", "quasi_optimality"}


# ----------------------------------------------------------------------------- σ where m <= n


def test_noise_is_estimated_where_m_is_below_n_on_many_draws() -> None:
    # Gaussian compressed sensing, m < n, 20 dB: no least squares, no smooth trace
    ratios = {"cv": [], "scaled_lasso": []}
    for seed in range(12):
        p = problems.compressed_sensing(120, 300, 10, snr_db=20, rng=seed)
        for method in ratios:
            est = estimate_noise_std(p.A, p.b, method=method, rng=seed)
            assert est.method == method and est.n_solves > 0 and est.n_applications > 0
            ratios[method].append(est.noise_std / p.noise_std)
        assert estimate_noise_std(p.A, p.b).method == "cv"  # what "auto" picks here
    for method, values in ratios.items():
        values = np.array(values)
        assert 0.85 <= np.median(values) <= 1.15, (method, values)
        assert np.all((values > 0.5) & (values < 2.0)), (method, values)


def test_complex_noise_estimate_where_m_is_below_n() -> None:
    p = problems.compressed_sensing(64, 128, 5, sensing="partial_fourier", snr_db=20, rng=1)
    est = estimate_noise_std(p.A, p.b, method="cv")
    assert 0.7 < est.noise_std / p.noise_std < 1.4


def test_every_method_runs_without_noise_std_on_an_under_determined_problem() -> None:
    # the call of issue 13: it used to raise "noise_std must be given"
    A, x_true, b = _gaussian(60, 150, 5, 0.1, seed=8)
    for method in ("cv", "discrepancy", "sure", "gcv"):
        sel = select_lambda(A, b, "l1", method=method, n_lambdas=15, rng=0)
        assert np.isfinite(sel.lam) and sel.lam > 0
        if method in ("discrepancy", "sure"):
            assert sel.noise_method == "cv" and 0.5 < sel.noise_std / 0.1 < 2.0
        assert metrics.snr_db(x_true, sel.x) > 10
    g = si.Groups.from_sizes([75, 75])
    for method in ("cv", "sure", "gcv"):
        sel = select_group_lambdas(A, b, g, method=method, n_lambdas=10, n_confirm=1, rng=0)
        assert np.all(np.isfinite(sel.lam)) and np.all(sel.lam > 0)


# ----------------------------------------------------------------------------- quasi-optimality


def _soft(b: np.ndarray, lam: float) -> np.ndarray:
    return np.sign(b) * np.maximum(np.abs(b) - lam, 0.0)


def test_quasi_optimality_is_its_formula_and_reuses_the_path_for_its_partners() -> None:
    # A = I: x̂_λ is soft thresholding, so the criterion has a closed form
    rng = np.random.default_rng(3)
    b = rng.standard_normal(40) * rng.choice([0.1, 3.0], 40)
    with pytest.warns(si.selection.LambdaEdgeWarning, match="quasi_optimality"):  # x̂ → b
        sel = select_lambda(np.eye(40), b, method="quasi_optimality", n_lambdas=12, tol=1e-12)
    lams = sel.path_lams
    rho = lams[0] / lams[1]
    expected = [np.inf] + [
        np.linalg.norm(_soft(b, lam) - _soft(b, rho * lam)) / np.linalg.norm(_soft(b, lam))
        for lam in lams[1:]
    ]
    np.testing.assert_allclose(sel.criterion, expected, rtol=1e-9)
    assert sel.index == int(np.argmin(expected))
    # each partner x̂_ρλ is the previous point of the geometric path: one solve per λ
    assert sel.n_solves == lams.size


def test_quasi_optimality_off_the_path_solves_its_partner_and_agrees_with_the_scan() -> None:
    from sparseinv.selection.criteria import QuasiOptimality

    p = problems.spike_deconvolution(nt=300, rng=1)
    sel = select_lambda(p.A, p.b, method="quasi_optimality", n_lambdas=15, tol=1e-10)
    engine = Engine(p.A, p.b, si.L1, None, "fista", {"tol": 1e-10})
    rho = sel.path_lams[0] / sel.path_lams[1]
    criterion = QuasiOptimality(engine, ratio=rho)
    i = sel.index
    value, fit = criterion.evaluate(float(sel.path_lams[i]), None)  # cold: partner solved
    assert engine.n_solves == 2
    np.testing.assert_allclose(value, sel.criterion[i], rtol=1e-5)
    np.testing.assert_allclose(fit.x, sel.x, rtol=1e-6, atol=1e-9)
    # the scan chose the global minimum of the curve, which is finite and inside the grid
    assert np.isfinite(sel.criterion[i]) and 0 < i < sel.path_lams.size - 1
    assert sel.criterion[i] == np.min(sel.criterion)


def test_quasi_optimality_finds_the_tikhonov_lambda_of_an_ill_posed_blur() -> None:
    # the problem the rule was made for: a smooth x behind a Gaussian blur, ridge
    # regularization. GCV scores the prediction of b, flat where the blur hides the
    # error of x, and over-smooths by 4.6–7.5 dB; quasi-optimality watches x itself
    regret = {"quasi_optimality": [], "gcv": []}
    for seed in range(6):
        p = problems.gaussian_blur(rng=seed)
        normal = p.A.T @ p.A
        for method, values in regret.items():
            sel = select_lambda(
                p.A,
                p.b,
                "l2",
                method=method,
                n_lambdas=26,
                lam_min_ratio=1e-5,
                tol=1e-9,
                max_iter=20000,
                rng=0,
            )
            # the oracle on the same grid, from the closed form of ridge
            snr = [
                metrics.snr_db(p.x_true, np.linalg.solve(normal + lam * np.eye(80), p.A.T @ p.b))
                for lam in sel.path_lams
            ]
            values.append(max(snr) - snr[sel.index])
    qo, gcv = np.mean(regret["quasi_optimality"]), np.mean(regret["gcv"])
    assert qo < 1.5 and qo < gcv - 3.0, regret


def test_quasi_optimality_rejects_a_ratio_that_is_not_above_one() -> None:
    from sparseinv.selection.criteria import QuasiOptimality

    engine = Engine(np.eye(3), np.ones(3), si.L1, None, "fista", {})
    for ratio in (1.0, 0.5):
        with pytest.raises(ValueError, match=r"ratio must be > 1; got"):
            QuasiOptimality(engine, ratio=ratio)


# ----------------------------------------------------------------------------- the 1-SE rule


def test_one_standard_error_rule_never_regularizes_less_than_the_minimum() -> None:
    for seed in range(6):
        A, _, b = _gaussian(80, 160, 6, 0.2, seed=20 + seed)
        kw = {"method": "cv", "n_lambdas": 20, "n_folds": 4, "rng": seed}
        low = select_lambda(A, b, "l1", **kw)
        one_se = select_lambda(A, b, "l1", cv_rule="one_se", **kw)
        # the same folds and path: only the choice differs
        np.testing.assert_array_equal(low.criterion, one_se.criterion)
        assert one_se.cv_rule == "one_se" and low.cv_rule == "min"
        assert one_se.min_index == low.index == low.min_index
        assert one_se.lam >= low.lam and one_se.index <= low.index
        se = one_se.criterion_std[low.index]
        assert np.isfinite(se) and se > 0
        threshold = low.criterion_value + se
        assert one_se.criterion_value <= threshold
        # the largest λ within one standard error: every larger λ is above the threshold
        assert np.all(one_se.criterion[: one_se.index] > threshold)
    with pytest.raises(ValueError, match="cv_rule"):
        select_lambda(A, b, method="cv", cv_rule="two_se")


def test_cv_standard_error_is_the_spread_over_folds() -> None:
    from sparseinv.selection.criteria import FoldFits

    errors = np.array([4.0, 6.0, 5.0, 9.0])
    sizes = np.array([10, 10, 10, 10])
    state = FoldFits(fits=(), errors=errors, sizes=sizes)
    # equal folds: the total's standard error is K · std(E_k, ddof=1) / √K
    assert state.standard_error == pytest.approx(np.std(errors, ddof=1) * np.sqrt(4))


def test_repeated_cv_averages_independent_partitions_of_the_rows() -> None:
    from sparseinv.selection.criteria import CrossValidation

    A, _, b = _gaussian(60, 120, 5, 0.1, seed=3)
    engine = Engine(A, b, si.L1, None, "fista", {"tol": 1e-10, "max_iter": 20000})
    m, lam = b.size, 0.1 * si.lam_max(A, b)
    cv = CrossValidation(engine, n_folds=3, n_repeats=2, rng=np.random.default_rng(5))
    assert len(cv.folds) == 6
    for part in (cv.folds[:3], cv.folds[3:]):
        # each repeat is a partition of the rows: every row held out exactly once
        held = np.sort(np.concatenate([f.held for f in part]))
        np.testing.assert_array_equal(held, np.arange(m))
    assert not all(
        np.array_equal(a.held, b_.held) for a, b_ in zip(cv.folds[:3], cv.folds[3:], strict=True)
    )
    value, state = cv.evaluate(lam, None)
    # reference: each fold solved on its own training rows, λ scaled by m_train / m
    totals = []
    for part in (cv.folds[:3], cv.folds[3:]):
        total = 0.0
        for fold in part:
            x = si.fista(A[fold.train], b[fold.train], si.L1(lam * fold.train.size / m), tol=1e-10)
            total += float(np.sum((A[fold.held] @ x.x - b[fold.held]) ** 2))
        totals.append(total)
    assert value == pytest.approx(np.mean(totals), rel=1e-6)
    assert state.repeats == 2 and state.value == value
    # one partition of the same generator is the plain K-fold criterion
    plain = CrossValidation(engine, n_folds=3, rng=np.random.default_rng(5))
    assert plain.evaluate(lam, None)[0] == pytest.approx(totals[0], rel=1e-6)


def test_select_lambda_with_repeated_folds_pays_their_solves_and_checks_n_repeats() -> None:
    A, _, b = _gaussian(50, 100, 4, 0.1, seed=4)
    kw = {"method": "cv", "n_lambdas": 8, "n_folds": 3, "rng": 0}
    one = select_lambda(A, b, "l1", **kw)
    three = select_lambda(A, b, "l1", n_repeats=3, **kw)
    assert one.n_solves == 8 * (1 + 3) and three.n_solves == 8 * (1 + 3 * 3)
    assert three.criterion.shape == (8,) and np.all(np.isfinite(three.criterion_std))
    # the per-column selection of a 2-D b uses the same repeated folds
    cols = select_lambda(A, np.column_stack([b, 2 * b]), "l1", n_repeats=3, **kw)
    np.testing.assert_allclose(cols.column(0).criterion, three.criterion, rtol=1e-6)
    for bad, error in ((0, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="n_repeats"):
            select_lambda(A, b, "l1", n_repeats=bad, **kw)
    # the per-group search minimises the same repeated criterion: twice the fold solves
    p = problems.block_sparse([40, 40], [10, 1], n_measurements=60, rng=0)
    kw = {"method": "cv", "n_lambdas": 8, "n_folds": 3, "n_confirm": 1, "max_evaluations": 20}
    one = select_group_lambdas(p.A, p.b, p.groups, rng=0, **kw)
    two = select_group_lambdas(p.A, p.b, p.groups, n_repeats=2, rng=0, **kw)
    assert two.lam.shape == (2,) and two.criterion_value <= two.single_criterion_value
    assert two.single.n_solves == 8 * (1 + 2 * 3) and one.single.n_solves == 8 * (1 + 3)
    assert two.n_solves > 1.5 * one.n_solves


# ----------------------------------------------------------------------------- curves and edges


def test_every_selection_result_holds_its_criterion_curves() -> None:
    p = _scaled_blocks()
    sel = select_group_lambdas(p.A, p.b, p.groups, method="cv", n_lambdas=10, n_folds=3, rng=0)
    single = sel.single
    assert single.criterion.shape == single.path_scales.shape == (10,)
    assert np.all(np.isfinite(single.criterion_std))
    assert set(sel.start_curves) == {"lam_max", "column_norm"}
    for lams, values in sel.start_curves.values():
        assert lams.shape == (10, 2) and values.shape == (10,)
        assert np.all(np.diff(np.log(lams), axis=0) < 0)  # from the largest λ down
    assert sel.search_lams.shape == (sel.search_criterion.size, 2)
    assert sel.at_bound.shape == (2,)


def test_a_lambda_at_the_edge_of_its_grid_is_warned_about() -> None:
    # noiseless and well determined: every criterion wants the smallest λ of the grid
    A, _, _ = _gaussian(60, 20, 3, 0.0, seed=9)
    x = np.zeros(20)
    x[:3] = [1.0, -2.0, 3.0]
    b = A @ x
    with pytest.warns(si.selection.LambdaEdgeWarning, match="smallest λ of the grid"):
        sel = select_lambda(A, b, "l1", method="gcv", n_lambdas=8)
    assert sel.at_edge == "smallest" and sel.index == 7
    # pure noise: x = 0 (the largest λ) is the answer, and is flagged
    noise = np.random.default_rng(1).standard_normal(60)
    with pytest.warns(si.selection.LambdaEdgeWarning, match="largest λ of the grid"):
        sel = select_lambda(A, noise, "l1", method="sure", noise_std=1.0, n_lambdas=8)
    assert sel.at_edge == "largest" and sel.index == 0
    # an interior choice is not
    p = problems.compressed_sensing(60, 128, 5, snr_db=20, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", si.selection.LambdaEdgeWarning)
        sel = select_lambda(p.A, p.b, method="sure", noise_std=p.noise_std, n_lambdas=15)
    assert sel.at_edge is None


# ----------------------------------------------------------------------------- degenerate A


@pytest.mark.parametrize("penalty", ["l0", "l1", "l2"])
def test_zero_operator_is_rejected_with_a_named_error(penalty: str) -> None:
    # issue 8, item 12: "l0" raised ZeroDivisionError and "l2" returned λ = 0
    A = np.zeros((6, 9))
    b = np.arange(1.0, 7.0)
    with pytest.raises(ValueError, match="A must not be zero"):
        select_lambda(A, b, penalty, method="gcv")
    with pytest.raises(ValueError, match="A must not be zero"):
        select_group_lambdas(A, b, si.Groups.from_sizes([4, 5]), penalty, method="gcv")
    with pytest.raises(ValueError, match="A must not be zero"):
        estimate_noise_std(A, b, method="cv")
    # b orthogonal to the range of a non-zero A: x = 0 for every λ, for every penalty
    B = np.zeros((6, 9))
    B[0, 0] = 1.0
    with pytest.raises(ValueError, match="orthogonal to the range of A"):
        select_lambda(B, np.r_[0.0, b[1:]], penalty, method="gcv")


@pytest.mark.filterwarnings("ignore::sparseinv.selection.LambdaEdgeWarning")  # drifts to a bound
def test_a_criterion_that_always_improves_cannot_make_the_search_run_forever() -> None:
    from sparseinv.selection.criteria import FitCriterion

    class Drifting(FitCriterion):  # every new fit scores lower than all before it
        name = "drifting"
        calls = 0

        def score(self, fit):
            Drifting.calls += 1
            return -float(Drifting.calls)

    CRITERIA["drifting"] = Drifting
    try:
        A, _, b = _gaussian(30, 40, 3, 0.1, seed=11)
        g = si.Groups.from_sizes([20, 20])
        sel = select_group_lambdas(
            A,
            b,
            g,
            method="drifting",
            n_lambdas=6,
            max_evaluations=9,
            n_confirm=0,
            starts=("single",),
            rng=0,
        )
    finally:
        del CRITERIA["drifting"]
    assert sel.n_evaluations == 9 and not sel.fallback
    assert sel.n_solves <= 6 + 9 + 1


def _columns(m: int, n: int, k: int, seed: int) -> tuple:
    """k right-hand sides of one A, each with its own support, amplitude and noise."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    X = np.zeros((n, k))
    for j in range(k):
        X[rng.choice(n, 4, replace=False), j] = (j + 1) * rng.choice([-1.0, 1.0], 4)
    sigmas = 0.02 * (1 + np.arange(k))
    return A, A @ X + sigmas * rng.standard_normal((m, k)), sigmas


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("sure", {"noise_std": "per column"}),
        ("gcv", {}),
        ("discrepancy", {"noise_std": None, "rng": 2}),  # σ estimated column by column
        ("cv", {"n_folds": 3, "rng": 3}),
        ("quasi_optimality", {}),
    ],
)
def test_one_lambda_per_column_is_each_column_selected_alone(method: str, options: dict) -> None:
    A, B, sigmas = _columns(30, 60, 3, seed=4)
    if options.get("noise_std") == "per column":
        options = {**options, "noise_std": sigmas}
    calls = []

    def solver(A, b, penalty, **kw):  # records the right-hand sides of every solve
        calls.append(np.shape(b))
        return si.fista(A, b, penalty, **kw)

    tight = {"n_lambdas": 8, "tol": 1e-10, "max_iter": 20000}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.selection.LambdaEdgeWarning)
        sel = select_lambda(A, B, method=method, solver=solver, **tight, **options)
    assert isinstance(sel, si.ColumnLambdaSelection)
    assert sel.lam.shape == (1, 3) and sel.x.shape == (60, 3) and sel.criterion.shape == (8, 3)
    # the path is batched: every solve of the selection's own path and folds takes all columns
    n_path = 8 * (1 + options.get("n_folds", 0))
    batched = [shape for shape in calls if len(shape) == 2 and shape[1] == 3]
    assert len(batched) == n_path and batched.count((30, 3)) == 8 and sel.n_solves >= n_path
    for j in range(3):
        noise = options.get("noise_std")
        alone_options = {**options, "noise_std": noise[j] if np.ndim(noise) else noise}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", si.selection.LambdaEdgeWarning)
            alone = select_lambda(A, B[:, j], method=method, **tight, **alone_options)
        col = sel.column(j)
        assert sel.index[j] == alone.index == col.index
        assert sel.lam[0, j] == alone.lam and col.noise_std == alone.noise_std
        np.testing.assert_allclose(sel.criterion[:, j], alone.criterion, rtol=1e-8)
        np.testing.assert_allclose(col.path_lams, alone.path_lams, rtol=1e-12)
        np.testing.assert_allclose(sel.x[:, j], alone.x, rtol=1e-6, atol=1e-9)
    # the per-column λ is a λ of the solvers, shape (1, k)
    res = si.fista(A, B, si.L1(sel.lam), tol=1e-10, max_iter=20000)
    np.testing.assert_allclose(res.x, sel.x, rtol=1e-6, atol=1e-8)


def test_per_column_selection_rejects_a_noise_level_of_the_wrong_shape() -> None:
    A, B, sigmas = _columns(30, 60, 3, seed=4)
    with pytest.raises(ValueError, match=r"noise_std must be one σ or one per column \(3,\)"):
        select_lambda(A, B, method="sure", noise_std=sigmas[:2])
    B_before = B.copy()
    sel = select_lambda(A, B, method="sure", noise_std=0.05, n_lambdas=6)
    np.testing.assert_array_equal(B, B_before)
    assert sel.noise_std.tolist() == [0.05] * 3


def test_per_group_selection_takes_one_column_at_a_time() -> None:
    A, B, _ = _columns(30, 60, 3, seed=4)
    groups = si.Groups.from_sizes([30, 30])
    with pytest.raises(ValueError, match=r"b must be one right-hand side.*one column at a time"):
        select_group_lambdas(A, B, groups, method="gcv")
