"""ISTA and FISTA: one proximal-gradient loop, FISTA adding momentum and restart."""

from __future__ import annotations

from typing import Any

import numpy as np

from sparseinv._validation import check_flag
from sparseinv.penalties import Penalty
from sparseinv.result import SolveResult
from sparseinv.solvers import _working_set
from sparseinv.solvers._loop import Callback, run_proximal_gradient
from sparseinv.solvers._problem import certifiable_tol
from sparseinv.solvers._setup import check_options, prepare

__all__ = ["fista", "ista"]

_SHARED_NOTES = r"""
    Both solvers minimize the sparseinv objective (:mod:`sparseinv.objective`)

    .. math::

        F(x) = \tfrac12\|Ax - b\|_2^2 + \sum_i \lambda_i R(x_i)

    by proximal-gradient steps :math:`x^+ = \operatorname{prox}_{t\lambda R}(y - tA^H(Ay - b))`.

    **Cost.** Each iteration applies :math:`A` once and :math:`A^H` once, objective
    and stopping test included: :math:`Ay` is a combination of :math:`Ax_k` and
    :math:`Ax_{k-1}`, so only :math:`Ax^+` is computed. ``n_matvec`` and
    ``n_rmatvec`` are totals that include the power iteration estimating the
    step; ``history["n_applications"]`` gives the running count per iterate. The
    power iteration runs only once the start is known not to be optimal: a warm
    start at the solution costs one matvec and one rmatvec.

    **Step.** With ``step=None``, :math:`L = \|A\|_2^2` is estimated by a short power
    iteration (:func:`sparseinv.lipschitz`; a few percent of ARPACK's cost) and
    the step :math:`1/L` is guarded by the sufficient-decrease test
    :math:`\|A(x^+ - y)\|^2 \le \|x^+ - y\|^2 / t`, which needs no extra
    application of A. The test works both ways: a failed test shrinks the step to
    0.9 over the observed curvature :math:`\|A(x^+ - y)\|^2/\|x^+ - y\|^2` (costing
    one matvec), and after 5 accepted steps in a row the step grows by 10%, since
    along the sparse directions the iterates move in, the curvature is often far
    below :math:`L`. Each failure doubles the run of accepted steps needed before
    the next growth, so growth fades on problems where it does not pay. A given
    ``step`` is used as is, without the test.

    **Stopping.** ``tol`` bounds an optimality measure, not the change of x, and
    ``converged=True`` means it holds at the returned x:

    - L1 with every :math:`\lambda_i > 0`: the relative duality gap
      :math:`(F(x_k) - D(\theta_k)) / F(x_k)`, with :math:`\theta_k` the best feasible
      rescaling of the residual (:meth:`sparseinv.L1.dual_value`). It bounds the
      relative suboptimality: :math:`(F(x_k) - F^\star)/F(x_k) \le` ``tol``.
    - L2 with every :math:`\lambda_i > 0` (strongly convex, modulus
      :math:`\mu \ge \lambda_{\min}`): :math:`\|\nabla F(y)\| / (\lambda_{\min}\|x_k\|)`,
      a bound on the relative distance to the solution
      :math:`\|x_k - x^\star\| / \|x_k\|`.
    - L0 (and L1 or L2 with some :math:`\lambda_i = 0`): the gradient mapping
      :math:`\|x^+ - y\| / t`, where :math:`x^+ = \operatorname{prox}(y - t\nabla f(y))`,
      relative to :math:`\|A^Hb\|` (the gradient at 0). It vanishes exactly at the
      fixed points of the step and is evaluated once more at the returned x before
      a solve is declared converged. For L0, a non-convex problem, a fixed point
      is a local minimizer, not a certified global one.

    A start that already satisfies the first two measures is returned as it is,
    after ``n_iter = 0`` iterations (for instance :math:`x_0 = 0` when
    :math:`\lambda \ge \lambda_{\max}`). ``tol=0`` runs ``max_iter`` iterations and does
    not warn. Reaching ``max_iter`` otherwise gives ``converged=False``,
    ``stop_reason="max_iter"`` and a :class:`~sparseinv.ConvergenceWarning`.
    Non-finite or exploding iterates stop the solve with ``stop_reason="diverged"``,
    a warning, and the last finite iterate; so does a sufficient-decrease test
    that fails 100 times in one iteration. Every inner loop is bounded, so a solve
    always returns, and ``objective`` is always F at the returned x, which is never
    worse than the start.

    **Many right-hand sides.** A data block ``b`` of shape ``(m, k)`` solves ``k``
    problems at once, one per column, with λ one number, per column ``(1, k)``, per
    coefficient ``(n,)``, per coefficient and column ``(n, k)``, or per group
    ``(G,)`` / ``(G, k)`` (the table in :mod:`sparseinv.penalties`). Each column is
    its own problem, with its own step, momentum, restart, stopping and divergence
    test (FISTA's refinements alone are gathered across columns: see below); the
    result holds one entry per column and ``res.column(j)`` is column
    ``j``'s own :class:`~sparseinv.SolveResult`. An array or sparse matrix is
    applied to the block at once (one BLAS-3 product), a ``LinearOperator`` through
    ``matmat``/``rmatmat`` (pylops' default loops over the columns; a pylops
    operator built for ``k`` columns at once is declared with
    :class:`~sparseinv.ColumnBatch`). A column that has stopped leaves the block,
    so it costs nothing more wherever the operator can be applied to fewer
    columns. ``n_matvec`` and ``n_rmatvec`` count the applications each column
    received (the shared step estimate included); ``n_block_matvec`` and
    ``n_block_rmatvec`` count the calls of the operator.
"""

