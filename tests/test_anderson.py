"""Anderson extrapolation of FISTA: the ring memory against the direct combination, no stall."""

import itertools
import warnings

import numpy as np
import pytest

import sparseinv as si
from sparseinv.backend import Reducer
from sparseinv.solvers._anderson import Memory, anderson_point


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_ring_memory_gives_the_direct_combination(dtype):
    # after more pushes than slots (the ring wrapped), x_e = Σ c_i x_{i+1} with the weights c
    # (Σ c = 1) minimizing ‖Σ c_i u_i‖ over the last M differences, as computed from scratch
    rng = np.random.default_rng(3)
    n, m, c, M = 7, 5, 3, 4
    A = rng.standard_normal((m, n)) + (
        1j * rng.standard_normal((m, n)) if dtype == np.complex128 else 0
    )
    xs = [rng.standard_normal((n, c)).astype(dtype) for _ in range(M + 3)]
    if dtype == np.complex128:
        xs = [x + 1j * rng.standard_normal((n, c)) for x in xs]
    memory = Memory(M, (n, c), (m, c), np, dtype)
    for prev, new in itertools.pairwise(xs):
        memory.push(new - prev, A @ (new - prev))
    x, ax = xs[-1], A @ xs[-1]
    X_e, AX_e, size, usable = anderson_point(memory, None, x, ax, Reducer(np), np.float64)
    assert usable.all()
    window = xs[-(M + 1) :]
    for j in range(c):
        U = np.stack([(window[i + 1] - window[i])[:, j] for i in range(M)], axis=1)
        gram = (U.conj().T @ U).real
        gram += 1e-10 * np.trace(gram) * np.eye(M)
        weights = np.linalg.solve(gram, np.ones(M))
        weights /= weights.sum()
        direct = sum(weights[i] * window[i + 1][:, j] for i in range(M))
        np.testing.assert_allclose(X_e[:, j], direct, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(AX_e[:, j], A @ direct, rtol=1e-9, atol=1e-12)
        assert size[j] == pytest.approx(np.abs(weights).sum(), rel=1e-9)


def test_ring_memory_of_a_subset_of_columns():
    rng = np.random.default_rng(4)
    n, m, c, M = 6, 4, 4, 3
    A = rng.standard_normal((m, n))
    memory = Memory(M, (n, c), (m, c), np, np.float64)
    xs = [rng.standard_normal((n, c)) for _ in range(M + 2)]
    for prev, new in itertools.pairwise(xs):
        memory.push(new - prev, A @ (new - prev))
    idx = np.array([1, 3])
    whole = anderson_point(memory, None, xs[-1], A @ xs[-1], Reducer(np), np.float64)
    part = anderson_point(
        memory, idx, xs[-1][:, idx], (A @ xs[-1])[:, idx], Reducer(np), np.float64
    )
    np.testing.assert_allclose(part[0], whole[0][:, idx], rtol=1e-12)
    np.testing.assert_allclose(part[1], whole[1][:, idx], rtol=1e-12)


def _fk(seed):
    rng = np.random.default_rng(seed)
    p = si.problems.trace_interpolation(64, 32, 0.5, transform="fk", nffts=(32, 64), rng=rng)
    return p.A, p.b, 0.01 * si.lam_max(p.A, p.b)


def test_anderson_does_not_stall_complex_fk():
    # complex FK interpolation 32×64: extrapolations that lowered F only by rounding were
    # accepted every few iterations, each throwing the momentum away, and the default FISTA
    # stalled at a relative duality gap of ~3e-12 (still 5e-12 after 5000 iterations) where
    # FISTA without Anderson reaches 1e-13 in ~1100
    A, b, lam = _fk(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        default = si.fista(A, b, si.L1(lam), tol=1e-13, max_iter=3000)
        plain = si.fista(A, b, si.L1(lam), tol=1e-13, max_iter=3000, anderson=False)
    assert plain.converged
    assert default.converged, (default.n_iter, default.optimality)
    assert default.n_iter <= 1.5 * plain.n_iter
    assert default.objective == pytest.approx(plain.objective, rel=1e-11)
    # the gap is certified independently: a dual point scaled into the constraint ‖Aᴴθ‖∞ ≤ λ
    r = b - A @ default.x
    theta = r / max(1.0, np.max(np.abs(A.H @ r)) / lam)
    dual = 0.5 * np.vdot(b, b).real - 0.5 * np.vdot(b - theta, b - theta).real
    assert (default.objective - dual) / default.objective <= 5e-13


@pytest.mark.parametrize("penalty", [si.L2(0.5), si.L1(0.5)])
def test_a_rejected_extrapolation_doubles_the_wait_and_an_accepted_one_resets_it(
    monkeypatch, penalty
):
    # most tries are rejected on some problems (29 of 31 on the deconvolution benchmark):
    # each rejection doubles the wait before the next (up to 4 memories of 5), a move
    # brings it back to 5
    from sparseinv.solvers import _anderson, _loop

    events, iteration = [], [0]
    extrapolate, anderson_point = _anderson.extrapolate, _anderson.anderson_point

    def counted(*args, **kwargs):
        iteration[0] += 1
        moved = extrapolate(*args, **kwargs)
        if moved is not None:
            events[-1] = (iteration[0], True)
        return moved

    def tried(*args, **kwargs):
        events.append((iteration[0], False))
        return anderson_point(*args, **kwargs)

    monkeypatch.setattr(_loop, "extrapolate", counted)
    monkeypatch.setattr(_anderson, "anderson_point", tried)
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((60, 100)), rng.standard_normal(60)
    # no restart and no refinement: the runs of differences are never cut
    si.fista(A, b, penalty, tol=0, max_iter=150, restart=False, refine=False)
    moves = [m for _, m in events]
    assert any(moves) and not all(moves)
    wait, last = 5, 0
    for at, moved in events:
        assert at - last == wait, events
        wait = 5 if moved else min(2 * wait, 20)
        last = at
