"""The one result type shared by every solver."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["STOP_REASONS", "ConvergenceWarning", "SolveResult"]

#: why a solve stopped
STOP_REASONS = ("converged", "max_iter", "diverged", "callback")


class ConvergenceWarning(UserWarning):
    """A solve stopped before its optimality measure reached ``tol``, or diverged.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np, sparseinv as si
    >>> A = np.random.default_rng(0).standard_normal((20, 50))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = si.ista(A, A[:, 0], si.L1(0.01), max_iter=2)
    >>> res.stop_reason, caught[0].category.__name__
    ('max_iter', 'ConvergenceWarning')
    """


@dataclass(frozen=True)
class SolveResult:
    """What every solver returns (ISTA, FISTA and IRLS alike).

    Attributes
    ----------
    x : ndarray
        The solution, shape ``(n_features,)``, on the array module of ``b``.
    objective : float
        :math:`F(x) = \\tfrac12\\|Ax-b\\|^2 + \\sum_i\\lambda_i R(x_i)` at ``x`` (the true
        penalty, also for IRLS).
    converged : bool
        True when the optimality measure reached ``tol``.
    stop_reason : str
        One of ``"converged"``, ``"max_iter"``, ``"diverged"``, ``"callback"``.
    n_iter : int
        Iterations run (IRLS: outer reweighting iterations).
    n_matvec, n_rmatvec : int
        Applications of ``A`` and ``A^H`` in total, the step-size estimate included.
    step : float or None
        Final step size of the proximal-gradient solvers; None for IRLS.
    optimality : float
        Final optimality measure (see each solver's ``tol``).
    history : Mapping[str, ndarray]
        Per iterate ``k = 0 .. n_iter``: ``"objective"`` (F at iterate k),
        ``"optimality"`` (NaN at k = 0) and ``"n_applications"`` (cumulative
        matvec + rmatvec when iterate k was available).
    solver : str
        ``"ista"``, ``"fista"`` or ``"irls"``.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> res = si.fista(np.eye(3), np.array([3.0, 0.5, -2.0]), si.L1(1.0))
    >>> res.x.tolist(), res.converged, res.objective
    ([2.0, 0.0, -1.0], True, 4.125)
    """

    x: Any
    objective: float
    converged: bool
    stop_reason: str
    n_iter: int
    n_matvec: int
    n_rmatvec: int
    step: float | None
    optimality: float
    history: Mapping[str, np.ndarray] = field(repr=False)
    solver: str = ""

    def __post_init__(self) -> None:
        if self.stop_reason not in STOP_REASONS:
            raise ValueError(f"stop_reason must be one of {STOP_REASONS}; got {self.stop_reason!r}")
        frozen = {}
        for key, values in self.history.items():
            arr = np.array(values, dtype=float)
            arr.flags.writeable = False
            frozen[key] = arr
        object.__setattr__(self, "history", MappingProxyType(frozen))

    @property
    def n_applications(self) -> int:
        """``n_matvec + n_rmatvec``."""
        return self.n_matvec + self.n_rmatvec


def warn_if_unconverged(result: SolveResult, *, tol: float) -> None:
    """Emit a ConvergenceWarning when ``result`` did not converge (silent for tol = 0)."""
    if result.stop_reason == "diverged":
        warnings.warn(
            f"{result.solver} diverged after {result.n_iter} iterations (non-finite or "
            "exploding iterates); returning the last finite iterate. Reduce step or check A.",
            ConvergenceWarning,
            stacklevel=3,
        )
    elif result.stop_reason == "max_iter" and tol > 0:
        warnings.warn(
            f"{result.solver} reached max_iter={result.n_iter} with optimality "
            f"{result.optimality:.3g} > tol={tol:.3g}; increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=3,
        )
