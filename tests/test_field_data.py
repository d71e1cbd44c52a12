"""Tests of the real seismic data: the SEG-Y reader, the SeisLab volume, the builders on
it (masks, adjoints, windows) and a recovery floor measured on the data."""

from __future__ import annotations

import importlib.util
import struct

import numpy as np
import pytest
from pylops.utils import dottest
from pylops.utils.wavelets import ricker

import sparseinv as si
from sparseinv.problems import (
    estimate_wavelet,
    field_spike_deconvolution,
    field_trace_interpolation,
    load_stacked_volume,
    window_layout,
)
from sparseinv.problems._segy import _ibm_to_float, read_segy

requires_data = pytest.mark.skipif(
    importlib.util.find_spec("seislab") is None,
    reason="the field data ship with SeisLab (pip install seislab)",
)


@pytest.fixture(scope="module")
def volume():
    return load_stacked_volume()


# ----------------------------------------------------------------------------- SEG-Y reader
def _ibm_words(values):
    """IBM single-precision words of exactly representable values (a reference encoder)."""
    words = []
    for v in values:
        if v == 0:
            words.append(0)
            continue
        sign, a = (1, -v) if v < 0 else (0, v)
        exponent = 64
        while a >= 1:
            a /= 16
            exponent += 1
        while a < 1 / 16:
            a *= 16
            exponent -= 1
        words.append((sign << 31) | (exponent << 24) | round(a * (1 << 24)))
    return np.array(words, dtype=np.uint32)


def test_ibm_float_decoding_matches_hand_encoded_words():
    values = [0.0, 1.0, -1.0, 0.5, 118.625, -3.0 * 2**-20, 2.0**40]
    assert np.array_equal(_ibm_to_float(_ibm_words(values)), values)
    # the classic example of the IBM format: 0xC276A000 is -118.625
    assert _ibm_to_float(np.array([0xC276A000], dtype=np.uint32))[0] == -118.625


def _write_segy(path, traces, *, code, inline, order=">"):
    ns = traces.shape[1]
    text = ("C01 test file" + " " * 3200)[:3200].encode("cp500")
    binary = bytearray(400)
    struct.pack_into(order + "hhh", binary, 16, 2000, 0, ns)  # bytes 3217-3222
    struct.pack_into(order + "h", binary, 24, code)
    body = bytearray()
    dtype = {1: "u4", 5: "f4", 3: "i2"}[code]
    for i, tr in enumerate(traces):
        header = bytearray(240)
        struct.pack_into(order + "i", header, 188, inline[i])
        struct.pack_into(order + "i", header, 192, 7)
        samples = _ibm_words(tr) if code == 1 else tr
        body += header + np.asarray(samples).astype(order + dtype).tobytes()
    path.write_bytes(text + bytes(binary) + bytes(body))


@pytest.mark.parametrize(("code", "order"), [(1, ">"), (5, ">"), (5, "<"), (3, ">")])
def test_read_segy_reads_what_was_written(tmp_path, code, order):
    traces = np.array([[1.0, -2.0, 0.5, 0.0], [4.0, 8.0, -16.0, 2.0], [0.25, 3.0, 5.0, -7.0]])
    if code == 3:
        traces = np.round(traces)
    path = tmp_path / "t.sgy"
    _write_segy(path, traces, code=code, inline=[10, 11, 12], order=order)
    f = read_segy(path)
    assert f.sample_interval_us == 2000 and f.format_code == code
    assert np.array_equal(f.traces, traces)
    assert f.headers["inline"].tolist() == [10, 11, 12]
    assert f.headers["crossline"].tolist() == [7, 7, 7]
    assert f.text_header.startswith("C01 test file")


def test_read_segy_rejects_what_it_cannot_read(tmp_path):
    short = tmp_path / "short.sgy"
    short.write_bytes(b"C" * 100)
    with pytest.raises(ValueError, match="fewer than 3600"):
        read_segy(short)
    path = tmp_path / "t.sgy"
    _write_segy(path, np.ones((2, 4)), code=5, inline=[1, 2])
    path.write_bytes(path.read_bytes()[:-3])  # a truncated last trace
    with pytest.raises(ValueError, match="whole number of traces"):
        read_segy(path)
    _write_segy(path, np.ones((2, 4)), code=5, inline=[1, 2])
    raw = bytearray(path.read_bytes())
    struct.pack_into(">h", raw, 3224, 4)  # format 4 (fixed point with gain) is obsolete
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="format code 4"):
        read_segy(path)


