"""Every numbered demo runs in quick mode, headless, and writes its figures.

The demos are found by the glob ``demos/[0-9][0-9]_*.py``, so a new demo is tested as
soon as it exists. Each runs in a subprocess, as a user would run it, with the Agg
backend, single-threaded BLAS (the CI machine has two cores) and a temporary
``--out``; it must exit 0, print the numbers behind its figures and write at least
one PNG named after its number (``NN_...png``), so that no two demos overwrite each
other's figures in ``demos/figures``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMOS = sorted((ROOT / "demos").glob("[0-9][0-9]_*.py"))
TIMEOUT_S = 300  # a quick demo takes seconds; this only stops a hung one


def test_demos_are_found():
    # the nine demos of the gallery, 01 to 09, one script each
    numbers = sorted(d.name[:2] for d in DEMOS)
    assert numbers[:9] == [f"{i:02d}" for i in range(1, 10)], [d.name for d in DEMOS]


@pytest.mark.parametrize("demo", DEMOS, ids=[d.stem for d in DEMOS])
def test_demo_runs_quick_and_writes_its_figures(demo, tmp_path):
    out = tmp_path / "figures"
    workdir = tmp_path / "cwd"  # a demo that ignored --out would write here instead
    workdir.mkdir()
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.update(
        MPLBACKEND="Agg",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    proc = subprocess.run(
        [sys.executable, str(demo), "--quick", "--out", str(out)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{demo.name} exited with {proc.returncode}\n--- stdout ---\n{proc.stdout[-3000:]}"
        f"\n--- stderr ---\n{proc.stderr[-3000:]}"
    )
    assert proc.stdout.strip(), f"{demo.name} printed nothing"
    figures = sorted(out.glob("*.png"))
    assert figures, f"{demo.name} wrote no PNG to --out {out}"
    number = demo.name[:3]  # "NN_"
    for figure in figures:
        assert figure.name.startswith(number), f"{figure.name} is not named {number}*.png"
        assert figure.stat().st_size > 1000, f"{figure.name} is (nearly) empty"
        assert str(figure) in proc.stdout, f"{demo.name} did not report writing {figure.name}"
    assert not list(workdir.rglob("*.png")), f"{demo.name} wrote figures outside --out"
