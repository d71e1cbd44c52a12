"""Warm-started solution paths over a sequence of λ."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv.backend import to_host
from sparseinv.groups import Groups
from sparseinv.penalties import Penalty, penalty_type
from sparseinv.result import ConvergenceWarning, SolveResult
from sparseinv.solvers import resolve_solver

__all__ = ["PathResult", "lambda_path"]


@dataclass(frozen=True)
class PathResult:
    """Solutions along a sequence of λ.

    Attributes
    ----------
    lams : tuple
        The λ of each solve, as given (floats or per-group / per-coefficient arrays).
    results : tuple of SolveResult
        One result per λ, in the same order.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> path = si.lambda_path(np.eye(3), np.array([3.0, 1.0, -2.0]), "l1", [2.5, 1.5, 0.5])
    >>> path.support_size.tolist()
    [1, 2, 3]
    """

    lams: tuple[Any, ...]
    results: tuple[SolveResult, ...]

    @property
    def x(self) -> NDArray:
        """Solutions stacked: ``(n_lams, n)``, or ``(n_lams, n, k)`` for a batch."""
        return np.stack([np.asarray(to_host(r.x)) for r in self.results])

    @property
    def objective(self) -> NDArray[np.float64]:
        """F at each solution (one row of ``k`` values per λ for a batch)."""
        return np.array([r.objective for r in self.results])

    @property
    def support_size(self) -> NDArray[np.intp]:
        """Number of non-zero coefficients of each solution (per column for a batch)."""
        return np.array([np.count_nonzero(to_host(r.x), axis=0) for r in self.results])

    @property
    def n_applications(self) -> Any:
        """Operator applications (matvec + rmatvec) of the whole path (per column for a batch)."""
        return sum(r.n_applications for r in self.results)

    @property
    def n_solves(self) -> int:
        """Number of solves."""
        return len(self.results)


def lambda_path(
    A: Any,
    b: Any,
    penalty: str | type[Penalty] | Penalty,
    lams: Sequence[float | ArrayLike],
    *,
    groups: Groups | None = None,
    warm_start: bool = True,
    solver: str | Callable[..., SolveResult] = "fista",
    x0: Any = None,
    quiet: bool = True,
    **solver_options: Any,
) -> PathResult:
    """Solve for each λ in turn, each solve started from the previous solution.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator.
    b : ndarray
        Data.
    penalty : str, Penalty class or Penalty
        ``"l0"``, ``"l1"``, ``"l2"``, a class, or an instance whose type and groups
        are reused (its own λ is ignored).
    lams : sequence
        λ values in solve order (floats, per-group or per-coefficient arrays).
        Give them from large to small: warm starts work best downhill.
    groups : Groups, optional
        Groups for per-group λ (overrides those of a penalty instance).
    warm_start : bool, optional
        Start each solve from the previous solution (default True).
    solver : str or callable, optional
        ``"fista"`` (default), ``"ista"``, ``"irls"`` or a solver function.
    x0 : ndarray, optional
        Start of the first solve.
    quiet : bool, optional
        Silence :class:`ConvergenceWarning` of the individual solves (default True);
        each result still records ``converged``.
    **solver_options
        Passed to the solver (``max_iter``, ``tol``...).

    Returns
    -------
    PathResult

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> path = si.lambda_path(np.eye(2), np.array([2.0, -1.0]), "l1", [1.5, 0.5])
    >>> path.x.tolist()
    [[0.5, 0.0], [1.5, -0.5]]
    """
    if isinstance(penalty, Penalty):
        groups = penalty.groups if groups is None else groups
        cls: type[Penalty] = type(penalty)
    else:
        cls = penalty_type(penalty)
    lams = list(lams)
    if not lams:
        raise ValueError("lams must hold at least one λ; got an empty sequence")
    solve = resolve_solver(solver)
    results = []
    start = x0
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", ConvergenceWarning)
        for lam in lams:
            res = solve(A, b, cls(lam, groups=groups), x0=start, **solver_options)
            results.append(res)
            if warm_start:
                start = res.x
    return PathResult(lams=tuple(lams), results=tuple(results))
