"""The fixed parts of a proximal-gradient solve, for the columns still running."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from sparseinv._unpenalized import UnpenalizedBasis
from sparseinv.backend import Space
from sparseinv.operators import CountingOperator
from sparseinv.penalties import BoundPenalty
from sparseinv.result import ConvergenceWarning
from sparseinv.solvers._setup import Setup
from sparseinv.solvers._state import Batch

Array = Any
_TINY = np.finfo(float).tiny


class Problem(NamedTuple):
    """What the steps of a batch need besides the state; :meth:`take` restricts it."""

    op: CountingOperator
    b: Array  # (m, c) data of the running columns
    pen: BoundPenalty
    space: Space
    columns: np.ndarray  # (c,) the operator's indices of the running columns (for counting)
    slots: np.ndarray  # (c,) their positions in the solve's record
    adaptive: bool  # step adapted by the sufficient-decrease test
    noise: np.ndarray  # (c,) ‖A d‖² below this is rounding error in Az - Ay, not curvature
    measure: str  # "gap" (L1), "distance" (L2 with λ > 0) or "mapping": see measure()
    scale: np.ndarray  # (c,) ‖Aᴴb‖ for "mapping", λ_min for "distance"
    real: Any  # real dtype of the iterates
    basis: UnpenalizedBasis | None = None  # projects θ onto A_Uᴴθ = 0 (λ = 0 coefficients)

    def take(self, idx: Any) -> Problem:
        """The problem of the running columns at positions ``idx``."""
        if idx is None:
            return self
        return self._replace(
            b=self.b[:, idx],
            pen=self.pen.take(idx),
            columns=self.columns[idx],
            slots=self.slots[idx],
            noise=self.noise[idx],
            scale=self.scale[idx],
        )

    def col(self, values: Any) -> Array:
        """Per-column host values as a (1, c) block of the real dtype on the device."""
        return self.space.columns(values, self.real)

    def forward(self, X: Array, idx: Any = None) -> Array:
        """A applied to the columns at positions ``idx`` (all by default)."""
        return self.op.forward(X, self.columns if idx is None else self.columns[idx])

    def adjoint(self, R: Array, idx: Any = None) -> Array:
        """Aᴴ applied to the columns at positions ``idx`` (all by default)."""
        return self.op.adjoint(R, self.columns if idx is None else self.columns[idx])

    def objective(self, X: Array, AX: Array) -> np.ndarray:
        """F per column from x and A x."""
        return 0.5 * self.space.data.sq_norm(AX - self.b) + self.pen.value(X)


def gradient(prob: Problem, R: Array, known: np.ndarray, grad: Array) -> Array:
    """∇f = Aᴴ R per column, taking ``grad`` where it is ``known`` (one adjoint for the rest)."""
    if known.all():
        return grad
    if not known.any():
        return prob.adjoint(R)
    missing = np.flatnonzero(~known)
    out = grad.copy()
    out[:, missing] = prob.adjoint(R[:, missing], missing)
    return out


def measure(
    prob: Problem,
    F: np.ndarray,
    R: Array,
    G: Array,
    Y: Array,
    Z: Array,
    dd: np.ndarray,
    step: np.ndarray,
) -> np.ndarray:
    r"""Per-column optimality of the new iterate z = prox(y - step·G), with G = ∇f(y).

    - ``"gap"`` (every convex penalty with a dual, :mod:`sparseinv.penalties._dual`):
      the relative duality gap :math:`(F(z) - D(\theta)) / F(z)` at the best multiple
      θ of the residual :math:`R = Ay - b` at y (``G`` = AᴴR), projected first onto
      :math:`A_U^H\theta = 0` for unpenalized coefficients; a bound on
      :math:`(F(z) - F^\star)/F(z)`.
    - ``"distance"`` (L2 with every λ > 0, strongly convex with modulus
      :math:`\mu \ge \lambda_{\min}`): :math:`\|\nabla F(y)\| / (\lambda_{\min}\|z\|)`,
      a bound on the relative distance to the solution, since
      :math:`\|y - x^\star\| \le \|\nabla F(y)\|/\mu` and the step moves towards it.
    - ``"mapping"`` (L0, and the penalties without a usable dual): the gradient mapping
      :math:`\|z - y\|/\text{step}` relative to :math:`\|A^H b\|`, the gradient at 0;
      it vanishes exactly at the fixed points of the step.
    """
    if prob.measure == "gap":
        dual = dual_value(prob.pen, prob.basis, prob.b, R, G)
        return np.maximum(F - dual, 0.0) / np.maximum(np.abs(F), _TINY)
    if prob.measure == "distance":
        coef = prob.pen.ridge
        grad_F = np.sqrt(prob.space.model.sq_norm(G + coef * Y))
        size = np.sqrt(prob.space.model.sq_norm(Z))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = grad_F / (prob.scale * size)
        return np.where(size > 0, out, np.where(grad_F > 0, np.inf, 0.0))
    return np.sqrt(dd) / step / prob.scale


def measure_at(
    prob: Problem, batch: Batch, idx: np.ndarray, X: Array, AX: Array, F: np.ndarray
) -> np.ndarray:
    """The optimality measure at the iterates ``X`` of ``batch``'s columns ``idx`` themselves.

    ``prob`` is the problem of those columns; the gradient is the batch's where it is
    known for all of them, else one adjoint.
    """
    R = AX - prob.b
    known = batch.grad_known[idx]
    G = batch.grad[:, idx] if known.all() else prob.adjoint(R)
    steps = batch.step[idx]
    scol = prob.col(steps)
    Z = prob.pen.prox(X - scol * G, scol)
    dd = prob.space.model.sq_norm(Z - X)
    with np.errstate(over="ignore", invalid="ignore"):
        return measure(prob, F, R, G, X, Z, dd, steps)


def dual_value(
    pen: BoundPenalty, basis: UnpenalizedBasis | None, b: Array, R: Array, G: Array
) -> np.ndarray | None:
    """The penalty's dual value at the residual R = Ay - b (projected when ``basis``)."""
    if basis is not None:
        R, G = basis.project(R, G)
    return pen.dual_value(b, R, G)


