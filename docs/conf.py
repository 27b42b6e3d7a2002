"""Sphinx configuration of genpool's documentation site.

Sphinx, because the docstrings are reStructuredText with Sphinx roles
(``:class:``, ``:meth:``), which autodoc renders as written; the guides
are Markdown, read by MyST.  Built with warnings as errors by ``.ci/run``:
``sphinx-build -W --keep-going -b html docs docs/_build/html``.
"""

import genpool

project = "genpool"
author = "the genpool authors"
copyright = "the genpool authors"
release = genpool.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

# Pages other work adds (the trace format, the differences with the kernel)
# are listed in the index before they exist; until then Sphinx skips them.
suppress_warnings = ["toc.not_readable"]

html_theme = "alabaster"
html_title = f"genpool {release}"
