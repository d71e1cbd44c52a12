r"""Selection criteria: one small class per rule, the scores of the one λ search.

Every criterion scores a λ (one number, one per group or one per coefficient),
warm-started from the state of a nearby λ, and is minimised by
:class:`~sparseinv.selection.search.LambdaSearch`:

- :meth:`Criterion.evaluate` ``(lam, state) -> (value, state)`` scores one λ (what
  the scan and the pattern search call);
- :meth:`Criterion.choose` picks the selected λ on a scanned path (the minimum,
  for the discrepancy principle the crossing of its equation, for cross-validation
  optionally the one-standard-error rule);
- ``min_improvement``: how much a move of the search must lower the value to count.

The data-driven rules (cross-validation, SURE, GCV, the discrepancy principle) are
registered by name in :data:`CRITERIA`; a new rule is a subclass added there.
:class:`Oracle` is the same kind of object for a problem whose answer is known: minus
a recovery metric against ``x_true`` (what :func:`sparseinv.compare` tunes by
default), so that oracle and data-driven choices of λ run through one search.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from sparseinv._validation import check_positive_number
from sparseinv.operators import as_operator
from sparseinv.selection._engine import Engine, Fit, check_n_folds, row_subset

__all__ = [
    "CRITERIA",
    "CV_RULES",
    "Criterion",
    "CrossValidation",
    "Discrepancy",
    "FitCriterion",
    "FoldFits",
    "GeneralizedCrossValidation",
    "Oracle",
    "QuasiOptimality",
    "SteinUnbiasedRisk",
]

#: how cross-validation picks λ on a path: the minimum, or the one-standard-error rule
CV_RULES = ("min", "one_se")


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
    (['cv', 'discrepancy', 'gcv', 'quasi_optimality', 'sure'], [False, True, False, False, True])
    """

    #: the name in :data:`CRITERIA`
    name: ClassVar[str] = ""
    #: whether the criterion needs the noise level σ
    needs_noise_std: ClassVar[bool] = False
    #: why it chooses one λ only; empty where the per-group search may minimise it
    single_only: ClassVar[str] = ""
    #: whether it needs the degrees of freedom of each fit (a Hutchinson estimate for L2)
    needs_df: ClassVar[bool] = True
    #: a move of the search must lower the value by more than this (0: any decrease)
    min_improvement: float = 0.0

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

    def score_on_path(self, fit: Fit, previous: Fit | None) -> float:
        """The criterion of a full-data fit reached from ``previous`` (the fit before it
        on a path, or None).

        Only :class:`QuasiOptimality` reads ``previous``; every other criterion is
        :meth:`score`.

        Parameters
        ----------
        fit : Fit
            The fit to score.
        previous : Fit or None
            The fit at the previous (larger) λ of the path.

        Returns
        -------
        float
        """
        return self.score(fit)

    def choose(self, values: NDArray[np.float64], states: Sequence[Any] | None = None) -> int:
        """Index of the selected λ on a path: the minimum (the largest λ among ties).

        Going down the path, a λ replaces the best so far only when its value is lower
        by more than ``min_improvement``; NaN counts as the worst value.

        Parameters
        ----------
        values : ndarray
            The criterion along the path, from the largest λ down.
        states : sequence, optional
            The states :meth:`evaluate` returned along the path (used by rules that
            need more than the values, e.g. the one-standard-error rule of
            cross-validation).

        Returns
        -------
        int
        """
        values = np.where(np.isnan(values), np.inf, np.asarray(values, dtype=float))
        best = 0
        for i in range(1, values.size):
            tol = self.min_improvement if np.isfinite(values[best]) else 0.0
            if values[i] < values[best] - tol:
                best = i
        return best

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
        return self.score_on_path(fit, state), fit


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
    single_only = "the discrepancy principle is one equation and cannot fix G values"

    def score(self, fit: Fit) -> float:
        target = self.tau**2 * self.engine.n_obs * float(self.noise_var)  # type: ignore[arg-type]
        if target <= 0:
            return math.inf if fit.rss > 0 else 0.0
        return math.sqrt(fit.rss / target)

    def choose(self, values: NDArray[np.float64], states: Sequence[Any] | None = None) -> int:
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


