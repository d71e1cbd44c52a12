"""Case 1, ``phase_transition``: the L1 phase transition against Donoho–Tanner."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from sparseinv import problems
from sparseinv.bench.cases._base import Case, seconds_since
from sparseinv.bench.phase import (
    SUCCESS_TOL,
    donoho_tanner,
    fifty_percent,
    l1_recover,
    linear_fifty_percent,
    recovery_trial,
    success_summary,
)
from sparseinv.bench.report import CaseReport, Check, Table
from sparseinv.bench.runner import Runner

__all__ = ["CASE", "SUCCESS_TOL", "diagram_column", "l1_trial", "phase_transition"]


def l1_trial(*, n: int, m: int, k: int, seed: int, amplitudes: str = "sign") -> dict[str, Any]:
    """One noiseless Gaussian compressed-sensing trial solved by basis pursuit (L1).

    Parameters
    ----------
    n, m, k : int
        Coefficients, measurements, non-zeros.
    seed : int
        Seed of the problem.
    amplitudes : {"sign", "gaussian"}, default "sign"
        Non-zero values.

    Returns
    -------
    dict
        ``success``, ``relative_error``, ``n_applications``, ``seconds``.

    Examples
    --------
    >>> l1_trial(n=60, m=30, k=3, seed=0)["success"]
    True
    """
    p = problems.compressed_sensing(m, n, k, amplitudes=amplitudes, rng=seed)
    return recovery_trial(p.x_true, lambda: l1_recover(p.A, p.b))


def diagram_column(
    *, n: int, delta: float, rhos: Sequence[float], trials: int, seed: int
) -> list[dict[str, Any]]:
    """Success rates of basis pursuit up one column δ of the phase diagram.

    Cells are solved by increasing ρ; once two cells in a row have no success, the
    cells above are not solved and reported with ``solved = False`` and rate 0.

    Parameters
    ----------
    n : int
        Coefficients.
    delta : float
        m / n.
    rhos : sequence of float
        k / m, increasing.
    trials : int
        Trials per cell.
    seed : int
        Seed of the column.

    Returns
    -------
    list of dict
        One dict per ρ: ``delta``, ``rho``, ``k``, ``rate``, ``solved``.

    Examples
    --------
    >>> [c["rate"] for c in diagram_column(n=40, delta=0.5, rhos=[0.1], trials=2, seed=0)]
    [1.0]
    """
    m = max(1, round(delta * n))
    out = []
    failures = 0
    for i, rho in enumerate(rhos):
        k = max(1, round(rho * m))
        if failures >= 2:
            out.append({"delta": delta, "rho": rho, "k": k, "rate": 0.0, "solved": False})
            continue
        seeds = np.random.SeedSequence([seed, i]).generate_state(trials)
        wins = sum(l1_trial(n=n, m=m, k=k, seed=int(s))["success"] for s in seeds)
        failures = failures + 1 if wins == 0 else 0
        out.append({"delta": delta, "rho": rho, "k": k, "rate": wins / trials, "solved": True})
    return out


def phase_transition(config: Mapping[str, Any], runner: Runner) -> CaseReport:
    r"""Case 1: the L1 phase transition against Donoho–Tanner.

    Problem: :func:`~sparseinv.problems.compressed_sensing` (Gaussian A, random signs,
    noiseless). Solver: basis pursuit by FISTA continuation and a least-squares
    debias on the support (:func:`~sparseinv.bench.phase.l1_recover`). Metric:
    success (relative error < 1e-3); the 50 % point of a logistic fit in ρ = k/m,
    against :math:`\rho_W(\delta)` (:func:`~sparseinv.bench.phase.donoho_tanner`).

    Parameters
    ----------
    config : dict
        ``n``, ``ks`` (δ → list of k), ``trials``, ``diagram`` (``n``, ``deltas``,
        ``rhos``, ``trials``).
    runner : Runner
        Runs the trials.

    Returns
    -------
    CaseReport

    Examples
    --------
    >>> config = {"n": 40, "ks": {0.5: [2, 14]}, "trials": 2,
    ...           "diagram": {"n": 20, "deltas": (0.5,), "rhos": (0.1, 0.9), "trials": 1}}
    >>> report = phase_transition(config, Runner(stream=None))
    >>> [row["rate"] for row in report.tables[1].rows]
    [1.0, 0.0]
    """
    start = time.perf_counter()
    n, trials = config["n"], config["trials"]
    tasks, cells = [], []
    for delta, ks in config["ks"].items():
        m = round(delta * n)
        for k in ks:
            cells.append((delta, m, k))
            for t in range(trials):
                tasks.append({"n": n, "m": m, "k": k, "seed": runner.seed_for("pt", m, k, t)})
    results = runner.map(l1_trial, tasks, label="phase transition")
    rows, curves, checks = [], {}, []
    for i, (delta, m, k) in enumerate(cells):
        cell = success_summary(results[i * trials : (i + 1) * trials])
        rows.append({"delta": delta, "m": m, "k": k, "rho": k / m} | cell)
        curves.setdefault(delta, []).append((k / m, cell["successes"], trials))
    transition = []
    for delta, curve in curves.items():
        rho, wins, tr = (np.array(v, dtype=float) for v in zip(*curve, strict=True))
        rho50 = fifty_percent(rho, wins, tr)
        linear = linear_fifty_percent(rho, wins / tr)
        theory = donoho_tanner(delta)
        diff = rho50 - theory
        transition.append(
            {
                "delta": delta,
                "n": n,
                "rho50_logistic": rho50,
                "rho50_linear": linear,
                "rho_donoho_tanner": theory,
                "difference": diff,
            }
        )
        checks.append(
            Check(
                f"δ = {delta}: ρ50 − ρ_DT in [−0.02, +0.05] (ρ_DT = {theory:.3f})",
                f"ρ50 = {rho50:.3f} ({diff:+.3f})",
                bool(-0.02 <= diff <= 0.05),
            )
        )
    diag = config["diagram"]
    columns = runner.map(
        diagram_column,
        [
            {
                "n": diag["n"],
                "delta": d,
                "rhos": list(diag["rhos"]),
                "trials": diag["trials"],
                "seed": runner.seed_for("diagram", d),
            }
            for d in diag["deltas"]
        ],
        label="phase diagram",
    )
    text = f"""
