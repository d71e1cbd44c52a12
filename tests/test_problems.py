"""Tests of sparseinv.problems: shapes, determinism, exact forward models, noise, groups,
adjoints and argument checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pylops
import pytest
import scipy.fft
from pylops.signalprocessing import Radon2D
from pylops.utils import dottest

import sparseinv as si
from sparseinv.problems import (
    Problem,
    add_noise,
    block_sparse,
    compressed_sensing,
    density_contrast,
    ecg,
    gaussian_blur,
    layers,
    radon_two_dictionary,
    size_only,
    spike_deconvolution,
    spikes_and_cosines,
    trace_interpolation,
)
from sparseinv.problems.seismic import _radon_matrix

try:
    import pywt
except ImportError:  # PyWavelets is optional: only ecg needs it
    pywt = None
requires_pywt = pytest.mark.skipif(pywt is None, reason="ecg needs PyWavelets")

# Small instances of every generator, keyed by name: make(rng, snr_db) -> Problem.
MAKERS = {
    "cs_gaussian": lambda rng, snr: compressed_sensing(120, 200, 8, snr_db=snr, rng=rng),
    "cs_bernoulli": lambda rng, snr: compressed_sensing(
        120, 200, 8, sensing="bernoulli", amplitudes="gaussian", snr_db=snr, rng=rng
    ),
    "cs_partial_dct": lambda rng, snr: compressed_sensing(
        120, 200, 8, sensing="partial_dct", snr_db=snr, rng=rng
    ),
    "cs_partial_fourier": lambda rng, snr: compressed_sensing(
        120, 200, 8, sensing="partial_fourier", snr_db=snr, rng=rng
    ),
    "block_sparse": lambda rng, snr: block_sparse(
        [60, 20, 40],
        [6, 10, 0],
        amplitudes=[1.0, 3.0, 1.0],
        column_scales=[1.0, 0.5, 2.0],
        n_measurements=150,
        snr_db=snr,
        rng=rng,
    ),
    "layers": lambda rng, snr: layers(n_measurements=200, snr_db=snr, rng=rng),
    "density_contrast": lambda rng, snr: density_contrast(snr_db=snr, rng=rng),
    "size_only": lambda rng, snr: size_only(n_measurements=150, snr_db=snr, rng=rng),
    "spikes_and_cosines": lambda rng, snr: spikes_and_cosines(128, 4, 4, 120, snr_db=snr, rng=rng),
    "spike_deconvolution": lambda rng, snr: spike_deconvolution(300, snr_db=snr, rng=rng),
    "trace_fk": lambda rng, snr: trace_interpolation(
        40, 24, 0.5, nffts=(64, 64), snr_db=snr, rng=rng
    ),
    "trace_radon": lambda rng, snr: trace_interpolation(
        40, 24, 0.5, transform="linear_radon", npx=20, snr_db=snr, rng=rng
    ),
    "radon_two_dictionary": lambda rng, snr: radon_two_dictionary(
        50, 20, npx_linear=21, npx_parabolic=8, snr_db=snr, rng=rng
    ),
    "gaussian_blur": lambda rng, snr: gaussian_blur(60, snr_db=snr, rng=rng),
}
if pywt is not None:
    MAKERS["ecg"] = lambda rng, snr: ecg(0.4, n_samples=512, level=4, snr_db=snr, rng=rng)
    MAKERS["ecg_bior"] = lambda rng, snr: ecg(
        0.4, n_samples=384, wavelet="bior2.2", snr_db=snr, rng=rng
    )
COMPLEX = {"cs_partial_fourier", "trace_fk"}
NAMES = sorted(MAKERS)


def _as_op(A):
    return pylops.MatrixMult(A) if isinstance(A, np.ndarray) else A


def _dense(A):
    return A if isinstance(A, np.ndarray) else A.todense()


# ------------------------------------------------------------------ every generator
@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_dtypes(name):
    p = MAKERS[name](0, None)
    assert isinstance(p, Problem)
    m, n = p.A.shape
    assert p.b.shape == (m,) and p.b_clean.shape == (m,)
    assert p.x_true.shape == (n,)
    assert p.groups.n_features == n
    assert (p.n_measurements, p.n_features) == (m, n)
    complex_data = name in COMPLEX
    assert np.iscomplexobj(p.b) == complex_data
    assert np.iscomplexobj(p.A @ np.ones(n)) == complex_data
    assert p.noise_std == 0.0
    np.testing.assert_array_equal(p.b, p.b_clean)
    if p.model_shape is not None:
        assert np.prod(p.model_shape) == n
    if p.data_shape is not None:
        assert np.prod(p.data_shape) == m


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_problem(name):
    p, q = MAKERS[name](7, 20.0), MAKERS[name](np.random.default_rng(7), 20.0)
    np.testing.assert_array_equal(p.b, q.b)
    np.testing.assert_array_equal(p.x_true, q.x_true)
    np.testing.assert_array_equal(_dense(p.A), _dense(q.A))


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_differ(name):
    p, q = MAKERS[name](1, 20.0), MAKERS[name](2, 20.0)
    assert not np.allclose(p.b, q.b)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("snr", [None, 15.0])
def test_forward_model_reproduces_clean_data(name, snr):
    p = MAKERS[name](3, snr)
    residual = np.linalg.norm(p.A @ p.x_true - p.b_clean)
    assert residual <= 1e-10 * np.linalg.norm(p.b_clean)


@pytest.mark.parametrize("name", NAMES)
def test_noise_level_matches_snr(name):
    snr = 10.0
    p = MAKERS[name](4, snr)
    m = p.b.size
    expected_sigma = np.linalg.norm(p.b_clean) / np.sqrt(m) * 10 ** (-snr / 20)
    assert p.noise_std == pytest.approx(expected_sigma, rel=1e-12)
    power_ratio = np.sum(np.abs(p.b - p.b_clean) ** 2) / (m * p.noise_std**2)
    assert abs(power_ratio - 1.0) < 4.0 * np.sqrt(2.0 / m)


@pytest.mark.parametrize("name", NAMES)
def test_adjoint_of_every_operator(name):
    p = MAKERS[name](5, None)
    ops = [_as_op(p.A)]
    ops += [
        p.extra[key] for key in ("synthesis", "dictionary", "linear", "parabolic") if key in p.extra
    ]
    for op in ops:
        # complexflag=3: complex model and data vectors for complex operators
        flag = 3 if np.dtype(op.dtype).kind == "c" else 0
        assert dottest(op, *op.shape, complexflag=flag, rtol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_repr_is_short(name):
    text = repr(MAKERS[name](0, None))
    assert text.startswith("Problem(") and len(text) < 300


# ------------------------------------------------------------------ compressed sensing
@pytest.mark.parametrize("sensing", ["gaussian", "bernoulli", "partial_dct", "partial_fourier"])
def test_compressed_sensing_columns_have_unit_norm(sensing):
    p = compressed_sensing(200, 400, 5, sensing=sensing, rng=0)
    norms = np.linalg.norm(_dense(p.A), axis=0)
    assert abs(norms.mean() - 1.0) < 0.05
    assert norms.min() > 0.6 and norms.max() < 1.4
    if sensing == "partial_fourier":
        np.testing.assert_allclose(norms, 1.0, rtol=1e-12)


def test_compressed_sensing_entries_and_support():
    p = compressed_sensing(50, 80, 7, sensing="bernoulli", rng=0)
    np.testing.assert_allclose(np.abs(p.A), 1 / np.sqrt(50))
    assert np.count_nonzero(p.x_true) == 7
    np.testing.assert_array_equal(np.abs(p.x_true[p.x_true != 0]), 1.0)
    g = compressed_sensing(50, 80, 7, amplitudes="gaussian", rng=0)
    assert np.count_nonzero(g.x_true) == 7
    assert not np.allclose(np.abs(g.x_true[g.x_true != 0]), 1.0)
    assert p.groups.n_groups == 1 and p.groups.labels == ("all",)


def test_partial_dct_rows_are_dct_rows():
    p = compressed_sensing(10, 32, 3, sensing="partial_dct", rng=0)
    full = scipy.fft.dct(np.eye(32), norm="ortho", axis=0)
    A = p.A.todense() / np.sqrt(32 / 10)
    # each row of A is one row of the orthonormal DCT matrix
    for row in A:
        assert np.min(np.linalg.norm(full - row, axis=1)) < 1e-12


# ------------------------------------------------------------------ block sparsity
def test_block_sparse_blocks():
    p = MAKERS["block_sparse"](0, None)
    assert p.groups.labels == ("block0", "block1", "block2")
    counts = [np.count_nonzero(p.x_true[p.groups.group(g)]) for g in range(3)]
    assert counts == [6, 10, 0]
    # column scales multiply a N(0, 1/m) matrix: mean column norm ≈ scale
    norms = np.linalg.norm(p.A, axis=0)
    means = [norms[p.groups.group(g)].mean() for g in range(3)]
    np.testing.assert_allclose(means, [1.0, 0.5, 2.0], rtol=0.1)
    # amplitude 3 on block1: its non-zeros are clearly larger
    assert np.abs(p.x_true[p.groups.group(1)]).max() > np.abs(p.x_true[p.groups.group(0)]).max()


@pytest.mark.parametrize(
    ("maker", "sizes", "nonzeros", "m", "labels"),
    [
        (layers, [2000, 80], [100, 4], 600, ("layer1 (100x20)", "layer2 (20x4)")),
        (density_contrast, [250, 250], [50, 5], 200, ("dense (50/250)", "sparse (5/250)")),
        (size_only, [100, 900], [10, 90], 400, ("small (10/100)", "large (90/900)")),
    ],
)
def test_presets_have_the_issue_numbers(maker, sizes, nonzeros, m, labels):
    p = maker(rng=0)
    assert p.groups.sizes.tolist() == sizes
    assert p.groups.labels == labels
    assert [np.count_nonzero(p.x_true[p.groups.group(g)]) for g in range(2)] == nonzeros
    assert p.A.shape == (m, sum(sizes))
    assert p.noise_std > 0  # 20 dB by default
    assert p.name == maker.__name__


# ------------------------------------------------------------------ two dictionaries
def test_spikes_and_cosines_model():
    p = spikes_and_cosines(64, 3, 5, 40, rng=1)
    n = 64
    assert np.count_nonzero(p.x_true[:n]) == 3 and np.count_nonzero(p.x_true[n:]) == 5
    assert p.groups.labels == ("spikes", "cosines")
    # the cosine half is synthesised by the orthonormal inverse DCT-II
    signal = p.x_true[:n] + scipy.fft.idct(p.x_true[n:], norm="ortho")
    np.testing.assert_allclose(p.extra["signal"], signal, atol=1e-12)
    np.testing.assert_allclose(p.b_clean, p.extra["sensing"] @ signal, atol=1e-12)


# ------------------------------------------------------------------ ECG
@requires_pywt
def test_ecg_recording_and_groups():
    p = ecg(0.3, rng=0)
    full = pywt.data.ecg().astype(float)
    np.testing.assert_allclose(p.extra["recording"] + p.extra["mean"], full)
    assert abs(p.extra["recording"].mean()) < 1e-10
    kept = p.extra["kept"]
    assert kept.size == round(0.3 * 1024) and np.all(np.diff(kept) > 0)
    np.testing.assert_array_equal(p.b_clean, p.extra["recording"][kept])
    lengths = [c.size for c in pywt.wavedec(full, "db4", "periodization", 5)]
    assert p.groups.sizes.tolist() == lengths
    assert p.groups.labels == ("cA5", "cD5", "cD4", "cD3", "cD2", "cD1")
    # layout [cA5, cD5, ..., cD1] as pywt.wavedec, and orthonormal (Parseval)
    coeffs = pywt.wavedec(p.extra["recording"], "db4", "periodization", 5)
    np.testing.assert_allclose(p.x_true, np.concatenate(coeffs), atol=1e-9)
    assert np.linalg.norm(p.x_true) == pytest.approx(np.linalg.norm(p.extra["recording"]))
    # the synthesis maps x_true back to the whole recording
    np.testing.assert_allclose(p.extra["synthesis"] @ p.x_true, p.extra["recording"], atol=1e-9)


@requires_pywt
def test_ecg_biorthogonal_uses_the_exact_inverse():
    p = ecg(1.0, wavelet="bior2.2", rng=0)
    np.testing.assert_allclose(p.A @ p.x_true, p.extra["recording"], atol=1e-9)
    # DWT.H alone is not the inverse for this wavelet: the generator must not use it
    W = pylops.signalprocessing.DWT(1024, wavelet="bior2.2", level=5)
    assert np.linalg.norm(W.H @ p.x_true - p.extra["recording"]) > 1.0


@requires_pywt
def test_ecg_shorter_recording_is_padded_by_pylops():
    p = ecg(0.5, n_samples=768, rng=0)
    assert p.A.shape == (384, 1024)
    np.testing.assert_allclose(p.A @ p.x_true, p.b_clean, atol=1e-9)


# ------------------------------------------------------------------ seismic
def test_spike_deconvolution_model():
    p = spike_deconvolution(400, 0.002, 30.0, n_spikes=12, decay=2.0, n_windows=4, rng=0)
    t = p.axes["t"]
    assert p.dt == 0.002 and t.size == 400
    where = np.flatnonzero(p.x_true)
    assert where.size == 12
    envelope = np.exp(-2.0 * t[where])
    amp = np.abs(p.x_true[where])
    assert np.all(amp <= envelope + 1e-12) and np.all(amp >= 0.5 * envelope - 1e-12)
    assert p.groups.labels == ("0.00-0.20 s", "0.20-0.40 s", "0.40-0.60 s", "0.60-0.80 s")
    assert p.groups.sizes.tolist() == [100] * 4
    # zero-phase: a spike at sample k gives a trace peaking at k
    k = 200
    e = np.zeros(400)
    e[k] = 1.0
    assert np.argmax(p.A @ e) == k
    assert spike_deconvolution(rng=0).x_true.size == 1000
    assert np.count_nonzero(spike_deconvolution(rng=0).x_true) == 25


def test_trace_interpolation_defaults_mirror_the_pylops_tutorial():
    p = trace_interpolation(rng=0)
    assert p.extra["gather"].shape == (70, 80)
    assert p.data_shape == (35, 80) and p.model_shape == (256, 256)
    assert p.dt == 0.004 and p.axes["x"][1] - p.axes["x"][0] == 2.0
    assert p.extra["events"]["px"].size == 3


def test_trace_interpolation_same_gather_for_both_transforms():
    fk = MAKERS["trace_fk"](11, None)
    radon = MAKERS["trace_radon"](11, None)
    fk20 = trace_interpolation(40, 24, 0.5, nffts=(64, 64), npx=20, rng=11)
    np.testing.assert_array_equal(fk20.extra["gather"], radon.extra["gather"])
    np.testing.assert_array_equal(fk.extra["kept"], radon.extra["kept"])
    kept = radon.extra["kept"]
    np.testing.assert_allclose(radon.b_clean, radon.extra["gather"][kept].ravel())


def test_trace_interpolation_radon_gather_is_radon2d_of_the_model():
    p = MAKERS["trace_radon"](2, None)
    t, x, px = p.axes["t"], p.axes["x"], p.axes["px"]
    radon = Radon2D(t, x, px, kind="linear", centeredh=True, interp=True, engine="numpy")
    gather = (radon @ p.x_true).reshape(24, 40)
    np.testing.assert_allclose(p.extra["gather"], gather, atol=1e-12)
    np.testing.assert_array_equal(p.x_true, p.extra["radon_model"].ravel())
    assert p.groups.sizes.tolist() == [5 * 40] * 4
    assert p.model_shape == (20, 40)


def test_trace_interpolation_fk_model_and_bands():
    p = MAKERS["trace_fk"](2, None)
    full = (p.extra["synthesis"] @ p.x_true).reshape(24, 40)
    np.testing.assert_allclose(full.real, p.extra["gather"], atol=1e-12)
    np.testing.assert_allclose(full.imag, 0.0, atol=1e-12)
    f = np.abs(p.axes["f"])
    assert p.groups.labels == ("0-31 Hz", "31-62 Hz", "62-94 Hz", "94-125 Hz")
    edges = np.linspace(0.0, 125.0, 5)
    for g in range(4):
        freqs = f[p.groups.group(g) % 64]  # layout (nfft_x, nfft_t)
        assert np.all(freqs >= edges[g]) and np.all(freqs <= edges[g + 1])
    # a 20 Hz Ricker puts most of its energy in the first band
    norms = p.groups.norms(p.x_true)
    assert norms[0] > norms[2] + norms[3]


def test_radon_matrix_matches_pylops_radon2d():
    t, x = np.arange(25) * 0.004, np.arange(9) * 10.0
    rng = np.random.default_rng(0)
    for kind, p, scale in [
        ("linear", np.linspace(-4e-4, 4e-4, 7), 1.0),
        ("parabolic", np.linspace(2e-7, 1e-6, 5), 10.0),
    ]:
        op = Radon2D(t, x, p * scale, kind=kind, centeredh=True, interp=True, engine="numpy")
        mat = _radon_matrix(t, x, p, kind)
        m, d = rng.standard_normal(mat.shape[1]), rng.standard_normal(mat.shape[0])
        np.testing.assert_allclose(mat @ m, (op @ m).ravel(), atol=1e-12)
        np.testing.assert_allclose(mat.H @ d, (op.H @ d).ravel(), atol=1e-12)


def test_parabolic_curvature_is_in_physical_units():
    # one spike at curvature q: arrival at t0 + q h² (h centred), h = ±40 m -> 2 samples
    t, x = np.arange(30) * 0.004, np.arange(9) * 10.0
    q = np.array([0.008 / 40.0**2])
    P = _radon_matrix(t, x, q, "parabolic")
    spike = np.zeros(30)
    spike[10] = 1.0
    gather = (P @ spike).reshape(9, 30)
    assert np.argmax(gather[4]) == 10 and np.argmax(gather[0]) == 12 and np.argmax(gather[8]) == 12


def test_radon_two_dictionary_structure():
    p = MAKERS["radon_two_dictionary"](0, None)
    assert p.groups.labels == ("linear", "parabolic")
    assert p.groups.sizes.tolist() == [21 * 50, 8 * 50]
    shapes = p.extra["model_shapes"]
    assert shapes == {"linear": (21, 50), "parabolic": (8, 50)}
    assert np.all(p.axes["q"] > 0)
    x_lin, x_par = p.x_true[: 21 * 50], p.x_true[21 * 50 :]
    gather = p.extra["linear"] @ x_lin + p.extra["parabolic"] @ x_par
    np.testing.assert_allclose(gather, p.b_clean, atol=1e-12)
    # two events per dictionary: two non-zero rows (slownesses) in each model
    assert np.count_nonzero(np.abs(x_lin.reshape(21, 50)).sum(axis=1)) == 2
    assert np.count_nonzero(np.abs(x_par.reshape(8, 50)).sum(axis=1)) == 2


# ------------------------------------------------------------------ noise helper
def test_add_noise_real_and_complex():
    clean = np.ones(20_000)
    before = clean.copy()
    noisy, sigma = add_noise(clean, 20.0, rng=0)
    np.testing.assert_array_equal(clean, before)
    assert sigma == pytest.approx(0.1) and not np.iscomplexobj(noisy)
    assert np.std(noisy - clean) == pytest.approx(0.1, rel=0.03)
    cnoisy, csigma = add_noise(clean.astype(complex), 20.0, rng=0)
    noise = cnoisy - clean
    assert csigma == pytest.approx(0.1)
    assert np.std(noise.real) == pytest.approx(0.1 / np.sqrt(2), rel=0.03)
    assert np.std(noise.imag) == pytest.approx(0.1 / np.sqrt(2), rel=0.03)
    same, zero = add_noise(clean, None)
    assert zero == 0.0 and same is not clean
    np.testing.assert_array_equal(same, clean)


# ------------------------------------------------------------------ Problem
def _parts(**changes):
    parts = dict(
        A=np.ones((4, 3)),
        b=np.zeros(4),
        x_true=np.zeros(3),
        groups=si.Groups.from_sizes([2, 1]),
        noise_std=0.0,
        name="p",
    )
    parts.update(changes)
    return parts


def test_problem_accepts_consistent_fields():
    axes = {"t": np.arange(4.0)}
    p = Problem(**_parts(b_clean=np.zeros(4), model_shape=(3, 1), data_shape=(2, 2), axes=axes))
    axes["x"] = np.zeros(1)
    assert "x" not in p.axes  # the problem keeps its own mapping
    assert p.extra == {} and p.dt is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.b = np.ones(4)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"b": np.zeros(5)}, "b must be 1-D"),
        ({"b": np.zeros((4, 1))}, "b must be 1-D"),
        ({"x_true": np.zeros(4)}, "x_true"),
        ({"groups": si.Groups.from_sizes([2, 2])}, "groups"),
        ({"b_clean": np.zeros(3)}, "b_clean"),
        ({"noise_std": -1.0}, "noise_std"),
        ({"model_shape": (2, 2)}, "model_shape"),
        ({"data_shape": (3,)}, "data_shape"),
        ({"dt": 0.0}, "dt"),
    ],
)
def test_problem_rejects_inconsistent_fields(changes, match):
    with pytest.raises(ValueError, match=match):
        Problem(**_parts(**changes))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"A": np.ones(4)}, "A must be"),
        ({"groups": [0, 1, 2]}, "groups"),
        ({"name": 3}, "name"),
        ({"b": np.array(["a"] * 4)}, "b must be a numeric"),
        ({"axes": [1, 2]}, "axes"),
    ],
)
def test_problem_rejects_wrong_types(changes, match):
    with pytest.raises(TypeError, match=match):
        Problem(**_parts(**changes))


# ------------------------------------------------------------------ argument checks
BAD_ARGUMENTS = [
    (lambda: compressed_sensing(10, 20, 21), "n_nonzero must be <= n_features"),
    (lambda: compressed_sensing(0, 20, 2), "n_measurements"),
    (lambda: compressed_sensing(10, -5, 2), "n_features"),
    (lambda: compressed_sensing(sensing="fourier"), "sensing must be one of"),
    (lambda: compressed_sensing(amplitudes="uniform"), "amplitudes must be one of"),
    (lambda: compressed_sensing(30, 20, 2, sensing="partial_dct"), "n_measurements must be <="),
    (lambda: compressed_sensing(snr_db=float("inf")), "snr_db"),
    (lambda: block_sparse([10, 5], [11, 1]), "nonzeros"),
    (lambda: block_sparse([10, 0], [1, 0]), "sizes"),
    (lambda: block_sparse([10, 5], [1]), "nonzeros"),
    (lambda: block_sparse([10, 5], [1, 1], amplitudes=[1.0, -1.0]), "amplitudes"),
    (lambda: block_sparse([10, 5], [1, 1], column_scales=[1.0]), "column_scales"),
    (lambda: block_sparse([10, 5], [1, 1], labels=["a"]), "labels"),
    (lambda: layers(n_measurements=0), "n_measurements"),
    (lambda: gaussian_blur(0), "n"),
    (lambda: gaussian_blur(width=0.0), "width"),
    (lambda: gaussian_blur(snr_db=float("nan")), "snr_db"),
    (lambda: spikes_and_cosines(16, 17, 1, 8), "n_spikes must be <= n"),
    (lambda: spikes_and_cosines(16, 1, 17, 8), "n_cosines"),
    (lambda: spikes_and_cosines(16, 1, 1, 8, amplitudes="x"), "amplitudes"),
    (lambda: ecg(0.0), "fraction_kept"),
    (lambda: ecg(1.5), "fraction_kept must be in"),
    (lambda: ecg(0.5, n_samples=1000), "n_samples must be a multiple"),
    (lambda: ecg(0.5, n_samples=2048), "n_samples"),
    (lambda: ecg(0.5, wavelet="morl"), "wavelet must be"),
    (lambda: ecg(0.5, level=0), "level"),
    (lambda: spike_deconvolution(100, n_spikes=101), "n_spikes must be <= nt"),
    (lambda: spike_deconvolution(100, n_windows=0), "n_windows"),
    (lambda: spike_deconvolution(100, f0=300.0), "f0 must be below"),
    (lambda: spike_deconvolution(100, decay=-1.0), "decay"),
    (lambda: spike_deconvolution(2), "nt must be >= 4"),
    (lambda: trace_interpolation(fraction_kept=0.0), "fraction_kept"),
    (lambda: trace_interpolation(fraction_kept=1.01), "fraction_kept"),
    (lambda: trace_interpolation(transform="curvelet"), "transform must be one of"),
    (lambda: trace_interpolation(n_events=41), "n_events must be <= npx"),
    (lambda: trace_interpolation(nffts=(32, 256)), "nffts"),
    (lambda: trace_interpolation(transform="linear_radon", n_groups=41), "n_groups"),
    (lambda: trace_interpolation(dx=0.0), "dx"),
    (lambda: trace_interpolation(nt=3), "nt must be >= 4"),
    (lambda: trace_interpolation(nx=1), "nx must be >= 2"),
    (lambda: radon_two_dictionary(n_linear=62), "n_linear must be <= npx_linear"),
    (lambda: radon_two_dictionary(n_parabolic=17), "n_parabolic"),
    (lambda: radon_two_dictionary(qmax=0.0), "qmax"),
    (lambda: radon_two_dictionary(nt=3), "nt must be >= 4"),
    (lambda: radon_two_dictionary(nx=1), "nx must be >= 2"),
]


@pytest.mark.parametrize(("call", "match"), BAD_ARGUMENTS)
def test_bad_arguments_name_the_argument(call, match):
    if pywt is None and "ecg" in call.__code__.co_names:
        pytest.skip("ecg needs PyWavelets")
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_types_name_the_argument():
    with pytest.raises(TypeError, match="n_nonzero"):
        compressed_sensing(10, 20, 2.5)
    with pytest.raises(TypeError, match="rng"):
        compressed_sensing(rng="seed")
    with pytest.raises(TypeError, match="snr_db"):
        compressed_sensing(snr_db="20")


# ------------------------------------------------------------------ issue 8 items 11, 12
@pytest.mark.parametrize("name", NAMES)
def test_a_snr_that_overflows_is_a_value_error_naming_snr_db(name):
    # 10 ** (7000 / 20) raised OverflowError (34, 'Numerical result out of range')
    with pytest.raises(ValueError, match="snr_db"):
        MAKERS[name](0, -7000.0)


@pytest.mark.parametrize("name", NAMES)
def test_every_generator_names_a_bad_rng(name):
    with pytest.raises(TypeError, match="rng must be None, an integer seed"):
        MAKERS[name]("x", None)
    with pytest.raises(TypeError, match="rng"):
        MAKERS[name](1.5, None)
    with pytest.raises(ValueError, match="rng must be a non-negative integer seed"):
        MAKERS[name](-1, None)


def test_add_noise_names_a_bad_rng():
    with pytest.raises(TypeError, match="rng must be None, an integer seed"):
        add_noise(np.ones(3), 10.0, rng="x")
    with pytest.raises(TypeError, match="rng"):
        add_noise(np.ones(3), 10.0, rng=[0.5])


def test_add_noise_low_snr_overflow_is_a_value_error():
    with pytest.raises(ValueError, match=r"snr_db = -7000 asks for a noise standard deviation"):
        add_noise(np.ones(3), -7000.0, rng=0)
    # σ itself finite (1.8e308) but σ·N(0, 1) is not: the noisy data would hold inf
    with pytest.raises(ValueError, match=r"snr_db = -6162.5.*overflow float64"):
        add_noise(np.ones(1000), -6162.5, rng=0)


def test_add_noise_gives_the_exact_sigma_at_extreme_scales():
    # 1e-200 data at -7000 dB: 10 ** 350 overflows but σ = 1e150 does not
    noisy, sigma = add_noise(np.full(4, 1e-200), -7000.0, rng=0)
    assert sigma == pytest.approx(1e150, rel=1e-12)
    assert np.all(np.isfinite(noisy))
    # 1e200 data: ‖clean‖² overflowed and σ was inf, the noisy data ±inf
    noisy, sigma = add_noise(np.full(4, 1e200), -100.0, rng=0)
    assert sigma == pytest.approx(1e205, rel=1e-12)
    assert np.all(np.isfinite(noisy))
    noisy, sigma = add_noise(np.full(4, 1e200) * (1 + 1j), 20.0, rng=0)
    assert sigma == pytest.approx(np.sqrt(2) * 1e199, rel=1e-12)
    # a σ below the float range is 0: the data come back unchanged, not NaN
    clean = np.array([1.0, -2.0, 3.0])
    noisy, sigma = add_noise(clean, 7000.0, rng=0)
    assert sigma == 0.0 and np.array_equal(noisy, clean)
    noisy, sigma = add_noise(np.zeros(3), -7000.0, rng=0)
    assert sigma == 0.0 and np.array_equal(noisy, np.zeros(3))


def test_add_noise_rejects_non_finite_clean_data():
    with pytest.raises(ValueError, match="clean must be finite"):
        add_noise(np.array([1.0, np.nan]), 10.0, rng=0)


def test_snr_db_accepts_any_real_and_names_an_infinite_one():
    from fractions import Fraction

    expected = add_noise(np.ones(8), 20.5, rng=0)
    noisy, sigma = add_noise(np.ones(8), Fraction(41, 2), rng=0)
    assert sigma == expected[1] and np.array_equal(noisy, expected[0])
    assert compressed_sensing(20, 30, 2, snr_db=Fraction(20), rng=0).noise_std > 0
    # 10**400 is a real number beyond float64: "ufunc 'isfinite' not supported" before
    with pytest.raises(ValueError, match="snr_db must be finite"):
        add_noise(np.ones(3), 10**400, rng=0)
    with pytest.raises(ValueError, match="snr_db must be finite"):
        compressed_sensing(snr_db=-(10**400))


def test_problem_holds_a_huge_noise_std():
    p = Problem(**_parts(noise_std=1e200))
    assert p.noise_std == 1e200 and "1e+200" in repr(p)


def test_block_sparse_rejects_duplicate_labels():
    with pytest.raises(ValueError, match="labels must be distinct"):
        block_sparse([10, 5], [1, 1], labels=["a", "a"], rng=0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: spike_deconvolution(400, n_windows=400, rng=0),  # 2 ms windows
        lambda: trace_interpolation(600, 8, nffts=(8, 1024), n_groups=300, rng=0),  # 0.8 Hz
        lambda: trace_interpolation(
            40, 8, npx=40, n_groups=40, transform="linear_radon", pxmax=1e-6, rng=0
        ),
        lambda: trace_interpolation(
            40, 8, npx=40, n_groups=40, transform="linear_radon", pxmax=1e-30, rng=0
        ),
    ],
    ids=["windows", "frequency-bands", "slowness", "tiny-slowness"],
)
def test_generated_group_labels_are_distinct(make):
    # rounded to 2 (or 0) decimals, narrow windows printed alike ("0.00-0.00 s" twice)
    labels = make().groups.labels
    assert len(set(labels)) == len(labels)
