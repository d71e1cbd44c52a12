r"""Real seismic data: a stacked 3-D volume shipped on PyPI, and sparse problems built on it.

The volume is the demo cube of **SeisLab** 1.0.0 (``pip install seislab``, or
``pip install "sparseinv[field-data]"``), read from the installed package, never
downloaded: ``seislab/demo/seismic.segy``, 103 inlines x 102 crosslines x 101 samples
at 1 ms, 4-byte IBM floats. SeisLab is Copyright (c) 2018-2020 Haibin Di (Cognitive
Geo), released under the GNU Affero General Public License v3 or later; sparseinv does
not copy the file or the package's code, it reads the file where pip put it with its
own SEG-Y reader (:mod:`sparseinv.problems._segy`), so that SeisLab is never imported
(its code does not import on Python >= 3.10).

Its textual header reads ``Created By: seisvolume_inputoutput`` and ``Author: Haibin Di``
and names no survey: the package does not say where the data were recorded. They are
field data by every sign a section shows (faulted, laterally varying reflectors, a
time slice with channel-like bodies, incoherent noise), a post-stack cube cut from a
larger survey.

- :func:`load_stacked_volume` returns the cube and its sampling (:class:`SeismicVolume`);
- :func:`field_trace_interpolation` removes traces of one inline and asks for them back,
  sparse in FK or linear Radon, over the whole section or in overlapping windows
  (pylops ``Patch2D``), where every window is a group;
- :func:`field_spike_deconvolution` deconvolves one real trace with a wavelet estimated
  from the section's own spectrum, its groups time windows.

References
----------
SeisLab 1.0.0, "A python toolbox for seismic data i/o and analysis", Cognitive Geo
(Haibin Di), 2020, https://pypi.org/project/seislab/ (AGPL-3.0-or-later).
"""

from __future__ import annotations

import importlib.metadata
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pylops
from numpy.typing import NDArray
from pylops.signalprocessing import FFT2D, Convolve1D, Patch2D

from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups
from sparseinv.problems._common import (
    block_groups,
    check_choice,
    check_fraction,
    check_rng,
    check_snr,
    draw_subset,
    n_kept,
)
from sparseinv.problems._problem import Problem, add_noise
from sparseinv.problems._segy import read_segy
from sparseinv.problems.seismic import _frequency_bands, _next_pow2, _radon_matrix
from sparseinv.problems.windows import _pair, window_layout

__all__ = [
    "DATA_FILE",
    "DATA_PACKAGE",
    "SeismicVolume",
    "estimate_wavelet",
    "field_spike_deconvolution",
    "field_trace_interpolation",
    "load_stacked_volume",
]

#: the PyPI distribution that ships the volume, and the file inside it
DATA_PACKAGE = "seislab"
DATA_FILE = "seislab/demo/seismic.segy"
#: the inline the builders use by default: the middle of the cube
DEFAULT_INLINE = 51
TRANSFORMS = ("fk", "linear_radon")
WAVELETS = ("zero_phase", "minimum_phase")


@dataclass(frozen=True, eq=False, repr=False)
class SeismicVolume:
    """A post-stack 3-D seismic volume and its sampling.

    Attributes
    ----------
    data : ndarray
        ``(n_inlines, n_crosslines, n_samples)`` float64 amplitudes (read-only).
    dt : float
        Time sampling in seconds.
    inlines, crosslines : ndarray
        The inline and crossline numbers of the trace headers (bytes 189 and 193),
        increasing.
    text_header : str
        The file's 3200-byte textual header.
    path : Path
        The file read.

    Examples
    --------
    >>> from sparseinv.problems import load_stacked_volume
    >>> vol = load_stacked_volume()  # doctest: +SKIP
    >>> vol.data.shape, vol.dt  # doctest: +SKIP
    ((103, 102, 101), 0.001)
    """

    data: NDArray[np.float64]
    dt: float
    inlines: NDArray[np.int64]
    crosslines: NDArray[np.int64]
    text_header: str
    path: Path

    @property
    def t(self) -> NDArray[np.float64]:
        """Two-way time of every sample, in seconds."""
        return np.arange(self.data.shape[2]) * self.dt

    def section(self, inline: int = DEFAULT_INLINE) -> NDArray[np.float64]:
        """One inline: ``(n_crosslines, n_samples)``, a copy.

        Parameters
        ----------
        inline : int, default 51
            An inline number of :attr:`inlines`.

        Returns
        -------
        ndarray
        """
        return self.data[_index_of(inline, self.inlines, "inline")].copy()

    def __repr__(self) -> str:
        n_il, n_xl, nt = self.data.shape
        return (
            f"SeismicVolume({n_il} inlines x {n_xl} crosslines x {nt} samples, "
            f"dt={self.dt:g} s, {self.path.name})"
        )