Noiseless recovery of a k-sparse ±1 vector of n = {n} coefficients from m = δn Gaussian
measurements, {trials} trials per (δ, ρ) cell; success means a relative error below
{SUCCESS_TOL:g}. Basis pursuit is solved with FISTA on the L1 problem, continued along
λ/λ_max = 1e-1 … 1e-4 (warm starts, relative duality gap 1e-10), followed by a
least-squares fit on the support of the solution (**debias**): it removes the O(λ)
shrinkage and cannot turn a failure into a success, since a failed basis-pursuit support
is not the true one. The 50 % point ρ50 is the maximum-likelihood logistic fit to all
trials (the linear interpolation of the empirical rates is shown as a check), compared
with the asymptotic Donoho–Tanner weak threshold ρ_W(δ). The phase diagram uses
n = {diag["n"]}, {diag["trials"]} trials per cell; cells above two all-failure cells in a
column are not solved (drawn as 0).
"""
    figures = {
        "phase_transition_curves.png": _draw_pt_curves(curves),
        "phase_diagram.png": _draw_phase_diagram(columns, diag),
    }
    return CaseReport(
        name="phase_transition",
        title="Phase transition (L1) against Donoho–Tanner",
        roles={
            "problem": f"compressed_sensing (Gaussian, ±1, noiseless), n = {n}",
            "solver": "basis pursuit = FISTA L1 continuation to 1e-4·λ_max + LS debias",
            "metric": f"success rate (relative error < {SUCCESS_TOL:g}), 50 % point ρ50",
        },
        text=text,
        tables=[
            Table("50 % success points", transition, {c: ".3f" for c in transition[0]}),
            Table(
                "Success rate per cell",
                rows,
                {"rho": ".3f", "rate": ".2f", "median_applications": ".0f", "mean_seconds": ".2f"},
            ),
        ],
        checks=checks,
        figures=figures,
        seconds=seconds_since(start),
    )


def _draw_pt_curves(curves: Mapping[float, list[tuple[float, int, int]]]) -> Callable[[], Any]:
    def draw() -> Any:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
        for delta, curve in curves.items():
            rho, wins, tr = (np.array(v, dtype=float) for v in zip(*curve, strict=True))
            (line,) = ax.plot(rho, wins / tr, "o-", label=f"δ = {delta}")
            ax.axvline(donoho_tanner(delta), color=line.get_color(), ls="--", lw=1)
        ax.axhline(0.5, color="gray", lw=0.8)
        ax.set_xlabel("ρ = k / m")
        ax.set_ylabel("success rate")
        ax.set_title("L1 recovery; dashed: Donoho–Tanner ρ_W(δ)")
        ax.legend()
        return fig

    return draw


def _draw_phase_diagram(columns: list[list[dict[str, Any]]], diag: Mapping) -> Callable[[], Any]:
    def draw() -> Any:
        import matplotlib.pyplot as plt

        deltas = np.array(diag["deltas"], dtype=float)
        rhos = np.array(diag["rhos"], dtype=float)
        rates = np.array([[c["rate"] for c in col] for col in columns]).T
        fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
        dd, dr = np.diff(deltas).mean() / 2, np.diff(rhos).mean() / 2
        im = ax.imshow(
            rates,
            origin="lower",
            aspect="auto",
            extent=(deltas[0] - dd, deltas[-1] + dd, rhos[0] - dr, rhos[-1] + dr),
            cmap="viridis",
            vmin=0,
            vmax=1,
        )
        fine = np.linspace(max(deltas[0] - dd, 0.01), min(deltas[-1] + dd, 0.99), 80)
        ax.plot(fine, [donoho_tanner(d) for d in fine], "w--", lw=2, label="Donoho–Tanner")
        ax.set_xlabel("δ = m / n")
        ax.set_ylabel("ρ = k / m")
        ax.set_xlim(deltas[0] - dd, deltas[-1] + dd)
        ax.set_ylim(rhos[0] - dr, rhos[-1] + dr)
        ax.set_title(f"L1 success rate, n = {diag['n']}")
        ax.legend(loc="upper left")
        fig.colorbar(im, ax=ax, label="success rate")
        return fig

    return draw


#: the case and its quick and full configurations
CASE = Case(
    "phase_transition",
    phase_transition,
    quick={
        "n": 200,
        "ks": {0.25: [10, 12, 14, 16, 18], 0.5: [30, 35, 40, 45, 50]},
        "trials": 4,
        "diagram": {
            "n": 100,
            "deltas": (0.2, 0.4, 0.6, 0.8),
            "rhos": tuple(np.round(np.arange(0.1, 0.91, 0.1), 2)),
            "trials": 2,
        },
    },
    full={
        "n": 400,
        "ks": {0.25: list(range(18, 37, 2)), 0.5: list(range(62, 93, 3))},
        "trials": 20,
        "diagram": {
            "n": 200,
            "deltas": tuple(np.round(np.arange(0.1, 0.91, 0.1), 2)),
            "rhos": tuple(np.round(np.arange(0.05, 0.951, 0.05), 2)),
            "trials": 10,
        },
    },
)
