"""Reference optima of the new penalties (issue 12): scikit-learn, skglm, scipy and cvxpy.

Each function returns the reference solution x; the tests evaluate sparseinv's own
objective at it (:func:`sparseinv.objective`), so both sides are measured by the same
F. The references are solved far below the 1e-6 relative objective the tests ask for.
"""

from __future__ import annotations

import warnings

import numpy as np

import sparseinv as si

REL = 1e-6  # relative objective agreement asked of every comparison


def close_objectives(F: float, F_ref: float, rel: float = REL) -> bool:
    """|F - F_ref| ≤ rel·|F_ref| (and F below the reference within rel)."""
    return abs(F - F_ref) <= rel * abs(F_ref)


def sklearn_elastic_net(A, b, a: float, c: float, *, positive: bool = False) -> np.ndarray:
    from sklearn.linear_model import ElasticNet

    alpha, ratio = si.to_sklearn_elastic_net(a, c, A.shape[0])
    model = ElasticNet(
        alpha=alpha,
        l1_ratio=ratio,
        fit_intercept=False,
        positive=positive,
        tol=1e-14,
        max_iter=1_000_000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(A, b).coef_


def sklearn_positive_lasso(A, b, lam: float) -> np.ndarray:
    from sklearn.linear_model import Lasso

    model = Lasso(
        alpha=si.to_sklearn_alpha(lam, A.shape[0]),
        positive=True,
        fit_intercept=False,
        tol=1e-14,
        max_iter=1_000_000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(A, b).coef_


def sklearn_multitask_lasso(A, B, lam: float) -> np.ndarray:
    from sklearn.linear_model import MultiTaskLasso

    model = MultiTaskLasso(
        alpha=si.to_sklearn_alpha(lam, A.shape[0]),
        fit_intercept=False,
        tol=1e-14,
        max_iter=1_000_000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(A, B).coef_.T  # (n, k)


def skglm_group_lasso(A, b, groups: si.Groups, lam_groups, *, positive: bool = False):
    """skglm's GroupBCD on QuadraticGroup + WeightedGroupL2 (any partition, weights ≥ 0)."""
    from skglm.datafits import QuadraticGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupBCD
    from skglm.utils.jit_compilation import compiled_clone

    m = A.shape[0]
    ptr = groups.offsets.astype(np.int32)
    idx = groups.indices.astype(np.int32)
    lam_groups = np.asarray(lam_groups, dtype=float)
    scale = float(np.max(lam_groups))
    datafit = compiled_clone(QuadraticGroup(grp_ptr=ptr, grp_indices=idx))
    penalty = compiled_clone(
        WeightedGroupL2(
            alpha=scale / m,
            weights=lam_groups / scale,
            grp_ptr=ptr,
            grp_indices=idx,
            positive=positive,
        )
    )
    solver = GroupBCD(max_iter=10_000, max_epochs=100_000, tol=1e-14, fit_intercept=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solver.solve(np.asfortranarray(A), b, datafit, penalty)[0]


def skglm_group_lasso_estimator(A, b, group_size: int, lam: float, weights) -> np.ndarray:
    """skglm's ``GroupLasso`` estimator (contiguous groups of one size)."""
    from skglm import GroupLasso

    model = GroupLasso(
        groups=group_size,
        alpha=si.to_sklearn_alpha(lam, A.shape[0]),
        weights=np.asarray(weights, dtype=float),
        fit_intercept=False,
        tol=1e-14,
        max_iter=1000,
        max_epochs=100_000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(A, b).coef_


def scipy_separable_solution(A, b, *, l1=None, l2=None, lower=None, upper=None):
    """min ½‖Ax − b‖² + Σ l1_i|x_i| + ½Σ l2_i x_i² on [lower, upper], by L-BFGS-B.

    The split x = u − v with u, v ≥ 0 makes the problem smooth with simple bounds
    (|x_i| = u_i + v_i at the optimum, where λ_i > 0), which L-BFGS-B solves to
    machine precision. ``inf`` in ``l1``/``l2`` fixes x_i at 0; real data only.
    """
    from scipy.optimize import minimize

    n = A.shape[1]

    def weights(w):
        return np.zeros(n) if w is None else np.broadcast_to(np.asarray(w, float), (n,))

    a, c = weights(l1), weights(l2)
    fixed = np.isinf(a) | np.isinf(c)
    a, c = np.where(fixed, 0.0, a), np.where(fixed, 0.0, c)
    lo = np.full(n, -np.inf) if lower is None else np.broadcast_to(np.asarray(lower, float), (n,))
    hi = np.full(n, np.inf) if upper is None else np.broadcast_to(np.asarray(upper, float), (n,))
    lo, hi = np.where(fixed, 0.0, lo), np.where(fixed, 0.0, hi)
    AtA, Atb = A.T @ A, A.T @ b

    def fun(z):
        u, v = z[:n], z[n:]
        x = u - v
        g = AtA @ x - Atb + c * x
        F = 0.5 * x @ (AtA @ x) - Atb @ x + a @ (u + v) + 0.5 * c @ (x * x)
        return F, np.concatenate([g + a, -g + a])

    # u ∈ [max(lo, 0), max(hi, 0)], v ∈ [max(−hi, 0), max(−lo, 0)]
    box = [(max(l_, 0.0), max(h_, 0.0)) for l_, h_ in zip(lo, hi, strict=True)]
    box += [(max(-h_, 0.0), max(-l_, 0.0)) for l_, h_ in zip(lo, hi, strict=True)]
    box = [(lo_, None if np.isinf(hi_) else hi_) for lo_, hi_ in box]
    z0 = np.array([lo_ for lo_, _ in box])
    out = minimize(
        fun,
        z0,
        jac=True,
        method="L-BFGS-B",
        bounds=box,
        options={"ftol": 1e-16, "gtol": 1e-13, "maxiter": 100_000, "maxcor": 50},
    )
    return np.clip(out.x[:n] - out.x[n:], lo, hi)


def cvxpy_solution(A, b, *, l1=None, l2=None, groups=None, l21=None, lower=None, upper=None):
    """min ½‖Ax − b‖² + Σ l1_i|x_i| + ½Σ l2_i x_i² + Σ_g l21_g‖x_g‖ on [lower, upper].

    ``inf`` in ``l1``/``l2`` (or ``l21``) fixes the coefficients (groups) at 0, as
    sparseinv does; 0 leaves them free. Real data only. cvxpy is a test-only reference
    (the ``test`` extra): without it the test is skipped.
    """
    import pytest

    cp = pytest.importorskip("cvxpy")

    n = A.shape[1]
    x = cp.Variable(n)
    terms = [0.5 * cp.sum_squares(A @ x - b)]
    fixed = np.zeros(n, dtype=bool)
    for weights, atom in ((l1, cp.abs), (l2, cp.square)):
        if weights is None:
            continue
        w = np.broadcast_to(np.asarray(weights, dtype=float), (n,))
        fixed |= np.isinf(w)
        keep = np.flatnonzero(np.isfinite(w) & (w > 0))
        if keep.size:
            factor = 0.5 if atom is cp.square else 1.0
            terms.append(factor * cp.sum(cp.multiply(w[keep], atom(x[keep]))))
    if l21 is not None:
        lam_g = np.broadcast_to(np.asarray(l21, dtype=float), (groups.n_groups,))
        for g in range(groups.n_groups):
            members = groups.group(g)
            if np.isinf(lam_g[g]):
                fixed[members] = True
            elif lam_g[g] > 0:
                terms.append(lam_g[g] * cp.norm2(x[members]))
    constraints = []
    if fixed.any():
        constraints.append(x[np.flatnonzero(fixed)] == 0)
    if lower is not None:
        lo = np.broadcast_to(np.asarray(lower, dtype=float), (n,))
        finite = np.flatnonzero(np.isfinite(lo))
        if finite.size:
            constraints.append(x[finite] >= lo[finite])
    if upper is not None:
        hi = np.broadcast_to(np.asarray(upper, dtype=float), (n,))
        finite = np.flatnonzero(np.isfinite(hi))
        if finite.size:
            constraints.append(x[finite] <= hi[finite])
    problem = cp.Problem(cp.Minimize(sum(terms)), constraints)
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    out = np.asarray(x.value, dtype=float)
    out[fixed] = 0.0
    if lower is not None:
        out = np.maximum(out, lower)
    if upper is not None:
        out = np.minimum(out, upper)
    return out
