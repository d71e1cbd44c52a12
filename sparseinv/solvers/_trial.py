"""One trial step of the proximal-gradient loop, with the products a step decides on.

:func:`try_step` computes z = prox(y - step·∇f(y)), A z and, in one reduction per
space, every inner product the loop needs to accept the step, to restart and to
read F(z) (``½‖Az - b‖² = ½‖(Ay - b) + A(z - y)‖²``); :func:`fails_decrease` is the
sufficient-decrease test on those products; :func:`pattern` the sign pattern the
refinement watches. :class:`Work` holds the scratch blocks one batch width reuses.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from sparseinv.solvers._problem import Problem
from sparseinv.solvers._state import Batch

Array = Any


class Work:
    """Scratch blocks of one batch width, reused by every iteration."""

    __slots__ = ("ay", "d", "da", "r", "sign", "v", "y")

    def __init__(self, batch: Batch, xp: Any, real: Any, pattern: bool) -> None:
        X, AX = batch.x, batch.ax
        self.y, self.v, self.d = (xp.empty_like(X) for _ in range(3))
        self.ay, self.r, self.da = (xp.empty_like(AX) for _ in range(3))
        self.sign = xp.empty(X.shape, dtype=real) if pattern else None


class Trial(NamedTuple):
    """z = prox(y - step·∇f(y)), A z and the reductions a step decides on, per column."""

    z: Array
    az: Array
    dd: np.ndarray  # ‖z - y‖²
    dm: np.ndarray | None  # Re⟨z - y, mom⟩ (the restart test)
    fingerprint: np.ndarray | None  # ⟨sign z, probe⟩ (the pattern test)
    ad2: np.ndarray  # ‖A(z - y)‖²
    rda: np.ndarray  # Re⟨Ay - b, A(z - y)⟩
    rr: np.ndarray | None  # ‖Ay - b‖²
    value: np.ndarray  # penalty at z


def try_step(
    prob: Problem,
    Y: Array,
    AY: Array,
    R: Array,
    G: Array,
    steps: np.ndarray,
    *,
    mom: Array | None,
    probe: Array | None,
    work: Work | None,
    with_rr: bool,
) -> Trial:
    """One trial step of every column of ``prob``, its reductions taken together."""
    space, xp = prob.space, prob.space.xp
    scol = prob.col(steps)
    V = xp.multiply(G, scol, out=None if work is None else work.v)
    xp.subtract(Y, V, out=V)
    Z = prob.pen.prox(V, scol)
    if Z is V or getattr(Z, "base", None) is V:  # the next iteration overwrites V
        Z = Z.copy()
    AZ = prob.forward(Z)
    D = xp.subtract(Z, Y, out=None if work is None else work.d)
    DA = xp.subtract(AZ, AY, out=None if work is None else work.da)
    model = [(D, D)]
    if mom is not None:
        model.append((D, mom))
    if probe is not None:
        sign = pattern(xp, Z, None if work is None else work.sign)
        model.append((sign, probe))
    data = [(DA, DA), (R, DA)] + ([(R, R)] if with_rr else [])
    md, dd_ = space.model.dots(model), space.data.dots(data)
    return Trial(
        z=Z,
        az=AZ,
        dd=md[0],
        dm=md[1] if mom is not None else None,
        fingerprint=md[-1] if probe is not None else None,
        ad2=dd_[0],
        rda=dd_[1],
        rr=dd_[2] if with_rr else None,
        value=prob.pen.value(Z),
    )


def pattern(xp: Any, X: Array, out: Array | None) -> Array:
    """The sign pattern of ``X`` as a real block: signs if real, the support if complex."""
    if X.dtype.kind == "c":
        return xp.not_equal(X, 0, out=out) if out is not None else (X != 0).astype(X.real.dtype)
    return xp.sign(X, out=out)


def fails_decrease(trial: Trial, steps: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """The sufficient-decrease test ½‖A d‖² ≤ ‖d‖²/(2 step) fails (d = z - y).

    It passes where d = 0, where ‖A d‖² is rounding in Az - Ay, and where it is not
    finite (left to the divergence test).
    """
    ad2, dd = trial.ad2, trial.dd
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        curvature = ad2 / dd
        return (
            (dd != 0.0)
            & (ad2 > noise)
            & ~(curvature * steps <= 1.0 + 1e-10)
            & np.isfinite(curvature)
        )
