"""The recovery-quality benchmark of sparseinv (``sparseinv bench``).

Run it as ``sparseinv bench [--suite quick|full] [--cases NAME,...] [--out DIR]
[--seed N] [--jobs N]`` or ``python -m sparseinv.bench ...``; it writes
``results.md``, ``results.csv`` and PNG figures into ``--out``. The cases
(:data:`CASES`) are

1. ``phase_transition``: the L1 phase transition against Donoho–Tanner;
2. ``beyond_l1``: IRLS-L0 against basis pursuit;
3. ``grouped``: one λ per group where it must win (density contrast) and where it must
   not (size-only control), and the layers geometry;
4. ``seismic``: spike deconvolution, trace interpolation (FK, linear Radon) and the
   Radon two-dictionary problem;
5. ``ecg``: a real ECG recording from 30 % and 50 % of its samples;
6. ``selection_regret``: one λ and per-group λ chosen from the data alone (CV,
   discrepancy principle, SURE, GCV) against their oracles;
7. ``real_seismic``: trace interpolation (FK, linear Radon, globally and in windows)
   and spike deconvolution of a real stacked section, against pylops' FISTA.

Importing this package does not import matplotlib; figures are drawn when written.
"""

from sparseinv.bench.cases import CASES, SUITES, Case
from sparseinv.bench.cli import main, run_bench
from sparseinv.bench.report import CaseReport, Check, Table

__all__ = ["CASES", "SUITES", "Case", "CaseReport", "Check", "Table", "main", "run_bench"]
