r"""One λ per column of a 2-D B: the single-λ selection of every right-hand side at once.

:func:`~sparseinv.select_lambda` with ``b`` of shape ``(m, k)`` comes here. Every
column gets the grid, σ and criterion it would get alone
(:func:`~sparseinv.selection.single.prepare_single`), and the path is then solved for
all columns together: at grid point i one batched solve of ``B`` with the per-column λ
``λ_i`` of shape ``(1, k)`` (each column's own grid), warm-started from the solutions
at ``λ_{i-1}``; cross-validation solves each fold of all columns the same way. The
criteria are evaluated per column on the columns of those solutions.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pylops.utils.backend import get_array_module

from sparseinv._validation import _describe, check_block
from sparseinv.operators import as_operator
from sparseinv.result import ConvergenceWarning
from sparseinv.selection._engine import Fit
from sparseinv.selection.criteria import CrossValidation, FoldFits
from sparseinv.selection.lambda_selection import LambdaEdgeWarning, LambdaSelection
from sparseinv.selection.single import _Setup, path_selection, prepare_single

__all__ = ["ColumnLambdaSelection", "select_columns"]


@dataclass(frozen=True)
class ColumnLambdaSelection:
    """Result of :func:`~sparseinv.select_lambda` on a 2-D ``b``: one λ per column.

    Attributes
    ----------
    lam : ndarray
        The chosen λ of every column, shape ``(1, k)``: ``si.L1(sel.lam)`` solves
        ``B`` with them. With ``weights`` (ratios fixed, one scale per column):
        ``scale * weights`` per column, shape ``(len(weights), k)``.
    x : ndarray
        The solutions at ``lam``, shape ``(n, k)``.
    columns : tuple of LambdaSelection
        The selection of each column, with its criterion curve and path
        (:meth:`column`).
    n_solves : int
        Solves run: each batched solve of the path (all columns at one grid point,
        and per fold for cross-validation) counts once, plus the single-column solves
        of the per-column set-up (σ estimates, the L0 grid top).
    n_applications : int
        Applications of A and Aᴴ per column (a block application to c columns
        counts c), in total.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> A = np.eye(4); B = np.array([[5.0, 0.5], [-4.0, 0.1], [0.05, 3.0], [-0.02, 0.0]])
    >>> sel = si.select_lambda(A, B, "l1", method="sure", noise_std=0.2, n_lambdas=20)
    >>> sel.lam.shape, sel.x.shape, sel.criterion.shape, sel.index.tolist() == [
    ...     c.index for c in sel.columns]
    ((1, 2), (4, 2), (20, 2), True)
    """

    lam: NDArray[np.float64]
    x: Any
    columns: tuple[LambdaSelection, ...]
    n_solves: int
    n_applications: int

    def column(self, j: int) -> LambdaSelection:
        """The selection of column ``j``, as if selected alone.

        What :func:`~sparseinv.select_lambda` returns for ``b[:, j]`` alone; its
        ``n_solves`` and ``n_applications`` count that column's share.

        Parameters
        ----------
        j : int
            The column.

        Returns
        -------
        LambdaSelection
        """
        return self.columns[j]

    @property
    def n_columns(self) -> int:
        """The number k of columns."""
        return len(self.columns)

    @property
    def method(self) -> str:
        """The criterion."""
        return self.columns[0].method

    @property
    def penalty(self) -> str:
        """The penalty name."""
        return self.columns[0].penalty

    def _stack(self, name: str) -> NDArray[Any]:
        return np.stack([np.asarray(getattr(c, name)) for c in self.columns], axis=-1)

    @property
    def index(self) -> NDArray[np.intp]:
        """Position of each column's λ on its path, shape ``(k,)``."""
        return self._stack("index")

    @property
    def scale(self) -> NDArray[np.float64]:
        """The chosen scale of each column, shape ``(k,)``."""
        return self._stack("scale")

    @property
    def criterion_value(self) -> NDArray[np.float64]:
        """The criterion at each column's λ, shape ``(k,)``."""
        return self._stack("criterion_value")

    @property
    def criterion(self) -> NDArray[np.float64]:
        """The criterion curves, shape ``(n_lambdas, k)``: column j is column j's."""
        return self._stack("criterion")

    @property
    def criterion_std(self) -> NDArray[np.float64]:
        """Standard errors of the curves (cross-validation), shape ``(n_lambdas, k)``."""
        return self._stack("criterion_std")

    @property
    def path_lams(self) -> NDArray[np.float64]:
        """The λ of every column's path, shape ``(n_lambdas, k)``.

        With ``weights``, shape ``(n_lambdas, len(weights), k)``.
        """
        return self._stack("path_lams")

    @property
    def path_scales(self) -> NDArray[np.float64]:
        """The scales of every column's path, shape ``(n_lambdas, k)``."""
        return self._stack("path_scales")

    @property
    def objective(self) -> NDArray[np.float64]:
        """F along every path, shape ``(n_lambdas, k)``."""
        return self._stack("objective")

    @property
    def support_size(self) -> NDArray[np.intp]:
        """Non-zeros along every path, shape ``(n_lambdas, k)``."""
        return self._stack("support_size")

    @property
    def df(self) -> NDArray[np.float64]:
        """Degrees of freedom along every path, shape ``(n_lambdas, k)``."""
        return self._stack("df")

    @property
    def residual_norm(self) -> NDArray[np.float64]:
        """‖b_j − Ax_j‖ along every path, shape ``(n_lambdas, k)``."""
        return self._stack("residual_norm")

    @property
    def noise_std(self) -> NDArray[np.float64] | None:
        """The σ each column's criterion used, shape ``(k,)`` (None for CV and GCV)."""
        if self.columns[0].noise_std is None:
            return None
        return self._stack("noise_std")

    @property
    def converged(self) -> NDArray[np.bool_]:
        """Whether every solve of each column's path converged, shape ``(k,)``."""
        return self._stack("converged")

    @property
    def at_edge(self) -> tuple[str | None, ...]:
        """Per column: ``"largest"``, ``"smallest"`` or None (see :class:`LambdaSelection`)."""
        return tuple(c.at_edge for c in self.columns)


