"""hypothesis properties of the issue-12 proxes: L21, the sums with L2, and bounds.

Each prox must minimize its defining objective ½‖x − v‖² + t·R(x) over the box
(no feasible candidate does better), be non-expansive where R is convex, and
return a point inside the bounds.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sparseinv as si

KINDS = ["l0", "l1", "l2", "l21", "l0+l2", "l1+l2", "l21+l2"]
CONVEX = [kind for kind in KINDS if "l0" not in kind]
finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
steps = st.floats(0.05, 3.0, allow_nan=False)


@st.composite
def penalties(draw, kinds=KINDS):
    """A penalty of one of ``kinds`` on n coefficients, with random λ and bounds."""
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(1, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    labels = rng.integers(0, draw(st.integers(1, n)), n)
    groups = si.Groups.from_labels(labels)
    box = draw(st.sampled_from(["none", "positive", "box"]))
    if box == "box":
        lower = np.where(rng.random(n) < 0.25, -np.inf, rng.uniform(-2, 0.5, n))
        upper = np.where(rng.random(n) < 0.25, np.inf, np.maximum(lower, 0) + rng.uniform(0, 2, n))
        bounds = {"bounds": (lower, upper)}
    else:
        bounds = {"positive": box == "positive"}

    def lam(size):  # zeros included: λ = 0 is an unpenalized coefficient
        return np.where(rng.random(size) < 0.2, 0.0, rng.uniform(0, 3, size))

    sparse_kind, _, ridge = kind.partition("+")
    if sparse_kind == "l21":
        first = si.L21(lam(groups.n_groups), groups=groups, **bounds)
    else:
        first = {"l0": si.L0, "l1": si.L1, "l2": si.L2}[sparse_kind](lam(n), **bounds)
    if not ridge:
        return first, groups
    # an L2 part constant inside each group (as an L21 + L2 sum needs)
    return first + si.L2(lam(groups.n_groups), groups=groups), groups


def _vector(draw_from, n):
    return np.array(draw_from(st.lists(finite, min_size=n, max_size=n)))


def _clip(pen, x):
    if pen.bounds is None:
        return x
    return np.clip(x, *pen.bounds)


def _objective(pen, v, step, x):
    return 0.5 * np.sum((x - v) ** 2) + step * pen.value(x)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), step=steps)
def test_prox_minimizes_its_objective_over_the_box(data, step):
    pen, groups = data.draw(penalties())
    n = groups.n_features
    v = _vector(data.draw, n)
    p = pen.prox(v, step)
    best = _objective(pen, v, step, p)
    assert np.isfinite(best)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    candidates = [_clip(pen, p + s * rng.standard_normal(n)) for s in (1e-4, 1e-2, 0.3, 2.0)]
    candidates += [_clip(pen, p + 1e-3 * rng.standard_normal(n)) for _ in range(10)]
    candidates += [_clip(pen, np.zeros(n)), _clip(pen, v)]
    for g in range(groups.n_groups):  # each group (or coefficient) dropped, then clipped
        for drop in (groups.group(g), rng.integers(0, n, 1)):
            x = p.copy()
            x[drop] = 0.0
            candidates.append(_clip(pen, x))
    for x in candidates:
        assert best <= _objective(pen, v, step, x) + 1e-9 * (1 + abs(best))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), step=steps)
def test_convex_prox_is_non_expansive(data, step):
    pen, groups = data.draw(penalties(CONVEX))
    n = groups.n_features
    u, w = _vector(data.draw, n), _vector(data.draw, n)
    distance = np.linalg.norm(pen.prox(u, step) - pen.prox(w, step))
    assert distance <= np.linalg.norm(u - w) * (1 + 1e-12) + 1e-12


@settings(max_examples=300, deadline=None)
@given(data=st.data(), step=steps)
def test_prox_stays_in_the_bounds(data, step):
    pen, groups = data.draw(penalties())
    v = 10.0 * _vector(data.draw, groups.n_features)
    p = pen.prox(v, step)
    if pen.bounds is None:
        return
    lower, upper = (np.broadcast_to(bound, p.shape) for bound in pen.bounds)
    assert np.all(p >= lower) and np.all(p <= upper)
    assert np.isfinite(pen.value(p))


@pytest.mark.parametrize("kind", ["l21", "l21+l2"])
def test_complex_group_prox_minimizes_its_objective(kind):
    # the group norm is complex-safe: random complex points never beat the prox
    rng = np.random.default_rng(3)
    groups = si.Groups.from_labels(rng.integers(0, 3, 9))
    pen = si.L21(rng.uniform(0, 2, groups.n_groups), groups=groups)
    if kind == "l21+l2":
        pen = pen + si.L2(rng.uniform(0, 2, groups.n_groups), groups=groups)
    for _ in range(50):
        v = rng.standard_normal(9) + 1j * rng.standard_normal(9)
        p = pen.prox(v, 0.7)
        best = 0.5 * np.sum(np.abs(p - v) ** 2) + 0.7 * pen.value(p)
        for s in (1e-3, 0.1, 1.0):
            x = p + s * (rng.standard_normal(9) + 1j * rng.standard_normal(9))
            assert best <= 0.5 * np.sum(np.abs(x - v) ** 2) + 0.7 * pen.value(x) + 1e-12
