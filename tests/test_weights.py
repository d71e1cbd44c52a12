"""Tests of sparseinv.group_weights: each rule against its closed form, operators, errors."""

from __future__ import annotations

import numpy as np
import pylops
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import aslinearoperator

import sparseinv as si
from sparseinv.operators import as_operator
from sparseinv.weights import RULES, column_norms


def _geomean(v):
    return float(np.exp(np.mean(np.log(v))))


@pytest.fixture
def setup():
    rng = np.random.default_rng(1)
    sizes = [6, 3, 1]
    groups = si.Groups.from_sizes(sizes)
    scales = groups.expand(np.array([1.0, 2.0, 0.5]))
    A = rng.standard_normal((8, 10)) * scales
    b = rng.standard_normal(8)
    return A, b, groups


def _expected(A, b, groups, rule, penalty="l1"):
    sizes = groups.sizes.astype(float)
    norms = np.linalg.norm(A, axis=0)
    corr = np.abs(A.T @ b)
    per = [groups.group(g) for g in range(groups.n_groups)]
    raw = {
        "uniform": np.ones(groups.n_groups),
        "size": sizes,
        "sqrt_size": np.sqrt(sizes),
        "inverse_size": 1 / sizes,
        "inverse_frobenius": np.array([1 / np.linalg.norm(A[:, i]) for i in per]),
        "column_norm": np.array([norms[i].mean() for i in per]),
        "lam_max": np.array([corr[i].max() for i in per]),
    }[rule]
    if rule == "lam_max" and penalty == "l0":
        raw = raw**2
    return raw / _geomean(raw)


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_matches_its_closed_form(setup, rule):
    A, b, groups = setup
    w = si.group_weights(A, b, groups, rule)
    assert w.shape == (groups.n_groups,)
    np.testing.assert_allclose(w, _expected(A, b, groups, rule), rtol=1e-12)
    assert _geomean(w) == pytest.approx(1.0)


def test_lam_max_rule_equalizes_the_zeroing_thresholds(setup):
    A, b, groups = setup
    w = si.group_weights(A, b, groups, "lam_max")
    # with λ_g = s w_g every group leaves zero at the same s
    thresholds = si.lam_max(A, b, groups) / w
    np.testing.assert_allclose(thresholds, thresholds[0], rtol=1e-12)
    s = thresholds[0]
    for factor, nonzero in ((1.0001, False), (0.9, True)):
        res = si.fista(A, b, si.L1(factor * s * w, groups=groups), tol=1e-10, max_iter=5000)
        assert bool(np.any(res.x != 0)) is nonzero


def test_lam_max_rule_squares_for_l0(setup):
    A, b, groups = setup
    w = si.group_weights(A, b, groups, "lam_max", penalty="l0")
    np.testing.assert_allclose(w, _expected(A, b, groups, "lam_max", "l0"), rtol=1e-12)
    assert np.allclose(w, si.group_weights(A, b, groups, "lam_max", penalty=si.L0))


def test_inverse_size_is_the_reciprocal_of_size(setup):
    A, b, groups = setup
    size = si.group_weights(A, b, groups, "size")
    np.testing.assert_allclose(si.group_weights(A, b, groups, "inverse_size"), 1 / size)


@pytest.mark.parametrize("rule", ["inverse_frobenius", "column_norm"])
@pytest.mark.parametrize(
    "wrap",
    [sp.csr_matrix, pylops.MatrixMult, aslinearoperator],
    ids=["scipy_sparse", "pylops", "scipy_linear_operator"],
)
def test_operators_give_the_weights_of_the_matrix(setup, rule, wrap):
    A, b, groups = setup
    expected = si.group_weights(A, b, groups, rule)
    np.testing.assert_allclose(si.group_weights(wrap(A), b, groups, rule), expected, rtol=1e-12)


def test_large_groups_of_an_operator_are_sampled_deterministically():
    rng = np.random.default_rng(2)
    groups = si.Groups.from_sizes([400, 40])
    A = rng.standard_normal((30, 440)) * groups.expand(np.array([1.0, 3.0]))
    op = pylops.MatrixMult(A)
    exact = si.group_weights(A, None, groups, "column_norm")
    sampled = si.group_weights(op, None, groups, "column_norm", max_columns=64, rng=5)
    assert np.allclose(sampled, si.group_weights(op, None, groups, "column_norm", rng=5))
    np.testing.assert_allclose(sampled, exact, rtol=0.05)
    # one application per column applied: 64 of the first group, all 40 of the second
    counting = as_operator(op)
    si.group_weights(counting, None, groups, "column_norm", max_columns=64)
    assert counting.n_matvec == 64 + 40
    norms = column_norms(op, groups, max_columns=64)
    assert [v.size for v in norms] == [64, 40]


