"""Choose λ from the data alone: one λ, or one λ per group.

:func:`select_lambda` picks one λ (or the scale of fixed per-group ratios) on a
warm-started path by cross-validation, the discrepancy principle, SURE, GCV or
quasi-optimality;
:func:`select_group_lambdas` picks one λ per group. Both run the one λ search of
:mod:`sparseinv.selection.search` (also behind every strategy of
:func:`sparseinv.compare`, oracle included) with a criterion of
:mod:`sparseinv.selection.criteria`: :data:`CRITERIA` holds the data-driven ones by
name (subclass :class:`Criterion` or :class:`FitCriterion` and add it there to plug in
a rule). :func:`estimate_noise_std` estimates σ.
"""

from sparseinv.selection.columns import ColumnLambdaSelection
from sparseinv.selection.criteria import (
    CRITERIA,
    Criterion,
    FitCriterion,
    FoldFits,
    Oracle,
)
from sparseinv.selection.grouped import (
    SEARCH_STARTS,
    GroupLambdaSelection,
    select_group_lambdas,
)
from sparseinv.selection.lambda_selection import LambdaEdgeWarning, LambdaSelection
from sparseinv.selection.noise import NoiseEstimate, estimate_noise_std
from sparseinv.selection.search import LambdaSearch, Point
from sparseinv.selection.single import select_lambda

__all__ = [
    "CRITERIA",
    "SEARCH_STARTS",
    "ColumnLambdaSelection",
    "Criterion",
    "FitCriterion",
    "FoldFits",
    "GroupLambdaSelection",
    "LambdaEdgeWarning",
    "LambdaSearch",
    "LambdaSelection",
    "NoiseEstimate",
    "Oracle",
    "Point",
    "estimate_noise_std",
    "select_group_lambdas",
    "select_lambda",
]
