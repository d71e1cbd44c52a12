"""The sparseinv penalty that an estimator's ``penalty``, ``lam`` and ``bounds`` stand for."""

from __future__ import annotations

import inspect
import numbers
from typing import Any

import numpy as np

import sparseinv
from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups
from sparseinv.penalties import Penalty
from sparseinv.selection._engine import check_choice

#: the ``penalty`` names of the estimators
PENALTY_NAMES = ("l0", "l1", "l2", "l21", "elasticnet")


def _accepts(cls: type, keyword: str) -> bool:
    return keyword in inspect.signature(cls).parameters


def make_penalty(
    name: str,
    lam: Any,
    *,
    groups: Groups | None = None,
    bounds: Any = None,
    l1_ratio: float = 0.5,
) -> Penalty:
    """The sparseinv penalty an estimator's ``penalty``, ``lam`` and ``bounds`` stand for.

    Parameters
    ----------
    name : {"l0", "l1", "l2", "l21", "elasticnet"}
        The penalty (see :data:`PENALTY_NAMES`).
    lam : float or array_like
        λ in sparseinv's convention (any shape the penalties take).
    groups : Groups, optional
        The groups of a per-group λ (required for ``"l21"``).
    bounds : tuple, optional
        ``(lower, upper)``, passed to the penalty constructor.
    l1_ratio : float, optional
        For ``"elasticnet"``: ``L1(l1_ratio·lam) + L2((1 − l1_ratio)·lam)``.

    Returns
    -------
    Penalty

    Raises
    ------
    ValueError
        For an unknown name, or a penalty or option this sparseinv does not have.

    Examples
    --------
    >>> make_penalty("l1", 0.5)
    L1(0.5)
    """
    name = check_choice(name, "penalty", PENALTY_NAMES)
    extra: dict[str, Any] = {} if groups is None else {"groups": groups}
    if name == "elasticnet":
        ratio = check_positive_number(l1_ratio, "l1_ratio", allow_zero=True)
        if ratio > 1:
            raise ValueError(f"l1_ratio must be in [0, 1]; got {l1_ratio!r}")
        lam_arr = lam if isinstance(lam, numbers.Real) else np.asarray(lam, dtype=float)
        parts = [
            _penalty_class("l1", bounds)(ratio * lam_arr, **extra, **_bounds(bounds)),
            _penalty_class("l2", bounds)((1 - ratio) * lam_arr, **extra, **_bounds(bounds)),
        ]
        try:
            return parts[0] + parts[1]
        except TypeError:
            raise ValueError(
                "penalty='elasticnet' needs penalty sums (sparseinv.L1(a) + sparseinv.L2(c), "
                f"issue 12), which sparseinv {sparseinv.__version__} does not have"
            ) from None
    cls = _penalty_class(name, bounds)
    if name == "l21" and groups is None:
        raise ValueError("penalty='l21' needs groups (a sparseinv.Groups or one label per feature)")
    return cls(lam, **extra, **_bounds(bounds))


def _bounds(bounds: Any) -> dict[str, Any]:
    return {} if bounds is None else {"bounds": bounds}


def _penalty_class(name: str, bounds: Any) -> type[Penalty]:
    """The penalty class of a name, if this sparseinv has it (and takes ``bounds``)."""
    cls = getattr(sparseinv, name.upper(), None)
    if cls is None:
        raise ValueError(
            f"penalty={name!r} needs sparseinv.{name.upper()} (group sparsity, issue 12), which "
            f"sparseinv {sparseinv.__version__} does not have"
        )
    if bounds is not None and not _accepts(cls, "bounds"):
        raise ValueError(
            f"bounds needs penalties that accept bounds=(lower, upper) (issue 12); "
            f"sparseinv {sparseinv.__version__}'s {cls.__name__} does not"
        )
    return cls