class QuasiOptimality(FitCriterion):
    r"""The quasi-optimality criterion: the λ where the solution moves least.

    .. math:: \mathrm{QO}(\lambda) = \frac{\|\hat x_\lambda - \hat x_{\rho\lambda}\|}
              {\|\hat x_\lambda\|},

    with ρ > 1 the step of the grid (Tikhonov & Glasko 1965; Bauer & Reiß 2008), and
    infinite where :math:`\hat x_\lambda = 0`. It needs neither σ nor degrees of
    freedom, and it measures the solution, not the fit of the data, which the
    prediction-risk criteria (SURE, GCV, CV) score.

    Parameters
    ----------
    engine : Engine
        The full-data problem.
    ratio : float, default 10 ** 0.1
        ρ, the factor between a λ and its partner; :func:`~sparseinv.select_lambda`
        passes the step of its grid, so that on the scan the partner is the previous
        point of the path (no extra solve). Elsewhere (the per-group search, a
        non-geometric grid) the partner costs one more solve, warm-started.
    **kwargs
        The other keywords of :class:`Criterion` (unused).

    Notes
    -----
    The rule was made for linear regularization of ill-posed problems, where
    :math:`\hat x_\lambda` changes least near the best λ; Bauer & Lukas (2011)
    found it among the best parameter choices for them. The Lasso has no such
    basis. Where m < n, x̂ barely moves below the λ where the support saturates,
    and the criterion keeps falling to the end of the grid (the edge warning of
    :func:`~sparseinv.select_lambda` says so). On a deconvolution the path jumps
    where close spikes merge or split, and the flat stretch before a jump can pass
    for the minimum. Prefer ``"cv"`` for the Lasso.

    It chooses one λ (``single_only`` says why). Minimised over one λ per group by
    the pattern search, it tracked no recovery: on the ECG of the benchmark's
    ``selection_regret`` case (first four draws) it ended 18–24 dB below the
    per-group oracle, and on a 300-sample deconvolution 4.6 dB below its own
    single λ.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> b = np.array([3.0, 0.1, -2.0, 0.05])
    >>> sel = si.select_lambda(np.eye(4), b, method="quasi_optimality",
    ...                        lams=[4.0, 2.0, 1.0, 0.5])
    >>> sel.criterion.round(3).tolist()  # ‖x̂_λ − x̂_2λ‖ / ‖x̂_λ‖ of soft thresholding
    [inf, 1.0, 0.632, 0.243]
    """

    name = "quasi_optimality"
    needs_df = False
    single_only = "quasi-optimality minimised over G values does not track the recovery"

    def __init__(self, engine: Engine, *, ratio: float = 10.0**0.1, **kwargs: Any) -> None:
        super().__init__(engine, **kwargs)
        ratio = check_positive_number(ratio, "ratio")
        if ratio <= 1.0:
            raise ValueError(f"ratio must be > 1; got {ratio!r}")
        self.ratio = float(ratio)

    def score_on_path(self, fit: Fit, previous: Fit | None) -> float:
        xp = self.engine.xp
        size = float(xp.linalg.norm(fit.x))
        if size == 0.0:
            return math.inf
        partner_lam = _scaled(fit.lam, self.ratio)
        if previous is None or not np.allclose(
            np.asarray(previous.lam, dtype=float), partner_lam, rtol=1e-9, atol=0.0
        ):
            previous = self.engine.fit(partner_lam, x0=fit.x)
        return float(xp.linalg.norm(fit.x - previous.x)) / size


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
        self.train, self.held = train, held
        # the data term of the training fold holds |train|/m of the measurements
        self.lam_factor = train.size / engine.shape[0]

    def held_out_error(self, x: Any) -> float:
        r = self.held_op.matvec(x) - self.held_b
        return float(np.real(np.vdot(r, r)))

    @property
    def n_applications(self) -> int:
        return self.engine.n_applications + self.held_op.n_applications


