"""Many right-hand sides in one solve: every column equals its own single solve."""

import warnings

import numpy as np
import pylops
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import sparseinv as si

SOLVERS = [si.ista, si.fista, si.irls]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        return fn(*args, **kwargs)


def _batch(seed=0, m=50, n=120, k=4, noise=0.01):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    X = np.zeros((n, k))
    for j in range(k):
        X[rng.choice(n, 5, replace=False), j] = rng.choice([-1.0, 1.0], 5) * (1 + rng.random(5))
    B = A @ X + noise * rng.standard_normal((m, k))
    return A, B


def _lams(cls, A, B):
    lmax = si.lam_max(A, B)  # (k,)
    return 0.1 * lmax[None, :] if cls is not si.L0 else 0.01 * np.ones((1, B.shape[1]))


# --------------------------------------------------------------------------- equivalence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", si.PENALTIES)
def test_each_column_equals_its_single_solve(solver, cls):
    A, B = _batch(1)
    lam = _lams(cls, A, B)
    res = solver(A, B, cls(lam), tol=1e-12, max_iter=20000)
    assert res.x.shape == (A.shape[1], B.shape[1])
    assert res.objective.shape == res.converged.shape == res.stop_reason.shape == (B.shape[1],)
    assert res.converged.all()
    for j in range(B.shape[1]):
        alone = solver(A, B[:, j], cls(float(lam[0, j])), tol=1e-12, max_iter=20000)
        col = res.column(j)
        assert abs(col.objective - alone.objective) <= 1e-8 * abs(alone.objective)
        # the reported objective is F at the returned x
        assert np.isclose(col.objective, si.objective(A, B[:, j], cls(float(lam[0, j])), col.x))
        assert len(col.history["objective"]) == col.n_iter + 1
        assert col.x.shape == (A.shape[1],) and isinstance(col.objective, float)


def test_one_dimensional_b_keeps_scalar_fields():
    A, B = _batch(2)
    res = si.fista(A, B[:, 0], si.L1(0.1))
    assert res.x.shape == (A.shape[1],)
    assert isinstance(res.objective, float) and isinstance(res.converged, bool)
    assert isinstance(res.stop_reason, str) and isinstance(res.n_matvec, int)
    assert res.n_columns is None
    with pytest.raises(ValueError, match="batched"):
        res.column(0)


def test_a_column_block_of_one_is_a_batch():
    A, B = _batch(3)
    res = si.fista(A, B[:, :1], si.L1(0.1))
    assert res.x.shape == (A.shape[1], 1) and res.objective.shape == (1,)
    alone = si.fista(A, B[:, 0], si.L1(0.1))
    assert np.allclose(res.x[:, 0], alone.x)


# --------------------------------------------------------------------------- λ shapes
def test_lambda_shapes_follow_the_table():
    A, B = _batch(4, n=120, k=4)
    n, k = A.shape[1], B.shape[1]
    rng = np.random.default_rng(0)
    groups = si.Groups.from_sizes([40, 80])
    per_coef = 0.05 + 0.1 * rng.random(n)
    per_col = np.array([[0.05, 0.1, 0.15, 0.2]])
    full = 0.05 + 0.1 * rng.random((n, k))
    per_group = np.array([0.05, 0.2])
    group_col = np.array([[0.05, 0.1, 0.15, 0.2], [0.2, 0.15, 0.1, 0.05]])
    cases = {
        "scalar": (0.1, lambda j: 0.1),
        "per_column": (per_col, lambda j: float(per_col[0, j])),
        "per_coefficient": (per_coef, lambda j: per_coef),
        "full": (full, lambda j: full[:, j]),
        "per_group": (per_group, lambda j: groups.expand(per_group)),
        "per_group_and_column": (group_col, lambda j: groups.expand(group_col[:, j])),
    }
    for name, (lam, single) in cases.items():
        grouped = name.startswith("per_group")
        pen = si.L1(lam, groups=groups if grouped else None)
        res = si.fista(A, B, pen, tol=1e-11)
        for j in range(k):
            ref = si.fista(A, B[:, j], si.L1(single(j)), tol=1e-11)
            assert abs(res.objective[j] - ref.objective) <= 1e-8 * ref.objective, name


