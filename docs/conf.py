"""Sphinx configuration of the selfdistill documentation.

Build (from the repository root)::

    python -m sphinx -W -b html docs docs/_build/html

``-W`` turns every warning into an error; the gallery in ``examples/`` is executed during the build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

import selfdistill  # noqa: E402

project = "selfdistill"
author = "selfdistill developers"
copyright = "2026, selfdistill developers"  # noqa: A001 (Sphinx's name)
release = selfdistill.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "selfdistill_docs",
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False, "show-inheritance": False}
autodoc_typehints = "none"
# numpydoc renders the Parameters/Attributes sections; without this flag it would also emit one
# autosummary table per class listing every method, duplicating the class page.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

intersphinx_mapping = {}  # offline builds: no inventories are fetched

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
}

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
html_theme = "pydata_sphinx_theme"
html_title = f"selfdistill {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path = []
suppress_warnings = ["config.cache"]

# Environment for the executed examples: no progress bars, one BLAS thread.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def _skip_sklearn_machinery(app, what, name, obj, skip, options):
    """Document our own API only: scikit-learn's generated ``set_*_request`` methods and the
    methods inherited from its mixins (``get_params``, ``score``, ...) belong to its documentation."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("sklearn"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_machinery)
