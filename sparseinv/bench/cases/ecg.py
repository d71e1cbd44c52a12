"""Case 5, ``ecg``: a real ECG recording from 30 % and 50 % of its samples."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sparseinv import problems
from sparseinv.bench.cases._base import FULL_COMPARE, QUICK_COMPARE, Case, seconds_since
from sparseinv.bench.cases._comparisons import (
    SUMMARY_FORMATS,
    SUMMARY_LEGEND,
    gain_figure,
    run_comparisons,
    summary_rows,
    table_title,
)
from sparseinv.bench.report import CaseReport, Table
from sparseinv.bench.runner import Runner
from sparseinv.compare import STRATEGIES

__all__ = ["CASE", "ecg"]


def ecg(config: Mapping[str, Any], runner: Runner) -> CaseReport:
    """Case 5: a real ECG recording from 30 % and 50 % of its samples.

    Problem: :func:`~sparseinv.problems.ecg` (PyWavelets' recording, db4, 5 levels;
    groups = wavelet scales). Solver: FISTA on L1, oracle λ per strategy. Metric:
    SNR of the recording in dB (equal to that of the wavelet coefficients: the
    transform is orthonormal).

    Parameters
    ----------
    config : dict
        ``fractions``, ``n_samples``, ``trials``, ``strategies``, ``compare``.
    runner : Runner
        Runs the trials.

    Returns
    -------
    CaseReport

    Examples
    --------
    >>> config = {"fractions": (0.5,), "n_samples": 256, "trials": 1,
    ...           "strategies": ("single", "size"), "compare": {"n_lams": 6, "budget": 10}}
    >>> report = ecg(config, Runner(stream=None))
    >>> [row["strategy"] for row in report.tables[0].rows]
    ['single', 'size']
    """
    start = time.perf_counter()
    tables, figures, summaries, firsts = [], {}, {}, {}
    for fraction in config["fractions"]:
        label = f"ecg_{round(100 * fraction)}"
        kwargs = {"fraction_kept": fraction, "n_samples": config["n_samples"]}
        comps = run_comparisons(
            runner, label, "ecg", kwargs, config["trials"], config["strategies"], config["compare"]
        )
        rows = summary_rows(comps, label)
        summaries[label] = rows
        tables.append(Table(table_title(label, comps[0]), rows, SUMMARY_FORMATS))
        firsts[label] = (kwargs, runner.seed_for(label, 0), comps[0])
    figures["ecg_recordings.png"] = _draw_ecg(firsts)
    figures["ecg_gains.png"] = gain_figure(summaries, "ECG: gain over one λ (oracle)")
    text = (
        f"The first {config['n_samples']} samples of the MIT-BIH ECG recording shipped with "
        "PyWavelets, mean removed, observed at a random 30 % or 50 % of its samples "
        "(noiseless); sparse in the db4 wavelet domain with 5 levels, one group per scale "
        "(cA5, cD5 … cD1). Strategies tuned by the oracle as in case 3. One λ shrinks the "
        "few large coarse-scale coefficients as hard as the many small fine-scale ones; "
        "scale-dependent λ lifts that.\n\n" + SUMMARY_LEGEND
    )
    return CaseReport(
        name="ecg",
        title="ECG (real data): 30 % and 50 % of the samples",
        roles={
            "problem": f"ecg (db4, 5 levels, n = {config['n_samples']}), 30 % and 50 % kept",
            "solver": "FISTA on L1, λ by oracle tuning per strategy (sparseinv.compare)",
            "metric": "SNR of the recording (dB)",
        },
        text=text,
        tables=tables,
        checks=[],
        figures=figures,
        seconds=seconds_since(start),
    )


def _draw_ecg(firsts: Mapping[str, tuple]) -> Callable[[], Any]:
    def draw() -> Any:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            len(firsts), 1, figsize=(11, 3.2 * len(firsts)), layout="constrained", squeeze=False
        )
        for ax, (kwargs, seed, comp) in zip(axes[:, 0], firsts.values(), strict=True):
            p = problems.ecg(**kwargs, rng=seed)
            synthesis = p.extra["synthesis"]
            t = p.axes["t"]
            ax.plot(t, p.extra["recording"], "k", lw=1.0, label="recording")
            ax.plot(t[p.extra["kept"]], p.b, ".", ms=2, color="gray", label="kept samples")
            best = max(comp.records, key=lambda r: r["snr_db"])
            for name, style in (("single", "--"), (best["strategy"], "-")):
                rec = comp.record(name)
                signal = np.asarray(synthesis @ comp.solutions[name])
                ax.plot(t, signal, style, lw=0.9, label=f"{name} ({rec['snr_db']:.1f} dB)")
            ax.set_title(comp.problem_name, fontsize="small")
            ax.set_xlabel("sample")
            ax.legend(fontsize="small", loc="upper right")
        return fig

    return draw


#: the case and its quick and full configurations
CASE = Case(
    "ecg",
    ecg,
    quick={
        "fractions": (0.3, 0.5),
        "n_samples": 512,
        "trials": 1,
        "strategies": STRATEGIES,
        "compare": QUICK_COMPARE,
    },
    full={
        "fractions": (0.3, 0.5),
        "n_samples": 1024,
        "trials": 3,
        "strategies": STRATEGIES,
        "compare": FULL_COMPARE,
    },
)
