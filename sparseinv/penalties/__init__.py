r"""Penalties: L0, L1, L2, group L21, their sums, and bounds on the coefficients.

Each penalty is a small immutable object. Its λ is a single number, one value per
group of a :class:`~sparseinv.Groups`, or one value per coefficient; with many
right-hand sides (a data block of ``k`` columns) it may also differ per column.
The objective convention (see :mod:`sparseinv.objective`) is

.. math::

    F(x) = \tfrac12\|Ax - b\|_2^2 + \sum_i \lambda_i R(x_i) + \iota_{[l, u]}(x),

with :math:`R(x) = [x \ne 0]` (L0), :math:`|x|` (L1, the modulus for complex
:math:`x`) or :math:`\tfrac12|x|^2` (L2); the group penalty L21 is
:math:`\sum_g \lambda_g \|x_g\|_2`, and ``L1(a) + L2(c)`` is the elastic net. Every
penalty takes ``bounds=(lower, upper)`` (or ``positive=True``), the indicator
:math:`\iota_{[l,u]}` above. λ = 0 leaves a coefficient unpenalized and λ = ∞
forces it to 0, exactly.

Shapes of λ for an operator with ``n`` columns and data with ``k`` columns:

==============  =========================================================
λ               meaning
==============  =========================================================
number          one λ for every coefficient and column
``(n,)``        one per coefficient, the same in every column (even if n == k)
``(G,)``        one per group (with ``groups``), the same in every column
``(1, k)``      one per column (a 2-D data block only)
``(n, k)``      one per coefficient and column
``(G, k)``      one per group and column (with ``groups``)
==============  =========================================================

L21 takes the rows with G groups (never one λ per coefficient). The mathematics
on ``(rows, columns)`` blocks is in :mod:`sparseinv.penalties._blocks`: a solver binds
a penalty to its problem (:meth:`Penalty.bind`), which fixes the λ blocks, the
bounds, the array module and the reductions (:mod:`sparseinv.backend`).

The package holds the interface (:mod:`~sparseinv.penalties.base`), the elementwise
penalties (:mod:`~sparseinv.penalties.elementwise`), the group penalty
(:mod:`~sparseinv.penalties.group`) and the sums (:mod:`~sparseinv.penalties.sums`);
this module names them (:data:`PENALTIES`, :func:`penalty_type`).
"""

from __future__ import annotations

from sparseinv.penalties._blocks import BoundPenalty
from sparseinv.penalties.base import Penalty
from sparseinv.penalties.elementwise import L0, L1, L2
from sparseinv.penalties.group import L21
from sparseinv.penalties.sums import PenaltySum

__all__ = [
    "L0",
    "L1",
    "L2",
    "L21",
    "PENALTIES",
    "BoundPenalty",
    "Penalty",
    "PenaltySum",
    "penalty_type",
]


#: the penalties built from a λ alone (one value per coefficient), for contract tests and tables
PENALTIES: tuple[type[Penalty], ...] = (L0, L1, L2)


def penalty_type(penalty: str | type[Penalty]) -> type[Penalty]:
    """The penalty class for a name (``"l0"``, ``"l1"``, ``"l2"``, ``"l21"``) or a class.

    Parameters
    ----------
    penalty : str or Penalty subclass
        Name (case-insensitive) or class.

    Returns
    -------
    type

    Examples
    --------
    >>> penalty_type("L1").__name__
    'L1'
    """
    if isinstance(penalty, type) and issubclass(penalty, Penalty):
        return penalty
    names = {cls.name: cls for cls in (*PENALTIES, L21)}
    if isinstance(penalty, str) and penalty.lower() in names:
        return names[penalty.lower()]
    raise ValueError(f"penalty must be one of {sorted(names)} or a Penalty class; got {penalty!r}")
