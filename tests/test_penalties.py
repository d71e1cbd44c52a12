"""Penalties: values, prox properties (hypothesis), λ handling, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import sparseinv as si

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
vectors = arrays(np.float64, st.integers(1, 8), elements=finite)
lams = st.floats(0.0, 5.0, allow_nan=False)
steps = st.floats(0.05, 3.0, allow_nan=False)


def _prox_objective(pen, v, step, x):
    return 0.5 * np.sum(np.abs(x - v) ** 2) + step * pen.value(x)


@settings(max_examples=150, deadline=None)
@given(v=vectors, lam=lams, step=steps, seed=st.integers(0, 2**16))
@pytest.mark.parametrize("cls", si.PENALTIES)
def test_prox_minimizes_its_objective(cls, v, lam, step, seed):
    pen = cls(lam)
    p = pen.prox(v, step)
    best = _prox_objective(pen, v, step, p)
    rng = np.random.default_rng(seed)
    candidates = [p + 0.1 * rng.standard_normal(v.size) for _ in range(20)]
    candidates += [np.zeros_like(v), v.copy()]
    for x in candidates:  # no perturbation does better
        assert best <= _prox_objective(pen, v, step, x) + 1e-9


@settings(max_examples=100, deadline=None)
@given(v=vectors, lam=lams, step=steps, seed=st.integers(0, 2**16))
def test_prox_minimizes_coordinate_wise_for_l0(v, lam, step, seed):
    # L0 is separable: compare with the two candidates 0 and v_i per coordinate
    pen = si.L0(lam)
    p = pen.prox(v, step)
    keep = 0.5 * 0 + step * lam
    drop = 0.5 * v**2
    expected = np.where(keep < drop, v, 0.0)
    assert np.allclose(p, expected)


@settings(max_examples=150, deadline=None)
@given(
    u=arrays(np.float64, 6, elements=finite),
    w=arrays(np.float64, 6, elements=finite),
    lam=lams,
    step=steps,
)
@pytest.mark.parametrize("cls", [si.L1, si.L2])
def test_convex_prox_is_non_expansive(cls, u, w, lam, step):
    pen = cls(lam)
    assert np.linalg.norm(pen.prox(u, step) - pen.prox(w, step)) <= np.linalg.norm(u - w) + 1e-12


@settings(max_examples=100, deadline=None)
@given(
    re=arrays(np.float64, 6, elements=finite),
    im=arrays(np.float64, 6, elements=finite),
    lam=lams,
    step=steps,
)
@pytest.mark.parametrize("cls", si.PENALTIES)
def test_complex_prox_keeps_the_phase(cls, re, im, lam, step):
    v = re + 1j * im
    p = cls(lam).prox(v, step)
    nonzero = np.abs(p) > 1e-12
    # p = v · (a non-negative real factor) wherever it is not zero
    ratio = p[nonzero] / v[nonzero]
    assert np.allclose(ratio.imag, 0.0, atol=1e-12)
    assert np.all(ratio.real >= 0)
    assert np.all(np.abs(p) <= np.abs(v) + 1e-12)


def test_complex_soft_threshold_values():
    v = np.array([3 + 4j, 0.3j, 0.0])
    assert np.allclose(si.L1(1.0).prox(v, 1.0), [(3 + 4j) * 4 / 5, 0, 0])


def test_prox_of_moreau_identity_l1():
    # prox_{tλ|.|}(v) + t·proj_{|z|≤λ}(v/t) = v (Moreau decomposition)
    rng = np.random.default_rng(1)
    v, lam, t = rng.standard_normal(20), 0.7, 1.3
    assert np.allclose(si.L1(lam).prox(v, t) + t * np.clip(v / t, -lam, lam), v)


def test_values_follow_the_convention():
    x = np.array([0.0, -2.0, 3.0j])
    assert si.L0(2.0).value(x) == 4.0
    assert si.L1(2.0).value(x) == 10.0
    assert si.L2(2.0).value(x) == 13.0  # λ·½|x|²


def test_per_group_and_per_coefficient_lambda():
    g = si.Groups.from_labels(["a", "b", "a"])
    x = np.array([1.0, -1.0, 2.0])
    pg = si.L1([1.0, 10.0], groups=g)
    assert pg.coef_lam.tolist() == [1.0, 10.0, 1.0]
    assert pg.value(x) == 13.0
    pc = si.L1([1.0, 10.0, 1.0])
    assert pc.value(x) == 13.0
    assert np.allclose(pg.prox(x, 1.0), pc.prox(x, 1.0))
    # per-coefficient λ with groups given
    assert si.L1([1.0, 2.0, 3.0], groups=g).coef_lam.tolist() == [1.0, 2.0, 3.0]


def test_lambda_is_copied_and_read_only():
    lam = np.array([1.0, 2.0])
    pen = si.L2(lam)
    lam[0] = 100.0
    assert pen.lam[0] == 1.0
    with pytest.raises(ValueError):
        pen.lam[0] = 5.0


@pytest.mark.parametrize("bad", [-1.0, -np.inf, np.nan, [1.0, -0.5], [1.0, np.nan], [[[1.0]]]])
@pytest.mark.parametrize("cls", si.PENALTIES)
def test_bad_lambda_values(cls, bad):
    with pytest.raises(ValueError, match="lam"):
        cls(bad)


@pytest.mark.parametrize("bad", ["0.1", None, [1.0, "a"]])
def test_bad_lambda_types(bad):
    with pytest.raises(TypeError, match="lam"):
        si.L1(bad)


def test_lambda_length_must_match_groups():
    g = si.Groups.from_sizes([2, 3])
    with pytest.raises(ValueError, match=r"one value per group \(2\) or per coefficient \(5\)"):
        si.L1([1.0, 2.0, 3.0], groups=g)
    with pytest.raises(TypeError, match="groups"):
        si.L1([1.0, 2.0], groups=[0, 0, 1])


def test_penalty_type_registry():
    assert si.penalty_type("l0") is si.L0 and si.penalty_type(si.L2) is si.L2
    with pytest.raises(ValueError, match="penalty"):
        si.penalty_type("elastic")


def test_subdiff_distance_vanishes_at_prox_fixed_points():
    rng = np.random.default_rng(2)
    for pen in (si.L1(0.5), si.L2(0.5), si.L0(0.5)):
        v = rng.standard_normal(30)
        x = pen.prox(v, 1.0)  # x solves min ½‖x − v‖² + pen(x): grad = x − v
        assert np.allclose(pen.subdiff_distance(x, x - v), 0.0, atol=1e-12)
