"""Recovery metrics of an estimate against a problem's truth, in the model or synthesis domain.

:class:`Evaluation` holds the truth of a :class:`~sparseinv.problems.Problem` in one
domain and scores estimates against it: what :func:`sparseinv.compare` reports, and
what its oracle tunes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv import metrics
from sparseinv.problems import Problem

__all__ = ["DOMAINS", "METRICS", "Evaluation"]

#: metric name -> (function(x_true, x), higher is better)
METRICS: dict[str, tuple[Callable[[Any, Any], float], bool]] = {
    "snr_db": (metrics.snr_db, True),
    "nmse_db": (metrics.nmse_db, False),
    "relative_error": (metrics.relative_error, False),
    "f1": (metrics.f1, True),
}
#: where the recovery metrics compare estimate and truth
DOMAINS = ("model", "synthesis")
#: the metrics measured in ``domain`` (F1 is a support score: always on the model)
DOMAIN_METRICS = ("snr_db", "nmse_db", "relative_error")


class Evaluation:
    """The truth of a problem in one domain, and the metrics of an estimate against it.

    Parameters
    ----------
    problem : Problem
        The problem (``x_true`` may be None: every metric is then NaN).
    domain : {"model", "synthesis"}
        Compare coefficients, or ``problem.extra["synthesis"] @ x`` against the
        synthesis of ``x_true`` (the real part when the truth is real).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.density_contrast(rng=0)
    >>> ev = Evaluation(p, "model")
    >>> ev.metric("snr_db", p.x_true), round(ev.metric("snr_db", 0.5 * p.x_true), 2)
    (inf, 6.02)
    """

    def __init__(self, problem: Problem, domain: str) -> None:
        self.problem = problem
        self.domain = domain
        self.synthesis = problem.extra.get("synthesis")
        x_true = problem.x_true
        self.x_true = x_true
        self.reference = None if x_true is None else self.to_domain(x_true)

    def to_domain(self, x: Any) -> NDArray:
        """``x`` in the domain of the comparison.

        Parameters
        ----------
        x : ndarray
            Coefficients.

        Returns
        -------
        ndarray
        """
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
        """The metric ``name`` of :data:`METRICS` of ``x`` (NaN without ``x_true``).

        Parameters
        ----------
        name : str
            A key of :data:`METRICS`.
        x : ndarray
            Coefficients.

        Returns
        -------
        float
        """
        if self.x_true is None:
            return math.nan
        fn = METRICS[name][0]
        if name in DOMAIN_METRICS:
            return float(fn(self.reference, self.to_domain(x)))
        return float(fn(self.x_true, x))

    def score(self, name: str) -> Callable[[Any], float]:
        """The oracle score of the metric ``name``, higher is better.

        SNR, NMSE and relative error are monotone functions of one another, so all
        three are tuned as the SNR in dB (the unit of the oracle's
        ``min_improvement``).

        Parameters
        ----------
        name : str
            A key of :data:`METRICS`.

        Returns
        -------
        callable
            ``score(x) -> float``.
        """
        if name in DOMAIN_METRICS:
            return lambda x: self.metric("snr_db", x)
        sign = 1.0 if METRICS[name][1] else -1.0
        return lambda x: sign * self.metric(name, x)
