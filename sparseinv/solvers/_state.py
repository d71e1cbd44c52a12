"""Explicit per-column state of the proximal-gradient loop, and the record of finished columns.

The loop runs on a batch of columns (a 1-D problem is a batch of one). Device
blocks have one column per running right-hand side; host arrays of shape
``(columns,)`` hold each column's scalars. Columns that stop are moved to a
:class:`Record` and dropped from the batch, so later iterations cost nothing for
them wherever the operator can be applied to fewer columns.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from sparseinv.result import SolveResult

Array = Any


class PGState(NamedTuple):
    """Proximal-gradient state after iteration k, for the running columns."""

    x: Array  # iterate x_k, (n, c)
    Ax: Array  # A x_k, (m, c)
    x_prev: Array  # x_{k-1}
    Ax_prev: Array  # A x_{k-1}
    grad: Array  # ∇f(x_k) where grad_known, else anything
    grad_known: np.ndarray  # (c,) bool
    objective: np.ndarray  # (c,) F(x_k)
    t: np.ndarray  # (c,) FISTA momentum parameter (1: no momentum)
    step: np.ndarray  # (c,)
    streak: np.ndarray  # (c,) accepted steps since the last failed sufficient-decrease test
    failures: np.ndarray  # (c,) failed tests so far: each doubles the streak needed to grow
    ax_exact: np.ndarray  # (c,) whether Ax was computed by A itself (not combined)


_DEVICE = ("x", "Ax", "x_prev", "Ax_prev", "grad")


def take(state: PGState, idx: Any) -> PGState:
    """The state of the columns ``idx`` (positions in the batch)."""
    fields = {}
    for name, value in zip(PGState._fields, state, strict=True):
        fields[name] = value[:, idx] if name in _DEVICE else value[idx]
    return PGState(**fields)


def put(state: PGState, idx: Any, part: PGState, xp: Any) -> PGState:
    """``state`` with the columns ``idx`` replaced by ``part`` (new arrays; nothing aliased)."""
    fields = {}
    for name, whole, piece in zip(PGState._fields, state, part, strict=True):
        new = whole.copy()
        if name in _DEVICE:
            new[:, idx] = piece
        else:
            new[idx] = piece
        fields[name] = new
    return PGState(**fields)


class Record:
    """What the finished columns of a solve leave: their final values and histories.

    Parameters
    ----------
    n_columns : int
        Columns of the solve.
    """

    def __init__(self, n_columns: int, x_shape: tuple[int, int], xp: Any, dtype: Any) -> None:
        k = n_columns
        self.x = xp.zeros(x_shape, dtype=dtype)
        self.objective = np.full(k, math.nan)
        self.optimality = np.full(k, math.inf)
        self.step = np.full(k, math.nan)
        self.n_iter = np.zeros(k, dtype=np.int64)
        self.stop_reason = np.array(["max_iter"] * k, dtype="<U9")
        self.done = np.zeros(k, dtype=bool)
        # per iterate and column: F, optimality, applications; each column has its own cursor
        self.history = np.full((64, 3, k), math.nan)
        self.cursor = np.zeros(k, dtype=np.int64)

    def log(self, slots: np.ndarray, objective: Any, optimality: Any, apps: Any) -> None:
        """Append one iterate of the columns at ``slots`` to their histories."""
        rows = self.cursor[slots]
        need = int(rows.max()) + 1 if rows.size else 0
        if need > self.history.shape[0]:
            grown = np.full((2 * need, 3, self.history.shape[2]), math.nan)
            grown[: self.history.shape[0]] = self.history
            self.history = grown
        self.history[rows, 0, slots] = objective
        self.history[rows, 1, slots] = optimality
        self.history[rows, 2, slots] = apps
        self.cursor[slots] += 1

    def extend(self, slots: np.ndarray, history: Any) -> None:
        """Append a continuation's history (its rows after its start) to ``slots``."""
        columns = {key: np.asarray(value).reshape(len(value), -1) for key, value in history.items()}
        for j, slot in enumerate(slots):
            F = columns["objective"][1:, j]
            n = int(np.sum(~np.isnan(F)))
            for row in range(n):
                self.log(
                    np.array([slot]),
                    F[row],
                    columns["optimality"][1 + row, j],
                    columns["n_applications"][1 + row, j],
                )

    def finish(
        self,
        columns: np.ndarray,
        *,
        x: Array,
        objective: Any,
        optimality: Any,
        step: Any,
        n_iter: Any,
        reason: Any,
    ) -> None:
        """Store the final values of ``columns`` (global column indices)."""
        self.x[:, columns] = x
        self.objective[columns] = objective
        self.optimality[columns] = optimality
        self.step[columns] = step
        self.n_iter[columns] = n_iter
        self.stop_reason[columns] = reason
        self.done[columns] = True

    def result(
        self,
        *,
        solver: str,
        op: Any,
        columns: np.ndarray,
        batched: bool,
        x: Any,
        scale: np.ndarray | None = None,
    ) -> SolveResult:
        """The :class:`SolveResult`, per column for a batch, with scalars for a 1-D ``b``.

        ``scale``: the powers of two the data were divided by; objectives are
        multiplied back by ``scale**2``.
        """
        # rows after a column's last iterate stay NaN; trim to the longest column
        hist = self.history[: int(self.cursor.max())].copy()
        if scale is not None:
            with np.errstate(over="ignore"):
                hist[:, 0] *= scale**2
                self.objective = self.objective * scale**2
        history = {
            "objective": hist[:, 0],
            "optimality": hist[:, 1],
            "n_applications": hist[:, 2],
        }
        converged = self.stop_reason == "converged"
        fields: dict[str, Any] = {
            "objective": self.objective,
            "converged": converged,
            "stop_reason": self.stop_reason,
            "n_iter": self.n_iter,
            "n_matvec": op.column_matvec[columns],
            "n_rmatvec": op.column_rmatvec[columns],
            "step": self.step,
            "optimality": self.optimality,
        }
        if not batched:
            fields = {
                "objective": float(self.objective[0]),
                "converged": bool(converged[0]),
                "stop_reason": str(self.stop_reason[0]),
                "n_iter": int(self.n_iter[0]),
                "n_matvec": int(op.column_matvec[columns[0]]),
                "n_rmatvec": int(op.column_rmatvec[columns[0]]),
                "step": float(self.step[0]),
                "optimality": float(self.optimality[0]),
            }
            history = {key: value[:, 0] for key, value in history.items()}
        if fields["step"] is not None and np.all(np.isnan(np.atleast_1d(fields["step"]))):
            fields["step"] = None
        return SolveResult(
            x=x,
            history=history,
            solver=solver,
            n_block_matvec=op.n_matvec,
            n_block_rmatvec=op.n_rmatvec,
            **fields,
        )
