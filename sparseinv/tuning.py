r"""Tuning λ against a score: one scale on a warm-started log grid, or every group's λ.

Both searches maximize a score of the solution, ``score(x)`` (higher is better). With
the truth known, the score is a recovery metric (oracle tuning, what
:func:`sparseinv.compare` does); any other function of ``x`` (a discrepancy, an
information criterion) plugs in the same way.

- :func:`tune_scale` tunes :math:`s` in :math:`\lambda_g = s\,w_g` for fixed weights
  :math:`w` (one λ when :math:`w = 1`): a warm-started path from the largest useful
  :math:`s` down a log grid, then a local refinement below the grid spacing.
- :func:`tune_per_group` tunes every :math:`\lambda_g` by coordinate-wise (pattern)
  search on log scales from a starting vector, usually the best single λ.

Both count what they cost: solves, operator applications and seconds.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups
from sparseinv.objective import lam_max
from sparseinv.operators import CountingOperator, as_operator, lipschitz
from sparseinv.paths import lambda_path
from sparseinv.penalties import Penalty, penalty_type
from sparseinv.result import ConvergenceWarning, SolveResult
from sparseinv.solvers import resolve_solver

__all__ = ["STEP_FACTORS", "TuningResult", "reference_lams", "tune_per_group", "tune_scale"]

#: multiplicative steps of the log-scale searches, coarse to fine (the last sets the resolution)
STEP_FACTORS = (2.0, 2.0**0.5, 2.0**0.25, 2.0**0.125)

Score = Callable[[Any], float]


@dataclass(frozen=True, eq=False)
class TuningResult:
    """The best λ a search found, its solution and what the search cost.

    Attributes
    ----------
    lams : ndarray
        The best λ, one value per group (read-only).
    x : ndarray
        The solution at ``lams`` that was scored.
    score : float
        ``score(x)``, the best score seen.
    result : SolveResult or None
        The solve that produced ``x`` (None when ``x`` was given, not solved for).
    n_solves : int
        Solves made by the search.
    n_applications : int
        Operator applications (matvec + rmatvec) of those solves and of the set-up
        (λ_max, step-size estimate).
    seconds : float
        Wall-clock time of the search.
    trace : tuple of (ndarray, float)
        Every ``(lams, score)`` evaluated, in order.
    at_edge : bool
        True when the best grid point of :func:`tune_scale` was the smallest λ of
        the grid (the optimum may lie below it).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> from sparseinv.tuning import tune_scale
    >>> A, x_true = np.eye(3), np.array([3.0, 0.0, -2.0])
    >>> best = tune_scale(A, A @ x_true + 0.1, "l1", lambda x: -np.sum((x - x_true) ** 2),
    ...                   groups=si.Groups.from_sizes([3]), n_lams=8)
    >>> best.lams.shape, best.n_solves > 8
    ((1,), True)
    """

    lams: NDArray[np.float64]
    x: Any
    score: float
    result: SolveResult | None
    n_solves: int
    n_applications: int
    seconds: float
    trace: tuple[tuple[NDArray[np.float64], float], ...]
    at_edge: bool = False


class _Search:
    """Solves at given per-group λ with warm starts, scores them and counts the cost."""

    def __init__(
        self,
        A: Any,
        b: Any,
        cls: type[Penalty],
        groups: Groups,
        score: Score,
        solver: Any,
        solver_options: dict[str, Any],
        budget: int | None,
        min_improvement: float,
    ) -> None:
        self.A, self.b, self.cls, self.groups = A, b, cls, groups
        self.min_improvement = min_improvement
        self.score_fn = score
        self.solve = resolve_solver(solver)
        self.options = dict(solver_options)
        self.budget = budget
        self.n_solves = 0
        self.n_applications = 0
        self.trace: list[tuple[NDArray[np.float64], float]] = []
        self.seen: dict[tuple[float, ...], float] = {}
        self.start = time.perf_counter()

    def better(self, new: float, best: float) -> bool:
        """Better by more than ``min_improvement`` (a first finite score always is)."""
        return new > best + self.min_improvement if math.isfinite(best) else new > best

    def exhausted(self, extra: int = 1) -> bool:
        return self.budget is not None and self.n_solves + extra > self.budget

    def key(self, lams: NDArray) -> tuple[float, ...]:
        # λ reached by different products of the same factors compare equal
        return tuple(np.round(np.log2(lams), 9).tolist())

    def record(self, lams: NDArray, result: SolveResult) -> float:
        value = float(self.score_fn(result.x))
        if math.isnan(value):
            value = -math.inf
        self.n_solves += 1
        self.n_applications += result.n_applications
        frozen = np.array(lams, dtype=float)
        frozen.flags.writeable = False
        self.trace.append((frozen, value))
        self.seen[self.key(frozen)] = value
        return value

    def path(self, lams_list: Sequence[NDArray], x0: Any) -> list[SolveResult]:
        path = lambda_path(
            self.A,
            self.b,
            self.cls,
            list(lams_list),
            groups=self.groups,
            solver=self.solve,
            x0=x0,
            quiet=True,
            **self.options,
        )
        return list(path.results)

    def one(self, lams: NDArray, x0: Any) -> tuple[float, SolveResult]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = self.solve(
                self.A, self.b, self.cls(lams, groups=self.groups), x0=x0, **self.options
            )
        return self.record(lams, res), res

    def finish(
        self, lams: NDArray, x: Any, score: float, result: Any, at_edge: bool
    ) -> TuningResult:
        lams = np.array(lams, dtype=float)
        lams.flags.writeable = False
        return TuningResult(
            lams=lams,
            x=x,
            score=float(score),
            result=result,
            n_solves=self.n_solves,
            n_applications=self.n_applications,
            seconds=time.perf_counter() - self.start,
            trace=tuple(self.trace),
            at_edge=at_edge,
        )


def reference_lams(
    A: Any, b: Any, penalty: str | type[Penalty], groups: Groups
) -> NDArray[np.float64]:
    r"""Per-group λ above which a group's solution is zero (L1), or its analogue (L0, L2).

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator; a :class:`~sparseinv.operators.CountingOperator` keeps counting.
    b : ndarray
        Data.
    penalty : {"l0", "l1", "l2"} or Penalty class
        The penalty.
    groups : Groups
        The groups.

    Returns
    -------
    ndarray
        One value per group: :math:`\lambda_{\max,g} = \max_{i \in g}|a_i^Hb|` for L1,
        :math:`\lambda_{\max,g}^2/2` for L0 and :math:`\|A\|_2^2` (every group) for L2.

    Notes
    -----
    For L1, :math:`x = 0` is optimal iff :math:`\lambda_g \ge \lambda_{\max,g}` for every
    g. For L0 with unit-norm columns, a lone coefficient :math:`i` lowers F when
    :math:`|a_i^Hb|^2/2 > \lambda_i`. A ridge (L2) zeroes nothing; at
    :math:`\lambda = \|A\|_2^2` every component of the least-squares solution is
    shrunk by at least half, so larger λ are of no use. Costs one rmatvec (L0, L1) or
    a short power iteration (L2).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> reference_lams(np.eye(3), np.array([1.0, -4.0, 2.0]), "l1",
    ...                si.Groups.from_sizes([2, 1])).tolist()
    [4.0, 2.0]
    """
    cls = penalty_type(penalty)
    if not isinstance(groups, Groups):
        raise TypeError(f"groups must be a sparseinv.Groups; got {type(groups).__name__}")
    op = A if isinstance(A, CountingOperator) else as_operator(A)
    if cls.name == "l2":
        L = lipschitz(op).value
        return np.full(groups.n_groups, float(L))
    corr = np.asarray(lam_max(op, b, groups), dtype=float)
    return corr**2 / 2.0 if cls.name == "l0" else corr


def tune_scale(
    A: Any,
    b: Any,
    penalty: str | type[Penalty],
    score: Score,
    *,
    groups: Groups,
    weights: ArrayLike | None = None,
    n_lams: int = 25,
    lam_min_ratio: float = 1e-4,
    patience: int = 5,
    refine: bool = True,
    min_improvement: float = 1e-3,
    budget: int | None = None,
    solver: str | Callable[..., SolveResult] = "fista",
    x0: Any = None,
    solver_options: dict[str, Any] | None = None,
) -> TuningResult:
    r"""Best scale :math:`s` of :math:`\lambda_g = s\,w_g` on a warm-started log grid, refined.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator.
    b : ndarray
        Data.
    penalty : {"l0", "l1", "l2"} or Penalty class
        The penalty.
    score : callable
        ``score(x) -> float``, higher is better (NaN counts as worst).
    groups : Groups
        The groups the weights refer to.
    weights : array_like, optional
        One positive weight per group; default all ones (a single λ).
    n_lams : int, default 25
        Grid points from :math:`s_{\max}` down to ``lam_min_ratio`` :math:`\cdot s_{\max}`.
    lam_min_ratio : float, default 1e-4
        Smallest grid point relative to the largest, in (0, 1); also the floor of
        the refinement.
    patience : int, default 5
        Stop the path once the score has not improved for this many grid points
        (and it has improved on the first point).
    refine : bool, default True
        Refine around the best grid point with the steps of :data:`STEP_FACTORS` finer
        than half a grid step (in log scale).
    min_improvement : float, default 1e-3
        A move must raise the score by more than this (in score units) to count.
    budget : int, optional
        Most solves in all; the grid is cut short when needed.
    solver : str or callable, default "fista"
        ``"fista"``, ``"ista"``, ``"irls"`` or a solver function.
    x0 : ndarray, optional
        Start of the first solve (zeros by default).
    solver_options : dict, optional
        Passed to every solve (``max_iter``, ``tol``...).

    Returns
    -------
    TuningResult
        ``lams = s_best * weights``.

    Notes
    -----
    With :math:`r_g` from :func:`reference_lams` (:math:`\lambda_{\max,g}` for L1),
    :math:`s_{\max} = \max_g r_g / w_g` is the smallest scale at which every group is
    zero (L1), and the grid is :math:`s_k = s_{\max}\,q^k` with
    :math:`q = \text{lam\_min\_ratio}^{1/(n_\text{lams}-1)}`, solved from large to
    small, each solve warm-started from the previous one (:func:`sparseinv.lambda_path`).
    The refinement is :func:`tune_per_group`'s pattern search on the single
    coordinate :math:`s`, with the factors of :data:`STEP_FACTORS` at most
    :math:`q^{-1/2}`: the final resolution equals that of the per-group search, so
    neither strategy wins by resolution alone.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.density_contrast(rng=0)
    >>> snr = lambda x: si.metrics.snr_db(p.x_true, x)
    >>> best = tune_scale(p.A, p.b, "l1", snr, groups=p.groups, n_lams=10)
    >>> round(best.score, 1), bool(best.lams[0] == best.lams[1])
    (14.2, True)
    """
    cls = penalty_type(penalty)
    if not isinstance(groups, Groups):
        raise TypeError(f"groups must be a sparseinv.Groups; got {type(groups).__name__}")
    w = _check_weights(weights, groups)
    n_lams = check_positive_number(n_lams, "n_lams", integer=True)
    if n_lams < 2:
        raise ValueError(f"n_lams must be >= 2; got {n_lams}")
    lam_min_ratio = _check_ratio(lam_min_ratio)
    patience = check_positive_number(patience, "patience", integer=True)
    min_improvement = check_positive_number(min_improvement, "min_improvement", allow_zero=True)
    budget = _check_budget(budget)
    search = _Search(
        A, b, cls, groups, score, solver, solver_options or {}, budget, min_improvement
    )

    op = as_operator(A)
    ref = reference_lams(op, b, cls, groups)
    search.n_applications += op.n_applications
    s_max = float(np.max(ref / w))
    if s_max == 0.0:  # b ⟂ range(A): every λ gives x = 0
        s_max = 1.0
    q = lam_min_ratio ** (1.0 / (n_lams - 1))
    grid = s_max * q ** np.arange(n_lams)
    if budget is not None:
        grid = grid[: max(1, budget - (4 if refine else 0))]

    best_k, best, best_x, best_res = -1, -math.inf, x0, None
    first = None
    x = x0
    k = 0
    while k < grid.size:
        chunk = grid[k : k + patience]
        for j, res in enumerate(search.path([s * w for s in chunk], x)):
            value = search.record(chunk[j] * w, res)
            first = value if first is None else first
            if search.better(value, best):
                best_k, best, best_x, best_res = k + j, value, res.x, res
            x = res.x
        k += chunk.size
        # past the peak: `patience` points without improvement, after a rise
        if k - 1 - best_k >= patience and search.better(best, first):
            break
    at_edge = best_k == n_lams - 1
    s_best = np.array([grid[best_k]])
    if refine:
        factors = [f for f in STEP_FACTORS if f <= q**-0.5 * (1 + 1e-12)]
        s_best, best, best_x, best_res = _pattern_search(
            search,
            s_best,
            best,
            best_x,
            best_res,
            factors=factors,
            lower=np.array([s_max * lam_min_ratio]),
            upper=np.array([s_max]),
            to_lams=lambda p: p[0] * w,
        )
    return search.finish(float(s_best[0]) * w, best_x, best, best_res, at_edge)


def tune_per_group(
    A: Any,
    b: Any,
    penalty: str | type[Penalty],
    score: Score,
    lams: ArrayLike,
    *,
    groups: Groups,
    x0: Any = None,
    lam_bounds: tuple[float, float] = (0.0, math.inf),
    factors: Sequence[float] = STEP_FACTORS,
    min_improvement: float = 1e-3,
    budget: int | None = None,
    solver: str | Callable[..., SolveResult] = "fista",
    solver_options: dict[str, Any] | None = None,
) -> TuningResult:
    r"""Every group's λ by coordinate-wise search on log scales, from a starting vector.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator.
    b : ndarray
        Data.
    penalty : {"l0", "l1", "l2"} or Penalty class
        The penalty.
    score : callable
        ``score(x) -> float``, higher is better (NaN counts as worst).
    lams : array_like
        Starting λ, one positive value per group (e.g. the best single λ repeated).
    groups : Groups
        The groups.
    x0 : ndarray, optional
        The solution at ``lams`` when known (e.g. from the single-λ search): it is
        scored, not solved again, and warm-starts the first moves. Otherwise one
        solve at ``lams`` starts the search.
    lam_bounds : (float, float), default (0, inf)
        Every λ stays within these bounds, e.g. the range of the single-λ grid, so
        that both searches cover the same λ.
    factors : sequence of float, default :data:`STEP_FACTORS`
        Decreasing step factors > 1.
    min_improvement : float, default 1e-3
        A move must raise the score by more than this (in score units) to count.
    budget : int, optional
        Most solves; the search stops when it is spent.
    solver : str or callable, default "fista"
        ``"fista"``, ``"ista"``, ``"irls"`` or a solver function.
    solver_options : dict, optional
        Passed to every solve.

    Returns
    -------
    TuningResult
        The best λ found; never worse than the start (moves are accepted only
        when they improve the score).

    Notes
    -----
    A pattern search on :math:`\log\lambda`: for each factor :math:`f` in turn, sweep
    the groups in order; for group :math:`g` try :math:`\lambda_g f` and, if that
    does not improve the score, :math:`\lambda_g / f`, each solve warm-started from
    the best solution so far. An improving move is accepted and followed by a move
    twice as long (in :math:`\log\lambda`) in the same direction while that keeps
    improving, so a λ that wants to go far gets there in a few solves. Sweeps repeat
    with the same :math:`f` until none improves, then :math:`f` shrinks to the next
    factor. The search stops when no move improves at the last factor, or the budget
    is spent. It is deterministic, and a λ vector already scored is not solved
    again. With :math:`G` groups and :math:`F` factors it needs at least
    :math:`2GF` solves.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.density_contrast(rng=0)
    >>> snr = lambda x: si.metrics.snr_db(p.x_true, x)
    >>> single = tune_scale(p.A, p.b, "l1", snr, groups=p.groups, n_lams=10)
    >>> best = tune_per_group(p.A, p.b, "l1", snr, single.lams, groups=p.groups, x0=single.x)
    >>> bool(best.score > single.score + 1.0), bool(best.lams[1] > best.lams[0])
    (True, True)
    """
    cls = penalty_type(penalty)
    if not isinstance(groups, Groups):
        raise TypeError(f"groups must be a sparseinv.Groups; got {type(groups).__name__}")
    start = _check_weights(lams, groups, name="lams")
    lower, upper = _check_bounds(lam_bounds)
    factors = [float(f) for f in factors]
    if not factors or any(not math.isfinite(f) or f <= 1 for f in factors):
        raise ValueError(f"factors must be finite numbers > 1, at least one; got {factors}")
    min_improvement = check_positive_number(min_improvement, "min_improvement", allow_zero=True)
    budget = _check_budget(budget)
    search = _Search(
        A, b, cls, groups, score, solver, solver_options or {}, budget, min_improvement
    )
    if x0 is None:
        best, res = search.one(start, None)
        x, result = res.x, res
    else:
        best = float(score(x0))
        best = -math.inf if math.isnan(best) else best
        x, result = x0, None
        search.seen[search.key(start)] = best
    lams_best, best, x, result = _pattern_search(
        search,
        start,
        best,
        x,
        result,
        factors=factors,
        lower=np.full(start.size, lower),
        upper=np.full(start.size, upper),
        to_lams=lambda p: p,
    )
    return search.finish(lams_best, x, best, result, False)


def _pattern_search(
    search: _Search,
    params: NDArray,
    best: float,
    x: Any,
    result: Any,
    *,
    factors: Sequence[float],
    lower: NDArray,
    upper: NDArray,
    to_lams: Callable[[NDArray], NDArray],
) -> tuple[NDArray, float, Any, Any]:
    """Coordinate-wise search on log(params) within bounds; see :func:`tune_per_group`."""
    params = np.array(params, dtype=float)
    for f in factors:
        improved = True
        while improved:
            improved = False
            for g in range(params.size):
                for step in (f, 1.0 / f):
                    moved = False
                    move = step
                    while not search.exhausted():
                        trial = params.copy()
                        trial[g] = min(max(trial[g] * move, lower[g]), upper[g])
                        if trial[g] == params[g]:
                            break  # at a bound
                        lams = to_lams(trial)
                        if search.key(lams) in search.seen:
                            break  # scored before, when the best was no better than now
                        value, res = search.one(lams, x)
                        if not search.better(value, best):
                            break
                        params, best, x, result = trial, value, res.x, res
                        moved = True
                        move = move * move  # twice as far in log λ
                    if moved:
                        improved = True
                        break
                if search.exhausted():
                    return params, best, x, result
    return params, best, x, result


def _check_weights(values: Any, groups: Groups, *, name: str = "weights") -> NDArray[np.float64]:
    if values is None:
        return np.ones(groups.n_groups)
    arr = np.array(values, dtype=float)
    if arr.ndim == 0:
        arr = np.full(groups.n_groups, float(arr))
    if arr.shape != (groups.n_groups,):
        raise ValueError(
            f"{name} must hold one value per group ({groups.n_groups}); got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be finite and > 0; got {arr.tolist()}")
    return arr


def _check_bounds(bounds: Any) -> tuple[float, float]:
    try:
        lower, upper = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise TypeError(
            f"lam_bounds must be a pair of numbers (low, high); got {bounds!r}"
        ) from None
    if not (0 <= lower < upper) or math.isnan(upper):
        raise ValueError(f"lam_bounds must satisfy 0 <= low < high; got {bounds!r}")
    return lower, upper


def _check_ratio(ratio: Any) -> float:
    ratio = check_positive_number(ratio, "lam_min_ratio")
    if ratio >= 1:
        raise ValueError(f"lam_min_ratio must be in (0, 1); got {ratio}")
    return ratio


def _check_budget(budget: Any) -> int | None:
    if budget is None:
        return None
    return check_positive_number(budget, "budget", integer=True)
