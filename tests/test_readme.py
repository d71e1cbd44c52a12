"""The README cannot rot: its Python example runs, and what it links to exists.

The ``python`` code blocks of README.md are extracted and executed in order, in one
namespace, with the Agg backend; the relative links and images must point at files of
the checkout, and the committed figure must stay small.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")
CODE_BLOCKS = re.findall(r"^```python\n(.*?)^```", TEXT, flags=re.MULTILINE | re.DOTALL)
# [text](target) and ![alt](target), relative targets only
LINKS = sorted({t for t in re.findall(r"\]\(([^)\s]+)\)", TEXT) if not re.match(r"[a-z]+://|#", t)})


def test_readme_has_a_python_example():
    assert CODE_BLOCKS, "README.md has no ```python block"
    assert 5 <= len(CODE_BLOCKS[0].strip().splitlines()) <= 15


def test_readme_python_example_runs(capsys, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__readme__"}
    for i, code in enumerate(CODE_BLOCKS):
        exec(compile(code, f"README.md[python block {i}]", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "SNR: one λ" in printed
    assert "| per_group |" in printed  # the comparison table


@pytest.mark.parametrize("target", LINKS)
def test_readme_links_exist(target):
    assert (ROOT / target).exists(), f"README.md links to {target}, which does not exist"


def test_readme_figure_is_small():
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+\.png)\)", TEXT)
    assert images, "README.md shows no figure"
    for image in images:
        size = (ROOT / image).stat().st_size
        assert size <= 150_000, f"{image} is {size} bytes; keep README figures under 150 kB"


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"^```bash\n(.*?)^```", TEXT, flags=re.MULTILINE | re.DOTALL)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands[:2] == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test", "docs"):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
