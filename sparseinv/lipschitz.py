r"""The step size of the proximal-gradient solvers: :math:`L = \|A\|_2^2` by power iteration."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sparseinv._validation import check_positive_number, check_rng
from sparseinv.backend import Reducer
from sparseinv.operators import CountingOperator, as_operator

__all__ = ["LipschitzEstimate", "lipschitz", "power_iteration"]

Array = Any


@dataclass(frozen=True)
class LipschitzEstimate:
    """Result of :func:`lipschitz`.

    Attributes
    ----------
    value : float
        The estimate of :math:`\\|A\\|_2^2` with its safety margin applied.
    lower_bound : float
        The last :math:`\\|A^HAv\\|` for a unit :math:`v`, a lower bound on :math:`L`.
    n_iter : int
        Power iterations run (each one matvec and one rmatvec).
    """

    value: float
    lower_bound: float
    n_iter: int


def lipschitz(
    A: Any,
    *,
    max_iter: int = 30,
    tol: float = 1e-3,
    margin: float = 1.02,
    rng: int | np.random.Generator | None = 0,
    xp: Any = None,
    dtype: Any = None,
) -> LipschitzEstimate:
    r"""Estimate :math:`L = \|A\|_2^2` (the Lipschitz constant of :math:`\nabla\tfrac12\|Ax-b\|^2`).

    Power iteration on :math:`A^HA` from a random start; stops when the estimate
    changes by less than ``tol`` (relative) and multiplies it by ``margin``.
    Each iteration costs one matvec and one rmatvec; the estimate is a lower bound
    before the margin, so solvers pair it with a sufficient-decrease check.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator or CountingOperator
        The operator (a :class:`CountingOperator` keeps counting).
    max_iter : int, optional
        Most power iterations, ≥ 1.
    tol : float, optional
        Relative change of the estimate at which to stop, ≥ 0.
    margin : float, optional
        Safety factor ≥ 1 applied to the estimate.
    rng : int or numpy.random.Generator, optional
        Seed of the random start (fixed by default: the estimate is deterministic).
    xp : module, optional
        Array module of the start vector (numpy by default).
    dtype : dtype, optional
        dtype of the start vector (the operator's by default).

    Returns
    -------
    LipschitzEstimate

    Raises
    ------
    ValueError
        When ``A`` returns non-finite values for a finite unit vector: it holds
        NaN or infinite entries, or :math:`\|A\|^2` overflows its dtype.

    Examples
    --------
    >>> import numpy as np
    >>> est = lipschitz(np.diag([1.0, 2.0, 3.0]), tol=1e-8, max_iter=200, margin=1.0)
    >>> round(est.value, 6)
    9.0
    """
    max_iter = check_positive_number(max_iter, "max_iter", integer=True)
    tol = check_positive_number(tol, "tol", allow_zero=True)
    margin = check_positive_number(margin, "margin")
    if margin < 1.0:
        raise ValueError(f"margin must be >= 1 (a safety factor); got {margin!r}")
    op = A if isinstance(A, CountingOperator) else as_operator(A)
    xp = np if xp is None else xp
    dtype = np.dtype(op.dtype if dtype is None else dtype)
    values, n_iter = power_iteration(
        op,
        Reducer(xp),
        n_columns=op.batch or 1,
        max_iter=max_iter,
        tol=tol,
        rng=rng,
        xp=xp,
        dtype=dtype,
    )
    lower = float(values.max())
    return LipschitzEstimate(value=lower * margin, lower_bound=lower, n_iter=n_iter)


def power_iteration(
    op: CountingOperator,
    reducer: Reducer,
    *,
    n_columns: int,
    max_iter: int,
    tol: float,
    rng: Any,
    xp: Any,
    dtype: Any,
    start: Array | None = None,
    columns: Any = None,
) -> tuple[np.ndarray, int]:
    r"""Per-column lower bounds :math:`\|A^HAv_j\|` on :math:`\|A\|^2`, and the iterations run.

    Every column starts from the same random unit vector (from ``rng``), so a
    column of a batch gets the estimate a solve of that column alone gets.
    ``start`` replaces the random start (a distributed solve passes its local part
    of the same global vector). ``columns`` are the solve's columns the shared
    estimate is counted for (all by default).
    """
    if start is None:
        gen = check_rng(rng, "rng")
        v = gen.standard_normal(op.shape[1])
        if np.dtype(dtype).kind == "c":
            v = v + 1j * gen.standard_normal(op.shape[1])
        start = xp.asarray(v.astype(dtype, copy=False))
    V = xp.repeat(start.reshape(-1, 1), n_columns, axis=1)
    V = V / xp.asarray(reducer.norm(V), dtype=V.real.dtype)[None, :]
    lower = np.zeros(n_columns)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        Z = op.adjoint(op.forward(V, columns), columns)
        norms = reducer.norm(Z)
        if not np.all(np.isfinite(norms)):
            raise ValueError(
                "A returned non-finite values for a finite unit vector: it holds NaN or "
                "infinite entries, or its squared norm overflows "
                f"{np.dtype(dtype).name}; rescale A (and b)"
            )
        done = (norms == 0.0) | (np.abs(norms - lower) <= tol * norms)
        lower = norms
        if np.all(done):
            break
        safe = np.where(norms > 0, norms, 1.0)
        V = Z / xp.asarray(safe, dtype=Z.real.dtype)[None, :]
    if not np.all(np.isfinite(lower)) or math.isinf(float(lower.max())):
        raise ValueError("A has a squared norm that overflows; rescale A (and b)")
    tiny = float(np.finfo(np.empty(0, dtype=dtype).real.dtype).tiny)
    if 0 < float(lower.max()) < tiny:
        raise ValueError(
            f"A has a squared norm ({float(lower.max()):.3g}) below the smallest normal "
            f"{np.dtype(dtype).name}: its products lose their precision; rescale A (and λ)"
        )
    return lower, n_iter