def load_stacked_volume() -> SeismicVolume:
    r"""The stacked 3-D seismic volume shipped with SeisLab, read from the installed package.

    Returns
    -------
    SeismicVolume
        103 inlines (0-102) x 102 crosslines (0-101) x 101 samples at 1 ms.

    Raises
    ------
    ImportError
        When SeisLab is not installed (``pip install seislab``, or
        ``pip install "sparseinv[field-data]"``).

    Notes
    -----
    Source: ``seislab/demo/seismic.segy`` of SeisLab 1.0.0 (Cognitive Geo, Haibin Di,
    2020; AGPL-3.0-or-later; https://pypi.org/project/seislab/). The file is SEG-Y
    rev 1, big-endian, 4-byte IBM floats, one trace per (inline, crossline) bin in
    inline-major order; the trace headers hold the inline (bytes 189-192) and the
    crossline (193-196) numbers, and the binary header a sample interval of 1000 µs.
    The package names neither the survey nor the bin size, so the builders count
    distances in traces. The file is found through the package's installed-file
    record (:mod:`importlib.metadata`), so SeisLab's own code is never run.

    Examples
    --------
    >>> vol = load_stacked_volume()  # doctest: +SKIP
    >>> vol.inlines[[0, -1]].tolist(), vol.crosslines[[0, -1]].tolist()  # doctest: +SKIP
    ([0, 102], [0, 101])
    """
    segy = read_segy(_data_path())
    inline, crossline = segy.headers["inline"], segy.headers["crossline"]
    inlines, crosslines = np.unique(inline), np.unique(crossline)
    if inline.size != inlines.size * crosslines.size:
        raise ValueError(
            f"{DATA_FILE}: {inline.size} traces do not fill the {inlines.size} x "
            f"{crosslines.size} grid of their inline and crossline numbers"
        )
    cube = np.zeros((inlines.size, crosslines.size, segy.traces.shape[1]))
    cube[np.searchsorted(inlines, inline), np.searchsorted(crosslines, crossline)] = segy.traces
    cube.flags.writeable = False
    return SeismicVolume(
        data=cube,
        dt=segy.sample_interval_us * 1e-6,
        inlines=inlines,
        crosslines=crosslines,
        text_header=segy.text_header,
        path=_data_path(),
    )