#: a relative duality gap (or distance) below this many ulps of the dtype is rounding
_CERTIFIABLE_ULPS = 10.0


def certifiable_tol(tol: float, dtype: Any) -> float:
    """``tol``, or the smallest tolerance the dtype can certify, with a warning, if below it.

    The optimality measures are relative; below a few ulps of the iterates' dtype
    they are rounding noise, and a solve asked for less would run to ``max_iter``
    (a float32 solve at ``tol=1e-10``). ``tol = 0`` (run ``max_iter`` iterations) is
    kept as it is.
    """
    real = np.empty(0, dtype=dtype).real.dtype
    floor = _CERTIFIABLE_ULPS * float(np.finfo(real).eps)
    if 0 < tol < floor:
        warnings.warn(
            f"tol={tol:g} is below what {real} can certify (about {floor:.1e}, "
            f"{_CERTIFIABLE_ULPS:g} ulps); the solve stops at tol={floor:.1e}",
            ConvergenceWarning,
            stacklevel=3,
        )
        return floor
    return tol


class Start(NamedTuple):
    """A solve's start point, its objective and its certificate."""

    Ax: Array  # A x0
    objective: np.ndarray  # F(x0) per column
    grad: Array  # ∇f(x0)
    optimality: np.ndarray  # the measure at x0 where it needs no step (else NaN)
    finite: np.ndarray  # F(x0) and ∇f(x0) finite
    problem: Problem


def start_point(setup: Setup, *, adaptive: bool) -> Start:
    """A x0 (free for the zero start), F(x0), ∇f(x0) and the duality gap at x0.

    The first step needs ∇f(x0) anyway, so checking whether x0 is already optimal
    (a warm start at the solution, λ ≥ λ_max from x0 = 0) costs nothing more.
    """
    op, space, xp = setup.op, setup.space, setup.xp
    B, X0 = setup.b, setup.x0
    k = setup.n_columns
    columns = setup.columns
    real = np.empty(0, dtype=setup.dtype).real.dtype
    nonzero = np.flatnonzero(~space.model.all(X0 == 0))
    AX0 = xp.zeros(B.shape, dtype=setup.dtype)
    if nonzero.size:
        AX0[:, nonzero] = op.forward(X0[:, nonzero], columns[nonzero])
    R0 = AX0 - B
    with np.errstate(over="ignore", invalid="ignore"):
        F0 = 0.5 * space.data.sq_norm(R0) + setup.penalty.value(X0)
    G0 = op.adjoint(R0, columns)
    pen = setup.penalty
    basis = None
    if not pen.quadratic and pen.has_dual and pen.unpenalized is not None:
        # λ = 0 coefficients: the dual point must meet A_Uᴴθ = 0 (see _unpenalized)
        basis = UnpenalizedBasis.build(
            op,
            space,
            pen.unpenalized,
            dtype=setup.dtype,
            offset=pen.row_offset,
            n_features=pen.n_global,
        )
    gap = not pen.quadratic and pen.has_dual and (pen.unpenalized is None or basis is not None)
    with np.errstate(over="ignore", invalid="ignore"):
        dual = dual_value(pen, basis, B, R0, G0) if gap else None
        finite = np.isfinite(F0) & np.isfinite(space.model.sq_norm(G0))
    optimality = np.full(k, np.nan)
    if pen.quadratic:
        kind = "distance"
        scale = -space.model.max(-xp.broadcast_to(pen.ridge, X0.shape))
        grad_F = np.sqrt(space.model.sq_norm(G0 + pen.ridge * X0))
        size = np.sqrt(space.model.sq_norm(X0))
        with np.errstate(divide="ignore", invalid="ignore"):
            optimality = np.where(grad_F > 0, grad_F / (scale * size), 0.0)
    elif dual is not None:
        kind = "gap"
        scale = np.ones(k)
        with np.errstate(invalid="ignore"):
            optimality = np.maximum(F0 - dual, 0.0) / np.maximum(np.abs(F0), _TINY)
    else:
        kind = "mapping"
        at_zero = G0 if nonzero.size == 0 else op.adjoint(B, columns)
        scale = np.sqrt(space.model.sq_norm(at_zero))
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    eps = float(np.finfo(real).eps)
    problem = Problem(
        op=op,
        b=B,
        pen=setup.penalty,
        space=space,
        columns=columns,
        slots=np.arange(k),
        adaptive=adaptive,
        noise=(1e3 * eps) ** 2 * space.data.sq_norm(B),
        measure=kind,
        scale=scale,
        real=real,
        basis=basis,
    )
    return Start(
        Ax=AX0, objective=F0, grad=G0, optimality=optimality, finite=finite, problem=problem
    )
