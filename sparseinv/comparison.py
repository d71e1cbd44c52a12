"""The result of :func:`sparseinv.compare`: one record per strategy, tables and a figure."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sparseinv.evaluation import METRICS
from sparseinv.groups import Groups

__all__ = ["Comparison"]


@dataclass(frozen=True, eq=False)
class Comparison:
    """What :func:`compare` found: one record per strategy, and the solutions.

    Attributes
    ----------
    records : list of dict
        One dict per strategy, in the order asked (see :func:`compare` for the keys).
    problem_name : str
        ``problem.name``.
    metric : str
        The metric tuned for.
    penalty : str
        ``"l0"``, ``"l1"`` or ``"l2"``.
    solver : str
        The solver's name.
    selection : str
        ``"oracle"``, another name of :data:`SELECTIONS`, or the callable's name.
    domain : str
        ``"model"`` or ``"synthesis"``.
    solutions : dict of str to ndarray
        The solution of each strategy.
    reference : ndarray or None
        The truth in ``domain`` (``x_true``, or the synthesis of ``x_true``).
    estimates : dict of str to ndarray
        Each solution in ``domain``.
    groups : Groups or None
        The problem's groups (their boundaries are marked in :meth:`plot`).

    Examples
    --------
    >>> import sparseinv as si
    >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
    >>> res.records[0]["strategy"], res.records[0]["n_solves"] > 10
    ('single', True)
    """

    records: list[dict[str, Any]]
    problem_name: str
    metric: str
    penalty: str
    solver: str
    selection: str
    domain: str
    solutions: dict[str, Any] = field(repr=False)
    reference: Any = field(default=None, repr=False)
    estimates: dict[str, Any] = field(default_factory=dict, repr=False)
    groups: Groups | None = field(default=None, repr=False)

    def record(self, strategy: str) -> dict[str, Any]:
        """The record of one strategy.

        Parameters
        ----------
        strategy : str
            A strategy of :attr:`records`.

        Returns
        -------
        dict

        Examples
        --------
        >>> import sparseinv as si
        >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
        >>> res.record("single")["lams"].shape
        (2,)
        """
        for rec in self.records:
            if rec["strategy"] == strategy:
                return rec
        known = [r["strategy"] for r in self.records]
        raise KeyError(f"strategy must be one of {known}; got {strategy!r}")

    def to_markdown(self, *, digits: int = 2) -> str:
        """A Markdown table: metrics, λ and tuning cost per strategy.

        Parameters
        ----------
        digits : int, default 2
            Decimals of the dB values.

        Returns
        -------
        str

        Examples
        --------
        >>> import sparseinv as si
        >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
        >>> print(res.to_markdown().splitlines()[0])  # doctest: +ELLIPSIS
        | strategy | SNR (dB) | gain (dB) | NMSE (dB) | ...
        """
        header = [
            "strategy",
            "SNR (dB)",
            "gain (dB)",
            "NMSE (dB)",
            "rel. error",
            "F1",
            "per-group SNR (dB)",
            "λ per group",
            "solves",
            "applications",
            "seconds",
        ]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        d = digits
        for r in self.records:
            row = [
                r["strategy"] + (f" (= {r['same_as']})" if r.get("same_as") else ""),
                f"{r['snr_db']:.{d}f}",
                "" if math.isnan(r["gain_db"]) else f"{r['gain_db']:+.{d}f}",
                f"{r['nmse_db']:.{d}f}",
                f"{r['relative_error']:.3g}",
                f"{r['f1']:.3f}",
                _join(r["per_group_snr_db"], f"{{:.{d - 1}f}}"),
                _join(r["lams"], "{:.3g}") + (" (edge)" if r["at_edge"] else ""),
                str(r["n_solves"]),
                str(r["n_operator_applications"]),
                f"{r['seconds']:.2f}",
            ]
            lines.append("| " + " | ".join(row) + " |")
        return "\n".join(lines)

    def to_csv(self, path: str | Path) -> Path:
        """Write the records as CSV, per-group arrays joined by ``;``.

        Parameters
        ----------
        path : str or Path
            File to write (its folder must exist).

        Returns
        -------
        Path
            ``path``.

        Examples
        --------
        >>> import tempfile, pathlib, sparseinv as si
        >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
        >>> out = res.to_csv(pathlib.Path(tempfile.mkdtemp()) / "table.csv")
        >>> out.read_text().splitlines()[0].split(",")[:3]
        ['problem', 'strategy', 'snr_db']
        """
        path = Path(path)
        rows = [{"problem": self.problem_name, **_flat(r)} for r in self.records]
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path

    def plot(self, *, figsize: tuple[float, float] = (11.0, 4.0)) -> Any:
        """Bars of the metric per strategy, and the recovered vs the true model.

        Parameters
        ----------
        figsize : tuple of float, default (11, 4)
            Figure size in inches.

        Returns
        -------
        matplotlib.figure.Figure
            Left: the tuned metric per strategy. Right: the truth and the solutions of
            "single" and of the best other strategy, in the compared domain (moduli
            for complex values).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import sparseinv as si
        >>> res = si.compare(si.problems.density_contrast(rng=0), strategies=("single",))
        >>> len(res.plot().axes)
        2
        """
        import matplotlib.pyplot as plt

        fig, (ax_bar, ax_x) = plt.subplots(
            1, 2, figsize=figsize, gridspec_kw={"width_ratios": [1, 2]}, layout="constrained"
        )
        names = [r["strategy"] for r in self.records]
        values = [r[self.metric] for r in self.records]
        colors = ["tab:gray" if n == "single" else "tab:blue" for n in names]
        bars = ax_bar.bar(range(len(names)), values, color=colors)
        ax_bar.bar_label(bars, fmt="%.2f", fontsize="small")
        ax_bar.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ax_bar.set_ylabel(self.metric)
        ax_bar.set_title(f"{self.problem_name}: {self.selection} λ")
        finite = [v for v in values if math.isfinite(v)]
        if finite:
            lo, hi = min(finite), max(finite)
            pad = 0.1 * (hi - lo) + 0.5
            ax_bar.set_ylim(min(0.0, lo - pad), max(0.0, hi + pad))
        if self.reference is not None:
            ax_x.plot(np.abs(self.reference), color="k", lw=1.2, label="true")
        higher = METRICS[self.metric][1]
        others = [r for r in self.records if r["strategy"] != "single"]
        shown = [r for r in self.records if r["strategy"] == "single"]
        if others:
            pick = max if higher else min
            shown.append(pick(others, key=lambda r: _finite(r[self.metric], higher)))
        for r, style in zip(shown, ("--", ":"), strict=False):
            est = self.estimates[r["strategy"]]
            ax_x.plot(np.abs(est), style, lw=1.0, label=f"{r['strategy']} ({r['snr_db']:.1f} dB)")
        groups = self.groups
        if self.domain == "model" and groups is not None and groups.n_groups > 1:
            contiguous = np.array_equal(groups.indices, np.arange(groups.n_features))
            if contiguous and groups.n_groups <= 12:
                for edge in groups.offsets[1:-1]:
                    ax_x.axvline(edge - 0.5, color="gray", ls=":", lw=0.8)
                for g, label in enumerate(groups.labels):
                    mid = 0.5 * (groups.offsets[g] + groups.offsets[g + 1])
                    ax_x.text(
                        mid,
                        1.0,
                        str(label),
                        transform=ax_x.get_xaxis_transform(),
                        ha="center",
                        va="bottom",
                        fontsize="x-small",
                        color="gray",
                    )
        ax_x.set_xlabel("coefficient" if self.domain == "model" else "sample")
        ax_x.set_ylabel("|value|")
        ax_x.set_title(f"recovered vs true ({self.domain} domain)", pad=14)
        ax_x.legend(loc="upper right", fontsize="small")
        return fig


def _finite(value: float, higher: bool) -> float:
    if math.isfinite(value):
        return value
    return -math.inf if higher else math.inf


def _join(values: Any, fmt: str, limit: int = 6) -> str:
    arr = np.asarray(values, dtype=float).ravel()
    parts = [fmt.format(v) for v in arr[:limit]]
    if arr.size > limit:
        parts.append("…")
    return ", ".join(parts)


def _flat(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        if isinstance(value, np.ndarray):
            out[key] = ";".join(f"{v:.6g}" for v in value.ravel())
        elif value is None:
            out[key] = ""
        else:
            out[key] = value
    return out
