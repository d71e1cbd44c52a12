r"""Selection criteria: one small class per rule, registered by name in :data:`CRITERIA`.

Every criterion scores a λ (one number, one per group or one per coefficient) from
the data alone, warm-started from the state of a nearby λ:

- :meth:`Criterion.evaluate` ``(lam, state) -> (value, state)`` scores one λ (what
  the per-group search calls);
- :meth:`Criterion.path` scores a whole path of λ from large to small, given the
  full-data fits of that path (SURE, GCV and the discrepancy principle need nothing
  more; cross-validation solves its folds);
- :meth:`Criterion.choose` picks the index of the selected λ on a path (the
  minimum, or for the discrepancy principle the crossing of its equation).

A new rule is a subclass with these methods, added to :data:`CRITERIA`.

Notation: ``N`` real observations (``m``, or ``2m`` for complex data), ``v`` the
noise variance of one real observation (σ², or σ²/2 for complex data, whose noise
has :math:`E|n_i|^2 = \sigma^2`), ``RSS`` = :math:`\|b - A\hat x\|^2` and ``df`` the
degrees of freedom :math:`\operatorname{div}_b A\hat x` in real units
(:meth:`Engine.degrees_of_freedom`).
"""

from __future__ import annotations

import abc
import math
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from sparseinv.operators import as_operator
from sparseinv.selection._engine import Engine, Fit, check_n_folds, row_subset

__all__ = [
    "CRITERIA",
    "Criterion",
    "CrossValidation",
    "Discrepancy",
    "FitCriterion",
    "GeneralizedCrossValidation",
    "SteinUnbiasedRisk",
]


