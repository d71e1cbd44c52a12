"""
Beyond one machine: a multi-shot deconvolution on pylops-mpi
============================================================

When a survey does not fit one machine, its shots are spread over the ranks of an
MPI job. Here each rank holds the traces of its own shots, and the modelling
operator is a pylops-mpi ``MPIBlockDiag``: one block per rank, each block a
``Convolve1D`` over all the rank's traces at once. The model (the reflectivity of
every trace) is split over the ranks like the data. The call is the one of a
single machine::

    res = si.fista(Op, b, si.L1(lam, groups=windows))

with ``b`` a ``DistributedArray``; ``res.x`` comes back as a ``DistributedArray``
with the model's layout. sparseinv runs its own FISTA (restart, refinement,
Anderson, the certified stopping) on each rank's local part, with every
reduction global: every rank takes the same branch at every step, and the result
equals the serial solve of the gathered problem.

The reflectivity decays with time while the noise does not, so we compare one λ
with one λ per time window (the groups: the windows of every trace of every
shot, across the ranks).

Run ``mpiexec -n 2 python demos/12_distributed.py [--quick] [--out DIR]`` (as root
with Open MPI add ``--allow-run-as-root``); ``python demos/12_distributed.py`` runs
it on one rank.
"""

# %%
# Shots spread over the ranks
# ---------------------------
import argparse
import os
import time
import warnings
from pathlib import Path

import matplotlib

if not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pylops
import pylops_mpi
from mpi4py import MPI

import sparseinv as si

comm = MPI.COMM_WORLD
rank, size = comm.rank, comm.size
parser = argparse.ArgumentParser(description="distributed multi-shot deconvolution")
parser.add_argument("--quick", action="store_true", help="fewer, shorter traces")
parser.add_argument("--out", default="demos/figures", help="where figures go")
args, _ = parser.parse_known_args()
out = Path(args.out)
warnings.simplefilter("ignore", si.ConvergenceWarning)

nt, traces_per_shot, n_shots = (200, 4, 4) if args.quick else (500, 16, 8)
n_windows = 3
dt = 0.002
t = np.arange(nt) * dt
wavelet = pylops.utils.wavelets.ricker(np.arange(41) * dt, f0=30)[0]
my_shots = np.array_split(np.arange(n_shots), size)[rank]
k_local = traces_per_shot * len(my_shots)


