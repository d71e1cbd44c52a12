"""Groups of coefficients, stored as offsets and indices (CSR style)."""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv._validation import _describe, as_int_array

__all__ = ["Groups"]


class Groups:
    """A partition of the ``n_features`` coefficients into groups.

    Group ``g`` holds the coefficients ``indices[offsets[g]:offsets[g + 1]]``,
    the layout skglm calls ``grp_ptr`` / ``grp_indices``. Build one with
    :meth:`from_sizes` (contiguous blocks), :meth:`from_labels` (one label per
    coefficient) or :meth:`from_indices` (one index array per group). Every
    constructor checks that the groups partition ``0 .. n_features - 1``: no
    overlap, no gap, no empty group, and that the group labels are distinct,
    hashable and not NaN (a label names one group).

    Parameters
    ----------
    offsets : array_like of int
        ``n_groups + 1`` non-decreasing offsets into ``indices``, starting at 0.
    indices : array_like of int
        A permutation of ``0 .. n_features - 1``.
    labels : sequence of hashable, optional
        One distinct label per group, in group order. Defaults to
        ``0 .. n_groups - 1``.

    Raises
    ------
    TypeError
        For non-integer offsets or indices, or unhashable labels.
    ValueError
        For offsets or indices that do not describe a partition, or labels that are
        not one distinct, non-NaN label per group.

    Examples
    --------
    >>> import sparseinv as si
    >>> g = si.Groups.from_sizes([3, 2])
    >>> g.n_groups, g.n_features, g.sizes.tolist()
    (2, 5, [3, 2])
    >>> g.expand([1.0, 10.0]).tolist()
    [1.0, 1.0, 1.0, 10.0, 10.0]
    >>> si.Groups.from_labels(["b", "a", "b"]).labels
    ('b', 'a')
    """

    __slots__ = ("_indices", "_labels", "_membership", "_offsets")

    def __init__(
        self,
        offsets: ArrayLike,
        indices: ArrayLike,
        *,
        labels: Sequence[Hashable] | None = None,
    ) -> None:
        offsets = as_int_array(offsets, "offsets")
        indices = as_int_array(indices, "indices")
        if offsets.size < 2 or offsets[0] != 0:
            raise ValueError(
                "offsets must start at 0 and hold n_groups + 1 >= 2 entries; "
                f"got {offsets.tolist()}"
            )
        if offsets[-1] != indices.size:
            raise ValueError(
                f"offsets must end at len(indices) = {indices.size}; got {int(offsets[-1])}"
            )
        sizes = np.diff(offsets)
        if np.any(sizes <= 0):
            empty = np.flatnonzero(sizes <= 0).tolist()
            raise ValueError(f"groups must not be empty; groups {empty} have no coefficient")
        n = indices.size
        if indices.min() < 0 or indices.max() >= n:
            raise ValueError(
                f"groups must partition 0..{n - 1} (every coefficient in exactly one group); "
                f"got indices in [{int(indices.min())}, {int(indices.max())}]"
            )
        counts = np.bincount(indices, minlength=n)
        if counts.size != n or np.any(counts != 1):
            overlap = np.flatnonzero(counts > 1)[:5].tolist() if counts.size == n else []
            gaps = np.flatnonzero(counts == 0)[:5].tolist() if counts.size == n else []
            raise ValueError(
                f"groups must partition 0..{n - 1} (every coefficient in exactly one group); "
                f"coefficients in several groups: {overlap}, in none: {gaps}, "
                f"index range [{int(indices.min())}, {int(indices.max())}]"
            )
        n_groups = sizes.size
        if labels is None:
            labels = tuple(range(n_groups))
        else:
            labels = _check_group_labels(labels, n_groups)
        membership = np.empty(n, dtype=np.intp)
        membership[indices] = np.repeat(np.arange(n_groups), sizes)
        for arr in (offsets, indices, membership):
            arr.flags.writeable = False
        self._offsets = offsets
        self._indices = indices
        self._labels = labels
        self._membership = membership

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_sizes(cls, sizes: Iterable[int]) -> Groups:
        """Contiguous blocks: the first ``sizes[0]`` coefficients, then the next ``sizes[1]``...

        Parameters
        ----------
        sizes : iterable of int
            Positive block sizes.

        Returns
        -------
        Groups

        Raises
        ------
        TypeError
            When ``sizes`` is not an iterable of integers (e.g. ``5`` or None).
        ValueError
            For no size, or a size <= 0.

        Examples
        --------
        >>> Groups.from_sizes([2000, 80]).n_features
        2080
        """
        sizes = as_int_array(_as_list(sizes, "sizes", "an iterable of positive int"), "sizes")
        if sizes.size == 0 or np.any(sizes <= 0):
            raise ValueError(f"sizes must be positive integers, at least one; got {sizes.tolist()}")
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        return cls(offsets, np.arange(offsets[-1]))

    @classmethod
    def from_labels(cls, labels: Iterable[Hashable]) -> Groups:
        """One label per coefficient; groups are ordered by first appearance.

        Parameters
        ----------
        labels : iterable of hashable
            ``labels[i]`` is the group of coefficient ``i``; a 1-D array or any
            iterable of hashable values other than NaN.

        Returns
        -------
        Groups

        Raises
        ------
        TypeError
            For a non-iterable ``labels`` or an unhashable label.
        ValueError
            For no label, or a NaN label.

        Notes
        -----
        A NaN label is rejected rather than grouped: NaN is not equal to itself, so
        whether two NaNs are one group would depend on whether they are the same
        Python object (one group from ``[nan, nan]``, two from the same values in
        an array). Labels are compared by Python equality, so ``1``, ``1.0`` and
        ``True`` are one group.

        Examples
        --------
        >>> g = Groups.from_labels(["hi", "lo", "hi", "lo"])
        >>> g.labels, g.sizes.tolist()
        (('hi', 'lo'), [2, 2])
        """
        if isinstance(labels, np.ndarray):
            labels = labels.tolist() if labels.ndim == 1 else labels
        labels = _as_list(labels, "labels", "a sequence of one hashable label per coefficient")
        if not labels:
            raise ValueError("labels must hold one label per coefficient; got an empty sequence")
        nan = [i for i, lab in enumerate(labels) if _is_nan(lab)]
        if nan:
            raise ValueError(
                "labels must not be NaN: NaN differs from itself, so it cannot name one group; "
                f"got NaN at positions {nan[:5]}{' ...' if len(nan) > 5 else ''} "
                "(give the missing coefficients a label of their own)"
            )
        code: dict[Any, int] = {}
        try:
            codes = np.fromiter((code.setdefault(lab, len(code)) for lab in labels), np.intp)
        except TypeError as err:
            raise TypeError(f"labels must be hashable; {err}") from None
        order = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes)
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        return cls(offsets, order, labels=list(code))

    @classmethod
    def from_indices(
        cls, groups: Sequence[ArrayLike], *, labels: Sequence[Hashable] | None = None
    ) -> Groups:
        """One array of coefficient indices per group.

        Parameters
        ----------
        groups : sequence of array_like of int
            ``groups[g]`` lists the coefficients of group ``g``.
        labels : sequence of hashable, optional
            One distinct label per group.

        Returns
        -------
        Groups

        Raises
        ------
        TypeError
            For a ``groups`` that is not a sequence of integer arrays.
        ValueError
            For an index listed twice, groups that do not partition
            ``0 .. n_features - 1``, or labels that are not distinct.

        Examples
        --------
        >>> Groups.from_indices([[0, 2], [1]]).expand([5.0, 7.0]).tolist()
        [5.0, 7.0, 5.0]
        """
        groups = _as_list(groups, "groups", "a sequence of index arrays, one per group")
        parts = [
            as_int_array(np.atleast_1d(np.asarray(g)), f"groups[{i}]") for i, g in enumerate(groups)
        ]
        if not parts:
            raise ValueError("groups must hold at least one group; got none")
        for i, part in enumerate(parts):
            values, counts = np.unique(part, return_counts=True)
            if np.any(counts > 1):
                twice = values[counts > 1][:5].tolist()
                raise ValueError(f"groups[{i}] must list each coefficient once; it repeats {twice}")
        sizes = [p.size for p in parts]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        return cls(offsets, np.concatenate(parts), labels=labels)

    # ------------------------------------------------------------------ properties
    @property
    def offsets(self) -> NDArray[np.intp]:
        """``n_groups + 1`` offsets into :attr:`indices` (read-only)."""
        return self._offsets

    @property
    def indices(self) -> NDArray[np.intp]:
        """Coefficient indices, group after group (read-only)."""
        return self._indices

    @property
    def membership(self) -> NDArray[np.intp]:
        """Group number of each coefficient (read-only)."""
        return self._membership

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return self._offsets.size - 1

    @property
    def n_features(self) -> int:
        """Number of coefficients partitioned."""
        return self._indices.size

    @property
    def sizes(self) -> NDArray[np.intp]:
        """Number of coefficients in each group."""
        return np.diff(self._offsets)

    @property
    def labels(self) -> tuple[Hashable, ...]:
        """One label per group, in group order."""
        return self._labels

    def __len__(self) -> int:
        return self.n_groups

    def __repr__(self) -> str:
        sizes = self.sizes.tolist()
        shown = sizes if len(sizes) <= 6 else [*sizes[:3], "...", *sizes[-2:]]
        return f"Groups(n_groups={self.n_groups}, n_features={self.n_features}, sizes={shown})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Groups):
            return NotImplemented
        return np.array_equal(self._membership, other._membership) and self._labels == other._labels

    def __hash__(self) -> int:
        return hash((self._membership.tobytes(), self._labels))

    # ------------------------------------------------------------------ maps
    def group(self, g: int) -> NDArray[np.intp]:
        """Indices of the coefficients of group ``g``.

        Parameters
        ----------
        g : int
            Group number, ``0 <= g < n_groups`` (no negative indexing).

        Returns
        -------
        ndarray of int

        Raises
        ------
        TypeError
            For a ``g`` that is not an integer.
        ValueError
            For a ``g`` out of range.

        Examples
        --------
        >>> Groups.from_sizes([2, 3]).group(1).tolist()
        [2, 3, 4]
        """
        if isinstance(g, bool) or not isinstance(g, numbers.Integral):
            raise TypeError(f"g must be an integer group number; got {_describe(g)}")
        if not 0 <= g < self.n_groups:
            raise ValueError(f"g must satisfy 0 <= g < n_groups = {self.n_groups}; got {g}")
        return self._indices[self._offsets[g] : self._offsets[g + 1]]

    def expand(self, values: ArrayLike) -> NDArray:
        """Per-group values to per-coefficient values.

        Parameters
        ----------
        values : array_like
            One value per group.

        Returns
        -------
        ndarray
            ``out[i] = values[group of i]``, on the array module of ``values``.

        Examples
        --------
        >>> Groups.from_labels([1, 0, 1]).expand([10.0, 20.0]).tolist()
        [10.0, 20.0, 10.0]
        """
        if not hasattr(values, "__array_namespace__") and not hasattr(
            values, "__cuda_array_interface__"
        ):
            values = np.asarray(values)
        if values.ndim != 1 or values.shape[0] != self.n_groups:
            raise ValueError(
                f"values must hold one value per group ({self.n_groups}); got shape {values.shape}"
            )
        if isinstance(values, np.ndarray):
            return values[self._membership]
        # other array modules: index with a membership array on the same device
        from pylops.utils.backend import get_array_module

        xp = get_array_module(values)
        return values[xp.asarray(self._membership)]

    def sum(self, x: ArrayLike) -> NDArray:
        """Sum of ``x`` within each group.

        Parameters
        ----------
        x : array_like
            One value per coefficient.

        Returns
        -------
        ndarray
            One sum per group.

        Examples
        --------
        >>> Groups.from_sizes([2, 1]).sum([1.0, 2.0, 5.0]).tolist()
        [3.0, 5.0]
        """
        x = np.asarray(x)
        if x.shape != (self.n_features,):
            raise ValueError(f"x must have shape ({self.n_features},); got {x.shape}")
        if np.iscomplexobj(x):
            return self.sum(x.real) + 1j * self.sum(x.imag)
        return np.bincount(self._membership, weights=x, minlength=self.n_groups)

    def norms(self, x: ArrayLike) -> NDArray:
        """Euclidean norm of ``x`` within each group.

        Parameters
        ----------
        x : array_like
            One value per coefficient (real or complex).

        Returns
        -------
        ndarray
            One norm per group.

        Examples
        --------
        >>> Groups.from_sizes([2, 1]).norms([3.0, 4.0, -2.0]).tolist()
        [5.0, 2.0]
        """
        x = np.asarray(x)
        return np.sqrt(self.sum(np.abs(x) ** 2))


