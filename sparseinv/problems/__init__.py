"""Test problems for sparse inversion: synthetic, real (ECG, a stacked seismic volume), seismic
and one smooth (a Gaussian blur, for ridge).

Every generator returns a :class:`Problem` (``A``, ``b``, ``x_true``, ``groups``,
``noise_std``...), is deterministic for a given ``rng`` seed and solves in seconds with
its default sizes.
"""

from sparseinv.problems._problem import Problem, add_noise
from sparseinv.problems.field_data import (
    SeismicVolume,
    estimate_wavelet,
    field_spike_deconvolution,
    field_trace_interpolation,
    load_stacked_volume,
)
from sparseinv.problems.seismic import (
    radon_two_dictionary,
    spike_deconvolution,
    trace_interpolation,
)
from sparseinv.problems.signals import (
    block_sparse,
    compressed_sensing,
    density_contrast,
    ecg,
    layers,
    size_only,
    spikes_and_cosines,
)
from sparseinv.problems.smooth import gaussian_blur
from sparseinv.problems.windows import window_layout

__all__ = [
    "Problem",
    "SeismicVolume",
    "add_noise",
    "block_sparse",
    "compressed_sensing",
    "density_contrast",
    "ecg",
    "estimate_wavelet",
    "field_spike_deconvolution",
    "field_trace_interpolation",
    "gaussian_blur",
    "layers",
    "load_stacked_volume",
    "radon_two_dictionary",
    "size_only",
    "spike_deconvolution",
    "spikes_and_cosines",
    "trace_interpolation",
    "window_layout",
]
