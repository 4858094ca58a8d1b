"""Accessibility fixes for the HTML that the toolchain writes, found by axe-core (tests/test_site_a11y.py).

In each page's body (``html-page-context``):

- myst-nb labels every folded code cell ``<summary aria-label="Toggle hidden content">`` while the
  reader sees "Show code cell source": a screen reader would announce something else than what a
  sighted user reads or a voice-control user says. The label is dropped, so the visible text names it.
- docutils writes the bibliography as ``role="list"`` holding ``role="doc-biblioentry"`` items, a
  deprecated role that a list may not contain; they become ``role="listitem"``.
- A table marked ``stack-on-phone`` shows each row as a block on a phone, without its header row
  (``_assets/book.css``). So that a cell still says what it holds, every cell but the first gets its
  column's heading as ``data-label``, which the phone layout shows before the cell.

``_assets/a11y.css`` darkens links on the tinted backgrounds of admonitions (exercises, notes),
where the theme's link colour falls below a 4.5:1 contrast. Theme templates with the same purpose
are in ``_templates/``: the search button and the colour-mode switch are named by what they show.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from sphinx.application import Sphinx

BODY_FIXES = {
    '<summary aria-label="Toggle hidden content">': "<summary>",
    'role="doc-biblioentry"': 'role="listitem"',
}


STACKED_TABLE = re.compile(r'<table[^>]*class="[^"]*\bstack-on-phone\b.*?</table>', re.S)


def label_cells(table_html: str) -> str:
    """The table with each non-empty cell after the first labelled by its column's heading."""
    table = BeautifulSoup(table_html, "html.parser")
    headings = [" ".join(th.get_text(" ", strip=True).split()) for th in table.select("thead tr th")]
    for row in table.select("tbody tr"):
        for heading, cell in list(zip(headings, row.find_all("td", recursive=False)))[1:]:
            if heading and cell.get_text(strip=True):
                cell["data-label"] = heading
    return str(table)


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    body = context.get("body")
    if body:
        for old, new in BODY_FIXES.items():
            body = body.replace(old, new)
        context["body"] = STACKED_TABLE.sub(lambda m: label_cells(m.group(0)), body)


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", on_html_page_context)
    app.add_css_file("a11y.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
