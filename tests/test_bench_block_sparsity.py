"""The ``block_sparsity`` bench case (issue 12) at a tiny size."""

import math

import numpy as np
import pytest

from sparseinv.bench import CASES
from sparseinv.bench.cases.block_sparsity import (
    METHODS,
    block_problem,
    block_sparsity,
    block_trial,
    group_recover,
)
from sparseinv.bench.phase import l1_recover
from sparseinv.bench.runner import Runner
from sparseinv.metrics import relative_error


def test_block_problem_has_whole_blocks_and_the_same_vector_at_every_m():
    small = block_problem(n=64, block=8, n_active=3, m=20, seed=4)
    large = block_problem(n=64, block=8, n_active=3, m=40, seed=4)
    np.testing.assert_array_equal(small["x_true"], large["x_true"])
    blocks = small["x_true"].reshape(8, 8)
    assert int(np.sum(np.all(blocks != 0, axis=1))) == 3
    assert int(np.sum(np.any(blocks != 0, axis=1))) == 3
    with pytest.raises(ValueError, match="multiple of block"):
        block_problem(n=63, block=8, n_active=1, m=10, seed=0)


def test_group_basis_pursuit_recovers_where_basis_pursuit_fails():
    # 3 blocks of 8 (k = 24) from m = 58: beyond L1's transition, within L21's
    wins = {"l21": 0, "l1": 0}
    for seed in range(4):
        p = block_problem(n=128, block=8, n_active=3, m=58, seed=seed)
        wins["l21"] += (
            relative_error(p["x_true"], group_recover(p["A"], p["b"], p["groups"])[0]) < 1e-3
        )
        wins["l1"] += relative_error(p["x_true"], l1_recover(p["A"], p["b"])[0]) < 1e-3
    assert wins["l21"] == 4 and wins["l1"] <= 1, wins


def test_case_reports_the_ratio_and_its_target():
    config = {
        "n": 64,
        "block": 8,
        "n_active": 2,
        "trials": 2,
        "target": 0.8,
        "ms": {METHODS[0]: [4, 40], METHODS[1]: [4, 40]},
    }
    report = block_sparsity(config, Runner(stream=None))
    rates = [row["rate"] for row in report.tables[1].rows]
    assert rates == [0.0, 1.0, 0.0, 1.0]
    summary = {row["method"]: row for row in report.tables[0].rows}
    assert set(summary) == {*METHODS, "ratio L21 / L1"}
    assert all(math.isfinite(summary[name]["m50_logistic"]) for name in METHODS)
    assert [c.target for c in report.checks] == ["m50(L21) / m50(L1) <= 0.8"]
    with pytest.raises(ValueError, match="method"):
        block_trial(method="l7", n=16, block=4, n_active=1, m=8, seed=0)


def test_case_is_registered_with_the_issue_geometry():
    case = CASES["block_sparsity"]
    full, quick = case.config("full"), case.config("quick")
    assert (full["n"], full["block"], full["n_active"], full["target"]) == (512, 8, 8, 0.8)
    assert quick["target"] is None  # reported, not a target, in the quick suite
    assert set(quick) == set(full)
