"""Checks and set-up shared by every solver: operator view, data, start, penalty."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from pylops.utils.backend import get_array_module

from sparseinv._validation import check_positive_number, check_vector
from sparseinv.operators import CountingOperator, as_operator
from sparseinv.penalties import Penalty

Array = Any


@dataclass(frozen=True)
class Setup:
    """A validated problem: operator view (fresh counters), flat data, start, bound penalty."""

    op: CountingOperator
    b: Array
    x0: Array
    penalty: Penalty
    xp: Any
    dtype: np.dtype


def prepare(A: Any, b: Any, penalty: Any, x0: Any) -> Setup:
    """Validate the common arguments; nothing the caller passed is modified or aliased."""
    if not isinstance(penalty, Penalty):
        raise TypeError(
            "penalty must be a sparseinv penalty (sparseinv.L0, L1 or L2); "
            f"got {type(penalty).__name__}"
        )
    op = as_operator(A)
    m, n = op.shape
    xp = get_array_module(b) if hasattr(b, "shape") else np
    b = check_vector(b, "b", m, xp)
    penalty.check_size(n)
    dtype = np.result_type(op.dtype, b.dtype)
    if dtype.kind not in "fc":
        dtype = np.result_type(dtype, np.float64)
    if x0 is None:
        start = xp.zeros(n, dtype=dtype)
    else:
        flat = check_vector(x0, "x0", n, xp)
        start = flat.astype(np.result_type(dtype, flat.dtype), copy=True)
    if b.dtype.kind not in "fc":
        b = b.astype(dtype)
    return Setup(
        op=op, b=b, x0=start, penalty=penalty.on(xp, start.dtype), xp=xp, dtype=start.dtype
    )


def check_options(
    *, step: float | None, max_iter: int, tol: float
) -> tuple[float | None, int, float]:
    """Validate the options every solver shares."""
    if step is not None:
        step = check_positive_number(step, "step")
    max_iter = check_positive_number(max_iter, "max_iter", integer=True)
    tol = check_positive_number(tol, "tol", allow_zero=True)
    return step, max_iter, tol


def sq_norm(xp: Any, v: Array) -> float:
    """``‖v‖²`` as a float, for real or complex ``v``."""
    return float(xp.vdot(v, v).real)


def start_point(setup: Setup) -> tuple[Array, float]:
    """``A x0`` and the objective at ``x0``; the default zero start costs no matvec."""
    xp, x0 = setup.xp, setup.x0
    if bool(xp.any(x0 != 0)):
        Ax0 = setup.op.matvec(x0)
    else:
        Ax0 = xp.zeros(setup.op.shape[0], dtype=setup.dtype)
    return Ax0, 0.5 * sq_norm(xp, Ax0 - setup.b) + setup.penalty.value(x0)


def new_history(objective: float, n_applications: int) -> dict[str, list[float]]:
    """The per-iterate history of a solve, holding its start (which has no optimality)."""
    return {"objective": [objective], "optimality": [math.nan], "n_applications": [n_applications]}