def test_per_coefficient_lambda_is_never_per_column_even_when_n_equals_k():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((8, 6))
    B = rng.standard_normal((8, 6))
    lam = np.linspace(0.1, 1.0, 6)
    res = si.fista(A, B, si.L1(lam), tol=1e-11)
    for j in range(6):
        ref = si.fista(A, B[:, j], si.L1(lam), tol=1e-11)  # (n,): per coefficient
        assert abs(res.objective[j] - ref.objective) <= 1e-8 * ref.objective


@pytest.mark.parametrize(
    "lam",
    [np.ones((2, 4)), np.ones((1, 3)), np.ones((120, 3)), np.ones(7), np.ones((1, 4, 1))],
)
def test_bad_lambda_shapes_are_named(lam):
    A, B = _batch(6)
    with pytest.raises(ValueError, match="lam"):
        si.fista(A, B, si.L1(lam))


def test_group_table_with_the_wrong_number_of_columns():
    A, B = _batch(7)
    groups = si.Groups.from_sizes([40, 80])
    with pytest.raises(ValueError, match=r"lam must have shape .*\(2, 4\).*got shape \(2, 3\)"):
        si.fista(A, B, si.L1(np.ones((2, 3)), groups=groups))


def test_a_two_dimensional_lambda_needs_a_two_dimensional_b():
    A, B = _batch(8)
    with pytest.raises(ValueError, match="2-D lam needs a 2-D b"):
        si.fista(A, B[:, 0], si.L1(np.ones((1, 4))))


# --------------------------------------------------------------------------- bad input
def test_bad_blocks_are_named_and_nothing_is_mutated():
    A, B = _batch(9)
    n, k = A.shape[1], B.shape[1]
    copies = (A.copy(), B.copy())
    with pytest.raises(ValueError, match="b must have shape"):
        si.fista(A, B[:, :, None] * np.ones(2), si.L1(0.1))
    with pytest.raises(ValueError, match=rf"x0 must have shape \({n}, {k}\)"):
        si.fista(A, B, si.L1(0.1), x0=np.zeros((n, k + 1)))
    with pytest.raises(ValueError, match=rf"x0 must have shape \({n}, {k}\)"):
        si.fista(A, B, si.L1(0.1), x0=np.zeros(n))
    bad = B.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"b must be finite.*column 2"):
        si.fista(A, bad, si.L1(0.1))
    assert np.array_equal(A, copies[0]) and np.array_equal(B, copies[1])


def test_a_diverging_column_does_not_take_the_others_down():
    A, B = _batch(10)
    x0 = np.zeros((A.shape[1], B.shape[1]))
    x0[:, 1] = 1e160  # F(x0) overflows in column 1 only
    with pytest.warns(si.ConvergenceWarning, match=r"diverged in columns \[1\]"):
        res = si.fista(A, B, si.L1(0.1), x0=x0)
    assert res.stop_reason[1] == "diverged" and not res.converged[1]
    others = [0, 2, 3]
    assert res.converged[others].all()
    for j in others:
        ref = si.fista(A, B[:, j], si.L1(0.1))
        assert abs(res.objective[j] - ref.objective) <= 1e-5 * ref.objective


# --------------------------------------------------------------------------- cost
def test_converged_columns_stop_costing_work_on_explicit_matrices():
    A, B = _batch(11, k=3)
    B[:, 0] = 0.0  # optimal at the zero start: certified with no iteration
    lam = 0.05 * si.lam_max(A, B)[None, :]
    lam[0, 0] = 0.1
    res = si.fista(A, B, si.L1(lam), tol=1e-10)
    assert res.n_iter[0] == 0 and res.stop_reason[0] == "converged"
    assert res.n_matvec[0] == 0 and res.n_rmatvec[0] == 1
    # a block application counts once in the totals and once per column it carried
    assert res.n_block_matvec <= res.n_matvec[1:].sum()
    assert res.n_block_matvec >= res.n_matvec.max()
    single = si.fista(A, B[:, 1], si.L1(0.05 * si.lam_max(A, B[:, 1])), tol=1e-10)
    assert res.column(1).n_applications == pytest.approx(single.n_applications, rel=0.05)


