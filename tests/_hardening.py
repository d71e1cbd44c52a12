"""Shared checks of the stress and fuzz suites (issue 8).

A budget on the operator applications turns a solve that never returns into a test
failure within a bounded amount of work (pytest-timeout is only the backstop); a
snapshot of every input catches a mutated argument; :func:`check_result` holds the
invariants every :class:`~sparseinv.SolveResult` must satisfy, whatever the input.
Only the public API of sparseinv is used.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pylops
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

import sparseinv as si

SOLVERS = {"ista": si.ista, "fista": si.fista, "irls": si.irls}
PENALTIES = {"l0": si.L0, "l1": si.L1, "l2": si.L2}
STOP_REASONS = ("converged", "max_iter", "diverged", "callback")

# the documented work of one solve, with a generous margin: one matvec and one rmatvec
# per iteration, a few backtracking matvecs, a short power iteration, FISTA's CG
# refinements (at most 100 CG steps every 5 or more iterations)
_PG_APPLICATIONS_PER_ITER = 64
_PG_APPLICATIONS_FIXED = 256


def iteration_bound(solver: str, max_iter: int) -> int:
    """Most iterations a solve may report: IRLS adds a polishing stage of max_iter."""
    return 2 * max_iter if solver == "irls" else max_iter


def application_bound(solver: str, max_iter: int, cg_max_iter: int = 1000) -> int:
    """Most applications of A and Aᴴ a bounded solve may make."""
    pg = _PG_APPLICATIONS_PER_ITER * (max_iter + 1) + _PG_APPLICATIONS_FIXED
    if solver == "irls":
        return max_iter * (2 * cg_max_iter + 8) + pg
    return pg


class Runaway(AssertionError):
    """More applications of A than a bounded solve can make: the solve does not end."""


class Budget:
    """Counts applications of an operator and raises :class:`Runaway` past ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = int(limit)
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.count > self.limit:
            raise Runaway(f"more than {self.limit} applications of A: an inner loop does not end")


class CountedArray(np.ndarray):
    """A dense array whose products with vectors are counted (views share the budget)."""

    budget: Budget | None = None

    def __array_finalize__(self, obj: Any) -> None:
        self.budget = getattr(obj, "budget", None)

    def __matmul__(self, other: Any) -> Any:
        if self.budget is not None and np.ndim(other) >= 1:
            self.budget.tick()
        return np.matmul(self.view(np.ndarray), np.asarray(other))

    def __rmatmul__(self, other: Any) -> Any:
        if self.budget is not None and np.ndim(other) >= 1:
            self.budget.tick()
        return np.matmul(np.asarray(other), self.view(np.ndarray))


class _CountedSparse:
    """Mix-in: a scipy sparse array whose products and format conversions keep counting."""

    budget: Budget | None = None

    def _keep(self, out: Any) -> Any:
        kinds = _COUNTED_MATRICES if isinstance(self, sp.spmatrix) else _COUNTED_ARRAYS
        kind = kinds.get(getattr(out, "format", None))
        if kind is None:
            return out
        wrapped = out if isinstance(out, kind) else kind(out)
        wrapped.budget = self.budget  # scipy builds results with type(self)(...): no budget
        return wrapped

    def __matmul__(self, other: Any) -> Any:
        if self.budget is not None and np.ndim(other) >= 1:
            self.budget.tick()
        return super().__matmul__(other)

    def tocsr(self, copy: bool = False) -> Any:
        return self._keep(super().tocsr(copy=copy))

    def tocsc(self, copy: bool = False) -> Any:
        return self._keep(super().tocsc(copy=copy))

    def transpose(self, axes: Any = None, copy: bool = False) -> Any:
        return self._keep(super().transpose(axes=axes, copy=copy))

    def conj(self, copy: bool = True) -> Any:
        return self._keep(super().conj(copy=copy))

    @property
    def T(self) -> Any:
        return self.transpose()


class CountedCSR(_CountedSparse, sp.csr_array):
    pass


class CountedCSC(_CountedSparse, sp.csc_array):
    pass


class CountedCSRMatrix(_CountedSparse, sp.csr_matrix):
    pass


