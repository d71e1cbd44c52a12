r"""A working set for FISTA on explicit matrices with L1: solve on a few columns, certify on all.

An outer loop (as in celer and skglm) keeps the problem small: from the residual
:math:`r` of the current x it computes :math:`g = A^H r` once on the **full**
matrix, stops when the relative duality gap of the full problem (the dual point the
best feasible multiple of :math:`r`, :meth:`sparseinv.L1.dual_value`) is at most
``tol``, and otherwise solves the L1 problem restricted to a working set :math:`W`
of columns by the same FISTA (restart, refinement and Anderson extrapolation
included), warm-started at :math:`x_W`. :math:`W` holds the support of x and the
columns that violate the optimality conditions most, by the score :math:`(\lambda_i
- |a_i^H r|) / (\lambda_i\|a_i\|)` (smallest first); its size is :data:`_MIN_SIZE`
or twice the support, and never shrinks (the last of :data:`_MAX_OUTER` outer
iterations is the full problem, and so is any set of half the columns or more). It
does not double when an outer iteration leaves the full gap above
:data:`_INNER_FRACTION` of what it was, as it did before: with one λ per group, each
subproblem cuts the gap little, and doubling took the last subproblem to all the
columns while twice the support was a fifth of them (speed benchmark, 2000×10000
with 2 groups: 0.50-0.76× the time over four draws; 20 groups: 0.62-0.67×). Each
subproblem's adaptive step starts from the last one's (no new power iteration); a
subproblem that diverges ends the solve as diverged. Each inner solve
is asked for a relative gap :data:`_INNER_FRACTION` times the full gap it starts
from, as celer does, or for ``tol`` itself once no coefficient outside W violates
its optimality condition :math:`|a_i^H r| \le \lambda_i` (then the subproblem's dual
point is feasible for the full problem and its gap is the full gap).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from sparseinv.operators import column_squares, gather_columns
from sparseinv.penalties import L1, Penalty
from sparseinv.result import ConvergenceWarning, SolveResult, warn_if_unconverged

_MIN_SIZE = 100  # first working set (or twice the support of the start)
_INNER_FRACTION = 0.3  # an inner solve aims at this fraction of the full gap it starts from
_MAX_OUTER = 50  # the last outer iteration solves the full problem
_TINY = np.finfo(float).tiny


def applies(A: Any, b: Any, penalty: Penalty, *, step: Any, callback: Any) -> bool:
    """Whether :func:`solve` takes this problem (else FISTA runs on the full matrix).

    A numpy array or scipy sparse matrix with more than twice :data:`_MIN_SIZE`
    columns, a 1-D numpy ``b``, an L1 penalty, no fixed ``step`` (the step of
    the full matrix is not that of a subproblem) and no ``callback`` (it sees
    the full iterate of every iteration).
    """
    explicit = (isinstance(A, np.ndarray) and A.ndim == 2) or sp.issparse(A)
    return (
        explicit
        and type(penalty) is L1
        and isinstance(b, np.ndarray)
        and b.ndim == 1
        and step is None
        and callback is None
        and A.shape[1] > 2 * _MIN_SIZE
    )


def solve(
    fista: Any,
    A: Any,
    b: np.ndarray,
    penalty: L1,
    *,
    x0: Any,
    max_iter: int,
    tol: float,
    options: dict[str, bool],
    column_norms: np.ndarray | None = None,
) -> SolveResult | None:
    """FISTA with a working set; None where λ has a zero entry (no duality gap to stop on).

    ``A``, ``b`` and ``x0`` have been validated by a plain FISTA setup already (which
    may have found ``column_norms`` on the way); ``fista`` is the plain solver, run on
    each subproblem.
    """
    n = A.shape[1]
    lam = np.broadcast_to(np.asarray(penalty.lam_block(n, 1, batched=False), float).reshape(-1), n)
    if not np.all(lam > 0) or tol <= 0:
        return None
    dtype = np.result_type(A.dtype, b.dtype, *(() if x0 is None else (np.asarray(x0).dtype,)))
    if dtype not in (np.float64, np.complex128):
        return None
    b = b.astype(dtype)
    if sp.issparse(A):
        A = A.tocsc()  # column slices
    x = np.zeros(n, dtype=dtype) if x0 is None else np.array(x0, dtype=dtype).reshape(n)
    col_norms = np.sqrt(column_squares(A)) if column_norms is None else column_norms
    adjoint = _adjoint(A)
    residual = b.copy() if x0 is None else b - A @ x
    full = L1(lam)

    def certify() -> tuple[float, float]:
        """F and the relative duality gap of the full problem at x (one product with Aᴴ)."""
        correlation[:] = adjoint(residual)
        F = 0.5 * np.vdot(residual, residual).real + float(np.sum(lam * np.abs(x)))
        dual = full.dual_value(b, residual, correlation)
        return F, max(F - dual, 0.0) / max(abs(F), _TINY)

    correlation = np.empty(n, dtype=dtype)
    F, gap = certify()
    n_matvec, n_rmatvec, n_iter = int(x0 is not None), 1, 0  # A x0 (none for x0 = 0), Aᴴ r
    objectives, optimality = [np.array([F])], [np.array([np.nan])]
    applications = [np.array([float(n_matvec + n_rmatvec)])]
    size = min(n, max(_MIN_SIZE, 2 * int(np.count_nonzero(x))))
    step, diverged = float("nan"), False
    sub_A, sub_W = None, None  # the last subproblem's columns, kept while W does not change
    for outer in range(_MAX_OUTER):
        if gap <= tol or n_iter >= max_iter or diverged:
            break
        support = x != 0
        size = min(n, max(size, 2 * int(np.count_nonzero(support))))
        if outer == _MAX_OUTER - 1 or 2 * size >= n:
            # the last try, or a set of half the columns or more, is the full problem:
            # solving a subproblem nearly as large first only adds work
            size = n
        with np.errstate(divide="ignore", invalid="ignore"):
            score = (lam - np.abs(correlation)) / (lam * col_norms)
        score[~np.isfinite(score)] = np.inf  # zero columns never enter
        score[support] = -np.inf  # the support stays in
        W = np.sort(np.argpartition(score, size - 1)[:size]) if size < n else np.arange(n)
        # no optimality condition violated outside W: the full gap is the subproblem's,
        # so the subproblem is solved to tol at once
        outside = np.ones(n, dtype=bool)
        outside[W] = False
        settled = not np.any(outside & (np.abs(correlation) > lam))
        if sub_A is None or not np.array_equal(W, sub_W):
            sub_A = A[:, W] if sp.issparse(A) else gather_columns(A, W)
            sub_W = W
        # A was checked: its columns need not be (a pass over A_W per subproblem)
        known = None if sp.issparse(A) else col_norms[W] ** 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sub = fista(
                sub_A,
                b,
                L1(lam[W]),
                x0=x[W],
                step_start=step if np.isfinite(step) else None,
                max_iter=max_iter - n_iter,
                tol=tol if settled else _INNER_FRACTION * gap,
                column_sq=known,
                **options,
            )
        x = np.zeros(n, dtype=dtype)
        x[W] = sub.x
        residual = b - sub_A @ sub.x
        done = n_matvec + n_rmatvec
        history = sub.history
        objectives.append(np.asarray(history["objective"])[1:])
        optimality.append(np.asarray(history["optimality"])[1:])
        applications.append(np.asarray(history["n_applications"])[1:] + done)
        F, gap = certify()
        n_matvec += sub.n_matvec + 1
        n_rmatvec += sub.n_rmatvec + 1
        n_iter += sub.n_iter
        step = float(sub.step)
        diverged = sub.stop_reason == "diverged"  # x is the subproblem's last finite iterate
    if n_iter > 0:  # the last iterate's measure is the full problem's gap
        optimality[-1] = optimality[-1].copy()
        optimality[-1][-1] = gap
        applications[-1] = applications[-1].copy()
        applications[-1][-1] = n_matvec + n_rmatvec
    reason = "converged" if gap <= tol else "diverged" if diverged else "max_iter"
    result = SolveResult(
        x=x,
        objective=F,
        converged=reason == "converged",
        stop_reason=reason,
        n_iter=n_iter,
        n_matvec=n_matvec,
        n_rmatvec=n_rmatvec,
        step=step,
        optimality=gap,
        history={
            "objective": np.concatenate(objectives),
            "optimality": np.concatenate(optimality),
            "n_applications": np.concatenate(applications).astype(float),
        },
        solver="fista",
        n_block_matvec=n_matvec,
        n_block_rmatvec=n_rmatvec,
    )
    warn_if_unconverged(result, tol=tol)
    return result


def _adjoint(A: Any) -> Any:
    """r ↦ Aᴴ r for the full matrix, with no copy of A per call (``A.conj()`` copies)."""
    if sp.issparse(A):
        AH = A.conj().T.tocsr() if np.iscomplexobj(A) else A.T  # once; Aᵀ of a CSC is a CSR
        return AH.__matmul__
    if np.iscomplexobj(A):
        return lambda r: (r.conj() @ A).conj()
    return A.T.__matmul__
