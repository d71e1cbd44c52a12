r"""Compare λ parametrizations on a problem: one λ, weighting rules, one λ per group.

:func:`compare` chooses the λ of each *strategy* the same way, through the one λ search
(:mod:`sparseinv.selection.search`, by :func:`~sparseinv.selection.strategies.select_strategy`
or a selector of the user's), evaluates the solutions against the problem's truth
(:class:`~sparseinv.evaluation.Evaluation`) and reports what each achieves and what its
choice of λ cost (:class:`~sparseinv.comparison.Comparison`). With the default
``selection="oracle"`` the criterion is a recovery metric against the known ``x_true``:
it measures what each parametrization can achieve at best, not what a data-driven
choice of λ would give.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv import metrics
from sparseinv._validation import check_positive_number
from sparseinv.comparison import Comparison
from sparseinv.evaluation import DOMAINS, METRICS, Evaluation
from sparseinv.operators import as_operator
from sparseinv.penalties import Penalty, penalty_type
from sparseinv.problems import Problem
from sparseinv.result import ConvergenceWarning, SolveResult
from sparseinv.selection.strategies import DATA_SELECTIONS, SelectionResult, select_strategy
from sparseinv.solvers import resolve_solver
from sparseinv.weights import RULES, group_weights

__all__ = [
    "DATA_SELECTIONS",
    "DEFAULT_STRATEGIES",
    "DOMAINS",
    "METRICS",
    "SELECTIONS",
    "STRATEGIES",
    "Comparison",
    "SelectionResult",
    "compare",
]

#: every strategy :func:`compare` knows: one λ, one scale per weighting rule, one λ per group
STRATEGIES = ("single", *(r for r in RULES if r != "uniform"), "per_group")
#: the strategies compared by default
DEFAULT_STRATEGIES = ("single", "sqrt_size", "column_norm", "lam_max", "per_group")
#: named selections for ``compare(selection=...)``: the oracle and the data-driven criteria,
#: all through :func:`~sparseinv.selection.strategies.select_strategy`; each follows the
#: protocol of :func:`compare`
SELECTIONS: dict[str, Callable[..., Any]] = {
    name: functools.partial(select_strategy, method=name) for name in ("oracle", *DATA_SELECTIONS)
}


# ----------------------------------------------------------------------------- protocol
class _CountingSolver:
    """A solver with the signature of :func:`sparseinv.fista` that counts and remembers.

    Every solve made through it is counted (solves, operator applications); the
    results of solves on the problem's own ``A`` and ``b`` are remembered by λ, so that
    the λ a selector returns is not solved for again.
    """

    def __init__(
        self, solver: Callable[..., SolveResult], options: Mapping[str, Any], problem: Problem
    ) -> None:
        self._solver = solver
        self._options = dict(options)
        self._problem = problem
        self.__name__ = getattr(solver, "__name__", "solver")
        self.n_solves = 0
        self.n_applications = 0
        self.cache: dict[bytes, SolveResult] = {}

    def __call__(self, A: Any, b: Any, penalty: Penalty, **kwargs: Any) -> SolveResult:
        options = {**self._options, **kwargs}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = self._solver(A, b, penalty, **options)
        self.n_solves += 1
        self.n_applications += res.n_applications
        if A is self._problem.A and b is self._problem.b:
            self.cache[_lam_key(penalty, self._problem)] = res
        return res

    def lookup(self, lams: NDArray, cls: type[Penalty]) -> SolveResult | None:
        return self.cache.get(_lam_key(cls(lams, groups=self._problem.groups), self._problem))


def _lam_key(penalty: Penalty, problem: Problem) -> bytes:
    coef = penalty.coef_lam
    if isinstance(coef, float):
        coef = np.full(problem.n_features, coef)
    return np.round(np.asarray(coef, dtype=float), 12).tobytes()


def _float_or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


# ----------------------------------------------------------------------------- compare
def compare(
    problem: Problem,
    *,
    penalty: str | type[Penalty] = "l1",
    solver: str | Callable[..., SolveResult] = "fista",
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    metric: str = "snr_db",
    selection: str | Callable[..., Any] = "oracle",
    budget: int = 150,
    domain: str = "model",
    n_lams: int = 25,
    lam_min_ratio: float = 1e-4,
    solver_options: Mapping[str, Any] | None = None,
    selection_options: Mapping[str, Any] | None = None,
) -> Comparison:
    r"""Tune each λ parametrization the same way and tabulate recovery and tuning cost.

    Parameters
    ----------
    problem : Problem
        The problem; oracle selection needs its ``x_true``.
    penalty : {"l1", "l0", "l2"} or Penalty class, default "l1"
        The penalty R.
    solver : {"fista", "ista", "irls"} or callable, default "fista"
        The solver of every solve.
    strategies : sequence of str, default :data:`DEFAULT_STRATEGIES`
        Any of :data:`STRATEGIES`: ``"single"`` (one λ), a rule of
        :func:`~sparseinv.group_weights` (one scale :math:`s`,
        :math:`\lambda_g = s\,w_g`), ``"per_group"`` (every :math:`\lambda_g`).
    metric : str, default "snr_db"
        What oracle tuning optimizes: ``"snr_db"``, ``"nmse_db"``,
        ``"relative_error"`` or ``"f1"`` (support recovery).
    selection : str or callable, default "oracle"
        How λ is chosen: ``"oracle"``, another name in :data:`SELECTIONS`, or a
        callable following the protocol in Notes.
    budget : int, default 150
        Most solves per strategy (the per-group search's own solves; the single-λ
        search it starts from is bounded by its grid).
    domain : {"model", "synthesis"}, default "model"
        Where ``snr_db``, ``nmse_db`` and ``relative_error`` compare estimate and
        truth: the coefficients, or ``problem.extra["synthesis"] @ x`` against
        ``synthesis @ x_true`` (e.g. the full seismic gather of
        :func:`~sparseinv.problems.trace_interpolation`; the real part when the
        truth is real). Support F1 and the per-group SNR are always on the model.
    n_lams : int, default 25
        Grid points of the scale searches.
    lam_min_ratio : float, default 1e-4
        Smallest grid point relative to the largest.
    solver_options : dict, optional
        Passed to every solve (``max_iter``, ``tol``...).
    selection_options : dict, optional
        Extra keywords of the selection: for the built-in ones those of
        :func:`~sparseinv.selection.strategies.select_strategy` (``noise_std``,
        ``noise_method``, ``n_folds``, ``n_repeats``, ``cv_rule``, ``n_lambdas``,
        ``lam_min_ratio``, ``n_confirm``, ``starts``, ``rng``...); for a callable,
        passed to every call.

    Returns
    -------
    Comparison
        ``records`` holds one dict per strategy with the keys

        - ``"strategy"``; ``"lams"`` (one λ per group); ``"weights"`` and ``"scale"``
          (:math:`w` and :math:`s`, None / NaN for ``"per_group"``);
        - ``"snr_db"``, ``"nmse_db"``, ``"relative_error"`` (in ``domain``), ``"f1"``,
          ``"per_group_snr_db"`` (model domain, one per group), ``"model_snr_db"``,
          ``"synthesis_snr_db"`` (NaN without a synthesis), ``"gain_db"`` (SNR gain
          over ``"single"``, NaN when ``"single"`` is not compared);
        - ``"n_solves"``, ``"n_operator_applications"``, ``"seconds"``: the tuning cost
          (weights, reference λ and every solve included; ``"per_group"`` includes
          the single-λ search it starts from);
        - ``"converged"`` (the final solve; for a data-driven selection, every solve
          of its full-data path), ``"at_edge"`` (best grid point at the smallest λ of
          the grid), ``"same_as"`` (see Notes; else None);
        - ``"noise_std"`` and ``"noise_method"``: the σ a data-driven selection used
          and where it came from (NaN and None otherwise).

    Raises
    ------
    ValueError
        For an unknown strategy, metric, domain or selection, for oracle selection
        on a problem without ``x_true``, for ``"synthesis"`` without
        ``problem.extra["synthesis"]``, and for ``"lam_max"`` with L2.
    TypeError
        When ``problem`` is not a :class:`~sparseinv.problems.Problem`.

    Notes
    -----
    Every strategy minimizes :math:`\tfrac12\|Ax-b\|^2 + \sum_g\lambda_g\sum_{i\in g}R(x_i)`.

    - ``"single"`` and the rules tune one scale :math:`s` in :math:`\lambda_g = s\,w_g`
      (:math:`w = 1` for ``"single"``) on a log grid of ``n_lams`` scales, by a
      warm-started path from :math:`s_{\max}` (every group zero for L1) down
      (:meth:`~sparseinv.selection.search.LambdaSearch.scan`).
    - ``"per_group"`` starts from the chosen single λ and its solution and runs the
      pattern search on :math:`\log\lambda` of
      :func:`~sparseinv.select_group_lambdas` (one :math:`\lambda_g`, or the common
      scale, at a time by factors 2, √2, 2^{1/4}..., an improving move pursued while
      it improves), at most ``budget`` evaluations, each :math:`\lambda_g` within
      the single grid's range with room to switch a group off,
      :math:`[\text{lam\_min\_ratio}\cdot\lambda_{\max}, 4\lambda_{\max}]`, so that
      neither strategy reaches λ the other cannot. It never returns a λ whose
      criterion is worse than the single λ's.
    - A rule whose weights equal those of a strategy already run (``"size"`` with
      equal-sized groups is ``"single"``) is the same one-scale family: its tuning is
      not repeated, its record repeats that result and cost, and ``"same_as"`` names
      the strategy.

    **Oracle.** ``selection="oracle"`` maximizes ``metric`` against ``x_true``
    (:class:`~sparseinv.selection.criteria.Oracle`): an upper bound on what each
    parametrization can deliver, a fair comparison of parametrizations, not a
    method for real data. Its scan stops five grid points past the best, the best
    scale is refined by the same pattern search to the resolution of the per-group
    search (factor :math:`2^{1/8}`, so that no strategy wins by a finer grid), and a
    move must gain more than 1e-3 (dB for the SNR-type metrics, which rank solutions
    identically and are all tuned as the SNR); the per-group search starts from the
    refined single λ (``selection_options={"starts": ...}`` adds weighting-rule
    starts).

    **Data-driven.** ``"cv"``, ``"discrepancy"``, ``"sure"``, ``"gcv"`` and
    ``"quasi_optimality"`` (:data:`DATA_SELECTIONS`) choose λ from ``A`` and ``b``
    alone, with the same search and a criterion of :func:`~sparseinv.select_lambda`:
    one-scale strategies
    on the grid (no refinement between grid points: the λ of
    :func:`~sparseinv.select_lambda`), ``"per_group"`` by the multi-start search
    and confirmation of :func:`~sparseinv.select_group_lambdas` continued from the
    ``"single"`` path (its record's cost adds only the search to the cost of
    ``"single"``). σ is estimated (:func:`~sparseinv.estimate_noise_std`), never
    read from ``problem.noise_std``, unless ``selection_options`` gives
    ``noise_std``; the discrepancy principle, one equation, chooses per-group λ by
    SURE with its σ̂, and quasi-optimality, whose comparison of λ with ρλ has no
    per-group form, by cross-validation from its λ. ``metric`` and ``domain`` only
    shape the records, which are still measured against ``x_true`` when the problem
    has it (NaN otherwise), so the regret of a selection is its oracle's metric minus
    its own.

    **Selection protocol.** Any other selector, named in :data:`SELECTIONS` or given
    as a callable, is called once per strategy as::

        selection(problem, penalty, weights, *, start, solver, budget)

    - ``problem``: the :class:`~sparseinv.problems.Problem` (a data-driven
      selector must not read ``x_true``);
    - ``penalty``: the penalty class (:class:`~sparseinv.L1`...);
    - ``weights``: one weight per group, tune the scale :math:`s` of
      :math:`\lambda_g = s\,w_g` (all ones for ``"single"``); or None, tune every
      :math:`\lambda_g` (``"per_group"``), from ``start``;
    - ``start``: None, or for ``"per_group"`` the result of ``"single"`` under the
      same selector (a :class:`~sparseinv.selection.strategies.SelectionResult`, or
      whatever the selector returned for it with ``.lams`` and ``.x``);
    - ``solver``: a function with the signature of :func:`~sparseinv.fista` (the
      options bound) that counts every call; make every solve through it, directly
      or as ``lambda_path(..., solver=solver)``, so the cost is recorded;
    - ``budget``: most solves.

    It returns the chosen λ, one value per group (or one number), or a
    :class:`~sparseinv.selection.strategies.SelectionResult`. When it returns λ, the
    solution is the last solve it made at that λ on ``problem.A``, ``problem.b``, or
    one more solve. A new rule is wired as ``selection="name"`` by adding an adapter
    with this signature to :data:`SELECTIONS`; a new criterion is best given to
    :func:`~sparseinv.selection.strategies.select_strategy` (every built-in
    selection is that function with its ``method``).

    Examples
    --------
    >>> import sparseinv as si
    >>> p = si.problems.density_contrast(rng=0)
    >>> res = si.compare(p, strategies=("single", "per_group"), n_lams=15)
    >>> single, grouped = res.records
    >>> bool(grouped["snr_db"] > single["snr_db"] + 1.0)
    True
    >>> bool(grouped["lams"][1] > grouped["lams"][0])   # the sparse block gets the larger λ
    True

    The same parametrizations with λ chosen by SURE (σ estimated from the data),
    and the regret of each against its oracle:

    >>> auto = si.compare(p, strategies=("single", "per_group"), selection="sure", n_lams=15,
    ...                   selection_options={"lam_min_ratio": 1e-3})
    >>> regret = [o["snr_db"] - a["snr_db"] for o, a in zip(res.records, auto.records)]
    >>> single, grouped = auto.records
    >>> single["noise_method"], bool(grouped["lams"][0] < grouped["lams"][1])
    ('cv', True)
    """
    if not isinstance(problem, Problem):
        raise TypeError(
            f"problem must be a sparseinv.problems.Problem; got {type(problem).__name__}"
        )
    cls = penalty_type(penalty)
    solve = resolve_solver(solver)
    solver_name = solver if isinstance(solver, str) else getattr(solver, "__name__", "solver")
    strategies = _check_strategies(strategies)
    if not isinstance(metric, str) or metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(map(repr, METRICS))}; got {metric!r}")
    if not isinstance(domain, str) or domain not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(map(repr, DOMAINS))}; got {domain!r}")
    if domain == "synthesis" and "synthesis" not in problem.extra:
        raise ValueError(
            "domain='synthesis' needs problem.extra['synthesis'] (an operator from the model "
            f"to the signal); problem {problem.name!r} has none"
        )
    if cls.name == "l2" and "lam_max" in strategies:
        raise ValueError(
            "strategies must not hold 'lam_max' with penalty 'l2' (a ridge zeroes no group, "
            "so there is no λ_max to equalize)"
        )
    budget = check_positive_number(budget, "budget", integer=True)
    select, selection_name = _resolve_selection(selection)
    extra = dict(selection_options or {})
    if selection_name == "oracle" and problem.x_true is None:
        raise ValueError(
            "selection='oracle' tunes λ against problem.x_true, but problem "
            f"{problem.name!r} has x_true=None; pass a data-driven selection"
        )
    if selection_name in SELECTIONS and select is SELECTIONS[selection_name]:
        builtin = {"n_lambdas": n_lams, "lam_min_ratio": lam_min_ratio}
        if selection_name == "oracle":
            builtin.update(metric=metric, domain=domain)
        select = functools.partial(select, **{**builtin, **extra})
    elif extra:
        select = functools.partial(select, **extra)
    evaluation = Evaluation(problem, domain)
    options = dict(solver_options or {})

    runs: dict[str, tuple[Any, NDArray | None, float, int, int, float]] = {}
    same_as: dict[str, str] = {}
    needed = ["single", *strategies] if "per_group" in strategies else list(strategies)
    for name in dict.fromkeys(needed):
        if name == "per_group":
            continue
        t0 = time.perf_counter()
        weights, n_weight_apps = _weights(problem, cls, name)
        # equal weights are the same one-scale family (e.g. "size" with equal-sized
        # groups is "single"): its tuning is not repeated
        twin = next((o for o, r in runs.items() if np.allclose(r[1], weights, rtol=1e-9)), None)
        if twin is not None:
            same_as[name] = twin
            runs[name] = (runs[twin][0], weights, *runs[twin][2:])
            continue
        runs[name] = _run(
            problem, cls, select, solve, options, budget, None, weights, n_weight_apps, t0
        )
    if "per_group" in strategies:
        start = runs["single"][0]
        tuned = _run(
            problem, cls, select, solve, options, budget, start, None, 0, time.perf_counter()
        )
        # its cost includes the single-λ search it starts from
        s = runs["single"]
        runs["per_group"] = (
            tuned[0],
            None,
            math.nan,
            tuned[3] + s[3],
            tuned[4] + s[4],
            tuned[5] + s[5],
        )

    records, solutions, estimates = [], {}, {}
    base = evaluation.metric("snr_db", runs["single"][0].x) if "single" in strategies else math.nan
    has_synthesis = evaluation.synthesis is not None
    synthesis_eval = Evaluation(problem, "synthesis") if has_synthesis else None
    for name in strategies:
        tuned, weights, scale, n_solves, n_apps, seconds = runs[name]
        x = tuned.x
        snr = evaluation.metric("snr_db", x)
        model_snr = (
            float(metrics.snr_db(problem.x_true, x)) if problem.x_true is not None else math.nan
        )
        synth_snr = math.nan
        if has_synthesis and problem.x_true is not None:
            synth_snr = snr if domain == "synthesis" else synthesis_eval.metric("snr_db", x)
        per_group = (
            metrics.per_group(metrics.snr_db, problem.x_true, x, problem.groups)
            if problem.x_true is not None
            else np.full(problem.groups.n_groups, math.nan)
        )
        result = tuned.result
        records.append(
            {
                "strategy": name,
                "snr_db": snr,
                "nmse_db": evaluation.metric("nmse_db", x),
                "relative_error": evaluation.metric("relative_error", x),
                "f1": evaluation.metric("f1", x),
                "gain_db": snr - base,
                "model_snr_db": model_snr,
                "synthesis_snr_db": synth_snr,
                "per_group_snr_db": per_group,
                "lams": np.array(tuned.lams, dtype=float),
                "weights": None if weights is None else np.array(weights),
                "scale": scale,
                "n_solves": int(n_solves),
                "n_operator_applications": int(n_apps),
                "seconds": float(seconds),
                "converged": (
                    bool(result.converged)
                    if result is not None
                    else bool(getattr(tuned, "converged", True))
                ),
                "at_edge": bool(tuned.at_edge),
                "same_as": same_as.get(name),
                "noise_std": _float_or_nan(getattr(tuned, "noise_std", None)),
                "noise_method": getattr(tuned, "noise_method", None),
            }
        )
        solutions[name] = x
        estimates[name] = evaluation.to_domain(x)
    return Comparison(
        records=records,
        problem_name=problem.name,
        metric=metric,
        penalty=cls.name,
        solver=solver_name,
        selection=selection_name,
        domain=domain,
        solutions=solutions,
        reference=evaluation.reference,
        estimates=estimates,
        groups=problem.groups,
    )


def _check_strategies(strategies: Any) -> tuple[str, ...]:
    if isinstance(strategies, str):
        strategies = (strategies,)
    try:
        out = tuple(strategies)
    except TypeError:
        raise TypeError(f"strategies must be a sequence of str; got {strategies!r}") from None
    if not out:
        raise ValueError("strategies must name at least one strategy; got none")
    for s in out:
        if not isinstance(s, str) or s not in STRATEGIES:
            raise ValueError(
                f"strategies must be among {', '.join(map(repr, STRATEGIES))}; got {s!r}"
            )
    if len(set(out)) != len(out):
        raise ValueError(f"strategies must not repeat a strategy; got {list(out)}")
    return out


def _resolve_selection(selection: Any) -> tuple[Callable[..., Any], str]:
    if isinstance(selection, str):
        if selection not in SELECTIONS:
            raise ValueError(
                f"selection must be one of {', '.join(map(repr, SELECTIONS))} or a callable; "
                f"got {selection!r}"
            )
        return SELECTIONS[selection], selection
    if callable(selection):
        return selection, getattr(selection, "__name__", type(selection).__name__)
    raise TypeError(f"selection must be a str or a callable; got {type(selection).__name__}")


def _weights(problem: Problem, cls: type[Penalty], name: str) -> tuple[NDArray, int]:
    """The weights of a one-scale strategy and the operator applications they took."""
    if name == "single":
        return np.ones(problem.groups.n_groups), 0
    op = as_operator(problem.A)
    weights = group_weights(op, problem.b, problem.groups, name, penalty=cls)
    return weights, op.n_applications


def _run(
    problem: Problem,
    cls: type[Penalty],
    select: Callable[..., Any],
    solve: Callable[..., SolveResult],
    options: Mapping[str, Any],
    budget: int,
    start: Any,
    weights: NDArray | None,
    n_weight_apps: int,
    t0: float,
) -> tuple[Any, NDArray | None, float, int, int, float]:
    """One strategy: selection and final solution, with its cost since ``t0``."""
    counter = _CountingSolver(solve, options, problem)
    groups = problem.groups
    out = select(problem, cls, weights, start=start, solver=counter, budget=budget)
    if hasattr(out, "lams") and hasattr(out, "x"):  # a SelectionResult (or alike)
        tuned = out
    else:
        lams = np.asarray(out, dtype=float)
        if lams.ndim == 0:
            lams = np.full(groups.n_groups, float(lams))
        res = counter.lookup(lams, cls)
        if res is None:
            x0 = None if start is None else start.x
            res = counter(problem.A, problem.b, cls(lams, groups=groups), x0=x0)
        tuned = SelectionResult(
            lams=lams,
            x=res.x,
            score=math.nan,
            result=res,
            n_solves=counter.n_solves,
            n_applications=counter.n_applications,
            seconds=time.perf_counter() - t0,
            trace=(),
        )
    # both tallies see every solve; a SelectionResult adds its set-up (λ_max, ‖A‖²)
    n_apps = max(counter.n_applications, tuned.n_applications) + n_weight_apps
    n_solves = max(counter.n_solves, tuned.n_solves)
    scale = math.nan
    if weights is not None:
        scale = float(np.median(tuned.lams / weights))
    return tuned, weights, scale, n_solves, n_apps, time.perf_counter() - t0
