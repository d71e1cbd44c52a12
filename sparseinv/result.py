"""The one result type shared by every solver."""

from __future__ import annotations

import os
import sys
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

    For a 1-D ``b`` every field is a scalar; for a data block ``B`` of shape
    ``(m, k)`` (``k`` right-hand sides solved at once) the per-solve fields hold
    one entry per column, and :meth:`column` gives the result of one column as if
    it had been solved alone.

    Attributes
    ----------
    x : ndarray
        The solution, shape ``(n_features,)`` or ``(n_features, k)``, on the array
        module of ``b`` (a ``DistributedArray`` for a pylops-mpi operator).
    objective : float or ndarray
        :math:`F(x) = \\tfrac12\\|Ax-b\\|^2 + \\sum_i\\lambda_i R(x_i)` at ``x``
        (the true penalty, also for IRLS), recomputed at the returned ``x``.
    converged : bool or ndarray of bool
        True when the optimality measure reached ``tol`` at the returned ``x``.
    stop_reason : str or ndarray of str
        One of ``"converged"``, ``"max_iter"``, ``"diverged"``, ``"callback"``.
    n_iter : int or ndarray of int
        Iterations run (IRLS: outer reweighting iterations and polishing).
    n_matvec, n_rmatvec : int or ndarray of int
        Applications of ``A`` and ``A^H`` to this column, the step-size estimate
        included (for a batch, an application to a block of ``c`` columns counts
        once for each of them).
    step : float, ndarray or None
        Final step size of the proximal-gradient solvers; None for IRLS without
        polishing. The backtracking step grows past 1/L where the sufficient-decrease
        test allows it along the iterates met, so as a fixed ``step=`` for another
        solve it may diverge (spike deconvolution: a final step of 1.5/L).
    optimality : float or ndarray
        Final optimality measure (see each solver's ``tol``).
    history : Mapping[str, ndarray]
        Per iterate ``k = 0 .. n_iter``: ``"objective"`` (F at iterate k),
        ``"optimality"`` (NaN at k = 0) and ``"n_applications"`` (cumulative
        matvec + rmatvec when iterate k was available). For a batch, arrays of
        shape ``(max(n_iter) + 1, k)``, NaN after a column has stopped.
    solver : str
        ``"ista"``, ``"fista"`` or ``"irls"``.
    n_block_matvec, n_block_rmatvec : int
        Calls of ``A`` and ``A^H`` (one per block, whatever its width); for a 1-D
        ``b`` equal to ``n_matvec`` and ``n_rmatvec``.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> res = si.fista(np.eye(3), np.array([3.0, 0.5, -2.0]), si.L1(1.0))
    >>> res.x.tolist(), res.converged, res.objective
    ([2.0, 0.0, -1.0], True, 4.125)
    >>> batch = si.fista(np.eye(2), np.array([[3.0, 1.0], [0.5, -4.0]]), si.L1(1.0))
    >>> batch.x.tolist(), batch.objective.tolist(), batch.column(1).x.tolist()
    ([[2.0, 0.0], [0.0, -3.0]], [2.625, 4.0], [0.0, -3.0])
    """

    x: Any
    objective: Any
    converged: Any
    stop_reason: Any
    n_iter: Any
    n_matvec: Any
    n_rmatvec: Any
    step: Any
    optimality: Any
    history: Mapping[str, np.ndarray] = field(repr=False)
    solver: str = ""
    n_block_matvec: int | None = None
    n_block_rmatvec: int | None = None

    def __post_init__(self) -> None:
        reasons = np.atleast_1d(np.asarray(self.stop_reason))
        bad = [r for r in reasons.tolist() if r not in STOP_REASONS]
        if bad:
            raise ValueError(f"stop_reason must be one of {STOP_REASONS}; got {bad[0]!r}")
        for name in (
            "objective",
            "converged",
            "stop_reason",
            "n_iter",
            "n_matvec",
            "n_rmatvec",
            "step",
            "optimality",
        ):
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value = value.copy()
                value.flags.writeable = False
                object.__setattr__(self, name, value)
        frozen = {}
        for key, values in self.history.items():
            arr = np.array(values, dtype=float)
            arr.flags.writeable = False
            frozen[key] = arr
        object.__setattr__(self, "history", MappingProxyType(frozen))
        if self.n_block_matvec is None:
            object.__setattr__(self, "n_block_matvec", _total(self.n_matvec))
        if self.n_block_rmatvec is None:
            object.__setattr__(self, "n_block_rmatvec", _total(self.n_rmatvec))

    @property
    def n_applications(self) -> Any:
        """``n_matvec + n_rmatvec`` (per column for a batch)."""
        return self.n_matvec + self.n_rmatvec

    @property
    def n_columns(self) -> int | None:
        """Number of right-hand sides of a batched solve; None for a 1-D ``b``."""
        return None if np.ndim(self.objective) == 0 else int(np.size(self.objective))

    def column(self, j: int) -> SolveResult:
        """The result of column ``j`` of a batched solve, as if it had been solved alone.

        Parameters
        ----------
        j : int
            Column index, ``0 <= j < k`` (negative indices count from the end).

        Returns
        -------
        SolveResult
            Scalar fields, ``x`` of shape ``(n_features,)`` and the history of that
            column up to its last iterate. ``n_block_matvec`` and ``n_block_rmatvec``
            keep the batch's totals.
        """
        k = self.n_columns
        if k is None:
            raise ValueError("column() needs a batched result (b of shape (m, k))")
        if isinstance(j, (bool, np.bool_)) or not isinstance(j, (int, np.integer)):
            raise TypeError(f"j must be an integer; got {j!r}")
        if not -k <= j < k:
            raise ValueError(f"j must be in [{-k}, {k - 1}] for a batch of {k} columns; got {j}")
        j = int(j) % k
        rows = int(self.n_iter[j]) + 1
        step = None if self.step is None else float(self.step[j])
        return SolveResult(
            x=self.x[:, j].copy(),
            objective=float(self.objective[j]),
            converged=bool(self.converged[j]),
            stop_reason=str(self.stop_reason[j]),
            n_iter=int(self.n_iter[j]),
            n_matvec=int(self.n_matvec[j]),
            n_rmatvec=int(self.n_rmatvec[j]),
            step=step,
            optimality=float(self.optimality[j]),
            history={key: values[:rows, j] for key, values in self.history.items()},
            solver=self.solver,
            n_block_matvec=self.n_block_matvec,
            n_block_rmatvec=self.n_block_rmatvec,
        )


def _total(count: Any) -> int:
    return int(np.max(count)) if np.ndim(count) else int(count)


def warn_if_unconverged(result: SolveResult, *, tol: float) -> None:
    """Emit a ConvergenceWarning when ``result`` (or a column of it) did not converge.

    Silent for ``tol = 0`` unless a solve diverged.
    """
    reasons = np.atleast_1d(np.asarray(result.stop_reason))
    batched = result.n_columns is not None
    iters = np.atleast_1d(np.asarray(result.n_iter))
    diverged = np.flatnonzero(reasons == "diverged")
    if diverged.size:
        where = f" in columns {_listed(diverged)} of {reasons.size}" if batched else ""
        warnings.warn(
            f"{result.solver} diverged{where} after {int(iters[diverged].max())} iterations "
            "(non-finite or exploding iterates); returning the last finite iterate. "
            "Reduce step or check A.",
            ConvergenceWarning,
            stacklevel=_caller_level(),
        )
    unfinished = np.flatnonzero(reasons == "max_iter")
    if unfinished.size and tol > 0:
        worst = float(np.max(np.atleast_1d(result.optimality)[unfinished]))
        where = f" in columns {_listed(unfinished)} of {reasons.size}" if batched else ""
        warnings.warn(
            f"{result.solver} reached max_iter={int(iters[unfinished].max())}{where} with "
            f"optimality {worst:.3g} > tol={tol:.3g}; increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=_caller_level(),
        )


def _caller_level() -> int:
    """The stacklevel of the first frame outside sparseinv (the user's call)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _listed(columns: np.ndarray) -> str:
    shown = ", ".join(str(int(c)) for c in columns[:8])
    return f"[{shown}{', ...' if columns.size > 8 else ''}]"