# ----------------------------------------------------------------------------- the volume
@requires_data
def test_volume_has_the_known_shape_sampling_and_headers(volume):
    assert volume.data.shape == (103, 102, 101) and volume.data.dtype == np.float64
    assert volume.dt == 0.001 and volume.t[-1] == pytest.approx(0.1)
    assert volume.inlines.tolist() == list(range(103))
    assert volume.crosslines.tolist() == list(range(102))
    assert np.all(np.isfinite(volume.data)) and not volume.data.flags.writeable
    assert "Haibin Di" in volume.text_header and "IBM Floating-point" in volume.text_header
    # values read by an independent decoder (numpy bit arithmetic on the raw words)
    raw = volume.path.read_bytes()
    first = np.frombuffer(raw, ">u4", 101, 3600 + 240).astype(np.uint64)
    sign = 1.0 - 2.0 * (first >> 31).astype(float)
    value = sign * (first & 0xFFFFFF) / 2.0**24 * 16.0 ** ((first >> 24 & 0x7F).astype(float) - 64)
    assert np.array_equal(volume.data[0, 0], value)
    # a real section: amplitudes of order one, no dead traces, a band-limited spectrum
    assert 0.5 < volume.data.std() < 2.0
    assert np.all(volume.data.std(axis=2) > 0.1)


@requires_data
def test_section_checks_its_inline(volume):
    assert volume.section(51).shape == (102, 101)
    with pytest.raises(ValueError, match="inline must be one of"):
        volume.section(103)
    with pytest.raises(ValueError, match="inline must be one of"):
        volume.section(True)


def test_missing_data_package_raises_a_clear_import_error(monkeypatch):
    import sparseinv.problems.field_data as fd

    monkeypatch.setattr(fd, "DATA_PACKAGE", "no-such-package-sparseinv")
    with pytest.raises(ImportError, match="pip install"):
        fd.load_stacked_volume()


# ----------------------------------------------------------------------------- builders
@requires_data
@pytest.mark.parametrize(
    "kwargs",
    [
        {"transform": "fk"},
        {"transform": "linear_radon", "npx": 11},
        {"transform": "fk", "windows": (8, 12), "overlap": (4, 6), "nffts": (16, 16)},
        {"transform": "linear_radon", "npx": 9, "windows": (8, 12), "overlap": (4, 6)},
    ],
    ids=["fk", "radon", "fk-windows", "radon-windows"],
)
def test_interpolation_mask_and_adjoint(volume, kwargs):
    p = field_trace_interpolation(0.5, n_traces=16, n_samples=24, rng=3, volume=volume, **kwargs)
    kept, removed = p.extra["kept"], p.extra["removed"]
    gather = p.extra["gather"]
    assert gather.shape == (16, 24) and kept.size == removed.size == 8
    assert np.array_equal(np.sort(np.concatenate([kept, removed])), np.arange(16))
    assert np.array_equal(p.b.real.reshape(p.data_shape), volume.section(51)[kept, :24])
    assert p.x_true is None and p.groups.n_features == p.n_features
    complexflag = 3 if kwargs["transform"] == "fk" else 0
    assert dottest(p.A, *p.A.shape, complexflag=complexflag, rtol=1e-8)
    assert dottest(p.extra["synthesis"], *p.extra["synthesis"].shape, complexflag=complexflag)
    # A is the restriction of the synthesis: the kept traces of whatever S x predicts
    x = np.random.default_rng(0).standard_normal(p.n_features)
    full = np.asarray(p.extra["synthesis"] @ x).reshape(gather.shape)
    assert np.allclose(np.asarray(p.A @ x).reshape(p.data_shape), full[kept])


@requires_data
def test_global_fk_coefficients_reproduce_the_section(volume):
    # the orthonormal FK transform of the recorded section is an exact model of it
    p = field_trace_interpolation(n_traces=20, n_samples=30, rng=0, volume=volume)
    F = p.extra["synthesis"].H
    x = F @ p.extra["gather"].ravel()
    assert np.allclose(p.A @ x, p.b) and p.groups.labels[0] == "0-125 Hz"


@requires_data
def test_windowed_synthesis_sums_to_the_section_and_groups_are_windows(volume):
    p = field_trace_interpolation(
        n_traces=24, n_samples=36, windows=(12, 18), overlap=(6, 9), nffts=(16, 32),
        rng=0, volume=volume,
    )  # fmt: skip
    layout = p.extra["windows"]
    assert layout["grid"] == (3, 3) and p.groups.n_groups == layout["n_windows"] == 9
    # each window's local FK of the section's patch, overlap-added with the tapers, gives
    # the section back: the Hanning tapers of Patch2D sum to one
    from pylops.signalprocessing import FFT2D

    local = FFT2D(dims=(12, 18), nffts=(16, 32), dtype=np.complex128)
    x = np.zeros(p.n_features, dtype=complex)
    gather = p.extra["gather"]
    for (x0, x1), (t0, t1) in layout["data_ranges"]:
        k = layout["data_ranges"].index(((x0, x1), (t0, t1)))
        x[layout["model_slices"][k]] = local @ gather[x0:x1, t0:t1].ravel()
    rebuilt = np.asarray(p.extra["synthesis"] @ x).real.reshape(gather.shape)
    assert np.allclose(rebuilt, gather)
    # every group is exactly one window's block of coefficients
    for k, s in enumerate(layout["model_slices"]):
        assert np.array_equal(p.groups.group(k), np.arange(s.start, s.stop))


