r"""The built-in selections of :func:`sparseinv.compare`: one path for every strategy.

:func:`select_strategy` chooses the λ of one strategy of :func:`~sparseinv.compare`
(one scale :math:`s` of :math:`\lambda_g = s\,w_g`, or one λ per group) with the one
λ search (:mod:`sparseinv.selection.search`), under any criterion: the oracle (minus a
recovery metric against ``x_true``, :class:`~sparseinv.selection.criteria.Oracle`) or a
data-driven one (CV, the discrepancy principle, SURE, GCV). The criterion is the only
difference between an oracle and a data-driven choice; the search, its grid, its cache
and its bounds are the same, and the per-group search is the one of
:func:`~sparseinv.select_group_lambdas`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv.evaluation import Evaluation
from sparseinv.penalties import Penalty
from sparseinv.problems import Problem
from sparseinv.result import SolveResult
from sparseinv.selection._engine import LAM_MIN_RATIO, check_choice
from sparseinv.selection.criteria import Criterion, CrossValidation, SteinUnbiasedRisk
from sparseinv.selection.group_search import DEFAULT_STARTS, check_starts, search_groups
from sparseinv.selection.search import MIN_STEP, Point
from sparseinv.selection.single import _Run, run_single

__all__ = [
    "DATA_SELECTIONS",
    "ORACLE_MIN_STEP",
    "SELECTION_METHODS",
    "SelectionResult",
    "select_strategy",
]

#: the data-driven selections: the criteria of :func:`~sparseinv.select_lambda`
DATA_SELECTIONS = ("cv", "discrepancy", "sure", "gcv", "quasi_optimality")
#: every method :func:`select_strategy` runs
SELECTION_METHODS = ("oracle", *DATA_SELECTIONS)
#: the oracle searches end at this factor: the scale refinement and the per-group search
#: reach the same resolution, so that neither strategy wins by resolution alone
ORACLE_MIN_STEP = 2.0**0.125
# refinement steps of the oracle's scale search, coarse to fine
_STEP_FACTORS = (2.0, 2.0**0.5, 2.0**0.25, ORACLE_MIN_STEP)
# the oracle pursues an improving move twice as far each time: with its small budgets a
# λ_g that must move by orders of magnitude (the ECG's finest scales) still gets there
_ORACLE_EXPANSION = 2.0
# most evaluations of the refinement without a budget (it needs about a dozen)
_REFINE_EVALUATIONS = 100
# evaluations kept for the refinement when a budget cuts the oracle's grid
_REFINE_RESERVE = 4


@dataclass(frozen=True, eq=False)
class SelectionResult:
    """The λ of one strategy of :func:`~sparseinv.compare`, with what it cost.

    Attributes
    ----------
    lams : ndarray
        The chosen λ, one value per group (read-only).
    x : ndarray
        The solution at ``lams``.
    score : float
        Minus the criterion at ``lams`` (higher is better; for the oracle, the
        recovery metric itself, e.g. the SNR in dB).
    result : SolveResult or None
        Not kept (None); see ``converged``.
    n_solves : int
        Solves made (for the per-group search: only what it adds to the single-λ
        path it continues, since :func:`~sparseinv.compare` adds the cost of
        ``"single"``).
    n_applications : int
        Applications of A and Aᴴ (or of row subsets of A), counted the same way.
    seconds : float
        0: :func:`~sparseinv.compare` times the selection itself.
    trace : tuple of (ndarray, float)
        Every ``(lams, score)`` the search evaluated, in order: the criterion curve
        of the path, then the refinement or the per-group search.
    at_edge : bool
        True when the chosen single λ is the smallest of the grid.
    method : str
        The criterion that chose λ (``"sure"`` for the per-group search under the
        discrepancy principle, see :func:`select_strategy`).
    selection : LambdaSelection or GroupLambdaSelection or None
        The full result of the single-λ scan or of the per-group search (path,
        criterion curve, σ̂, fallback...).
    noise_std : float or None
        The σ the criterion used (given or estimated), None for the oracle, CV and GCV.
    noise_method : str or None
        Where σ came from (``"given"`` or an estimator of
        :func:`~sparseinv.estimate_noise_std`) or None.
    converged : bool
        Whether every full-data solve of the single-λ path converged.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.density_contrast(n_measurements=120, rng=0)
    >>> sel = select_strategy(p, si.L1, np.ones(2), method="gcv", n_lambdas=10)
    >>> sel.method, sel.lams.shape, sel.noise_std is None
    ('gcv', (2,), True)
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
    method: str = ""
    selection: Any = field(default=None, repr=False)
    noise_std: float | None = None
    noise_method: str | None = None
    converged: bool = True
    # the finished single-λ run, continued by the per-group search (not pickled)
    _run: Any = field(default=None, init=False, repr=False)
    _key: tuple = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        lams = np.array(self.lams, dtype=float)
        lams.flags.writeable = False
        object.__setattr__(self, "lams", lams)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_run"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def select_strategy(
    problem: Problem,
    penalty: type[Penalty],
    weights: NDArray[np.float64] | None,
    *,
    start: Any = None,
    solver: str | Callable[..., SolveResult] = "fista",
    budget: int | None = None,
    method: str = "oracle",
    metric: str = "snr_db",
    domain: str = "model",
    recovery: Callable[[Any], float] | None = None,
    solver_options: Mapping[str, Any] | None = None,
    noise_std: float | None = None,
    noise_method: str = "auto",
    n_lambdas: int = 25,
    lam_min_ratio: float | None = None,
    n_folds: int = 5,
    n_repeats: int = 1,
    cv_rule: str = "min",
    tau: float = 1.0,
    n_probes: int = 16,
    n_confirm: int | None = None,
    starts: Sequence[str] | None = None,
    patience: int | None = None,
    refine: bool | None = None,
    min_step: float | None = None,
    rng: int | np.random.Generator | None = 0,
) -> SelectionResult:
    r"""The λ of one strategy of :func:`~sparseinv.compare`, by the oracle or from the data.

    The adapter behind every built-in ``selection`` of :func:`~sparseinv.compare`; it
    follows the selection protocol described there. A data-driven method never reads
    ``problem.x_true`` or ``problem.noise_std``.

    Parameters
    ----------
    problem : Problem
        The problem (the oracle reads ``x_true``; the data-driven methods only ``A``,
        ``b`` and ``groups``).
    penalty : Penalty class
        :class:`~sparseinv.L0`, :class:`~sparseinv.L1` or :class:`~sparseinv.L2`.
    weights : ndarray or None
        One weight per group: choose the scale :math:`s` of
        :math:`\lambda_g = s\,w_g` by a scan of a warm-started grid (the oracle then
        refines it). None: choose every :math:`\lambda_g` by the per-group search of
        :func:`~sparseinv.select_group_lambdas`, continued from ``start``.
    start : SelectionResult, optional
        The ``"single"`` result of the same selection: the per-group search continues
        from its path and its λ (no solve repeated) when it was made with the same
        options; otherwise the single-λ path is run again.
    solver : str or callable, default "fista"
        The solver of every solve (:func:`~sparseinv.compare` passes its counting
        solver).
    budget : int, optional
        Most criterion evaluations of the per-group search (each is one solve, K for
        CV) and, for the oracle, of the scale search (its grid is cut to leave four
        for the refinement). None: 30 (G + 1) for the per-group search.
    method : {"oracle", "cv", "discrepancy", "sure", "gcv", "quasi_optimality"}, default "oracle"
        The criterion (:class:`~sparseinv.selection.criteria.Oracle` or a criterion of
        :func:`~sparseinv.select_lambda`).
    metric, domain : str
        The oracle's recovery metric and where it is measured (see
        :func:`~sparseinv.compare`).
    recovery : callable, optional
        ``recovery(x) -> float``, higher is better: the oracle's score of a solution,
        in place of ``metric`` against ``problem.x_true`` (e.g. the SNR over traces
        that were removed from a recorded section, which has no true model). Only
        with ``method="oracle"``; its ``min_improvement`` is 1e-3 in its units.
    solver_options : dict, optional
        Keywords of every solve (``max_iter``, ``tol``...), for a solver given by
        name; :func:`~sparseinv.compare` puts its own into its counting solver.
    noise_std : float, optional
        σ of the noise, for SURE and the discrepancy principle. None (default):
        estimated from the data by :func:`~sparseinv.estimate_noise_std`, never taken
        from ``problem.noise_std``.
    noise_method : str, default "auto"
        The estimator of σ (see :func:`~sparseinv.estimate_noise_std`).
    n_lambdas : int, default 25
        Grid size of the single-λ path (:func:`~sparseinv.compare` passes its
        ``n_lams``).
    lam_min_ratio : float, optional
        Smallest over largest λ of the grid; None: 1e-4 for the oracle, the default of
        :func:`~sparseinv.select_lambda` otherwise.
    n_folds : int, default 5
        K of K-fold cross-validation (``"cv"``, the σ refit, the confirmation).
    n_repeats : int, default 1
        Random partitions into K folds of the ``"cv"`` criterion (repeated K-fold),
        for the single λ and the per-group search.
    cv_rule : {"min", "one_se"}, default "min"
        How cross-validation picks its single λ.
    tau : float, default 1.0
        τ of the discrepancy principle.
    n_probes : int, default 16
        Hutchinson probes of the L2 degrees of freedom.
    n_confirm : int, optional
        Fresh K-fold splits on which the per-group λ must beat the single λ (default
        3; 0 for the oracle, which needs no guard).
    starts : sequence of str, optional
        Starts of the per-group search (default ``("single",)`` for the oracle, the
        default of :func:`~sparseinv.select_group_lambdas` otherwise).
    patience : int, optional
        Stop the scan this many grid points after the best (default 5 for the oracle,
        the whole grid otherwise, so that the criterion curve is complete).
    refine : bool, optional
        Refine the best grid scale by the pattern search on the scale (default True
        for the oracle, down to :data:`ORACLE_MIN_STEP`; False otherwise: the λ is on
        the grid, as :func:`~sparseinv.select_lambda` returns it).
    min_step : float, optional
        Finest step of the per-group search (default :data:`ORACLE_MIN_STEP` for the
        oracle, that of :func:`~sparseinv.select_group_lambdas` otherwise).
    rng : int or numpy.random.Generator, default 0
        Seed of folds and probes: the default makes the selection deterministic.

    Returns
    -------
    SelectionResult

    Raises
    ------
    ValueError
        For an unknown ``method``, the oracle on a problem without ``x_true`` and
        without ``recovery``, ``recovery`` with a data-driven method, and the errors
        of :func:`~sparseinv.select_lambda`.
    TypeError
        When ``recovery`` is not callable.

    Notes
    -----
    **One search.** Every method scans the same warm-started grid of ``n_lambdas``
    scales from the largest useful one down
    (:meth:`~sparseinv.selection.search.LambdaSearch.scan`); the per-group λ come
    from the multi-start pattern search of
    :func:`~sparseinv.select_group_lambdas` with the same criterion object (same σ,
    same folds, same bounds: each λ_g within the range of its start's grid). The
    oracle differs only in its defaults: it stops its scan ``patience`` points past
    the best, refines the best scale with factors :math:`2^{1/2^j}` no coarser than
    half a grid step down to :math:`2^{1/8}`, needs a move to gain more than 1e-3 (dB
    for the SNR), pursues an improving move twice as far each time (``expansion=2``:
    its budgets are small), starts its per-group search from the refined single λ
    alone, and skips the confirmation.

    **Noise level.** SURE and the discrepancy principle use the σ̂ of
    :func:`~sparseinv.estimate_noise_std` (``noise_method``), unless ``noise_std``
    is given (e.g. ``selection_options={"noise_std": p.noise_std}`` in
    :func:`~sparseinv.compare`).

    **Per-group λ under the discrepancy principle.** It is one equation,
    :math:`\|b - Ax\| = \tau\sigma\sqrt m`, satisfied by a (G − 1)-dimensional set of
    λ vectors: it cannot choose G values. Its per-group λ therefore minimize SURE
    with the discrepancy principle's σ̂, the risk estimate that needs exactly the
    same information, starting from the SURE-best λ on the discrepancy path (scored
    from its fits, no new solve); the result's ``method`` is ``"sure"``.

    **Per-group λ under quasi-optimality.** It chooses one λ: minimised over G
    values it does not track the recovery (see
    :class:`~sparseinv.selection.criteria.QuasiOptimality`). Its per-group λ
    therefore minimize the held-out
    error of K-fold cross-validation (``n_folds``, ``n_repeats``), the criterion that
    needs no σ either, starting from the quasi-optimal single λ; the result's
    ``method`` is ``"cv"``.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.density_contrast(rng=0)
    >>> single = select_strategy(p, si.L1, np.ones(2), n_lambdas=10)
    >>> grouped = select_strategy(p, si.L1, None, start=single, n_lambdas=10)
    >>> bool(grouped.score > single.score + 1.0), bool(grouped.lams[1] > grouped.lams[0])
    (True, True)
    """
    method = check_choice(method, "method", SELECTION_METHODS)
    oracle = method == "oracle"
    if recovery is not None:
        if not oracle:
            raise ValueError(f"recovery is the oracle's score; got it with method={method!r}")
        if not callable(recovery):
            raise TypeError(f"recovery must be callable; got {type(recovery).__name__}")
    elif oracle and problem.x_true is None:
        raise ValueError(
            "oracle selection needs problem.x_true or a recovery score; got a problem "
            "without x_true"
        )
    if oracle:
        lam_min_ratio = 1e-4 if lam_min_ratio is None else lam_min_ratio
        patience = 5 if patience is None else patience
        refine = True if refine is None else refine
        min_step = ORACLE_MIN_STEP if min_step is None else min_step
        starts = ("single",) if starts is None else starts
        n_confirm = 0 if n_confirm is None else n_confirm
    else:
        refine = False if refine is None else refine
        starts = DEFAULT_STARTS if starts is None else starts
        n_confirm = 3 if n_confirm is None else n_confirm
    starts = check_starts(starts)
    groups = problem.groups
    G = groups.n_groups
    # what makes the single-λ run of a "single" result the one this call would make
    custom_score, solver_options = recovery, dict(solver_options or {})
    if oracle and recovery is None:
        recovery = Evaluation(problem, domain).score(metric)
    ratio = LAM_MIN_RATIO[penalty.name] if lam_min_ratio is None else lam_min_ratio
    key = (
        method,
        penalty,
        metric,
        domain,
        custom_score,
        repr(sorted(solver_options.items())),
        noise_std,
        noise_method,
        n_lambdas,
        lam_min_ratio,
        n_folds,
        n_repeats,
        cv_rule,
        tau,
        n_probes,
        patience,
        refine,
        _seed_key(rng),
    )
    options: dict[str, Any] = {
        "method": method,
        "noise_std": noise_std,
        "noise_method": noise_method,
        "lams": None,
        "n_lambdas": n_lambdas,
        "lam_min_ratio": lam_min_ratio,
        "n_folds": n_folds,
        "n_repeats": n_repeats,
        "cv_rule": cv_rule,
        "tau": tau,
        "n_probes": n_probes,
        "solver": solver,
        "solver_options": solver_options,
        "recovery": recovery,
        "patience": patience,
    }
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        equal = bool(np.allclose(w, w[0], rtol=1e-12))
        if oracle and budget is not None:  # the grid leaves room for the refinement
            options["max_points"] = max(1, budget - (_REFINE_RESERVE if refine else 0))
        # equal weights are one λ: the run the per-group search can continue
        run = run_single(
            problem.A,
            problem.b,
            penalty,
            groups=groups,
            weights=None if equal else w,
            rng=rng,
            **options,
        )
        if refine:
            run = _refine(run, n_lambdas=n_lambdas, lam_min_ratio=ratio, budget=budget)
        sel = run.result
        lams = np.full(G, float(sel.lam)) if equal else np.asarray(sel.lam, dtype=float)
        out = SelectionResult(
            lams=lams,
            x=sel.x,
            score=-float(sel.criterion_value),
            result=None,
            n_solves=sel.n_solves,
            n_applications=sel.n_applications,
            seconds=0.0,
            trace=_trace(run.search.trace, G),
            at_edge=bool(sel.index == sel.path_lams.shape[0] - 1),
            method=method,
            selection=sel,
            noise_std=sel.noise_std,
            noise_method=sel.noise_method,
            converged=sel.converged,
        )
        object.__setattr__(out, "_run", run if equal else None)
        object.__setattr__(out, "_key", key)
        return out
    reuse = isinstance(start, SelectionResult) and start._run is not None and start._key == key
    if reuse:
        run = start._run  # type: ignore[union-attr]
    else:
        run = run_single(
            problem.A, problem.b, penalty, groups=groups, weights=None, rng=rng, **options
        )
        if refine:
            run = _refine(run, n_lambdas=n_lambdas, lam_min_ratio=ratio, budget=None)
    criterion: Criterion | None = None
    if method == "discrepancy":
        sigma = float(run.result.noise_std)
        criterion = SteinUnbiasedRisk(
            run.engine, noise_var=run.engine.noise_var_per_obs(sigma), n_folds=n_folds
        )
    elif method == "quasi_optimality":
        criterion = CrossValidation(run.engine, n_folds=n_folds, n_repeats=n_repeats, rng=run.gen)
    sel = search_groups(
        run,
        groups,
        min_step=MIN_STEP if min_step is None else min_step,
        max_evaluations=budget,
        n_confirm=n_confirm,
        criterion=criterion,
        starts=starts,
        expansion=_ORACLE_EXPANSION if oracle else 1.0,
    )
    single_cost = (sel.single.n_solves, sel.single.n_applications) if reuse else (0, 0)
    return SelectionResult(
        lams=np.asarray(sel.lam, dtype=float),
        x=sel.x,
        score=-float(sel.criterion_value),
        result=None,
        n_solves=sel.n_solves - single_cost[0],
        n_applications=sel.n_applications - single_cost[1],
        seconds=0.0,
        trace=tuple(
            (np.asarray(lam, dtype=float).copy(), -float(v))
            for lam, v in zip(sel.search_lams, sel.search_criterion, strict=True)
        ),
        at_edge=False,
        method=sel.method,
        selection=sel,
        noise_std=sel.noise_std,
        noise_method=sel.noise_method,
        converged=sel.single.converged,
    )


