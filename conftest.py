"""Collection rules shared by the tests and the doctests of the package."""

from __future__ import annotations

import importlib.util

# sparseinv.estimators needs scikit-learn, an optional extra: without it, the doctests
# of sparseinv/estimators/ cannot be imported (tests/test_estimators.py skips itself)
collect_ignore = [] if importlib.util.find_spec("sklearn") else ["sparseinv/estimators"]
