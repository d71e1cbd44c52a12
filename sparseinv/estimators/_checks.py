"""The scikit-learn estimator checks the estimators are expected to fail."""

from __future__ import annotations

from sklearn.base import BaseEstimator


def expected_failed_checks(estimator: BaseEstimator) -> dict[str, str]:
    """The scikit-learn estimator checks that ``estimator`` is expected to fail.

    scikit-learn's convention (``check_estimator(..., expected_failed_checks=...)``,
    ``parametrize_with_checks(..., expected_failed_checks=expected_failed_checks)``):
    check name to the reason it fails.

    Parameters
    ----------
    estimator : BaseEstimator
        A :class:`SparseRegression` or :class:`SparseRegressionCV` (any other
        estimator has no expected failure here).

    Returns
    -------
    dict of str to str
        Check name to reason; empty when every check passes.

    Examples
    --------
    >>> from sparseinv.estimators import SparseRegression
    >>> expected_failed_checks(SparseRegression())
    {}
    """
    return dict(_EXPECTED_FAILURES.get(type(estimator), {}))


_EXPECTED_FAILURES: dict[type, dict[str, str]] = {}
