"""Fuzzing of the public API's arguments (issue 8), with hypothesis.

Only the documented outcomes are accepted: a result (a :class:`~sparseinv.SolveResult`
meeting the invariants of :func:`_hardening.check_result`, a float, a Groups...), or a
``ValueError``/``TypeError`` whose message names the argument that was bad; never
another exception, never a hang (a budget on the applications of A, a deadline per
example and a timeout per test), never a modified input.

The examples are derandomized and bounded, so a run is reproducible and takes well
under a minute. The explicit cases of issue 8 item 12 come first; those that fail on
today's core files are ``xfail(strict=True)``, as in ``test_stress.py``.
"""

from __future__ import annotations

import math
import re
import warnings
from fractions import Fraction

import numpy as np
import pylops
import pytest
import scipy.sparse as sp
from _hardening import PENALTIES, SOLVERS, Runaway, run_solver
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import sparseinv as si
from sparseinv import metrics
from sparseinv.problems import add_noise

pytestmark = pytest.mark.timeout(120)

FUZZ = settings(
    max_examples=30,
    deadline=10_000,  # ms; a budget of applications catches a hang long before
    derandomize=True,
    database=None,
    # no shrinking: a failing example is reported as found, so a pending defect
    # (xfail) costs one example, not minutes of minimisation
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _named(err: Exception, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", str(err)) is not None


def assert_named_error(call, name: str) -> None:
    """``call()`` raises a ValueError or TypeError whose message names ``name``."""
    try:
        call()
    except (ValueError, TypeError) as err:
        assert _named(err, name), f"{type(err).__name__} does not name {name!r}: {err}"
    else:
        raise AssertionError(f"a bad {name} was accepted")


def assert_works_or_named_error(call, name: str):
    """``call()`` returns, or raises a ValueError/TypeError naming ``name``."""
    try:
        return call()
    except Runaway:
        raise
    except (ValueError, TypeError) as err:
        assert _named(err, name), f"{type(err).__name__} does not name {name!r}: {err}"
        return None


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        return fn(*args, **kwargs)


RNG = np.random.default_rng(0)
A0 = RNG.standard_normal((6, 4))
B0 = RNG.standard_normal(6)
X0 = np.zeros(4)


# ====================================================== issue 8 item 12: explicit bad arguments
def _no_rmatvec():
    return LinearOperator((6, 4), matvec=lambda v: A0 @ v, dtype=float)


BAD_CALLS = [
    ("objective-str-penalty", lambda: si.objective(A0, B0, "l1", X0), "penalty", "12"),
    ("objective-lam-length", lambda: si.objective(A0, B0, si.L1(np.ones(3)), X0), "lam", "12"),
    ("penalty-value-length", lambda: si.L1(np.ones(3)).value(np.ones(4)), "x", "12"),
    ("no-rmatvec", lambda: _quiet(si.fista, _no_rmatvec(), B0, si.L1(0.1)), "A", "12"),
    ("str-A", lambda: si.fista(np.full((6, 4), "a"), B0, si.L1(0.1)), "A", None),
    ("str-b", lambda: si.fista(A0, np.full(6, "a"), si.L1(0.1)), "b", None),
    (
        "datetime-b",
        lambda: si.fista(A0, np.arange(6).astype("datetime64[D]"), si.L1(0.1)),
        "b",
        None,
    ),
    ("str-x0", lambda: si.fista(A0, B0, si.L1(0.1), x0=np.full(4, "a")), "x0", None),
    ("A-m-by-0", lambda: si.fista(np.zeros((6, 0)), B0, si.L1(0.1)), "A", "12"),
    ("callback-int", lambda: _quiet(si.fista, A0, B0, si.L1(0.1), callback=5), "callback", "12"),
    (
        "callback-str-irls",
        lambda: _quiet(si.irls, A0, B0, si.L1(0.1), callback="f"),
        "callback",
        "12",
    ),
    ("lam-10**400", lambda: si.L1(10**400), "lam", "12"),
    ("restart-no", lambda: si.fista(A0, B0, si.L1(0.1), restart="no"), "restart", "12"),
    ("refine-list", lambda: si.fista(A0, B0, si.L1(0.1), refine=[]), "refine", "12"),
    ("anderson-none", lambda: si.fista(A0, B0, si.L1(0.1), anderson=None), "anderson", "12"),
    ("polish-no", lambda: _quiet(si.irls, A0, B0, si.L1(0.1), polish="no"), "polish", "12"),
    ("max_iter-10**400", lambda: si.fista(A0, B0, si.L1(0.1), max_iter=10**400), "max_iter", "12"),
    ("lipschitz-max_iter-0", lambda: si.lipschitz(A0, max_iter=0), "max_iter", "12"),
    ("lipschitz-margin-neg", lambda: si.lipschitz(A0, margin=-1), "margin", "12"),
    ("lipschitz-tol-neg", lambda: si.lipschitz(A0, tol=-1), "tol", "12"),
    ("lipschitz-rng-str", lambda: si.lipschitz(A0, rng="x"), "rng", "12"),
    ("l1-prox-step-neg", lambda: si.L1(1.0).prox(np.ones(3), step=-1), "step", "12"),
    ("l1-prox-step-nan", lambda: si.L1(1.0).prox(np.ones(3), step=math.nan), "step", "12"),
    ("l0-prox-step-neg", lambda: si.L0(1.0).prox(np.ones(3), step=-1), "step", "12"),
    ("l2-prox-step-neg", lambda: si.L2(1.0).prox(np.ones(3), step=-1), "step", "12"),
    ("lam_max-str-b", lambda: si.lam_max(A0, np.full(6, "a")), "b", "12"),
    ("lam_max-nan-b", lambda: si.lam_max(A0, np.full(6, math.nan)), "b", "12"),
    ("groups-group-5", lambda: si.Groups.from_sizes([2, 2]).group(5), "g", None),
    ("groups-from_sizes-5", lambda: si.Groups.from_sizes(5), "sizes", None),
    ("groups-from_sizes-None", lambda: si.Groups.from_sizes(None), "sizes", None),
    ("groups-nan-label", lambda: si.Groups.from_labels([math.nan, math.nan, 1.0]), "labels", None),
    ("add_noise-rng-str", lambda: add_noise(np.ones(3), 10.0, rng="x"), "rng", None),
    ("add_noise-snr--7000", lambda: add_noise(np.ones(3), -7000.0, rng=0), "snr_db", None),
    ("metrics-nan", lambda: metrics.precision([math.nan, 1.0], [1.0, 1.0]), "x_true", None),
]


@pytest.mark.parametrize(
    ("call", "name"),
    [pytest.param(call, name, id=label) for label, call, name, _ in BAD_CALLS],
)
def test_bad_argument_is_a_named_value_or_type_error(call, name):
    assert_named_error(call, name)


def _solves(A, b=B0, **kw):
    return lambda: _quiet(si.fista, A, b, si.L1(0.1), **kw)


VALID_BUT_UNUSUAL = [
    # (id, call, argument an error may name, issue item if it fails today)
    ("np.matrix-A", _solves(np.matrix(A0)), "A", "12"),
    ("float16-A", _solves(A0.astype(np.float16)), "A", None),
    ("float16-A-and-b", _solves(A0.astype(np.float16), B0.astype(np.float16)), "A", "12"),
    ("longdouble-A", _solves(A0.astype(np.longdouble)), "A", "12"),
    ("int-A", _solves(np.arange(24).reshape(6, 4)), "A", None),
    ("lam-np.float32", lambda: _quiet(si.fista, A0, B0, si.L1(np.float32(0.1))), "lam", None),
    ("max_iter-np.int64", _solves(A0, max_iter=np.int64(5)), "max_iter", None),
]


@pytest.mark.parametrize(
    ("call", "name"),
    [pytest.param(call, name, id=label) for label, call, name, _ in VALID_BUT_UNUSUAL],
)
def test_unusual_but_valid_input_works_or_is_a_named_error(call, name):
    res = assert_works_or_named_error(call, name)
    assert res is None or isinstance(res, si.SolveResult)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("lam", Fraction(1, 10)),
        ("step", Fraction(1, 100)),
        ("tol", Fraction(1, 10**6)),
        ("lam", 1),
        ("tol", 0),
        ("step", np.float32(0.01)),
    ],
)
def test_any_real_number_is_accepted(argument, value):
    # a Fraction (or a Python int) is a valid real number
    kwargs = {"step": 0.01} if argument == "lam" else {argument: value}
    lam = value if argument == "lam" else 0.1
    res = _quiet(si.fista, A0, B0, si.L1(lam), max_iter=50, **kwargs)
    assert isinstance(res, si.SolveResult) and np.all(np.isfinite(res.x))


