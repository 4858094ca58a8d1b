"""The single-page build that the book's PDF is printed from, and the print style of every page.

- ``builder-inited``: sphinx-exercise registers its node handlers for the ``singlehtml`` builder by
  name, and Sphinx then stops falling back to the ``html`` handlers for that builder, so other
  extensions' nodes (myst-nb's folded code cells, for one) could not be written. The ``html``
  handlers that have no ``singlehtml`` twin are copied over.
- ``_assets/print.css`` (print media only) leaves out what paper cannot use: the interactive
  figures (each has a static figure beside it that makes the same point), folded figure code and
  the page furniture; it opens the exercise solutions.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def on_builder_inited(app: Sphinx) -> None:
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", on_builder_inited)
    app.add_css_file("print.css", media="print")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