def test_counts_match_the_operator_calls():
    A, B = _batch(12)

    class Counted(pylops.LinearOperator):
        def __init__(self, A):
            super().__init__(Op=pylops.MatrixMult(A))
            self.calls = [0, 0]

        def _matvec(self, x):
            self.calls[0] += 1
            return self.Op._matvec(x)

        def _rmatvec(self, x):
            self.calls[1] += 1
            return self.Op._rmatvec(x)

    op = Counted(A)
    step = 0.9 / np.linalg.norm(A, 2) ** 2
    res = _quiet(si.fista, op, B, si.L1(0.1), max_iter=30, step=step)
    # pylops' default matmat applies the operator column by column
    assert op.calls[0] == res.n_matvec.sum() and op.calls[1] == res.n_rmatvec.sum()


@pytest.mark.parametrize("kind", ["sparse", "scipy_lo", "pylops"])
def test_every_operator_kind_takes_a_block(kind):
    A, B = _batch(13)
    wrapped = {
        "sparse": sp.csc_matrix(A),
        "scipy_lo": aslinearoperator(A),
        "pylops": pylops.MatrixMult(A),
    }[kind]
    ref = si.fista(A, B, si.L1(0.1), tol=1e-11)
    res = si.fista(wrapped, B, si.L1(0.1), tol=1e-11)
    assert np.allclose(res.objective, ref.objective, rtol=1e-9)


