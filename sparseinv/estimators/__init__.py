r"""scikit-learn estimators: sparse regression with a fixed λ, or λ chosen from the data.

:class:`SparseRegression` fits a linear model with any sparseinv penalty and solver
at a given λ; :class:`SparseRegressionCV` chooses λ (or one λ per group) with
:func:`sparseinv.select_lambda` / :func:`sparseinv.select_group_lambdas` and then
fits at it. Both follow the scikit-learn estimator API (``fit``, ``predict``,
``score``, ``get_params``, cloning, ``Pipeline``, ``GridSearchCV``) and pass
``sklearn.utils.estimator_checks.check_estimator`` up to the checks listed by
:func:`expected_failed_checks`.

scikit-learn is an optional extra: ``pip install "sparseinv[sklearn]"``.
``import sparseinv`` never imports it; importing this module without it raises an
``ImportError`` that names the extra.

The objective keeps sparseinv's convention (:mod:`sparseinv.objective`): with
sample weights :math:`s_i` (all 1 by default) and the intercept :math:`c`,

.. math::

    \min_{w, c}\ \tfrac12\sum_i s_i\,(y_i - x_i^T w - c)^2 + \sum_j \lambda_j R(w_j),

a *sum* of squares, not scikit-learn's mean; :func:`sparseinv.to_sklearn_alpha`
converts (see the Notes of :class:`SparseRegression`).
"""

from __future__ import annotations

_EXTRA = 'pip install "sparseinv[sklearn]"'
try:  # validate_data and the estimator tags: scikit-learn 1.6
    from sklearn.utils.validation import validate_data  # noqa: F401
except ImportError as err:  # scikit-learn missing, or older than 1.6 (no validate_data)
    raise ImportError(
        f"sparseinv.estimators needs scikit-learn >= 1.6, the optional extra of sparseinv: {_EXTRA}"
    ) from err

from sparseinv.estimators._checks import expected_failed_checks  # noqa: E402
from sparseinv.estimators._design import CentredSparseDesign  # noqa: E402
from sparseinv.estimators._penalty import PENALTY_NAMES, make_penalty  # noqa: E402
from sparseinv.estimators.cv import SparseRegressionCV  # noqa: E402
from sparseinv.estimators.regression import SparseRegression  # noqa: E402

__all__ = [
    "PENALTY_NAMES",
    "CentredSparseDesign",
    "SparseRegression",
    "SparseRegressionCV",
    "expected_failed_checks",
    "make_penalty",
]