# ====================================================== hypothesis: solver arguments
KINDS = ("dense", "csc", "linop", "pylops")


@st.composite
def problems(draw):
    """A small valid problem in one of the operator kinds, real or complex."""
    m = draw(st.integers(1, 8))
    n = draw(st.integers(1, 10))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.complex128]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal((m, n))
        b = b + 1j * rng.standard_normal(m)
    if n > 1 and draw(st.booleans()):
        A[:, draw(st.integers(0, n - 1))] = 0.0  # a zero column
    if n > 2 and draw(st.booleans()):
        A[:, 1] = A[:, 0]  # two equal columns
    A = (A * 10.0 ** draw(st.integers(-8, 8))).astype(dtype)
    b = b.astype(dtype)
    kind = draw(st.sampled_from(KINDS))
    op = {
        "dense": lambda: A,
        "csc": lambda: sp.csc_array(A),
        "linop": lambda: aslinearoperator(A),
        "pylops": lambda: pylops.MatrixMult(A, dtype=A.dtype),
    }[kind]()
    return A, op, b


@st.composite
def penalties(draw, n: int, lam_max: float):
    """A valid penalty: one λ, one per coefficient, or one per group."""
    cls = PENALTIES[draw(st.sampled_from(sorted(PENALTIES)))]
    scale = lam_max if lam_max > 0 and math.isfinite(lam_max) else 1.0
    ratio = st.sampled_from([0.0, 1e-3, 0.1, 0.5, 1.0, 2.0])
    how = draw(st.sampled_from(["scalar", "per-coefficient", "per-group"]))
    if how == "scalar":
        return cls(draw(ratio) * scale)
    if how == "per-coefficient":
        return cls(np.array([draw(ratio) for _ in range(n)]) * scale)
    labels = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    groups = si.Groups.from_labels(labels)
    return cls(np.array([draw(ratio) for _ in range(groups.n_groups)]) * scale, groups=groups)