class CountedCSCMatrix(_CountedSparse, sp.csc_matrix):
    pass


_COUNTED_ARRAYS = {"csr": CountedCSR, "csc": CountedCSC}
_COUNTED_MATRICES = {"csr": CountedCSRMatrix, "csc": CountedCSCMatrix}


class CountedLinearOperator(LinearOperator):
    """A scipy LinearOperator that counts its applications."""

    def __init__(self, op: Any, budget: Budget) -> None:
        super().__init__(dtype=op.dtype, shape=op.shape)
        self._op, self.budget = op, budget

    def _matvec(self, x: Any) -> Any:
        self.budget.tick()
        return self._op.matvec(x)

    def _rmatvec(self, y: Any) -> Any:
        self.budget.tick()
        return self._op.rmatvec(y)


class CountedPylops(pylops.LinearOperator):
    """A pylops LinearOperator that counts its applications."""

    def __init__(self, op: Any, budget: Budget) -> None:
        super().__init__(dtype=op.dtype, shape=op.shape)
        self._op, self.budget = op, budget

    def _matvec(self, x: Any) -> Any:
        self.budget.tick()
        return self._op.matvec(x)

    def _rmatvec(self, y: Any) -> Any:
        self.budget.tick()
        return self._op.rmatvec(y)


def counted(A: Any, budget: Budget) -> Any:
    """``A`` in the same kind (dense, CSC/CSR, scipy or pylops operator), counted."""
    if isinstance(A, np.ndarray) and type(A) is np.ndarray:
        out = A.view(CountedArray)
        out.budget = budget
        return out
    if sp.issparse(A) and A.format in ("csc", "csr"):
        kinds = _COUNTED_MATRICES if isinstance(A, sp.spmatrix) else _COUNTED_ARRAYS
        out = kinds[A.format](A)
        out.budget = budget
        return out
    if isinstance(A, pylops.LinearOperator):
        return CountedPylops(A, budget)
    if isinstance(A, LinearOperator):
        return CountedLinearOperator(A, budget)
    return A  # other kinds (np.matrix, spmatrix, ...) run uncounted, under the timeout


def formats(A: np.ndarray) -> dict[str, Any]:
    """The same matrix as a dense array, a CSC array, a scipy and a pylops operator."""
    from scipy.sparse.linalg import aslinearoperator

    return {
        "dense": A,
        "csc": sp.csc_array(A),
        "linop": aslinearoperator(A),
        "pylops": pylops.MatrixMult(A, dtype=A.dtype),
    }


# ---------------------------------------------------------------------- snapshots
def snapshot(value: Any) -> Any:
    """A deep copy of what a solve must not modify (operators: their matrix)."""
    if isinstance(value, CountedArray):
        return value.view(np.ndarray).copy()
    if isinstance(value, (np.ndarray, np.generic)):
        return value.copy()
    if sp.issparse(value):
        return value.copy()
    if isinstance(value, (CountedLinearOperator, CountedPylops)):
        return snapshot(value._op)
    for attr in ("A", "matrix"):  # aslinearoperator / pylops MatrixMult keep the matrix
        inner = getattr(value, attr, None)
        if isinstance(inner, np.ndarray) or sp.issparse(inner):
            return snapshot(inner)
    try:
        return copy.deepcopy(value)
    except Exception:  # an object that cannot be copied cannot be compared either
        return None


def assert_unchanged(before: Any, after: Any, name: str) -> None:
    """``after`` holds what ``before`` (a :func:`snapshot`) held."""
    now = snapshot(after)
    if before is None or now is None:
        return
    if sp.issparse(before):
        assert sp.issparse(now) and before.shape == now.shape, f"{name} was modified"
        x, y = sp.csr_array(before), sp.csr_array(now)
        x.sum_duplicates()
        y.sum_duplicates()
        same = (
            np.array_equal(x.indptr, y.indptr)
            and np.array_equal(x.indices, y.indices)
            and np.array_equal(x.data, y.data, equal_nan=True)
        )
        assert same, f"{name} was modified"
        return
    if isinstance(before, (np.ndarray, np.generic)):
        assert np.array_equal(before, now, equal_nan=before.dtype.kind in "fc"), (
            f"{name} was modified"
        )
        return
    if isinstance(before, (list, tuple)):
        assert len(before) == len(now), f"{name} was modified"
        for i, (x, y) in enumerate(zip(before, now, strict=True)):
            assert_unchanged(snapshot(x), y, f"{name}[{i}]")


