"""The result of a single-λ selection, and the warning when its λ lies at a grid edge."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["LambdaEdgeWarning", "LambdaSelection", "warn_at_edge"]


class LambdaEdgeWarning(UserWarning):
    """The chosen λ lies at an edge of its grid or of its search bounds.

    The criterion may keep falling beyond it: extend the grid (``lams``,
    ``lam_min_ratio``) or check the noise level.
    """


@dataclass(frozen=True)
class LambdaSelection:
    """Result of :func:`~sparseinv.select_lambda`.

    Attributes
    ----------
    lam : float or ndarray
        The chosen λ: a float, or the array ``scale * weights`` when weights fix the
        ratios (one value per group or per coefficient, like ``weights``).
    x : ndarray
        The solution at ``lam`` (from the warm-started path).
    method : str
        The criterion: ``"cv"``, ``"discrepancy"``, ``"sure"`` or ``"gcv"``
        (``"oracle"`` inside :func:`sparseinv.compare`).
    penalty : str
        ``"l0"``, ``"l1"`` or ``"l2"``.
    index : int
        Position of the chosen λ on the path.
    scale : float
        The chosen scale s (equal to ``lam`` without weights).
    criterion_value : float
        The criterion at the chosen λ.
    path_lams : ndarray
        The λ of the path, from the largest down: shape ``(n_lambdas,)``, or
        ``(n_lambdas, len(weights))`` with weights.
    path_scales : ndarray
        The scales s of the path, shape ``(n_lambdas,)``.
    criterion : ndarray
        The criterion curve along the path (for ``"discrepancy"`` the ratio
        ‖b − Ax‖ / (τσ√m), chosen where it crosses 1).
    objective : ndarray
        F at each solution of the full-data path.
    support_size : ndarray of int
        Non-zeros of each solution.
    df : ndarray
        Degrees of freedom of each solution in real units (see Notes of
        :func:`~sparseinv.select_lambda`).
    residual_norm : ndarray
        ‖b − Ax‖ of each solution.
    noise_std : float or None
        The σ the criterion used (None for ``"cv"`` and ``"gcv"``).
    noise_method : str or None
        Where σ came from: ``"given"`` or the estimator of
        :func:`~sparseinv.estimate_noise_std` (``"least_squares"``, ``"wavelet"``,
        ``"scaled_lasso"``, ``"cv"``), or None.
    weights : ndarray or None
        The fixed ratios, or None.
    n_solves : int
        Solves run in total (full-data path, folds, noise estimate).
    n_applications : int
        Applications of A and Aᴴ (or of row subsets of A) in total.
    converged : bool
        Whether every solve of the full-data path converged.
    criterion_std : ndarray
        The standard error of the criterion along the path (cross-validation: the
        spread over the folds, see :class:`~sparseinv.selection.FoldFits`); NaN for
        the other criteria.
    cv_rule : str
        ``"min"`` or ``"one_se"`` (how cross-validation chose; ``"min"`` otherwise).
    min_index : int
        Position of the minimum of the criterion (equal to ``index`` except under
        the one-standard-error rule and the discrepancy principle).
    at_edge : str or None
        ``"largest"`` or ``"smallest"`` when the chosen λ is the first or the last
        of a grid of three or more (a :class:`LambdaEdgeWarning` was issued), else
        None.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> A = np.eye(4); b = np.array([5.0, -4.0, 0.05, -0.02])
    >>> sel = si.select_lambda(A, b, "l1", method="sure", noise_std=0.2, n_lambdas=20)
    >>> int(sel.support_size[0]), int(np.count_nonzero(sel.x)), sel.path_lams.shape
    (0, 2, (20,))
    """

    lam: float | NDArray[np.float64]
    x: Any
    method: str
    penalty: str
    index: int
    scale: float
    criterion_value: float
    path_lams: NDArray[np.float64]
    path_scales: NDArray[np.float64]
    criterion: NDArray[np.float64]
    objective: NDArray[np.float64]
    support_size: NDArray[np.intp]
    df: NDArray[np.float64]
    residual_norm: NDArray[np.float64]
    noise_std: float | None
    noise_method: str | None
    weights: NDArray[np.float64] | None
    n_solves: int
    n_applications: int
    converged: bool
    criterion_std: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    cv_rule: str = "min"
    min_index: int = -1
    at_edge: str | None = None

    def __post_init__(self) -> None:
        for name in (
            "path_lams",
            "path_scales",
            "criterion",
            "objective",
            "support_size",
            "df",
            "residual_norm",
            "criterion_std",
        ):
            arr = np.array(getattr(self, name))
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)


def warn_at_edge(result: LambdaSelection, *, stacklevel: int = 3) -> None:
    """Issue a :class:`LambdaEdgeWarning` when ``result.at_edge`` says so."""
    if result.at_edge is None:
        return
    lam = result.path_scales[result.index]
    if result.at_edge == "largest":
        what = "the largest λ of the grid, where the solution is (nearly) zero"
    else:
        what = "the smallest λ of the grid"
    warnings.warn(
        f"the {result.method} criterion chose {what} (scale {lam:.3g}, index "
        f"{result.index} of {result.path_scales.size}); its optimum may lie beyond the "
        "grid: extend it (lams, lam_min_ratio) or check noise_std",
        LambdaEdgeWarning,
        stacklevel=stacklevel,
    )