@st.composite
def options(draw, solver: str, n: int, dtype):
    """Valid keyword options of ``solver``."""
    out = {
        "max_iter": draw(st.integers(1, 30)),
        "tol": draw(st.sampled_from([0.0, 1e-12, 1e-6, 1e-2, 1.0])),
    }
    callback = draw(st.sampled_from(["none", "quiet", "false", "stop-at-3"]))
    if callback == "quiet":
        out["callback"] = lambda x: None
    elif callback == "false":
        out["callback"] = lambda x: False
    elif callback == "stop-at-3":
        calls = []
        out["callback"] = lambda x: calls.append(1) or len(calls) >= 3
    if draw(st.booleans()):
        x0 = np.random.default_rng(draw(st.integers(0, 99))).standard_normal(n)
        out["x0"] = x0.astype(dtype) if np.dtype(dtype).kind == "c" else x0
    if solver != "irls" and draw(st.booleans()):
        out["step"] = draw(st.sampled_from([1e-3, 0.1, 1.0]))
    if solver == "fista":
        for flag in ("restart", "refine", "anderson"):
            out[flag] = draw(st.booleans())
    if solver == "irls":
        out["cg_max_iter"] = draw(st.integers(1, 50))
        out["polish"] = draw(st.booleans())
    return out


@pytest.mark.parametrize("solver", sorted(SOLVERS))
@FUZZ
@given(data=st.data())
def test_valid_arguments_give_a_bounded_finite_result(solver, data):
    A, op, b = data.draw(problems())
    lam_max = si.lam_max(A, b)
    pen = data.draw(penalties(A.shape[1], lam_max))
    kw = data.draw(options(solver, A.shape[1], A.dtype))
    max_iter = kw.pop("max_iter")
    res, budget = run_solver(solver, op, b, pen, max_iter=max_iter, **kw)
    # the counters are honest: every application of A goes through them
    assert res.n_matvec + res.n_rmatvec == budget.count