# ---------------------------------------------------------------------- results
def check_result(
    res: Any,
    *,
    solver: str,
    max_iter: int,
    n_features: int,
    cg_max_iter: int = 1000,
    objective: Callable[[Any], float] | None = None,
    data: Any = None,
) -> None:
    """The invariants of every solve: a SolveResult, bounded, finite unless diverged.

    The objective may be inf only where F(0) = ½‖b‖² itself overflows: x is then
    still computed (the solvers rescale such data), but F(x) is beyond float64.
    """
    assert isinstance(res, si.SolveResult), f"expected a SolveResult; got {type(res).__name__}"
    assert res.stop_reason in STOP_REASONS, res.stop_reason
    assert res.converged == (res.stop_reason == "converged")
    assert 0 <= res.n_iter <= iteration_bound(solver, max_iter), res.n_iter
    assert 0 <= res.n_matvec + res.n_rmatvec <= application_bound(solver, max_iter, cg_max_iter)
    assert np.shape(res.x) == (n_features,)
    if res.stop_reason == "diverged":
        return
    assert np.all(np.isfinite(res.x)), "a solve that did not diverge returned a non-finite x"
    with np.errstate(over="ignore"):
        beyond = data is not None and not np.isfinite(0.5 * np.sum(np.abs(data) ** 2))
    assert math.isfinite(res.objective) or (beyond and res.objective == math.inf), (
        f"a solve that did not diverge reported objective {res.objective}"
    )
    if objective is not None:
        F = objective(res.x)
        assert math.isclose(res.objective, F, rel_tol=1e-9, abs_tol=1e-300), (
            f"res.objective = {res.objective!r} but F(res.x) = {F!r}"
        )


def run_solver(
    solver: str,
    A: Any,
    b: Any,
    penalty: Any,
    *,
    max_iter: int | None = None,
    count: bool = True,
    **options: Any,
) -> tuple[Any, Budget]:
    """Run one solve on a counted ``A``; check that no input was modified.

    Returns the result (or raises what the solver raised) and the budget, whose
    ``count`` is the number of applications of A made by the solve.
    """
    fn = SOLVERS[solver]
    if max_iter is None:
        max_iter = 100 if solver == "irls" else 1000
    cg_max_iter = options.get("cg_max_iter", 1000)
    budget = Budget(application_bound(solver, max_iter, cg_max_iter))
    op = counted(A, budget) if count else A
    inputs = {"A": A, "b": b, "x0": options.get("x0")}
    before = {name: snapshot(value) for name, value in inputs.items()}
    lam_before = snapshot(penalty.lam) if isinstance(penalty, si.Penalty) else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", si.ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            res = fn(op, b, penalty, max_iter=max_iter, **options)
    finally:
        for name, value in inputs.items():
            assert_unchanged(before[name], value, name)
        if lam_before is not None:
            assert_unchanged(lam_before, penalty.lam, "penalty.lam")
    n_features = int(A.shape[1])
    check_result(
        res,
        solver=solver,
        max_iter=max_iter,
        n_features=n_features,
        cg_max_iter=cg_max_iter,
        data=b,
    )
    return res, budget


def reference_lasso(A: np.ndarray, b: np.ndarray, lam: float) -> np.ndarray:
    """The L1 minimizer by scikit-learn's coordinate descent at a tight tolerance."""
    from sklearn.linear_model import Lasso

    m = A.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = Lasso(alpha=lam / m, fit_intercept=False, tol=1e-15, max_iter=1_000_000)
        est.fit(A, b)
    return est.coef_


def equivalent_lam(penalty: str, lam: float, scale: float) -> float:
    """λ' with F_{sA, λ}(x) = F_{A, λ'}(s x): L0 keeps λ, L1 divides by s, L2 by s²."""
    return {"l0": lam, "l1": lam / scale, "l2": lam / scale**2}[penalty]
