"""The per-group λ search: multi-start pattern search on log λ and its confirmation.

:func:`search_groups` continues a finished single-λ run
(:func:`~sparseinv.selection.single.run_single`) with the one λ search of
:mod:`sparseinv.selection.search`: from the single λ and from the best scales of
weighting-rule paths, a pattern search per start on the same criterion, the best end
confirmed on fresh cross-validation splits. :func:`~sparseinv.select_group_lambdas`
and the ``"per_group"`` strategy of :func:`~sparseinv.compare` (oracle included) are
this function with their own options.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups
from sparseinv.selection._engine import Engine, scale_grid
from sparseinv.selection.criteria import Criterion, CrossValidation, FitCriterion, FoldFits
from sparseinv.selection.lambda_selection import LambdaSelection
from sparseinv.selection.search import MIN_STEP, STEP, LambdaSearch, Point
from sparseinv.selection.single import _Run
from sparseinv.weights import RULES, group_weights

__all__ = [
    "DEFAULT_STARTS",
    "HEADROOM",
    "LOWER_SPAN",
    "SEARCH_STARTS",
    "GroupLambdaSelection",
    "check_starts",
    "check_steps",
    "search_groups",
]

#: the per-group search never moves a λ further than this factor below its start
LOWER_SPAN = 1e3
#: ... nor above this factor times the largest λ of its start's path (or the single
#: path's): a group's own zeroing threshold can exceed λ_max once the others fit part of b
HEADROOM = 4.0
#: possible starting points of the per-group search: the best single λ, or the best
#: scale s of λ_g = s·w_g for a weighting rule of :func:`~sparseinv.group_weights`
SEARCH_STARTS = ("single", *(rule for rule in RULES if rule != "uniform"))
#: the default starts of :func:`select_group_lambdas`
DEFAULT_STARTS = ("single", "lam_max", "column_norm")


@dataclass(frozen=True)
class GroupLambdaSelection:
    """Result of :func:`select_group_lambdas`.

    Attributes
    ----------
    lam : ndarray
        One λ per group, positive and finite.
    x : ndarray
        The solution at ``lam`` on the full data.
    method : str
        The criterion minimised (``"sure"``, ``"gcv"`` or ``"cv"``).
    penalty : str
        ``"l0"``, ``"l1"`` or ``"l2"``.
    groups : Groups
        The groups ``lam`` refers to.
    criterion_value : float
        The criterion at ``lam``.
    single_lam : float
        The best single λ (the ``"single"`` start, and the fallback).
    single_criterion_value : float
        The criterion at ``single_lam``; never below ``criterion_value``.
    confirm_value, single_confirm_value : float
        The held-out squared error of the searched per-group λ and of the single λ,
        averaged over the ``n_confirm`` fresh K-fold splits of the confirmation (see
        Notes of :func:`select_group_lambdas`); NaN without confirmation.
    fallback : bool
        True when the search or its confirmation did not improve on the single λ,
        so that ``lam`` is ``single_lam`` for every group.
    searched_lam : ndarray
        The per-group λ the search found (equal to ``lam`` unless ``fallback``).
    search_lams : ndarray
        Every λ vector the searches evaluated (one search after the other, in the
        order of the starts), shape ``(n_evaluations, n_groups)``.
    search_criterion : ndarray
        The criterion of each, shape ``(n_evaluations,)``.
    single : LambdaSelection
        The single-λ selection (with its path): the fallback, and one of the starts.
    noise_std : float or None
        σ used by SURE (given or estimated), None for ``"gcv"`` and ``"cv"``.
    noise_method : str or None
        Where σ came from (see :class:`LambdaSelection`).
    n_evaluations : int
        Criterion evaluations of the searches (each one solve, K for ``"cv"``).
    n_solves : int
        Solves in total: single-λ path, search and confirmation.
    n_applications : int
        Applications of A and Aᴴ (or of row subsets of A) in total.
    start : str
        The start of the winning search: ``"single"`` or a weighting rule (see Notes
        of :func:`select_group_lambdas`).
    start_lam : ndarray
        λ at that start, one per group.
    start_values : dict of str to float
        The criterion at the best point of every start that was scored (a rule whose
        weights are undefined or all equal is skipped).
    search_values : dict of str to float
        The criterion the search from each start reached.
    start_curves : dict of str to (ndarray, ndarray)
        The criterion curve of every rule start's path: its λ, shape
        ``(n_lambdas, G)``, and the criterion at each (the ``"single"`` curve is
        ``single.path_lams`` and ``single.criterion``).
    at_bound : ndarray of int
        Per group: −1 when the searched λ_g sits at the lower bound of its search, +1
        at the upper bound, 0 inside (see Notes of :func:`select_group_lambdas`).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> g = si.Groups.from_sizes([4, 2])
    >>> b = np.array([4.0, -3.0, 0.1, -0.05, 0.1, 0.2])
    >>> sel = si.select_group_lambdas(np.eye(6), b, g, method="sure", noise_std=0.2,
    ...                               n_confirm=0)
    >>> sel.lam.round(3).tolist(), sel.x[2:].tolist(), sel.at_bound.tolist()
    ([0.112, 0.225], [0.0, 0.0, 0.0, 0.0], [0, 0])
    """

    lam: NDArray[np.float64]
    x: Any
    method: str
    penalty: str
    groups: Groups
    criterion_value: float
    single_lam: float
    single_criterion_value: float
    confirm_value: float
    single_confirm_value: float
    fallback: bool
    searched_lam: NDArray[np.float64]
    search_lams: NDArray[np.float64]
    search_criterion: NDArray[np.float64]
    single: LambdaSelection
    noise_std: float | None
    noise_method: str | None
    n_evaluations: int
    n_solves: int
    n_applications: int
    start: str = "single"
    start_lam: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    start_values: dict[str, float] = field(default_factory=dict)
    search_values: dict[str, float] = field(default_factory=dict)
    start_curves: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] = field(
        default_factory=dict
    )
    at_bound: NDArray[np.int8] = field(default_factory=lambda: np.empty(0, dtype=np.int8))

    def __post_init__(self) -> None:
        for name in ("lam", "searched_lam", "search_lams", "search_criterion", "start_lam"):
            arr = np.array(getattr(self, name), dtype=float)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        bound = np.array(self.at_bound, dtype=np.int8)
        bound.flags.writeable = False
        object.__setattr__(self, "at_bound", bound)


def check_steps(step: Any, min_step: Any) -> tuple[float, float]:
    """``(step, min_step)`` if ``1 < min_step <= step``, both finite."""
    step = check_positive_number(step, "step")
    min_step = check_positive_number(min_step, "min_step")
    if step <= 1 or min_step <= 1 or min_step > step:
        raise ValueError(
            f"step and min_step must satisfy 1 < min_step <= step; got {step}, {min_step}"
        )
    return step, min_step


def check_starts(starts: Any) -> tuple[str, ...]:
    """``starts`` as a tuple of distinct names of :data:`SEARCH_STARTS` (a string is one).

    Raises
    ------
    ValueError
        For an unknown name or an empty ``starts``.
    TypeError
        When ``starts`` is not a string or a sequence of strings.
    """
    if isinstance(starts, str):
        starts = (starts,)
    try:
        names = tuple(starts)
    except TypeError:
        raise TypeError(
            f"starts must be a sequence of names of {list(SEARCH_STARTS)}; "
            f"got {type(starts).__name__}"
        ) from None
    if not names:
        raise ValueError(f"starts must hold at least one of {list(SEARCH_STARTS)}; got none")
    for name in names:
        if not isinstance(name, str) or name not in SEARCH_STARTS:
            raise ValueError(f"starts must be names of {list(SEARCH_STARTS)}; got {name!r}")
    return tuple(dict.fromkeys(names))


def _rule_start(
    run: _Run, search: LambdaSearch, groups: Groups, rule: str
) -> tuple[Point, NDArray[np.float64], tuple[NDArray, NDArray], NDArray[np.float64]] | None:
    """The best point of the path of λ_g = s·w_g for ``rule``, scored by the search's
    criterion, with the λ at the path's top, the path's curve and its floor (λ at the
    smallest scale of the grid).

    The path has as many scales over the same ratio as the single-λ path, from the
    scale where x = 0 down (the scan of ``search``, on the run's engine: its counters
    record the cost). None when the rule's weights are undefined (``"lam_max"`` for
    L2, a group without correlation) or all equal (the single-λ path again).
    """
    engine = run.engine
    try:
        w = group_weights(engine.op, engine.b, groups, rule, penalty=engine.penalty)
    except ValueError:
        return None
    if rule == "lam_max":  # its Aᴴb goes through a fresh operator view: count it here
        engine.count(1)
    if np.allclose(w, w[0], rtol=1e-9):
        return None
    scales = run.result.path_scales
    ratio = float(run.grid_floor / scales[0])
    top = engine.top_scale(w)
    grid = scale_grid(top, n_lambdas=run.grid_size, lam_min_ratio=ratio) if ratio < 1 else [top]
    path = search.scan([np.asarray(s * w) for s in grid], to_lams=_identity)
    values = np.array([pt.value for pt in path])
    index = search.score.choose(values, [pt.state for pt in path])
    curve = (np.array([pt.lam for pt in path]), values)
    return path[index], np.asarray(path[0].lam, dtype=float), curve, float(grid[-1]) * w


def _identity(params: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(params, dtype=float)


def search_groups(
    run: _Run,
    groups: Groups,
    *,
    step: float = STEP,
    min_step: float = MIN_STEP,
    max_evaluations: int | None = None,
    n_confirm: int = 3,
    criterion: Criterion | None = None,
    starts: Sequence[str] = DEFAULT_STARTS,
    expansion: float = 1.0,
) -> GroupLambdaSelection:
    """The per-group search of :func:`select_group_lambdas` from a finished single-λ run.

    ``run`` is what :func:`~sparseinv.selection.single.run_single` returned (one λ for
    every group, no weights); the search continues with its engine, criterion, folds
    and random generator, so ``run_single(rng=seed)`` followed by this call gives the
    same result as ``select_group_lambdas(rng=seed)``. ``criterion`` replaces the
    run's criterion (e.g. SURE on the fits of a discrepancy-principle path, with the
    same σ): its best point on the run's path, computed from the path's fits without
    any solve, is then the ``"single"`` start; a criterion that solves its own
    problems (cross-validation) is evaluated at the run's λ instead, which stays the
    ``"single"`` start. The rule paths of ``starts`` are run
    on the run's engine and scored by the same criterion (same σ, same folds); with
    ``n_confirm = 0`` the result is the best end of the searches, or the single λ
    when none improves on it (what the oracle of :func:`sparseinv.compare` uses).
    ``expansion`` is that of :meth:`~sparseinv.selection.search.LambdaSearch.pattern`.
    Arguments are validated by the caller (``starts`` by :func:`check_starts`).
    """
    G = groups.n_groups
    if max_evaluations is None:
        max_evaluations = 30 * (G + 1)
    starts = check_starts(starts)
    gen = run.gen
    engine = run.engine
    single = run.result
    state0 = run.state
    given = criterion is not None
    if criterion is None:
        criterion = run.criterion
    # what the search adds, from here (a new criterion's start included)
    solves0 = engine.n_solves + criterion.n_solves
    apps0 = engine.n_applications + criterion.n_applications
    if given and isinstance(criterion, FitCriterion):  # score the run's path: no solve
        values = np.array([criterion.score(fit) for fit in run.fits])
        index = criterion.choose(values, run.fits)
        state0 = run.fits[index]
        single = replace(
            single,
            lam=single.path_lams[index],
            x=run.fits[index].x,
            method=criterion.name,
            index=index,
            scale=float(single.path_scales[index]),
            criterion_value=float(values[index]),
            criterion=values,
        )
    elif given:  # a criterion with its own solves (CV): scored at the run's λ, the start
        value, state0 = criterion.evaluate(np.full(G, float(single.lam)), None)
        single = replace(single, method=criterion.name, criterion_value=float(value))
    lam0 = float(single.lam)
    search = LambdaSearch(criterion)
    single_top = np.full(G, float(single.path_scales[0]))
    first = Point(np.full(G, lam0), np.full(G, lam0), float(single.criterion_value), state0)
    floors = {"single": np.full(G, run.grid_floor)}
    candidates = [("single", first, single_top)]
    curves: dict[str, tuple[NDArray, NDArray]] = {}
    if G > 1:  # with one group every rule is the single λ
        for rule in starts:
            if rule != "single":
                found = _rule_start(run, search, groups, rule)
                if found is not None:
                    candidates.append((rule, found[0], found[1]))
                    curves[rule] = found[2]
                    floors[rule] = found[3]
    scored = [c for c in candidates if c[0] in starts] or candidates[:1]
    scored.sort(key=lambda c: starts.index(c[0]) if c[0] in starts else 0)
    # every λ_g stays within the range of its start's grid (so that the per-group λ
    # cannot win by reaching below the floor the single λ was held to), at most
    # LOWER_SPAN below its start, and below HEADROOM times the grid's top
    bounds = {
        name: (
            np.maximum(np.asarray(point.lam, dtype=float) / LOWER_SPAN, floors[name]),
            HEADROOM * np.maximum(top, single_top),
        )
        for name, point, top in scored
    }
    # one search from every start (shared cache); the lowest criterion reached wins
    # (the first of ``starts`` among ties): the best start need not lead to the best end
    trace0 = search.n_evaluations
    ends = search.multi_start(
        [(point, *bounds[name]) for name, point, _ in scored],
        to_lams=_identity,
        step=step,
        min_step=min_step,
        max_evaluations=max_evaluations,
        expansion=expansion,
    )
    searched_points = search.trace[trace0:]
    # the ends below the single λ's criterion, best first (stable: the order of
    # ``starts`` among ties), one per distinct λ
    order = sorted(range(len(ends)), key=lambda i: ends[i].value)
    improving: list[int] = []
    for i in order:
        if search.better(ends[i].value, single.criterion_value) and not any(
            np.allclose(ends[i].params, ends[j].params, rtol=0.0, atol=1e-12) for j in improving
        ):
            improving.append(i)
    best = improving[0] if improving else order[0]
    improved = bool(improving)
    confirm_value = single_confirm = math.nan
    extra_solves = extra_apps = 0
    if improved and n_confirm > 0:
        # the same R fresh splits for every end: the first (lowest criterion) whose
        # held-out error beats the single λ's is returned
        checks = []
        single_confirm = 0.0
        n_folds = getattr(run.criterion, "n_folds", 5)
        for _ in range(n_confirm):
            check = CrossValidation(engine, n_folds=n_folds, rng=gen)
            value_single, folds = check.evaluate(np.full(G, lam0), None)
            single_confirm += value_single / n_confirm
            checks.append((check, folds))
        improved = False
        for i in improving:
            held = sum(
                check.evaluate(np.asarray(ends[i].lam), folds)[0] / n_confirm
                for check, folds in checks
            )
            if math.isnan(confirm_value):
                confirm_value = held  # the best end's, reported on fallback
            if held < single_confirm:
                best, confirm_value, improved = i, held, True
                break
        for check, _ in checks:
            extra_solves += check.n_solves
            extra_apps += check.n_applications
    end = ends[best]
    name, start_point, _ = scored[best]
    searched = np.asarray(end.lam, dtype=float)
    lower, upper = bounds[name]
    at_bound = np.zeros(G, dtype=np.int8)
    at_bound[np.isclose(searched, lower, rtol=1e-9)] = -1
    at_bound[np.isclose(searched, upper, rtol=1e-9)] = 1
    if improved:
        lam, value = searched, end.value
        x = _full_solution(engine, end, start_point)
    else:
        lam, value, x = np.full(G, lam0), single.criterion_value, single.x
        at_bound[:] = 0
    # the single stage's cost (noise estimate included) plus what the search added
    total_solves = single.n_solves + extra_solves + (engine.n_solves + criterion.n_solves - solves0)
    total_apps = (
        single.n_applications
        + extra_apps
        + (engine.n_applications + criterion.n_applications - apps0)
    )
    return GroupLambdaSelection(
        lam=lam,
        x=x,
        method=criterion.name,
        penalty=single.penalty,
        groups=groups,
        criterion_value=float(value),
        single_lam=lam0,
        single_criterion_value=single.criterion_value,
        confirm_value=float(confirm_value),
        single_confirm_value=float(single_confirm),
        fallback=not improved,
        searched_lam=searched,
        search_lams=(
            np.array([pt.lam for pt in searched_points]) if searched_points else np.empty((0, G))
        ),
        search_criterion=np.array([pt.value for pt in searched_points]),
        single=single,
        noise_std=single.noise_std,
        noise_method=single.noise_method,
        n_evaluations=len(searched_points),
        n_solves=total_solves,
        n_applications=total_apps,
        start=name,
        start_lam=np.asarray(start_point.lam, dtype=float),
        start_values={n: float(pt.value) for n, pt, _ in scored},
        search_values={n: float(e.value) for (n, _, _), e in zip(scored, ends, strict=True)},
        start_curves=curves,
        at_bound=at_bound,
    )


def _full_solution(engine: Engine, end: Point, start: Point) -> Any:
    """The full-data solution at ``end``: the search's own for full-data criteria."""
    if isinstance(end.state, FoldFits):
        return engine.fit(np.asarray(end.lam), x0=_full_x(start)).x
    return end.state.x


def _full_x(point: Point) -> Any:
    return None if isinstance(point.state, FoldFits) else point.state.x