BAD_VALUES = {
    "lam": [-1.0, math.nan, -math.inf, "0.1", [0.1, -0.1]],  # inf is valid: it forces 0
    "step": [0.0, -1.0, math.nan, math.inf, "1"],
    "max_iter": [0, -1, 1.5, "10", None],
    "tol": [-1e-6, math.nan, math.inf, "1e-6"],
    "x0": ["wrong-length", "nan", "str"],
    "b": ["wrong-length", "nan", "str"],
    "callback": [5, "stop", 1.5],
    "restart": ["no", [], None],
    "refine": ["yes", [], 0.5],
    "anderson": ["no", None],
    "cg_max_iter": [0, -3, 2.5],
    "smoothing": [0.0, -1.0, math.nan],
    "polish": ["no", []],
}
# arguments whose bad values today's core files accept or crash on (issue 8 item 12)
SOLVER_OF = {
    "restart": "fista",
    "refine": "fista",
    "anderson": "fista",
    "cg_max_iter": "irls",
    "smoothing": "irls",
    "polish": "irls",
}


@pytest.mark.parametrize(
    "argument",
    [a for a in sorted(BAD_VALUES)],
)
@FUZZ
@given(data=st.data())
def test_one_bad_argument_is_a_named_error(argument, data):
    choices = ["fista", "ista"] if argument == "step" else sorted(SOLVERS)
    solver = SOLVER_OF.get(argument) or data.draw(st.sampled_from(choices))
    A, op, b = data.draw(problems())
    n = A.shape[1]
    bad = data.draw(st.sampled_from(BAD_VALUES[argument]))
    kw: dict = {"max_iter": 10}
    if argument == "lam":

        def call():
            return SOLVERS[solver](op, b, si.L1(bad), max_iter=10)

    else:
        if argument == "x0" or argument == "b":
            bad = {
                "wrong-length": np.ones((n if argument == "x0" else A.shape[0]) + 1),
                "nan": np.full(n if argument == "x0" else A.shape[0], math.nan),
                "str": np.full(n if argument == "x0" else A.shape[0], "a"),
            }[bad]
        if argument == "b":
            b = bad
        else:
            kw[argument] = bad

        def call():
            return SOLVERS[solver](op, b, si.L1(0.1), **kw)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        assert_named_error(call, argument)


# ====================================================== hypothesis: groups, metrics, noise
labels_strategy = st.lists(
    st.one_of(
        st.integers(-3, 3),
        st.sampled_from([0.5, -0.0, math.nan, "a", "b", None, (1, 2)]),
    ),
    min_size=1,
    max_size=12,
)


@FUZZ
@given(labels=labels_strategy, as_array=st.booleans())
def test_groups_from_labels_partitions_by_equality_or_names_labels(labels, as_array):
    values = labels
    if as_array:
        try:
            values = np.array(labels)
        except ValueError:  # a ragged mix numpy cannot hold: the list form only
            as_array = False
    if as_array and values.ndim != 1:
        assert_named_error(lambda: si.Groups.from_labels(values), "labels")
        return
    given_labels = values.tolist() if as_array else list(values)
    if any(isinstance(v, float) and math.isnan(v) for v in given_labels):
        # NaN differs from itself: rejected, from a list as from an array
        assert_named_error(lambda: si.Groups.from_labels(values), "labels")
        return
    groups = si.Groups.from_labels(values)
    member = groups.membership
    for i, a in enumerate(given_labels):
        for j, c in enumerate(given_labels):
            assert (member[i] == member[j]) == bool(a == c), (a, c)
    assert len(set(groups.labels)) == groups.n_groups


@FUZZ
@given(sizes=st.one_of(st.lists(st.integers(-2, 6), max_size=6), st.none(), st.integers(0, 5)))
def test_groups_from_sizes_builds_blocks_or_names_sizes(sizes):
    try:
        groups = si.Groups.from_sizes(sizes)
    except (ValueError, TypeError) as err:
        assert _named(err, "sizes"), err
        assert not isinstance(sizes, list) or not sizes or min(sizes) <= 0
        return
    assert isinstance(sizes, list) and sizes and min(sizes) > 0
    assert groups.sizes.tolist() == sizes