def select_columns(
    A: Any,
    B: Any,
    penalty: Any,
    *,
    noise_std: Any,
    rng: Any,
    solver_options: dict[str, Any],
    **options: Any,
) -> ColumnLambdaSelection:
    """:func:`~sparseinv.select_lambda` on every column of ``B`` (shape ``(m, k)``).

    ``options`` are the other keywords of
    :func:`~sparseinv.selection.single.prepare_single`. ``noise_std`` is None, one σ
    for every column or one per column (shape ``(k,)``). Every column uses the same
    random source (a copy of ``rng``'s state), hence the same folds and probes, so
    column j's selection is the one of ``select_lambda(A, B[:, j], rng=rng)`` for a
    seed ``rng``.
    """
    op = as_operator(A)
    m = op.shape[0]
    xp = get_array_module(B)
    block, _ = check_block(B, "b", m, xp)
    k = block.shape[1]
    sigmas = _column_noise(noise_std, k)
    gen = np.random.default_rng(rng)
    setups = []
    for j in range(k):
        setups.append(
            prepare_single(
                A,
                block[:, j],
                penalty,
                noise_std=sigmas[j],
                rng=copy.deepcopy(gen),
                solver_options=solver_options,
                folds=j == 0,  # the folds of column 0 serve all columns
                **options,
            )
        )
    first = setups[0]  # every column's grid has the same size (n_lambdas or lams)
    batch = _Batch(first, block, setups)
    cv = first.criterion if isinstance(first.criterion, CrossValidation) else None
    n_points = first.scales.size
    values = np.empty((n_points, k))
    states: list[list[Any]] = [[] for _ in range(k)]
    fits: list[list[Fit]] = [[] for _ in range(k)]
    X = None
    fold_X: list[Any] = [None] * (0 if cv is None else len(cv.folds))
    for i in range(n_points):
        X, point_fits = batch.fit(i, X)
        for j, fit in enumerate(point_fits):
            fits[j].append(fit)
        if cv is None:
            for j, fit in enumerate(point_fits):
                previous = fits[j][i - 1] if i else None
                values[i, j] = _finite(setups[j].criterion.score_on_path(fit, previous))
                states[j].append(fit)
        else:
            fold_states, fold_X = batch.folds(i, cv, fold_X)
            for j, state in enumerate(fold_states):
                values[i, j] = _finite(state.value)
                states[j].append(state)
    columns = []
    for j, setup in enumerate(setups):
        criterion = cv if cv is not None else setup.criterion
        noise = setup.noise
        columns.append(
            path_selection(
                criterion,
                method=setup.method,
                penalty=setup.penalty.name,
                scales=setup.scales,
                lam_values=setup.lam_values,
                values=values[:, j],
                states=states[j],
                fits=fits[j],
                noise=noise,
                weights=setup.weights,
                n_solves=batch.column_solves + setup.engine.n_solves + _noise(noise, "n_solves"),
                n_applications=int(batch.column_applications[j])
                + setup.engine.n_applications
                + _noise(noise, "n_applications"),
                cv_rule=setup.cv_rule,
            )
        )
    lam = np.stack([batch.table(i) for i in range(n_points)])  # (n_points, rows, k)
    chosen = np.stack([lam[c.index, :, j] for j, c in enumerate(columns)], axis=-1)
    X_chosen = xp.stack([c.x for c in columns], axis=1)
    set_up_solves = sum(s.engine.n_solves + _noise(s.noise, "n_solves") for s in setups)
    set_up_apps = sum(s.engine.n_applications + _noise(s.noise, "n_applications") for s in setups)
    return ColumnLambdaSelection(
        lam=chosen,
        x=X_chosen,
        columns=tuple(columns),
        n_solves=batch.n_solves + set_up_solves,
        n_applications=int(batch.column_applications.sum()) + set_up_apps,
    )


