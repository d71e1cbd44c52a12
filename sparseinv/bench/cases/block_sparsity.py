r"""The ``block_sparsity`` case of ``sparseinv bench``: group sparsity against L1.

Problem: a block-sparse vector (n coefficients in blocks of equal size, a few whole
blocks non-zero with Gaussian amplitudes) seen through a Gaussian matrix, noiseless.
Solvers: group basis pursuit (FISTA continuation on :class:`~sparseinv.L21` with one
λ for every block, then least squares on the support) and basis pursuit (the same on
L1, :func:`~sparseinv.bench.phase.l1_recover`). Metric: the number of measurements m
at 50 % exact recovery of each, and their ratio.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sparseinv.bench.cases._base import Case
from sparseinv.bench.phase import (
    SUCCESS_TOL,
    fifty_percent,
    l1_recover,
    linear_fifty_percent,
    path_recover,
    recovery_trial,
    success_summary,
)
from sparseinv.bench.report import CaseReport, Check, Table
from sparseinv.bench.runner import Runner
from sparseinv.groups import Groups
from sparseinv.objective import lam_max
from sparseinv.penalties import L21

__all__ = [
    "FULL",
    "METHODS",
    "QUICK",
    "block_problem",
    "block_sparsity",
    "block_trial",
    "group_recover",
]

#: the two recoveries, by the name the tables use
METHODS = ("L21 (group basis pursuit)", "L1 (basis pursuit)")


def group_recover(
    A: NDArray,
    b: NDArray,
    groups: Groups,
    *,
    tol: float = 1e-10,
    max_iter: int = 20_000,
) -> tuple[NDArray, int]:
    r"""Group basis pursuit by FISTA continuation on L21, then least squares on the support.

    Parameters
    ----------
    A : ndarray
        The ``(m, n)`` matrix.
    b : ndarray
        Noiseless data.
    groups : Groups
        The blocks, all of one size (one λ for every block).
    tol : float, default 1e-10
        Relative duality gap of every solve.
    max_iter : int, default 20000
        Most FISTA iterations per solve.

    Returns
    -------
    x : ndarray
        The debiased solution.
    n_applications : int
        Operator applications of the whole path.

    Notes
    -----
    Group basis pursuit :math:`\min\sum_g\|x_g\|_2` s.t. :math:`Ax = b` is the
    :math:`\lambda \to 0` limit of :math:`\tfrac12\|Ax-b\|^2 + \lambda\sum_g\|x_g\|_2`,
    solved along :data:`~sparseinv.bench.phase.LAM_RATIOS` from
    :math:`\lambda_{\max} = \max_g\|A_g^Tb\|_2` with warm starts; the remaining
    :math:`O(\lambda)` shrinkage is removed by least squares on the support
    (:func:`~sparseinv.bench.phase.debias`): the recipe of basis pursuit in
    :func:`~sparseinv.bench.phase.l1_recover`, both by
    :func:`~sparseinv.bench.phase.path_recover`.

    Examples
    --------
    >>> from sparseinv.metrics import relative_error
    >>> p = block_problem(n=64, block=4, n_active=2, m=30, seed=0)
    >>> x, _ = group_recover(p["A"], p["b"], p["groups"])
    >>> bool(relative_error(p["x_true"], x) < 1e-8)
    True
    """
    top = float(np.max(lam_max(A, b, groups, penalty="l21")))
    return path_recover(A, b, L21(1.0, groups=groups), top, tol=tol, max_iter=max_iter)


def block_problem(*, n: int, block: int, n_active: int, m: int, seed: int) -> dict[str, Any]:
    """A noiseless block-sparse problem with a Gaussian matrix.

    Parameters
    ----------
    n : int
        Coefficients (a multiple of ``block``).
    block : int
        Size of every block.
    n_active : int
        Non-zero blocks, at random positions, with standard normal amplitudes.
    m : int
        Measurements; A has i.i.d. N(0, 1/m) entries.
    seed : int
        Seed: the same seed gives the same vector whatever m (the matrix differs).

    Returns
    -------
    dict
        ``A``, ``b``, ``x_true``, ``groups``.

    Examples
    --------
    >>> p = block_problem(n=16, block=4, n_active=1, m=8, seed=0)
    >>> int(np.count_nonzero(p["x_true"])), p["A"].shape
    (4, (8, 16))
    """
    if n % block:
        raise ValueError(f"n must be a multiple of block; got n = {n}, block = {block}")
    n_blocks = n // block
    vector_rng, matrix_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2)
    )
    x = np.zeros(n)
    for g in vector_rng.choice(n_blocks, n_active, replace=False):
        x[g * block : (g + 1) * block] = vector_rng.standard_normal(block)
    A = matrix_rng.standard_normal((m, n)) / np.sqrt(m)
    return {"A": A, "b": A @ x, "x_true": x, "groups": Groups.from_sizes([block] * n_blocks)}


def block_trial(
    *, method: str, n: int, block: int, n_active: int, m: int, seed: int
) -> dict[str, Any]:
    """One trial of one recovery (a name of :data:`METHODS`) on :func:`block_problem`.

    Returns
    -------
    dict
        ``success``, ``relative_error``, ``n_applications``, ``seconds``.

    Examples
    --------
    >>> block_trial(method=METHODS[0], n=64, block=4, n_active=2, m=30, seed=0)["success"]
    True
    """
    p = block_problem(n=n, block=block, n_active=n_active, m=m, seed=seed)
    if method == METHODS[0]:
        return recovery_trial(p["x_true"], lambda: group_recover(p["A"], p["b"], p["groups"]))
    if method == METHODS[1]:
        return recovery_trial(p["x_true"], lambda: l1_recover(p["A"], p["b"]))
    raise ValueError(f"method must be one of {METHODS}; got {method!r}")


def block_sparsity(config: Mapping[str, Any], runner: Runner) -> CaseReport:
    r"""Group sparsity (L21) needs fewer measurements than L1 on block-sparse vectors.

    Parameters
    ----------
    config : dict
        ``n``, ``block``, ``n_active`` (non-zero blocks), ``ms`` (method name → list
        of m), ``trials``, ``target`` (the largest m50(L21)/m50(L1) accepted, or None
        to report the ratio without a target).
    runner : Runner
        Runs the trials.

    Returns
    -------
    CaseReport

    Examples
    --------
    >>> config = {"n": 32, "block": 4, "n_active": 1, "trials": 2, "target": None,
    ...           "ms": {METHODS[0]: [2, 24], METHODS[1]: [2, 24]}}
    >>> report = block_sparsity(config, Runner(stream=None))
    >>> [row["rate"] for row in report.tables[1].rows]
    [0.0, 1.0, 0.0, 1.0]
    """
    start = time.perf_counter()
    n, block, n_active, trials = (config[key] for key in ("n", "block", "n_active", "trials"))
    rows, m50 = [], {}
    for method in METHODS:
        ms = list(config["ms"][method])
        tasks = [
            {
                "method": method,
                "n": n,
                "block": block,
                "n_active": n_active,
                "m": m,
                # the seed of the vector only: at each m both methods see the same problem
                "seed": runner.seed_for("block_sparsity", m, t),
            }
            for m in ms
            for t in range(trials)
        ]
        results = runner.map(block_trial, tasks, label=method)
        wins = []
        for i, m in enumerate(ms):
            cell = success_summary(results[i * trials : (i + 1) * trials])
            wins.append(cell["successes"])
            rows.append({"method": method, "m": m} | cell)
        # success rises with m: the fits of a falling rate, in −m
        m50[method] = (
            -fifty_percent([-m for m in ms], wins, [trials] * len(ms)),
            -linear_fifty_percent([-m for m in ms[::-1]], (np.array(wins) / trials)[::-1]),
        )
    group, lasso = m50[METHODS[0]][0], m50[METHODS[1]][0]
    ratio = group / lasso if math.isfinite(group) and math.isfinite(lasso) else math.nan
    summary = [
        {"method": name, "m50_logistic": v[0], "m50_linear": v[1], "delta50": v[0] / n}
        for name, v in m50.items()
    ]
    summary.append(
        {
            "method": "ratio L21 / L1",
            "m50_logistic": ratio,
            "m50_linear": math.nan,
            "delta50": ratio,
        }
    )
    k = n_active * block
    text = f"""
