"""Single precision with the issue-12 penalties: L21, the sums with L2 and bounds.

float32 / complex64 data give float32 / complex64 results, every product the
solvers ask of the operator is in that dtype (no silent upcast in the loop), and a
``tol`` below what the dtype can certify warns and stops instead of running on.
"""

import warnings

import numpy as np
import pylops
import pytest

import sparseinv as si

SOLVERS = [si.fista, si.ista, si.irls]


class _DtypeRecorder(pylops.LinearOperator):
    """A matrix that records the dtype of every vector it is applied to."""

    def __init__(self, A):
        super().__init__(Op=pylops.MatrixMult(A, dtype=A.dtype))
        self.seen: set[np.dtype] = set()

    def _matvec(self, x):
        self.seen.add(x.dtype)
        return self.Op._matvec(x)

    def _rmatvec(self, x):
        self.seen.add(x.dtype)
        return self.Op._rmatvec(x)


def _data(dtype, k=None, seed=0):
    rng = np.random.default_rng(seed)
    m, n = 40, 64
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros((n,) if k is None else (n, k))
    x[rng.choice(n, 8, replace=False)] = rng.standard_normal((8, *x.shape[1:]))
    b = A @ x + 0.01 * rng.standard_normal((m, *x.shape[1:]))
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal((m, n)) / np.sqrt(m)
        b = b + 1j * (A.imag @ x)
    return A.astype(dtype), b.astype(dtype)


def _penalties(A, b):
    groups = si.Groups.from_labels(np.arange(A.shape[1]) % 16)  # scattered groups of 4
    top = float(np.max(si.lam_max(A, b)))
    top21 = float(np.max(si.lam_max(A, b, groups, penalty="l21")))
    return {
        "l21": si.L21(0.2 * top21, groups=groups),
        "l21+l2": si.L21(0.2 * top21, groups=groups) + si.L2(0.05 * top),
        "l1+l2": si.L1(0.1 * top) + si.L2(0.05 * top),
        "l0+l2": si.L0(0.01 * top**2) + si.L2(0.05 * top),
        "positive": si.L1(0.1 * top, positive=True),
        "box": si.L1(0.05 * top, bounds=(-0.3, 0.5)) + si.L2(0.05 * top),
        "l21-box": si.L21(0.2 * top21, groups=groups, bounds=(-0.2, 0.4)),
    }


CASES = ["l21", "l21+l2", "l1+l2", "l0+l2", "positive", "box", "l21-box"]
BOUNDED = {"positive", "box", "l21-box"}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_single_precision_is_kept_in_the_loop(solver, case, dtype):
    if case in BOUNDED and (solver is si.irls or np.dtype(dtype).kind == "c"):
        pytest.skip("bounds: real coefficients, proximal-gradient solvers")
    A, b = _data(dtype)
    pen = _penalties(A, b)[case]
    op = _DtypeRecorder(A)
    iterates: set[np.dtype] = set()

    def callback(x):
        iterates.add(x.dtype)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        res = solver(op, b, pen, tol=1e-5, max_iter=5000, callback=callback)
    assert res.x.dtype == np.dtype(dtype)
    assert op.seen == {np.dtype(dtype)}, op.seen  # no product in another dtype
    assert iterates == {np.dtype(dtype)}, iterates
    assert np.isfinite(res.objective)
    # the double-precision solve of the same data is the reference (convex cases)
    wide = np.complex128 if np.dtype(dtype).kind == "c" else np.float64
    A64, b64 = A.astype(wide), b.astype(wide)
    F = si.objective(A64, b64, pen, res.x.astype(wide))
    if pen.convex:
        ref = si.fista(A64, b64, pen, tol=1e-10, max_iter=20000)
        assert res.converged
        assert F <= ref.objective * (1 + 1e-4), (F, ref.objective)


@pytest.mark.parametrize("solver", [si.fista, si.ista])
def test_single_precision_row_sparsity_keeps_its_dtype(solver):
    A, B = _data(np.float32, k=3)
    op = _DtypeRecorder(A)
    pen = si.L21(0.2 * float(np.max(si.lam_max(A, B))), rows=True)
    res = solver(op, B, pen, tol=1e-5, max_iter=5000)
    assert res.x.dtype == np.float32 and res.x.shape == (64, 3)
    assert op.seen == {np.dtype(np.float32)}, op.seen
    assert res.converged


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", ["l21", "l1+l2", "box"])
def test_tol_below_what_float32_can_certify_warns_and_stops(solver, case):
    if case == "box" and solver is si.irls:
        pytest.skip("irls has no bounds")
    A, b = _data(np.float32, seed=1)
    pen = _penalties(A, b)[case]
    max_iter = 100_000
    with pytest.warns(si.ConvergenceWarning, match="below what float32 can certify"):
        res = solver(A, b, pen, tol=1e-12, max_iter=max_iter)
    assert res.x.dtype == np.float32
    assert res.converged and res.n_iter < max_iter  # stopped on the reachable tol
    assert res.optimality <= 10 * np.finfo(np.float32).eps