def _refine(run: _Run, *, n_lambdas: int, lam_min_ratio: float, budget: int | None) -> _Run:
    """The run with its best grid scale refined by the pattern search on the scale.

    The steps are the factors :math:`2^{1/2^j}` no coarser than half a step of the
    full grid (``n_lambdas`` scales over ``lam_min_ratio``), down to
    :data:`ORACLE_MIN_STEP`, within the grid's range; the refined λ, solution and
    criterion replace the run's choice (its path is kept), and its cost is added.
    """
    sel = run.result
    if n_lambdas < 2:
        return run
    q = lam_min_ratio ** (1.0 / (n_lambdas - 1))
    factors = [f for f in _STEP_FACTORS if f <= q**-0.5 * (1 + 1e-12)]
    left = None if budget is None else budget - run.search.n_evaluations
    if not factors or (left is not None and left <= 0):
        return run
    top = float(sel.path_scales[0])
    weights = sel.weights

    def to_lams(params: NDArray[np.float64]) -> Any:
        return float(params[0]) if weights is None else float(params[0]) * weights

    engine, criterion = run.engine, run.criterion
    solves0 = engine.n_solves + criterion.n_solves
    apps0 = engine.n_applications + criterion.n_applications
    start = Point(np.array([sel.scale]), sel.lam, float(sel.criterion_value), run.state)
    end = run.search.pattern(
        start,
        to_lams=to_lams,
        lower=[top * lam_min_ratio],
        upper=[top],
        step=factors[0],
        min_step=ORACLE_MIN_STEP,
        max_evaluations=_REFINE_EVALUATIONS if left is None else left,
        expansion=_ORACLE_EXPANSION,
    )
    result = replace(
        sel,
        lam=end.lam,
        x=end.state.x,
        scale=float(end.params[0]),
        criterion_value=float(end.value),
        n_solves=sel.n_solves + engine.n_solves + criterion.n_solves - solves0,
        n_applications=sel.n_applications
        + engine.n_applications
        + criterion.n_applications
        - apps0,
    )
    return replace(run, result=result, state=end.state)


def _trace(points: Sequence[Point], G: int) -> tuple[tuple[NDArray[np.float64], float], ...]:
    return tuple(
        (np.broadcast_to(np.asarray(pt.lam, dtype=float), (G,)).copy(), -float(pt.value))
        for pt in points
    )


def _seed_key(rng: Any) -> Any:
    return rng if rng is None or isinstance(rng, int | np.integer) else id(rng)
