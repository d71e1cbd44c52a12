r"""The one λ search of sparseinv: a scan down a log grid, and a pattern search on log λ.

Every choice of λ in sparseinv runs here: :func:`~sparseinv.select_lambda`,
:func:`~sparseinv.select_group_lambdas`, and every strategy of
:func:`~sparseinv.compare`, under the oracle or a data-driven criterion. What the search
minimises is a *score* (:class:`Score`): any object with

- ``evaluate(lam, state) -> (value, state)``, the value at ``lam`` (lower is better),
  warm-started from the state a nearby λ returned (None: from zero);
- ``min_improvement``, how much a move must lower the value to count (0: any strict
  decrease).

The criteria of :mod:`sparseinv.selection.criteria` are scores: cross-validation,
SURE, GCV, the discrepancy principle, and the oracle (minus a recovery metric against a
known ``x_true``). A :class:`LambdaSearch` binds one score and owns what every search
over it shares: the cache of evaluated λ, the trace and the evaluation count. It moves
in two ways:

- :meth:`LambdaSearch.scan`: a warm-started path over given parameters, from the
  largest λ down (optionally stopping ``patience`` points after the best);
- :meth:`LambdaSearch.pattern`: a compass search on the logarithm of the parameters,
  within bounds, from one start; :meth:`LambdaSearch.multi_start` runs it from several.

The parameters are what the caller searches over (one scale :math:`s` of
:math:`\lambda = s\,w`, or one λ per group); ``to_lams`` maps them to the λ the score
takes. Every loop is bounded: a scan by its grid, a pattern search by
``max_evaluations`` evaluations and as many polls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["MIN_STEP", "STEP", "LambdaSearch", "Point", "Score"]

#: first multiplicative step of the pattern search
STEP = 2.0
#: the pattern search stops once its step would fall below this factor
MIN_STEP = 1.1
# a value is compared on this many decimals of log λ (products of the same factors agree)
_KEY_DECIMALS = 9


class Score(Protocol):
    """What a :class:`LambdaSearch` minimises.

    Every :class:`~sparseinv.selection.criteria.Criterion` is one.
    """

    #: a move must lower the value by more than this to count
    min_improvement: float

    def evaluate(self, lam: Any, state: Any) -> tuple[float, Any]:
        """The value at ``lam`` (lower is better) and the state that warm-starts the next."""
        ...  # pragma: no cover


@dataclass(frozen=True, eq=False)
class Point:
    """One evaluated point of a search.

    Attributes
    ----------
    params : ndarray
        The searched parameters (a scale, or one λ per group), positive.
    lam : float or ndarray
        ``to_lams(params)``, what the score was evaluated at.
    value : float
        The score there (NaN is stored as +inf: the worst).
    state : object
        What the score returned with it (the solutions, to warm-start a nearby λ).
    """

    params: NDArray[np.float64]
    lam: Any
    value: float
    state: Any


class LambdaSearch:
    """Evaluations of one score with a shared cache, trace and count.

    Parameters
    ----------
    score : Score
        What is minimised.
    min_improvement : float, optional
        Overrides ``score.min_improvement``.

    Examples
    --------
    A score whose minimum is at λ = 0.3, scanned on a grid and then refined:

    >>> import numpy as np
    >>> class Quadratic:
    ...     min_improvement = 0.0
    ...     def evaluate(self, lam, state):
    ...         return float(np.log(np.asarray(lam) / 0.3) ** 2), None
    >>> search = LambdaSearch(Quadratic())
    >>> grid = [np.array([s]) for s in (1.0, 0.5, 0.25, 0.125)]
    >>> path = search.scan(grid, to_lams=lambda p: float(p[0]))
    >>> best = min(path, key=lambda pt: pt.value)
    >>> end = search.pattern(best, to_lams=lambda p: float(p[0]), lower=[0.01], upper=[1.0],
    ...                      min_step=1.05)
    >>> round(best.lam, 3), round(end.lam, 3), search.n_evaluations
    (0.25, 0.297, 9)
    """

    def __init__(self, score: Score, *, min_improvement: float | None = None) -> None:
        self.score = score
        tol = getattr(score, "min_improvement", 0.0) if min_improvement is None else min_improvement
        if not (isinstance(tol, int | float) and math.isfinite(tol) and tol >= 0):
            raise ValueError(f"min_improvement must be a finite number >= 0; got {tol!r}")
        self.min_improvement = float(tol)
        self.cache: dict[tuple[float, ...], Point] = {}
        self.trace: list[Point] = []

    @property
    def n_evaluations(self) -> int:
        """Evaluations of the score so far (cache hits excluded)."""
        return len(self.trace)

    # ------------------------------------------------------------------ evaluations
    def better(self, new: float, best: float) -> bool:
        """``new`` improves on ``best`` by more than ``min_improvement``.

        Parameters
        ----------
        new, best : float
            Values (lower is better).

        Returns
        -------
        bool
        """
        if not math.isfinite(best):
            return new < best
        return new < best - self.min_improvement

    @staticmethod
    def key(lam: Any) -> tuple[float, ...]:
        """The cache key of ``lam``: its logarithm, rounded.

        Parameters
        ----------
        lam : float or ndarray
            A positive λ.

        Returns
        -------
        tuple of float
        """
        return tuple(np.round(np.log(np.atleast_1d(np.asarray(lam, dtype=float))), _KEY_DECIMALS))

    def remember(self, point: Point) -> Point:
        """Put an already evaluated point in the cache (a start, a known solution).

        Parameters
        ----------
        point : Point

        Returns
        -------
        Point
            ``point``.
        """
        self.cache.setdefault(self.key(point.lam), point)
        return point

    def evaluate(self, params: Any, lam: Any, state: Any) -> Point:
        """The score at ``lam`` from the cache, or evaluated warm-started from ``state``.

        Parameters
        ----------
        params : array_like
            The parameters that give ``lam``.
        lam : float or ndarray
            Where to evaluate.
        state : object
            Warm start (the state of a nearby point).

        Returns
        -------
        Point
        """
        key = self.key(lam)
        if key in self.cache:
            return self.cache[key]
        value, new_state = self.score.evaluate(lam, state)
        value = float(value)
        if math.isnan(value):
            value = math.inf
        params = np.array(params, dtype=float, ndmin=1)
        params.flags.writeable = False
        point = Point(params=params, lam=lam, value=value, state=new_state)
        self.cache[key] = point
        self.trace.append(point)
        return point

    # ------------------------------------------------------------------ moves
    def scan(
        self,
        params_list: Sequence[Any],
        *,
        to_lams: Callable[[NDArray[np.float64]], Any],
        state: Any = None,
        patience: int | None = None,
    ) -> list[Point]:
        """Evaluate a path, each point warm-started from the previous one.

        Parameters
        ----------
        params_list : sequence of array_like
            The parameters, from the largest λ down.
        to_lams : callable
            Parameters to λ.
        state : object, optional
            Warm start of the first point.
        patience : int, optional
            Stop once this many points in a row have not improved on the best, and the
            best improved on the first point. None scans the whole path.

        Returns
        -------
        list of Point
            The points evaluated, in order (a prefix of the path with ``patience``).
        """
        points: list[Point] = []
        best = 0
        for params in params_list:
            params = np.array(params, dtype=float, ndmin=1)
            point = self.evaluate(params, to_lams(params), state)
            state = point.state
            points.append(point)
            i = len(points) - 1
            if i > 0 and self.better(point.value, points[best].value):
                best = i
            if (
                patience is not None
                and i - best >= patience
                and self.better(points[best].value, points[0].value)
            ):
                break
        return points

    def pattern(
        self,
        start: Point,
        *,
        to_lams: Callable[[NDArray[np.float64]], Any],
        lower: Any,
        upper: Any,
        step: float = STEP,
        min_step: float = MIN_STEP,
        max_evaluations: int = 100,
        expansion: float = 1.0,
    ) -> Point:
        r"""Compass search on :math:`u = \log(\text{params})` from ``start``, within bounds.

        Parameters
        ----------
        start : Point
            Where to start (already evaluated).
        to_lams : callable
            Parameters to λ.
        lower, upper : array_like
            Bounds of the parameters (one per parameter, ``0 < lower < upper``); a move
            beyond them is cut at the bound.
        step : float, default :data:`STEP`
            First multiplicative step, > 1.
        min_step : float, default :data:`MIN_STEP`
            The search stops once the step would fall below this factor, > 1.
        max_evaluations : int, default 100
            Most evaluations of this search (cache hits are free).
        expansion : float, default 1.0
            Each further step of a pursued move is this many times longer than the
            last (1: the same step again; 2: twice as far in log λ each time, so that
            a λ that must move by orders of magnitude gets there in a few
            evaluations).

        Returns
        -------
        Point
            The best point reached; never worse than ``start``.

        Notes
        -----
        Each poll tries :math:`u \pm h e_j` for every parameter and, with more than
        one, :math:`u \pm h\mathbf 1` (the common scale), the sign that last improved
        first. An improvement by more than ``min_improvement`` is taken and pursued
        in the same direction, each step ``expansion`` times the last, while it keeps
        improving; a poll without one halves
        :math:`h`, from :math:`\log(\text{step})` down to :math:`\log(\text{min\_step})`.
        Each evaluation is warm-started from the state of the current best. A λ
        already evaluated (by any search on this object) is read from the cache.
        Every poll evaluates at most :math:`2(d + 1)` points plus its pursuits, and
        the polls are capped at ``max_evaluations`` + the number of step halvings,
        so the search ends in bounded time even when every point ties.
        """
        step, min_step = float(step), float(min_step)
        if not (math.isfinite(expansion) and expansion >= 1):
            raise ValueError(f"expansion must be a finite number >= 1; got {expansion!r}")
        if not (1 < min_step <= step) or not math.isfinite(step):
            raise ValueError(
                f"step and min_step must satisfy 1 < min_step <= step; got {step}, {min_step}"
            )
        best = start
        u = np.log(np.array(start.params, dtype=float, ndmin=1))
        lo = np.log(np.broadcast_to(np.asarray(lower, dtype=float), u.shape))
        hi = np.log(np.broadcast_to(np.asarray(upper, dtype=float), u.shape))
        dim = u.size
        directions = [np.eye(dim)[j] for j in range(dim)] + ([np.ones(dim)] if dim > 1 else [])
        signs = [1.0] * len(directions)
        h, h_min = math.log(step), math.log(min_step)
        n_halvings = math.ceil(math.log2(h / h_min)) + 1
        used = self.n_evaluations
        limit = used + int(max_evaluations)

        def attempt(target: NDArray[np.float64]) -> Point | None:
            """The point at ``target`` (cut at the bounds) if it improves on ``best``."""
            target = np.clip(target, lo, hi)
            if np.allclose(target, u, rtol=0.0, atol=1e-12):
                return None  # at a bound
            params = np.exp(target)
            lam = to_lams(params)
            if self.key(lam) not in self.cache and self.n_evaluations >= limit:
                return None
            point = self.evaluate(params, lam, best.state)
            return point if self.better(point.value, best.value) else None

        polls = 0
        while h >= h_min * (1 - 1e-9) and self.n_evaluations < limit:
            polls += 1
            if polls > max_evaluations + n_halvings:
                break
            moved = False
            for i, d in enumerate(directions):
                for sign in (signs[i], -signs[i]):
                    found = attempt(u + sign * h * d)
                    if found is None:
                        continue
                    moved, signs[i] = True, sign
                    length = h
                    while found is not None:
                        best, u = found, np.log(np.array(found.params, dtype=float))
                        length *= expansion
                        found = attempt(u + sign * length * d)
                    break
            if not moved:
                h /= 2
        return best

    def multi_start(
        self,
        starts: Sequence[tuple[Point, Any, Any]],
        *,
        to_lams: Callable[[NDArray[np.float64]], Any],
        step: float = STEP,
        min_step: float = MIN_STEP,
        max_evaluations: int = 100,
        expansion: float = 1.0,
    ) -> list[Point]:
        """A pattern search from every start, in order, on the shared cache.

        Parameters
        ----------
        starts : sequence of (Point, lower, upper)
            Each start with its own bounds.
        to_lams : callable
            Parameters to λ.
        step, min_step, expansion : float
            See :meth:`pattern`.
        max_evaluations : int, default 100
            Most evaluations of each search.

        Returns
        -------
        list of Point
            The end of each search, in the order of ``starts``.
        """
        ends = []
        for start, lower, upper in starts:
            self.remember(start)
            ends.append(
                self.pattern(
                    start,
                    to_lams=to_lams,
                    lower=lower,
                    upper=upper,
                    step=step,
                    min_step=min_step,
                    max_evaluations=max_evaluations,
                    expansion=expansion,
                )
            )
        return ends
