"""The one check of an ``rng`` argument: a seed, a generator or None (private)."""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv._validation import _describe


def as_rng(rng: Any) -> np.random.Generator:
    """A generator from a seed, a generator (used as is) or None (fresh entropy).

    Raises a ``TypeError`` naming ``rng`` for anything else (a string, a float, a
    legacy ``RandomState``) and a ``ValueError`` for a negative seed, instead of
    numpy's ``SeedSequence`` messages that do not say which argument was wrong.
    """
    try:
        return np.random.default_rng(rng)
    except TypeError as err:
        raise TypeError(
            "rng must be None, an integer seed or a numpy.random.Generator; "
            f"got {_describe(rng)} ({err})"
        ) from None
    except ValueError as err:
        raise ValueError(
            f"rng must be a non-negative integer seed; got {_describe(rng)} ({err})"
        ) from None
