"""Solves and fit statistics shared by the selection criteria (private).

An :class:`Engine` binds an operator, data, a penalty type, groups and a solver. Its
:meth:`Engine.fit` solves at one λ (warm-started) and returns a :class:`Fit` with the
residual sum of squares and the degrees of freedom that SURE, GCV and the discrepancy
principle need; it also keeps the cost counters that the selection results report.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from pylops.utils.backend import get_array_module

from sparseinv._validation import _describe, check_positive_number, check_vector
from sparseinv.groups import Groups
from sparseinv.lipschitz import lipschitz
from sparseinv.operators import CountingOperator, as_operator
from sparseinv.penalties import L2, Penalty, penalty_type
from sparseinv.result import ConvergenceWarning, SolveResult
from sparseinv.solvers import resolve_solver
from sparseinv.solvers._cg import conjugate_gradient

Array = Any

#: default smallest λ of the grid, relative to its largest, per penalty
LAM_MIN_RATIO = {"l1": 1e-3, "l0": 1e-4, "l2": 1e-6}
#: the L2 grid starts at this multiple of ‖A‖² (shrinkage ≤ 1/11 in every direction)
_L2_TOP = 10.0
_DF_CG_TOL = 1e-6
_L0_DOUBLINGS = 30
#: dense operators up to this size are sliced into folds (faster than a Restriction)
_SLICE_BYTES = 256 * 2**20
_DF_CG_MAX_ITER = 1000


@dataclass(frozen=True)
class Fit:
    """One solve with the statistics of its fit.

    ``rss`` is ‖b − Ax‖², ``df`` the degrees of freedom in real units (see
    :meth:`Engine.degrees_of_freedom`), ``probes`` the warm start of the next
    Hutchinson estimate (L2 only).
    """

    lam: Any
    x: Array
    rss: float
    df: float
    objective: float
    support_size: int
    converged: bool
    probes: tuple[Array, ...] | None = None


class Engine:
    """Solves of one problem at any λ, with fit statistics and cost counters.

    Parameters
    ----------
    A, b
        Operator and data (validated here; ``b`` is flattened, not modified).
    penalty
        Penalty type or name.
    groups
        Groups for per-group λ, or None.
    solver
        Solver name or function.
    solver_options
        Passed to every solve.
    n_probes
        Hutchinson probes of the L2 degrees of freedom.
    rng
        Seed of the probes.
    with_df
        Compute the degrees of freedom of each fit (not needed by held-out folds).
    """

    def __init__(
        self,
        A: Any,
        b: Any,
        penalty: type[Penalty],
        groups: Groups | None,
        solver: str | Callable[..., SolveResult],
        solver_options: dict[str, Any],
        *,
        n_probes: int = 16,
        rng: Any = None,
        with_df: bool = True,
    ) -> None:
        self.A = A.operator if isinstance(A, CountingOperator) else A
        self.op = as_operator(self.A)
        m, n = self.op.shape
        self.xp = get_array_module(b) if hasattr(b, "shape") else np
        self.b = check_vector(b, "b", m, self.xp)
        if groups is not None:
            check_groups(groups, n)
        self.penalty = penalty
        self.groups = groups
        self.solve = resolve_solver(solver)
        self.solver_options = dict(solver_options)
        self.dtype = np.result_type(self.op.dtype, self.b.dtype, np.float64)
        self.is_complex = self.dtype.kind == "c"
        self.n_probes = n_probes
        self.rng = rng
        self.with_df = with_df
        self.n_solves = 0
        self._applications = 0  # solves, df probes and held-out residuals
        self._probe_rhs: list[Array] | None = None

    # ------------------------------------------------------------------ sizes
    @property
    def shape(self) -> tuple[int, int]:
        """``(m, n)``."""
        return self.op.shape

    @property
    def n_obs(self) -> int:
        """Real observations: ``m`` for real data, ``2m`` for complex data."""
        return 2 * self.op.shape[0] if self.is_complex else self.op.shape[0]

    def noise_var_per_obs(self, noise_std: float) -> float:
        """Variance of one real observation: σ² (real) or σ²/2 per real and imaginary part."""
        return noise_std**2 / 2 if self.is_complex else noise_std**2

    @property
    def n_applications(self) -> int:
        """Applications of A and Aᴴ (or of their row subsets) so far."""
        return self._applications + self.op.n_applications

    def count(self, n: int) -> None:
        """Add ``n`` applications done on another view of A (folds)."""
        self._applications += n

    # ------------------------------------------------------------------ solves
    def make_penalty(self, lam: Any) -> Penalty:
        """The penalty at ``lam`` (a float, or one value per group or per coefficient)."""
        return self.penalty(lam, groups=self.groups)

    def fit(self, lam: Any, x0: Array = None, probes: tuple[Array, ...] | None = None) -> Fit:
        """Solve at ``lam`` from ``x0`` and return the fit with its statistics.

        Parameters
        ----------
        lam : float or ndarray
            λ: one number, one per group or one per coefficient.
        x0 : ndarray, optional
            Warm start.
        probes : tuple of ndarray, optional
            Warm start of the L2 Hutchinson solves (from the previous fit).

        Returns
        -------
        Fit
        """
        pen = self.make_penalty(lam)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = self.solve(self.A, self.b, pen, x0=x0, **self.solver_options)
        self.n_solves += 1
        self._applications += res.n_applications
        x = res.x
        # F = ½‖Ax − b‖² + penalty: the residual needs no extra application of A
        rss = max(2.0 * (res.objective - pen.value(x)), 0.0)
        support = int(self.xp.count_nonzero(x))
        if self.with_df:
            df, new_probes = self.degrees_of_freedom(pen, x, probes)
        else:
            df, new_probes = math.nan, None
        return Fit(
            lam=lam,
            x=x,
            rss=rss,
            df=df,
            objective=float(res.objective),
            support_size=support,
            converged=bool(res.converged),
            probes=new_probes,
        )

    # ------------------------------------------------------------------ degrees of freedom
    def degrees_of_freedom(
        self, pen: Penalty, x: Array, probes: tuple[Array, ...] | None
    ) -> tuple[float, tuple[Array, ...] | None]:
        r"""Degrees of freedom :math:`\operatorname{div}_b(A\hat x)` in real units.

        L1 and L0: the support size (twice for complex x: two real parameters per
        non-zero). L2: :math:`\operatorname{tr}A(A^HA + \Lambda)^{-1}A^H` by Hutchinson
        probes, twice its real part for complex data.
        """
        if isinstance(pen, L2):
            return self._ridge_df(pen, probes)
        support = int(self.xp.count_nonzero(x))
        real_x = getattr(x, "dtype", np.dtype(float)).kind != "c"
        return float(support if real_x else 2 * support), None

    def _ridge_df(
        self, pen: L2, probes: tuple[Array, ...] | None
    ) -> tuple[float, tuple[Array, ...]]:
        xp = self.xp
        if self._probe_rhs is None:
            gen = np.random.default_rng(self.rng)
            m = self.op.shape[0]
            rhs = []
            for _ in range(self.n_probes):
                z = gen.choice(np.array([-1.0, 1.0]), size=m)
                if self.is_complex:
                    z = (z + 1j * gen.choice(np.array([-1.0, 1.0]), size=m)) / math.sqrt(2.0)
                rhs.append(self.op.rmatvec(xp.asarray(z.astype(self.dtype))))
            self._probe_rhs = rhs
        coef = pen.coef_lam
        diag = coef if isinstance(coef, float) else xp.asarray(coef)
        op = self.op
        total = 0.0
        solutions = []
        for k, w in enumerate(self._probe_rhs):
            start = probes[k] if probes is not None else xp.zeros_like(w)
            cg = conjugate_gradient(
                lambda v: op.rmatvec(op.matvec(v)) + diag * v,
                w,
                start,
                tol=_DF_CG_TOL,
                max_iter=_DF_CG_MAX_ITER,
                xp=xp,
            )
            solutions.append(cg.x)
            # zᴴ A (AᴴA + Λ)⁻¹ Aᴴ z = wᴴ u with w = Aᴴz and (AᴴA + Λ) u = w
            total += float(xp.vdot(w, cg.x).real)
        trace = total / len(self._probe_rhs)
        return (2.0 * trace if self.is_complex else trace), tuple(solutions)

    # ------------------------------------------------------------------ λ grid
    def top_scale(self, weights: NDArray[np.float64] | None) -> float:
        r"""The largest scale s of the grid for λ = s·w (w = 1 without weights).

        L1: the smallest s with x = 0, :math:`\max_i |a_i^Hb| / w_i`. L0: the
        smallest s for which x = 0 is a fixed point of iterative hard thresholding
        with step 1/L, :math:`\max_i |a_i^Hb|^2 / (2 L w_i)`, doubled until the
        solver returns x = 0 (its adaptive step can exceed 1/L). L2 (never exactly 0):
        :math:`10 L / \min_i w_i`, where every direction is shrunk to 1/11 or less.
        """
        w = 1.0 if weights is None else self._per_coefficient(weights)
        name = self.penalty.name
        corr = np.abs(_host(self.op.rmatvec(self.b)))
        if not np.all(np.isfinite(corr)):
            raise ValueError(
                "A and b must give a finite Aᴴb; got non-finite correlations (check A for "
                "NaN, inf or entries near the float limits)"
            )
        if not np.max(corr) > 0:
            L = lipschitz(self.op, xp=self.xp, dtype=self.dtype).value
            if not L > 0:
                raise ValueError(
                    f"A must not be zero: A of shape {self.shape} has ‖A‖₂ = 0, so every x "
                    "fits b equally and there is no λ to select"
                )
            raise ValueError(
                "b must not be orthogonal to the range of A: Aᴴb = 0, so x = 0 for every λ "
                "and there is nothing to select"
            )
        if name == "l2":
            L = lipschitz(self.op, xp=self.xp, dtype=self.dtype).value
            return _L2_TOP * L / float(np.min(w))
        if name == "l1":
            top = float(np.max(corr / w))
        else:
            L = lipschitz(self.op, xp=self.xp, dtype=self.dtype).value
            top = float(np.max(corr**2 / w)) / (2.0 * L)
            # the solver's step may exceed 1/L (local curvature is lower): double until x = 0
            for _ in range(_L0_DOUBLINGS):
                if (
                    not top > 0
                    or self.fit(top if weights is None else top * weights).support_size == 0
                ):
                    break
                top *= 2.0
        if not top > 0:
            raise ValueError(
                "b must not be orthogonal to the range of A: Aᴴb = 0, so x = 0 for every λ "
                "and there is nothing to select"
            )
        return top

    def _per_coefficient(self, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.groups is not None and weights.size == self.groups.n_groups:
            return self.groups.expand(weights)
        return weights


# ---------------------------------------------------------------------- helpers
def fit_path(engine: Engine, lam_values: Sequence[Any]) -> list[Fit]:
    """Full-data fits along ``lam_values`` (from large to small), each warm-started
    from the previous one (solution and L2 probe solutions)."""
    fits: list[Fit] = []
    for lam in lam_values:
        last = fits[-1] if fits else None
        fit = engine.fit(
            lam, x0=None if last is None else last.x, probes=None if last is None else last.probes
        )
        if last is not None and last.probes is not None:
            fits[-1] = replace(last, probes=None)  # keep one set of probe solutions
        fits.append(fit)
    return fits


def _host(x: Any) -> Any:
    return x.get() if hasattr(x, "get") and not isinstance(x, np.ndarray) else x


def check_groups(groups: Any, n_features: int) -> Groups:
    """``groups`` if it is a :class:`Groups` over ``n_features`` coefficients."""
    if not isinstance(groups, Groups):
        raise TypeError(
            f"groups must be a sparseinv.Groups; got {type(groups).__name__} "
            "(build one with Groups.from_sizes or Groups.from_labels)"
        )
    if groups.n_features != n_features:
        raise ValueError(
            f"groups must partition the {n_features} columns of A; "
            f"got groups over {groups.n_features} coefficients"
        )
    return groups


def resolve_penalty(
    penalty: str | type[Penalty] | Penalty, groups: Groups | None
) -> tuple[type[Penalty], Groups | None]:
    """Penalty type and groups from a name, a class or an instance (whose λ is ignored)."""
    if isinstance(penalty, Penalty):
        return type(penalty), penalty.groups if groups is None else groups
    return penalty_type(penalty), groups


def check_weights(
    weights: Any, groups: Groups | None, n_features: int
) -> NDArray[np.float64] | None:
    """Positive finite weights, one per group (with ``groups``) or one per coefficient."""
    if weights is None:
        return None
    arr = np.asarray(_host(weights))
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or arr.ndim != 1:
        raise TypeError(f"weights must be a 1-D array of positive reals; got {_describe(weights)}")
    sizes = [n_features] if groups is None else [groups.n_groups, n_features]
    if arr.size not in sizes:
        what = "per coefficient" if groups is None else "per group or per coefficient"
        raise ValueError(
            f"weights must hold one value {what} ({' or '.join(map(str, sizes))}); "
            f"got {arr.size} values"
        )
    if np.iscomplexobj(arr) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"weights must be real, finite and > 0; got {arr.tolist()[:8]}")
    out = arr.astype(np.float64, copy=True)
    out.flags.writeable = False
    return out


def scale_grid(top: float, *, n_lambdas: int, lam_min_ratio: float) -> NDArray[np.float64]:
    """``n_lambdas`` scales from ``top`` down to ``top·lam_min_ratio``, geometric."""
    if n_lambdas == 1:
        return np.array([top])
    return top * np.logspace(0.0, math.log10(lam_min_ratio), n_lambdas)


def check_scales(lams: Any) -> NDArray[np.float64]:
    """User λ (or scales): a non-empty 1-D set of positive reals, sorted from large to small."""
    if isinstance(lams, numbers.Real) and not isinstance(lams, bool):
        lams = [lams]
    arr = np.asarray(_host(lams) if hasattr(lams, "shape") else list(lams))
    if arr.size == 0:
        raise ValueError("lams must hold at least one λ; got an empty grid")
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or arr.ndim != 1:
        raise TypeError(f"lams must be a 1-D sequence of positive reals; got {_describe(lams)}")
    if np.iscomplexobj(arr) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"lams must be finite and > 0; got {arr.tolist()[:8]}")
    return np.unique(arr.astype(np.float64))[::-1].copy()


def check_n_folds(n_folds: Any, n_measurements: int | None = None) -> int:
    """An integer K >= 2, and K <= m when the number of measurements m is given."""
    if isinstance(n_folds, bool) or not isinstance(n_folds, numbers.Integral):
        raise TypeError(f"n_folds must be an integer; got {_describe(n_folds)}")
    upper = n_folds if n_measurements is None else n_measurements
    if not 2 <= n_folds <= upper:
        if n_measurements is None:
            raise ValueError(f"n_folds must be >= 2; got {n_folds}")
        raise ValueError(
            f"n_folds must be between 2 and the number of measurements ({n_measurements}); "
            f"got {n_folds}"
        )
    return int(n_folds)


def row_subset(A: Any, rows: NDArray[np.intp]) -> Any:
    """The rows ``rows`` of ``A``: a copy of those rows of a sparse matrix or of an
    array up to :data:`_SLICE_BYTES`, else a pylops ``Restriction`` composed with
    ``A`` (matrix-free, no copy)."""
    if isinstance(A, CountingOperator):
        A = A.operator
    if sp.issparse(A):
        return A.tocsr()[rows]
    is_array = hasattr(A, "ndim") and getattr(A, "ndim", 0) == 2 and not hasattr(A, "matvec")
    if is_array and getattr(A, "nbytes", math.inf) <= _SLICE_BYTES:
        return A[rows]
    import pylops

    if is_array:
        A = pylops.MatrixMult(A)

    m = int(A.shape[0])
    op = A if isinstance(A, pylops.LinearOperator) else pylops.aslinearoperator(A)
    return pylops.Restriction(m, rows, dtype=op.dtype) @ op


def check_choice(value: Any, name: str, options: Sequence[str]) -> str:
    """``value`` if it is one of ``options``, else an error naming ``name``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}; got {value!r}")
    return value


def check_noise_std(noise_std: Any) -> float | None:
    """None or a finite real ≥ 0."""
    if noise_std is None:
        return None
    return check_positive_number(noise_std, "noise_std", allow_zero=True)


__all__ = [
    "LAM_MIN_RATIO",
    "Engine",
    "Fit",
    "check_choice",
    "check_groups",
    "check_n_folds",
    "check_noise_std",
    "check_scales",
    "check_weights",
    "fit_path",
    "resolve_penalty",
    "row_subset",
    "scale_grid",
]
