"""The cases of ``sparseinv bench``: one module per case family, and their registry.

Every case names its *problem* (a generator of :mod:`sparseinv.problems`), its
*solver* (a sparseinv solver and how λ is chosen) and its *metric*, runs its trials
through a :class:`~sparseinv.bench.runner.Runner` and returns a
:class:`~sparseinv.bench.report.CaseReport` with tables, targets and figures. The
quick suite runs the same code as the full suite with fewer trials and smaller sizes.

Each module ``sparseinv.bench.cases.<name>`` defines its case function and
``CASE = Case("<name>", function, quick={...}, full={...})``; :data:`CASES` lists them
in the order ``sparseinv bench`` runs them. To add a case, write its module the same
way and add it to the import and the tuple below (two lines)::

    from sparseinv.bench.cases import my_case          # the new module
    _REGISTERED = (..., real_seismic.CASE, my_case.CASE)
"""

from sparseinv.bench.cases import (
    beyond_l1,
    block_sparsity,
    ecg,
    grouped,
    phase_transition,
    real_seismic,
    seismic,
    selection_regret,
)
from sparseinv.bench.cases._base import SUITES, Case
from sparseinv.bench.cases._comparisons import compare_trial
from sparseinv.bench.cases.beyond_l1 import irls_l0_trial
from sparseinv.bench.cases.phase_transition import SUCCESS_TOL, diagram_column, l1_trial
from sparseinv.bench.cases.selection_regret import REGRET_METHODS, regret_trial

__all__ = [
    "CASES",
    "REGRET_METHODS",
    "SUCCESS_TOL",
    "SUITES",
    "Case",
    "compare_trial",
    "diagram_column",
    "irls_l0_trial",
    "l1_trial",
    "regret_trial",
]

_REGISTERED = (
    phase_transition.CASE,
    beyond_l1.CASE,
    block_sparsity.CASE,
    grouped.CASE,
    seismic.CASE,
    ecg.CASE,
    selection_regret.CASE,
    real_seismic.CASE,
)
#: every case by name, in the order ``sparseinv bench`` runs them
CASES: dict[str, Case] = {case.name: case for case in _REGISTERED}
