r"""Case 7, ``real_seismic``: trace interpolation and deconvolution of a real stacked section.

Problem: :func:`~sparseinv.problems.field_trace_interpolation` (one inline of the
stacked volume shipped with SeisLab, 50 % of its traces removed; FK and linear Radon,
over the whole section and in overlapping windows) and
:func:`~sparseinv.problems.field_spike_deconvolution` (real traces, wavelet estimated
from the section). Solver: FISTA on L1, one λ or one λ per group (frequency band,
slowness range, window, time window) chosen by the one λ search of
:func:`~sparseinv.compare` (:func:`~sparseinv.selection.strategies.select_strategy`)
under an oracle score, and pylops' FISTA at the same λ and iteration count. Metric: the
SNR of the reconstruction over the removed traces (the recorded section is the truth),
and of the deconvolved trace's prediction of held-out samples.

This module runs the case and writes its report (tables, checks, the figure of the
sections) from its configurations; the trials themselves, and the oracle λ search
they share, are in :mod:`sparseinv.bench.cases.real_seismic_trials` (and importable
from here).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from sparseinv import problems
from sparseinv.bench.cases._base import Case, seconds_since
from sparseinv.bench.cases.real_seismic_trials import (
    deconvolution_trial,
    interpolation_trial,
    oracle_lams,
    stacked_volume,
)
from sparseinv.bench.report import CaseReport, Check, Table
from sparseinv.bench.runner import Runner

__all__ = ["CASE", "deconvolution_trial", "interpolation_trial", "oracle_lams", "real_seismic"]


_ROLES = {
    "problem": "field_trace_interpolation (FK, linear Radon; global and windowed), "
    "field_spike_deconvolution",
    "solver": "FISTA on L1, oracle λ per strategy against the recorded traces (the one λ "
    "search of sparseinv.compare); pylops FISTA at the same λ and iterations",
    "metric": "SNR (dB) over the removed traces; of held-out samples (deconvolution)",
}
_TEXT = (
    "The data: inline {inline} of the stacked 3-D volume shipped in the SeisLab package (real "
    "post-stack data, 1 ms sampling; see `sparseinv.problems.load_stacked_volume`). Random "
    "traces are removed and recovered by L1 in the FK domain (complex, padded 2x) or the "
    "linear Radon domain (slownesses within ±1 ms per trace), over the whole section (groups: "
    "4 temporal-frequency bands or 4 slowness ranges) or in overlapping Hanning-tapered "
    "windows (pylops `Patch2D`, one local transform per window, groups: the windows). λ is "
    "chosen by the oracle (the SNR over the removed traces) through the one λ search of "
    "`sparseinv.compare`: one λ on a warm-started grid, refined, then one λ per group by "
    "pattern search from it (`solves` of FISTA to `tol`; with fewer than two solves per group "
    "the per-window gain is a lower bound); `single` and `per_group` report the searches' best "
    "solutions and costs (`applications`: matvecs + rmatvecs; `per_group` without the single "
    "path it continues). `same_budget` and "
    "`pylops` are one cold FISTA solve each at the single λ with the same step 1/L and "
    "exactly `budget_iter` iterations: sparseinv (restart, Anderson acceleration, no CG "
    "refinement) and pylops (`eps = 2λ`). `gain_db` is over the single λ of the same setup; "
    "`lam_spread` the ratio of the largest to the smallest λ. Timings come from a shared "
    "machine (noisy). Deconvolution: the wavelet is estimated from the average power "
    "spectrum of the inline (zero or minimum phase), the reflectivity of one trace is fitted "
    "on 70 % of its samples, λ is chosen on half of the held-out samples and the SNR of the "
    "prediction of the other half is reported (no true reflectivity exists)."
)


def real_seismic(config: Mapping[str, Any], runner: Runner) -> CaseReport:
    """Case 7: trace interpolation and spike deconvolution on a real stacked section.

    Parameters
    ----------
    config : dict
        ``"interpolation"`` (``setups``: label -> builder keywords, ``trials``,
        ``fraction_kept``, ``section``, ``max_iter``, ``tol``, ``budget_iter``,
        ``n_lams``, ``lam_min_ratio``, ``budget``), ``"deconvolution"``
        (``crosslines``, ``phases``, ``trials``, ``n_windows``, ``max_iter``, ``tol``,
        ``n_lams``, ``lam_min_ratio``, ``budget``) and ``"targets"`` (setup -> floor of
        the single-λ SNR over the removed traces, dB).
    runner : Runner
        Runs the trials.

    Returns
    -------
    CaseReport
        Without SeisLab installed, a report whose one check (the data are installed)
        is missed, with the command that installs them.

    Examples
    --------
    >>> report = real_seismic(CASE.quick, Runner(stream=None))  # doctest: +SKIP
    >>> report.tables[0].title.startswith("Trace interpolation")  # doctest: +SKIP
    True
    """
    start = time.perf_counter()
    title = "Real seismic: a stacked section (SeisLab), interpolation and deconvolution"
    try:
        stacked_volume()
    except ImportError as err:
        return CaseReport(
            name="real_seismic",
            title=title,
            roles=_ROLES,
            text=f"Not run: {err}.",
            checks=[Check("the field data package is installed", str(err), False)],
            seconds=seconds_since(start),
        )
    interp = config["interpolation"]
    common = {k: v for k, v in interp.items() if k not in ("setups", "trials")}
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
    dcommon = {k: v for k, v in deconv.items() if k not in ("crosslines", "phases", "trials")}
    dtasks = [
        {
            "crossline": xl,
            "wavelet_phase": phase,
            "seed": runner.seed_for("real_seismic", "deconvolution", xl, trial),
            **dcommon,
        }
        for phase in deconv["phases"]
        for xl in deconv["crosslines"]
        for trial in range(deconv["trials"])
    ]
    douts = runner.map(deconvolution_trial, dtasks, label="real_seismic deconvolution")
    tables = [
        Table(
            f"Trace interpolation of inline {_inline(interp)}, "
            f"{interp['fraction_kept']:.0%} of the traces kept "
            f"({interp['trials']} draws; mean ± std over draws)",
            rows,
            _FORMATS,
        ),
        Table(
            "Spike deconvolution of real traces: SNR of the predicted held-out samples "
            "(λ chosen on half of them, scored on the other half)",
            _deconvolution_rows(dtasks, douts),
            _FORMATS,
        ),
    ]
    first = next(iter(by_setup))
    best = max(
        (r for r in rows if r["strategy"] in ("single", "per_group")),
        key=lambda r: r["snr_removed_db"],
    )
    panels = {
        f"{first}, single λ": (by_setup[first][0], "single"),
        f"{best['setup']}, {best['strategy']}": (by_setup[best["setup"]][0], best["strategy"]),
    }
    return CaseReport(
        name="real_seismic",
        title=title,
        roles=_ROLES,
        text=_TEXT.format(inline=_inline(interp)),
        tables=tables,
        checks=_checks(rows, config.get("targets", {})),
        figures={"real_seismic_sections.png": _draw_sections(panels)},
        seconds=seconds_since(start),
    )


# ---------------------------------------------------------------------------- report
def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def _summary(recs: Sequence[Mapping[str, Any]], key: str, single: float) -> dict[str, float]:
    """Mean, std and gain over ``single`` of ``key``."""
    mean, std = _mean_std([r[key] for r in recs])
    return {key: mean, "std_db": std, "gain_db": mean - single}


def _spread(recs: Sequence[Mapping[str, Any]]) -> float:
    """The mean ratio of the largest to the smallest λ."""
    return float(np.mean([r["lams"].max() / r["lams"].min() for r in recs]))


def _interpolation_rows(by_setup: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for label, outs in by_setup.items():
        single = _mean_std([o["strategies"]["single"]["snr_removed_db"] for o in outs])[0]
        for name in ("single", "per_group", "same_budget", "pylops"):
            recs = [o["strategies"][name] for o in outs]
            rows.append(
                {"setup": label, "strategy": name}
                | _summary(recs, "snr_removed_db", single)
                | {
                    "snr_section_db": _mean_std([r["snr_section_db"] for r in recs])[0],
                    "lam_spread": _spread(recs),
                    "n_features": outs[0]["n_features"],
                    "n_groups": outs[0]["n_groups"],
                    "applications": int(np.mean([r["n_applications"] for r in recs])),
                    "seconds": float(np.mean([r["seconds"] for r in recs])),
                    "solves": int(np.mean([r["n_solves"] for r in recs])),
                    "objective": float(np.mean([r.get("objective", np.nan) for r in recs])),
                }
            )
    return rows


def _deconvolution_rows(
    tasks: Sequence[Mapping[str, Any]], outs: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    rows = []
    for phase in dict.fromkeys(t["wavelet_phase"] for t in tasks):
        picked = [o for t, o in zip(tasks, outs, strict=True) if t["wavelet_phase"] == phase]
        single = _mean_std([o["single"]["test_db"] for o in picked])[0]
        for name in ("single", "per_group"):
            recs = [o[name] for o in picked]
            rows.append(
                {"wavelet": phase, "strategy": name, "traces": len(recs)}
                | _summary(recs, "test_db", single)
                | {
                    "validation_db": _mean_std([r["validation_db"] for r in recs])[0],
                    "lam_spread": _spread(recs),
                    "nonzeros": float(np.mean([r["nonzeros"] for r in recs])),
                }
            )
    return rows


_FORMATS = {
    "snr_removed_db": ".2f",
    "test_db": ".2f",
    "std_db": ".2f",
    "gain_db": "+.2f",
    "snr_section_db": ".2f",
    "validation_db": ".2f",
    "lam_spread": ".3g",
    "seconds": ".2f",
    "objective": ".5g",
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


def _windowed(transform: str, windows: tuple, overlap: tuple, **extra: Any) -> dict[str, Any]:
    return {"transform": transform, "windows": windows, "overlap": overlap, **extra}


_INTERP = {"fraction_kept": 0.5, "tol": 1e-4, "lam_min_ratio": 1e-3}
_DECONV = {"n_windows": 4, "tol": 1e-5, "lam_min_ratio": 1e-3}
# the quick suite: a 32 x 48 corner of the inline, one draw, short searches
_QUICK: dict[str, Any] = {
    "interpolation": {
        **_INTERP,
        "section": {"inline": 51, "n_traces": 32, "n_samples": 48},
        "setups": {
            "fk global": {"transform": "fk", "nffts": (64, 128)},
            # 3 x 3 windows whose local FK sizes add up to about the global model's
            "fk windows 16x24": _windowed("fk", (16, 24), (8, 12), nffts=(32, 32)),
            "radon global": {"transform": "linear_radon", "npx": 31},
        },
        "trials": 1,
        "max_iter": 100,
        "budget_iter": 50,
        "n_lams": 5,
        "budget": 6,
    },
    "deconvolution": {
        **_DECONV,
        "crosslines": (50,),
        "phases": ("zero_phase",),
        "trials": 1,
        "max_iter": 300,
        "n_lams": 6,
        "budget": 8,
    },
    "targets": {},
}
# the full suite: the whole inline (102 traces x 101 samples), two draws; every
# windowed model has about as many coefficients as the global one (65536 for FK)
_FULL: dict[str, Any] = {
    "interpolation": {
        **_INTERP,
        "section": {"inline": 51},
        "setups": {
            "fk global": {"transform": "fk", "nffts": (256, 256)},
            "fk windows 34x45": _windowed("fk", (34, 45), (17, 17), nffts=(64, 64)),
            "fk time windows 102x45": _windowed("fk", (102, 45), (0, 17), nffts=(256, 64)),
            "radon global": {"transform": "linear_radon", "npx": 81},
            "radon windows 34x45": _windowed("linear_radon", (34, 45), (17, 17), npx=41),
        },
        "trials": 2,
        "max_iter": 150,
        "budget_iter": 100,
        "n_lams": 6,
        "budget": 40,  # at least 2 solves per window: one sweep of 15 windows
    },
    "deconvolution": {
        **_DECONV,
        "crosslines": (20, 50, 80),
        "phases": ("zero_phase", "minimum_phase"),
        "trials": 2,
        "max_iter": 500,
        "n_lams": 8,
        "budget": 16,
    },
    "targets": {},
}

CASE = Case("real_seismic", real_seismic, quick=_QUICK, full=_FULL)
