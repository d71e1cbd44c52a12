r"""The dual constraint of the unpenalized coefficients: :math:`A_U^H\theta = 0`.

A coefficient with λ = 0 in every part and no bound is free, and the dual of the
problem then requires :math:`a_i^H\theta = 0` for it: no multiple of a residual
meets this exactly before convergence, so the duality gap alone would be useless
(its θ would have to be 0). :class:`UnpenalizedBasis` holds an orthonormal basis Q
of the range of :math:`A_U` (the columns of the free coefficients) and
:math:`A^HQ`; projecting a residual, :math:`r - Q Q^H r`, makes θ meet the
constraint to rounding, and :math:`A^H` of the projection is
:math:`A^Hr - (A^HQ)(Q^Hr)`, so the projection costs no operator application after
the basis is built (|U| applications of A and of :math:`A^H`, once). The gap
computed with the projected residual is again a certificate of suboptimality.

Projecting b itself gives the residual of the least-squares fit of the free
coefficients, which is what :func:`sparseinv.lam_max` needs when some λ are 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv.backend import Space, to_host

Array = Any

#: more free coefficients than this and the basis is not built (the gradient mapping is used)
MAX_UNPENALIZED = 64


class UnpenalizedBasis:
    """Q, an orthonormal basis of range(A_U) (data space), and AᴴQ (model space).

    Build it with :meth:`build`; :meth:`project` removes the components of residuals
    along range(A_U) and updates their correlations.
    """

    __slots__ = ("adjoint_q", "q", "space")

    def __init__(self, q: Array, adjoint_q: Array, space: Space) -> None:
        self.q = q
        self.adjoint_q = adjoint_q
        self.space = space

    @classmethod
    def build(
        cls,
        op: Any,
        space: Space,
        mask: Array,
        *,
        dtype: Any,
        offset: int = 0,
        n_features: int | None = None,
    ) -> UnpenalizedBasis | None:
        """The basis for the free coefficients ``mask`` (this process's rows), or None.

        None when there are more than :data:`MAX_UNPENALIZED` of them, or when the
        operator is a :class:`~sparseinv.ColumnBatch` (one operator per column).

        Parameters
        ----------
        op : CountingOperator
            The operator; its applications here are counted.
        space : Space
            The reductions.
        mask : array
            ``(rows, 1)`` boolean mask of the free coefficients of this process.
        dtype : dtype
            The dtype of the iterates.
        offset : int
            The global index of this process's first row.
        n_features : int, optional
            The global number of coefficients (default: the rows of ``mask``).

        Returns
        -------
        UnpenalizedBasis or None
        """
        xp = space.xp
        if op.batch is not None:
            return None
        local = to_host(mask).reshape(-1).astype(bool)
        n = local.size if n_features is None else int(n_features)
        full = np.zeros(n)
        full[offset : offset + local.size] = local
        full = space.model.combine_sum(full) > 0  # every process: the global free set
        index = np.flatnonzero(full)
        count = index.size
        if count == 0 or count > MAX_UNPENALIZED:
            return None
        mine = index[(index >= offset) & (index < offset + local.size)]
        units = xp.zeros((local.size, count), dtype=dtype)
        if mine.size:
            cols = np.searchsorted(index, mine)
            units[xp.asarray(mine - offset), xp.asarray(cols)] = 1
        columns = _apply(op.forward, units, space)  # A_U, (m, |U|)
        gram = _gram(space, columns)
        w, v = np.linalg.eigh(gram)
        real = np.empty(0, dtype=dtype).real.dtype
        keep = w > max(float(w.max()), 0.0) * count * 10 * float(np.finfo(real).eps)
        if not keep.any():
            return None
        scale = v[:, keep] / np.sqrt(w[keep])
        q = columns @ xp.asarray(scale.astype(dtype))
        return cls(q, _apply(op.adjoint, q, space), space)

    def project(self, residual: Array, gradient: Array) -> tuple[Array, Array]:
        """``r - QQᴴr`` and ``Aᴴ(r - QQᴴr)`` from r and Aᴴr (blocks)."""
        coef = self.coefficients(residual)
        return residual - self.q @ coef, gradient - self.adjoint_q @ coef

    def coefficients(self, residual: Array) -> Array:
        """``Qᴴr``, reduced over the data (a small ``(rank, columns)`` block)."""
        q = self.q
        local = (q.conj().T @ residual) if q.dtype.kind == "c" else (q.T @ residual)
        host = to_host(local)
        if host.dtype.kind == "c":
            re = self.space.data.combine_sum(np.ascontiguousarray(host.real).reshape(-1))
            im = self.space.data.combine_sum(np.ascontiguousarray(host.imag).reshape(-1))
            total = (re + 1j * im).reshape(host.shape)
        else:
            total = self.space.data.combine_sum(host.reshape(-1).astype(np.float64))
            total = total.reshape(host.shape)
        return self.space.xp.asarray(total.astype(local.dtype))


def _apply(fn: Any, block: Array, space: Space) -> Array:
    """``fn`` on a block, one column at a time.

    Each column is one application, counted as such (a block would count once), and
    distributed operators take vectors only.
    """
    parts = [fn(block[:, j : j + 1]) for j in range(block.shape[1])]
    return space.xp.concatenate(parts, axis=1)


def _gram(space: Space, columns: Array) -> np.ndarray:
    """``A_Uᴴ A_U`` reduced over the data, on the host (complex for complex data)."""
    local = columns.conj().T @ columns if columns.dtype.kind == "c" else columns.T @ columns
    host = to_host(local)
    re = space.data.combine_sum(np.ascontiguousarray(host.real, dtype=np.float64).reshape(-1))
    gram = re.reshape(host.shape)
    if host.dtype.kind == "c":
        im = space.data.combine_sum(np.ascontiguousarray(host.imag, dtype=np.float64).reshape(-1))
        gram = gram + 1j * im.reshape(host.shape)
    return 0.5 * (gram + gram.conj().T)
