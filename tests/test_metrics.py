"""Tests of sparseinv.metrics against hand-computed values and edge cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import sparseinv as si
from sparseinv.metrics import (
    f1,
    nmse_db,
    per_group,
    precision,
    recall,
    relative_error,
    snr_db,
    support,
)


@pytest.fixture(autouse=True)
def _no_warnings():
    # edge cases (zero norms, empty supports) must not go through 0/0 or log(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_error_metrics_by_hand():
    x_true, x = np.array([3.0, 4.0]), np.array([3.0, 3.0])
    assert snr_db(x_true, x) == pytest.approx(10 * math.log10(25.0))
    assert nmse_db(x_true, x) == pytest.approx(-10 * math.log10(25.0))
    assert relative_error(x_true, x) == pytest.approx(0.2)
    assert snr_db([1.0, 0.0], [1.0, 0.1]) == pytest.approx(20.0)
    assert isinstance(snr_db(x_true, x), float)


def test_error_metrics_complex():
    x_true, x = np.array([1j, 1.0]), np.array([0.0, 1.0 + 0j])
    assert snr_db(x_true, x) == pytest.approx(10 * math.log10(2.0))
    assert relative_error(x_true, x) == pytest.approx(math.sqrt(0.5))
    # |.| not the real part: an error along the imaginary axis counts
    assert relative_error([1.0 + 0j], [1.0 + 0.5j]) == pytest.approx(0.5)


def test_error_metrics_edge_cases():
    x = np.array([1.0, -2.0, 0.5])
    assert snr_db(x, x.copy()) == math.inf
    assert nmse_db(x, x.copy()) == -math.inf
    assert relative_error(x, x.copy()) == 0.0
    zero = np.zeros(3)
    assert snr_db(zero, zero) == math.inf
    assert snr_db(zero, x) == -math.inf
    assert relative_error(zero, x) == math.inf


def test_metrics_do_not_modify_inputs_and_accept_lists():
    x_true, x = np.array([1.0, 0.0, 2.0]), np.array([0.5, 0.1, 2.0])
    before = (x_true.copy(), x.copy())
    for metric in (snr_db, relative_error, precision, recall, f1):
        metric(x_true, x)
    np.testing.assert_array_equal(x_true, before[0])
    np.testing.assert_array_equal(x, before[1])
    assert relative_error([3, 4], [3, 3]) == pytest.approx(0.2)


@pytest.mark.parametrize("metric", [snr_db, nmse_db, relative_error, precision, recall, f1])
def test_shape_mismatch_names_x(metric):
    with pytest.raises(ValueError, match="x must have the shape of x_true"):
        metric(np.ones(3), np.ones(4))


def test_non_numeric_input_names_the_argument():
    with pytest.raises(TypeError, match="x_true"):
        snr_db(["a", "b"], [1.0, 2.0])


def test_support_definition():
    # tolerance 1e-3 * max|x_true| = 2e-3 for both vectors
    s_true, s_hat = support([1.0, 0.0, 2.0, 1e-3], [0.9, 1e-4, 0.0, 3e-3])
    assert s_true.tolist() == [True, False, True, False]
    assert s_hat.tolist() == [True, False, False, True]
    s_true, s_hat = support([1.0, 0.0], [0.5, 0.05], threshold=0.1)
    assert s_hat.tolist() == [True, False]
    s_true, s_hat = support([1.0, 0.0], [0.5, 0.05], tol=0.01)
    assert s_hat.tolist() == [True, True]
    # complex magnitudes
    s_true, s_hat = support([1j, 0.0], [0.0, 0.5j])
    assert s_true.tolist() == [True, False] and s_hat.tolist() == [False, True]


def test_support_metrics_by_hand():
    x_true = np.array([1.0, 0.0, 2.0, 0.0, 0.0])
    x = np.array([0.9, 0.5, 0.0, 0.0, 1e-4])  # 1e-4 is below the 2e-3 tolerance
    assert precision(x_true, x) == pytest.approx(0.5)
    assert recall(x_true, x) == pytest.approx(0.5)
    assert f1(x_true, x) == pytest.approx(0.5)
    x_true, x = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0]), np.array([1.0, 1.0, 0, 0, 0, 0])
    assert precision(x_true, x) == 1.0
    assert recall(x_true, x) == 0.5
    assert f1(x_true, x) == pytest.approx(2 / 3)
    # a coarser threshold drops the small estimate
    assert precision([1.0, 0.0], [1.0, 0.01]) == 0.5
    assert precision([1.0, 0.0], [1.0, 0.01], threshold=0.1) == 1.0


def test_support_metrics_complex():
    x_true = np.array([1 + 1j, 0, 2j, 0])
    x = np.array([0.5j, 0, 0, 1.0])
    assert precision(x_true, x) == 0.5
    assert recall(x_true, x) == 0.5


def test_support_metrics_empty_supports():
    x_true, zero = np.array([1.0, 0.0, 2.0]), np.zeros(3)
    # nothing estimated: no false positive, everything missed
    assert precision(x_true, zero) == 1.0
    assert recall(x_true, zero) == 0.0
    assert f1(x_true, zero) == 0.0
    # nothing to find: nothing missed, every estimate is a false positive
    assert precision(zero, x_true) == 0.0
    assert recall(zero, x_true) == 1.0
    assert f1(zero, x_true) == 0.0
    # both empty
    assert (precision(zero, zero), recall(zero, zero), f1(zero, zero)) == (1.0, 1.0, 1.0)


def test_bad_threshold_names_the_argument():
    with pytest.raises(ValueError, match="threshold"):
        precision([1.0], [1.0], threshold=-1.0)
    with pytest.raises(ValueError, match="tol"):
        recall([1.0], [1.0], tol=float("nan"))


@pytest.mark.parametrize("metric", [snr_db, nmse_db, relative_error])
def test_per_group_matches_a_loop(metric):
    rng = np.random.default_rng(0)
    groups = si.Groups.from_labels(rng.integers(0, 3, size=30))  # non-contiguous groups
    x_true = rng.standard_normal(30) + 1j * rng.standard_normal(30)
    x = x_true + 0.1 * rng.standard_normal(30)
    expected = [metric(x_true[groups.group(g)], x[groups.group(g)]) for g in range(3)]
    result = per_group(metric, x_true, x, groups)
    assert isinstance(result, np.ndarray) and result.shape == (3,)
    np.testing.assert_allclose(result, expected)


def test_per_group_support_metrics_use_one_global_tolerance():
    groups = si.Groups.from_sizes([3, 3])
    x_true = np.array([1.0, 0.0, 2.0, 0.0, 0.0, 0.0])
    x = np.array([1.0, 0.5, 0.0, 1e-6, 0.0, 0.0])
    # group 1 has no true coefficient; 1e-6 is below the global 2e-3 tolerance
    np.testing.assert_allclose(per_group(precision, x_true, x, groups), [0.5, 1.0])
    np.testing.assert_allclose(per_group(recall, x_true, x, groups), [0.5, 1.0])
    np.testing.assert_allclose(per_group(f1, x_true, x, groups), [0.5, 1.0])
    # with an explicit tolerance of 0 the tiny coefficient is a false positive
    np.testing.assert_allclose(per_group(precision, x_true, x, groups, tol=0.0), [0.5, 0.0])
    # threshold is honoured, relative to the whole x_true
    np.testing.assert_allclose(per_group(precision, x_true, x, groups, threshold=0.3), [1.0, 1.0])


def test_per_group_checks_its_arguments():
    groups = si.Groups.from_sizes([2, 2])
    with pytest.raises(ValueError, match=r"x_true must be 1-D with groups\.n_features"):
        per_group(snr_db, np.ones(5), np.ones(5), groups)
    with pytest.raises(ValueError, match="x must have the shape"):
        per_group(snr_db, np.ones(4), np.ones(5), groups)
    with pytest.raises(TypeError, match="groups"):
        per_group(snr_db, np.ones(4), np.ones(4), [2, 2])
    with pytest.raises(TypeError, match="metric"):
        per_group("snr", np.ones(4), np.ones(4), groups)


def test_metrics_on_a_generated_problem():
    from sparseinv.problems import block_sparse

    p = block_sparse([40, 10], [4, 3], n_measurements=30, snr_db=None, rng=0)
    assert snr_db(p.x_true, p.x_true) == math.inf
    assert per_group(recall, p.x_true, np.zeros_like(p.x_true), p.groups).tolist() == [0.0, 0.0]


def test_cupy_arrays_if_available():
    cp = pytest.importorskip("cupy")
    x_true, x = cp.asarray([3.0, 4.0]), cp.asarray([3.0, 3.0])
    assert relative_error(x_true, x) == pytest.approx(0.2)
    assert precision(x_true, x) == 1.0
    groups = si.Groups.from_sizes([1, 1])
    np.testing.assert_allclose(per_group(relative_error, x_true, x, groups), [0.0, 0.25])


# ------------------------------------------------------------- issue 8 item 10: metrics that lied
ALL_METRICS = [snr_db, nmse_db, relative_error, precision, recall, f1]


@pytest.mark.parametrize("metric", ALL_METRICS)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("where", ["x_true", "x"])
def test_non_finite_input_is_rejected_naming_the_argument(metric, bad, where):
    # a NaN is below every support tolerance: precision/recall/f1 used to return 1.0
    good = np.array([1.0, 0.0, 2.0])
    broken = good.copy()
    broken[1] = bad
    args = (broken, good) if where == "x_true" else (good, broken)
    with pytest.raises(ValueError, match=f"^{where} must be finite"):
        metric(*args)


def test_non_finite_input_is_rejected_by_support_and_per_group():
    with pytest.raises(ValueError, match="x must be finite"):
        support([1.0, 0.0], [math.nan, 0.0])
    with pytest.raises(ValueError, match="x_true must be finite"):
        per_group(recall, [math.inf, 0.0], [1.0, 0.0], si.Groups.from_sizes([1, 1]))


def test_error_metrics_do_not_underflow():
    # the squares of 1e-200 are 0.0: the ratios were inf and 0/0 -> 0.0
    assert snr_db([1e-200], [0.0]) == 0.0
    assert relative_error([1e-200], [2e-200]) == 1.0
    assert relative_error([1e-300, 0.0], [0.0, 1e-300]) == pytest.approx(math.sqrt(2.0))
    assert snr_db([1e-300j], [0j]) == 0.0


def test_error_metrics_do_not_overflow():
    # the square of 1e200 is inf: inf/inf gave NaN
    assert snr_db([1e200, 1.0], [0.0, 0.0]) == 0.0
    assert relative_error([1e200, 1.0], [1e200, 0.0]) == pytest.approx(1e-200, rel=1e-12)
    # x_true - x itself overflows
    big = np.finfo(np.float64).max / 1.1
    assert relative_error([big, 1.0], [-big, 0.0]) == pytest.approx(2.0, rel=1e-12)
    assert snr_db([big], [-big]) == pytest.approx(-20 * math.log10(2.0), rel=1e-12)
    assert relative_error(np.array([big + big * 1j]), np.array([0j])) == pytest.approx(1.0)


def test_error_metrics_across_300_decades():
    # far apart scales: the answer is finite and exact, where one ratio of squares is not
    assert snr_db([1e-300], [1e300]) == pytest.approx(-12000.0, rel=1e-12)
    assert relative_error([1e-150], [1e150]) == pytest.approx(1e300, rel=1e-12)
    assert relative_error([1e-300], [1e300]) == math.inf  # 1e600 is beyond float64
    assert relative_error([1e300], [1e300 * (1 + 1e-15)]) == pytest.approx(1e-15, rel=0.2)


@pytest.mark.parametrize("exponent", [-300, -200, -160, -100, 0, 100, 160, 200, 300])
def test_error_metrics_are_scale_invariant(exponent):
    rng = np.random.default_rng(exponent + 1000)
    x_true = rng.standard_normal(50)
    x = x_true + 0.1 * rng.standard_normal(50)
    scale = 10.0**exponent
    assert snr_db(scale * x_true, scale * x) == pytest.approx(snr_db(x_true, x), rel=1e-12)
    assert relative_error(scale * x_true, scale * x) == pytest.approx(
        relative_error(x_true, x), rel=1e-12
    )
    zx = (x_true + 1j * x) * scale
    assert snr_db(zx, 0.9 * zx) == pytest.approx(20.0, rel=1e-12)


def test_error_metrics_integer_and_low_precision_input():
    # abs(int8(-128)) wraps to -128 and float16 squares overflow at 256
    assert relative_error(np.array([-128], np.int8), np.array([0], np.int8)) == 1.0
    h = np.array([300.0, 400.0], np.float16)
    assert relative_error(h, np.zeros(2, np.float16)) == 1.0
    assert snr_db(h, h / 10) == pytest.approx(20 * math.log10(10 / 9), rel=1e-3)
