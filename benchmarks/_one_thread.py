"""Imported first by every benchmark script: one BLAS / OpenMP thread, set before numpy loads.

BLAS libraries read these variables once, when numpy is first imported, so this
module imports nothing but :mod:`os`. A variable already set by the caller is kept.
"""

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

for _name in THREAD_VARIABLES:
    os.environ.setdefault(_name, "1")