_PARAMETERS = """
    Parameters
    ----------
    A : array, sparse matrix, LinearOperator or ColumnBatch
        Operator of shape ``(m, n)``: numpy/cupy array, scipy sparse matrix, scipy
        or pylops ``LinearOperator``; real or complex.
    b : ndarray
        Data with ``m`` entries (flattened if multi-dimensional), or a block of
        shape ``(m, k)`` for ``k`` right-hand sides; real or complex.
    penalty : Penalty
        :class:`~sparseinv.L0`, :class:`~sparseinv.L1` or :class:`~sparseinv.L2` with
        one λ, one per group or one per coefficient (or per column of a block).
    x0 : ndarray, optional
        Starting point with ``n`` entries, or ``(n, k)`` for a block (zeros by
        default). Not modified.
    step : float, optional
        Fixed step size > 0. Default: 1/L estimated, with backtracking.
    max_iter : int, optional
        Most iterations, ≥ 1.
    tol : float, optional
        Tolerance ≥ 0 on the optimality measure (see Notes).
    callback : callable, optional
        Called as ``callback(x)`` with a copy of each new iterate (the whole
        ``(n, k)`` block for a batch); a truthy return (``True``, ``np.True_``...)
        stops the solve (``stop_reason="callback"``)."""


def ista(
    A: Any,
    b: Any,
    penalty: Penalty,
    *,
    x0: Any = None,
    step: float | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    callback: Callback | None = None,
) -> SolveResult:
    options = check_options(step=step, max_iter=max_iter, tol=tol, callback=callback)
    setup = prepare(A, b, penalty, x0)
    options["tol"] = certifiable_tol(options["tol"], setup.dtype)
    return run_proximal_gradient(
        setup,
        **options,
        momentum=False,
        restart=False,
        refine=False,
        anderson=False,
        solver="ista",
    )


def fista(
    A: Any,
    b: Any,
    penalty: Penalty,
    *,
    x0: Any = None,
    step: float | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    callback: Callback | None = None,
    restart: bool = True,
    refine: bool = True,
    anderson: bool = True,
) -> SolveResult:
    options = check_options(step=step, max_iter=max_iter, tol=tol, callback=callback)
    flags = {
        name: check_flag(value, name)
        for name, value in (("restart", restart), ("refine", refine), ("anderson", anderson))
    }
    setup = prepare(A, b, penalty, x0)
    options["tol"] = certifiable_tol(options["tol"], setup.dtype)
    if _working_set.applies(A, b, penalty, step=step, callback=callback):
        result = _working_set.solve(
            _full_fista,
            A,
            b,
            penalty,
            x0=x0,
            max_iter=max_iter,
            tol=options["tol"],
            options=flags,
            column_norms=setup.op.column_norms(),
        )
        if result is not None:
            return result
    return run_proximal_gradient(setup, **options, **flags, momentum=True, solver="fista")


