"""The documentation builds without a single warning (``sphinx-build -W``).

Slow (it runs every demo in quick mode for the gallery), so it runs only when
``SPARSEINV_DOCS=1``; ``make docs`` is the usual way to build the docs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    os.environ.get("SPARSEINV_DOCS") != "1",
    reason="builds the docs only with SPARSEINV_DOCS=1 (or run `make docs`)",
)


def test_docs_build_with_warnings_as_errors(tmp_path):
    html = tmp_path / "html"
    env = {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(ROOT / "docs"),
            str(html),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    for page in ("index", "installation", "objective", "user_guide", "api", "changelog"):
        assert (html / f"{page}.html").is_file(), page
    for demo in sorted((ROOT / "demos").glob("[0-9][0-9]_*.py")):
        assert (html / "auto_examples" / f"{demo.stem}.html").is_file(), demo.name
