"""Synthetic and real 1-D sparse problems: compressed sensing, block sparsity, two
dictionaries and a wavelet-sparse ECG recording."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pylops
from pylops.signalprocessing import DCT, DWT, FFT

from sparseinv._validation import as_int_array, check_positive_number
from sparseinv.problems._common import (
    block_groups,
    check_choice,
    check_count,
    check_fraction,
    check_rng,
    check_snr,
    draw_amplitudes,
    draw_subset,
    gaussian_matrix,
    n_kept,
)
from sparseinv.problems._problem import Problem, noisy_problem

__all__ = [
    "block_sparse",
    "compressed_sensing",
    "density_contrast",
    "ecg",
    "layers",
    "size_only",
    "spikes_and_cosines",
]

SENSING = ("gaussian", "bernoulli", "partial_dct", "partial_fourier")
AMPLITUDES = ("sign", "gaussian")


def compressed_sensing(
    n_measurements: int = 100,
    n_features: int = 256,
    n_nonzero: int = 10,
    *,
    sensing: str = "gaussian",
    amplitudes: str = "sign",
    snr_db: float | None = None,
    rng: Any = None,
) -> Problem:
    r"""A ``n_nonzero``-sparse vector seen through a random sensing operator.

    Parameters
    ----------
    n_measurements : int, default 100
        Number of measurements ``m``.
    n_features : int, default 256
        Number of coefficients ``n``.
    n_nonzero : int, default 10
        Number of non-zero coefficients, at uniformly random positions.
    sensing : {"gaussian", "bernoulli", "partial_dct", "partial_fourier"}, default "gaussian"
        The sensing operator, see Notes.
    amplitudes : {"sign", "gaussian"}, default "sign"
        Non-zero values: random signs ±1, or standard normal.
    snr_db : float or None, default None
        Signal-to-noise ratio of the data in dB (see :func:`add_noise`); None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator; a given seed always gives the same problem.

    Returns
    -------
    Problem
        ``A`` is a numpy array for ``"gaussian"`` and ``"bernoulli"``, a pylops
        operator otherwise; ``x_true`` is real float64; ``groups`` is a single group
        labelled ``"all"``.

    Notes
    -----
    Every operator has columns of norm (close to) 1:

    - ``"gaussian"``: iid :math:`N(0, 1/m)` entries;
    - ``"bernoulli"``: iid :math:`\pm 1/\sqrt m` entries;
    - ``"partial_dct"``: ``m`` random rows of the orthonormal DCT-II ``D``,
      :math:`A = \sqrt{n/m}\, R D` (pylops ``Restriction`` composed with ``DCT``),
      real;
    - ``"partial_fourier"``: ``m`` random rows of the orthonormal DFT ``F``,
      :math:`A = \sqrt{n/m}\, R F` (pylops ``Restriction`` and ``FFT``), complex;
      the data ``b`` is then complex and so is the noise.

    The √(n/m) factor undoes the energy lost by keeping ``m`` of ``n`` rows, so that
    a λ tuned for the Gaussian ensemble is of the right order for all four. The
    partial transforms need ``n_measurements <= n_features``.

    Examples
    --------
    >>> from sparseinv.problems import compressed_sensing
    >>> p = compressed_sensing(50, 128, 5, rng=0)
    >>> p.A.shape, int((p.x_true != 0).sum()), p.noise_std
    ((50, 128), 5, 0.0)
    >>> bool(abs(p.A @ p.x_true - p.b).max() < 1e-12)
    True
    """
    m = check_positive_number(n_measurements, "n_measurements", integer=True)
    n = check_positive_number(n_features, "n_features", integer=True)
    k = check_count(n_nonzero, "n_nonzero", n, "n_features")
    sensing = check_choice(sensing, "sensing", SENSING)
    amplitudes = check_choice(amplitudes, "amplitudes", AMPLITUDES)
    snr_db = check_snr(snr_db)
    if sensing.startswith("partial") and m > n:
        raise ValueError(
            f"n_measurements must be <= n_features ({n}) for sensing={sensing!r}; got {m}"
        )
    rng = check_rng(rng)

    x_true = np.zeros(n)
    x_true[draw_subset(rng, n, k)] = draw_amplitudes(rng, k, amplitudes)
    if sensing == "gaussian":
        A = gaussian_matrix(rng, m, n)
    elif sensing == "bernoulli":
        A = (2.0 * rng.integers(0, 2, size=(m, n)) - 1.0) / np.sqrt(m)
    else:
        rows = draw_subset(rng, n, m)
        dtype = np.float64 if sensing == "partial_dct" else np.complex128
        transform = DCT(n) if sensing == "partial_dct" else FFT(n, dtype=dtype)
        # √(n/m): columns of R T have squared norm ≈ m/n, rescaled to ≈ 1
        A = np.sqrt(n / m) * (pylops.Restriction(n, rows, dtype=dtype) @ transform)
    return noisy_problem(
        A,
        x_true,
        np.asarray(A @ x_true),
        snr_db=snr_db,
        rng=rng,
        groups=block_groups([n], ["all"]),
        name=f"compressed sensing ({sensing}, m={m}, n={n}, k={k})",
        extra={"support": np.flatnonzero(x_true)},
    )


def block_sparse(
    sizes: Sequence[int],
    nonzeros: Sequence[int],
    *,
    amplitudes: Sequence[float] | None = None,
    column_scales: Sequence[float] | None = None,
    labels: Sequence[Hashable] | None = None,
    n_measurements: int = 200,
    snr_db: float | None = 20.0,
    rng: Any = None,
) -> Problem:
    r"""Blocks of coefficients with their own size, sparsity, amplitude and column scale.

    Parameters
    ----------
    sizes : sequence of int
        Number of coefficients of each block.
    nonzeros : sequence of int
        Number of non-zero coefficients of each block, ``0 <= nonzeros[g] <= sizes[g]``.
    amplitudes : sequence of float, optional
        Standard deviation of the non-zero values of each block (default 1).
    column_scales : sequence of float, optional
        Scale of the columns of ``A`` in each block (default 1).
    labels : sequence of hashable, optional
        Block labels (default ``"block0"``, ``"block1"``...).
    n_measurements : int, default 200
        Number of measurements ``m``.
    snr_db : float or None, default 20.0
        Signal-to-noise ratio of the data in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    Problem
        ``A`` is a dense ``(m, sum(sizes))`` numpy array, ``groups`` the blocks.

    Notes
    -----
    With :math:`G` a matrix of iid :math:`N(0, 1/m)` entries,
    :math:`A = G\,\mathrm{diag}(c)` where :math:`c_i` is the column scale of the block
    of coefficient :math:`i`, and the non-zeros of block :math:`g` are
    :math:`a_g \cdot N(0, 1)` at ``nonzeros[g]`` random positions of the block.
    Blocks that differ in size, density, amplitude or column scale call for
    different λ per group.

    Examples
    --------
    >>> from sparseinv.problems import block_sparse
    >>> p = block_sparse([30, 10], [3, 5], n_measurements=20, rng=0)
    >>> p.groups.labels, p.groups.sizes.tolist(), p.A.shape
    (('block0', 'block1'), [30, 10], (20, 40))
    """
    sizes_arr = as_int_array(sizes, "sizes")
    if sizes_arr.size == 0 or np.any(sizes_arr <= 0):
        raise ValueError(f"sizes must be positive integers, at least one; got {sizes_arr.tolist()}")
    n_blocks = sizes_arr.size
    nz = as_int_array(nonzeros, "nonzeros")
    if nz.size != n_blocks:
        raise ValueError(f"nonzeros must hold one count per block ({n_blocks}); got {nz.size}")
    if np.any(nz < 0) or np.any(nz > sizes_arr):
        raise ValueError(
            f"nonzeros must satisfy 0 <= nonzeros[g] <= sizes[g] = {sizes_arr.tolist()}; "
            f"got {nz.tolist()}"
        )
    amp = _per_block(amplitudes, "amplitudes", n_blocks)
    scales = _per_block(column_scales, "column_scales", n_blocks)
    if labels is None:
        labels = [f"block{g}" for g in range(n_blocks)]
    elif len(labels) != n_blocks:
        raise ValueError(f"labels must hold one label per block ({n_blocks}); got {len(labels)}")
    m = check_positive_number(n_measurements, "n_measurements", integer=True)
    snr_db = check_snr(snr_db)
    rng = check_rng(rng)

    groups = block_groups(sizes_arr.tolist(), labels)
    n = groups.n_features
    A = gaussian_matrix(rng, m, n) * groups.expand(scales)
    x_true = np.zeros(n)
    for g in range(n_blocks):
        where = groups.group(g)[draw_subset(rng, int(sizes_arr[g]), int(nz[g]))]
        x_true[where] = amp[g] * rng.standard_normal(int(nz[g]))
    return noisy_problem(
        A,
        x_true,
        A @ x_true,
        snr_db=snr_db,
        rng=rng,
        groups=groups,
        name="block sparse",
        extra={"nonzeros": nz, "amplitudes": amp, "column_scales": scales},
    )


def _per_block(values: Sequence[float] | None, name: str, n_blocks: int) -> np.ndarray:
    if values is None:
        return np.ones(n_blocks)
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n_blocks,):
        raise ValueError(
            f"{name} must hold one value per block ({n_blocks}); got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be finite and > 0; got {arr.tolist()}")
    return arr


def layers(*, n_measurements: int = 600, snr_db: float | None = 20.0, rng: Any = None) -> Problem:
    """Two layers of a small network: 2000 weights (100→20) and 80 weights (20→4).

    Both layers are 5 % dense (100 and 4 non-zeros): the groups differ only in size,
    25 to 1, the situation where one λ for all coefficients over-penalises the small
    layer.

    Parameters
    ----------
    n_measurements : int, default 600
        Number of measurements; 600 for 104 non-zeros among 2080 coefficients.
    snr_db : float or None, default 20.0
        Signal-to-noise ratio in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    Problem
        See :func:`block_sparse`; labels ``"layer1 (100x20)"`` and ``"layer2 (20x4)"``.

    Examples
    --------
    >>> from sparseinv.problems import layers
    >>> p = layers(rng=0)
    >>> p.groups.sizes.tolist(), [int((p.x_true[p.groups.group(g)] != 0).sum()) for g in range(2)]
    ([2000, 80], [100, 4])
    """
    return _preset(
        "layers",
        [2000, 80],
        [100, 4],
        ["layer1 (100x20)", "layer2 (20x4)"],
        n_measurements,
        snr_db,
        rng,
    )


def density_contrast(
    *, n_measurements: int = 200, snr_db: float | None = 20.0, rng: Any = None
) -> Problem:
    """Two blocks of 250 coefficients, one with 50 non-zeros and one with 5.

    Parameters
    ----------
    n_measurements : int, default 200
        Number of measurements.
    snr_db : float or None, default 20.0
        Signal-to-noise ratio in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    Problem
        See :func:`block_sparse`; labels ``"dense (50/250)"`` and ``"sparse (5/250)"``.

    Examples
    --------
    >>> from sparseinv.problems import density_contrast
    >>> density_contrast(rng=0).groups.sizes.tolist()
    [250, 250]
    """
    return _preset(
        "density_contrast",
        [250, 250],
        [50, 5],
        ["dense (50/250)", "sparse (5/250)"],
        n_measurements,
        snr_db,
        rng,
    )


def size_only(
    *, n_measurements: int = 400, snr_db: float | None = 20.0, rng: Any = None
) -> Problem:
    """Two blocks at the same 10 % density: 10 of 100 and 90 of 900 non-zeros.

    Parameters
    ----------
    n_measurements : int, default 400
        Number of measurements; 400 for 100 non-zeros among 1000 coefficients.
    snr_db : float or None, default 20.0
        Signal-to-noise ratio in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    Problem
        See :func:`block_sparse`; labels ``"small (10/100)"`` and ``"large (90/900)"``.

    Examples
    --------
    >>> from sparseinv.problems import size_only
    >>> size_only(rng=0).A.shape
    (400, 1000)
    """
    return _preset(
        "size_only",
        [100, 900],
        [10, 90],
        ["small (10/100)", "large (90/900)"],
        n_measurements,
        snr_db,
        rng,
    )


def _preset(
    name: str,
    sizes: list[int],
    nonzeros: list[int],
    labels: list[str],
    n_measurements: int,
    snr_db: float | None,
    rng: Any,
) -> Problem:
    p = block_sparse(
        sizes, nonzeros, labels=labels, n_measurements=n_measurements, snr_db=snr_db, rng=rng
    )
    return dataclasses.replace(p, name=name)


def spikes_and_cosines(
    n: int = 256,
    n_spikes: int = 8,
    n_cosines: int = 8,
    n_measurements: int = 128,
    *,
    amplitudes: str = "sign",
    snr_db: float | None = None,
    rng: Any = None,
) -> Problem:
    r"""A signal made of a few spikes and a few cosines, measured by a random matrix.

    Parameters
    ----------
    n : int, default 256
        Signal length; the dictionary has ``2 n`` atoms.
    n_spikes : int, default 8
        Number of spikes (non-zeros among the first ``n`` coefficients).
    n_cosines : int, default 8
        Number of cosines (non-zeros among the last ``n`` coefficients).
    n_measurements : int, default 128
        Number of random measurements ``m`` of the signal.
    amplitudes : {"sign", "gaussian"}, default "sign"
        Non-zero values: random signs ±1, or standard normal.
    snr_db : float or None, default None
        Signal-to-noise ratio in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    Problem
        ``A`` is a pylops operator of shape ``(m, 2 n)``; ``groups`` are the two
        dictionaries, ``"spikes"`` and ``"cosines"``; ``extra`` holds the signal
        (``"signal"``), the sensing matrix (``"sensing"``) and the dictionary operator
        (``"dictionary"``).

    Notes
    -----
    The two-dictionary model

    .. math:: b = \Phi\,[\,I \;\; D^T\,]\, x, \qquad s = x_{1:n} + D^T x_{n+1:2n},

    with :math:`\Phi` a Gaussian :math:`N(0, 1/m)` matrix and :math:`D` the
    orthonormal DCT-II, so the columns of :math:`D^T` are cosines. Identity and DCT
    are mutually incoherent, which makes the split of the signal into spikes and
    cosines identifiable from few measurements.

    Examples
    --------
    >>> from sparseinv.problems import spikes_and_cosines
    >>> p = spikes_and_cosines(64, 3, 2, 40, rng=0)
    >>> p.A.shape, p.groups.labels
    ((40, 128), ('spikes', 'cosines'))
    """
    n = check_positive_number(n, "n", integer=True)
    k_spikes = check_count(n_spikes, "n_spikes", n, "n")
    k_cosines = check_count(n_cosines, "n_cosines", n, "n")
    m = check_positive_number(n_measurements, "n_measurements", integer=True)
    amplitudes = check_choice(amplitudes, "amplitudes", AMPLITUDES)
    snr_db = check_snr(snr_db)
    rng = check_rng(rng)

    x_true = np.zeros(2 * n)
    x_true[draw_subset(rng, n, k_spikes)] = draw_amplitudes(rng, k_spikes, amplitudes)
    x_true[n + draw_subset(rng, n, k_cosines)] = draw_amplitudes(rng, k_cosines, amplitudes)
    phi = gaussian_matrix(rng, m, n)
    dictionary = pylops.HStack([pylops.Identity(n), DCT(n).H])
    A = pylops.MatrixMult(phi) @ dictionary
    signal = dictionary @ x_true
    return noisy_problem(
        A,
        x_true,
        phi @ signal,
        snr_db=snr_db,
        rng=rng,
        groups=block_groups([n, n], ["spikes", "cosines"]),
        name="spikes and cosines",
        axes={"t": np.arange(n, dtype=float)},
        extra={"signal": signal, "sensing": phi, "dictionary": dictionary},
    )


def ecg(
    fraction_kept: float = 0.3,
    *,
    n_samples: int = 1024,
    wavelet: str = "db4",
    level: int = 5,
    snr_db: float | None = None,
    rng: Any = None,
) -> Problem:
    r"""Recover a real ECG recording from a random subset of its samples (wavelet-sparse).

    Parameters
    ----------
    fraction_kept : float, default 0.3
        Fraction of the samples observed, in (0, 1]; the kept samples are random.
    n_samples : int, default 1024
        Length of the recording used: the first ``n_samples`` of the 1024 samples of
        ``pywt.data.ecg()``; a multiple of ``2**level``.
    wavelet : str, default "db4"
        A discrete wavelet of PyWavelets (``pywt.wavelist(kind="discrete")``).
    level : int, default 5
        Number of decomposition levels.
    snr_db : float or None, default None
        Signal-to-noise ratio of the kept samples in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator (for the kept samples and the noise).

    Returns
    -------
    Problem
        ``A = R S`` (pylops), ``x_true`` the wavelet coefficients of the recording and
        ``groups`` the wavelet scales ``"cA<level>"``, ``"cD<level>"``, ..., ``"cD1"``.
        ``axes["t"]`` is the sample index; ``extra`` holds the full centred recording
        (``"recording"``), its removed mean (``"mean"``), the kept samples
        (``"kept"``), the synthesis operator ``S`` (``"synthesis"``), so that
        ``extra["synthesis"] @ x`` is the recording a solution ``x`` predicts, and
        ``"recording_noise_std"``, the wavelet estimate of σ of the noiseless
        recording, its own noise (see Notes).

    Notes
    -----
    The recording is converted to float64 and its mean removed (kept in
    ``extra["mean"]``) so that the coarse approximation band does not hold a large
    constant offset. ``x_true = W s`` with ``W = pylops.signalprocessing.DWT`` (periodised
    multilevel transform) and :math:`A = R S`, :math:`R` the restriction to the kept
    samples and :math:`S = W^{-1}` the synthesis. For orthogonal wavelets (Haar,
    Daubechies, Symlets, Coiflets, ``dmey``), ``W`` is orthonormal and :math:`S = W^T`
    is ``DWT.H``. For the biorthogonal families ``DWT.H`` is *not* the inverse, so
    :math:`S` is built as ``DWT(wavelet=<dual>).H`` with the dual family
    (``bior`` ↔ ``rbio``), which is the exact inverse of ``W`` and keeps an exact
    adjoint. Either way ``A @ x_true`` reproduces the kept samples to rounding.

    The recording is a measurement and carries its own noise: its finest wavelet band
    ``cD1`` is dense and noise-like, and its wavelet estimate of σ
    (:func:`~sparseinv.estimate_noise_std` with ``method="wavelet"`` on the noiseless
    recording, ``extra["recording_noise_std"]``) is about 1.2 in the recording's
    units. At 25 dB on the first 512 samples that is 0.6–1.0 times the ``noise_std`` added, so an
    estimate of σ from ``b`` alone sees about :math:`\sqrt{\sigma^2 +
    \sigma_\mathrm{rec}^2} \approx 1.2\,\sigma`: the data cannot tell the two noises
    apart, while ``x_true`` (and so every SNR) counts the recording's noise as signal.

    pylops pads the signal with zeros to the next power of two, so when ``n_samples``
    is not one, ``x_true`` describes the zero-padded recording and has more
    coefficients than samples. The coefficient layout is
    ``[cA_L, cD_L, ..., cD_1]`` as in ``pywt.wavedec``.

    Examples
    --------
    >>> from sparseinv.problems import ecg
    >>> p = ecg(0.25, rng=0)
    >>> p.A.shape, p.groups.labels[:3]
    ((256, 1024), ('cA5', 'cD5', 'cD4'))
    """
    pywt = _import_pywt()
    fraction_kept = check_fraction(fraction_kept, "fraction_kept")
    level = check_positive_number(level, "level", integer=True)
    n = check_positive_number(n_samples, "n_samples", integer=True)
    full = pywt.data.ecg()
    if n > full.size or n % 2**level:
        raise ValueError(
            f"n_samples must be a multiple of 2**level = {2**level} and <= {full.size}; got {n}"
        )
    discrete = pywt.wavelist(kind="discrete")
    if not isinstance(wavelet, str) or wavelet not in discrete:
        raise ValueError(
            f"wavelet must be a discrete PyWavelets wavelet (pywt.wavelist(kind='discrete'), "
            f"e.g. 'db4', 'sym8', 'haar'); got {wavelet!r}"
        )
    snr_db = check_snr(snr_db)
    rng = check_rng(rng)

    mean = float(full[:n].mean())
    recording = full[:n].astype(np.float64) - mean
    analysis = DWT(n, wavelet=wavelet, level=level)
    synthesis = DWT(n, wavelet=_dual_wavelet(wavelet), level=level).H
    x_true = analysis @ recording
    n_padded = analysis.shape[0]
    lengths = [c.size for c in pywt.wavedec(np.zeros(n_padded), wavelet, "periodization", level)]
    labels = [f"cA{level}"] + [f"cD{j}" for j in range(level, 0, -1)]

    kept = draw_subset(rng, n, n_kept(fraction_kept, n))
    # imported here: the selection package imports the problems
    from sparseinv.selection.noise import estimate_noise_std

    recording_noise_std = estimate_noise_std(
        pylops.Identity(n), recording, method="wavelet", wavelet=wavelet
    ).noise_std
    return noisy_problem(
        pylops.Restriction(n, kept) @ synthesis,
        x_true,
        recording[kept],
        snr_db=snr_db,
        rng=rng,
        groups=block_groups(lengths, labels),
        name=f"ECG ({wavelet}, {level} levels, {fraction_kept:.0%} of samples kept)",
        axes={"t": np.arange(n, dtype=float)},
        extra={
            "recording": recording,
            "mean": mean,
            "kept": kept,
            "synthesis": synthesis,
            "recording_noise_std": recording_noise_std,
        },
    )


def _import_pywt() -> Any:
    # PyWavelets is needed only here (and by pylops' DWT), so it is imported on demand
    try:
        import pywt
    except ImportError:
        raise ImportError(
            "ecg needs PyWavelets (the recording and the wavelet transform); "
            "install it with `pip install PyWavelets`"
        ) from None
    return pywt


def _dual_wavelet(wavelet: str) -> str:
    """The family whose synthesis inverts ``wavelet``'s analysis under pylops' DWT adjoint.

    pylops' ``DWT(w).H`` reconstructs with the dual of ``w`` (``bior`` ↔ ``rbio``), so
    ``DWT(dual(w)).H`` reconstructs with ``w`` itself: the inverse of ``DWT(w)``.
    """
    if wavelet.startswith("rbio"):
        return "bior" + wavelet[4:]
    if wavelet.startswith("bior"):
        return "rbio" + wavelet[4:]
    return wavelet
