"""Solves on pylops-mpi operators and distributed arrays (see :func:`prepare`)."""

from __future__ import annotations

from typing import Any


def _from_pylops_mpi(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "pylops_mpi"


def is_distributed(A: Any, b: Any) -> bool:
    """Whether ``A`` or ``b`` comes from pylops-mpi."""
    return _from_pylops_mpi(A) or _from_pylops_mpi(b)


def prepare(A: Any, b: Any, penalty: Any, x0: Any) -> Any:
    """The :class:`~sparseinv.solvers._setup.Setup` of a distributed solve."""
    raise NotImplementedError("distributed solves are not available yet")