Noiseless recovery of a block-sparse vector, n = {n} coefficients in {n // block} blocks of
{block}, {n_active} blocks non-zero (k = {k} non-zeros, Gaussian amplitudes), from m
Gaussian measurements (N(0, 1/m) entries), {trials} trials per m; at an m both methods test
they see the same vectors. Success means a relative error below {SUCCESS_TOL:g}. L21 is
group basis pursuit: FISTA on `L21(λ, groups)` with one λ for every block, continued along
λ/λ_max = 1e-1 … 1e-4 (warm starts, relative duality gap 1e-10), then least squares on the
support; L1 is basis pursuit with the same path and debias (as in the phase transition
case). m50 is the maximum-likelihood logistic fit in m to all trials (the linear
interpolation of the empirical rates is shown as a check). The literature (model-based
compressed sensing, n = 512, blocks of 8, k = 64) reports about 138 against 195, a ratio
of 0.71.
"""
    checks = []
    if config["target"] is not None:
        checks.append(
            Check(
                f"m50(L21) / m50(L1) <= {config['target']}",
                f"{group:.1f} / {lasso:.1f} = {ratio:.2f}",
                bool(ratio <= config["target"]),
            )
        )
    return CaseReport(
        name="block_sparsity",
        title="Block sparsity: group basis pursuit (L21) against basis pursuit (L1)",
        roles={
            "problem": (
                f"block-sparse (Gaussian A, Gaussian amplitudes, noiseless), n = {n}, "
                f"blocks of {block}, {n_active} non-zero"
            ),
            "solver": "FISTA continuation to 1e-4·λ_max on L21 and on L1, + LS debias",
            "metric": f"success rate (relative error < {SUCCESS_TOL:g}), m at 50 %",
        },
        text=text,
        tables=[
            Table(
                "m at 50 % success",
                summary,
                {"m50_logistic": ".1f", "m50_linear": ".1f", "delta50": ".3f"},
            ),
            Table(
                "Success rate per m",
                rows,
                {"rate": ".2f", "median_applications": ".0f", "mean_seconds": ".2f"},
            ),
        ],
        checks=checks,
        figures={"block_sparsity.png": _draw(rows, m50)},
        seconds=time.perf_counter() - start,
    )


def _draw(rows: Sequence[Mapping[str, Any]], m50: Mapping[str, tuple]) -> Callable[[], Any]:
    def draw() -> Any:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
        for name, (x50, _) in m50.items():
            pts = [(r["m"], r["rate"]) for r in rows if r["method"] == name]
            (line,) = ax.plot(*zip(*pts, strict=True), "o-", label=f"{name}: m50 = {x50:.1f}")
            if math.isfinite(x50):
                ax.axvline(x50, color=line.get_color(), ls="--", lw=1)
        ax.axhline(0.5, color="gray", lw=0.8)
        ax.set_xlabel("measurements m")
        ax.set_ylabel("success rate")
        ax.set_title("exact recovery of a block-sparse vector, Gaussian A")
        ax.legend()
        return fig

    return draw


#: the quick suite: half the size (n = 256, 4 blocks of 8), few trials; the ratio is reported
QUICK: dict[str, Any] = {
    "n": 256,
    "block": 8,
    "n_active": 4,
    "ms": {METHODS[0]: [60, 68, 76, 84], METHODS[1]: [80, 92, 104, 116]},
    "trials": 4,
    "target": None,
}
#: the full suite: the issue's geometry (n = 512, blocks of 8, 64 non-zeros in 8 blocks)
FULL: dict[str, Any] = {
    "n": 512,
    "block": 8,
    "n_active": 8,
    "ms": {METHODS[0]: list(range(110, 171, 10)), METHODS[1]: list(range(165, 226, 10))},
    "trials": 10,
    "target": 0.8,
}

CASE = Case("block_sparsity", block_sparsity, quick=QUICK, full=FULL)
