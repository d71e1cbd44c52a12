"""Rank side of the MPI test harness (host side: ``tests/mpi_harness.py``).

Each rank appends JSON lines to ``$SPARSEINV_MPI_OUT/rank<r>.jsonl`` (to standard output
when the variable is unset, as in a run by hand). :func:`run` calls the script's ``main``
and ends with an ``exit`` record; an exception is recorded, then re-raised so that
``python -m mpi4py`` aborts the whole job instead of leaving the other ranks waiting.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mpi4py import MPI

COMM = MPI.COMM_WORLD
RANK = COMM.Get_rank()
SIZE = COMM.Get_size()


def _to_json(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON values; complex as [re, im]."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, complex):
        return [value.real, value.imag]
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


def emit(event: str = "result", **fields: Any) -> None:
    """Record one JSON line for this rank."""
    line = json.dumps({"rank": RANK, "size": SIZE, "event": event, **_to_json(fields)})
    out_dir = os.environ.get("SPARSEINV_MPI_OUT")
    if out_dir is None:
        print(line, flush=True)
        return
    with open(Path(out_dir) / f"rank{RANK}.jsonl", "a", encoding="utf-8") as out:
        out.write(line + "\n")


def run(main: Callable[[], None]) -> None:
    """Run ``main`` on this rank and record how it ended."""
    try:
        main()
    except BaseException as exc:
        emit("exit", status=1, error=type(exc).__name__, message=str(exc))
        traceback.print_exc()
        sys.stderr.flush()
        raise
    emit("exit", status=0)


def same_on_every_rank(value: Any) -> bool:
    """True on every rank when ``value`` (JSON-able) is the same on all of them."""
    text = json.dumps(_to_json(value), sort_keys=True)
    return all(t == text for t in COMM.allgather(text))
