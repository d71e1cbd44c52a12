"""Sphinx configuration of the sparseinv documentation.

Build with ``make docs`` (``sphinx-build -W --keep-going -b html docs docs/_build/html``).
The gallery is built from ``demos/`` by sphinx-gallery, every numbered demo run with
``--quick`` so that the whole build takes minutes on a laptop.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import sparseinv

DOCS = Path(__file__).resolve().parent

# -- project --------------------------------------------------------------------------
project = "sparseinv"
author = "the sparseinv developers"
project_copyright = "2025, the sparseinv developers"
release = sparseinv.__version__
version = release

# -- general --------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
default_role = "literal"

# API reference: one page per public object, generated from the docstrings
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc Parameters section carries the types
numpydoc_show_class_members = False  # the class template lists members once
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- gallery --------------------------------------------------------------------------
# reset_argv is given by name (a string pickles; a function defined here would not)
sys.path.insert(0, str(DOCS / "_ext"))

sphinx_gallery_conf = {
    "examples_dirs": ["../demos"],
    "gallery_dirs": ["auto_examples"],
    # every numbered demo is executed, NN_name.py
    "filename_pattern": r"[\\/]\d\d_\w+\.py$",
    "ignore_pattern": r"__init__\.py",
    "reset_argv": "demo_argv.quick_demo_argv",  # every demo runs with --quick
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sparseinv",),
    "backreferences_dir": "gen_modules/backreferences",
    "abort_on_example_error": True,
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "show_memory": False,
}
os.environ.setdefault("MPLBACKEND", "Agg")

# -- HTML -----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sparseinv {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_context = {"default_mode": "light"}
html_static_path: list[str] = []


def _skip_metadata_routing(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters (``set_fit_request``,
    ``set_score_request``) of the estimators: their docstrings refer to scikit-learn's
    glossary, and scikit-learn documents them."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_routing)
