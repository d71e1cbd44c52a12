"""Running :func:`sparseinv.compare` over trials and summarising it: what cases 3–5 share."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from sparseinv import problems
from sparseinv.bench.runner import Runner
from sparseinv.compare import Comparison, compare

__all__ = [
    "SUMMARY_FORMATS",
    "SUMMARY_LEGEND",
    "compare_trial",
    "gain_figure",
    "run_comparisons",
    "summary_rows",
    "table_title",
]


def compare_trial(
    *,
    maker: str,
    maker_kwargs: Mapping[str, Any],
    seed: int,
    strategies: Sequence[str],
    compare_kwargs: Mapping[str, Any],
) -> Comparison:
    """Build a problem of :mod:`sparseinv.problems` and run :func:`sparseinv.compare` on it.

    Parameters
    ----------
    maker : str
        Name of the generator in :mod:`sparseinv.problems`.
    maker_kwargs : dict
        Its keyword arguments (``rng`` excluded).
    seed : int
        Its ``rng``.
    strategies : sequence of str
        Passed to :func:`~sparseinv.compare`.
    compare_kwargs : dict
        Other keywords of :func:`~sparseinv.compare`.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> res = compare_trial(maker="density_contrast", maker_kwargs={}, seed=0,
    ...                     strategies=("single",), compare_kwargs={"n_lams": 8})
    >>> res.records[0]["strategy"]
    'single'
    """
    problem = getattr(problems, maker)(**maker_kwargs, rng=seed)
    return compare(problem, strategies=tuple(strategies), **compare_kwargs)


def _split_strategies(strategies: Sequence[str]) -> list[tuple[str, ...]]:
    """Two independent tasks: "per_group" with the "single" it starts from, and the rules.

    The rules stay together so that :func:`~sparseinv.compare` tunes rules with equal
    weights once.
    """
    first = tuple(s for s in strategies if s in ("single", "per_group"))
    rest = tuple(s for s in strategies if s not in ("single", "per_group"))
    return [chunk for chunk in (first, rest) if chunk]


def _merge(parts: Sequence[Comparison], order: Sequence[str]) -> Comparison:
    """One Comparison from comparisons of disjoint strategies on the same problem."""
    records = {r["strategy"]: dict(r) for part in parts for r in part.records}
    solutions = {k: v for part in parts for k, v in part.solutions.items()}
    estimates = {k: v for part in parts for k, v in part.estimates.items()}
    base = records["single"]["snr_db"] if "single" in records else math.nan
    ordered = [records[s] for s in order]
    for i, r in enumerate(ordered):
        r["gain_db"] = r["snr_db"] - base
        w = np.ones_like(r["lams"]) if r["strategy"] == "single" else r["weights"]
        # the first earlier strategy with the same weights (across the merged parts)
        r["same_as"] = next(
            (
                q["strategy"]
                for q in ordered[:i]
                if w is not None
                and q["strategy"] != "per_group"
                and np.allclose(
                    np.ones_like(q["lams"]) if q["strategy"] == "single" else q["weights"],
                    w,
                    rtol=1e-9,
                )
            ),
            None,
        )
    return replace(parts[0], records=ordered, solutions=solutions, estimates=estimates)


def run_comparisons(
    runner: Runner,
    label: str,
    maker: str,
    maker_kwargs: Mapping[str, Any],
    trials: int,
    strategies: Sequence[str],
    compare_kwargs: Mapping[str, Any],
) -> list[Comparison]:
    """``trials`` comparisons of one problem, strategies split across tasks."""
    chunks = _split_strategies(strategies)
    tasks = [
        {
            "maker": maker,
            "maker_kwargs": dict(maker_kwargs),
            "seed": runner.seed_for(label, trial),
            "strategies": chunk,
            "compare_kwargs": dict(compare_kwargs),
        }
        for trial in range(trials)
        for chunk in chunks
    ]
    results = runner.map(compare_trial, tasks, label=label)
    per_trial = [results[i * len(chunks) : (i + 1) * len(chunks)] for i in range(trials)]
    return [_merge(parts, strategies) for parts in per_trial]


def summary_rows(comparisons: Sequence[Comparison], problem: str) -> list[dict[str, Any]]:
    """Per strategy: means over trials of metrics, λ ratios and costs."""
    rows = []
    strategies = [r["strategy"] for r in comparisons[0].records]
    for s in strategies:
        recs = [c.record(s) for c in comparisons]
        single = [c.record("single") for c in comparisons] if "single" in strategies else None
        snr = np.array([r["snr_db"] for r in recs])
        gain = np.array([r["gain_db"] for r in recs])
        row: dict[str, Any] = {
            "problem": problem,
            "strategy": s,
            "trials": len(recs),
            "snr_db": float(np.mean(snr)),
            "snr_std_db": float(np.std(snr)),
            "gain_db": float(np.mean(gain)),
            "gain_std_db": float(np.std(gain)),
            "nmse_db": float(np.mean([r["nmse_db"] for r in recs])),
            "f1": float(np.mean([r["f1"] for r in recs])),
        }
        if comparisons[0].domain == "synthesis":
            row["model_snr_db"] = float(np.mean([r["model_snr_db"] for r in recs]))
        row["per_group_snr_db"] = np.mean([r["per_group_snr_db"] for r in recs], axis=0)
        if single is not None:
            ratios = np.array([r["lams"] / q["lams"] for r, q in zip(recs, single, strict=True)])
            row["lam_over_single"] = np.median(ratios, axis=0)
        row["lam_ratio_last_first"] = float(np.median([r["lams"][-1] / r["lams"][0] for r in recs]))
        row["n_solves"] = float(np.mean([r["n_solves"] for r in recs]))
        row["n_operator_applications"] = float(
            np.mean([r["n_operator_applications"] for r in recs])
        )
        row["seconds"] = float(np.mean([r["seconds"] for r in recs]))
        row["at_edge"] = int(sum(r["at_edge"] for r in recs))
        row["same_as"] = recs[0]["same_as"] or ""
        rows.append(row)
    return rows


SUMMARY_FORMATS = {
    "snr_db": ".2f",
    "snr_std_db": ".2f",
    "gain_db": "+.2f",
    "gain_std_db": ".2f",
    "nmse_db": ".2f",
    "f1": ".3f",
    "model_snr_db": ".2f",
    "per_group_snr_db": ".1f",
    "lam_over_single": ".3g",
    "lam_ratio_last_first": ".3g",
    "n_solves": ".0f",
    "n_operator_applications": ".0f",
    "seconds": ".2f",
}

SUMMARY_LEGEND = (
    "Columns: means over trials; `gain_db` is the SNR gain over `single` in the same trial "
    "(= its NMSE reduction), `lam_over_single` the median of λ_g / λ_single per group, "
    "`lam_ratio_last_first` the median λ_G / λ_1; `n_solves`, `n_operator_applications` and "
    "`seconds` are the tuning cost (weights, every solve; `per_group` includes the single-λ "
    "search it starts from); `at_edge` counts trials whose best grid λ was the grid's "
    "smallest; `same_as` names an earlier strategy with the same weights (same family, tuned "
    "once)."
)


def gain_figure(summaries: Mapping[str, list[dict[str, Any]]], title: str) -> Callable[[], Any]:
    def draw() -> Any:
        import matplotlib.pyplot as plt

        names = list(summaries)
        strategies = [r["strategy"] for r in summaries[names[0]] if r["strategy"] != "single"]
        fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
        width = 0.8 / len(names)
        for j, name in enumerate(names):
            rows = {r["strategy"]: r for r in summaries[name]}
            pos = np.arange(len(strategies)) + (j - (len(names) - 1) / 2) * width
            ax.bar(
                pos,
                [rows[s]["gain_db"] for s in strategies],
                width,
                yerr=[rows[s]["gain_std_db"] for s in strategies],
                label=name,
                capsize=2,
            )
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_xticks(np.arange(len(strategies)), strategies, rotation=30, ha="right")
        ax.set_ylabel("SNR gain over single λ (dB)")
        ax.set_title(title)
        ax.legend(fontsize="small")
        return fig

    return draw


def table_title(label: str, comparison: Comparison) -> str:
    name = comparison.problem_name
    return label if name == label else f"{label} — {name}"
