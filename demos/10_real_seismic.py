"""
Real seismic data: trace interpolation of a stacked section, globally and in windows
====================================================================================

Every other seismic demo is synthetic. Here the data are real: one inline of the
stacked 3-D volume that ships inside the SeisLab package on PyPI (102 traces x 101
samples at 1 ms; ``pip install seislab``), read from the installed package by
:func:`sparseinv.problems.load_stacked_volume`. Half of the traces are removed and
recovered by L1 in the FK domain,

.. math::

    \\min_x \\tfrac12\\|R\\,S x - b\\|^2 + \\sum_g \\lambda_g\\|x_g\\|_1,

with :math:`S` either one global FK synthesis (groups: temporal-frequency bands) or a
sum of local FK syntheses on overlapping, Hanning-tapered windows (pylops
``Patch2D``; groups: the windows, so one λ per group is one λ per window). No true
model exists for real data: the recorded traces that were removed are the truth, and
λ is tuned against them (the oracle), one λ first, then one per group.

Run ``python demos/10_real_seismic.py [--quick] [--out DIR]``.
"""

# %%
# The section
# -----------
# The volume is read once; the builders take it as ``volume=`` so the file is not read
# again. ``--quick`` uses a 32 x 48 corner of the inline and shorter searches.
import argparse
import os
import warnings
from pathlib import Path

import matplotlib

if not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import sparseinv as si
from sparseinv import metrics, problems
from sparseinv.selection.strategies import select_strategy

parser = argparse.ArgumentParser(description="real seismic trace interpolation")
parser.add_argument("--quick", action="store_true", help="a corner of the section, fewer λ")
parser.add_argument("--out", default="demos/figures", help="where figures go")
args, _ = parser.parse_known_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
warnings.simplefilter("ignore", si.ConvergenceWarning)

volume = problems.load_stacked_volume()
print(volume)
section = (
    {"n_traces": 32, "n_samples": 48}
    if args.quick
    else {}  # the whole inline: 102 traces x 101 samples
)
setups = (
    {
        "global FK": {"transform": "fk", "nffts": (64, 128)},
        "FK in 16 x 24 windows": {
            "transform": "fk",
            "windows": (16, 24),
            "overlap": (8, 12),
            "nffts": (32, 32),
        },
    }
    if args.quick
    else {
        "global FK": {"transform": "fk", "nffts": (256, 256)},
        "FK in 34 x 45 windows": {
            "transform": "fk",
            "windows": (34, 45),
            "overlap": (17, 17),
            "nffts": (64, 64),
        },
    }
)
search = (
    {"n_lams": 5, "max_iter": 60, "budget": 4}
    if args.quick
    else {"n_lams": 8, "max_iter": 200, "budget": 24}
)

# %%
# One λ, then one λ per group, for each transform
# -----------------------------------------------
# The score is the SNR over the removed traces, the oracle's ``recovery``. Both
# searches are the one λ search of :func:`sparseinv.compare`
# (:func:`~sparseinv.selection.strategies.select_strategy`): a warm-started log grid for
# one λ, refined, then a pattern search on every group's λ continued from it.
results = {}
for label, setup in setups.items():
    p = problems.field_trace_interpolation(0.5, **section, **setup, rng=0, volume=volume)
    gather, removed, synthesis = p.extra["gather"], p.extra["removed"], p.extra["synthesis"]

    def reconstruct(x, synthesis=synthesis, gather=gather):
        return np.asarray(synthesis @ x).real.reshape(gather.shape)

    def score(x, reconstruct=reconstruct, gather=gather, removed=removed):
        return metrics.snr_db(gather[removed], reconstruct(x)[removed])

    options = {
        "method": "oracle",
        "recovery": score,
        "n_lambdas": search["n_lams"],
        "solver_options": {"max_iter": search["max_iter"], "tol": 1e-4, "refine": False},
    }
    single = select_strategy(p, si.L1, np.ones(p.groups.n_groups), **options)
    grouped = select_strategy(p, si.L1, None, start=single, budget=search["budget"], **options)
    results[label] = (p, single, grouped, reconstruct)
    print(
        f"{label:24s} {p.n_features:6d} coefficients, {p.groups.n_groups:2d} groups: "
        f"one λ {single.score:5.2f} dB, per group {grouped.score:5.2f} dB on the removed "
        f"traces (section: {metrics.snr_db(gather, reconstruct(single.x)):5.2f} dB)"
    )

# %%
# Section, decimated section, reconstruction, residual
# ----------------------------------------------------
# Rows: the global transform and the windows, each at its best per-group λ.
fig, axes = plt.subplots(len(results), 4, figsize=(13, 3.3 * len(results)), layout="constrained")
for row, (label, (p, _, grouped, reconstruct)) in zip(axes, results.items(), strict=True):
    gather, kept = p.extra["gather"], p.extra["kept"]
    decimated = np.zeros_like(gather)
    decimated[kept] = gather[kept]
    rec = reconstruct(grouped.x)
    clip = np.percentile(np.abs(gather), 99)
    panels = [
        ("section", gather),
        (f"decimated ({kept.size} of {gather.shape[0]} traces)", decimated),
        (f"{label}: {grouped.score:.1f} dB on removed", rec),
        ("residual", gather - rec),
    ]
    for ax, (title, img) in zip(row, panels, strict=True):
        ax.imshow(img.T, aspect="auto", cmap="gray", vmin=-clip, vmax=clip)
        ax.set_title(title, fontsize="small")
        ax.set_xlabel("trace")
    row[0].set_ylabel("time sample (1 ms)")
path = out / "10_real_seismic_sections.png"
fig.savefig(path, dpi=100)
print(f"figure: {path}")

# %%
# What one λ per window changed
# -----------------------------
# The per-window λ relative to the single λ: where it moved, and by how much the SNR
# over the removed traces moved with it (it can be nothing: a per-group λ pays only
# where the groups differ in how much they need to be shrunk).
label = list(results)[-1]
p, single, grouped, _ = results[label]
ratio = grouped.lams / single.lams
grid = p.extra["windows"]["grid"]
fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
im = ax.imshow(np.log2(ratio).reshape(grid).T, cmap="RdBu_r", vmin=-3, vmax=3)
ax.set_xlabel("window along the traces")
ax.set_ylabel("window along time")
ax.set_title(f"log2(λ_window / λ): {grouped.score - single.score:+.2f} dB", fontsize="small")
fig.colorbar(im, ax=ax)
path = out / "10_real_seismic_window_lams.png"
fig.savefig(path, dpi=100)
print(f"figure: {path}")
print("per-window λ / single λ:", np.round(ratio, 2).tolist())
