r"""The ``real_seismic`` case of ``sparseinv bench``: a real stacked section.

Problem: :func:`~sparseinv.problems.field_trace_interpolation` (one inline of the
stacked volume shipped with SeisLab, 50 % of its traces removed; FK and linear Radon,
over the whole section and in overlapping windows) and
:func:`~sparseinv.problems.field_spike_deconvolution` (real traces, wavelet estimated
from the section). Solver: FISTA on L1, one λ or one λ per group (frequency band,
slowness range, window, time window), and pylops' FISTA at the same λ and iteration
count. Metric: the SNR of the reconstruction over the removed traces (the recorded
section is the truth), and of the deconvolved trace's prediction of held-out samples.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from sparseinv import metrics, problems
from sparseinv.bench.report import CaseReport, Check, Table
from sparseinv.bench.runner import Runner
from sparseinv.objective import objective
from sparseinv.operators import lipschitz
from sparseinv.penalties import L1
from sparseinv.solvers import fista
from sparseinv.tuning import tune_per_group, tune_scale

__all__ = ["FULL", "QUICK", "deconvolution_trial", "interpolation_trial", "real_seismic"]


def interpolation_trial(
    *,
    setup: Mapping[str, Any],
    seed: int,
    fraction_kept: float,
    max_iter: int,
    tol: float,
    budget_iter: int,
    n_lams: int,
    lam_min_ratio: float,
    budget: int,
    section: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Tune one λ and one λ per group on one draw of removed traces; FISTA against pylops.

    Parameters
    ----------
    setup : dict
        Keywords of :func:`~sparseinv.problems.field_trace_interpolation` (transform,
        windows...).
    seed : int
        Seed of the removed traces.
    fraction_kept : float
        Fraction of traces kept.
    max_iter, tol : int, float
        Iteration cap and tolerance of the tuning solves.
    budget_iter : int
        Iterations of the cold single-λ solves of sparseinv and pylops compared at the
        same budget.
    n_lams, lam_min_ratio : int, float
        The single-λ grid (warm-started, then refined).
    budget : int
        Most solves of the per-group search.
    section : dict, optional
        ``inline``, ``n_traces``, ``n_samples`` of the section.

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
        fraction_kept, **(section or {}), **setup, rng=seed, volume=_volume()
    )
    gather, removed, synthesis = p.extra["gather"], p.extra["removed"], p.extra["synthesis"]

    def reconstruct(x: Any) -> np.ndarray:
        return np.asarray(synthesis @ x).real.reshape(gather.shape)

    def score(x: Any) -> float:
        return metrics.snr_db(gather[removed], reconstruct(x)[removed])

    # FISTA without its CG refinement: on these ill-conditioned problems the support
    # rarely settles and each refinement costs up to 100 CG steps of two applications
    options = {"max_iter": max_iter, "tol": tol, "refine": False}
    single = tune_scale(
        p.A,
        p.b,
        "l1",
        score,
        groups=p.groups,
        n_lams=n_lams,
        lam_min_ratio=lam_min_ratio,
        solver_options=options,
    )
    grid_floor = float(single.lams[0]) * lam_min_ratio
    per_group = tune_per_group(
        p.A,
        p.b,
        "l1",
        score,
        single.lams,
        groups=p.groups,
        x0=single.x,
        lam_bounds=(grid_floor, math.inf),
        budget=budget,
        solver_options=options,
    )
    strategies, reconstructions = {}, {}
    for name, best in (("single", single), ("per_group", per_group)):
        rec = reconstruct(best.x)
        reconstructions[name] = rec
        strategies[name] = _scores(gather, removed, rec) | {
            "lams": np.asarray(best.lams, dtype=float),
            "n_applications": best.n_applications,
            "seconds": best.seconds,
            "n_solves": best.n_solves,
        }
    # the same FISTA in both libraries: cold start, the single λ, `budget_iter` iterations,
    # one step 1/L; sparseinv without its CG refinement, which pylops does not have
    lam = float(single.lams[0])
    step = 1.0 / lipschitz(p.A).value
    start = time.perf_counter()
    res = fista(p.A, p.b, L1(lam), max_iter=budget_iter, tol=0.0, step=step, refine=False)
    rec = reconstruct(res.x)
    reconstructions["same_budget"] = rec
    strategies["same_budget"] = _scores(gather, removed, rec) | {
        "objective": objective(p.A, p.b, L1(lam), res.x),
        "lams": np.array([lam]),
        "n_applications": res.n_matvec + res.n_rmatvec,
        "seconds": time.perf_counter() - start,
        "n_solves": 1,
    }
    x_pylops, n_apps, seconds = _pylops_fista(p, lam, budget_iter, step)
    rec = reconstruct(x_pylops)
    reconstructions["pylops"] = rec
    strategies["pylops"] = _scores(gather, removed, rec) | {
        "objective": objective(p.A, p.b, L1(lam), x_pylops),
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
        "at_edge": bool(single.at_edge),
    }


def deconvolution_trial(
    *,
    crossline: int,
    wavelet_phase: str,
    seed: int,
    n_windows: int,
    max_iter: int,
    tol: float,
    n_lams: int,
    lam_min_ratio: float,
    budget: int,
    inline: int = problems.field_data.DEFAULT_INLINE,
) -> dict[str, Any]:
    """Deconvolve one real trace: λ tuned on half the held-out samples, scored on the rest.

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
    max_iter, tol, n_lams, lam_min_ratio, budget
        As in :func:`interpolation_trial`.
    inline : int, optional
        The inline.

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
        volume=_volume(),
    )
    trace, C, held_out = p.extra["trace"], p.extra["convolution"], p.extra["held_out"]
    order = np.random.default_rng([seed, 1]).permutation(held_out.size)
    validation, test = held_out[order[: held_out.size // 2]], held_out[order[held_out.size // 2 :]]

    def predicted(x: Any, where: np.ndarray) -> float:
        return metrics.snr_db(trace[where], np.asarray(C @ x)[where])

    # FISTA without its CG refinement: on these ill-conditioned problems the support
    # rarely settles and each refinement costs up to 100 CG steps of two applications
    options = {"max_iter": max_iter, "tol": tol, "refine": False}
    single = tune_scale(
        p.A,
        p.b,
        "l1",
        lambda x: predicted(x, validation),
        groups=p.groups,
        n_lams=n_lams,
        lam_min_ratio=lam_min_ratio,
        solver_options=options,
    )
    per_group = tune_per_group(
        p.A,
        p.b,
        "l1",
        lambda x: predicted(x, validation),
        single.lams,
        groups=p.groups,
        x0=single.x,
        lam_bounds=(float(single.lams[0]) * lam_min_ratio, math.inf),
        budget=budget,
        solver_options=options,
    )
    out = {}
    for name, best in (("single", single), ("per_group", per_group)):
        out[name] = {
            "validation_db": predicted(best.x, validation),
            "test_db": predicted(best.x, test),
            "lams": np.asarray(best.lams, dtype=float),
            "nonzeros": int(np.count_nonzero(best.x)),
        }
    return out


def real_seismic(config: Mapping[str, Any], runner: Runner) -> CaseReport:
    """Case 7: trace interpolation and spike deconvolution on a real stacked section.

    Parameters
    ----------
    config : dict
        ``"interpolation"`` (``setups``: label -> builder keywords, ``trials``,
        ``fraction_kept``, ``section``, ``max_iter``, ``n_lams``, ``lam_min_ratio``,
        ``budget``) and ``"deconvolution"`` (``crosslines``, ``phases``, ``trials``,
        ``n_windows``, ``max_iter``, ``n_lams``, ``lam_min_ratio``, ``budget``).
    runner : Runner
        Runs the trials.

    Returns
    -------
    CaseReport
        Without SeisLab installed, a report whose one check (the data are installed)
        is missed, with the command that installs them.

    Examples
    --------
    >>> report = real_seismic(QUICK, Runner(stream=None))  # doctest: +SKIP
    >>> report.tables[0].title.startswith("Trace interpolation")  # doctest: +SKIP
    True
    """
    start = time.perf_counter()
    roles = {
        "problem": "field_trace_interpolation (FK, linear Radon; global and windowed), "
        "field_spike_deconvolution",
        "solver": "FISTA on L1, oracle λ per strategy against the recorded traces; pylops FISTA "
        "at the same λ and iterations",
        "metric": "SNR (dB) over the removed traces; of held-out samples (deconvolution)",
    }
    title = "Real seismic: a stacked section (SeisLab), interpolation and deconvolution"
    try:
        _volume()
    except ImportError as err:
        return CaseReport(
            name="real_seismic",
            title=title,
            roles=roles,
            text=f"Not run: {err}.",
            checks=[Check("the field data package is installed", str(err), False)],
            seconds=time.perf_counter() - start,
        )
    interp = config["interpolation"]
    keys = (
        "fraction_kept",
        "max_iter",
        "tol",
        "budget_iter",
        "n_lams",
        "lam_min_ratio",
        "budget",
        "section",
    )
    common = {k: interp[k] for k in keys}
    tasks = [
        {"setup": setup, "seed": runner.seed_for("real_seismic", trial), **common}
        for setup in interp["setups"].values()
        for trial in range(interp["trials"])
    ]
    outs = runner.map(interpolation_trial, tasks, label="real_seismic interpolation")
    by_setup = {
        label: outs[i * interp["trials"] : (i + 1) * interp["trials"]]
        for i, label in enumerate(interp["setups"])
    }
    rows = _interpolation_rows(by_setup)
    deconv = config["deconvolution"]
    dkeys = ("n_windows", "max_iter", "tol", "n_lams", "lam_min_ratio", "budget")
    dtasks = [
        {
            "crossline": xl,
            "wavelet_phase": phase,
            "seed": runner.seed_for("real_seismic", "deconvolution", xl, trial),
            **{k: deconv[k] for k in dkeys},
        }
        for phase in deconv["phases"]
        for xl in deconv["crosslines"]
        for trial in range(deconv["trials"])
    ]
    douts = runner.map(deconvolution_trial, dtasks, label="real_seismic deconvolution")
    drows = _deconvolution_rows(dtasks, douts)
    tables = [
        Table(
            f"Trace interpolation of inline {_inline(interp)}, "
            f"{interp['fraction_kept']:.0%} of the traces kept "
            f"({interp['trials']} draws; mean ± std over draws)",
            rows,
            _INTERP_FORMATS,
        ),
        Table(
            "Spike deconvolution of real traces: SNR of the predicted held-out samples "
            "(λ tuned on half of them, scored on the other half)",
            drows,
            _DECONV_FORMATS,
        ),
    ]
    checks = _checks(rows, config.get("targets", {}))
    first = next(iter(by_setup))
    best = max(
        (r for r in rows if r["strategy"] in ("single", "per_group")),
        key=lambda r: r["snr_removed_db"],
    )
    figures = {
        "real_seismic_sections.png": _draw_sections(
            {
                f"{first}, single λ": (by_setup[first][0], "single"),
                f"{best['setup']}, {best['strategy']}": (
                    by_setup[best["setup"]][0],
                    best["strategy"],
                ),
            }
        )
    }
    text = (
        "The data: inline "
        f"{_inline(interp)} of the stacked 3-D volume shipped in the SeisLab package (real "
        "post-stack data, 1 ms sampling; see `sparseinv.problems.load_stacked_volume`). "
        "Random traces are removed and recovered by L1 in the FK domain (complex, padded "
        "2x) or the linear Radon domain (slownesses within ±1 ms per trace), over the "
        "whole section (groups: 4 temporal-frequency bands or 4 slowness ranges) or in "
        "overlapping Hanning-tapered windows (pylops `Patch2D`, one local transform per "
        "window, groups: the windows). λ is tuned by the oracle against the recorded "
        "section (the SNR over the removed traces): one λ on a warm-started grid, refined, "
        "then one λ per group by pattern search from it (`solves` of FISTA to `tol`; a "
        "search with fewer than two solves per group cannot try every group's λ, so in "
        "the quick suite the per-window gain is a lower bound); "
        "`single` and `per_group` report the searches' best solutions and what the "
        "searches cost (`applications`: matvecs + rmatvecs, `seconds`). `same_budget` "
        "and `pylops` are one cold FISTA solve each at the single λ with the same step "
        "1/L and exactly `budget_iter` iterations: sparseinv (restart, Anderson "
        "acceleration, no CG refinement) and pylops (`eps = 2λ`). `gain_db` is over the "
        "single λ of the same setup; `lam_spread` the ratio of the largest to the "
        "smallest λ. Timings come from a shared machine "
        "(noisy). Deconvolution: the wavelet is estimated from the average power spectrum "
        "of the inline (zero or minimum phase), the reflectivity of one trace is fitted "
        "on 70 % of its samples, λ is tuned on half of the held-out samples and the SNR "
        "of the prediction of the other half is reported (no true reflectivity exists)."
    )
    return CaseReport(
        name="real_seismic",
        title=title,
        roles=roles,
        text=text,
        tables=tables,
        checks=checks,
        figures=figures,
        seconds=time.perf_counter() - start,
    )


# ---------------------------------------------------------------------------- helpers
_VOLUME: list[Any] = []


def _volume() -> Any:
    """The stacked volume, read once per process (every trial of a worker shares it)."""
    if not _VOLUME:
        _VOLUME.append(problems.load_stacked_volume())
    return _VOLUME[0]


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


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def _interpolation_rows(by_setup: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for label, outs in by_setup.items():
        single_mean = _mean_std([o["strategies"]["single"]["snr_removed_db"] for o in outs])[0]
        for name in ("single", "per_group", "same_budget", "pylops"):
            recs = [o["strategies"][name] for o in outs]
            removed, removed_sd = _mean_std([r["snr_removed_db"] for r in recs])
            section, _ = _mean_std([r["snr_section_db"] for r in recs])
            rows.append(
                {
                    "setup": label,
                    "strategy": name,
                    "snr_removed_db": removed,
                    "std_db": removed_sd,
                    "gain_db": removed - single_mean,
                    "snr_section_db": section,
                    "lam_spread": float(np.mean([r["lams"].max() / r["lams"].min() for r in recs])),
                    "n_features": outs[0]["n_features"],
                    "n_groups": outs[0]["n_groups"],
                    "applications": int(np.mean([r["n_applications"] for r in recs])),
                    "seconds": float(np.mean([r["seconds"] for r in recs])),
                    "solves": int(np.mean([r["n_solves"] for r in recs])),
                    "objective": float(np.mean([r.get("objective", np.nan) for r in recs])),
                }
            )
    return rows


_INTERP_FORMATS = {
    "snr_removed_db": ".2f",
    "std_db": ".2f",
    "gain_db": "+.2f",
    "snr_section_db": ".2f",
    "lam_spread": ".3g",
    "seconds": ".2f",
    "objective": ".5g",
}


def _deconvolution_rows(
    tasks: Sequence[Mapping[str, Any]], outs: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    rows = []
    for phase in dict.fromkeys(t["wavelet_phase"] for t in tasks):
        picked = [o for t, o in zip(tasks, outs, strict=True) if t["wavelet_phase"] == phase]
        single_mean = _mean_std([o["single"]["test_db"] for o in picked])[0]
        for name in ("single", "per_group"):
            recs = [o[name] for o in picked]
            test, test_sd = _mean_std([r["test_db"] for r in recs])
            rows.append(
                {
                    "wavelet": phase,
                    "strategy": name,
                    "traces": len(recs),
                    "test_db": test,
                    "std_db": test_sd,
                    "gain_db": test - single_mean,
                    "validation_db": _mean_std([r["validation_db"] for r in recs])[0],
                    "lam_spread": float(np.mean([r["lams"].max() / r["lams"].min() for r in recs])),
                    "nonzeros": float(np.mean([r["nonzeros"] for r in recs])),
                }
            )
    return rows


_DECONV_FORMATS = {
    "test_db": ".2f",
    "std_db": ".2f",
    "gain_db": "+.2f",
    "validation_db": ".2f",
    "lam_spread": ".3g",
    "nonzeros": ".1f",
}


def _checks(rows: Sequence[Mapping[str, Any]], targets: Mapping[str, float]) -> list[Check]:
    checks = []
    by = {(r["setup"], r["strategy"]): r for r in rows}
    for setup in dict.fromkeys(r["setup"] for r in rows):
        ours, theirs = by[(setup, "same_budget")], by[(setup, "pylops")]
        ratio = ours["objective"] / theirs["objective"]
        checks.append(
            Check(
                f"{setup}: sparseinv's objective ≤ pylops' (same λ, step and iterations)",
                f"F ratio {ratio:.4f}; SNR on removed {ours['snr_removed_db']:.2f} vs "
                f"{theirs['snr_removed_db']:.2f} dB",
                bool(ratio <= 1.0 + 1e-9),
            )
        )
        target = targets.get(setup)
        if target is not None:
            single = by[(setup, "single")]["snr_removed_db"]
            checks.append(
                Check(
                    f"{setup}: SNR over the removed traces with one λ ≥ {target:g} dB",
                    f"{single:.2f} dB",
                    bool(single >= target),
                )
            )
    return checks


def _inline(interp: Mapping[str, Any]) -> int:
    return (interp.get("section") or {}).get("inline", problems.field_data.DEFAULT_INLINE)


def _draw_sections(panels: Mapping[str, tuple[dict[str, Any], str]]) -> Callable[[], Any]:
    def draw() -> Any:
        import matplotlib.pyplot as plt

        n = len(panels)
        fig, axes = plt.subplots(n, 4, figsize=(13, 3.4 * n), layout="constrained", squeeze=False)
        for row, (label, (out, strategy)) in zip(axes, panels.items(), strict=True):
            gather, kept = out["gather"], out["kept"]
            decimated = np.zeros_like(gather)
            decimated[kept] = gather[kept]
            rec = out["reconstructions"][strategy]
            snr = out["strategies"][strategy]["snr_removed_db"]
            clip = np.percentile(np.abs(gather), 99)
            for ax, (name, img) in zip(
                row,
                [
                    ("section", gather),
                    (f"decimated ({kept.size}/{gather.shape[0]} traces)", decimated),
                    (f"reconstruction: {snr:.1f} dB on removed", rec),
                    ("residual", gather - rec),
                ],
                strict=True,
            ):
                ax.imshow(img.T, aspect="auto", cmap="gray", vmin=-clip, vmax=clip)
                ax.set_title(f"{label}: {name}", fontsize="small")
                ax.set_xlabel("trace")
            row[0].set_ylabel("time sample")
        return fig

    return draw


_SECTION_QUICK = {"inline": 51, "n_traces": 32, "n_samples": 48}
#: the quick suite: a 32 x 48 corner of the inline, one draw, short searches
QUICK: dict[str, Any] = {
    "interpolation": {
        "section": _SECTION_QUICK,
        "fraction_kept": 0.5,
        "setups": {
            "fk global": {"transform": "fk", "nffts": (64, 128)},
            # 3 x 3 windows whose local FK sizes add up to about the global model's
            "fk windows 16x24": {
                "transform": "fk",
                "windows": (16, 24),
                "overlap": (8, 12),
                "nffts": (32, 32),
            },
            "radon global": {"transform": "linear_radon", "npx": 31},
        },
        "trials": 1,
        "max_iter": 100,
        "tol": 1e-4,
        "budget_iter": 50,
        "n_lams": 5,
        "lam_min_ratio": 1e-3,
        "budget": 6,
    },
    "deconvolution": {
        "crosslines": (50,),
        "phases": ("zero_phase",),
        "trials": 1,
        "n_windows": 4,
        "max_iter": 300,
        "tol": 1e-5,
        "n_lams": 6,
        "lam_min_ratio": 1e-3,
        "budget": 8,
    },
    "targets": {},
}
#: the full suite: the whole inline (102 traces x 101 samples), two draws; every
#: windowed model has about as many coefficients as the global one (65536 for FK)
FULL: dict[str, Any] = {
    "interpolation": {
        "section": {"inline": 51},
        "fraction_kept": 0.5,
        "setups": {
            "fk global": {"transform": "fk", "nffts": (256, 256)},
            "fk windows 34x45": {
                "transform": "fk",
                "windows": (34, 45),
                "overlap": (17, 17),
                "nffts": (64, 64),
            },
            "fk time windows 102x45": {
                "transform": "fk",
                "windows": (102, 45),
                "overlap": (0, 17),
                "nffts": (256, 64),
            },
            "radon global": {"transform": "linear_radon", "npx": 81},
            "radon windows 34x45": {
                "transform": "linear_radon",
                "npx": 41,
                "windows": (34, 45),
                "overlap": (17, 17),
            },
        },
        "trials": 2,
        "max_iter": 150,
        "tol": 1e-4,
        "budget_iter": 100,
        "n_lams": 6,
        "lam_min_ratio": 1e-3,
        "budget": 40,  # at least 2 solves per window: one sweep of 15 windows
    },
    "deconvolution": {
        "crosslines": (20, 50, 80),
        "phases": ("zero_phase", "minimum_phase"),
        "trials": 2,
        "n_windows": 4,
        "max_iter": 500,
        "tol": 1e-5,
        "n_lams": 8,
        "lam_min_ratio": 1e-3,
        "budget": 16,
    },
    "targets": {},
}