def field_trace_interpolation(
    fraction_kept: float = 0.5,
    *,
    inline: int = DEFAULT_INLINE,
    n_traces: int | None = None,
    n_samples: int | None = None,
    transform: str = "fk",
    windows: tuple[int, int] | None = None,
    overlap: tuple[int, int] | None = None,
    n_groups: int = 4,
    nffts: tuple[int, int] | None = None,
    npx: int = 61,
    pxmax: float = 1e-3,
    snr_db: float | None = None,
    rng: Any = None,
    volume: SeismicVolume | None = None,
) -> Problem:
    r"""Remove traces of a real stacked section and ask for them back, globally or in windows.

    Parameters
    ----------
    fraction_kept : float, default 0.5
        Fraction of the traces kept, in (0, 1]; the kept traces are random.
    inline : int, default 51
        The inline of :func:`load_stacked_volume` used as the section.
    n_traces, n_samples : int, optional
        Use only the first ``n_traces`` crosslines and ``n_samples`` samples (all by
        default: 102 x 101), e.g. for a small test.
    transform : {"fk", "linear_radon"}, default "fk"
        Sparsifying transform, over the whole section or in each window.
    windows : (int, int), optional
        Window size ``(traces, samples)``: the section is covered by overlapping windows
        (pylops ``Patch2D``) with one local transform each, and every window is a
        group. None (default) uses one global transform.
    overlap : (int, int), optional
        Overlap of neighbouring windows; default half the window size (rounded down).
        The windows must tile the section exactly: ``(n - window) % (window - overlap)
        == 0`` along each axis.
    n_groups : int, default 4
        Groups of the global transform: temporal-frequency bands (FK) or slowness ranges
        (linear Radon). Ignored with ``windows`` (one group per window).
    nffts : (int, int), optional
        FFT sizes of the (global or local) FK transform; default the next power of two
        of twice the section (or window) size.
    npx : int, default 61
        Slownesses of the linear Radon grid, ``linspace(-pxmax, pxmax, npx)``.
    pxmax : float, default 1e-3
        Largest slowness of the Radon grid, in seconds per trace (the dips of the
        section stay below 1 ms per trace).
    snr_db : float or None, default None
        Noise added to the kept traces, in dB; None adds none (the recorded section
        already holds its field noise).
    rng : int, numpy.random.Generator or None
        Seed or generator for the kept traces and the noise.
    volume : SeismicVolume, optional
        The volume, when already loaded (it is read from SeisLab otherwise).

    Returns
    -------
    Problem
        ``A = R S`` with ``R`` the restriction to the kept traces and ``S`` the
        synthesis (global or windowed); ``b`` the kept traces
        (``data_shape = (n_kept, n_samples)``); ``x_true = None`` (the coefficients of a
        real section are unknown). ``extra`` holds the full section (``"gather"``,
        ``(n_traces, n_samples)``), the kept and removed trace indices (``"kept"``,
        ``"removed"``) and the synthesis (``"synthesis"``: ``(S @ x).real`` reshaped to
        the section is the reconstruction); with ``windows`` also ``"windows"``, the
        layout (:func:`~sparseinv.problems.window_layout`'s dict).

    Notes
    -----
    The truth is the recorded section; score a solution by the SNR of its
    reconstruction over the removed traces, :math:`10\log_{10}(\|d_r\|^2 / \|d_r -
    \hat d_r\|^2)`, or over the whole section.

    - ``"fk"``: :math:`S = F^H`, the adjoint of the orthonormal 2-D Fourier transform
      padded to ``nffts`` (complex; ``b`` is complex with zero imaginary part). Global
      groups: bands of the temporal frequency :math:`|f|` (as
      :func:`~sparseinv.problems.trace_interpolation`).
    - ``"linear_radon"``: :math:`S = L`, the linear Radon synthesis (pylops ``Radon2D``,
      centred offsets, linear interpolation, as a sparse matrix). Global groups:
      slowness ranges.
    - ``windows``: :math:`S = \sum_w P_w^T\, T_w\, S_w`, pylops ``Patch2D``: every window
      :math:`w` has its own coefficients and local synthesis :math:`S_w` (FK padded to
      ``nffts`` or linear Radon on the window's axes), tapered by Hanning windows
      :math:`T_w` that sum to one, and overlap-added. The coefficients of window
      :math:`w` form group :math:`w`, so a λ per group is a λ per window, what the
      practitioners' windowed inversion means by a locally adapted threshold. Each
      window's coefficients are contiguous (``extra["windows"]["model_slices"]``):
      with windows along time only, every window sees the same kept traces and the same
      :math:`R S_w`, so the windows can also be solved as the columns of one batched
      solve.

    Examples
    --------
    >>> from sparseinv.problems import field_trace_interpolation
    >>> p = field_trace_interpolation(n_traces=32, n_samples=48, rng=0)  # doctest: +SKIP
    >>> p.A.shape, p.data_shape, p.extra["removed"].size  # doctest: +SKIP
    ((768, 8192), (16, 48), 16)
    """
    fraction_kept = check_fraction(fraction_kept, "fraction_kept")
    transform = check_choice(transform, "transform", TRANSFORMS)
    snr_db = check_snr(snr_db)
    npx = check_positive_number(npx, "npx", integer=True)
    pxmax = check_positive_number(pxmax, "pxmax")
    n_groups = check_positive_number(n_groups, "n_groups", integer=True)
    volume = load_stacked_volume() if volume is None else _check_volume(volume)
    gather = _crop(volume.section(inline), n_traces, n_samples)
    nx, nt = gather.shape
    if nx < 2 or nt < 4:
        raise ValueError(f"the section must have >= 2 traces and >= 4 samples; got {nx} x {nt}")
    rng = check_rng(rng)
    kept = draw_subset(rng, nx, n_kept(fraction_kept, nx))
    removed = np.setdiff1d(np.arange(nx), kept)
    t, x = np.arange(nt) * volume.dt, np.arange(nx, dtype=float)
    px = np.linspace(-pxmax, pxmax, npx)
    dtype = np.complex128 if transform == "fk" else np.float64
    extra: dict[str, Any] = {"gather": gather, "kept": kept, "removed": removed}
    axes: dict[str, NDArray] = {"t": t, "x": x}

    if windows is None:
        if transform == "fk":
            nffts = _nffts(nffts, nx, nt)
            if n_groups > nffts[1] // 2:
                raise ValueError(
                    f"n_groups must be <= nffts[1] // 2 ({nffts[1] // 2}); got {n_groups}"
                )
            F = FFT2D(dims=(nx, nt), nffts=nffts, sampling=(1.0, volume.dt), dtype=dtype)
            synthesis, model_shape = F.H, nffts
            groups = _frequency_bands(F.f2, nffts[0], n_groups, volume.dt)
            axes.update(kx=F.f1, f=F.f2)
        else:
            if n_groups > npx:
                raise ValueError(f"n_groups must be <= npx ({npx}); got {n_groups}")
            synthesis, model_shape = _radon_matrix(t, x, px, "linear"), (npx, nt)
            chunks = np.array_split(np.arange(npx), n_groups)
            groups = block_groups(
                [c.size * nt for c in chunks],
                [f"px {px[c[0]] * 1e3:.2f} to {px[c[-1]] * 1e3:.2f} ms/trace" for c in chunks],
            )
            axes["px"] = px
        label = f"global {transform}"
    else:
        wx, wt = _pair(windows, "windows")
        if transform == "fk":
            local_nffts = _nffts(nffts, wx, wt)
            local = FFT2D(dims=(wx, wt), nffts=local_nffts, dtype=dtype).H
        else:
            local_nffts = (npx, wt)
            local = _radon_matrix(
                np.arange(wt) * volume.dt, np.arange(wx, dtype=float), px, "linear"
            )
        layout = window_layout((nx, nt), windows, overlap, local_shape=local_nffts)
        synthesis = Patch2D(
            local,
            layout["model_shape"],
            (nx, nt),
            layout["window"],
            layout["overlap"],
            local_nffts,
            tapertype="hanning",
        )
        model_shape = layout["model_shape"]
        groups = Groups.from_indices(
            [np.arange(s.start, s.stop) for s in layout["model_slices"]], labels=layout["labels"]
        )
        extra["windows"] = layout
        label = f"{layout['n_windows']} windows of {wx} x {wt}, {transform}"
        if transform == "linear_radon":
            axes["px"] = px

    R = pylops.Restriction((nx, nt), kept, axis=0, forceflat=True, dtype=dtype)
    clean = gather[kept].ravel()
    noisy, sigma = add_noise(clean, snr_db, rng=rng)
    extra["synthesis"] = synthesis
    return Problem(
        A=R @ synthesis,
        b=noisy.astype(dtype),
        x_true=None,
        groups=groups,
        noise_std=sigma,
        name=f"field trace interpolation (inline {inline}, {label}, {kept.size} of {nx} traces)",
        b_clean=clean.astype(dtype),
        model_shape=tuple(model_shape),
        data_shape=(kept.size, nt),
        axes=axes,
        dt=volume.dt,
        extra=extra,
    )


