"""Seismic sparse problems with pylops operators: spike deconvolution, trace
interpolation in the FK or linear Radon domain, and a linear + parabolic Radon pair."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pylops
import scipy.sparse as sp
from numpy.typing import NDArray
from pylops.signalprocessing import FFT2D, Convolve1D, Radon2D
from pylops.utils.wavelets import ricker

from sparseinv._validation import check_positive_number
from sparseinv.groups import Groups
from sparseinv.problems._common import (
    block_groups,
    check_choice,
    check_count,
    check_fraction,
    check_rng,
    check_snr,
    distinct_format,
    draw_amplitudes,
    draw_subset,
    n_kept,
)
from sparseinv.problems._problem import Problem, add_noise, noisy_problem

__all__ = ["radon_two_dictionary", "spike_deconvolution", "trace_interpolation"]

TRANSFORMS = ("fk", "linear_radon")


def spike_deconvolution(
    nt: int = 1000,
    dt: float = 0.002,
    f0: float = 30.0,
    *,
    n_spikes: int | None = None,
    decay: float = 1.5,
    n_windows: int = 4,
    snr_db: float | None = 20.0,
    rng: Any = None,
) -> Problem:
    r"""A sparse reflectivity with decaying amplitudes, blurred by a Ricker wavelet.

    Parameters
    ----------
    nt : int, default 1000
        Number of time samples.
    dt : float, default 0.002
        Time sampling in seconds.
    f0 : float, default 30.0
        Peak frequency of the Ricker wavelet in Hz, below the Nyquist ``1 / (2 dt)``.
    n_spikes : int, optional
        Number of reflectors; default ``max(1, nt // 40)`` (25 for 1000 samples).
    decay : float, default 1.5
        Amplitude decay rate in 1/s (see Notes); 0 keeps all amplitudes of one order.
    n_windows : int, default 4
        Number of equal time windows, the groups.
    snr_db : float or None, default 20.0
        Signal-to-noise ratio of the trace in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    Problem
        ``A`` is a pylops ``Convolve1D`` (``nt x nt``), ``x_true`` the reflectivity,
        ``groups`` the time windows labelled like ``"0.00-0.50 s"``; ``axes["t"]``,
        ``dt`` and ``extra["wavelet"]`` are set.

    Notes
    -----
    The reflectors sit at random samples with amplitudes

    .. math:: r_k = \pm u_k \, e^{-\text{decay}\, t_k}, \qquad u_k \sim U(0.5, 1),

    an exponential envelope that mimics spherical divergence and attenuation: late
    reflectors are weaker, so with one noise level the early windows are easy and the
    late ones hard, and a λ per window pays off. The trace is ``b = w * r`` with
    ``w`` a zero-phase Ricker wavelet centred at time 0 (pylops ``Convolve1D`` with
    ``offset`` at the wavelet centre).

    Examples
    --------
    >>> from sparseinv.problems import spike_deconvolution
    >>> p = spike_deconvolution(200, rng=0)
    >>> p.A.shape, p.groups.labels[0], int((p.x_true != 0).sum())
    ((200, 200), '0.00-0.10 s', 5)
    """
    nt = check_positive_number(nt, "nt", integer=True)
    if nt < 4:
        raise ValueError(f"nt must be >= 4; got {nt}")
    dt = check_positive_number(dt, "dt")
    f0 = _check_f0(f0, dt)
    if n_spikes is None:
        n_spikes = max(1, nt // 40)
    k = check_count(n_spikes, "n_spikes", nt, "nt")
    decay = check_positive_number(decay, "decay", allow_zero=True)
    n_windows = check_count(n_windows, "n_windows", nt, "nt")
    if n_windows == 0:
        raise ValueError("n_windows must be >= 1; got 0")
    snr_db = check_snr(snr_db)
    rng = check_rng(rng)

    t = np.arange(nt) * dt
    wav, center = _ricker(nt, dt, f0)
    A = Convolve1D(nt, h=wav, offset=center)
    where = draw_subset(rng, nt, k)
    signs = draw_amplitudes(rng, k, "sign")
    x_true = np.zeros(nt)
    x_true[where] = signs * rng.uniform(0.5, 1.0, size=k) * np.exp(-decay * t[where])

    sizes = [w.size for w in np.array_split(np.arange(nt), n_windows)]
    edges = np.concatenate([[0], np.cumsum(sizes)]) * dt
    fmt = distinct_format(edges, 2)
    labels = [f"{fmt(lo)}-{fmt(hi)} s" for lo, hi in itertools.pairwise(edges)]
    return noisy_problem(
        A,
        x_true,
        A @ x_true,
        snr_db=snr_db,
        rng=rng,
        groups=block_groups(sizes, labels),
        name=f"spike deconvolution ({k} reflectors, {f0:g} Hz Ricker)",
        axes={"t": t},
        dt=dt,
        extra={"wavelet": wav, "wavelet_center": center, "envelope": np.exp(-decay * t)},
    )


def trace_interpolation(
    nt: int = 80,
    nx: int = 70,
    fraction_kept: float = 0.5,
    *,
    transform: str = "fk",
    dt: float = 0.004,
    dx: float = 2.0,
    f0: float = 20.0,
    n_events: int = 3,
    npx: int = 40,
    pxmax: float = 1e-3,
    nffts: tuple[int, int] | None = None,
    n_groups: int = 4,
    snr_db: float | None = None,
    rng: Any = None,
) -> Problem:
    r"""Fill in missing traces of a gather of linear events, sparse in FK or linear Radon.

    Parameters
    ----------
    nt : int, default 80
        Time samples per trace.
    nx : int, default 70
        Number of traces (regular spacing ``dx``).
    fraction_kept : float, default 0.5
        Fraction of the traces recorded, in (0, 1]; the kept traces are random.
    transform : {"fk", "linear_radon"}, default "fk"
        Sparsifying transform: the 2-D Fourier (frequency-wavenumber) domain or the
        linear Radon (slowness-intercept time) domain.
    dt : float, default 0.004
        Time sampling in seconds.
    dx : float, default 2.0
        Trace spacing in metres.
    f0 : float, default 20.0
        Peak frequency of the Ricker wavelet in Hz.
    n_events : int, default 3
        Number of linear events, at most ``npx``.
    npx : int, default 40
        Number of slownesses of the Radon grid, ``linspace(-pxmax, pxmax, npx)``.
    pxmax : float, default 1e-3
        Largest slowness of the Radon grid in s/m.
    nffts : tuple of int, optional
        FFT sizes ``(nfft_x, nfft_t)`` for ``"fk"``; default the next power of two of
        ``2 nx`` and ``2 nt`` (256 x 256 for the default gather, as in pylops).
    n_groups : int, default 4
        Number of groups: temporal-frequency bands (``"fk"``) or slowness ranges
        (``"linear_radon"``).
    snr_db : float or None, default None
        Signal-to-noise ratio of the recorded traces in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator; a given seed gives the same gather and the same kept traces
        for both transforms, so the two can be compared on identical data.

    Returns
    -------
    Problem
        ``A = R T`` with ``R`` the restriction to the kept traces (pylops
        ``Restriction`` along the trace axis) and ``T`` the synthesis of the
        transform. ``b`` holds the kept traces (``data_shape = (n_kept, nt)``);
        ``extra`` holds the full gather (``"gather"``, ``(nx, nt)``), the kept trace
        indices (``"kept"``), the synthesis ``T`` (``"synthesis"``, so that
        ``(T @ x).real.reshape(nx, nt)`` is the gather a solution predicts), the Radon
        model the gather was made from (``"radon_model"``) and the events
        (``"events"``).

    Notes
    -----
    The geometry defaults mirror the pylops seismic interpolation tutorial: 70 traces
    2 m apart, 80 samples at 4 ms, three linear events and a 20 Hz Ricker wavelet,
    Radon grid of 40 slownesses within ±1 ms/m. The events have slownesses drawn from
    the Radon grid, intercepts (at the centre trace) in the middle three fifths of the
    record and amplitudes :math:`\pm U(0.5, 2)`. The gather is made *from* a Radon
    model: spikes at ``(px, t0)`` convolved with the wavelet along time, then
    :math:`d = L m` with :math:`L` the linear Radon operator (pylops ``Radon2D``,
    ``kind="linear"``, ``centeredh=True``, ``interp=True``).

    - ``"linear_radon"``: :math:`T = L`, ``x_true = m`` (``model_shape = (npx, nt)``),
      so the gather is exactly :math:`L x_\text{true}`; ``x_true`` is sparse in
      slowness and band-limited in time. ``L`` is applied as a scipy sparse matrix
      (``pylops.MatrixMult``) holding exactly the weights of ``Radon2D``, because the
      numpy engine of ``Radon2D`` loops in Python. Groups: ``n_groups`` contiguous
      slowness ranges, labelled like ``"px -1.00 to -0.54 ms/m"``.
    - ``"fk"``: :math:`T = F^H` with :math:`F` the orthonormal ``FFT2D`` padded to
      ``nffts``; ``x_true = F d`` (complex, ``model_shape = nffts``, unshifted
      numpy FFT order), and :math:`F^H F = I` so :math:`A x_\text{true}` is exactly
      the kept traces. ``A`` and ``b`` are complex (the noise is real, added to the
      real traces). Groups: ``n_groups`` equal bands of the temporal frequency
      magnitude :math:`|f|` from 0 to Nyquist, every wavenumber included, labelled
      like ``"0-31 Hz"``; the Ricker energy sits in the low bands.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseinv.problems import trace_interpolation
    >>> p = trace_interpolation(rng=0)
    >>> p.A.shape, p.model_shape, p.data_shape
    ((2800, 65536), (256, 256), (35, 80))
    >>> bool(np.allclose(p.A @ p.x_true, p.b_clean))
    True
    """
    nt, nx = _check_gather(nt, nx)
    fraction_kept = check_fraction(fraction_kept, "fraction_kept")
    transform = check_choice(transform, "transform", TRANSFORMS)
    dt = check_positive_number(dt, "dt")
    dx = check_positive_number(dx, "dx")
    f0 = _check_f0(f0, dt)
    npx = check_positive_number(npx, "npx", integer=True)
    n_events = check_count(n_events, "n_events", npx, "npx")
    pxmax = check_positive_number(pxmax, "pxmax")
    if nffts is None:
        nffts = (_next_pow2(2 * nx), _next_pow2(2 * nt))
    nffts = _check_nffts(nffts, nx, nt)
    n_groups = check_positive_number(n_groups, "n_groups", integer=True)
    max_groups = npx if transform == "linear_radon" else nffts[1] // 2
    what = "npx" if transform == "linear_radon" else "nffts[1] // 2"
    if n_groups > max_groups:
        raise ValueError(f"n_groups must be <= {what} ({max_groups}); got {n_groups}")
    snr_db = check_snr(snr_db)
    rng = check_rng(rng)

    t = np.arange(nt) * dt
    x = np.arange(nx) * dx
    px = np.linspace(-pxmax, pxmax, npx)
    L = _radon_matrix(t, x, px, "linear")
    wav, center = _ricker(nt, dt, f0)
    model, events = _event_model(rng, px, nt, n_events, wav, center, dt)
    events["px"] = events.pop("p")
    gather = (L @ model.ravel()).reshape(nx, nt)
    kept = draw_subset(rng, nx, n_kept(fraction_kept, nx))
    d_clean = gather[kept].ravel()
    d, sigma = add_noise(d_clean, snr_db, rng=rng)
    axes = {"t": t, "x": x, "px": px}

    if transform == "linear_radon":
        R = pylops.Restriction((nx, nt), kept, axis=0, forceflat=True)
        A, synthesis, x_true = R @ L, L, model.ravel()
        model_shape: tuple[int, ...] = (npx, nt)
        chunks = np.array_split(np.arange(npx), n_groups)
        fmt = distinct_format([px[c[0]] * 1e3 for c in chunks], 2)
        groups = block_groups(
            [c.size * nt for c in chunks],
            [f"px {fmt(px[c[0]] * 1e3)} to {fmt(px[c[-1]] * 1e3)} ms/m" for c in chunks],
        )
        b, b_clean = d, d_clean
    else:
        F = FFT2D(dims=(nx, nt), nffts=nffts, sampling=(dx, dt), dtype=np.complex128)
        R = pylops.Restriction((nx, nt), kept, axis=0, forceflat=True, dtype=np.complex128)
        A, synthesis, x_true = R @ F.H, F.H, F @ gather.ravel()
        model_shape = nffts
        groups = _frequency_bands(F.f2, nffts[0], n_groups, dt)
        b, b_clean = d.astype(np.complex128), d_clean.astype(np.complex128)
        axes.update(kx=F.f1, f=F.f2)

    return Problem(
        A=A,
        b=b,
        x_true=x_true,
        groups=groups,
        noise_std=sigma,
        name=f"trace interpolation ({transform}, {kept.size} of {nx} traces)",
        b_clean=b_clean,
        model_shape=model_shape,
        data_shape=(kept.size, nt),
        axes=axes,
        dt=dt,
        extra={
            "gather": gather,
            "kept": kept,
            "synthesis": synthesis,
            "radon_model": model,
            "events": events,
            "wavelet": wav,
        },
    )


def radon_two_dictionary(
    nt: int = 100,
    nx: int = 60,
    *,
    dt: float = 0.004,
    dx: float = 10.0,
    f0: float = 20.0,
    n_linear: int = 2,
    n_parabolic: int = 2,
    npx_linear: int = 61,
    npx_parabolic: int = 16,
    pxmax: float = 5e-4,
    qmax: float = 1e-6,
    snr_db: float | None = None,
    rng: Any = None,
) -> Problem:
    r"""A gather of linear and parabolic events, modelled by two Radon dictionaries.

    Parameters
    ----------
    nt : int, default 100
        Time samples per trace.
    nx : int, default 60
        Number of traces.
    dt : float, default 0.004
        Time sampling in seconds.
    dx : float, default 10.0
        Trace spacing in metres.
    f0 : float, default 20.0
        Peak frequency of the Ricker wavelet in Hz.
    n_linear : int, default 2
        Number of linear events, at most ``npx_linear``.
    n_parabolic : int, default 2
        Number of parabolic events, at most ``npx_parabolic``.
    npx_linear : int, default 61
        Slownesses of the linear dictionary, ``linspace(-pxmax, pxmax, npx_linear)``.
    npx_parabolic : int, default 16
        Curvatures of the parabolic dictionary, ``linspace(qmax / npx_parabolic, qmax,
        npx_parabolic)``.
    pxmax : float, default 5e-4
        Largest slowness in s/m (a moveout of 0.15 s over the half-spread by default).
    qmax : float, default 1e-6
        Largest curvature in s/m² (0.09 s at the far offset by default).
    snr_db : float or None, default None
        Signal-to-noise ratio of the gather in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    Problem
        ``A = [L, P]`` (``pylops.HStack``), ``x_true`` the two Radon models one after
        the other, ``groups`` the two dictionaries ``"linear"`` and ``"parabolic"``
        (``npx_linear * nt`` and ``npx_parabolic * nt`` coefficients), ``b`` the
        whole gather (``data_shape = (nx, nt)``). ``extra`` holds the operators
        (``"linear"``, ``"parabolic"``), the model shapes (``"model_shapes"``), the
        noiseless gather (``"gather"``) and the events (``"events"``).

    Notes
    -----
    With offsets :math:`h` centred on the middle trace, a linear event is
    :math:`t = t_0 + p h` and a parabolic one :math:`t = t_0 + q h^2`. The gather is
    :math:`d = L m_L + P m_P` where :math:`m_L, m_P` are spikes at (slowness or
    curvature, intercept) convolved with a Ricker wavelet along time, and
    :math:`L, P` are pylops ``Radon2D`` (``kind="linear"`` and ``"parabolic"``,
    ``centeredh=True``, ``interp=True``; for the parabolic one pylops expects the
    curvature times ``dx``), applied as sparse matrices with the same weights.
    The curvatures are strictly positive so that no atom is shared with the linear
    dictionary (a flat event is ``p = 0``). The two dictionaries differ in size, the
    seismic twin of :func:`~sparseinv.problems.layers`.

    Examples
    --------
    >>> from sparseinv.problems import radon_two_dictionary
    >>> p = radon_two_dictionary(rng=0)
    >>> p.groups.labels, p.groups.sizes.tolist(), p.A.shape
    (('linear', 'parabolic'), [6100, 1600], (6000, 7700))
    """
    nt, nx = _check_gather(nt, nx)
    dt = check_positive_number(dt, "dt")
    dx = check_positive_number(dx, "dx")
    f0 = _check_f0(f0, dt)
    npx_linear = check_positive_number(npx_linear, "npx_linear", integer=True)
    npx_parabolic = check_positive_number(npx_parabolic, "npx_parabolic", integer=True)
    n_linear = check_count(n_linear, "n_linear", npx_linear, "npx_linear")
    n_parabolic = check_count(n_parabolic, "n_parabolic", npx_parabolic, "npx_parabolic")
    pxmax = check_positive_number(pxmax, "pxmax")
    qmax = check_positive_number(qmax, "qmax")
    snr_db = check_snr(snr_db)
    rng = check_rng(rng)

    t = np.arange(nt) * dt
    x = np.arange(nx) * dx
    px = np.linspace(-pxmax, pxmax, npx_linear)
    q = np.linspace(qmax / npx_parabolic, qmax, npx_parabolic)
    L = _radon_matrix(t, x, px, "linear")
    P = _radon_matrix(t, x, q, "parabolic")
    wav, center = _ricker(nt, dt, f0)
    m_lin, ev_lin = _event_model(rng, px, nt, n_linear, wav, center, dt)
    m_par, ev_par = _event_model(rng, q, nt, n_parabolic, wav, center, dt)
    ev_lin["px"], ev_par["q"] = ev_lin.pop("p"), ev_par.pop("p")
    x_true = np.concatenate([m_lin.ravel(), m_par.ravel()])
    A = pylops.HStack([L, P])
    b_clean = A @ x_true
    return noisy_problem(
        A,
        x_true,
        b_clean,
        snr_db=snr_db,
        rng=rng,
        groups=block_groups([m_lin.size, m_par.size], ["linear", "parabolic"]),
        name=f"linear + parabolic Radon ({n_linear} + {n_parabolic} events)",
        data_shape=(nx, nt),
        axes={"t": t, "x": x, "px": px, "q": q},
        dt=dt,
        extra={
            "linear": L,
            "parabolic": P,
            "model_shapes": {"linear": (npx_linear, nt), "parabolic": (npx_parabolic, nt)},
            "gather": b_clean.reshape(nx, nt),
            "events": {"linear": ev_lin, "parabolic": ev_par},
            "wavelet": wav,
        },
    )


# ---------------------------------------------------------------------------- helpers
def _check_gather(nt: Any, nx: Any) -> tuple[int, int]:
    """Samples per trace and number of traces of a gather.

    At least 4 samples, which the Ricker wavelet of :func:`_ricker` needs, and 2
    traces, which the trace spacing of :func:`_radon_matrix` needs.
    """
    nt = check_positive_number(nt, "nt", integer=True)
    nx = check_positive_number(nx, "nx", integer=True)
    if nt < 4:
        raise ValueError(f"nt must be >= 4; got {nt}")
    if nx < 2:
        raise ValueError(f"nx must be >= 2; got {nx}")
    return nt, nx


def _check_f0(f0: Any, dt: float) -> float:
    f0 = check_positive_number(f0, "f0")
    nyquist = 0.5 / dt
    if f0 >= nyquist:
        raise ValueError(
            f"f0 must be below the Nyquist frequency 1/(2 dt) = {nyquist:g} Hz; got {f0}"
        )
    return f0


def _check_nffts(nffts: Any, nx: int, nt: int) -> tuple[int, int]:
    try:
        nfx, nft = (int(v) for v in nffts)
    except (TypeError, ValueError):
        raise ValueError(f"nffts must be a pair of ints (nfft_x, nfft_t); got {nffts!r}") from None
    if nfx < nx or nft < nt:
        raise ValueError(f"nffts must be >= (nx, nt) = ({nx}, {nt}); got ({nfx}, {nft})")
    return nfx, nft


def _next_pow2(n: int) -> int:
    return 1 << max(0, math.ceil(math.log2(n)))


def _ricker(nt: int, dt: float, f0: float) -> tuple[NDArray, int]:
    """A zero-phase Ricker wavelet and the index of its centre.

    Half-length ``1/(f0 dt) + 1`` samples, where the Ricker envelope has decayed below
    1e-4 of its peak; capped so that ``Convolve1D`` accepts it for short traces.
    """
    nhalf = min(math.ceil(1.0 / (f0 * dt)) + 1, max(1, (nt - 2) // 2))
    wav, _, center = ricker(np.arange(nhalf + 1) * dt, f0=f0)
    return wav, int(center)


def _event_model(
    rng: np.random.Generator,
    p: NDArray,
    nt: int,
    n_events: int,
    wav: NDArray,
    center: int,
    dt: float,
) -> tuple[NDArray, dict[str, NDArray]]:
    """A Radon model: spikes at random (p, t0) convolved with the wavelet along time."""
    ip = draw_subset(rng, p.size, n_events)
    it = rng.integers(nt // 5, max(nt // 5 + 1, (4 * nt) // 5), size=n_events)
    amp = draw_amplitudes(rng, n_events, "sign") * rng.uniform(0.5, 2.0, n_events)
    spikes = np.zeros((p.size, nt))
    np.add.at(spikes, (ip, it), amp)
    conv = Convolve1D((p.size, nt), h=wav, offset=center, axis=1)
    model = (conv @ spikes.ravel()).reshape(p.size, nt)
    return model, {"p": p[ip], "t0": it * dt, "it0": it, "amplitude": amp}


def _radon_matrix(t: NDArray, x: NDArray, p: NDArray, kind: str) -> pylops.MatrixMult:
    """pylops ``Radon2D`` (centred offsets, linear interpolation) as a sparse matrix.

    ``p`` is the physical slowness (s/m, linear) or curvature (s/m², parabolic). The
    weights are read from the look-up tables pylops builds, so the map is the same as
    ``Radon2D``'s; only the application is vectorised (the numpy engine loops in Python).
    """
    dx = float(x[1] - x[0])
    # pylops expects the parabolic curvature pre-multiplied by dx (see Radon2D notes)
    p_pylops = p * dx if kind == "parabolic" else p
    op = Radon2D(t, x, p_pylops, kind=kind, centeredh=True, interp=True, engine="numpy")
    table, dtable = op.table, op.dtable  # (np, nt, nx): sample index and fraction
    nt, nx = t.size, x.size
    ip, it, ix = np.nonzero(~np.isnan(table))
    t_index = table[ip, it, ix].astype(np.intp)
    frac = dtable[ip, it, ix]
    cols = ip * nt + it
    rows = ix * nt + t_index
    matrix = sp.coo_matrix(
        (np.concatenate([1.0 - frac, frac]), (np.concatenate([rows, rows + 1]), np.tile(cols, 2))),
        shape=(nx * nt, p.size * nt),
    ).tocsr()
    return pylops.MatrixMult(matrix, dtype=np.float64)


def _frequency_bands(f: NDArray, nfft_x: int, n_groups: int, dt: float) -> Groups:
    """Groups of FK coefficients by the band of ``|f|`` (temporal frequency) they fall in."""
    nyquist = 0.5 / dt
    band = np.minimum((np.abs(f) / nyquist * n_groups).astype(np.intp), n_groups - 1)
    membership = np.tile(band, nfft_x)  # layout (nfft_x, nfft_t), f along the last axis
    edges = np.linspace(0.0, nyquist, n_groups + 1)
    fmt = distinct_format(edges, 0)
    labels = [f"{fmt(lo)}-{fmt(hi)} Hz" for lo, hi in itertools.pairwise(edges)]
    return Groups.from_indices(
        [np.flatnonzero(membership == g) for g in range(n_groups)], labels=labels
    )