def test_weights_of_a_complex_operator_use_moduli():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 4)) + 1j * rng.standard_normal((6, 4))
    b = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    groups = si.Groups.from_sizes([2, 2])
    w = si.group_weights(pylops.MatrixMult(A, dtype=A.dtype), b, groups, "column_norm")
    norms = np.linalg.norm(A, axis=0)
    raw = np.array([norms[:2].mean(), norms[2:].mean()])
    np.testing.assert_allclose(w, raw / _geomean(raw), rtol=1e-12)
    lm = si.group_weights(A, b, groups, "lam_max")
    corr = np.abs(A.conj().T @ b)
    raw = np.array([corr[:2].max(), corr[2:].max()])
    np.testing.assert_allclose(lm, raw / _geomean(raw), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    scale=st.floats(1e-3, 1e3),
    seed=st.integers(0, 2**16),
    rule=st.sampled_from(RULES),
)
def test_weights_do_not_depend_on_the_scale_of_a_or_b(scale, seed, rule):
    rng = np.random.default_rng(seed)
    groups = si.Groups.from_labels([*rng.integers(0, 3, 12).tolist(), 0, 1, 2])
    A = rng.standard_normal((7, 15))
    b = rng.standard_normal(7)
    w = si.group_weights(A, b, groups, rule)
    np.testing.assert_allclose(si.group_weights(scale * A, scale * b, groups, rule), w, rtol=1e-9)


def test_inputs_are_not_modified(setup):
    A, b, groups = setup
    A0, b0 = A.copy(), b.copy()
    for rule in RULES:
        si.group_weights(A, b, groups, rule)
    assert np.array_equal(A, A0) and np.array_equal(b, b0)


def test_errors_name_the_argument(setup):
    A, b, groups = setup
    with pytest.raises(ValueError, match=r"rule must be one of .*'frobenius'"):
        si.group_weights(A, b, groups, "frobenius")
    with pytest.raises(TypeError, match=r"groups must be a sparseinv\.Groups"):
        si.group_weights(A, b, [6, 3, 1], "size")
    with pytest.raises(ValueError, match="groups cover 5 coefficients but A has 10"):
        si.group_weights(A, b, si.Groups.from_sizes([2, 3]), "size")
    with pytest.raises(ValueError, match="'lam_max' is defined for penalty 'l1' and 'l0'"):
        si.group_weights(A, b, groups, "lam_max", penalty="l2")
    with pytest.raises(ValueError, match="max_columns must be finite and > 0"):
        si.group_weights(A, b, groups, "column_norm", max_columns=0)
    zero = A.copy()
    zero[:, 9] = 0.0
    with pytest.raises(ValueError, match=r"group 2 the weight 0\.0"):
        si.group_weights(zero, b, groups, "column_norm")
    with pytest.raises(ValueError, match="weights must be finite and > 0"):
        si.group_weights(A, np.zeros(8), groups, "lam_max")


# ------------------------------------------------------------------ issue 8 item 12: rng
@pytest.mark.parametrize("rng", ["x", 1.5, [0.5]])
@pytest.mark.parametrize("kind", ["dense", "operator"])
def test_a_bad_rng_is_a_type_error_naming_it(setup, rng, kind):
    # dense: silently accepted (unused); operator: numpy's SeedSequence message
    A, b, groups = setup
    A = A if kind == "dense" else aslinearoperator(A)
    with pytest.raises(TypeError, match="rng must be None, an integer seed"):
        si.group_weights(A, b, groups, "column_norm", max_columns=1, rng=rng)
    with pytest.raises(TypeError, match="rng must be None, an integer seed"):
        column_norms(A, groups, max_columns=1, rng=rng)


def test_a_generator_rng_is_used_as_given(setup):
    A, b, groups = setup
    op = aslinearoperator(A)
    w_seed = si.group_weights(op, b, groups, "column_norm", max_columns=2, rng=3)
    w_gen = si.group_weights(
        op, b, groups, "column_norm", max_columns=2, rng=np.random.default_rng(3)
    )
    np.testing.assert_array_equal(w_seed, w_gen)