def _full_fista(
    A: Any,
    b: Any,
    penalty: Penalty,
    *,
    x0: Any,
    step_start: float | None = None,
    column_sq: np.ndarray | None = None,
    **options: Any,
) -> SolveResult:
    """FISTA on all the columns of ``A`` (a working set's subproblem, whose columns'
    squares ``column_sq`` are known from the checked full matrix)."""
    flags = {name: options.pop(name) for name in ("restart", "refine", "anderson")}
    checked = check_options(step=None, callback=None, **options)
    return run_proximal_gradient(
        prepare(A, b, penalty, x0, column_sq=column_sq),
        **checked,
        **flags,
        momentum=True,
        solver="fista",
        step_start=step_start,
    )


ista.__doc__ = f"""Iterative shrinkage-thresholding (proximal gradient) for L0, L1 or L2.
{_PARAMETERS}

    Returns
    -------
    SolveResult
        Solution, objective, history, counters and stop reason.

    Raises
    ------
    TypeError, ValueError
        For a bad argument; the message names it.

    See Also
    --------
    fista : The same loop with momentum and restart.
    irls : Iteratively reweighted least squares.

    Notes
    -----{_SHARED_NOTES}
    ISTA takes :math:`y = x_k`. For L0 it is iterative hard thresholding, monotone
    under the sufficient-decrease test.

    References
    ----------
    .. [1] I. Daubechies, M. Defrise, C. De Mol, "An iterative thresholding algorithm
       for linear inverse problems with a sparsity constraint", CPAM 57, 2004.
    .. [2] T. Blumensath, M. Davies, "Iterative hard thresholding for compressed
       sensing", ACHA 27, 2009.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> res = si.ista(np.eye(3), np.array([3.0, 0.5, -2.0]), si.L1(1.0))
    >>> res.x.tolist(), res.stop_reason
    ([2.0, 0.0, -1.0], 'converged')
"""