def test_window_layout_rejects_windows_that_do_not_tile():
    with pytest.raises(ValueError, match=r"do not tile 102 traces.*\[33, 56, 102\]"):
        window_layout((102, 101), (20, 45), (10, 17))
    # Patch2D's tapers need the overlap to be at most half the window
    with pytest.raises(ValueError, match="overlap at most half"):
        window_layout((102, 101), (34, 41), (17, 21))
    with pytest.raises(TypeError, match="windows must be a pair"):
        window_layout((40, 60), 20)
    layout = window_layout((102, 101), (102, 45), (0, 17))  # windows along time only
    assert layout["grid"] == (1, 3)


@requires_data
def test_interpolation_rejects_bad_arguments(volume):
    with pytest.raises(ValueError, match="transform must be one of"):
        field_trace_interpolation(transform="curvelet", volume=volume)
    with pytest.raises(ValueError, match="n_traces must be <= 102"):
        field_trace_interpolation(n_traces=200, volume=volume)
    with pytest.raises(TypeError, match="volume must be a SeismicVolume"):
        field_trace_interpolation(volume=np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="nffts must be >="):
        field_trace_interpolation(nffts=(16, 16), volume=volume)


@requires_data
def test_recovery_floor_on_a_window_of_the_section(volume):
    # measured on this data (seed 0): one λ = 0.01 λ_max, 150 FISTA iterations on a
    # 32 x 48 corner, half the traces removed: 9.16 dB (FK) and 10.34 dB (linear Radon)
    # on the removed traces; zero traces would score 0 dB
    floors = {"fk": 8.0, "linear_radon": 9.0}
    for transform, floor in floors.items():
        p = field_trace_interpolation(
            n_traces=32, n_samples=48, transform=transform, npx=31, rng=0, volume=volume
        )
        lam = 0.01 * si.lam_max(p.A, p.b)
        res = si.fista(p.A, p.b, si.L1(lam), max_iter=150, tol=1e-6)
        gather, removed = p.extra["gather"], p.extra["removed"]
        rec = np.asarray(p.extra["synthesis"] @ res.x).real.reshape(gather.shape)
        assert si.metrics.snr_db(gather[removed], rec[removed]) > floor, transform


# ----------------------------------------------------------------------------- deconvolution
def test_estimate_wavelet_recovers_a_ricker_from_white_reflectivity():
    w, _, _ = ricker(np.arange(16) * 0.004, f0=20)  # 29 samples
    w = np.pad(w, 1)  # 31, centred on sample 15
    rng = np.random.default_rng(1)
    traces = np.array([np.convolve(rng.standard_normal(500), w, "same") for _ in range(20)])
    zero = estimate_wavelet(traces, 31)
    assert np.corrcoef(zero, w)[0, 1] > 0.98 and np.argmax(zero) == 15
    assert np.allclose(zero, zero[::-1], atol=1e-12)  # zero phase: symmetric
    minimum = estimate_wavelet(traces, 31, phase="minimum_phase")
    # same amplitude spectrum, energy front-loaded (minimum phase)
    spec = np.abs(np.fft.rfft(zero, 256))
    assert np.corrcoef(np.abs(np.fft.rfft(minimum, 256)), spec)[0, 1] > 0.95
    energy = np.cumsum(minimum**2) / np.sum(minimum**2)
    assert energy[7] > 0.6
    with pytest.raises(ValueError, match="odd"):
        estimate_wavelet(traces, 30)


@requires_data
def test_field_deconvolution_problem(volume):
    p = field_spike_deconvolution(rng=0, volume=volume)
    fit, held = p.extra["fit"], p.extra["held_out"]
    assert fit.size == 71 and held.size == 30 and np.intersect1d(fit, held).size == 0
    assert np.array_equal(p.b, volume.section(51)[50][fit])
    assert p.groups.labels == ("0-26 ms", "26-51 ms", "51-76 ms", "76-101 ms")
    assert dottest(p.A, *p.A.shape, rtol=1e-8)
    C = p.extra["convolution"]
    spike = np.zeros(101)
    spike[40] = 1.0
    wav, center = p.extra["wavelet"], p.extra["wavelet_center"]
    assert np.allclose((C @ spike)[40 - center : 40 - center + wav.size], wav)
    # sparse deconvolution predicts held-out samples better than zero does (0 dB):
    # 7.36 dB measured at 0.01 λ_max
    res = si.fista(p.A, p.b, si.L1(0.01 * si.lam_max(p.A, p.b)), max_iter=500, tol=1e-6)
    trace = p.extra["trace"]
    assert si.metrics.snr_db(trace[held], (C @ res.x)[held]) > 6.0