def estimate_wavelet(
    traces: NDArray,
    n_samples: int = 31,
    *,
    phase: str = "zero_phase",
) -> NDArray[np.float64]:
    r"""A statistical wavelet from the amplitude spectrum of traces: zero or minimum phase.

    Parameters
    ----------
    traces : ndarray
        ``(n_traces, nt)`` or ``(nt,)`` real traces.
    n_samples : int, default 31
        Wavelet length, odd, at most ``nt``.
    phase : {"zero_phase", "minimum_phase"}, default "zero_phase"
        The phase given to the amplitude spectrum.

    Returns
    -------
    ndarray
        The wavelet, unit peak amplitude; zero phase is centred on sample
        ``n_samples // 2``, minimum phase starts at sample 0.

    Notes
    -----
    With white reflectivity the power spectrum of a trace is that of the wavelet, so
    :math:`|W(f)| = \sqrt{\overline{|D_i(f)|^2}}`, the average over traces (the
    autocorrelation method). A zero-phase wavelet is the inverse transform of
    :math:`|W|` itself, tapered by a Hann window to ``n_samples``; a minimum-phase one
    has the phase of the Hilbert transform of :math:`\log|W|` (Kolmogorov's method: the
    causal part of the real cepstrum), truncated and tapered by the falling half of a
    Hann window.

    Examples
    --------
    >>> import numpy as np
    >>> from pylops.utils.wavelets import ricker
    >>> w, _, c = ricker(np.arange(15) * 0.004, f0=20)
    >>> trace = np.convolve(np.random.default_rng(0).standard_normal(400), w, "same")
    >>> est = estimate_wavelet(trace, w.size)
    >>> est.shape, int(np.argmax(est)), bool(np.corrcoef(est, w)[0, 1] > 0.9)
    ((29,), 14, True)
    """
    traces = np.atleast_2d(np.asarray(traces, dtype=float))
    if traces.ndim != 2 or not np.all(np.isfinite(traces)):
        raise ValueError(f"traces must be a finite 1-D or 2-D array; got shape {traces.shape}")
    nt = traces.shape[1]
    n_samples = check_positive_number(n_samples, "n_samples", integer=True)
    if n_samples % 2 == 0 or n_samples > nt:
        raise ValueError(f"n_samples must be odd and <= nt ({nt}); got {n_samples}")
    phase = check_choice(phase, "phase", WAVELETS)
    nfft = _next_pow2(4 * nt)
    amplitude = np.sqrt(np.mean(np.abs(np.fft.fft(traces, nfft, axis=1)) ** 2, axis=0))
    half = n_samples // 2
    if phase == "zero_phase":
        full = np.fft.ifft(amplitude).real
        wav = np.concatenate([full[-half:], full[: half + 1]]) * np.hanning(n_samples + 2)[1:-1]
    else:
        # Kolmogorov: fold the real cepstrum of log|W| onto positive quefrencies
        cepstrum = np.fft.ifft(np.log(np.maximum(amplitude, 1e-12 * amplitude.max()))).real
        fold = np.zeros(nfft)
        fold[0], fold[nfft // 2] = cepstrum[0], cepstrum[nfft // 2]
        fold[1 : nfft // 2] = 2.0 * cepstrum[1 : nfft // 2]
        full = np.fft.ifft(np.exp(np.fft.fft(fold))).real
        wav = full[:n_samples] * np.hanning(2 * n_samples + 1)[n_samples:-1]
    return wav / np.max(np.abs(wav))


def field_spike_deconvolution(
    *,
    inline: int = DEFAULT_INLINE,
    crossline: int = 50,
    wavelet_phase: str = "zero_phase",
    wavelet_samples: int = 31,
    n_windows: int = 4,
    fraction_fit: float = 0.7,
    rng: Any = None,
    volume: SeismicVolume | None = None,
) -> Problem:
    r"""Spike deconvolution of one real trace with a wavelet estimated from its section.

    Parameters
    ----------
    inline, crossline : int, default 51, 50
        The trace deconvolved.
    wavelet_phase : {"zero_phase", "minimum_phase"}, default "zero_phase"
        Phase of the estimated wavelet (:func:`estimate_wavelet`).
    wavelet_samples : int, default 31
        Wavelet length, odd.
    n_windows : int, default 4
        Equal time windows of the reflectivity, the groups.
    fraction_fit : float, default 0.7
        Fraction of the trace's samples fitted, in (0, 1]; the others (random) are held
        out to score a solution, since the true reflectivity is unknown.
    rng : int, numpy.random.Generator or None
        Seed or generator of the held-out samples.
    volume : SeismicVolume, optional
        The volume, when already loaded.

    Returns
    -------
    Problem
        ``A = R C`` with ``C`` the convolution with the wavelet (pylops ``Convolve1D``,
        ``nt x nt``) and ``R`` the restriction to the fitted samples; ``b`` those
        samples; ``x_true = None``. ``groups`` are the time windows (labelled like
        ``"0-25 ms"``); ``extra`` holds the trace (``"trace"``), the convolution
        (``"convolution"``, so ``C @ x`` is the trace a reflectivity predicts), the
        fitted and held-out sample indices (``"fit"``, ``"held_out"``) and the wavelet
        (``"wavelet"``, ``"wavelet_center"``).

    Notes
    -----
    The wavelet comes from the power spectrum averaged over every trace of the inline
    (:func:`estimate_wavelet`): a statistical estimate, the usual one when no well tie
    is at hand. The score of a reflectivity :math:`\hat r` is how well it predicts the
    samples it was not fitted to: :math:`10\log_{10}(\|d_h\|^2 / \|d_h - (C\hat r)_h\|^2)`
    over the held-out samples :math:`h`.

    Examples
    --------
    >>> p = field_spike_deconvolution(rng=0)  # doctest: +SKIP
    >>> p.A.shape, p.groups.labels[0]  # doctest: +SKIP
    ((71, 101), '0-25 ms')
    """
    phase = check_choice(wavelet_phase, "wavelet_phase", WAVELETS)
    fraction_fit = check_fraction(fraction_fit, "fraction_fit")
    volume = load_stacked_volume() if volume is None else _check_volume(volume)
    section = volume.section(inline)
    trace = section[_index_of(crossline, volume.crosslines, "crossline")]
    nt = trace.size
    n_windows = check_positive_number(n_windows, "n_windows", integer=True)
    if n_windows > nt:
        raise ValueError(f"n_windows must be <= the trace length ({nt}); got {n_windows}")
    rng = check_rng(rng)
    wav = estimate_wavelet(section, wavelet_samples, phase=phase)
    center = wavelet_samples // 2 if phase == "zero_phase" else 0
    C = Convolve1D(nt, h=wav, offset=center)
    fit = draw_subset(rng, nt, n_kept(fraction_fit, nt))
    held_out = np.setdiff1d(np.arange(nt), fit)
    sizes = [w.size for w in np.array_split(np.arange(nt), n_windows)]
    edges = np.concatenate([[0], np.cumsum(sizes)]) * volume.dt * 1e3
    labels = [f"{lo:.0f}-{hi:.0f} ms" for lo, hi in itertools.pairwise(edges)]
    return Problem(
        A=pylops.Restriction(nt, fit) @ C,
        b=trace[fit],
        x_true=None,
        groups=block_groups(sizes, labels),
        noise_std=0.0,
        name=f"field spike deconvolution (inline {inline}, crossline {crossline}, {phase})",
        b_clean=trace[fit],
        axes={"t": volume.t},
        dt=volume.dt,
        extra={
            "trace": trace,
            "convolution": C,
            "fit": fit,
            "held_out": held_out,
            "wavelet": wav,
            "wavelet_center": center,
        },
    )


# ---------------------------------------------------------------------------- helpers
def _data_path() -> Path:
    try:
        dist = importlib.metadata.distribution(DATA_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise ImportError(
            f"the field data ship with the {DATA_PACKAGE!r} package; install it with "
            f'`pip install {DATA_PACKAGE}` or `pip install "sparseinv[field-data]"`'
        ) from None
    path = Path(str(dist.locate_file(DATA_FILE)))
    if not path.is_file():
        raise ImportError(f"{DATA_PACKAGE} is installed but {DATA_FILE} is missing ({path})")
    return path


def _check_volume(volume: Any) -> SeismicVolume:
    if not isinstance(volume, SeismicVolume):
        raise TypeError(
            f"volume must be a SeismicVolume (load_stacked_volume()); got {type(volume).__name__}"
        )
    return volume


def _index_of(number: Any, numbers: NDArray, name: str) -> int:
    hits = np.flatnonzero(numbers == number) if isinstance(number, (int, np.integer)) else []
    if isinstance(number, bool) or len(hits) != 1:
        raise ValueError(
            f"{name} must be one of the volume's {name} numbers "
            f"({numbers[0]}..{numbers[-1]}); got {number!r}"
        )
    return int(hits[0])


def _crop(section: NDArray, n_traces: Any, n_samples: Any) -> NDArray:
    nx, nt = section.shape
    if n_traces is not None:
        nx = check_positive_number(n_traces, "n_traces", integer=True)
        if nx > section.shape[0]:
            raise ValueError(f"n_traces must be <= {section.shape[0]}; got {nx}")
    if n_samples is not None:
        nt = check_positive_number(n_samples, "n_samples", integer=True)
        if nt > section.shape[1]:
            raise ValueError(f"n_samples must be <= {section.shape[1]}; got {nt}")
    return np.ascontiguousarray(section[:nx, :nt])


def _nffts(nffts: Any, nx: int, nt: int) -> tuple[int, int]:
    if nffts is None:
        return _next_pow2(2 * nx), _next_pow2(2 * nt)
    pair = _pair(nffts, "nffts")
    if pair[0] < nx or pair[1] < nt:
        raise ValueError(f"nffts must be >= ({nx}, {nt}); got {pair}")
    return pair
