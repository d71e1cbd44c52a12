"""Small distributed problems with uneven splits, and their gathered serial twins.

Rank r holds a block of ``m_r = 30 + 7 r`` rows (data split over ranks in both layouts):

- ``"replicated"``: ``MPIVStack`` of ``A_r`` (m_r x 60); every rank holds the whole model.
- ``"split"``: ``MPIBlockDiag`` of ``A_r`` (m_r x n_r), ``n_r = 20 + 5 r``; the model is split.

Every rank also builds the gathered problem (``A_full``, ``b_full``), which is small, to
solve it serially as the reference. Groups of 7 coefficients run over the global index,
so with these splits they cross rank boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pylops
import pylops_mpi
import scipy.linalg
from _rankio import RANK, SIZE
from pylops_mpi import DistributedArray, Partition

import sparseinv as si

N_REPLICATED = 60
GROUP_SIZE = 7


@dataclass
class DistributedProblem:
    layout: str
    op: pylops_mpi.MPILinearOperator
    b: DistributedArray
    A_full: np.ndarray
    b_full: np.ndarray
    model_partition: Partition
    model_local_shapes: list[tuple[int]]
    model_start: int  # global index of this rank's first model coefficient
    data_local_shapes: list[tuple[int]]

    @property
    def n(self) -> int:
        return self.A_full.shape[1]

    @property
    def model_stop(self) -> int:
        return self.model_start + self.model_local_shapes[RANK][0]

    def groups(self) -> si.Groups:
        return si.Groups.from_labels(np.arange(self.n) // GROUP_SIZE)

    def model_array(self, full: np.ndarray) -> DistributedArray:
        """A DistributedArray with the model's layout holding ``full``'s entries."""
        out = DistributedArray(
            self.n,
            partition=self.model_partition,
            local_shapes=self.model_local_shapes,
            dtype=full.dtype,
        )
        if self.model_partition is Partition.BROADCAST:
            out[:] = full
        else:
            out[:] = full[self.model_start : self.model_stop]
        return out


def _block(r: int, n_cols: int, dtype) -> np.ndarray:
    gen = np.random.default_rng(1000 + r)
    rows = 30 + 7 * r
    blk = gen.standard_normal((rows, n_cols))
    if np.dtype(dtype).kind == "c":
        blk = blk + 1j * gen.standard_normal((rows, n_cols))
    return blk / np.sqrt(rows)


def make(layout: str, *, dtype=np.float64, seed: int = 0) -> DistributedProblem:
    """The problem of ``layout`` on the current communicator (collective)."""
    if layout == "replicated":
        blocks = [_block(r, N_REPLICATED, dtype) for r in range(SIZE)]
        A_full = np.vstack(blocks)
        op = pylops_mpi.MPIVStack(ops=[pylops.MatrixMult(blocks[RANK], dtype=dtype)])
        model_partition = Partition.BROADCAST
        model_local_shapes = [(N_REPLICATED,)] * SIZE
        model_start = 0
    elif layout == "split":
        blocks = [_block(r, 20 + 5 * r, dtype) for r in range(SIZE)]
        A_full = scipy.linalg.block_diag(*blocks)
        op = pylops_mpi.MPIBlockDiag(ops=[pylops.MatrixMult(blocks[RANK], dtype=dtype)])
        model_partition = Partition.SCATTER
        model_local_shapes = [(20 + 5 * r,) for r in range(SIZE)]
        model_start = sum(20 + 5 * r for r in range(RANK))
    else:
        raise ValueError(f"layout must be 'replicated' or 'split'; got {layout!r}")
    gen = np.random.default_rng(seed)
    n = A_full.shape[1]
    x_true = np.zeros(n, dtype=dtype)
    support = gen.choice(n, max(3, n // 8), replace=False)
    x_true[support] = gen.standard_normal(support.size)
    noise = 0.01 * gen.standard_normal(A_full.shape[0])
    b_full = (A_full @ x_true + noise).astype(dtype)
    data_local_shapes = [(blk.shape[0],) for blk in blocks]
    data_start = sum(blk.shape[0] for blk in blocks[:RANK])
    b = DistributedArray(op.shape[0], local_shapes=data_local_shapes, dtype=dtype)
    b[:] = b_full[data_start : data_start + blocks[RANK].shape[0]]
    return DistributedProblem(
        layout=layout,
        op=op,
        b=b,
        A_full=A_full,
        b_full=b_full,
        model_partition=model_partition,
        model_local_shapes=model_local_shapes,
        model_start=model_start,
        data_local_shapes=data_local_shapes,
    )


def penalty(problem: DistributedProblem, cls: type[si.Penalty], lam_kind: str) -> si.Penalty:
    """λ scalar, per group (groups crossing ranks) or per coefficient, scaled to the data."""
    scale = 0.05 if cls is si.L0 else 0.1
    lmax = float(np.max(np.abs(problem.A_full.conj().T @ problem.b_full)))
    if cls is si.L0:
        lmax = lmax**2 / 10.0  # L0's λ is in units of |x|²
    if lam_kind == "scalar":
        return cls(scale * lmax)
    if lam_kind == "group":
        groups = problem.groups()
        ratios = np.linspace(0.5, 2.0, groups.n_groups)
        return cls(scale * lmax * ratios, groups=groups)
    if lam_kind == "coef":
        ratios = np.linspace(0.5, 2.0, problem.n)
        return cls(scale * lmax * ratios)
    raise ValueError(f"lam_kind must be 'scalar', 'group' or 'coef'; got {lam_kind!r}")
