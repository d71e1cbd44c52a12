"""Run benchmark tasks in order or in worker processes, with seeds and progress lines."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TextIO

import numpy as np

__all__ = ["Runner", "limit_blas_threads"]

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def limit_blas_threads(n_threads: int = 1) -> Iterator[None]:
    """Limit the BLAS threads of this process (through threadpoolctl, when installed).

    Matrix-vector products gain nothing from BLAS threads at these sizes, and a
    threaded BLAS slows down by an order of magnitude when the cores are shared.

    Parameters
    ----------
    n_threads : int, default 1
        Threads allowed.

    Yields
    ------
    None
        The limit holds inside the ``with`` block.

    Examples
    --------
    >>> with limit_blas_threads(1):
    ...     pass
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it the BLAS keeps its own setting
        yield
        return
    with threadpool_limits(limits=n_threads, user_api="blas"):
        yield


def _init_worker() -> None:
    # spawned workers read the thread variables at import; this covers a preloaded BLAS
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


class Runner:
    """Maps task functions over keyword sets, inline or on worker processes.

    Parameters
    ----------
    jobs : int, default 1
        Worker processes; 1 runs every task in this process.
    seed : int, default 0
        Base seed; :meth:`seed_for` derives one seed per task from it.
    stream : file, "stdout" or None, default "stdout"
        Where progress goes: a file, the current standard output, or nowhere.

    Examples
    --------
    >>> with Runner(jobs=1, seed=0, stream=None) as runner:
    ...     runner.map(pow, [{"base": 2, "exp": 3}, {"base": 3, "exp": 2}], label="demo")
    [8, 9]
    """

    def __init__(self, *, jobs: int = 1, seed: int = 0, stream: TextIO | str | None = "stdout"):
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs must be an integer >= 1; got {jobs!r}")
        self.jobs = jobs
        self.seed = int(seed)
        self.stream = stream
        self._pool: ProcessPoolExecutor | None = None
        self._start = time.perf_counter()

    def __enter__(self) -> Runner:
        if self.jobs > 1:
            import multiprocessing

            for name in _THREAD_VARIABLES:
                os.environ.setdefault(name, "1")
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
            )
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def seed_for(self, *keys: Any) -> int:
        """A seed for one task, from the base seed and the task's keys.

        Parameters
        ----------
        *keys
            Anything with a stable ``str`` (case name, sizes, trial number...).

        Returns
        -------
        int

        Examples
        --------
        >>> Runner(seed=0, stream=None).seed_for("case", 1) == Runner(seed=0).seed_for("case", 1)
        True
        """
        words = [self.seed, *(zlib.crc32(str(k).encode()) for k in keys)]
        return int(np.random.SeedSequence(words).generate_state(1)[0])

    def log(self, message: str) -> None:
        """Print one progress line with the elapsed time.

        Parameters
        ----------
        message : str
            The line.

        Examples
        --------
        >>> Runner(stream=None).log("nothing shown")
        """
        if self.stream is not None:
            elapsed = time.perf_counter() - self._start
            out = sys.stdout if isinstance(self.stream, str) else self.stream
            print(f"[{elapsed:7.1f} s] {message}", file=out, flush=True)

    def map(
        self, fn: Callable[..., Any], tasks: Sequence[Mapping[str, Any]], *, label: str
    ) -> list[Any]:
        """``[fn(**task) for task in tasks]``, on the workers when there are several.

        Parameters
        ----------
        fn : callable
            A module-level function (workers import it by name).
        tasks : sequence of dict
            Keyword arguments of each call.
        label : str
            Shown in the progress lines.

        Returns
        -------
        list
            The results, in task order.
        """
        n = len(tasks)
        every = max(1, n // 10)
        results: list[Any] = [None] * n
        if self._pool is None:
            for i, task in enumerate(tasks):
                results[i] = fn(**task)
                if (i + 1) % every == 0 or i + 1 == n:
                    self.log(f"{label}: {i + 1}/{n}")
            return results
        futures: dict[Future, int] = {
            self._pool.submit(fn, **task): i for i, task in enumerate(tasks)
        }
        done = 0
        from concurrent.futures import as_completed

        for future in as_completed(futures):
            results[futures[future]] = future.result()
            done += 1
            if done % every == 0 or done == n:
                self.log(f"{label}: {done}/{n}")
        return results
