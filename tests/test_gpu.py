"""The cupy path: the same solver loops on GPU arrays through pylops (skipped without a GPU)."""

import numpy as np
import pytest

import sparseinv as si

cp = pytest.importorskip("cupy")
try:
    cp.cuda.runtime.getDeviceCount()
except Exception:  # pragma: no cover - cupy installed without a usable device
    pytest.skip("no CUDA device", allow_module_level=True)

import pylops  # noqa: E402


def _problem(seed=0, m=80, n=200, k=8):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    return A, A @ x + 0.01 * rng.standard_normal(m)


@pytest.mark.parametrize("solver", [si.ista, si.fista, si.irls])
@pytest.mark.parametrize("cls", si.PENALTIES)
@pytest.mark.parametrize("wrap", ["array", "pylops"])
def test_cupy_matches_numpy(solver, cls, wrap):
    A, b = _problem()
    groups = si.Groups.from_sizes([120, 80])
    scale = si.lam_max(A, b) if cls is not si.L0 else 0.05
    pen = cls(np.array([0.05, 0.2]) * scale, groups=groups)
    ref = solver(A, b, pen, tol=1e-10, max_iter=5000)
    A_gpu = cp.asarray(A)
    op = A_gpu if wrap == "array" else pylops.MatrixMult(A_gpu)
    res = solver(op, cp.asarray(b), pen, tol=1e-10, max_iter=5000)
    assert isinstance(res.x, cp.ndarray)
    assert np.allclose(cp.asnumpy(res.x), ref.x, atol=1e-7)
    assert np.isclose(res.objective, ref.objective, rtol=1e-9)


def test_cupy_matrix_free_complex_fk():
    nx, nt = 32, 64
    rng = np.random.default_rng(1)
    kept = np.sort(rng.choice(nx, nx // 2, replace=False))
    ops = {}
    for xp in (np, cp):
        F = pylops.signalprocessing.FFT2D(dims=(nx, nt), dtype=np.complex128)
        R = pylops.Restriction((nx, nt), xp.asarray(kept), axis=0, dtype=np.complex128)
        ops[xp] = R @ F.H
    gather = np.zeros((nx, nt))
    gather[np.arange(nx), 10 + np.arange(nx) // 2] = 1.0
    b = (ops[np] @ (np.fft.fft2(gather, norm="ortho").ravel())).astype(np.complex128)
    lam = 0.02 * si.lam_max(ops[np], b)
    assert np.isclose(si.lam_max(ops[cp], cp.asarray(b)), si.lam_max(ops[np], b))
    ref = si.fista(ops[np], b, si.L1(lam), tol=1e-9)
    res = si.fista(ops[cp], cp.asarray(b), si.L1(lam), tol=1e-9)
    assert np.isclose(res.objective, ref.objective, rtol=1e-8)