def warn_columns_at_edge(result: ColumnLambdaSelection, *, stacklevel: int = 3) -> None:
    """One :class:`~sparseinv.selection.LambdaEdgeWarning` naming the columns whose λ is
    at an edge of their grid."""
    edges = {
        edge: [j for j, e in enumerate(result.at_edge) if e == edge]
        for edge in ("largest", "smallest")
    }
    parts = [f"the {edge} λ in columns {cols}" for edge, cols in edges.items() if cols]
    if not parts:
        return
    warnings.warn(
        f"the {result.method} criterion chose {' and '.join(parts)} of {result.n_columns}; "
        "their optimum may lie beyond the grid: extend it (lams, lam_min_ratio) or check "
        "noise_std",
        LambdaEdgeWarning,
        stacklevel=stacklevel,
    )


class _Batch:
    """The batched solves of a path: all columns at one grid point per solve."""

    def __init__(self, first: _Setup, block: Any, setups: Sequence[_Setup]) -> None:
        self.engine = first.engine
        self.block = block
        self.setups = setups
        self.k = block.shape[1]
        self.n_solves = 0  # batched solves
        self.column_solves = 0  # solves of one column (the same for every column)
        self.column_applications = np.zeros(self.k, dtype=np.int64)
        self.probes: list[Any] = [None] * self.k

    def table(self, i: int) -> NDArray[np.float64]:
        """λ of grid point i for every column: ``(1, k)``, or ``(len(w), k)`` with weights."""
        rows = [np.atleast_1d(np.asarray(s.lam_values[i], dtype=float)) for s in self.setups]
        return np.stack(rows, axis=1)

    def _solve(self, A: Any, B: Any, lam: NDArray[np.float64], X0: Any) -> Any:
        engine = self.engine
        pen = engine.make_penalty(lam)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = engine.solve(A, B, pen, x0=X0, **engine.solver_options)
        self.n_solves += 1
        self.column_solves += 1
        self.column_applications += np.asarray(res.n_applications, dtype=np.int64)
        return res, pen

    def fit(self, i: int, X0: Any) -> tuple[Any, list[Fit]]:
        """The full-data solve at grid point i, and each column's :class:`Fit`."""
        res, pen = self._solve(self.engine.A, self.block, self.table(i), X0)
        values = np.atleast_1d(np.asarray(pen.value(res.x), dtype=float))
        fits = []
        for j, setup in enumerate(self.setups):
            x = res.x[:, j]
            lam = setup.lam_values[i]
            objective = float(res.objective[j])
            engine = setup.engine
            if engine.with_df:  # L2: Hutchinson probes warm-started along the column's path
                previous = self.probes[j] if i > 0 else None
                df, self.probes[j] = engine.degrees_of_freedom(
                    engine.make_penalty(lam), x, previous
                )
            else:
                df = math.nan
            fits.append(
                Fit(
                    lam=lam,
                    x=x,
                    rss=max(2.0 * (objective - float(values[j])), 0.0),
                    df=df,
                    objective=objective,
                    support_size=int(engine.xp.count_nonzero(x)),
                    converged=bool(np.asarray(res.converged)[j]),
                )
            )
        return res.x, fits

    def folds(
        self, i: int, cv: CrossValidation, fold_X: list[Any]
    ) -> tuple[list[FoldFits], list[Any]]:
        """Every fold of all columns solved at grid point i: each column's :class:`FoldFits`."""
        table = self.table(i)
        errors = np.empty((len(cv.folds), self.k))
        new_X = []
        for f, fold in enumerate(cv.folds):
            res, _ = self._solve(
                fold.engine.A, self.block[fold.train], table * fold.lam_factor, fold_X[f]
            )
            R = fold.held_op.forward(res.x) - self.block[fold.held]
            self.column_applications += 1
            errors[f] = np.real(np.sum(R.conj() * R, axis=0))
            new_X.append(res.x)
        sizes = np.array([fold.held.size for fold in cv.folds], dtype=np.intp)
        states = [
            FoldFits(fits=(), errors=errors[:, j], sizes=sizes, repeats=cv.n_repeats)
            for j in range(self.k)
        ]
        return states, new_X


def _column_noise(noise_std: Any, k: int) -> list[Any]:
    if noise_std is None:
        return [None] * k
    arr = np.asarray(noise_std)
    if arr.ndim == 0:
        return [noise_std] * k
    if arr.shape != (k,):
        raise ValueError(
            f"noise_std must be one σ or one per column ({k},) for b with {k} columns; "
            f"got {_describe(noise_std)}"
        )
    return [float(v) for v in arr]


def _noise(noise: Any, name: str) -> int:
    return 0 if noise is None else int(getattr(noise, name))


def _finite(value: float) -> float:
    return math.inf if math.isnan(value) else float(value)
