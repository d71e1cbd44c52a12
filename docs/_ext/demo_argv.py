"""Command-line arguments that sphinx-gallery gives every demo (``reset_argv``)."""

from __future__ import annotations

from pathlib import Path

#: where the demos' own figure files go during a docs build (the gallery scrapes its own)
DEMO_FIGURES = Path(__file__).resolve().parents[1] / "_build" / "demo_figures"


def quick_demo_argv(gallery_conf: dict, script_vars: dict) -> list[str]:
    """Run every demo in quick mode, writing its figure files under the build folder.

    sphinx-gallery sets ``sys.argv[1:]`` to this list before running each script, so
    the demos parse ``--quick`` exactly as from the command line.
    """
    return ["--quick", "--out", str(DEMO_FIGURES)]
