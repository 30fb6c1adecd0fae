"""Sphinx configuration of the fastmeanshift documentation site.

Built by ``.ci/docs`` (warnings as errors, every gallery example executed,
internal links and doctest blocks checked) and by Read the Docs
(``.readthedocs.yaml``). The API pages document the installed package, so
build the extension first (``pip install ".[docs]"``).
"""

from __future__ import annotations

import doctest
import sys
from pathlib import Path

import fastmeanshift

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "fastmeanshift"
author = "the fastmeanshift developers"
copyright = "the fastmeanshift developers, BSD-3-Clause"
release = fastmeanshift.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "numpydoc",
    "myst_parser",
    "sphinxarg.ext",
    "sphinx_gallery.gen_gallery",
    "contract_links",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build"]

# Every cross-reference must resolve: an unresolved one is a warning, and
# .ci/docs turns warnings into errors.
nitpicky = True

# API reference: numpydoc renders the docstrings' sections; the signatures
# stay without annotations (the Parameters sections give every type).
autosummary_generate = True
autodoc_typehints = "none"
# The class template lists the methods (inherited ones too: get_params and
# set_params); numpydoc's own list of them would repeat it.
numpydoc_show_class_members = False

# The doctest builder (``sphinx-build -b doctest``) runs every ``>>>`` block
# of the user guide and of the docstrings in the API reference, with the
# flags tests/docs/test_docstrings.py runs the docstrings with.
doctest_default_flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
doctest_global_setup = "import numpy as np"

# Markdown (the algorithm contract, the changelog, parts of the README).
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Examples sort by their file names, which start with their number.
    "within_subsection_order": "FileNameSortKey",
    "filename_pattern": r"/plot_",
    # "Examples using fastmeanshift.MeanShift" on the API pages.
    "doc_module": ("fastmeanshift",),
    "backreferences_dir": "gen_modules/backreferences",
    # A failing example fails the build.
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "show_signature": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"fastmeanshift {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
