r"""Compare λ parametrizations on a problem: one λ, weighting rules, one λ per group.

:func:`compare` tunes each *strategy* the same way and tabulates what it achieves and
what the tuning cost. With the default ``selection="oracle"`` the tuning maximizes a
recovery metric against the known ``x_true``: it measures what each parametrization
can achieve at best, not what a data-driven choice of λ would give.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv import metrics
from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups
from sparseinv.operators import as_operator
from sparseinv.penalties import Penalty, penalty_type
from sparseinv.problems import Problem
from sparseinv.result import ConvergenceWarning, SolveResult
from sparseinv.solvers import resolve_solver
from sparseinv.tuning import TuningResult, reference_lams, tune_per_group, tune_scale
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
    "data_selection",
    "oracle_selection",
]

#: every strategy :func:`compare` knows: one λ, one scale per weighting rule, one λ per group
STRATEGIES = ("single", *(r for r in RULES if r != "uniform"), "per_group")
#: the strategies compared by default
DEFAULT_STRATEGIES = ("single", "sqrt_size", "column_norm", "lam_max", "per_group")
#: metric name -> (function(x_true, x), higher is better)
METRICS: dict[str, tuple[Callable[[Any, Any], float], bool]] = {
    "snr_db": (metrics.snr_db, True),
    "nmse_db": (metrics.nmse_db, False),
    "relative_error": (metrics.relative_error, False),
    "f1": (metrics.f1, True),
}
#: where the recovery metrics compare estimate and truth
DOMAINS = ("model", "synthesis")

_DOMAIN_METRICS = ("snr_db", "nmse_db", "relative_error")
# per-group λ may exceed the single grid's top by this factor (a group's own zeroing
# threshold can exceed λ_max once the other groups fit part of b)
_HEADROOM = 4.0


# ----------------------------------------------------------------------------- evaluation
class _Evaluation:
    """The truth in the chosen domain and the metrics of an estimate against it."""

    def __init__(self, problem: Problem, domain: str) -> None:
        self.problem = problem
        self.domain = domain
        self.synthesis = problem.extra.get("synthesis")
        x_true = problem.x_true
        self.x_true = x_true
        self.reference = None if x_true is None else self.to_domain(x_true)

    def to_domain(self, x: Any) -> NDArray:
        if self.domain == "model":
            return np.asarray(x)
        out = np.asarray(self.synthesis @ np.asarray(x)).reshape(-1)
        ref = getattr(self, "reference", None)
        if ref is None:  # the truth itself: real when its imaginary part is rounding
            if np.iscomplexobj(out) and np.abs(out.imag).max() <= 1e-8 * np.abs(out).max():
                return out.real.copy()
            return out
        return out.real if not np.iscomplexobj(ref) and np.iscomplexobj(out) else out

    def metric(self, name: str, x: Any) -> float:
        if self.x_true is None:
            return math.nan
        fn = METRICS[name][0]
        if name in _DOMAIN_METRICS:
            return float(fn(self.reference, self.to_domain(x)))
        return float(fn(self.x_true, x))

    def score(self, name: str) -> Callable[[Any], float]:
        """The oracle score, higher is better.

        SNR, NMSE and relative error are monotone functions of one another, so all
        three are tuned as the SNR in dB (the unit of the search's ``min_improvement``).
        """
        if name in _DOMAIN_METRICS:
            return lambda x: self.metric("snr_db", x)
        sign = 1.0 if METRICS[name][1] else -1.0
        return lambda x: sign * self.metric(name, x)


# ----------------------------------------------------------------------------- selection
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


def oracle_selection(
    problem: Problem,
    penalty: type[Penalty],
    weights: NDArray[np.float64] | None,
    *,
    start: TuningResult | None = None,
    solver: str | Callable[..., SolveResult] = "fista",
    budget: int | None = None,
    metric: str = "snr_db",
    domain: str = "model",
    n_lams: int = 25,
    lam_min_ratio: float = 1e-4,
) -> TuningResult:
    r"""Oracle choice of λ: the best ``metric`` against ``problem.x_true``.

    The built-in selection of :func:`compare`, and the reference implementation of
    its ``selection`` protocol.

    Parameters
    ----------
    problem : Problem
        A problem with ``x_true``.
    penalty : Penalty class
        :class:`~sparseinv.L0`, :class:`~sparseinv.L1` or :class:`~sparseinv.L2`.
    weights : ndarray or None
        One weight per group: tune the scale :math:`s` of :math:`\lambda_g = s\,w_g`
        (:func:`~sparseinv.tuning.tune_scale`). None: tune every :math:`\lambda_g`
        from ``start`` (:func:`~sparseinv.tuning.tune_per_group`).
    start : TuningResult, optional
        Where the per-group search starts (required when ``weights`` is None).
    solver : str or callable, default "fista"
        The solver to call.
    budget : int, optional
        Most solves.
    metric : str, default "snr_db"
        A key of :data:`METRICS`.
    domain : {"model", "synthesis"}, default "model"
        Where the metric compares (see :func:`compare`).
    n_lams : int, default 25
        Grid points of the scale search.
    lam_min_ratio : float, default 1e-4
        Range of the grid.

    Returns
    -------
    TuningResult

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.density_contrast(rng=0)
    >>> best = oracle_selection(p, si.L1, np.ones(2), n_lams=10)
    >>> round(best.score, 1)
    14.2
    """
    if problem.x_true is None:
        raise ValueError("oracle selection needs problem.x_true; got a problem without it")
    score = _Evaluation(problem, domain).score(metric)
    if weights is None:
        if start is None:
            raise ValueError("start must be given when weights is None (per-group search)")
        # the range of the single-λ grid (with headroom for zeroing a group), so that
        # both searches span the same λ
        op = as_operator(problem.A)
        top = float(np.max(reference_lams(op, problem.b, penalty, problem.groups)))
        tuned = tune_per_group(
            problem.A,
            problem.b,
            penalty,
            score,
            start.lams,
            groups=problem.groups,
            x0=start.x,
            lam_bounds=(lam_min_ratio * top, _HEADROOM * top),
            budget=budget,
            solver=solver,
        )
        return dataclasses.replace(tuned, n_applications=tuned.n_applications + op.n_applications)
    return tune_scale(
        problem.A,
        problem.b,
        penalty,
        score,
        groups=problem.groups,
        weights=weights,
        n_lams=n_lams,
        lam_min_ratio=lam_min_ratio,
        budget=budget,
        solver=solver,
    )


#: the data-driven selections of :func:`compare`: the criteria of :func:`~sparseinv.select_lambda`
DATA_SELECTIONS = ("cv", "discrepancy", "sure", "gcv")


@dataclass(frozen=True, eq=False)
class SelectionResult(TuningResult):
    """A :class:`~sparseinv.tuning.TuningResult` of :func:`data_selection`.

    Attributes
    ----------
    lams : ndarray
        The chosen λ, one value per group.
    x : ndarray
        The solution at ``lams``.
    score : float
        Minus the criterion at ``lams`` (higher is better, as for the oracle).
    result : None
        No :class:`~sparseinv.SolveResult` is kept (see ``converged``).
    n_solves : int
        Solves made (for the per-group search: only what it adds to the single-λ
        path it continues, since :func:`compare` adds the cost of ``"single"``).
    n_applications : int
        Applications of A and Aᴴ (or of row subsets of A), counted the same way.
    seconds : float
        0: :func:`compare` times the selection itself.
    trace : tuple of (ndarray, float)
        Every ``(lams, score)`` the selection evaluated.
    at_edge : bool
        True when the chosen single λ is the smallest of the grid.
    method : str
        The criterion that chose λ (``"sure"`` for the per-group search under the
        discrepancy principle, see :func:`data_selection`).
    selection : LambdaSelection or GroupLambdaSelection or None
        The full result of :func:`~sparseinv.select_lambda` or
        :func:`~sparseinv.select_group_lambdas` (path, criterion, σ̂, fallback...).
    noise_std : float or None
        The σ the criterion used (given or estimated), None for CV and GCV.
    noise_method : str or None
        Where σ came from (``"given"``, ``"least_squares"``, ``"wavelet"``,
        ``"cv"``) or None.
    converged : bool
        Whether every full-data solve of the single-λ path converged.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.density_contrast(n_measurements=120, rng=0)
    >>> sel = data_selection(p, si.L1, np.ones(2), method="gcv", n_lambdas=10)
    >>> sel.method, sel.lams.shape, sel.noise_std is None
    ('gcv', (2,), True)
    """

    method: str = ""
    selection: Any = field(default=None, repr=False)
    noise_std: float | None = None
    noise_method: str | None = None
    converged: bool = True
    # the finished single-λ run, continued by the per-group search (not pickled)
    _run: Any = field(default=None, init=False, repr=False)
    _key: tuple = field(default=(), init=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_run"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def data_selection(
    problem: Problem,
    penalty: type[Penalty],
    weights: NDArray[np.float64] | None,
    *,
    start: TuningResult | None = None,
    solver: str | Callable[..., SolveResult] = "fista",
    budget: int | None = None,
    method: str = "sure",
    noise_std: float | None = None,
    noise_method: str = "auto",
    n_lambdas: int = 25,
    lam_min_ratio: float | None = None,
    n_folds: int = 5,
    tau: float = 1.0,
    n_probes: int = 16,
    n_confirm: int = 3,
    starts: Sequence[str] = ("single", "lam_max", "column_norm"),
    rng: int | np.random.Generator | None = 0,
) -> SelectionResult:
    r"""Data-driven choice of λ for :func:`compare`: CV, discrepancy, SURE or GCV.

    The adapter behind ``compare(selection="cv" | "discrepancy" | "sure" | "gcv")``
    (:data:`SELECTIONS`); it follows the selection protocol of :func:`compare` and
    never reads ``problem.x_true`` or ``problem.noise_std``.

    Parameters
    ----------
    problem : Problem
        The problem (only ``A``, ``b`` and ``groups`` are used).
    penalty : Penalty class
        :class:`~sparseinv.L0`, :class:`~sparseinv.L1` or :class:`~sparseinv.L2`.
    weights : ndarray or None
        One weight per group: select the scale :math:`s` of
        :math:`\lambda_g = s\,w_g` with :func:`~sparseinv.select_lambda`. None: select
        every :math:`\lambda_g` with :func:`~sparseinv.select_group_lambdas`.
    start : TuningResult, optional
        The ``"single"`` result of the same selection: the per-group search continues
        from its path (no solve repeated) when it was made with the same options;
        otherwise the single-λ path is run again.
    solver : str or callable, default "fista"
        The solver of every solve (:func:`compare` passes its counting solver).
    budget : int, optional
        Most criterion evaluations of the per-group search (``max_evaluations`` of
        :func:`~sparseinv.select_group_lambdas`; each is one solve, K for CV); None
        keeps that function's default. The single-λ path is bounded by its grid.
    method : {"sure", "cv", "discrepancy", "gcv"}, default "sure"
        The criterion (see :func:`~sparseinv.select_lambda`).
    noise_std : float, optional
        σ of the noise, for SURE and the discrepancy principle. None (default):
        estimated from the data, never taken from ``problem.noise_std`` (see Notes).
    noise_method : {"auto", "least_squares", "wavelet", "cv"}, default "auto"
        How σ is estimated when ``noise_std`` is None (see Notes).
    n_lambdas : int, default 25
        Grid size of the single-λ path (:func:`compare` passes its ``n_lams``).
    lam_min_ratio : float, optional
        Smallest over largest λ of the grid (:func:`compare` passes its own); None:
        the default of :func:`~sparseinv.select_lambda`.
    n_folds : int, default 5
        K of K-fold cross-validation (``"cv"``, the σ refit and the per-group
        confirmation).
    tau : float, default 1.0
        τ of the discrepancy principle.
    n_probes : int, default 16
        Hutchinson probes of the L2 degrees of freedom.
    n_confirm : int, default 3
        Fresh K-fold splits on which the per-group λ must beat the single λ.
    starts : sequence of str, default ("single", "lam_max", "column_norm")
        Starting points of the per-group search (see
        :func:`~sparseinv.select_group_lambdas`): the ``"single"`` start continues the
        single-λ path, each weighting rule adds its own path. Ignored with ``weights``.
    rng : int or numpy.random.Generator, default 0
        Seed of folds and probes: the default makes the selection deterministic.

    Returns
    -------
    SelectionResult
        ``lams`` (one per group), ``x``, the cost (``n_solves``, ``n_applications``;
        for the per-group search only what it adds to the single-λ path it continues,
        since :func:`compare` adds the cost of ``"single"``), and the full selection.

    Raises
    ------
    ValueError
        For an unknown ``method`` and the errors of
        :func:`~sparseinv.select_lambda` (bad ``n_folds``, a σ that cannot be had
        with ``noise_method`` other than ``"auto"``...).

    Notes
    -----
    **Noise level.** A data-driven selection is not given the true σ: with
    ``noise_std=None`` SURE and the discrepancy principle use the estimate of
    :func:`~sparseinv.estimate_noise_std` (``"auto"``: the least-squares residual when
    m > n, else the wavelet MAD of ``b`` when ``b`` passes its smoothness check) and,
    where neither applies (e.g. compressed sensing with m < n), the refitted residual
    at the cross-validated λ (Reid, Tibshirani & Friedman 2016). Both criteria use the
    same σ̂. :func:`~sparseinv.select_lambda` alone refuses that refit for the
    discrepancy principle unless asked (``noise_method="cv"``); here ``"auto"``
    allows it, so that every method returns a λ on every problem. Pass ``noise_std``
    (e.g. ``selection_options={"noise_std": p.noise_std}`` in :func:`compare`) to
    give σ explicitly.

    **Per-group λ.** ``"sure"``, ``"gcv"`` and ``"cv"`` minimize their own criterion
    over the G values with the pattern search of
    :func:`~sparseinv.select_group_lambdas` (from the best of the single λ and the
    weighting-rule paths of ``starts``, confirmed against the single λ on fresh
    K-fold splits, never worse than the single λ on the criterion). The
    discrepancy principle is one equation, :math:`\|b - Ax\| = \tau\sigma\sqrt m`,
    satisfied by a (G − 1)-dimensional set of λ vectors: it cannot choose G values.
    Under ``"discrepancy"`` the per-group λ therefore minimize SURE with the
    discrepancy principle's σ̂ — the risk estimate that needs exactly the same
    information, σ and nothing more — starting from the SURE-best λ on the
    discrepancy path (scored from its fits, no new solve); the result's ``method`` is
    ``"sure"``.

    References
    ----------
    .. [1] S. Reid, R. Tibshirani, J. Friedman, "A study of error variance estimation
       in lasso regression", Statist. Sinica 26, 2016.

    Examples
    --------
    >>> import sparseinv as si
    >>> p = si.problems.density_contrast(rng=0)
    >>> single = data_selection(p, si.L1, np.ones(2), method="sure", n_lambdas=15)
    >>> grouped = data_selection(p, si.L1, None, start=single, method="sure", n_lambdas=15)
    >>> single.noise_method, bool(grouped.lams[0] < grouped.lams[1])
    ('cv', True)
    """
    from sparseinv.selection._engine import check_choice
    from sparseinv.selection.grouped import check_starts, search_groups
    from sparseinv.selection.single import run_single

    method = check_choice(method, "method", DATA_SELECTIONS)
    starts = check_starts(starts)
    groups = problem.groups
    G = groups.n_groups
    if noise_std is None and noise_method == "auto" and method in ("sure", "discrepancy"):
        noise_method = _auto_noise_method(problem)
    key = (
        method,
        penalty,
        noise_std,
        noise_method,
        n_lambdas,
        lam_min_ratio,
        n_folds,
        tau,
        n_probes,
        _seed_key(rng),
    )
    options = {
        "method": method,
        "noise_std": noise_std,
        "noise_method": noise_method,
        "lams": None,
        "n_lambdas": n_lambdas,
        "lam_min_ratio": lam_min_ratio,
        "n_folds": n_folds,
        "tau": tau,
        "n_probes": n_probes,
        "solver": solver,
        "solver_options": {},
    }
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        equal = bool(np.allclose(w, w[0], rtol=1e-12))
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
            trace=tuple(
                (np.broadcast_to(np.asarray(lam, dtype=float), (G,)).copy(), -float(v))
                for lam, v in zip(sel.path_lams, sel.criterion, strict=True)
            ),
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
    criterion = None
    if method == "discrepancy":
        from sparseinv.selection.criteria import SteinUnbiasedRisk

        sigma = float(run.result.noise_std)
        criterion = SteinUnbiasedRisk(
            run.engine, noise_var=run.engine.noise_var_per_obs(sigma), n_folds=n_folds
        )
    sel = search_groups(
        run,
        groups,
        max_evaluations=budget,
        n_confirm=n_confirm,
        criterion=criterion,
        starts=starts,
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
            (lam.copy(), -float(v))
            for lam, v in zip(sel.search_lams, sel.search_criterion, strict=True)
        ),
        at_edge=False,
        method=sel.method,
        selection=sel,
        noise_std=sel.noise_std,
        noise_method=sel.noise_method,
        converged=sel.single.converged,
    )


def _auto_noise_method(problem: Problem) -> str:
    """``"auto"`` where :func:`estimate_noise_std` has an estimate, else ``"cv"`` (refit)."""
    from sparseinv.selection.noise import estimate_noise_std

    m, n = problem.A.shape
    if m > n:
        return "auto"  # least squares
    try:  # for m <= n only the wavelet estimate is tried: no application of A
        estimate_noise_std(problem.A, problem.b, method="auto")
    except ValueError:
        return "cv"
    return "auto"


def _seed_key(rng: Any) -> Any:
    return rng if rng is None or isinstance(rng, int | np.integer) else id(rng)


#: named selections for ``compare(selection=...)``; each follows the protocol of :func:`compare`
SELECTIONS: dict[str, Callable[..., Any]] = {
    "oracle": oracle_selection,
    **{name: functools.partial(data_selection, method=name) for name in DATA_SELECTIONS},
}


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class Comparison:
    """What :func:`compare` found: one record per strategy, and the solutions.

    Attributes
    ----------
    records : list of dict
        One dict per strategy, in the order asked (see :func:`compare` for the keys).
    problem_name : str
        ``problem.name``.
    metric : str
        The metric tuned for.
    penalty : str
        ``"l0"``, ``"l1"`` or ``"l2"``.
    solver : str
        The solver's name.
    selection : str
        ``"oracle"``, another name of :data:`SELECTIONS`, or the callable's name.
    domain : str
        ``"model"`` or ``"synthesis"``.
    solutions : dict of str to ndarray
        The solution of each strategy.
    reference : ndarray or None
        The truth in ``domain`` (``x_true``, or the synthesis of ``x_true``).
    estimates : dict of str to ndarray
        Each solution in ``domain``.
    groups : Groups or None
        The problem's groups (their boundaries are marked in :meth:`plot`).

    Examples
    --------
    >>> import sparseinv as si
    >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
    >>> res.records[0]["strategy"], res.records[0]["n_solves"] > 10
    ('single', True)
    """

    records: list[dict[str, Any]]
    problem_name: str
    metric: str
    penalty: str
    solver: str
    selection: str
    domain: str
    solutions: dict[str, Any] = field(repr=False)
    reference: Any = field(default=None, repr=False)
    estimates: dict[str, Any] = field(default_factory=dict, repr=False)
    groups: Groups | None = field(default=None, repr=False)

    def record(self, strategy: str) -> dict[str, Any]:
        """The record of one strategy.

        Parameters
        ----------
        strategy : str
            A strategy of :attr:`records`.

        Returns
        -------
        dict

        Examples
        --------
        >>> import sparseinv as si
        >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
        >>> res.record("single")["lams"].shape
        (2,)
        """
        for rec in self.records:
            if rec["strategy"] == strategy:
                return rec
        known = [r["strategy"] for r in self.records]
        raise KeyError(f"strategy must be one of {known}; got {strategy!r}")

    def to_markdown(self, *, digits: int = 2) -> str:
        """A Markdown table: metrics, λ and tuning cost per strategy.

        Parameters
        ----------
        digits : int, default 2
            Decimals of the dB values.

        Returns
        -------
        str

        Examples
        --------
        >>> import sparseinv as si
        >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
        >>> print(res.to_markdown().splitlines()[0])  # doctest: +ELLIPSIS
        | strategy | SNR (dB) | gain (dB) | NMSE (dB) | ...
        """
        header = [
            "strategy",
            "SNR (dB)",
            "gain (dB)",
            "NMSE (dB)",
            "rel. error",
            "F1",
            "per-group SNR (dB)",
            "λ per group",
            "solves",
            "applications",
            "seconds",
        ]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        d = digits
        for r in self.records:
            row = [
                r["strategy"] + (f" (= {r['same_as']})" if r.get("same_as") else ""),
                f"{r['snr_db']:.{d}f}",
                "" if math.isnan(r["gain_db"]) else f"{r['gain_db']:+.{d}f}",
                f"{r['nmse_db']:.{d}f}",
                f"{r['relative_error']:.3g}",
                f"{r['f1']:.3f}",
                _join(r["per_group_snr_db"], f"{{:.{d - 1}f}}"),
                _join(r["lams"], "{:.3g}") + (" (edge)" if r["at_edge"] else ""),
                str(r["n_solves"]),
                str(r["n_operator_applications"]),
                f"{r['seconds']:.2f}",
            ]
            lines.append("| " + " | ".join(row) + " |")
        return "\n".join(lines)

    def to_csv(self, path: str | Path) -> Path:
        """Write the records as CSV, per-group arrays joined by ``;``.

        Parameters
        ----------
        path : str or Path
            File to write (its folder must exist).

        Returns
        -------
        Path
            ``path``.

        Examples
        --------
        >>> import tempfile, pathlib, sparseinv as si
        >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
        >>> out = res.to_csv(pathlib.Path(tempfile.mkdtemp()) / "table.csv")
        >>> out.read_text().splitlines()[0].split(",")[:3]
        ['problem', 'strategy', 'snr_db']
        """
        path = Path(path)
        rows = [{"problem": self.problem_name, **_flat(r)} for r in self.records]
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path

    def plot(self, *, figsize: tuple[float, float] = (11.0, 4.0)) -> Any:
        """Bars of the metric per strategy, and the recovered vs the true model.

        Parameters
        ----------
        figsize : tuple of float, default (11, 4)
            Figure size in inches.

        Returns
        -------
        matplotlib.figure.Figure
            Left: the tuned metric per strategy. Right: the truth and the solutions of
            "single" and of the best other strategy, in the compared domain (moduli
            for complex values).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import sparseinv as si
        >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
        >>> len(res.plot().axes)
        2
        """
        import matplotlib.pyplot as plt

        fig, (ax_bar, ax_x) = plt.subplots(
            1, 2, figsize=figsize, gridspec_kw={"width_ratios": [1, 2]}, layout="constrained"
        )
        names = [r["strategy"] for r in self.records]
        values = [r[self.metric] for r in self.records]
        colors = ["tab:gray" if n == "single" else "tab:blue" for n in names]
        bars = ax_bar.bar(range(len(names)), values, color=colors)
        ax_bar.bar_label(bars, fmt="%.2f", fontsize="small")
        ax_bar.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ax_bar.set_ylabel(self.metric)
        ax_bar.set_title(f"{self.problem_name}: {self.selection} λ")
        finite = [v for v in values if math.isfinite(v)]
        if finite:
            lo, hi = min(finite), max(finite)
            pad = 0.1 * (hi - lo) + 0.5
            ax_bar.set_ylim(min(0.0, lo - pad), max(0.0, hi + pad))
        if self.reference is not None:
            ax_x.plot(np.abs(self.reference), color="k", lw=1.2, label="true")
        higher = METRICS[self.metric][1]
        others = [r for r in self.records if r["strategy"] != "single"]
        shown = [r for r in self.records if r["strategy"] == "single"]
        if others:
            pick = max if higher else min
            shown.append(pick(others, key=lambda r: _finite(r[self.metric], higher)))
        for r, style in zip(shown, ("--", ":"), strict=False):
            est = self.estimates[r["strategy"]]
            ax_x.plot(np.abs(est), style, lw=1.0, label=f"{r['strategy']} ({r['snr_db']:.1f} dB)")
        groups = self.groups
        if self.domain == "model" and groups is not None and groups.n_groups > 1:
            contiguous = np.array_equal(groups.indices, np.arange(groups.n_features))
            if contiguous and groups.n_groups <= 12:
                for edge in groups.offsets[1:-1]:
                    ax_x.axvline(edge - 0.5, color="gray", ls=":", lw=0.8)
                for g, label in enumerate(groups.labels):
                    mid = 0.5 * (groups.offsets[g] + groups.offsets[g + 1])
                    ax_x.text(
                        mid,
                        1.0,
                        str(label),
                        transform=ax_x.get_xaxis_transform(),
                        ha="center",
                        va="bottom",
                        fontsize="x-small",
                        color="gray",
                    )
        ax_x.set_xlabel("coefficient" if self.domain == "model" else "sample")
        ax_x.set_ylabel("|value|")
        ax_x.set_title(f"recovered vs true ({self.domain} domain)", pad=14)
        ax_x.legend(loc="upper right", fontsize="small")
        return fig


def _float_or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _finite(value: float, higher: bool) -> float:
    if math.isfinite(value):
        return value
    return -math.inf if higher else math.inf


def _join(values: Any, fmt: str, limit: int = 6) -> str:
    arr = np.asarray(values, dtype=float).ravel()
    parts = [fmt.format(v) for v in arr[:limit]]
    if arr.size > limit:
        parts.append("…")
    return ", ".join(parts)


def _flat(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        if isinstance(value, np.ndarray):
            out[key] = ";".join(f"{v:.6g}" for v in value.ravel())
        elif value is None:
            out[key] = ""
        else:
            out[key] = value
    return out


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
        Extra keywords of the selection: for the data-driven ones those of
        :func:`data_selection` (``noise_std``, ``noise_method``, ``n_folds``,
        ``n_lambdas``, ``lam_min_ratio``, ``n_confirm``, ``rng``...); for a callable,
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
      (:math:`w = 1` for ``"single"``) on a log grid, by a warm-started path from
      :math:`s_{\max}` (every group zero for L1) down, refined to the resolution of
      the per-group search (:func:`~sparseinv.tuning.tune_scale`).
    - ``"per_group"`` starts from the best single λ and its solution and moves one
      :math:`\lambda_g` at a time by factors 2, √2, 2^{1/4}, 2^{1/8} (a successful
      move is followed by a longer one in the same direction), accepting only
      improvements of more than 1e-3 (dB for the SNR-type metrics), until no move
      improves or ``budget`` solves are spent
      (:func:`~sparseinv.tuning.tune_per_group`). Each :math:`\lambda_g` stays in
      :math:`[\text{lam\_min\_ratio}\cdot\lambda_{\max}, 4\lambda_{\max}]`, the
      single grid's range with room to switch a group off. Under the oracle it can
      never lose to ``"single"``.
    - A rule whose weights equal those of a strategy already run (``"size"`` with
      equal-sized groups is ``"single"``) is the same one-scale family: its tuning is
      not repeated, its record repeats that result and cost, and ``"same_as"`` names
      the strategy.
    - Both searches end at the same resolution (factor :math:`2^{1/8}`), so no
      strategy wins by a finer grid; SNR, NMSE and relative error are tuned alike
      (they rank solutions identically).

    **Oracle.** ``selection="oracle"`` maximizes ``metric`` against ``x_true``: an
    upper bound on what each parametrization can deliver, a fair comparison of
    parametrizations, not a method for real data.

    **Data-driven.** ``"cv"``, ``"discrepancy"``, ``"sure"`` and ``"gcv"``
    (:data:`DATA_SELECTIONS`, implemented by :func:`data_selection`) choose λ from
    ``A`` and ``b`` alone: one-scale strategies by
    :func:`~sparseinv.select_lambda` on a warm-started grid of ``n_lams`` scales
    from the largest useful one down to ``lam_min_ratio`` times it (no refinement
    between grid points), ``"per_group"`` by the pattern search of
    :func:`~sparseinv.select_group_lambdas` continued from the ``"single"`` path
    (its record's cost adds only the search to the cost of ``"single"``; the search
    is at most ``budget`` criterion evaluations). σ is estimated, never read from
    ``problem.noise_std``, unless ``selection_options`` gives ``noise_std``; the
    discrepancy principle, one equation, chooses per-group λ by SURE with its σ̂
    (:func:`data_selection`). ``metric`` and ``domain`` only shape the records,
    which are still measured against ``x_true`` when the problem has it (NaN
    otherwise), so the regret of a selection is its oracle's metric minus its own.

    **Selection protocol.** Any other selector, named in :data:`SELECTIONS` or given
    as a callable, is called once per strategy as::

        selection(problem, penalty, weights, *, start, solver, budget)

    - ``problem``: the :class:`~sparseinv.problems.Problem` (a data-driven
      selector must not read ``x_true``);
    - ``penalty``: the penalty class (:class:`~sparseinv.L1`...);
    - ``weights``: one weight per group, tune the scale :math:`s` of
      :math:`\lambda_g = s\,w_g` (all ones for ``"single"``); or None, tune every
      :math:`\lambda_g` (``"per_group"``), from ``start``;
    - ``start``: None, or for ``"per_group"`` the
      :class:`~sparseinv.tuning.TuningResult` of ``"single"`` under the same selector
      (``.lams``, ``.x``);
    - ``solver``: a function with the signature of :func:`~sparseinv.fista` (the
      options bound) that counts every call; make every solve through it, directly
      or as ``lambda_path(..., solver=solver)``, so the cost is recorded;
    - ``budget``: most solves.

    It returns the chosen λ, one value per group (or one number), or a
    :class:`~sparseinv.tuning.TuningResult`. When it returns λ, the solution is the
    last solve it made at that λ on ``problem.A``, ``problem.b``, or one more solve.
    A new rule is wired as ``selection="name"`` by adding an adapter with this
    signature to :data:`SELECTIONS` (:func:`data_selection` is the one of the
    built-in data-driven rules).

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
    if select is oracle_selection:
        if problem.x_true is None:
            raise ValueError(
                "selection='oracle' tunes λ against problem.x_true, but problem "
                f"{problem.name!r} has x_true=None; pass a data-driven selection"
            )
        select = functools.partial(
            oracle_selection,
            **{
                "metric": metric,
                "domain": domain,
                "n_lams": n_lams,
                "lam_min_ratio": lam_min_ratio,
                **extra,
            },
        )
    elif selection_name in DATA_SELECTIONS:
        select = functools.partial(
            select, **{"n_lambdas": n_lams, "lam_min_ratio": lam_min_ratio, **extra}
        )
    elif extra:
        select = functools.partial(select, **extra)
    evaluation = _Evaluation(problem, domain)
    options = dict(solver_options or {})

    runs: dict[str, tuple[TuningResult, NDArray | None, float, int, int, float]] = {}
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
    synthesis_eval = _Evaluation(problem, "synthesis") if has_synthesis else None
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
    start: TuningResult | None,
    weights: NDArray | None,
    n_weight_apps: int,
    t0: float,
) -> tuple[TuningResult, NDArray | None, float, int, int, float]:
    """One strategy: selection and final solution, with its cost since ``t0``."""
    counter = _CountingSolver(solve, options, problem)
    groups = problem.groups
    out = select(problem, cls, weights, start=start, solver=counter, budget=budget)
    if isinstance(out, TuningResult):
        tuned = out
    else:
        lams = np.asarray(out, dtype=float)
        if lams.ndim == 0:
            lams = np.full(groups.n_groups, float(lams))
        res = counter.lookup(lams, cls)
        if res is None:
            x0 = None if start is None else start.x
            res = counter(problem.A, problem.b, cls(lams, groups=groups), x0=x0)
        tuned = TuningResult(
            lams=lams,
            x=res.x,
            score=math.nan,
            result=res,
            n_solves=counter.n_solves,
            n_applications=counter.n_applications,
            seconds=time.perf_counter() - t0,
            trace=(),
        )
    # both tallies see every solve; a TuningResult adds its set-up (λ_max, ‖A‖²)
    n_apps = max(counter.n_applications, tuned.n_applications) + n_weight_apps
    n_solves = max(counter.n_solves, tuned.n_solves)
    scale = math.nan
    if weights is not None:
        scale = float(np.median(tuned.lams / weights))
    return tuned, weights, scale, n_solves, n_apps, time.perf_counter() - t0
