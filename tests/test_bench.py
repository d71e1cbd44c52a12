"""Tests of the recovery-quality benchmark: the CLI, its cases, the phase-transition tools."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import itertools
import math
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

import sparseinv as si
from sparseinv.bench import CASES, SUITES, CaseReport, Check, Table, main, run_bench
from sparseinv.bench.cases import REGRET_METHODS, compare_trial, l1_trial, regret_trial
from sparseinv.bench.cases.grouped import grouped
from sparseinv.bench.cases.real_seismic import real_seismic
from sparseinv.bench.cases.seismic import seismic
from sparseinv.bench.cases.selection_regret import effective_noise_std, selection_regret
from sparseinv.bench.phase import (
    debias,
    donoho_tanner,
    fifty_percent,
    irls_l0_recover,
    l1_recover,
    linear_fifty_percent,
)
from sparseinv.bench.report import write_report
from sparseinv.bench.runner import Runner

matplotlib.use("Agg")

TINY_PHASE = {
    "n": 40,
    "ks": {0.25: [2, 6], 0.5: [4, 16]},
    "trials": 2,
    "diagram": {"n": 30, "deltas": (0.3, 0.6), "rhos": (0.1, 0.5, 0.7, 0.9), "trials": 1},
}


@pytest.fixture
def tiny_phase_case(monkeypatch):
    case = dataclasses.replace(CASES["phase_transition"], quick=TINY_PHASE)
    monkeypatch.setitem(CASES, "phase_transition", case)
    return case


# ----------------------------------------------------------------------------- the CLI
def test_cli_runs_one_small_case_of_the_quick_suite_and_writes_its_outputs(
    tiny_phase_case, tmp_path, capsys
):
    out = tmp_path / "report"
    status = main(
        [
            "bench",
            *("--suite", "quick", "--cases", "phase_transition", "--out", str(out)),
            *("--seed", "3", "--jobs", "1"),
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "case 1/1: phase_transition (quick suite)" in printed
    assert "phase transition: 8/8" in printed  # progress as it goes
    assert f"report: {out / 'results.md'}" in printed
    markdown = (out / "results.md").read_text()
    assert markdown.startswith("# sparseinv recovery-quality benchmark (quick suite)")
    assert "seed 3" in markdown and "## Targets" in markdown
    assert "## 1. Phase transition (L1)" in markdown
    assert "![phase_diagram.png](phase_diagram.png)" in markdown
    with (out / "results.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["case"] for r in rows} == {"phase_transition"}
    cells = [r for r in rows if r["table"] == "Success rate per cell"]
    assert len(cells) == 4 and cells[-1]["rate"] == "0.0"  # k = 16 of m = 20: fails
    for name in ("phase_transition_curves.png", "phase_diagram.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_same_numbers(tiny_phase_case, tmp_path):
    tables = []
    for run in range(2):
        run_bench(cases=["phase_transition"], out=tmp_path / str(run), seed=1, stream=None)
        tables.append((tmp_path / str(run) / "results.csv").read_text().splitlines())
    # the seconds column differs; the success counts do not
    strip = [[",".join(line.split(",")[:-2]) for line in t] for t in tables]
    assert strip[0] == strip[1]


def test_cli_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit) as err:
        main(["bench", "--cases", "phase_transition,nope"])
    assert err.value.code == 2
    assert "cases must be among" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "--suite", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "--jobs", "0"])
    assert "--jobs must be >= 1; got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([])
    with pytest.raises(ValueError, match="suite must be one of"):
        run_bench(suite="medium", cases=[], out="unused", stream=None)


def test_module_and_console_script_entry_points():
    result = subprocess.run(
        [sys.executable, "-m", "sparseinv.bench", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--suite {quick,full}" in result.stdout and "--cases" in result.stdout
    script = Path(sys.executable).with_name("sparseinv")
    if script.exists():  # installed with pip: the [project.scripts] entry
        result = subprocess.run(
            [str(script), "bench", "--help"], capture_output=True, text=True, check=True
        )
        assert "--out" in result.stdout


# ----------------------------------------------------------------------------- the suites
def test_full_suite_holds_the_sizes_the_targets_are_set_for():
    pt = CASES["phase_transition"].config("full")
    assert pt["n"] == 400 and set(pt["ks"]) == {0.25, 0.5} and pt["trials"] >= 20
    assert len(pt["diagram"]["deltas"]) >= 9
    b = CASES["beyond_l1"].config("full")
    assert (b["n"], b["m"]) == (256, 100) and b["trials"] >= 20
    g = CASES["grouped"].config("full")["problems"]
    assert g["density_contrast"][0] == "density_contrast" and g["density_contrast"][2] >= 8
    assert g["size_only"][0] == "size_only" and g["layers"][0] == "layers"
    s = CASES["seismic"].config("full")["problems"]
    for label in ("fk", "linear_radon"):
        maker, kwargs, _, options = s[label]
        p_kwargs = {"transform": kwargs["transform"]}
        assert maker == "trace_interpolation" and kwargs == p_kwargs  # the default geometry
        assert options["domain"] == "synthesis"
    p = si.problems.trace_interpolation(rng=0)
    assert p.extra["gather"].shape == (70, 80) and p.extra["kept"].size == 35
    assert CASES["ecg"].config("full")["fractions"] == (0.3, 0.5)
    r = CASES["selection_regret"].config("full")
    assert r["methods"] == REGRET_METHODS
    assert REGRET_METHODS == ("oracle", "cv", "discrepancy", "sure", "gcv", "quasi_optimality")
    assert set(r["problems"]) == {"density_contrast", "size_only", "spike_deconvolution", "ecg"}
    assert r["problems"]["density_contrast"][:2] == ("density_contrast", {})  # m = 200, 20 dB
    assert r["problems"]["size_only"][:2] == ("size_only", {})
    assert all(trials >= 8 for _, _, trials in r["problems"].values())
    assert list(CASES)[-2:] == ["selection_regret", "real_seismic"]
    rs = CASES["real_seismic"].config("full")["interpolation"]
    assert rs["section"] == {"inline": 51} and rs["fraction_kept"] == 0.5  # the whole inline
    assert {s["transform"] for s in rs["setups"].values()} == {"fk", "linear_radon"}
    assert any("windows" in s for s in rs["setups"].values())
    for case in CASES.values():
        assert set(case.config("quick")) == set(case.config("full"))
    assert SUITES == ("quick", "full")


# ----------------------------------------------------------------------------- the cases
def test_grouped_case_checks_the_signs_on_small_problems():
    config = {
        "problems": {
            "density_contrast": ("density_contrast", {}, 1),
            "size_only": (
                "block_sparse",
                {"sizes": [40, 360], "nonzeros": [4, 36], "n_measurements": 160},
                1,
            ),
        },
        "strategies": ("single", "lam_max", "per_group"),
        "compare": {"n_lams": 10, "budget": 40},
    }
    report = grouped(config, Runner(stream=None))
    assert [c.passed for c in report.checks] == [True, True, True]
    assert "per-group − single ≥ 1.0 dB" in report.checks[0].target
    dc = {r["strategy"]: r for r in report.tables[0].rows}
    assert dc["per_group"]["gain_db"] >= 1.0 and dc["lam_max"]["gain_db"] < 0
    assert set(report.figures) == {
        "grouped_density_contrast.png",
        "grouped_size_only.png",
        "grouped_gains.png",
    }


def test_seismic_case_measures_the_gather_and_draws_it(tmp_path):
    config = {
        "problems": {
            "fk": (
                "trace_interpolation",
                {"nt": 32, "nx": 16, "npx": 10, "nffts": (32, 32), "transform": "fk"},
                1,
                {"n_lams": 5, "budget": 8, "domain": "synthesis", "lam_min_ratio": 1e-2},
            ),
        },
        "strategies": ("single", "sqrt_size"),
        "targets": {"fk": 10.0},
    }
    report = seismic(config, Runner(stream=None))
    (check,) = report.checks
    rows = {r["strategy"]: r for r in report.tables[0].rows}
    assert check.passed == (rows["single"]["snr_db"] >= 10.0)
    assert "model_snr_db" in rows["single"]
    paths = write_report([report], tmp_path, suite="quick", seed=0, jobs=1, seconds=1.0)
    assert {"seismic_gathers.png", "seismic_fk.png", "seismic_gains.png"} <= set(paths)


def test_selection_regret_case_reports_paired_regret_and_its_targets(tmp_path):
    config = {
        "problems": {
            "density_contrast": (
                "block_sparse",
                {"sizes": [60, 60], "nonzeros": [12, 1], "n_measurements": 50},
                2,
            ),
            "size_only": (
                "block_sparse",
                {"sizes": [20, 180], "nonzeros": [2, 18], "n_measurements": 80},
                1,
            ),
        },
        "methods": ("oracle", "sure", "gcv"),
        "compare": {"n_lams": 7, "budget": 8, "solver_options": {"max_iter": 200}},
        "selection": {"n_lambdas": 8, "lam_min_ratio": 1e-2, "n_folds": 3, "n_confirm": 1},
    }
    report = selection_regret(config, Runner(stream=None))
    assert report.name == "selection_regret" and len(report.tables) == 2
    rows = {r["method"]: r for r in report.tables[0].rows}
    assert list(rows) == ["oracle", "sure", "gcv"] and rows["sure"]["trials"] == 2
    assert rows["oracle"]["single_regret_db"] == 0.0 and rows["oracle"]["group_regret_db"] == 0.0
    # the regret is paired with the oracle of the same trials
    for method in ("sure", "gcv"):
        r = rows[method]
        for key in ("single", "group"):
            expected = rows["oracle"][f"{key}_snr_db"] - r[f"{key}_snr_db"]
            assert r[f"{key}_regret_db"] == pytest.approx(expected)
    assert rows["sure"]["sigma_ratio"] > 0 and math.isnan(rows["gcv"]["sigma_ratio"])
    targets = [c.target for c in report.checks]
    assert len(targets) == 8
    assert "density contrast: automatic per-group − data-driven single ≥ 1 dB" in targets[2]
    assert "size-only control" in targets[6]
    # the noise estimate against its band, on the methods that estimate σ (not GCV)
    sigma_check = report.checks[3]
    assert "median σ̂/σ within [0.85, 1.15]" in sigma_check.target
    assert sigma_check.passed == (0.85 <= rows["sure"]["sigma_ratio"] <= 1.15)
    assert "gcv" not in sigma_check.measured
    # synthetic problems carry only the noise added: σ_eff = σ
    assert rows["sure"]["sigma_ratio_effective"] == rows["sure"]["sigma_ratio"]
    gain = report.checks[2]
    best_group = max(rows[m]["group_snr_db"] for m in ("sure", "gcv"))
    best_single = max(rows[m]["single_snr_db"] for m in ("sure", "gcv"))
    assert gain.passed == (best_group - best_single >= 1.0)
    paths = write_report([report], tmp_path, suite="quick", seed=0, jobs=1, seconds=1.0)
    assert "selection_regret.png" in paths
    assert (
        "| selection_regret | density_contrast: best data-driven" in paths["markdown"].read_text()
    )
    with pytest.raises(ValueError, match=r"config\['methods'\] must start with 'oracle'"):
        selection_regret({**config, "methods": ("sure",)}, Runner(stream=None))


def test_regret_trial_hides_the_truth_from_data_driven_selection():
    out = regret_trial(
        maker="density_contrast",
        maker_kwargs={"n_measurements": 60},
        seed=2,
        selection="gcv",
        compare_kwargs={"n_lams": 6},
    )
    p = si.problems.density_contrast(n_measurements=60, rng=2)
    assert out["noise_std"] == p.noise_std == out["effective_noise_std"]
    rec = out["records"]["single"]
    assert rec["n_solves"] == 6 and rec["noise_method"] is None


def test_effective_noise_of_the_ecg_adds_the_recordings_own_noise():
    pywt = pytest.importorskip("pywt")
    p = si.problems.ecg(0.5, n_samples=512, snr_db=25.0, rng=0)
    # reference: the MAD of the finest db4 band of the noiseless recording, by PyWavelets
    detail = pywt.dwt(p.extra["recording"], "db4", mode="periodization")[1]
    own = float(np.median(np.abs(detail))) / 0.6744897501960817
    assert p.extra["recording_noise_std"] == pytest.approx(own, rel=1e-12)
    # the recording's own noise is of the order of the noise added at 25 dB
    assert 0.4 < own / p.noise_std < 1.2
    assert effective_noise_std(p) == pytest.approx(math.hypot(p.noise_std, own), rel=1e-12)
    # with no noise added, the data still carry the recording's own
    assert effective_noise_std(si.problems.ecg(0.5, n_samples=512, rng=0)) == pytest.approx(own)


@pytest.mark.skipif(importlib.util.find_spec("seislab") is None, reason="needs seislab")
def test_real_seismic_case_chooses_lambda_by_the_snr_over_the_removed_traces(tmp_path):
    search = {"max_iter": 40, "tol": 1e-4, "lam_min_ratio": 1e-2, "n_lams": 4, "budget": 6}
    config = {
        "interpolation": {
            **search,
            "section": {"n_traces": 16, "n_samples": 24},
            "fraction_kept": 0.5,
            "setups": {"fk": {"transform": "fk", "nffts": (32, 32)}},
            "trials": 1,
            "budget_iter": 20,
        },
        "deconvolution": {
            **search,
            "crosslines": (50,),
            "phases": ("zero_phase",),
            "trials": 1,
            "n_windows": 2,
        },
        "targets": {"fk": 0.0},
    }
    report = real_seismic(config, Runner(stream=None))
    rows = {r["strategy"]: r for r in report.tables[0].rows}
    assert list(rows) == ["single", "per_group", "same_budget", "pylops"]
    # the oracle's per-group search starts at the single λ and keeps only improvements
    assert rows["per_group"]["snr_removed_db"] >= rows["single"]["snr_removed_db"]
    assert rows["per_group"]["gain_db"] >= 0.0 and rows["single"]["lam_spread"] == 1.0
    # one grid of n_lams, refined; the per-group search within its budget
    assert rows["single"]["solves"] >= 4 and rows["per_group"]["solves"] <= 6
    pylops_check, target_check = report.checks
    assert "objective ≤ pylops'" in pylops_check.target and "F ratio" in pylops_check.measured
    assert target_check.passed and "with one λ ≥ 0 dB" in target_check.target
    deconv = {r["strategy"]: r for r in report.tables[1].rows}
    assert deconv["per_group"]["validation_db"] >= deconv["single"]["validation_db"]
    paths = write_report([report], tmp_path, suite="quick", seed=0, jobs=1, seconds=1.0)
    assert "real_seismic_sections.png" in set(paths)


def test_runner_with_workers_gives_the_results_in_order():
    tasks = [{"n": 30, "m": 15, "k": k, "seed": 0} for k in (1, 2, 10, 14)]
    with Runner(jobs=2, seed=0, stream=None) as runner:
        parallel = runner.map(l1_trial, tasks, label="t")
    serial = [l1_trial(**t) for t in tasks]
    assert [r["success"] for r in parallel] == [r["success"] for r in serial]
    assert [r["relative_error"] for r in parallel] == [r["relative_error"] for r in serial]


def test_runner_seeds_are_stable_and_distinct():
    a, b = Runner(seed=0, stream=None), Runner(seed=1, stream=None)
    assert a.seed_for("x", 1) == Runner(seed=0, stream=None).seed_for("x", 1)
    assert len({a.seed_for("x", t) for t in range(50)}) == 50
    assert a.seed_for("x", 1) != b.seed_for("x", 1)
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        Runner(jobs=0)


def test_compare_trial_builds_the_problem_from_its_seed():
    res = compare_trial(
        maker="density_contrast",
        maker_kwargs={"n_measurements": 120},
        seed=4,
        strategies=("single",),
        compare_kwargs={"n_lams": 5},
    )
    p = si.problems.density_contrast(n_measurements=120, rng=4)
    x = res.solutions["single"]
    assert res.records[0]["snr_db"] == pytest.approx(si.metrics.snr_db(p.x_true, x))


# ----------------------------------------------------------------------------- phase tools
def test_donoho_tanner_curve():
    assert donoho_tanner(0.25) == pytest.approx(0.2674, abs=5e-4)
    assert donoho_tanner(0.5) == pytest.approx(0.3857, abs=5e-4)
    values = [donoho_tanner(d) for d in np.linspace(0.05, 0.95, 10)]
    assert all(a < b for a, b in itertools.pairwise(values))
    with pytest.raises(ValueError, match="delta must be a number in"):
        donoho_tanner(1.5)


def test_fifty_percent_recovers_a_logistic_transition():
    rng = np.random.default_rng(0)
    x = np.linspace(0.1, 0.5, 9)
    trials = np.full(x.size, 400)
    prob = 1 / (1 + np.exp(40 * (x - 0.3)))
    wins = rng.binomial(trials, prob)
    assert fifty_percent(x, wins, trials) == pytest.approx(0.3, abs=0.005)
    assert linear_fifty_percent(x, wins / trials) == pytest.approx(0.3, abs=0.02)
    assert math.isnan(fifty_percent(x, trials, trials))
    assert math.isnan(linear_fifty_percent([1, 2], [1.0, 0.9]))
    with pytest.raises(ValueError, match="one length >= 2"):
        fifty_percent([1.0], [1], [1])


def test_recovery_solvers_and_debias():
    p = si.problems.compressed_sensing(30, 80, 4, amplitudes="gaussian", rng=1)
    for recover in (l1_recover, irls_l0_recover):
        x, n_apps = recover(p.A, p.b)
        assert si.metrics.relative_error(p.x_true, x) < 1e-6 and n_apps > 0
    rng = np.random.default_rng(0)
    A = rng.standard_normal((10, 20))
    x_true = np.zeros(20)
    x_true[[3, 7]] = [1.0, -2.0]
    shrunk = 0.9 * x_true
    np.testing.assert_allclose(debias(A, A @ x_true, shrunk), x_true, atol=1e-12)
    dense = rng.standard_normal(20)  # more non-zeros than rows: returned as is
    np.testing.assert_array_equal(debias(A, A @ x_true, dense), dense)


# ----------------------------------------------------------------------------- the report
def test_report_writer_joins_tables_with_different_columns(tmp_path):
    r1 = CaseReport(
        "a",
        "Case A",
        {"problem": "p", "solver": "s", "metric": "m"},
        "Text A.",
        tables=[Table("one", [{"x": 1.5, "arr": np.array([1.0, 2.0])}], {"x": ".1f"})],
        checks=[Check("x > 1", "1.5", True), Check("|x| > 2", "1.5", False)],
    )
    r2 = CaseReport(
        "b", "Case B", {}, "Text B.", tables=[Table("two", [{"y": "z", "nan": math.nan}])]
    )
    paths = write_report([r1, r2], tmp_path, suite="full", seed=5, jobs=2, seconds=12.0)
    text = paths["markdown"].read_text()
    assert "| a | x > 1 | 1.5 | met |" in text and "| a | \\|x\\| > 2 | 1.5 | missed |" in text
    assert "| 1.5 | 1, 2 |" in text and "| z | – |" in text
    assert "quick suite runs" not in text  # the full suite needs no caveat
    with paths["csv"].open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["case", "table", "x", "arr", "y", "nan"]
    assert rows[0]["arr"] == "1.0;2.0" and rows[1]["y"] == "z" and rows[1]["x"] == ""