@FUZZ
@given(
    n=st.integers(1, 10),
    seed=st.integers(0, 1000),
    corrupt=st.sampled_from(["none", "duplicate", "gap", "overlap", "empty", "negative"]),
)
def test_groups_from_indices_accepts_exactly_the_partitions(n, seed, corrupt):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    cuts = np.sort(rng.choice(np.arange(1, n), size=min(n - 1, rng.integers(0, 3)), replace=False))
    parts = [p.tolist() for p in np.split(perm, cuts)]
    if corrupt == "duplicate":
        parts[0].append(parts[0][0])
    elif corrupt == "gap":  # coefficient 0 in no group
        parts = [[i for i in p if i != 0] for p in parts]
        parts = [p for p in parts if p]
    elif corrupt == "overlap":  # coefficient 0 in two groups (or twice in one)
        parts[-1].append(0)
        if len(parts) == 1 or 0 in parts[-1][:-1]:
            parts[0].append(0)
    elif corrupt == "empty":
        parts.append([])
    elif corrupt == "negative":
        parts[0].append(-1)
    if corrupt == "none":
        groups = si.Groups.from_indices(parts)
        assert sorted(groups.indices.tolist()) == list(range(n))
        assert [sorted(groups.group(g).tolist()) for g in range(groups.n_groups)] == [
            sorted(p) for p in parts
        ]
    else:
        assert_named_error(lambda: si.Groups.from_indices(parts), "groups")


@FUZZ
@given(
    values=st.lists(st.floats(-10, 10), min_size=1, max_size=8),
    noise=st.lists(st.floats(-1, 1), min_size=8, max_size=8),
    exponent=st.integers(-300, 300),
    bad=st.sampled_from([None, math.nan, math.inf, -math.inf]),
    where=st.sampled_from(["x_true", "x"]),
)
def test_metrics_are_scale_invariant_and_reject_non_finite(values, noise, exponent, bad, where):
    x_true = np.array(values)
    x = x_true + np.array(noise[: x_true.size])
    scale = 10.0**exponent
    if bad is not None:
        arrays = {"x_true": x_true.copy(), "x": x.copy()}
        arrays[where][0] = bad
        for metric in (metrics.snr_db, metrics.relative_error, metrics.f1, metrics.recall):
            assert_named_error(lambda m=metric: m(arrays["x_true"], arrays["x"]), where)
        return
    before = (x_true.copy(), x.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, underflow or 0/0 on the way
        snr = metrics.snr_db(x_true, x)
        snr_scaled = metrics.snr_db(x_true * scale, x * scale)
        rel = metrics.relative_error(x_true * scale, x * scale)
    assert np.array_equal(x_true, before[0]) and np.array_equal(x, before[1])
    if math.isfinite(snr):
        assert snr_scaled == pytest.approx(snr, rel=1e-9, abs=1e-9)
    else:
        assert snr_scaled == snr
    assert rel >= 0 and (math.isfinite(rel) or not np.any(x_true * scale))


@FUZZ
@given(
    snr=st.one_of(st.floats(-20_000, 20_000), st.sampled_from([math.nan, math.inf, 10**400])),
    exponent=st.integers(-300, 300),
    complex_data=st.booleans(),
)
def test_add_noise_is_finite_and_exact_or_names_snr_db(snr, exponent, complex_data):
    clean = np.array([1.0, -2.0, 0.5]) * 10.0**exponent
    if complex_data:
        clean = clean * (1 - 1j)
    try:
        noisy, sigma = add_noise(clean, snr, rng=0)
    except (ValueError, TypeError) as err:
        assert _named(err, "snr_db"), err
        return
    assert np.all(np.isfinite(noisy)) and math.isfinite(sigma) and sigma >= 0
    if sigma > 0:
        expected = (
            math.log10(np.abs(clean).max())
            + 0.5 * math.log10(float(np.sum(np.abs(clean / np.abs(clean).max()) ** 2)) / 3)
            - snr / 20
        )
        assert math.log10(sigma) == pytest.approx(expected, abs=1e-9)


@FUZZ
@given(
    step=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 2)),
    name=st.sampled_from(sorted(PENALTIES)),
)
def test_prox_needs_a_positive_step(step, name):
    pen = PENALTIES[name](0.5)
    v = np.array([1.0, -0.2, 3.0])
    try:
        out = pen.prox(v, step)
    except (ValueError, TypeError) as err:
        assert _named(err, "step"), err
        assert not (isinstance(step, (int, float)) and step > 0 and math.isfinite(step))
        return
    assert step > 0 and math.isfinite(step), f"prox accepted step={step!r}"
    assert np.all(np.isfinite(out))
