"""Select one λ per group from the data alone (pattern search from the best single λ)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups
from sparseinv.penalties import Penalty
from sparseinv.result import SolveResult
from sparseinv.selection._engine import Engine, check_choice, check_groups, scale_grid
from sparseinv.selection.criteria import (
    CRITERIA,
    Criterion,
    CrossValidation,
    FitCriterion,
    FoldFits,
)
from sparseinv.selection.search import MIN_STEP, STEP, LambdaSearch, Point
from sparseinv.selection.single import (
    LambdaEdgeWarning,
    LambdaSelection,
    _Run,
    run_single,
    warn_at_edge,
)
from sparseinv.weights import RULES, group_weights

__all__ = ["SEARCH_STARTS", "GroupLambdaSelection", "select_group_lambdas"]

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


def select_group_lambdas(
    A: Any,
    b: Any,
    groups: Groups,
    penalty: str | type[Penalty] | Penalty = "l1",
    *,
    method: str = "sure",
    noise_std: float | None = None,
    noise_method: str = "auto",
    lams: Sequence[float] | NDArray[np.float64] | None = None,
    n_lambdas: int = 30,
    lam_min_ratio: float | None = None,
    n_folds: int = 5,
    n_probes: int = 16,
    step: float = 2.0,
    min_step: float = 1.1,
    max_evaluations: int | None = None,
    n_confirm: int = 3,
    starts: Sequence[str] = DEFAULT_STARTS,
    solver: str | Callable[..., SolveResult] = "fista",
    rng: int | np.random.Generator | None = None,
    **solver_options: Any,
) -> GroupLambdaSelection:
    r"""Choose one λ per group from the data alone.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator (matrix-free use only).
    b : ndarray
        Data. Not modified.
    groups : Groups
        The G groups, one λ each.
    penalty : {"l1", "l0", "l2"}, Penalty class or Penalty, optional
        The penalty (default L1).
    method : {"sure", "gcv", "cv"}, optional
        The criterion minimised (default ``"sure"``); see :func:`select_lambda`.
    noise_std : float, optional
        σ for SURE; None estimates it once, before the search, and keeps it fixed.
    noise_method : {"auto", "least_squares", "wavelet", "scaled_lasso", "cv"}, optional
        How σ is estimated (see :func:`estimate_noise_std`).
    lams, n_lambdas, lam_min_ratio : optional
        The grid of the single-λ stage (see :func:`select_lambda`).
    n_folds : int, optional
        K of cross-validation (``"cv"``, and the confirmation), ``2 <= K <= m``.
    n_probes : int, optional
        Hutchinson probes of the L2 degrees of freedom.
    step : float, optional
        First multiplicative step of the search on each λ (> 1, default 2).
    min_step : float, optional
        The search stops once its step is below this factor (> 1, default 1.1).
    max_evaluations : int, optional
        Most criterion evaluations of each search (one per start; default
        ``30 (G + 1)``).
    n_confirm : int, optional
        Number of fresh K-fold splits of the measurements on which the per-group λ
        must beat the single λ before it is returned (default 3; 0 skips the
        confirmation; see Notes).
    starts : sequence of str, optional
        Candidate starting points of the search (keyword-only; default
        ``("single", "lam_max", "column_norm")``): ``"single"`` is the best single λ,
        a rule of :func:`~sparseinv.group_weights` (any of :data:`SEARCH_STARTS`) the
        best scale s of :math:`\lambda_g = s\,w_g` on its own warm-started path (one
        more path each). The search runs from each, the lowest criterion reached
        wins (see Notes). ``("single",)`` is the single-start search.
    solver : str or callable, optional
        Solver name or function.
    rng : int or numpy.random.Generator, optional
        Seed of folds, probes and confirmation splits: a seed gives a deterministic
        result.
    **solver_options
        Passed to every solve (``max_iter``, ``tol``...).

    Returns
    -------
    GroupLambdaSelection

    Raises
    ------
    ValueError
        For an unknown or unsupported ``method`` (the discrepancy principle has no
        unique per-group solution), ``groups`` that do not match A, bad ``n_folds``,
        an empty grid, unknown or no ``starts``, or SURE without a noise level where
        none can be estimated.

    Notes
    -----
    **Starts.** First the best single λ₀ on the path (:func:`select_lambda`, same
    criterion). Then, for every weighting rule in ``starts``, the best scale of
    :math:`\lambda_g = s\,w_g` on a warm-started path of as many scales over the same
    ratio, from the scale where x = 0 down. All paths are scored by the same
    criterion object: the same σ (estimated once, on the single-λ path) and, for
    cross-validation, the same folds, so their values are comparable. The pattern
    search below runs from every start, and the lowest criterion reached wins (ties:
    the order of ``starts``): the best start need not lead to the best end (on one
    ECG draw the ``"lam_max"`` start scored GCV 18.4 against 19.2 for the single λ,
    but its search stopped at a point the confirmation rejected, while the search
    from the single λ reached 14.8 and was confirmed). The search from the
    ``"single"`` start is the single-start search and the confirmation tries the
    ends in increasing order of criterion on the same splits, so the result's
    criterion is never above the single-start result's.

    Why several starts? When the groups' natural λ differ by orders of magnitude,
    every common λ is wrong for some group, and a search from the best single λ
    can be stuck: moving one λ_g by a factor of two changes nothing while it must
    move by a factor of a hundred (a group stays zero, the criterion is flat, and
    only strict improvements are taken). λ_g ∝ λ_max,g (``"lam_max"``) lets every
    group leave zero at the same scale, and ``"column_norm"`` corrects for the
    columns' energies; either starts in the right basin. On two blocks whose
    columns differ by 100× in scale (``block_sparse(column_scales=[1, 0.01])``,
    amplitudes [1, 100]) the single start falls back to one λ (0 dB) and the
    multi-start search reaches 12–13 dB (SURE and CV). Each rule start costs one
    path (``n_lambdas`` solves, K + 1 times as many for cross-validation), counted
    in ``n_solves``, and one search each; a rule whose weights are all equal is the
    single path and is skipped.

    On the ECG problem (wavelet scales as groups, 50 % of the samples kept,
    n = 512, 25 dB; per-group oracle about 20 dB SNR, single-λ oracle 2 dB) the
    search from the single λ stops at 3–4 dB with SURE: on one draw at SURE 998,
    while the search from the ``"column_norm"`` start — whose own SURE, 1185, is
    above the single λ's 1181 — reaches 898 at λ spanning 4.5 decades and 21.9 dB.
    Starts do not fix a criterion whose minimum is elsewhere: on that draw GCV's
    lowest point stays at −1 dB from every start.

    **Search.** The pattern search of
    :meth:`~sparseinv.selection.search.LambdaSearch.pattern` on
    :math:`u = \log\lambda \in \mathbb{R}^G` from the start :math:`u_0`
    (:math:`\log\lambda_0\mathbf 1` for the single λ): each poll tries
    :math:`u \pm h e_g` for every group and :math:`u \pm h\mathbf 1` (the common
    scale); an improvement is taken and pursued in the same direction while it
    improves; a poll without improvement halves h, from ``log(step)`` down to
    ``log(min_step)``. Every evaluation is one solve warm-started from the current
    best solution (K solves for cross-validation, each fold from its own), so the
    search costs about as much as a few single-λ paths; a λ vector evaluated by
    the search from an earlier start is not solved again. Each :math:`\lambda_g`
    stays within the range of its start's grid, at most a thousand times below its
    start, and at most four times the top of its start's path or of the single
    path (room to switch a group off): the per-group λ cannot reach a λ the
    single λ's grid could not. ``at_bound`` reports a λ_g on either bound, and a
    :class:`~sparseinv.selection.LambdaEdgeWarning` is issued for the lower one (the
    criterion may want a smaller λ_g). Coordinates in log λ make the steps
    relative, as λ's effect is; the common-scale direction lets the search
    rebalance the overall level once the ratios move.

    Why not a hypergradient? Implicit differentiation of the solution on its support
    (Bertrand et al. 2022) gives the gradient of a held-out loss in G dimensions
    cheaply, but the criteria here are piecewise smooth with jumps at every support
    change (df is an integer), where gradients mislead; with the few groups of
    physical parametrisations (G ≲ 10) a derivative-free search is robust and
    costs O(G) solves per poll.

    **Guard against overfitting.** Minimising a noisy criterion over G λ fits its
    noise: the literature reports a weighted Lasso with hundreds of λ tuned on a
    validation set losing to one cross-validated λ. Three safeguards:

    1. each search accepts only strict improvements, and a result whose criterion
       is not below the best single λ's is replaced by the single λ, so the
       criterion of the result is never worse than the best single λ's;
    2. the search space is small (G scales, multiplicative steps ≥ ``min_step``);
    3. with ``n_confirm = R > 0`` (default 3) the per-group λ and the single λ are
       compared by cross-validation on R fresh random K-fold partitions of the
       measurements (not the folds the search used): the per-group λ is returned
       only if its held-out squared error, summed over the R partitions, is lower;
       otherwise the next search end below the single λ's criterion is tried on the
       same partitions (in increasing order of criterion, one per start at most),
       and when none passes ``fallback`` is True and the single λ is returned for
       every group.
       One partition is not enough: near the phase transition (density contrast,
       m = 200 for 55 non-zeros) the held-out error of one partition varies by tens
       of percent and rejected a quarter of real gains in our runs; the sum over
       three rejected none there and still caught the losses on the size-only
       control. Cost: RK solves for the single λ and RK per end tried (the
       per-group fold solves start from the single λ's).

    SURE with per-group λ (the weighted Lasso) keeps df = support size. σ is
    estimated once, before the search, and held fixed.

    References
    ----------
    .. [1] R. Hooke, T. A. Jeeves, "Direct search solution of numerical and
       statistical problems", J. ACM 8, 1961.
    .. [2] Q. Bertrand, Q. Klopfenstein, M. Massias, M. Blondel, S. Vaiter,
       A. Gramfort, J. Salmon, "Implicit differentiation for fast hyperparameter
       selection in non-smooth convex learning", JMLR 23, 2022.
    .. [3] R. J. Tibshirani, J. Taylor, "Degrees of freedom in lasso problems",
       Ann. Statist. 40, 2012.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.block_sparse([40, 40], [10, 1], n_measurements=60, rng=0)
    >>> sel = si.select_group_lambdas(p.A, p.b, p.groups, method="sure",
    ...                               noise_std=p.noise_std, n_lambdas=15, rng=0)
    >>> sel.lam.shape, bool(sel.criterion_value <= sel.single_criterion_value)
    ((2,), True)
    """
    method = check_choice(method, "method", tuple(CRITERIA))
    if not CRITERIA[method].per_group:
        supported = sorted(k for k, c in CRITERIA.items() if c.per_group)
        raise ValueError(
            f"method must be one of {supported} for per-group λ; got {method!r} (the "
            "discrepancy principle is one equation and cannot fix G values)"
        )
    step, min_step = check_steps(step, min_step)
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) != 2:
        raise TypeError(f"A must be a 2-D array or linear operator; got {type(A).__name__}")
    groups = check_groups(groups, int(shape[1]))
    G = groups.n_groups
    if max_evaluations is None:
        max_evaluations = 30 * (G + 1)
    max_evaluations = check_positive_number(max_evaluations, "max_evaluations", integer=True)
    n_confirm = check_positive_number(n_confirm, "n_confirm", allow_zero=True, integer=True)
    starts = check_starts(starts)
    gen = np.random.default_rng(rng)
    run = run_single(
        A,
        b,
        penalty,
        groups=groups,
        weights=None,
        method=method,
        noise_std=noise_std,
        noise_method=noise_method,
        lams=lams,
        n_lambdas=n_lambdas,
        lam_min_ratio=lam_min_ratio,
        n_folds=n_folds,
        tau=1.0,
        n_probes=n_probes,
        solver=solver,
        rng=gen,
        solver_options=solver_options,
    )
    sel = search_groups(
        run,
        groups,
        step=step,
        min_step=min_step,
        max_evaluations=max_evaluations,
        n_confirm=n_confirm,
        starts=starts,
    )
    if sel.fallback:
        warn_at_edge(sel.single)
    elif np.any(sel.at_bound < 0):
        low = [str(groups.labels[g]) for g in np.flatnonzero(sel.at_bound < 0)]
        warnings.warn(
            f"the per-group search stopped at the lower bound of λ for group(s) {low} "
            f"(the floor of the start's grid, or 1/{LOWER_SPAN:g} of the start); the "
            "criterion may want a smaller λ there: extend the grid (lam_min_ratio)",
            LambdaEdgeWarning,
            stacklevel=2,
        )
    return sel


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
    any solve, is then the ``"single"`` start. The rule paths of ``starts`` are run
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
    if criterion is None:
        criterion = run.criterion
    else:  # score the run's path with the new criterion: no solve
        if not isinstance(criterion, FitCriterion):
            raise TypeError("criterion must be a FitCriterion, scored on the run's fits")
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
    solves0 = engine.n_solves + criterion.n_solves
    apps0 = engine.n_applications + criterion.n_applications
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
