"""Explicit per-column state of the proximal-gradient loop, and the record of finished columns.

The loop runs on a batch of columns (a 1-D problem is a batch of one). Device
blocks have one column per running right-hand side; host arrays of shape
``(columns,)`` hold each column's scalars. Columns that stop are moved to a
:class:`Record` and dropped from the batch, so later iterations cost nothing for
them wherever the operator can be applied to fewer columns.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from sparseinv.result import SolveResult

Array = Any


class Batch:
    """The running columns of a proximal-gradient solve, owned by the loop.

    Every device block is a fresh array or a buffer of the loop's own (never an
    array of the caller's or one an operator may hand out again), so the loop
    updates them in place. The momentum is kept as the difference of the last two
    iterates, ``mom = x_k - x_{k-1}`` (and ``amom = A mom``): the extrapolated point
    is ``y = x + β·mom``, the restart test and the Anderson memory read it as it is.

    Attributes
    ----------
    x, ax : array
        Iterate ``(n, c)`` and ``A x`` ``(m, c)``.
    mom, amom : array or None
        ``x_k - x_{k-1}`` and ``A`` of it (None when the loop needs neither).
    grad : array
        ∇f at the last extrapolated point, or at ``x`` where ``grad_known``.
    grad_known : ndarray of bool
    objective : ndarray
        F(x) per column.
    age : ndarray of int
        Momentum steps since the last restart (FISTA's ``t`` is a function of it).
    step : ndarray
    streak : ndarray of int
        Accepted steps since the last failed sufficient-decrease test.
    need : ndarray
        Accepted steps in a row before the step may grow (doubled by each failure).
    ax_exact : ndarray of bool
        Whether ``ax`` was computed by A itself (not combined).
    """

    __slots__ = (
        "age",
        "amom",
        "ax",
        "ax_exact",
        "grad",
        "grad_known",
        "mom",
        "need",
        "objective",
        "step",
        "streak",
        "x",
    )
    _device = ("x", "ax", "mom", "amom", "grad")

    def __init__(self, **fields: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, fields[name])

    @property
    def n_columns(self) -> int:
        return int(self.x.shape[1])

    def take(self, idx: Any) -> Batch:
        """The columns at positions ``idx`` (copies)."""
        fields = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if value is not None:
                value = value[:, idx] if name in self._device else value[idx]
            fields[name] = value
        return Batch(**fields)

    def put(self, idx: Any, part: Batch) -> None:
        """Replace the columns at positions ``idx`` by those of ``part``, in place."""
        for name in self.__slots__:
            whole = getattr(self, name)
            if whole is None:
                continue
            if name in self._device:
                whole[:, idx] = getattr(part, name)
            else:
                whole[idx] = getattr(part, name)


class Momentum:
    """FISTA's momentum sequence: ``t_0 = 1``, ``t_{j+1} = (1 + √(1 + 4t_j²))/2``, as tables.

    A column that has taken ``j`` momentum steps since its last restart
    extrapolates with ``β_j = (t_j - 1)/t_{j+1}``; one table lookup replaces the
    per-iteration arithmetic on every column's ``t``.
    """

    def __init__(self, size: int = 256) -> None:
        # every solve starts from the same read-only tables (256 steps of the recurrence
        # cost about 0.1 ms, a tenth of a small solve's set-up); extend builds new ones
        self.t, self.beta = _momentum_tables(size)

    def extend(self, size: int) -> None:
        """Make the tables cover ``size`` momentum steps."""
        if size > self.beta.size:
            self.t, self.beta = _extended(self.t, size)


@functools.lru_cache(maxsize=4)
def _momentum_tables(size: int) -> tuple[np.ndarray, np.ndarray]:
    return _extended(np.ones(1), size)


def _extended(t_known: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The tables ``t`` and ``β`` over ``size`` steps, continuing ``t_known`` (read-only)."""
    n = t_known.size - 1
    t = np.empty(size + 1)
    t[: n + 1] = t_known
    value = float(t[n])
    for j in range(n, size):  # the recurrence itself: the same values as step by step
        value = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * value * value))
        t[j + 1] = value
    beta = (t[:-1] - 1.0) / t[1:]
    t.setflags(write=False)
    beta.setflags(write=False)
    return t, beta


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

    def log_iterate(
        self, row: int, slots: np.ndarray, objective: Any, optimality: Any, apps: Any
    ) -> None:
        """Record iterate ``row`` of the columns at ``slots`` (every one of them at that row)."""
        if row >= self.history.shape[0]:
            grown = np.full((2 * (row + 1), 3, self.history.shape[2]), math.nan)
            grown[: self.history.shape[0]] = self.history
            self.history = grown
        where = slice(None) if slots.size == self.history.shape[2] else slots
        entry = self.history[row]
        entry[0, where] = objective
        entry[1, where] = optimality
        entry[2, where] = apps
        self.cursor[where] = row + 1

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
