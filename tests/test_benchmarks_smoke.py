"""Smoke test of the speed benchmarks: ``--quick`` runs end to end and its numbers hold.

Not a timed test: it checks that every solver of a quick run reaches the target
against the certified F* and that their final objectives agree, i.e. that the
harness (conventions, counters, certificate) is right. skglm is left out: its
numba compilation alone takes longer than this test may.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

pytest.importorskip("sklearn")
pytest.importorskip("pyproximal")


@pytest.fixture(autouse=True)
def _benchmarks_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))


def test_speed_vs_peers_quick() -> None:
    import speed_vs_peers

    lines: list[str] = []
    (out,) = speed_vs_peers.main(
        ["--quick", "--problems", "p1", "--solvers", "sparseinv,scikit-learn,pylops,pyproximal"],
        emit=lines.append,
    )
    assert out.certified_gap < 1e-10
    by_name = {r.solver: r for r in out.runs}
    assert set(by_name) == {
        "sparseinv.fista", "sparseinv.fista (own stop)", "scikit-learn", "pylops fista",
        "pyproximal PG(fista)",
    }  # fmt: skip
    for run in out.runs:
        assert run.seconds is not None, run
        assert run.reached <= speed_vs_peers.TARGET, run
    # pylops' FISTA applies A twice per iteration (once for its cost), pyproximal once
    assert by_name["pylops fista"].n_matvec == 2 * int(by_name["pylops fista"].setting.split()[0])
    for name in ("sparseinv.fista", "scikit-learn", "pylops fista", "pyproximal PG(fista)"):
        final = by_name[name].final_objective
        assert abs(final - out.f_star) <= 1e-7 * abs(out.f_star), name
    assert by_name["sparseinv.fista"].overhead > 0.5
    text = "\n".join(lines)
    assert "| sparseinv.fista |" in text and "### Summary against issue 11" in text


def test_batched_rhs_quick() -> None:
    import batched_rhs

    lines: list[str] = []
    ((case, rows, _load),) = batched_rhs.main(["--quick", "--cases", "cs"], emit=lines.append)
    batched, loop, peer = rows
    for row in (loop, peer):
        assert row.seconds is not None, row
        assert row.worst <= batched_rhs.TARGET, row
    assert loop.columns == loop.blocks  # one column per application in a loop
    assert peer.columns == peer.blocks * case.k  # pylops applies the (n, k) block at once
    if batched_rhs.batched_status() is None:
        assert batched.seconds is not None and batched.worst <= batched_rhs.TARGET
    else:
        assert batched.note.startswith("not available")
    assert "### Summary against issue 9" in "\n".join(lines)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
