"""Accessibility fixes for the HTML that the toolchain writes, found by axe-core (tests/test_site_a11y.py).

In each page's body (``html-page-context``):

- myst-nb labels every folded code cell ``<summary aria-label="Toggle hidden content">`` while the
  reader sees "Show code cell source": a screen reader would announce something else than what a
  sighted user reads or a voice-control user says. The label is dropped, so the visible text names it.
- docutils writes the bibliography as ``role="list"`` holding ``role="doc-biblioentry"`` items, a
  deprecated role that a list may not contain; they become ``role="listitem"``.

``_assets/a11y.css`` darkens links on the tinted backgrounds of admonitions (exercises, notes),
where the theme's link colour falls below a 4.5:1 contrast. Theme templates with the same purpose
are in ``_templates/``: the search button and the colour-mode switch are named by what they show.
"""

from __future__ import annotations

from sphinx.application import Sphinx

BODY_FIXES = {
    '<summary aria-label="Toggle hidden content">': "<summary>",
    'role="doc-biblioentry"': 'role="listitem"',
}


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    body = context.get("body")
    if body:
        for old, new in BODY_FIXES.items():
            body = body.replace(old, new)
        context["body"] = body


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", on_html_page_context)
    app.add_css_file("a11y.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