@dataclass(frozen=True)
class FoldFits:
    """The state of :class:`CrossValidation` at one λ: the fold fits and their errors.

    Attributes
    ----------
    fits : tuple of Fit
        One training fit per fold (the warm starts of the next λ).
    errors : ndarray
        Held-out squared error of each fold (the folds of every partition).
    sizes : ndarray of int
        Held-out measurements of each fold.
    repeats : int
        Number of random partitions the folds come from (1: plain K-fold).
    """

    fits: tuple[Fit, ...]
    errors: NDArray[np.float64]
    sizes: NDArray[np.intp]
    repeats: int = 1

    @property
    def value(self) -> float:
        """The criterion: the total held-out error of one partition, averaged over them."""
        return float(self.errors.sum()) / self.repeats

    @property
    def standard_error(self) -> float:
        r"""Standard error of the total held-out error :math:`\sum_k E_k`.

        With :math:`e_k = E_k/m_k` the mean error per held-out measurement of fold k
        and :math:`\bar e = \sum_k E_k / m`, it is
        :math:`m\sqrt{\sum_k m_k(e_k - \bar e)^2 / (m(K-1))}` (the size-weighted
        spread over the K folds, as in glmnet). With R partitions the spread is taken
        over all RK folds and the result is that of :attr:`value`, the mean over the
        partitions (folds of different partitions overlap, so it is optimistic).
        """
        sizes = self.sizes.astype(float)
        m = float(sizes.sum())
        K = sizes.size
        if K < 2:
            return math.nan
        per = self.errors / sizes
        mean = float(self.errors.sum()) / m
        var = float(np.sum(sizes * (per - mean) ** 2)) / m
        return m * math.sqrt(var / (K - 1)) / self.repeats


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

    With ``n_repeats = R > 1`` the rows are partitioned R times independently
    (repeated K-fold) and the value is the mean of the R totals: RK solves per λ
    for a criterion whose minimum depends less on one random partition. That is
    meant for searches that tune many λ on it, which fit the partition's noise. On
    one ECG draw (``ecg(0.5, n_samples=512, snr_db=25)``, six wavelet scales) the
    per-group search on one 5-fold partition stopped at λ whose held-out error,
    averaged over six fresh partitions, is 19 890 against 15 003 at the oracle's λ
    (small λ on the two finest scales). It does not settle the per-group choice,
    though: on the first three draws of the ``selection_regret`` case, three
    partitions gave 21.1, 18.2 and 13.5 dB against 16.2, 18.1 and 19.0 dB for one
    (oracle 18.7, 23.0, 21.2), no gain on average for three times the solves, so
    the default stays one.

    Parameters
    ----------
    engine : Engine
        The full-data problem.
    rule : {"min", "one_se"}, default "min"
        How :meth:`choose` picks λ on a path: the minimum, or the largest λ whose
        value is within one standard error (:attr:`FoldFits.standard_error`) of the
        minimum (Breiman et al. 1984; Hastie, Tibshirani & Friedman 2009, §7.10):
        never a smaller λ than the minimum's.
    n_repeats : int, default 1
        Independent random partitions into ``n_folds`` folds (repeated K-fold).
    **kwargs
        ``n_folds``, ``rng`` (and the unused ``noise_var``, ``tau``) of
        :class:`Criterion`.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> p = si.problems.compressed_sensing(60, 100, 4, snr_db=20, rng=0)
    >>> sel = si.select_lambda(p.A, p.b, method="cv", n_folds=3, n_lambdas=10, rng=0)
    >>> sel.n_solves  # 10 on all the data, 3 x 10 on the folds
    40
    >>> one_se = si.select_lambda(p.A, p.b, method="cv", cv_rule="one_se", n_folds=3,
    ...                           n_lambdas=10, rng=0)
    >>> bool(one_se.lam >= sel.lam)
    True
    """

    name = "cv"

    def __init__(
        self, engine: Engine, *, rule: str = "min", n_repeats: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(engine, **kwargs)
        if not isinstance(rule, str) or rule not in CV_RULES:
            raise ValueError(f"cv_rule must be one of {list(CV_RULES)}; got {rule!r}")
        self.rule = rule
        self.n_repeats = check_positive_number(n_repeats, "n_repeats", integer=True)
        m = engine.shape[0]
        check_n_folds(self.n_folds, m)
        self.folds = []
        for _ in range(self.n_repeats):
            order = self.rng.permutation(m)
            for held in np.array_split(order, self.n_folds):
                held = np.sort(held)
                train = np.setdiff1d(np.arange(m), held, assume_unique=True)
                self.folds.append(_Fold(engine, train, held))

    def evaluate(self, lam: Any, state: FoldFits | None) -> tuple[float, FoldFits]:
        errors = np.empty(len(self.folds))
        fits = []
        for k, fold in enumerate(self.folds):
            x0 = None if state is None else state.fits[k].x
            fit = fold.engine.fit(_scaled(lam, fold.lam_factor), x0=x0)
            errors[k] = fold.held_out_error(fit.x)
            fits.append(fit)
        sizes = np.array([fold.held_b.size for fold in self.folds], dtype=np.intp)
        state = FoldFits(fits=tuple(fits), errors=errors, sizes=sizes, repeats=self.n_repeats)
        return state.value, state

    def choose(self, values: NDArray[np.float64], states: Sequence[Any] | None = None) -> int:
        best = super().choose(values)
        if self.rule == "min" or states is None:
            return best
        se = states[best].standard_error
        if not math.isfinite(se):
            return best
        within = np.flatnonzero(np.asarray(values, dtype=float)[: best + 1] <= values[best] + se)
        return int(within[0])

    @property
    def n_solves(self) -> int:
        return sum(f.engine.n_solves for f in self.folds)

    @property
    def n_applications(self) -> int:
        return sum(f.n_applications for f in self.folds)


class Oracle(FitCriterion):
    r"""Minus a recovery metric of the solution: the oracle choice of λ.

    Not a rule for real data: it scores a solution against a known truth, what
    :func:`sparseinv.compare` tunes by default to measure what each λ
    parametrisation can achieve at best. It runs through the same search as the
    data-driven criteria, one full-data solve per λ.

    Parameters
    ----------
    engine : Engine
        The full-data problem.
    recovery : callable
        ``recovery(x) -> float``, higher is better (e.g. the SNR of x against
        ``x_true`` in dB); NaN counts as the worst.
    min_improvement : float, default 1e-3
        A move must raise ``recovery`` by more than this (in its units, dB for the
        SNR) to count.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> from sparseinv.selection._engine import Engine
    >>> x_true = np.array([3.0, 0.0, -2.0])
    >>> engine = Engine(np.eye(3), x_true + [0.1, 0.1, -0.1], si.L1, None, "fista", {})
    >>> oracle = Oracle(engine, lambda x: -float(np.sum((x - x_true) ** 2)))
    >>> value, fit = oracle.evaluate(0.1, None)
    >>> round(value, 4), fit.x.round(2).tolist()
    (0.0, [3.0, 0.0, -2.0])
    """

    name = "oracle"
    needs_df = False

    def __init__(
        self,
        engine: Engine,
        recovery: Callable[[Any], float],
        *,
        min_improvement: float = 1e-3,
    ) -> None:
        super().__init__(engine)
        if not callable(recovery):
            raise TypeError(f"recovery must be callable; got {type(recovery).__name__}")
        self.recovery = recovery
        self.min_improvement = float(min_improvement)

    def score(self, fit: Fit) -> float:
        value = float(self.recovery(fit.x))
        return math.inf if math.isnan(value) else -value


def _scaled(lam: Any, factor: float) -> Any:
    return lam * factor if isinstance(lam, float) else np.asarray(lam) * factor


#: every criterion by name; add a :class:`Criterion` subclass here to plug in a rule
CRITERIA: dict[str, type[Criterion]] = {
    cls.name: cls
    for cls in (
        CrossValidation,
        Discrepancy,
        SteinUnbiasedRisk,
        GeneralizedCrossValidation,
        QuasiOptimality,
    )
}