# ---------------------------------------------------------------------- helpers
def _as_list(values: Any, name: str, expected: str) -> list[Any]:
    """``list(values)``, with an error naming the argument for a non-iterable."""
    if values is None or isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be {expected}; got {_describe(values)}")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got {_describe(values)}")
    return list(values)


def _is_nan(label: Any) -> bool:
    """Whether ``label`` is a NaN (float, complex, numpy scalar, Decimal, NaT)."""
    if not isinstance(label, (numbers.Number, np.generic)):
        return False
    try:
        return bool(label != label)
    except (ArithmeticError, TypeError, ValueError):  # a signalling Decimal NaN
        return True


def _check_group_labels(labels: Any, n_groups: int) -> tuple[Hashable, ...]:
    """One distinct, hashable, non-NaN label per group."""
    labels = tuple(_as_list(labels, "labels", "a sequence of one hashable label per group"))
    if len(labels) != n_groups:
        raise ValueError(f"labels must hold one label per group ({n_groups}); got {len(labels)}")
    first: dict[Hashable, int] = {}
    for g, label in enumerate(labels):
        if _is_nan(label):
            raise ValueError(f"labels must not be NaN (it cannot name a group); got NaN at {g}")
        try:
            seen = first.setdefault(label, g)
        except TypeError:
            raise TypeError(f"labels must be hashable; labels[{g}] is {_describe(label)}") from None
        if seen != g:
            raise ValueError(
                f"labels must be distinct (a label names one group); {label!r} labels "
                f"groups {seen} and {g}"
            )
    return labels
