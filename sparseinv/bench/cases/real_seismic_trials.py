r"""The trials of the ``real_seismic`` case: one draw each, on the real stacked section.

:func:`oracle_lams` chooses one λ, then one λ per group, by an oracle score through
the one λ search (:func:`~sparseinv.selection.strategies.select_strategy`);
:func:`interpolation_trial` recovers removed traces of the section with it and
compares sparseinv's FISTA with pylops' at the same λ and iteration count;
:func:`deconvolution_trial` deconvolves one real trace with λ chosen on held-out
samples. The case that runs them and reports on them is
:mod:`sparseinv.bench.cases.real_seismic`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sparseinv import metrics, problems
from sparseinv.bench.cases._base import seconds_since
from sparseinv.lipschitz import lipschitz
from sparseinv.objective import objective
from sparseinv.penalties import L1
from sparseinv.problems import Problem
from sparseinv.selection.strategies import SelectionResult, select_strategy
from sparseinv.solvers import fista

__all__ = ["deconvolution_trial", "interpolation_trial", "oracle_lams", "stacked_volume"]


def oracle_lams(
    problem: Problem,
    recovery: Callable[[Any], float],
    *,
    max_iter: int,
    tol: float,
    n_lams: int,
    lam_min_ratio: float,
    budget: int,
) -> dict[str, tuple[SelectionResult, float]]:
    """One λ, then one λ per group, chosen by the oracle ``recovery`` through the one search.

    Parameters
    ----------
    problem : Problem
        The problem (no ``x_true`` needed).
    recovery : callable
        ``recovery(x) -> float``, higher is better (e.g. the SNR over removed traces).
    max_iter, tol : int, float
        Iteration cap and tolerance of every FISTA solve (without its CG refinement:
        on these ill-conditioned problems the support rarely settles and each
        refinement costs up to 100 CG steps of two applications).
    n_lams, lam_min_ratio : int, float
        The single-λ grid (warm-started from the largest λ down, then refined).
    budget : int
        Most solves of the per-group search, which continues from the single λ.

    Returns
    -------
    dict
        ``"single"`` and ``"per_group"``: the
        :class:`~sparseinv.selection.strategies.SelectionResult` (``n_solves`` of the
        per-group search exclude the single path it continues) and its seconds.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.density_contrast(rng=0)
    >>> out = oracle_lams(p, lambda x: si.metrics.snr_db(p.x_true, x), max_iter=200,
    ...                   tol=1e-4, n_lams=6, lam_min_ratio=1e-2, budget=12)
    >>> bool(out["per_group"][0].score >= out["single"][0].score)
    True
    """
    options = {
        "method": "oracle",
        "recovery": recovery,
        "solver": "fista",
        "solver_options": {"max_iter": max_iter, "tol": tol, "refine": False},
        "n_lambdas": n_lams,
        "lam_min_ratio": lam_min_ratio,
    }
    start = time.perf_counter()
    single = select_strategy(problem, L1, np.ones(problem.groups.n_groups), **options)
    single_seconds = seconds_since(start)
    start = time.perf_counter()
    per_group = select_strategy(problem, L1, None, start=single, budget=budget, **options)
    return {"single": (single, single_seconds), "per_group": (per_group, seconds_since(start))}


def interpolation_trial(
    *,
    setup: Mapping[str, Any],
    seed: int,
    fraction_kept: float,
    budget_iter: int,
    section: Mapping[str, Any] | None = None,
    **search: Any,
) -> dict[str, Any]:
    """One λ and one λ per group on one draw of removed traces; FISTA against pylops.

    Parameters
    ----------
    setup : dict
        Keywords of :func:`~sparseinv.problems.field_trace_interpolation` (transform,
        windows...).
    seed : int
        Seed of the removed traces.
    fraction_kept : float
        Fraction of traces kept.
    budget_iter : int
        Iterations of the cold single-λ solves of sparseinv and pylops compared at the
        same budget.
    section : dict, optional
        ``inline``, ``n_traces``, ``n_samples`` of the section.
    **search
        ``max_iter``, ``tol``, ``n_lams``, ``lam_min_ratio``, ``budget`` of
        :func:`oracle_lams`.

    Returns
    -------
    dict
        ``"strategies"``: per strategy (``"single"``, ``"per_group"``: the searches'
        best solutions; ``"same_budget"``, ``"pylops"``: the cold solves at the single
        λ) ``snr_removed_db``, ``snr_section_db``, ``lams``, ``n_applications``,
        ``seconds``, ``n_solves``; and ``"reconstructions"`` (the sections),
        ``"gather"``, ``"kept"``, ``"n_features"``, ``"n_groups"``, ``"at_edge"``.

    Examples
    --------
    >>> out = interpolation_trial(setup={"transform": "fk", "nffts": (32, 32)}, seed=0,
    ...     fraction_kept=0.5, max_iter=10, tol=1e-4, budget_iter=5, n_lams=3,
    ...     lam_min_ratio=1e-2, budget=2, section={"n_traces": 12, "n_samples": 16})
    ... # doctest: +SKIP
    >>> sorted(out["strategies"])  # doctest: +SKIP
    ['per_group', 'pylops', 'same_budget', 'single']
    """
    p = problems.field_trace_interpolation(
        fraction_kept, **(section or {}), **setup, rng=seed, volume=stacked_volume()
    )
    gather, removed, synthesis = p.extra["gather"], p.extra["removed"], p.extra["synthesis"]

    def reconstruct(x: Any) -> np.ndarray:
        return np.asarray(synthesis @ x).real.reshape(gather.shape)

    def snr_removed(x: Any) -> float:
        return metrics.snr_db(gather[removed], reconstruct(x)[removed])

    chosen = oracle_lams(p, snr_removed, **search)
    strategies, reconstructions = {}, {}
    for name, (best, seconds) in chosen.items():
        reconstructions[name] = reconstruct(best.x)
        strategies[name] = _scores(gather, removed, reconstructions[name]) | {
            "lams": np.asarray(best.lams, dtype=float),
            "n_applications": best.n_applications,
            "seconds": seconds,
            "n_solves": best.n_solves,
        }
    # the same FISTA in both libraries: cold start, the single λ, `budget_iter` iterations,
    # one step 1/L; sparseinv without its CG refinement, which pylops does not have
    lam = float(chosen["single"][0].lams[0])
    step = 1.0 / lipschitz(p.A).value
    start = time.perf_counter()
    res = fista(p.A, p.b, L1(lam), max_iter=budget_iter, tol=0.0, step=step, refine=False)
    cold = {"same_budget": (res.x, res.n_matvec + res.n_rmatvec, seconds_since(start))}
    cold["pylops"] = _pylops_fista(p, lam, budget_iter, step)
    for name, (x, n_apps, seconds) in cold.items():
        reconstructions[name] = reconstruct(x)
        strategies[name] = _scores(gather, removed, reconstructions[name]) | {
            "objective": objective(p.A, p.b, L1(lam), x),
            "lams": np.array([lam]),
            "n_applications": n_apps,
            "seconds": seconds,
            "n_solves": 1,
        }
    return {
        "strategies": strategies,
        "reconstructions": reconstructions,
        "gather": gather,
        "kept": p.extra["kept"],
        "n_features": p.n_features,
        "n_groups": p.groups.n_groups,
        "at_edge": bool(chosen["single"][0].at_edge),
    }


def deconvolution_trial(
    *,
    crossline: int,
    wavelet_phase: str,
    seed: int,
    n_windows: int,
    inline: int = problems.field_data.DEFAULT_INLINE,
    **search: Any,
) -> dict[str, Any]:
    """Deconvolve one real trace: λ chosen on half the held-out samples, scored on the rest.

    Parameters
    ----------
    crossline : int
        The trace.
    wavelet_phase : str
        ``"zero_phase"`` or ``"minimum_phase"``.
    seed : int
        Seed of the held-out samples and of their validation / test split.
    n_windows : int
        Time windows (groups).
    inline : int, optional
        The inline.
    **search
        As in :func:`interpolation_trial`.

    Returns
    -------
    dict
        Per strategy: ``validation_db``, ``test_db`` (SNR of the predicted held-out
        samples), ``lams``, ``nonzeros``.

    Examples
    --------
    >>> out = deconvolution_trial(crossline=50, wavelet_phase="zero_phase", seed=0,
    ...     n_windows=2, max_iter=20, tol=1e-4, n_lams=3, lam_min_ratio=1e-2, budget=2)
    ... # doctest: +SKIP
    >>> sorted(out)  # doctest: +SKIP
    ['per_group', 'single']
    """
    p = problems.field_spike_deconvolution(
        inline=inline,
        crossline=crossline,
        wavelet_phase=wavelet_phase,
        n_windows=n_windows,
        rng=seed,
        volume=stacked_volume(),
    )
    trace, C, held_out = p.extra["trace"], p.extra["convolution"], p.extra["held_out"]
    order = np.random.default_rng([seed, 1]).permutation(held_out.size)
    validation, test = held_out[order[: held_out.size // 2]], held_out[order[held_out.size // 2 :]]

    def predicted(x: Any, where: np.ndarray) -> float:
        return metrics.snr_db(trace[where], np.asarray(C @ x)[where])

    chosen = oracle_lams(p, lambda x: predicted(x, validation), **search)
    return {
        name: {
            "validation_db": predicted(best.x, validation),
            "test_db": predicted(best.x, test),
            "lams": np.asarray(best.lams, dtype=float),
            "nonzeros": int(np.count_nonzero(best.x)),
        }
        for name, (best, _) in chosen.items()
    }


@functools.cache
def stacked_volume() -> Any:
    """The stacked volume, read once per process (every trial of a worker shares it)."""
    return problems.load_stacked_volume()


def _scores(gather: np.ndarray, removed: np.ndarray, rec: np.ndarray) -> dict[str, float]:
    return {
        "snr_removed_db": metrics.snr_db(gather[removed], rec[removed]),
        "snr_section_db": metrics.snr_db(gather, rec),
    }


def _pylops_fista(p: Any, lam: float, max_iter: int, step: float) -> tuple[np.ndarray, int, float]:
    """pylops' FISTA on the same problem: ``eps = 2 λ`` (it minimizes ½‖r‖² + eps/2 ‖x‖₁)."""
    from pylops.optimization.sparsity import fista as pylops_fista

    start = time.perf_counter()
    x, n_iter, _ = pylops_fista(p.A, p.b, niter=max_iter, eps=2.0 * lam, alpha=step, tol=0.0)
    seconds = time.perf_counter() - start
    # pylops applies A twice and A^H once per iteration (one matvec only for its cost)
    return x, 3 * int(n_iter), seconds
