r"""The group penalty :class:`L21`, :math:`\sum_g \lambda_g \|x_g\|_2` (group lasso).

Over the groups of a :class:`~sparseinv.Groups`, or over the rows of a 2-D solution
(``rows=True``, joint row sparsity of a data block, which couples its columns into
one problem solved on :math:`\operatorname{vec}(X)`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sparseinv._validation import check_flag, check_lam_values
from sparseinv.groups import Groups
from sparseinv.penalties._bounds import describe_bounds
from sparseinv.penalties.base import Coef, Penalty

__all__ = ["L21"]


class L21(Penalty):
    r"""The group penalty :math:`\sum_g \lambda_g \|x_g\|_2` (group lasso; complex-safe).

    Parameters
    ----------
    lam : float or array_like
        λ ≥ 0 (``inf`` forces the group to 0): one number, one value per group
        ``(G,)``, per column ``(1, k)`` or per group and column ``(G, k)``; with
        ``rows=True`` one number or one value per row ``(n,)``. There are no hidden
        weights: pass :math:`\lambda_g = s\,w_g` with :math:`w_g \propto \sqrt{n_g}` for
        the usual group-lasso scaling (:func:`sparseinv.group_weights`,
        ``rule="sqrt_size"``).
    groups : Groups
        The groups :math:`g` (any partition: a group need not be contiguous).
    rows : bool, default False
        Joint row sparsity of a 2-D data block (multi-task Lasso, multiple
        measurement vectors): :math:`\sum_i \lambda_i \|X_{i,:}\|_2` over the rows of
        the ``(n, k)`` solution, instead of ``groups``. This couples the columns, so
        a batch is one problem: one objective, one stopping test (see Notes).
    bounds : (lower, upper), optional
        Bounds on the coefficients (see :class:`Penalty`); real coefficients only.
    positive : bool, default False
        Shorthand for ``bounds=(0, inf)``.

    Notes
    -----
    The prox is the block soft threshold
    :math:`x_g = v_g\,\max(1 - t\lambda_g/\|v_g\|_2, 0)`. With sign bounds (each
    bound 0 or infinite, as ``positive=True``) the box is a cone K and the prox is
    the block soft threshold of the projection of :math:`v` onto K. With general
    bounds it is :math:`x_g = \operatorname{clip}(\sigma v_g, l, u)` with
    :math:`\sigma = \tau/(\tau + t\lambda_g)` and :math:`\tau = \|x_g\|` the root of a
    monotone scalar equation, found by bisection to the last bit (0 when the
    projection of :math:`v_g` on the tangent cone of the box at 0 has norm at most
    :math:`t\lambda_g`). The IRLS weights are
    :math:`\lambda_g/\sqrt{\|x_g\|^2 + \varepsilon^2}` on every coefficient of the group.

    The dual of :math:`\min_x \tfrac12\|Ax-b\|^2 + \sum_g\lambda_g\|x_g\|` is that of
    the Lasso with the constraints :math:`\|A_g^H\theta\|_2 \le \lambda_g`; its gap is
    the solvers' stopping measure (with general, non-sign bounds the gradient
    mapping is used instead). :math:`x = 0` is optimal iff
    :math:`\lambda_g \ge \|A_g^Hb\|_2` for every group:
    ``sparseinv.lam_max(A, b, groups, penalty="l21")``.

    With ``rows=True`` and a data block of k columns, the k problems are one: the
    solvers vectorize it (the unknown :math:`\operatorname{vec}(X)` with one group per
    row of X, the operator :math:`I_k \otimes A`), so the step, the momentum, the
    restart and the stopping test are those of the whole batch, and no column
    leaves the batch on its own. The result has the ``(n, k)`` solution and scalar
    fields (one objective, one ``converged``). A 1-D ``b`` gives one group per
    coefficient (the L1 penalty with complex modulus).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> g = si.Groups.from_sizes([2, 1])
    >>> si.L21(1.0, groups=g).prox(np.array([3.0, 4.0, 0.5]), 1.0).tolist()
    [2.4, 3.2, 0.0]
    >>> si.L21(1.0, groups=g).value(np.array([3.0, 4.0, -2.0]))
    7.0
    >>> si.L21(1.0, rows=True).value(np.array([[3.0, 4.0], [0.0, 0.0]]))
    5.0
    """

    __slots__ = ("_rows",)
    name = "l21"

    def __init__(
        self,
        lam: float | ArrayLike,
        *,
        groups: Groups | None = None,
        rows: bool = False,
        bounds: tuple[Any, Any] | None = None,
        positive: bool = False,
    ) -> None:
        self._rows = check_flag(rows, "rows")
        if type(lam).__module__.split(".")[0] == "pylops_mpi":
            raise TypeError(
                "lam of L21 must be a number or one value per group, not a DistributedArray"
            )
        if rows and groups is not None:
            raise ValueError("give groups or rows=True, not both (rows=True groups the rows of X)")
        if not rows and groups is None:
            raise ValueError(
                "L21 needs groups (a sparseinv.Groups) or rows=True (joint row sparsity of a "
                "2-D block); for one group per coefficient use L1"
            )
        value = check_lam_values(lam, "lam")
        if not isinstance(value, float):
            if rows and value.ndim != 1:
                raise ValueError(
                    "lam of L21(rows=True) must be a number or one value per row (n,): the "
                    f"columns are one problem; got shape {value.shape}"
                )
            if isinstance(groups, Groups):
                G = groups.n_groups
                if value.shape[0] != G and not (value.ndim == 2 and value.shape[0] == 1):
                    raise ValueError(
                        f"lam of L21 must hold one value per group ({G}), as (G,) or (G, k); "
                        f"got shape {value.shape} (a group norm has no per-coefficient λ)"
                    )
        super().__init__(value, groups=groups, bounds=bounds, positive=positive)

    @property
    def rows(self) -> bool:
        """Whether the groups are the rows of a 2-D solution (joint row sparsity)."""
        return self._rows

    @property
    def couples_columns(self) -> bool:
        """True with ``rows=True``: a batch is one problem."""
        return self._rows

    def with_lam(self, lam: float | ArrayLike) -> L21:
        """The same groups (or rows) and bounds with another λ.

        Parameters
        ----------
        lam : float or array_like
            The new λ.

        Returns
        -------
        L21

        Examples
        --------
        >>> import sparseinv as si
        >>> si.L21(1.0, rows=True).with_lam(2.0).lam
        2.0
        """
        return L21(lam, groups=self._groups, rows=self._rows, bounds=self._bounds)

    def group_lam(self, n_groups: int, n_columns: int, *, batched: bool) -> Coef:
        """The λ per group: a float or a ``(G, 1)``, ``(1, k)`` or ``(G, k)`` host array.

        Parameters
        ----------
        n_groups : int
            G.
        n_columns : int
            k.
        batched : bool
            Whether the data were a 2-D block.

        Returns
        -------
        float or ndarray
        """
        lam = self._lam
        if isinstance(lam, float):
            return lam
        G, k = n_groups, n_columns
        if lam.ndim == 1 and lam.shape[0] == G:
            return lam.reshape(-1, 1)
        if batched and lam.shape in ((1, k), (G, k)):
            return lam
        allowed = f"(), ({G},), (1, {k}) or ({G}, {k})" if batched else f"() or ({G},)"
        need = "" if batched else " (a 2-D lam needs a 2-D b)"
        raise ValueError(
            f"lam must have shape {allowed} for {G} groups and b with {k} "
            f"column{'s' if k > 1 else ''}{need}; got shape {tuple(lam.shape)}"
        )

    def vectorized(self, n_features: int, n_columns: int) -> L21:
        """The rows penalty of an ``(n, k)`` block as a group penalty on ``vec(X)``.

        Column-major vec: entry ``i + j·n`` is ``X[i, j]``; group ``i`` holds row ``i``.

        Parameters
        ----------
        n_features : int
            n, the rows of the block.
        n_columns : int
            k, its columns.

        Returns
        -------
        L21
            ``self`` when the penalty does not couple the columns.
        """
        if not self._rows:
            return self
        self.check_size(n_features)
        return self._vectorized_for(n_features, n_columns)

    def _vectorized_for(self, n: int, k: int) -> L21:
        groups = Groups(np.arange(0, n * k + 1, k), np.arange(n * k).reshape(k, n).T.reshape(-1))
        bounds = None
        if self._bounds is not None:
            bounds = tuple(s if isinstance(s, float) else np.tile(s, k) for s in self._bounds)
        return L21(self._lam, groups=groups, bounds=bounds)

    def __repr__(self) -> str:
        if not self._rows:
            return super().__repr__()
        lam = self._lam
        text = repr(lam) if isinstance(lam, float) else f"<{lam.size} values>"
        return f"L21({text}, rows=True{describe_bounds(self._bounds)})"
