"""Solvers: ISTA and FISTA (one proximal-gradient loop) and IRLS."""

from __future__ import annotations

from collections.abc import Callable

from sparseinv.result import SolveResult
from sparseinv.solvers.irls import irls
from sparseinv.solvers.proximal_gradient import fista, ista

__all__ = ["SOLVERS", "fista", "irls", "ista", "resolve_solver"]

#: every solver by name
SOLVERS: dict[str, Callable[..., SolveResult]] = {"ista": ista, "fista": fista, "irls": irls}


def resolve_solver(solver: str | Callable[..., SolveResult]) -> Callable[..., SolveResult]:
    """A solver function from its name (``"ista"``, ``"fista"``, ``"irls"``) or itself.

    Parameters
    ----------
    solver : str or callable
        A name in :data:`SOLVERS` or a function with the solvers' signature.

    Returns
    -------
    callable

    Examples
    --------
    >>> resolve_solver("fista").__name__
    'fista'
    """
    if callable(solver):
        return solver
    try:
        return SOLVERS[solver]
    except (KeyError, TypeError):
        raise ValueError(
            f"solver must be one of {sorted(SOLVERS)} or a callable; got {solver!r}"
        ) from None
