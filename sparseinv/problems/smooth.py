"""Smooth signals behind a blur: the ill-posed problems of Tikhonov (L2) regularization."""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv._validation import check_positive_number, check_rng
from sparseinv.problems._common import block_groups, check_snr
from sparseinv.problems._problem import Problem, noisy_problem

__all__ = ["gaussian_blur"]


def gaussian_blur(
    n: int = 80, *, width: float = 2.5, snr_db: float | None = 40.0, rng: Any = None
) -> Problem:
    r"""A smooth signal behind a Gaussian blur: the test problem of ridge (L2) λ choice.

    Parameters
    ----------
    n : int, default 80
        Samples of the signal and of the data (A is square).
    width : float, default 2.5
        Standard deviation of the Gaussian kernel, in samples.
    snr_db : float or None, default 40.0
        Signal-to-noise ratio of the data in dB; None is noiseless.
    rng : int, numpy.random.Generator or None
        Seed or generator (the phase of the second harmonic, and the noise).

    Returns
    -------
    Problem
        ``A`` dense ``(n, n)``, one group ``"signal"``; ``x_true`` is not sparse.

    Notes
    -----
    :math:`A_{ij} \propto \exp(-(i - j)^2 / (2 w^2))`, each row summing to 1, and

    .. math:: x_t = \sin(4\pi t/n) + \tfrac12\cos(10\pi t/n + \varphi),

    with φ uniform on [0, 2π). The blur damps the high frequencies that the noise
    fills, so least squares is useless and λ matters by tens of dB. It is where
    the quasi-optimality rule of :func:`~sparseinv.select_lambda` has its theory
    (Tikhonov regularization of an ill-posed problem), and where criteria that
    score the prediction of b (GCV) over-smooth.

    Examples
    --------
    >>> from sparseinv.problems import gaussian_blur
    >>> p = gaussian_blur(rng=0)
    >>> p.A.shape, round(float(p.A.sum(axis=1).max()), 12), p.groups.labels
    ((80, 80), 1.0, ('signal',))
    """
    n = check_positive_number(n, "n", integer=True)
    width = check_positive_number(width, "width")
    snr_db = check_snr(snr_db)
    rng = check_rng(rng)
    t = np.arange(n, dtype=float)
    A = np.exp(-0.5 * ((t[:, None] - t[None, :]) / width) ** 2)
    A /= A.sum(axis=1, keepdims=True)
    phase = rng.uniform(0.0, 2.0 * np.pi)
    x_true = np.sin(4 * np.pi * t / n) + 0.5 * np.cos(10 * np.pi * t / n + phase)
    return noisy_problem(
        A,
        x_true,
        A @ x_true,
        snr_db=snr_db,
        rng=rng,
        groups=block_groups([n], ["signal"]),
        name="Gaussian blur of a smooth signal",
        axes={"t": t},
    )