def shot_reflectivity(shot: int) -> np.ndarray:
    """Sparse reflectivity of one shot's traces, decaying with time, (nt, traces)."""
    gen = np.random.default_rng(100 + shot)
    x = np.zeros((nt, traces_per_shot))
    for _ in range(nt // 30):
        i0 = gen.integers(10, nt - 10)
        amplitude = gen.choice([-1.0, 1.0]) * gen.uniform(0.5, 1.5) * np.exp(-3.0 * t[i0])
        slope = gen.uniform(-0.5, 0.5)
        for j in range(traces_per_shot):
            x[int(np.clip(i0 + slope * j, 0, nt - 1)), j] += amplitude
    return x


local_x = np.concatenate([shot_reflectivity(s) for s in my_shots], axis=1)  # (nt, k_local)
block = pylops.signalprocessing.Convolve1D(
    (nt, k_local), h=wavelet, offset=len(wavelet) // 2, axis=0, method="fft"
)
Op = pylops_mpi.MPIBlockDiag(ops=[block])
clean = (block @ local_x.ravel()).ravel()
sigma = 0.02  # the same noise level everywhere
noise = np.random.default_rng(1000 + rank).standard_normal(clean.size)
sizes = comm.allgather(clean.size)
b = pylops_mpi.DistributedArray(Op.shape[0], local_shapes=[(s,) for s in sizes])
b[:] = clean + sigma * noise

# the groups: the time window of every coefficient, for the global model index
window_of_row = np.minimum((np.arange(nt) * n_windows) // nt, n_windows - 1)
local_labels = np.repeat(window_of_row, k_local)  # C order of (nt, k_local)
labels = np.concatenate(comm.allgather(local_labels))
windows = si.Groups.from_labels(labels)
x_true_local = local_x.ravel()


def snr_per_window(x: pylops_mpi.DistributedArray) -> np.ndarray:
    """SNR of each window over every trace of every shot (global sums)."""
    err = np.bincount(local_labels, (x.local_array - x_true_local) ** 2, n_windows)
    sig = np.bincount(local_labels, x_true_local**2, n_windows)
    err, sig = comm.allreduce(err), comm.allreduce(sig)
    return 10 * np.log10(sig / err)


corr = Op.rmatvec(b)  # λ_max = max |Aᴴb|: one global maximum
lam_max = comm.allreduce(float(np.max(np.abs(corr.local_array))), op=MPI.MAX)
if rank == 0:
    print(
        f"{size} rank(s), {n_shots} shots of {traces_per_shot} traces x {nt} samples;"
        f" rank 0 holds shots {my_shots.tolist()}"
    )

# %%
# One λ, tuned on a grid
# ----------------------
# Every solve below is distributed: each rank prints its own time.
scales = np.geomspace(0.1, 0.003, 4 if args.quick else 7)
results = []
for s in scales:
    start = time.perf_counter()
    res = si.fista(Op, b, si.L1(s * lam_max), tol=1e-4)
    elapsed = time.perf_counter() - start
    results.append((float(snr_per_window(res.x).mean()), s, res, elapsed))
snr_one, s_one, res_one, t_one = max(results, key=lambda r: r[0])
times = comm.gather(t_one)
if rank == 0:
    print(
        f"one λ: scale {s_one:.3g}, mean window SNR {snr_one:.2f} dB, "
        f"{res_one.n_iter} iterations; time per rank {np.round(times, 2).tolist()} s"
    )

# %%
# One λ per time window
# ---------------------
# Starting from the best single λ, each window in turn doubles or halves its λ
# when that raises the mean window SNR: a local search that shows what per-window
# λ can buy, with the truth as the judge. The per-group λ needs only the global
# Groups; the groups cross the ranks (every rank holds every window).
factors = np.ones(n_windows)
best = (snr_one, res_one)
for g in range(n_windows):
    for step in (0.5, 2.0):
        trial = factors.copy()
        trial[g] *= step
        res = si.fista(Op, b, si.L1(s_one * lam_max * trial, groups=windows), tol=1e-4)
        score = float(snr_per_window(res.x).mean())
        if score > best[0]:
            factors, best = trial, (score, res)
snr_group, res_group = best
start = time.perf_counter()
si.fista(Op, b, si.L1(s_one * lam_max * factors, groups=windows), tol=1e-4)
times = comm.gather(time.perf_counter() - start)
if rank == 0:
    print(
        f"per window: λ_g/λ = {factors.tolist()}, mean window SNR {snr_group:.2f} dB "
        f"(one λ: {snr_one:.2f} dB); time per rank {np.round(times, 2).tolist()} s"
    )
    print("SNR per window, one λ:", np.round(snr_per_window(res_one.x), 2).tolist())
print_per_window = snr_per_window(res_group.x)  # collective: every rank calls it
if rank == 0:
    print("SNR per window, per-window λ:", np.round(print_per_window, 2).tolist())

# %%
# The traces of the first shot
# ----------------------------
x_one = res_one.x.asarray()  # collective: the whole model on every rank
x_group = res_group.x.asarray()
data = b.asarray()
if rank == 0:
    out.mkdir(parents=True, exist_ok=True)
    first = slice(0, traces_per_shot)
    k0 = traces_per_shot * len(np.array_split(np.arange(n_shots), size)[0])

    def shot0(v: np.ndarray) -> np.ndarray:
        return v[: nt * k0].reshape(nt, k0)[:, first]

    fig, axes = plt.subplots(1, 4, figsize=(12, 4), sharey=True)
    panels = [
        ("data", shot0(data)),
        ("true", local_x[:, first]),
        ("one λ", shot0(x_one)),
        ("λ per window", shot0(x_group)),
    ]
    for ax, (title, img) in zip(axes, panels, strict=True):
        clip = np.abs(img).max() * 0.5
        ax.imshow(
            img,
            aspect="auto",
            cmap="gray",
            vmin=-clip,
            vmax=clip,
            extent=(0, traces_per_shot, t[-1], 0),
        )
        ax.set_title(title)
        ax.set_xlabel("trace")
    axes[0].set_ylabel("time (s)")
    fig.tight_layout()
    path = out / "12_distributed.png"
    fig.savefig(path, dpi=90)
    print("wrote", path)

# %%
# What it shows
# -------------
# The per-window search moves little here: the noise has one level in every
# window, and, as on one trace (``04_spike_deconvolution.py``), the λ that
# separates reflectors from noise of one level is nearly the same in every window
# however the reflectors decay. What the run does show is the distributed solve
# itself: every rank runs the same FISTA iterations on its own shots, the grid and
# the per-window search are ordinary Python loops around ``si.fista``, and the
# result is the serial solve's (``tests/test_mpi.py`` checks it on 2 and 3 ranks
# against the gathered problem). The time per rank is that of the slowest rank:
# each iteration ends in global reductions. sparseinv applies an ``MPIBlockDiag``'s
# blocks directly (no collective per application), so the speed-up over ranks is
# the operator's once the operator costs more than the iteration's vector work and
# reductions: ``benchmarks/mpi_scaling.py`` measures it on a larger problem.
