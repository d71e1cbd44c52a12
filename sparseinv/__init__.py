"""sparseinv: sparse inversion with one λ or one λ per group."""

from sparseinv import metrics, problems
from sparseinv.column_batch import ColumnBatch
from sparseinv.compare import compare
from sparseinv.comparison import Comparison
from sparseinv.groups import Groups
from sparseinv.lipschitz import lipschitz
from sparseinv.objective import (
    from_pylops_eps,
    from_sklearn_alpha,
    from_sklearn_elastic_net,
    lam_max,
    objective,
    to_pylops_eps,
    to_sklearn_alpha,
    to_sklearn_elastic_net,
)
from sparseinv.operators import as_operator
from sparseinv.paths import PathResult, lambda_path
from sparseinv.penalties import L0, L1, L2, L21, PENALTIES, Penalty, PenaltySum, penalty_type
from sparseinv.result import ConvergenceWarning, SolveResult
from sparseinv.selection import (
    ColumnLambdaSelection,
    GroupLambdaSelection,
    LambdaSelection,
    NoiseEstimate,
    estimate_noise_std,
    select_group_lambdas,
    select_lambda,
)
from sparseinv.solvers import SOLVERS, fista, irls, ista, resolve_solver
from sparseinv.weights import group_weights

__version__ = "0.1.0"

__all__ = [
    "L0",
    "L1",
    "L2",
    "L21",
    "PENALTIES",
    "SOLVERS",
    "ColumnBatch",
    "ColumnLambdaSelection",
    "Comparison",
    "ConvergenceWarning",
    "GroupLambdaSelection",
    "Groups",
    "LambdaSelection",
    "NoiseEstimate",
    "PathResult",
    "Penalty",
    "PenaltySum",
    "SolveResult",
    "as_operator",
    "compare",
    "estimate_noise_std",
    "fista",
    "from_pylops_eps",
    "from_sklearn_alpha",
    "from_sklearn_elastic_net",
    "group_weights",
    "irls",
    "ista",
    "lam_max",
    "lambda_path",
    "lipschitz",
    "metrics",
    "objective",
    "penalty_type",
    "problems",
    "resolve_solver",
    "select_group_lambdas",
    "select_lambda",
    "to_pylops_eps",
    "to_sklearn_alpha",
    "to_sklearn_elastic_net",
]
