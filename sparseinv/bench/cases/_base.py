"""What every benchmark case shares: the :class:`Case` record, the suites, timing."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sparseinv.bench.report import CaseReport
from sparseinv.bench.runner import Runner

__all__ = ["FULL_COMPARE", "QUICK_COMPARE", "SUITES", "Case", "compare_config", "seconds_since"]

#: the suites: same code, quick has fewer trials and smaller sizes
SUITES = ("quick", "full")


@dataclass(frozen=True)
class Case:
    """A benchmark case: its function and its quick and full configurations.

    Attributes
    ----------
    name : str
        Name for ``--cases``.
    run : callable
        ``run(config, runner) -> CaseReport``.
    quick, full : dict
        The configuration of each suite.

    Examples
    --------
    >>> from sparseinv.bench.cases import CASES
    >>> CASES["phase_transition"].config("quick")["n"]
    200
    """

    name: str
    run: Callable[[Mapping[str, Any], Runner], CaseReport]
    quick: Mapping[str, Any]
    full: Mapping[str, Any]

    def config(self, suite: str) -> Mapping[str, Any]:
        """The configuration of ``suite`` (``"quick"`` or ``"full"``).

        Parameters
        ----------
        suite : str
            A name of :data:`SUITES`.

        Returns
        -------
        dict

        Examples
        --------
        >>> from sparseinv.bench.cases import CASES
        >>> CASES["ecg"].config("full")["fractions"]
        (0.3, 0.5)
        """
        if suite not in SUITES:
            raise ValueError(f"suite must be one of {SUITES}; got {suite!r}")
        return self.quick if suite == "quick" else self.full


def compare_config(n_lams: int, budget: int, **extra: Any) -> dict[str, Any]:
    """Keywords of :func:`sparseinv.compare`: grid size, budget and any others.

    Parameters
    ----------
    n_lams : int
        Grid points of the scale searches.
    budget : int
        Most evaluations of the per-group search.
    **extra
        Other keywords (``solver_options``, ``domain``...).

    Returns
    -------
    dict

    Examples
    --------
    >>> compare_config(11, 40, domain="synthesis")
    {'n_lams': 11, 'budget': 40, 'domain': 'synthesis'}
    """
    return {"n_lams": n_lams, "budget": budget, **extra}


#: the oracle settings of the compare-based cases, full and quick suites
FULL_COMPARE = compare_config(25, 150)
QUICK_COMPARE = compare_config(11, 40)


def seconds_since(start: float) -> float:
    """Wall-clock seconds since ``start`` (a :func:`time.perf_counter` value)."""
    return time.perf_counter() - start
