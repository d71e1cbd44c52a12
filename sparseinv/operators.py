"""One matrix-free view of any operator a user has, counting its applications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from pylops.utils.backend import get_array_module

__all__ = ["CountingOperator", "LipschitzEstimate", "as_operator", "lipschitz"]

Array = Any


class CountingOperator:
    """A matrix-free view of ``A`` that counts forward and adjoint applications.

    Accepts a numpy (or cupy) 2-D array, a scipy sparse matrix, a scipy
    ``LinearOperator`` or a pylops ``LinearOperator``, real or complex. Built by
    :func:`as_operator`; each solve builds its own, so counts start at 0.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        The operator.

    Attributes
    ----------
    shape : tuple of int
        ``(n_measurements, n_features)``.
    dtype : numpy.dtype
        The operator's dtype.
    n_matvec, n_rmatvec : int
        Applications of ``A`` and ``A^H`` so far.

    Examples
    --------
    >>> import numpy as np
    >>> op = as_operator(np.eye(3))
    >>> op.matvec(np.ones(3)).tolist(), op.n_matvec
    ([1.0, 1.0, 1.0], 1)
    """

    __slots__ = ("_adjoint", "_forward", "dtype", "n_matvec", "n_rmatvec", "operator", "shape")

    def __init__(self, A: Any) -> None:
        shape = getattr(A, "shape", None)
        if shape is None or len(shape) != 2:
            raise TypeError(
                "A must be a 2-D array, a scipy sparse matrix, a scipy LinearOperator or a "
                f"pylops LinearOperator; got {type(A).__name__}"
                + ("" if shape is None else f" of shape {tuple(shape)}")
            )
        self.operator = A
        self.shape = (int(shape[0]), int(shape[1]))
        self.n_matvec = 0
        self.n_rmatvec = 0
        if sp.issparse(A):
            adjoint = A.conj().T.tocsr() if np.iscomplexobj(A.data) else A.T.tocsr()
            forward = A.tocsr()
            self._forward = forward.__matmul__
            self._adjoint = adjoint.__matmul__
            self.dtype = np.dtype(A.dtype)
        elif hasattr(A, "matvec") and hasattr(A, "rmatvec"):
            self._forward = A.matvec
            self._adjoint = A.rmatvec
            self.dtype = np.dtype(A.dtype)
        elif hasattr(A, "__matmul__") and hasattr(A, "dtype") and getattr(A, "ndim", 0) == 2:
            xp = get_array_module(A)
            if A.dtype == object or not np.issubdtype(np.dtype(A.dtype), np.number):
                raise TypeError(f"A must be numeric; got dtype {A.dtype}")
            if not bool(xp.all(xp.isfinite(A))):
                raise ValueError("A must be finite; it holds NaN or infinite entries")
            self.dtype = np.dtype(A.dtype)
            self._forward = A.__matmul__
            if self.dtype.kind == "c":
                # (r̄ᵀ A)̄ = Aᴴ r without copying A
                self._adjoint = lambda r: (r.conj() @ A).conj()
            else:
                self._adjoint = A.T.__matmul__
        else:
            raise TypeError(
                "A must be a 2-D array, a scipy sparse matrix, a scipy LinearOperator or a "
                f"pylops LinearOperator; got {type(A).__name__}"
            )

    def matvec(self, x: Array) -> Array:
        """Apply ``A``.

        Parameters
        ----------
        x : ndarray
            Shape ``(n_features,)``.

        Returns
        -------
        ndarray
            Shape ``(n_measurements,)``.
        """
        self.n_matvec += 1
        return self._forward(x).reshape(-1)

    def rmatvec(self, r: Array) -> Array:
        """Apply the adjoint ``A^H``.

        Parameters
        ----------
        r : ndarray
            Shape ``(n_measurements,)``.

        Returns
        -------
        ndarray
            Shape ``(n_features,)``.
        """
        self.n_rmatvec += 1
        return self._adjoint(r).reshape(-1)

    @property
    def n_applications(self) -> int:
        """``n_matvec + n_rmatvec``."""
        return self.n_matvec + self.n_rmatvec


def as_operator(A: Any) -> CountingOperator:
    """A fresh :class:`CountingOperator` view of ``A`` (counts at 0).

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
        numpy/cupy array, scipy sparse matrix, scipy or pylops LinearOperator.

    Returns
    -------
    CountingOperator

    Examples
    --------
    >>> import numpy as np
    >>> as_operator(np.ones((2, 3))).shape
    (2, 3)
    """
    if isinstance(A, CountingOperator):
        A = A.operator
    return CountingOperator(A)


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

    Power iteration on :math:`A^HA` from a random start; stops when the Rayleigh
    quotient changes by less than ``tol`` (relative) and multiplies it by ``margin``.
    Each iteration costs one matvec and one rmatvec; the estimate is a lower bound
    before the margin, so solvers pair it with a sufficient-decrease check.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator or CountingOperator
        The operator (a :class:`CountingOperator` keeps counting).
    max_iter : int, optional
        Most power iterations.
    tol : float, optional
        Relative change of the Rayleigh quotient at which to stop.
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

    Examples
    --------
    >>> import numpy as np
    >>> est = lipschitz(np.diag([1.0, 2.0, 3.0]), tol=1e-8, max_iter=200, margin=1.0)
    >>> round(est.value, 6)
    9.0
    """
    op = A if isinstance(A, CountingOperator) else as_operator(A)
    xp = np if xp is None else xp
    dtype = np.dtype(op.dtype if dtype is None else dtype)
    gen = np.random.default_rng(rng)
    v = gen.standard_normal(op.shape[1])
    if dtype.kind == "c":
        v = v + 1j * gen.standard_normal(op.shape[1])
    v = xp.asarray((v / np.linalg.norm(v)).astype(dtype, copy=False))
    lower_bound = 0.0
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        z = op.rmatvec(op.matvec(v))
        # ‖AᴴAv‖ for a unit v: a lower bound on L, tighter than the Rayleigh quotient
        new = float(xp.linalg.norm(z))
        if new == 0.0:
            break
        v = z / new
        converged = abs(new - lower_bound) <= tol * new
        lower_bound = new
        if converged:
            break
    return LipschitzEstimate(value=lower_bound * margin, lower_bound=lower_bound, n_iter=n_iter)
