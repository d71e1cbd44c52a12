"""The one λ search (sparseinv.selection.search) on scores with known minima."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sparseinv.selection.search import LambdaSearch, Point


class Bowl:
    """A separable score in log λ with its minimum at ``target``; counts its calls."""

    min_improvement = 0.0

    def __init__(self, target):
        self.target = np.asarray(target, dtype=float)
        self.calls = []

    def evaluate(self, lam, state):
        lam = np.asarray(lam, dtype=float)
        self.calls.append((lam.copy(), state))
        return float(np.sum(np.log(lam / self.target) ** 2)), len(self.calls)


class AlwaysBetter:
    """A degenerate score: every new evaluation is lower than all before it."""

    min_improvement = 0.0

    def __init__(self):
        self.n = 0

    def evaluate(self, lam, state):
        self.n += 1
        return -float(self.n), None


def _start(search, params):
    params = np.asarray(params, dtype=float)
    point = search.evaluate(params, params, None)
    return point


def test_scan_warm_starts_in_order_and_stops_after_patience():
    bowl = Bowl([0.1])
    search = LambdaSearch(bowl)
    grid = [np.array([s]) for s in np.logspace(0, -3, 13)]
    full = search.scan(grid, to_lams=lambda p: float(p[0]))
    assert [pt.lam for pt in full] == [float(g[0]) for g in grid]
    # each call is warm-started from the state of the previous point
    assert [state for _, state in bowl.calls] == [None, *range(1, 13)]
    again = LambdaSearch(Bowl([0.1])).scan(grid, to_lams=lambda p: float(p[0]), patience=2)
    best = int(np.argmin([pt.value for pt in full]))
    assert len(again) == best + 3  # two points past the best, then it stops


def test_pattern_reaches_the_minimum_within_its_bounds_and_never_gets_worse():
    target = np.array([0.02, 3.0, 0.5])
    bowl = Bowl(target)
    search = LambdaSearch(bowl)
    start = _start(search, [1.0, 1.0, 1.0])
    end = search.pattern(
        start, to_lams=lambda p: p, lower=1e-3, upper=[10.0, 2.0, 10.0], min_step=1.01
    )
    assert end.value <= start.value
    # the second λ is held at its upper bound 2 < 3; the others reach their targets
    np.testing.assert_allclose(end.lam[[0, 2]], target[[0, 2]], rtol=0.02)
    assert end.lam[1] == pytest.approx(2.0)
    for lam, _ in bowl.calls:
        assert np.all(lam >= 1e-3 * (1 - 1e-12)) and np.all(lam <= np.array([10, 2, 10]) + 1e-12)
    # every λ is evaluated once: a revisit is read from the cache
    keys = [LambdaSearch.key(lam) for lam, _ in bowl.calls]
    assert len(keys) == len(set(keys)) == search.n_evaluations


def test_pattern_respects_min_improvement():
    class Coarse(Bowl):
        min_improvement = 10.0  # no move can gain that much

    search = LambdaSearch(Coarse([0.5]))
    start = _start(search, [1.0])
    end = search.pattern(start, to_lams=lambda p: p, lower=1e-3, upper=1e3)
    assert end is start


def test_a_score_that_always_improves_stops_at_the_budget():
    # without a budget this search would never end: every point is "better"
    search = LambdaSearch(AlwaysBetter())
    start = _start(search, [1.0, 1.0])
    end = search.pattern(start, to_lams=lambda p: p, lower=1e-300, upper=1e300, max_evaluations=25)
    assert search.n_evaluations == 1 + 25
    assert end.value == -26.0
    ends = search.multi_start(
        [(start, 1e-300, 1e300), (end, 1e-300, 1e300)], to_lams=lambda p: p, max_evaluations=10
    )
    assert len(ends) == 2 and search.n_evaluations == 1 + 25 + 2 * 10


def test_nan_scores_count_as_the_worst_and_end_the_search():
    class Broken:
        min_improvement = 0.0

        def __init__(self):
            self.n = 0

        def evaluate(self, lam, state):
            self.n += 1
            return math.nan, None

    score = Broken()
    search = LambdaSearch(score)
    start = Point(np.array([1.0]), np.array([1.0]), 5.0, None)
    end = search.pattern(start, to_lams=lambda p: p, lower=1e-6, upper=1e6)
    assert end is start and score.n == search.n_evaluations
    assert all(pt.value == math.inf for pt in search.trace)
    assert search.n_evaluations <= 2 * 4  # two signs per step, four step sizes


def test_multi_start_shares_the_cache_and_keeps_each_end():
    bowl = Bowl([0.3, 0.3])
    search = LambdaSearch(bowl)
    a = _start(search, [1.0, 1.0])
    b = _start(search, [0.01, 0.01])
    ends = search.multi_start([(a, 1e-4, 10.0), (b, 1e-4, 10.0)], to_lams=lambda p: p)
    assert all(e.value < 0.01 for e in ends)
    keys = [LambdaSearch.key(lam) for lam, _ in bowl.calls]
    assert len(keys) == len(set(keys))


def test_bad_steps_and_min_improvement_are_rejected():
    search = LambdaSearch(Bowl([1.0]))
    start = _start(search, [1.0])
    with pytest.raises(ValueError, match="1 < min_step <= step"):
        search.pattern(start, to_lams=lambda p: p, lower=0.1, upper=10, step=1.5, min_step=2.0)
    with pytest.raises(ValueError, match="min_improvement"):
        LambdaSearch(Bowl([1.0]), min_improvement=-1.0)
