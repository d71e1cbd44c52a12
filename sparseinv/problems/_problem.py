"""The :class:`Problem` container and the noise helper shared by every generator."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sparseinv._numerics import scaled_norm
from sparseinv._validation import _describe, check_positive_number
from sparseinv.groups import Groups
from sparseinv.problems._common import check_rng, check_snr

__all__ = ["Problem", "add_noise"]

_LOG10_MAX = math.log10(np.finfo(np.float64).max)


@dataclass(frozen=True, eq=False, repr=False)
class Problem:
    r"""A sparse inverse problem ``b = A x_true + noise`` with its groups and plotting hints.

    Every generator of :mod:`sparseinv.problems` returns one; build your own with
    keywords, as in the example. The fields are checked for consistent shapes when the
    problem is built.

    Parameters
    ----------
    A : ndarray or LinearOperator
        The ``(n_measurements, n_features)`` forward operator: a 2-D numpy array or
        a pylops (or scipy) linear operator.
    b : ndarray
        The ``n_measurements`` observed (possibly noisy) data, 1-D.
    x_true : ndarray or None
        The ``n_features`` true coefficients, 1-D, or None when unknown.
    groups : Groups
        A partition of the ``n_features`` coefficients, e.g. for one λ per group.
    noise_std : float
        Standard deviation of the Gaussian noise added to each data sample
        (``E|noise_i|^2 = noise_std^2``), 0.0 for noiseless data.
    name : str
        A short description.
    b_clean : ndarray, optional
        The noiseless data ``A @ x_true``, same shape as ``b``.
    model_shape : tuple of int, optional
        How to reshape ``x`` for display (e.g. ``(npx, nt)``); its product must be
        ``n_features``.
    data_shape : tuple of int, optional
        How to reshape ``b`` for display; its product must be ``n_measurements``.
    axes : dict of str to ndarray, optional
        Named 1-D axes for plotting, e.g. ``{"t": t, "x": x}``.
    dt : float, optional
        Time sampling in seconds, where the problem has one.
    extra : dict, optional
        Anything else a generator provides (full gather, kept traces, operators...).

    Notes
    -----
    The objective the solvers minimise for such a problem is

    .. math:: F(x) = \tfrac12 \|A x - b\|_2^2 + \sum_i \lambda_i R(x_i).

    The dataclass is frozen: fields cannot be reassigned, and arrays are stored as
    given (not copied), so do not modify them in place.

    Examples
    --------
    >>> import numpy as np
    >>> import sparseinv as si
    >>> from sparseinv.problems import Problem
    >>> A = np.eye(3)
    >>> p = Problem(A=A, b=np.ones(3), x_true=np.ones(3), groups=si.Groups.from_sizes([2, 1]),
    ...             noise_std=0.0, name="identity")
    >>> p.n_measurements, p.n_features, p.groups.n_groups
    (3, 3, 2)
    """

    A: Any
    b: NDArray
    x_true: NDArray | None
    groups: Groups
    noise_std: float
    name: str
    b_clean: NDArray | None = None
    model_shape: tuple[int, ...] | None = None
    data_shape: tuple[int, ...] | None = None
    axes: Mapping[str, NDArray] = field(default_factory=dict)
    dt: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shape = getattr(self.A, "shape", None)
        if shape is None or len(shape) != 2:
            raise TypeError(
                "A must be a 2-D array or a linear operator with a 2-D shape; "
                f"got {type(self.A).__name__}"
            )
        m, n = int(shape[0]), int(shape[1])
        if not isinstance(self.groups, Groups):
            raise TypeError(f"groups must be a sparseinv.Groups; got {type(self.groups).__name__}")
        if self.groups.n_features != n:
            raise ValueError(
                f"groups must partition the A.shape[1] = {n} coefficients; "
                f"got groups over {self.groups.n_features}"
            )
        b = self._vector("b", self.b, m, "A.shape[0]")
        object.__setattr__(self, "b", b)
        if self.x_true is not None:
            object.__setattr__(self, "x_true", self._vector("x_true", self.x_true, n, "A.shape[1]"))
        if self.b_clean is not None:
            object.__setattr__(self, "b_clean", self._vector("b_clean", self.b_clean, m, "b.size"))
        noise_std = check_positive_number(self.noise_std, "noise_std", allow_zero=True)
        object.__setattr__(self, "noise_std", noise_std)
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str; got {_describe(self.name)}")
        for attr, size, what in (("model_shape", n, "n_features"), ("data_shape", m, "b.size")):
            value = getattr(self, attr)
            if value is not None:
                object.__setattr__(self, attr, self._shape(attr, value, size, what))
        if self.dt is not None:
            object.__setattr__(self, "dt", check_positive_number(self.dt, "dt"))
        for attr in ("axes", "extra"):
            value = getattr(self, attr)
            if not isinstance(value, Mapping):
                raise TypeError(f"{attr} must be a dict; got {type(value).__name__}")
            # a copy of the mapping (not of its values): later edits of the caller's dict stay out
            object.__setattr__(self, attr, dict(value))

    @staticmethod
    def _vector(name: str, value: Any, size: int, size_name: str) -> NDArray:
        arr = np.asarray(value)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"{name} must be a numeric array; got {_describe(value)}")
        if arr.ndim != 1 or arr.size != size:
            raise ValueError(
                f"{name} must be 1-D with {size_name} = {size} entries; got shape {arr.shape}"
            )
        return arr

    @staticmethod
    def _shape(name: str, value: Any, size: int, what: str) -> tuple[int, ...]:
        try:
            dims = tuple(int(d) for d in value)
        except TypeError:
            raise TypeError(f"{name} must be a tuple of int; got {value!r}") from None
        if any(d <= 0 for d in dims) or math.prod(dims) != size:
            raise ValueError(
                f"{name} must hold positive sizes whose product is {what} ({size}); got {dims}"
            )
        return dims

    @property
    def n_measurements(self) -> int:
        """Number of data samples, ``A.shape[0]``."""
        return int(self.A.shape[0])

    @property
    def n_features(self) -> int:
        """Number of coefficients, ``A.shape[1]``."""
        return int(self.A.shape[1])

    def __repr__(self) -> str:
        dtype = getattr(self.A, "dtype", None)
        return (
            f"Problem(name={self.name!r}, A={type(self.A).__name__} "
            f"{self.n_measurements}x{self.n_features} {dtype}, n_groups={self.groups.n_groups}, "
            f"noise_std={self.noise_std:.3g})"
        )


def add_noise(clean: ArrayLike, snr_db: float | None, *, rng: Any = None) -> tuple[NDArray, float]:
    r"""Add white Gaussian noise to ``clean`` at a given signal-to-noise ratio.

    Parameters
    ----------
    clean : array_like
        Noiseless data, real or complex. Not modified.
    snr_db : float or None
        Signal-to-noise ratio in decibels; None returns a copy of ``clean`` and 0.0.
    rng : int, numpy.random.Generator or None, optional
        Seed or generator for the noise.

    Returns
    -------
    noisy : ndarray
        ``clean + noise``, a new array with the dtype of ``clean`` (float64 at least).
    noise_std : float
        The noise standard deviation per sample, σ.

    Raises
    ------
    TypeError
        For a non-numeric ``clean``, a ``snr_db`` that is not a real number or an
        ``rng`` that is not a seed or a generator.
    ValueError
        For a non-finite ``clean`` or ``snr_db``, or a ``snr_db`` so low that σ or the
        noisy data overflow float64 (e.g. -7000 dB).

    Notes
    -----
    With ``m`` samples,

    .. math:: \sigma = \frac{\|b_\text{clean}\|_2}{\sqrt{m}} \, 10^{-\text{snr}/20},

    so that :math:`\mathbb{E}\|n\|^2 = m\sigma^2` and the ratio of signal to noise
    power is :math:`10^{\text{snr}/10}`. Real data gets real noise
    :math:`n_i \sim N(0, \sigma^2)`; complex data gets circular complex noise with
    :math:`\sigma/\sqrt2` in each of the real and imaginary parts.

    Examples
    --------
    >>> import numpy as np
    >>> noisy, sigma = add_noise(np.ones(10_000), 20.0, rng=0)
    >>> round(sigma, 3), round(float(np.std(noisy - 1.0)), 2)
    (0.1, 0.1)
    >>> add_noise(np.ones(3), None)[1]
    0.0
    """
    snr_db = check_snr(snr_db)
    clean = np.asarray(clean)
    if clean.dtype == object or not np.issubdtype(clean.dtype, np.number):
        raise TypeError(f"clean must be a numeric array; got {_describe(clean)}")
    if not np.all(np.isfinite(clean)):
        raise ValueError("clean must be finite; it holds NaN or infinite entries")
    out_dtype = np.result_type(clean.dtype, np.float64)
    noisy = clean.astype(out_dtype, copy=True)
    if snr_db is None or clean.size == 0:
        return noisy, 0.0
    rng = check_rng(rng)
    sigma = _noise_std(clean, snr_db)
    if np.iscomplexobj(clean):
        noise = rng.standard_normal(clean.shape) + 1j * rng.standard_normal(clean.shape)
        with np.errstate(over="ignore", invalid="ignore"):
            noisy += sigma / np.sqrt(2.0) * noise
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            noisy += sigma * rng.standard_normal(clean.shape)
    if not np.all(np.isfinite(noisy)):
        raise ValueError(
            f"snr_db = {snr_db:g} gives noise of standard deviation {sigma:.3g}: the noisy "
            f"data overflow float64 (largest {np.finfo(np.float64).max:.3g}); raise snr_db"
        )
    return noisy, sigma


def _noise_std(clean: NDArray, snr_db: float) -> float:
    """σ = rms(clean) · 10^(-snr/20), computed without overflow or underflow on the way."""
    scale, sum_sq = scaled_norm(np, clean.ravel())
    if scale == 0.0:
        return 0.0  # no signal: no noise at any ratio
    with np.errstate(over="ignore", under="ignore"):
        sigma = float(scale * np.sqrt(sum_sq / clean.size) * np.power(10.0, -snr_db / 20.0))
    if math.isfinite(sigma) and sigma > 0.0:
        return sigma
    # a factor 10^(-snr/20) beyond the float range can still give a representable σ
    log_sigma = math.log10(scale) + 0.5 * math.log10(sum_sq / clean.size) - snr_db / 20.0
    if log_sigma > _LOG10_MAX:
        raise ValueError(
            f"snr_db = {snr_db:g} asks for a noise standard deviation of about "
            f"1e{log_sigma:.0f}, beyond float64 (largest {np.finfo(np.float64).max:.3g}); "
            "raise snr_db"
        )
    with np.errstate(under="ignore"):
        return float(np.power(10.0, log_sigma))


def noisy_problem(
    A: Any,
    x_true: NDArray,
    b_clean: NDArray,
    *,
    snr_db: float | None,
    rng: np.random.Generator,
    **fields: Any,
) -> Problem:
    """The :class:`Problem` whose data ``b`` is ``b_clean`` plus noise at ``snr_db``.

    The last step of the generators: ``b``, ``b_clean`` and ``noise_std`` always come
    from one :func:`add_noise` call. ``fields`` are the other :class:`Problem` fields.
    """
    b, sigma = add_noise(b_clean, snr_db, rng=rng)
    return Problem(A=A, b=b, x_true=x_true, noise_std=sigma, b_clean=b_clean, **fields)