class Criterion(abc.ABC):
    """Base class of the λ-selection criteria.

    Parameters
    ----------
    engine : Engine
        The full-data problem (operator, data, penalty type, groups, solver).
    noise_var : float or None
        Noise variance of one real observation (needed by SURE and the
        discrepancy principle).
    tau : float
        Safety factor of the discrepancy principle.
    n_folds : int
        Folds of cross-validation.
    rng : numpy.random.Generator
        Random source of the folds.

    Examples
    --------
    >>> from sparseinv.selection import CRITERIA
    >>> sorted(CRITERIA), [CRITERIA[k].needs_noise_std for k in sorted(CRITERIA)]
    (['cv', 'discrepancy', 'gcv', 'sure'], [False, True, False, True])
    """

    #: the name in :data:`CRITERIA`
    name: ClassVar[str] = ""
    #: whether the criterion needs the noise level σ
    needs_noise_std: ClassVar[bool] = False
    #: whether the per-group search may minimise it
    per_group: ClassVar[bool] = True

    def __init__(
        self,
        engine: Engine,
        *,
        noise_var: float | None = None,
        tau: float = 1.0,
        n_folds: int = 5,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.engine = engine
        self.noise_var = noise_var
        self.tau = tau
        self.n_folds = n_folds
        self.rng = np.random.default_rng(rng)

    @abc.abstractmethod
    def evaluate(self, lam: Any, state: Any) -> tuple[float, Any]:
        """The criterion at one λ, warm-started.

        Parameters
        ----------
        lam : float or ndarray
            λ: one number, one per group or one per coefficient.
        state : object or None
            What an earlier call returned (its solutions, the warm start); None
            starts from zero.

        Returns
        -------
        value : float
            The criterion (smaller is better).
        state : object
            The solutions at ``lam``, to warm-start a later call.
        """

    def path(self, lams: Sequence[Any], fits: Sequence[Fit]) -> NDArray[np.float64]:
        """The criterion along a path.

        Parameters
        ----------
        lams : sequence
            The λ of the path, from large to small.
        fits : sequence of Fit
            The full-data fits at those λ (warm-started, in order).

        Returns
        -------
        ndarray
            One value per λ.
        """
        return np.array([self.score(fit) for fit in fits])

    def score(self, fit: Fit) -> float:
        """The criterion of a full-data fit (for criteria that need nothing else).

        Parameters
        ----------
        fit : Fit
            A solve with its ``rss``, ``df``, ``support_size`` and ``x``.

        Returns
        -------
        float
        """
        raise NotImplementedError(f"{self.name} is not a function of the full-data fit")

    def choose(self, values: NDArray[np.float64]) -> int:
        """Index of the selected λ on a path: the minimum (the largest λ among ties).

        Parameters
        ----------
        values : ndarray
            The criterion along the path, from the largest λ down.

        Returns
        -------
        int
        """
        finite = np.where(np.isfinite(values), values, np.inf)
        return int(np.argmin(finite))

    @property
    def n_solves(self) -> int:
        """Solves beyond those of the full-data engine."""
        return 0

    @property
    def n_applications(self) -> int:
        """Operator applications beyond those of the full-data engine."""
        return 0


class FitCriterion(Criterion):
    """A criterion computed from the full-data fit alone: one solve per λ.

    Subclasses define :meth:`score` from the fit's ``rss``, ``df``, ``support_size``
    and ``x`` (and ``self.noise_var``, ``self.engine.n_obs``).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> from sparseinv.selection.criteria import CRITERIA, FitCriterion
    >>> class Aic(FitCriterion):  # Akaike with known σ: RSS/σ² + 2 df
    ...     name = "aic"
    ...     needs_noise_std = True
    ...     def score(self, fit):
    ...         return fit.rss / self.noise_var + 2 * fit.df
    >>> CRITERIA["aic"] = Aic
    >>> sel = si.select_lambda(np.eye(3), np.array([3.0, 0.1, -2.0]), method="aic",
    ...                        noise_std=2.0, lams=[2.5, 1.0, 0.05])
    >>> sel.lam, int(np.count_nonzero(sel.x))
    (1.0, 2)
    >>> del CRITERIA["aic"]
    """

    def evaluate(self, lam: Any, state: Fit | None) -> tuple[float, Fit]:
        x0 = None if state is None else state.x
        probes = None if state is None else state.probes
        fit = self.engine.fit(lam, x0=x0, probes=probes)
        return self.score(fit), fit


class SteinUnbiasedRisk(FitCriterion):
    r"""Stein's unbiased risk estimate of the prediction risk :math:`E\|A(\hat x - x)\|^2`.

    .. math:: \mathrm{SURE}(\lambda) = \mathrm{RSS} - N v + 2 v\, \mathrm{df}.

    For the Lasso (one λ or one per group: the weighted Lasso) the support size is an
    unbiased df (Zou, Hastie & Tibshirani 2007; Tibshirani & Taylor 2012); for ridge
    df is the trace of the hat matrix (Hutchinson estimate); for L0 the support size
    misses the df of the thresholding jumps, so SURE is biased low at small λ.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> sel = si.select_lambda(np.eye(3), np.array([3.0, 0.1, -2.0]), method="sure",
    ...                        noise_std=0.1, lams=[0.5])
    >>> sel.criterion_value  # ‖r‖² − 3σ² + 2σ²·2 with r = (0.5, 0.1, −0.5)
    0.52
    """

    name = "sure"
    needs_noise_std = True

    def score(self, fit: Fit) -> float:
        v = float(self.noise_var)  # type: ignore[arg-type]
        return fit.rss - self.engine.n_obs * v + 2.0 * v * fit.df


class GeneralizedCrossValidation(FitCriterion):
    r"""Generalized cross-validation (Craven & Wahba 1979; Golub, Heath & Wahba 1979).

    .. math:: \mathrm{GCV}(\lambda) = \frac{\mathrm{RSS}/N}{(1 - \mathrm{df}/N)^2},

    with the same df as SURE; infinite once df reaches N. Needs no noise level.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> sel = si.select_lambda(np.eye(4), np.array([3.0, 0.1, -2.0, 0.0]), method="gcv",
    ...                        lams=[0.5])
    >>> round(sel.criterion_value, 4)  # (0.51 / 4) / (1 − 2/4)²
    0.51
    """

    name = "gcv"

    def score(self, fit: Fit) -> float:
        N = self.engine.n_obs
        if fit.df >= N:
            return math.inf
        return (fit.rss / N) / (1.0 - fit.df / N) ** 2


class Discrepancy(FitCriterion):
    r"""Morozov's discrepancy principle: :math:`\|b - A\hat x\| = \tau\sigma\sqrt m`.

    The value is the ratio :math:`\|b - A\hat x_\lambda\| / (\tau\sigma\sqrt m)`;
    :meth:`choose` takes the largest λ of the path whose ratio is at most 1 (the
    residual norm grows with λ, so this is the grid point just below the crossing).

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> b = np.array([3.0, 0.1, -2.0, 0.05])
    >>> sel = si.select_lambda(np.eye(4), b, method="discrepancy", noise_std=0.5,
    ...                        lams=[2.0, 1.0, 0.5, 0.25])
    >>> sel.lam, bool(sel.residual_norm[sel.index] <= 0.5 * 2 < sel.residual_norm[sel.index - 1])
    (0.5, True)
    """

    name = "discrepancy"
    needs_noise_std = True
    per_group = False

    def score(self, fit: Fit) -> float:
        target = self.tau**2 * self.engine.n_obs * float(self.noise_var)  # type: ignore[arg-type]
        if target <= 0:
            return math.inf if fit.rss > 0 else 0.0
        return math.sqrt(fit.rss / target)

    def choose(self, values: NDArray[np.float64]) -> int:
        below = np.flatnonzero(values <= 1.0)
        if below.size == 0:
            warnings.warn(
                "the discrepancy principle has no solution on the grid: the residual stays above "
                f"tau*sigma*sqrt(m) down to the smallest λ (ratio {float(values[-1]):.3g}); "
                "returning the smallest λ. Extend the grid or check noise_std.",
                UserWarning,
                stacklevel=4,
            )
            return int(values.size - 1)
        return int(below[0])


class _Fold:
    """One fold: the training problem and the held-out rows."""

    def __init__(self, engine: Engine, train: NDArray[np.intp], held: NDArray[np.intp]) -> None:
        b = engine.b
        self.engine = Engine(
            row_subset(engine.A, train),
            b[train],
            engine.penalty,
            engine.groups,
            engine.solve,
            engine.solver_options,
            with_df=False,
        )
        self.held_op = as_operator(row_subset(engine.A, held))
        self.held_b = b[held]
        # the data term of the training fold holds |train|/m of the measurements
        self.lam_factor = train.size / engine.shape[0]

    def held_out_error(self, x: Any) -> float:
        r = self.held_op.matvec(x) - self.held_b
        return float(np.real(np.vdot(r, r)))

    @property
    def n_applications(self) -> int:
        return self.engine.n_applications + self.held_op.n_applications


class CrossValidation(Criterion):
    r"""K-fold cross-validation over the measurements (rows of A).

    The rows are split at random into ``n_folds`` folds. For fold k the problem is
    solved on the other rows, :math:`A_{-k} = R_{-k}A` (a pylops ``Restriction``
    composed with a matrix-free A; a row slice of a sparse matrix or of an array up
    to 256 MiB), with
    :math:`\lambda_{-k} = \lambda\,m_{-k}/m`: the data term holds :math:`m_{-k}/m`
    of the measurements, so the same λ/m balance (scikit-learn's ``alpha``) is kept.
    The value is the total held-out squared error
    :math:`\sum_k \|A_k\hat x_{-k} - b_k\|^2`. Each fold keeps its own warm start.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.compressed_sensing(60, 100, 4, snr_db=20, rng=0)
    >>> sel = si.select_lambda(p.A, p.b, method="cv", n_folds=3, n_lambdas=10, rng=0)
    >>> sel.n_solves  # 10 on all the data, 3 x 10 on the folds
    40
    """

    name = "cv"

    def __init__(self, engine: Engine, **kwargs: Any) -> None:
        super().__init__(engine, **kwargs)
        m = engine.shape[0]
        check_n_folds(self.n_folds, m)
        order = self.rng.permutation(m)
        self.folds = []
        for held in np.array_split(order, self.n_folds):
            held = np.sort(held)
            train = np.setdiff1d(np.arange(m), held, assume_unique=True)
            self.folds.append(_Fold(engine, train, held))
        self.best_state: tuple[Fit, ...] | None = None

    def evaluate(self, lam: Any, state: tuple[Fit, ...] | None) -> tuple[float, tuple[Fit, ...]]:
        total = 0.0
        fits = []
        for k, fold in enumerate(self.folds):
            x0 = None if state is None else state[k].x
            fit = fold.engine.fit(_scaled(lam, fold.lam_factor), x0=x0)
            total += fold.held_out_error(fit.x)
            fits.append(fit)
        return total, tuple(fits)

    def path(self, lams: Sequence[Any], fits: Sequence[Fit]) -> NDArray[np.float64]:
        values: list[float] = []
        state = None
        for lam in lams:
            value, state = self.evaluate(lam, state)
            if not values or value < min(values):
                self.best_state = state  # the folds' solutions at the running minimum
            values.append(value)
        return np.array(values)

    @property
    def n_solves(self) -> int:
        return sum(f.engine.n_solves for f in self.folds)

    @property
    def n_applications(self) -> int:
        return sum(f.n_applications for f in self.folds)


def _scaled(lam: Any, factor: float) -> Any:
    return lam * factor if isinstance(lam, float) else np.asarray(lam) * factor


#: every criterion by name; add a :class:`Criterion` subclass here to plug in a rule
CRITERIA: dict[str, type[Criterion]] = {
    cls.name: cls
    for cls in (CrossValidation, Discrepancy, SteinUnbiasedRisk, GeneralizedCrossValidation)
}
