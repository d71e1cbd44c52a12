"""Case 4, ``seismic``: deconvolution, trace interpolation and two Radon dictionaries."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sparseinv import problems
from sparseinv.bench.cases._base import FULL_COMPARE, Case, compare_config, seconds_since
from sparseinv.bench.cases._comparisons import (
    SUMMARY_FORMATS,
    SUMMARY_LEGEND,
    gain_figure,
    run_comparisons,
    summary_rows,
    table_title,
)
from sparseinv.bench.report import CaseReport, Check, Table
from sparseinv.bench.runner import Runner
from sparseinv.compare import STRATEGIES

__all__ = ["CASE", "seismic"]


def seismic(config: Mapping[str, Any], runner: Runner) -> CaseReport:
    """Case 4: seismic problems, one λ against every strategy.

    Problems: :func:`~sparseinv.problems.spike_deconvolution` (decaying reflectivity),
    :func:`~sparseinv.problems.trace_interpolation` with 50 % of the traces kept (FK
    and linear Radon), :func:`~sparseinv.problems.radon_two_dictionary`. Solver:
    FISTA on L1, oracle λ per strategy. Metric: SNR in dB, of the reconstructed
    gather for trace interpolation (``domain="synthesis"``), of x otherwise.

    Parameters
    ----------
    config : dict
        ``problems`` (label → (generator, keywords, trials, compare keywords)),
        ``strategies``, ``targets`` (label → SNR in dB of the single-λ gather).
    runner : Runner
        Runs the trials.

    Returns
    -------
    CaseReport

    Examples
    --------
    >>> config = {"problems": {"spikes": ("spike_deconvolution", {"nt": 100}, 1,
    ...           {"n_lams": 6, "budget": 10})}, "strategies": ("single", "per_group"),
    ...           "targets": {}}
    >>> report = seismic(config, Runner(stream=None))
    >>> [row["strategy"] for row in report.tables[0].rows]
    ['single', 'per_group']
    """
    start = time.perf_counter()
    tables, figures, checks, summaries, gathers = [], {}, [], {}, {}
    for label, (maker, kwargs, trials, compare_kwargs) in config["problems"].items():
        comps = run_comparisons(
            runner, label, maker, kwargs, trials, config["strategies"], compare_kwargs
        )
        rows = summary_rows(comps, label)
        summaries[label] = rows
        tables.append(Table(table_title(label, comps[0]), rows, SUMMARY_FORMATS))
        figures[f"seismic_{label}.png"] = comps[0].plot
        if maker == "trace_interpolation":
            gathers[label] = (maker, kwargs, runner.seed_for(label, 0), comps[0])
        target = config["targets"].get(label)
        if target is not None:
            by = {r["strategy"]: r for r in rows}
            snr = by["single"]["snr_db"]
            best = max(rows, key=lambda r: r["snr_db"])
            checks.append(
                Check(
                    f"{label}: gather SNR with one λ ≥ {target:g} dB",
                    f"{snr:.1f} dB (best: {best['strategy']} {best['snr_db']:.1f} dB)",
                    bool(snr >= target),
                )
            )
    if gathers:
        figures["seismic_gathers.png"] = _draw_gathers(gathers)
    figures["seismic_gains.png"] = gain_figure(summaries, "seismic: gain over one λ (oracle)")
    text = (
        "Spike deconvolution: a reflectivity whose amplitudes decay as exp(−1.5 t), "
        "blurred by a 30 Hz Ricker wavelet, 20 dB noise, groups = 4 time windows. Trace "
        "interpolation: a 3-event gather (20 Hz Ricker) of which 50 % of the traces are "
        "kept, noiseless, sparse in the FK domain (groups = 4 temporal-frequency bands) or "
        "the linear Radon domain (groups = 4 slowness ranges); the SNR is that of the "
        "reconstructed full gather (`extra['synthesis'] @ x` against the true gather), the "
        "model-domain SNR is shown as `model_snr_db`. Radon two-dictionary: linear + "
        "parabolic events, 20 dB noise, groups = the two dictionaries (6100 vs 1600 "
        "coefficients at full size). Every strategy is tuned by the oracle as in case 3; "
        "noiseless problems favour the smallest λ, so their best single λ may sit at the "
        "grid's floor (`at_edge`).\n\n" + SUMMARY_LEGEND
    )
    return CaseReport(
        name="seismic",
        title="Seismic: deconvolution, trace interpolation, two Radon dictionaries",
        roles={
            "problem": "spike_deconvolution, trace_interpolation (fk, linear_radon), "
            "radon_two_dictionary",
            "solver": "FISTA on L1, λ by oracle tuning per strategy (sparseinv.compare)",
            "metric": "SNR (dB) of the gather (interpolation) or of x",
        },
        text=text,
        tables=tables,
        checks=checks,
        figures=figures,
        seconds=seconds_since(start),
    )


def _draw_gathers(gathers: Mapping[str, tuple]) -> Callable[[], Any]:
    def draw() -> Any:
        import matplotlib.pyplot as plt

        n = len(gathers)
        fig, axes = plt.subplots(n, 4, figsize=(12, 3.2 * n), layout="constrained", squeeze=False)
        for row, (label, (maker, kwargs, seed, comp)) in zip(axes, gathers.items(), strict=True):
            p = getattr(problems, maker)(**kwargs, rng=seed)
            gather = p.extra["gather"]
            kept = np.zeros_like(gather)
            kept[p.extra["kept"]] = gather[p.extra["kept"]]
            best = max(comp.records, key=lambda r: r["snr_db"])
            panels = [
                ("true gather", gather),
                (f"kept traces ({p.extra['kept'].size}/{gather.shape[0]})", kept),
                (
                    f"single λ: {comp.record('single')['snr_db']:.1f} dB",
                    comp.estimates["single"].reshape(gather.shape),
                ),
                (
                    f"{best['strategy']}: {best['snr_db']:.1f} dB",
                    comp.estimates[best["strategy"]].reshape(gather.shape),
                ),
            ]
            clip = np.abs(gather).max()
            for ax, (title, img) in zip(row, panels, strict=True):
                ax.imshow(img.T, aspect="auto", cmap="gray", vmin=-clip, vmax=clip)
                ax.set_title(f"{label}: {title}", fontsize="small")
                ax.set_xlabel("trace")
            row[0].set_ylabel("time sample")
        return fig

    return draw


# Seismic operators are slow to apply, and noiseless interpolation favours the smallest λ,
# whose solves are the slowest: a coarser grid over 3 decades and capped FISTA iterations
# (warm starts carry the progress along the path).
_FULL_SEISMIC = compare_config(13, 60, solver_options={"max_iter": 500})
_QUICK_SEISMIC = compare_config(9, 20, solver_options={"max_iter": 300})
_GATHER = {"lam_min_ratio": 1e-3, "domain": "synthesis"}
# the quick suite's gather: 40 traces x 48 samples instead of the pylops 70 x 80
_SMALL_GATHER = {"nt": 48, "nx": 40, "npx": 24}

#: the case and its quick and full configurations
CASE = Case(
    "seismic",
    seismic,
    quick={
        "problems": {
            "spike_deconvolution": (
                "spike_deconvolution",
                {"nt": 300},
                1,
                _QUICK_SEISMIC,
            ),
            "fk": (
                "trace_interpolation",
                {**_SMALL_GATHER, "transform": "fk", "nffts": (64, 64)},
                1,
                {**_QUICK_SEISMIC, **_GATHER},
            ),
            "linear_radon": (
                "trace_interpolation",
                {**_SMALL_GATHER, "transform": "linear_radon"},
                1,
                {**_QUICK_SEISMIC, **_GATHER},
            ),
            "radon_two_dictionary": (
                "radon_two_dictionary",
                {"nt": 32, "nx": 20, "npx_linear": 15, "npx_parabolic": 6, "snr_db": 20.0},
                1,
                compare_config(7, 16, solver_options={"max_iter": 200}),
            ),
        },
        "strategies": STRATEGIES,
        "targets": {"fk": 20.0, "linear_radon": 30.0},
    },
    full={
        "problems": {
            "spike_deconvolution": ("spike_deconvolution", {}, 3, FULL_COMPARE),
            "fk": (
                "trace_interpolation",
                {"transform": "fk"},
                1,
                {**_FULL_SEISMIC, **_GATHER},
            ),
            "linear_radon": (
                "trace_interpolation",
                {"transform": "linear_radon"},
                1,
                {**_FULL_SEISMIC, **_GATHER},
            ),
            "radon_two_dictionary": (
                "radon_two_dictionary",
                {"snr_db": 20.0},
                1,
                _FULL_SEISMIC,
            ),
        },
        "strategies": STRATEGIES,
        "targets": {"fk": 20.0, "linear_radon": 30.0},
    },
)