# --------------------------------------------------------------------------- column batches
def test_a_column_batch_operator_solves_every_trace_at_once():
    rng = np.random.default_rng(14)
    nt, k = 80, 6
    wav = pylops.utils.wavelets.ricker(np.arange(11) * 0.004, f0=30)[0]
    traces = np.zeros((nt, k))
    for j in range(k):
        traces[rng.choice(nt, 4, replace=False), j] = rng.standard_normal(4)
    batch_op = pylops.signalprocessing.Convolve1D((nt, k), h=wav, offset=len(wav) // 2, axis=0)
    single_op = pylops.signalprocessing.Convolve1D(nt, h=wav, offset=len(wav) // 2)
    B = (batch_op @ traces.ravel()).reshape(nt, k) + 0.01 * rng.standard_normal((nt, k))
    lam = 0.05 * si.lam_max(single_op, B)[None, :]
    res = si.fista(si.ColumnBatch(batch_op, n_columns=k), B, si.L1(lam), tol=1e-11)
    assert res.n_block_matvec < res.n_matvec.sum()  # one call carried every trace
    for j in range(k):
        ref = si.fista(single_op, B[:, j], si.L1(float(lam[0, j])), tol=1e-11)
        assert abs(res.objective[j] - ref.objective) <= 1e-8 * ref.objective
    with pytest.raises(ValueError, match=r"b must have shape \(80, 6\)"):
        si.fista(si.ColumnBatch(batch_op, n_columns=k), B[:, :5], si.L1(0.1))
    with pytest.raises(ValueError, match="n_columns"):
        si.ColumnBatch(batch_op, n_columns=7)


@pytest.mark.parametrize("complex_", [False, True])
def test_a_columns_first_batch_equals_the_single_solves(complex_):
    # the column axis first: (k, nx, nt) gathers, an FFT over the contiguous axes
    rng = np.random.default_rng(15)
    nx, nt, k = 8, 16, 5
    dtype = np.complex128 if complex_ else np.float64
    kept = np.sort(rng.choice(nx, 5, replace=False))

    def build(c):
        F = pylops.signalprocessing.FFT2D(dims=(c, nx, nt), axes=(1, 2), dtype=np.complex128)
        R = pylops.Restriction((c, nx, nt), kept, axis=1, forceflat=True, dtype=np.complex128)
        return R @ F.H

    single = build(1)
    models = rng.standard_normal((nx * nt, k)) * (rng.random((nx * nt, k)) < 0.1)
    models = models.astype(dtype)
    B = np.column_stack([single @ models[:, j] for j in range(k)])
    B = B + 0.01 * rng.standard_normal(B.shape)
    lam = 0.05 * si.lam_max(single, B)[None, :]
    batch = si.ColumnBatch(
        build(k), n_columns=k, resize=lambda cols: build(len(cols)), columns_first=True
    )
    res = si.fista(batch, B, si.L1(lam), tol=1e-11, max_iter=20000)
    assert res.n_block_matvec < res.n_matvec.sum()
    for j in range(k):
        ref = si.fista(single, B[:, j], si.L1(float(lam[0, j])), tol=1e-11, max_iter=20000)
        assert abs(res.objective[j] - ref.objective) <= 1e-8 * ref.objective
    # the column-last reading of the same operator is a different (wrong) problem
    with warnings.catch_warnings():  # not column-separable read that way: it may diverge
        warnings.simplefilter("ignore", si.ConvergenceWarning)
        wrong = si.fista(si.ColumnBatch(build(k), n_columns=k), B, si.L1(lam), tol=1e-11)
    assert not np.allclose(wrong.objective, res.objective, rtol=1e-6)
    with pytest.raises(TypeError, match="columns_first"):
        si.ColumnBatch(build(k), n_columns=k, columns_first="yes")


def test_a_resizable_column_batch_works_only_on_the_running_columns():
    # traces of very different difficulty: most converge early, two run long
    rng = np.random.default_rng(7)
    nt, k = 80, 8
    wav = pylops.utils.wavelets.ricker(np.arange(11) * 0.004, f0=30)[0]
    work = {"fixed": 0, "resized": 0}  # traces the operator was applied to

    def conv(c, tally):
        op = pylops.signalprocessing.Convolve1D((nt, c), h=wav, offset=len(wav) // 2, axis=0)

        def count(apply):
            def counted(v):
                work[tally] += c
                return apply(v)

            return counted

        return LinearOperator(op.shape, count(op.matvec), count(op.rmatvec), dtype=op.dtype)

    traces = np.zeros((nt, k))
    for j in range(k):
        traces[rng.choice(nt, 4, replace=False), j] = rng.standard_normal(4)
    B = (conv(k, "fixed") @ traces.ravel()).reshape(nt, k) + 0.01 * rng.standard_normal((nt, k))
    lam = 0.05 * si.lam_max(si.ColumnBatch(conv(k, "fixed"), n_columns=k), B)[None, :]
    lam[0, :2] *= 1e-2  # two traces with almost no regularization: slow to converge
    work["fixed"] = 0
    opts = {"tol": 1e-10, "max_iter": 20000}
    fixed = si.fista(si.ColumnBatch(conv(k, "fixed"), n_columns=k), B, si.L1(lam), **opts)

    def resize(columns):
        assert len(columns) < k and np.all(np.diff(columns) > 0)
        return conv(len(columns), "resized")

    batch = si.ColumnBatch(conv(k, "resized"), n_columns=k, resize=resize)
    res = si.fista(batch, B, si.L1(lam), **opts)
    assert np.all(res.converged) and np.all(fixed.converged)
    np.testing.assert_allclose(res.objective, fixed.objective, rtol=1e-12)
    # the same iterations, but the work followed the running traces (never above twice theirs)
    assert work["resized"] <= 2 * (res.n_matvec.sum() + res.n_rmatvec.sum())
    assert work["resized"] < 0.6 * work["fixed"]
    with pytest.raises(TypeError, match="resize"):
        si.ColumnBatch(conv(k, "fixed"), n_columns=k, resize=3)
    bad = si.ColumnBatch(conv(k, "fixed"), n_columns=k, resize=lambda cols: conv(k, "fixed"))
    with pytest.raises(ValueError, match="resize must return an operator of shape"):
        si.fista(bad, B, si.L1(lam), **opts)


# --------------------------------------------------------------------------- helpers
def test_objective_lam_max_and_path_work_per_column():
    A, B = _batch(15)
    X = np.random.default_rng(0).standard_normal((A.shape[1], B.shape[1]))
    pen = si.L1(np.array([[0.1, 0.2, 0.3, 0.4]]))
    F = si.objective(A, B, pen, X)
    for j in range(B.shape[1]):
        assert np.isclose(F[j], si.objective(A, B[:, j], si.L1(0.1 * (j + 1)), X[:, j]))
    lmax = si.lam_max(A, B)
    assert lmax.shape == (B.shape[1],)
    res = si.fista(A, B, si.L1(lmax[None, :]))
    assert np.all(res.x == 0) and res.n_iter.max() == 0
    path = si.lambda_path(A, B, "l1", [0.5 * lmax[None, :], 0.1 * lmax[None, :]])
    assert path.x.shape == (2, A.shape[1], B.shape[1])
    assert path.support_size.shape == (2, B.shape[1])


def test_warm_start_at_the_solution_costs_one_certificate():
    A, B = _batch(16)
    pen = si.L1(0.1)
    first = si.fista(A, B, pen, tol=1e-12)
    again = si.fista(A, B, pen, x0=first.x, tol=1e-10)
    assert (again.n_iter == 0).all()
    assert again.n_block_matvec == 1 and again.n_block_rmatvec == 1


def test_callback_sees_the_whole_block_and_a_numpy_true_stops():
    A, B = _batch(17)
    seen = []
    res = si.fista(A, B, si.L1(0.01), callback=lambda X: seen.append(X.shape) or np.True_)
    assert seen == [(A.shape[1], B.shape[1])]
    assert (res.stop_reason == "callback").all()


def _dense_matrix(rng, dtype, order="C", shape=(30, 50)):
    """A Gaussian matrix of ``dtype`` (complex: both parts) in memory ``order``."""
    A = rng.standard_normal(shape).astype(dtype)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal(shape)
    return np.asarray(A, order=order)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("order", ["C", "F"])
def test_a_dense_block_is_applied_exactly_in_any_memory_order(dtype, order):
    # the numpy path computes A X as (Xᵀ Aᵀ)ᵀ and Aᴴ R as (Rᴴ A)ᴴ: the same products
    rng = np.random.default_rng(0)
    A = _dense_matrix(rng, dtype, order)
    op = si.as_operator(A)
    A_before = A.copy()
    for c in (1, 2, 7):
        X = np.asarray(rng.standard_normal((50, c)).astype(A.dtype), order=order)
        R = np.asarray(rng.standard_normal((30, c)).astype(A.dtype), order=order)
        X_before, R_before = X.copy(), R.copy()
        AX, AhR = op.forward(X), op.adjoint(R)
        tol = 1e-5 if np.dtype(dtype) == np.float32 else 1e-12
        np.testing.assert_allclose(AX, A @ X, rtol=tol, atol=tol * 10)
        np.testing.assert_allclose(AhR, A.conj().T @ R, rtol=tol, atol=tol * 10)
        assert AX.dtype == A.dtype and AhR.dtype == A.dtype
        assert AX.shape == (30, c) and AhR.shape == (50, c)
        assert not np.shares_memory(AX, X) and not np.shares_memory(AhR, R)
        np.testing.assert_array_equal(X, X_before)
        np.testing.assert_array_equal(R, R_before)
        # 1-D vectors keep their shape
        assert op.forward(X[:, 0]).shape == (30,) and op.adjoint(R[:, 0]).shape == (50,)
    np.testing.assert_array_equal(A, A_before)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("order", ["C", "F"])
def test_the_check_of_a_dense_matrix_gives_its_column_norms(dtype, order):
    # one pass checks A and finds ‖a_i‖ (the working set's scores): they must be exact
    A = _dense_matrix(np.random.default_rng(2), dtype, order)
    A[:, 7] = 0.0
    tol = 1e-5 if np.dtype(dtype) == np.float32 else 1e-13
    norms = si.as_operator(A).column_norms()
    np.testing.assert_allclose(norms, np.linalg.norm(A, axis=0), rtol=tol)
    assert norms[7] == 0.0
    assert si.as_operator(sp.csr_matrix(A)).column_norms() is None
    # a NaN or an infinity in any one entry is still an error
    for bad in (np.nan, np.inf, -np.inf):
        B = A.copy()
        B[11, 3] = bad
        with pytest.raises(ValueError, match="A must be finite"):
            si.as_operator(B)
    # squares that overflow are no error: A is finite, its norms are simply not known
    huge = np.full((3, 2), np.finfo(np.float64).max / 2)
    op = si.as_operator(huge)
    assert op.column_norms() is None and op.shape == (3, 2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_a_gather_of_columns_is_exact_in_every_memory_layout(dtype, layout):
    # a column-major matrix is gathered along its contiguous axis (np.take along the
    # other one was 13 times slower): the same columns, in the order asked, a copy
    from sparseinv.operators import gather_columns

    A = _dense_matrix(np.random.default_rng(3), dtype, "F" if layout == "F" else "C")
    if layout == "strided":
        A = A[::2, ::3]
    before = A.copy()
    idx = np.array([5, 0, 5, A.shape[1] - 1])
    out = gather_columns(A, idx)
    np.testing.assert_array_equal(out, A[:, idx])
    assert out.dtype == A.dtype and not np.shares_memory(out, A)
    np.testing.assert_array_equal(A, before)


def test_a_column_major_block_of_data_is_taken_row_major_like_the_iterates():
    # B.T of a (k, m) array is column-major: mixed with the row-major iterates every
    # residual was a strided operation; the setup copies it (the caller's is untouched)
    from sparseinv.solvers._setup import prepare

    rng = np.random.default_rng(5)
    A = _dense_matrix(rng, np.float64, shape=(30, 50))
    B = np.asfortranarray(rng.standard_normal((30, 4)))
    X0 = np.asfortranarray(rng.standard_normal((50, 4)))
    before = B.copy()
    setup = prepare(A, B, si.L1(0.1), X0)
    assert setup.b.flags.c_contiguous and setup.x0.flags.c_contiguous
    np.testing.assert_array_equal(setup.b, B)
    res_f = si.fista(A, B, si.L1(0.1), x0=X0, tol=1e-10)
    res_c = si.fista(A, np.ascontiguousarray(B), si.L1(0.1), x0=np.ascontiguousarray(X0), tol=1e-10)
    np.testing.assert_array_equal(res_f.objective, res_c.objective)
    np.testing.assert_array_equal(B, before)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_a_column_major_matrix_solves_as_the_row_major_one(dtype):
    # its working set's columns and refinements' free columns are gathered along axis 0
    # of Aᵀ; the answer is the same
    rng = np.random.default_rng(4)
    A = _dense_matrix(rng, dtype, shape=(80, 500))
    b = A[:, :4].sum(axis=1) + 0.01 * rng.standard_normal(80)
    pen = si.L1(0.05 * si.lam_max(A, b))
    rows = si.fista(np.ascontiguousarray(A), b, pen, tol=1e-10)
    cols = si.fista(np.asfortranarray(A), b, pen, tol=1e-10)
    assert rows.converged and cols.converged
    assert cols.objective == pytest.approx(rows.objective, rel=1e-10)
    np.testing.assert_allclose(cols.x, rows.x, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_the_refinements_products_on_free_columns_equal_the_scattered_ones(dtype):
    rng = np.random.default_rng(1)
    A = _dense_matrix(rng, dtype, shape=(40, 90))
    op = si.as_operator(A, n_columns=3)
    rows = np.array([3, 10, 11, 50, 89])
    normal = op.normal_on(rows)
    P = rng.standard_normal((rows.size, 2)).astype(dtype)
    full = np.zeros((90, 2), dtype=dtype)
    full[rows] = P
    np.testing.assert_allclose(normal(P, np.array([0, 2])), (A.conj().T @ (A @ full))[rows])
    # counted as one application of A and one of Aᴴ, on the columns given
    assert (op.n_matvec, op.n_rmatvec) == (1, 1)
    np.testing.assert_array_equal(op.column_matvec, [1, 0, 1])
    np.testing.assert_array_equal(op.column_rmatvec, [1, 0, 1])
    # other operators: None, the caller applies A and Aᴴ itself
    assert si.as_operator(sp.csr_matrix(A)).normal_on(rows) is None
    assert si.as_operator(aslinearoperator(A)).normal_on(rows) is None


def test_a_batch_refines_its_columns_together(monkeypatch):
    # the columns' supports settle at different iterations; each CG step of a
    # refinement is one block application whatever the columns it serves, so a batch
    # gathers them (a refinement per column each time one fell due made 72 refinements
    # of one or two traces each for 64 traces, and 2.4 s against 1.4 s)
    from sparseinv.solvers import _loop

    rng = np.random.default_rng(3)
    nt, k = 150, 24
    wav = pylops.utils.wavelets.ricker(np.arange(15) * 0.004, f0=30)[0]

    def conv(c):
        return pylops.signalprocessing.Convolve1D((nt, c), h=wav, offset=len(wav) // 2, axis=0)

    traces = np.zeros((nt, k))
    for j in range(k):
        traces[rng.choice(nt, 6, replace=False), j] = rng.standard_normal(6)
    B = (conv(k) @ traces.ravel()).reshape(nt, k) + 0.02 * rng.standard_normal((nt, k))
    batch = si.ColumnBatch(conv(k), n_columns=k, resize=lambda columns: conv(len(columns)))
    lam = 0.05 * si.lam_max(batch, B)[None, :]
    sizes = []
    refine = _loop.refine_columns

    def counted(batch_, prob):
        sizes.append(batch_.x.shape[1])
        return refine(batch_, prob)

    monkeypatch.setattr(_loop, "refine_columns", counted)
    res = si.fista(batch, B, si.L1(lam), tol=1e-10, max_iter=20000)
    assert np.all(res.converged)
    assert sizes and np.mean(sizes) >= 3, sizes  # gathered: not one column at a time
    assert len(sizes) <= k / 3, sizes  # the old rule: 11 refinements of 2.2 traces on average
    for j in (0, k // 2, k - 1):  # and every column still reaches its own optimum
        alone = si.fista(conv(1), B[:, j], si.L1(float(lam[0, j])), tol=1e-10, max_iter=20000)
        assert abs(res.column(j).objective - alone.objective) <= 1e-8 * abs(alone.objective)
    sizes.clear()
    si.fista(conv(1), B[:, 0], si.L1(float(lam[0, 0])), tol=1e-10, max_iter=20000)
    assert sizes and set(sizes) == {1}  # a single solve refines as soon as it is due


@pytest.mark.parametrize("budget", [None, 35])
def test_the_columns_of_a_batch_follow_each_columns_own_operator(budget, monkeypatch):
    # a direct refinement needs A_S per column; a ColumnBatch's columns may each see their
    # own operator, so column j's unit vectors go through column j of the block
    from sparseinv.operators import as_operator

    rng = np.random.default_rng(9)
    mats = [rng.standard_normal((7, 5)) for _ in range(3)]
    blocks = pylops.BlockDiag([pylops.MatrixMult(M) for M in mats])  # a (k, n) layout
    op = as_operator(si.ColumnBatch(blocks, n_columns=3, columns_first=True), n_columns=3)
    rows = [np.array([4, 0]), np.array([], dtype=np.intp), np.array([1, 2, 3])]
    out = op.columns_of(rows)
    for M, r, got in zip(mats, rows, out, strict=True):
        np.testing.assert_allclose(got, M[:, r], rtol=1e-14, atol=1e-14)
    assert op.n_matvec == 3  # as many block applications as the longest list
    assert op.column_matvec.tolist() == [3, 3, 3]
    # a batched solve on it equals the single solves (the refinements are direct here;
    # with budget=35, the columns refined together get their A_S one column at a time)
    from sparseinv.solvers import _loop, _refine

    chunked = []
    if budget is not None:
        monkeypatch.setattr(_refine, "_DIRECT_ENTRIES", budget)
        monkeypatch.setattr(_loop, "_QUORUM", 1)  # every column due: refined together
        monkeypatch.setattr(_loop, "_MAX_DEFER", 10**6)
        chunks = _refine._chunks

        def spy(sizes, limit):
            out = chunks(sizes, limit)
            chunked.append(len(out))
            return out

        monkeypatch.setattr(_refine, "_chunks", spy)
    B = np.column_stack([M @ rng.standard_normal(5) for M in mats])
    lam = 0.1 * np.array([si.lam_max(M, B[:, j]) for j, M in enumerate(mats)])[None, :]
    batch = si.ColumnBatch(blocks, n_columns=3, columns_first=True)
    res = si.fista(batch, B, si.L1(lam), tol=1e-12, max_iter=20000)
    for j, M in enumerate(mats):
        alone = si.fista(M, B[:, j], si.L1(float(lam[0, j])), tol=1e-12, max_iter=20000)
        assert abs(res.column(j).objective - alone.objective) <= 1e-10 * alone.objective
    if budget is not None:
        assert chunked and max(chunked) >= 2, chunked  # the chunks were exercised
