"""What a benchmark case reports, and the writer of ``results.md``, ``results.csv`` and figures."""

from __future__ import annotations

import csv
import math
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CaseReport", "Check", "Table", "write_report"]


@dataclass(frozen=True)
class Check:
    """A target of the benchmark and what was measured.

    Attributes
    ----------
    target : str
        The target, in words (e.g. ``"ρ50 − ρ_DT in [−0.02, +0.05] at δ = 0.25"``).
    measured : str
        The measured value, formatted.
    passed : bool
        Whether the target is met.

    Examples
    --------
    >>> Check("gain >= 1 dB", "+2.1 dB", True).status
    'met'
    """

    target: str
    measured: str
    passed: bool

    @property
    def status(self) -> str:
        """``"met"`` or ``"missed"``."""
        return "met" if self.passed else "missed"


@dataclass(frozen=True)
class Table:
    """Rows of one table: a list of dicts sharing keys, in column order.

    Attributes
    ----------
    title : str
        Caption.
    rows : list of dict
        One dict per row; values are numbers, strings or arrays (joined by ``;``).
    formats : dict of str to str, optional
        Format spec per column for the Markdown view (e.g. ``{"snr_db": ".2f"}``).

    Examples
    --------
    >>> t = Table("demo", [{"a": 1.23456, "b": "x"}], {"a": ".2f"})
    >>> print(t.to_markdown())
    | a | b |
    |---|---|
    | 1.23 | x |
    """

    title: str
    rows: list[dict[str, Any]]
    formats: Mapping[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Column names, in first-seen order."""
        return list(dict.fromkeys(key for row in self.rows for key in row))

    def to_markdown(self) -> str:
        """The table in Markdown.

        Returns
        -------
        str

        Examples
        --------
        >>> print(Table("t", [{"x": 1}]).to_markdown())
        | x |
        |---|
        | 1 |
        """
        cols = self.columns
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for row in self.rows:
            cells = [_md(_cell(row.get(c, ""), self.formats.get(c))) for c in cols]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)


@dataclass
class CaseReport:
    """Everything one case reports.

    Attributes
    ----------
    name : str
        Case name (as given to ``--cases``).
    title : str
        Section title.
    roles : dict of str to str
        The benchopt-style roles: ``"problem"``, ``"solver"``, ``"metric"``.
    text : str
        Markdown paragraphs: what is run, and how to read it.
    tables : list of Table
        Result tables.
    checks : list of Check
        Targets and their status.
    figures : dict of str to callable
        File name (``.png``) to a function that draws and returns a matplotlib figure.
    seconds : float
        Wall-clock time of the case.

    Examples
    --------
    >>> r = CaseReport("demo", "Demo", {"problem": "p", "solver": "s", "metric": "m"}, "text")
    >>> r.tables, r.checks
    ([], [])
    """

    name: str
    title: str
    roles: dict[str, str]
    text: str
    tables: list[Table] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Callable[[], Any]] = field(default_factory=dict)
    seconds: float = 0.0


def _md(text: str) -> str:
    """Text safe in a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _cell(value: Any, fmt: str | None) -> str:
    if isinstance(value, np.ndarray | list | tuple):
        return ", ".join(_cell(v, fmt) for v in value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return "–"
        return format(value, fmt) if fmt else f"{value:.4g}"
    return str(value)


def _csv_value(value: Any) -> Any:
    if isinstance(value, np.ndarray | list | tuple):
        return ";".join(str(_csv_value(v)) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_report(
    reports: Sequence[CaseReport],
    out: str | Path,
    *,
    suite: str,
    seed: int,
    jobs: int,
    seconds: float,
) -> dict[str, Path]:
    """Write ``results.md``, ``results.csv`` and the PNG figures of every case into ``out``.

    Parameters
    ----------
    reports : sequence of CaseReport
        The cases run, in order.
    out : str or Path
        Output folder, created if needed.
    suite : str
        ``"quick"`` or ``"full"``.
    seed : int
        The base seed of the run.
    jobs : int
        Worker processes used.
    seconds : float
        Total wall-clock time.

    Returns
    -------
    dict of str to Path
        ``"markdown"``, ``"csv"`` and one entry per figure file.

    Examples
    --------
    >>> import tempfile
    >>> r = CaseReport("demo", "Demo", {"problem": "p", "solver": "s", "metric": "m"}, "Text.",
    ...                tables=[Table("t", [{"x": 1.0}])], checks=[Check("x = 1", "1", True)])
    >>> paths = write_report([r], tempfile.mkdtemp(), suite="quick", seed=0, jobs=1, seconds=1.0)
    >>> sorted(paths)
    ['csv', 'markdown']
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for report in reports:
        for filename, draw in report.figures.items():
            paths[filename] = _save_figure(draw, out / filename)

    from sparseinv import __version__

    checks = [(r, c) for r in reports for c in r.checks]
    lines = [
        f"# sparseinv recovery-quality benchmark ({suite} suite)",
        "",
        f"sparseinv {__version__}, numpy {np.__version__}, Python {platform.python_version()}; "
        f"seed {seed}; {jobs} worker process(es); total {seconds:.0f} s.",
        "",
    ]
    if suite == "quick":
        lines += [
            "The quick suite runs the same code as the full suite with fewer trials and smaller "
            "sizes; the targets are set for the full suite (`sparseinv bench --suite full`), "
            "so a quick-suite miss is indicative only.",
            "",
        ]
    if checks:
        lines += ["## Targets", "", "| case | target | measured | status |", "|---|---|---|---|"]
        lines += [
            f"| {r.name} | {_md(c.target)} | {_md(c.measured)} | {c.status} |" for r, c in checks
        ]
        lines.append("")
    for i, report in enumerate(reports, 1):
        lines += [f"## {i}. {report.title}", ""]
        lines.append(
            f"*Problem:* {report.roles.get('problem', '')} — *solver:* "
            f"{report.roles.get('solver', '')} — *metric:* {report.roles.get('metric', '')} "
            f"— {report.seconds:.0f} s."
        )
        lines += ["", report.text.strip(), ""]
        for table in report.tables:
            lines += [f"**{table.title}**", "", table.to_markdown(), ""]
        for filename in report.figures:
            if filename in paths:
                lines += [f"![{filename}]({filename})", ""]
    markdown = out / "results.md"
    markdown.write_text("\n".join(lines))
    paths["markdown"] = markdown

    rows = []
    for report in reports:
        for table in report.tables:
            for row in table.rows:
                rows.append(
                    {"case": report.name, "table": table.title}
                    | {k: _csv_value(v) for k, v in row.items()}
                )
    columns = list(dict.fromkeys(k for row in rows for k in row)) or ["case", "table"]
    table_csv = out / "results.csv"
    with table_csv.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    paths["csv"] = table_csv
    return paths


def _save_figure(draw: Callable[[], Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig = draw()
    try:
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path
