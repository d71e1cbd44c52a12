"""σ̂ where m ≤ n: the cross-validated Lasso residual near the phase transition (issue 13)."""

from __future__ import annotations

import math

import numpy as np

from sparseinv import problems
from sparseinv.penalties import L1
from sparseinv.selection import estimate_noise_std
from sparseinv.selection._engine import Engine, scale_grid
from sparseinv.selection.noise import cv_refit


def test_auto_noise_estimate_near_the_phase_transition_does_not_collapse() -> None:
    # m = 200 < n = 500, 55 non-zeros: the CV curve is flat down to the floor of the path,
    # where the fit interpolates; σ̂ from such a fit came out 0.5σ on half the draws
    ratios = []
    for seed in range(6):
        p = problems.density_contrast(rng=seed)
        est = estimate_noise_std(p.A, p.b)
        assert est.method == "cv"
        ratios.append(est.noise_std / p.noise_std)
    ratios = np.array(ratios)
    assert 0.85 <= np.median(ratios) <= 1.15, ratios
    assert np.all((ratios > 0.7) & (ratios < 1.4)), ratios


def test_cv_refit_keeps_a_fifth_of_the_observations_as_residual_degrees_of_freedom() -> None:
    # σ̂² is RSS/(N − df) of one fit of the path, and that fit has N − df ≥ N/5
    p = problems.density_contrast(rng=2)
    engine = Engine(p.A, p.b, L1, None, "fista", {}, rng=0)
    lams = list(scale_grid(engine.top_scale(None), n_lambdas=30, lam_min_ratio=1e-3))
    est, fits = cv_refit(engine, lams, n_folds=5, rng=np.random.default_rng(0))
    N = engine.n_obs
    assert max(f.df for f in fits) > 0.8 * N  # the path reaches the interpolating fits
    chosen = [
        f
        for f in fits
        if f.df < N and math.isclose(est.noise_std, math.sqrt(f.rss / (N - f.df)), rel_tol=1e-12)
    ]
    assert chosen and all(N - f.df >= N / 5 for f in chosen)