fista.__doc__ = f"""Fast iterative shrinkage-thresholding with adaptive restart, for L0, L1 or L2.
{_PARAMETERS}
    restart : bool, optional
        Adaptive restart of the momentum (default True).
    refine : bool, optional
        Once the support (and, for real L1, the signs) of the iterate has not
        changed for a few iterations, minimize F on that support by conjugate
        gradients, where it is a quadratic (default True). Each CG step applies A
        and :math:`A^H` once and lowers F; see Notes.
    anderson : bool, optional
        Every 5 iterations, try an Anderson extrapolation of the last iterates and
        keep it if it lowers F (default True; after a rejected try the next waits
        twice as long, up to 20 iterations). Costs no operator application.

    Returns
    -------
    SolveResult
        Solution, objective, history, counters and stop reason.

    Raises
    ------
    TypeError, ValueError
        For a bad argument; the message names it.

    See Also
    --------
    ista : The same loop without momentum.
    irls : Iteratively reweighted least squares.

    Notes
    -----{_SHARED_NOTES}
    FISTA extrapolates :math:`y = x_k + \\frac{{t_{{k-1}} - 1}}{{t_k}}(x_k - x_{{k-1}})`
    (Beck & Teboulle). With ``restart=True`` the momentum restarts by the gradient
    scheme of O'Donoghue & Candès (when :math:`\\langle y - x^+, x^+ - x_k\\rangle > 0`)
    for the convex penalties; for L0, whose accelerated iteration is non-convex, a
    step that would increase F is rejected and the momentum restarted, so F never
    increases.

    Two safeguarded accelerations are added to the FISTA step; each only ever
    lowers F, and ``restart=False, refine=False, anderson=False`` (with a fixed
    ``step``) gives textbook FISTA:

    - ``refine=True``: when the sign pattern of the iterate has been stable for 5
      iterations, up to 100 conjugate-gradient steps minimize the quadratic that F
      is on that support. For L1, a CG step that would change the sign of a
      coefficient stops where it reaches zero; that coefficient leaves the
      support and CG restarts on the rest (an active-set step). Supports of real
      coefficients on one process with no more coefficients than the rows of A
      (and at most 256 where an operator computes the columns) are solved
      directly instead, column by column: the support's columns of A are
      gathered from a matrix or computed from an operator by one matvec each
      (counted; a :class:`~sparseinv.ColumnBatch` serves every column of the
      batch in each block application), and the normal equations are factored
      once (Cholesky) and solved with the same active-set cuts; an
      ill-conditioned support (deconvolution), where CG stops at its cap, is then
      settled in one or two refinements. The gradient is
      carried along by linearity, so FISTA resumes from the result without an
      extra rmatvec and with a certified optimality measure. This is what lets
      FISTA finish on ill-conditioned problems (deconvolution), where its own rate
      is poor once the support is found. Complex L1, whose modulus is not
      quadratic on the support, is never refined. In a batch the columns' supports
      settle at different iterations, while a CG step costs one block application
      whatever the number of columns it serves: a column that falls due keeps
      stepping until a third of the running columns are due or it has waited 25
      iterations, and they are refined together (on 256 deconvolved traces, 3,941
      block applications instead of 20,650, and 0.67× the time).
    - ``anderson=True``: every 5 iterations the last 6 iterates are combined with
      Anderson weights (minimizing the norm of the combined differences, as in
      celer and skglm) and the extrapolated point replaces the iterate if F is
      lower there; :math:`Ax` of that point is the same combination of the stored
      :math:`Ax_i`, so the test is free. A rejected try doubles the wait before
      the next one (10, then 20 iterations) and an accepted one brings it back to
      5: where most tries are rejected (29 of 31 on the spike deconvolution of the
      speed benchmark), their vector work is saved, and the differences are stored
      only in the iterations the next try combines.

    **Working set** (explicit matrices with L1). For a numpy array or scipy sparse
    matrix with more than 200 columns, a 1-D ``b``, an L1 penalty with every
    :math:`\\lambda_i > 0` (one λ, per group or per coefficient), float64 or
    complex128 data, ``tol > 0`` and neither ``step`` nor ``callback``, this FISTA
    runs inside an outer loop, as celer and skglm do: it computes
    :math:`A^H r` on the full matrix, stops when the relative duality gap of the
    **full** problem is at most ``tol``, and otherwise solves the problem
    restricted to a working set W of columns (the support of x and the columns
    whose optimality condition :math:`|a_i^H r| \\le \\lambda_i` is violated most,
    twice the support and at least 100, more where the gap stalls) by this same
    FISTA, warm-started at :math:`x_W`. Each product then costs ``|W|`` columns
    instead of ``n``. ``n_matvec`` and ``n_rmatvec`` count products with A and
    with its restriction alike; ``n_iter`` and ``history`` are those of the inner
    iterations end to end, the last ``optimality`` the full problem's gap. Every
    other problem (matrix-free operators, L0, L2, a block ``b``) runs on all the
    columns.

    On the benchmark problems of ``benchmarks/speed_vs_peers.py`` these bring the
    operator applications to a relative suboptimality of 1e-6 to 0.24-0.6 times
    those of pylops' FISTA.

    References
    ----------
    .. [1] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
       linear inverse problems", SIAM J. Imaging Sci. 2, 2009.
    .. [2] B. O'Donoghue, E. Candès, "Adaptive restart for accelerated gradient
       schemes", Found. Comput. Math. 15, 2015.
    .. [3] Q. Bertrand, M. Massias, "Anderson acceleration of coordinate descent",
       AISTATS 2021.

    Examples
    --------
    >>> import numpy as np, sparseinv as si
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 100)); x = np.zeros(100); x[:4] = 3.0
    >>> res = si.fista(A, A @ x, si.L1(0.1), tol=1e-10)
    >>> bool(np.allclose(res.x, x, atol=0.05)), res.converged
    (True, True)
"""
