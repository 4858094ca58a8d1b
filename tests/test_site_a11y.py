"""Accessibility of the built site, measured in the browser: axe-core on every page, the keyboard.

axe-core (pinned, in ``tests/vendor/axe-core/``, refreshed by ``scripts/vendor_axe.sh``; never part
of the site) runs on every page once its maths is typeset and its interactive figures are drawn.
No violation of serious or critical impact is allowed; the full results land in
``_build/a11y/axe.json``. The keyboard test tabs through every page: each link and control that a
mouse user can see must be reached, in document order, and show a visible focus indicator.
On every chapter of the table of contents it also opens every exercise's solution (which holds the
solution's code), fetches the chapter's autograded assignment and checks that its downloads work.

The server, the browser and the page helper are those of ``tests/test_site_browser.py``.
"""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml
from bs4 import BeautifulSoup

from test_site_browser import SITE, WIDGET_VIEW, _open, _pages, browser, browser_context, server  # noqa: F401 (fixtures)

ROOT = pathlib.Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
REPORT = ROOT / "_build" / "a11y"
PAGES = [p for p in _pages() if p != "index.html"]  # index.html only redirects to intro.html
_TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTER_PAGES = [f"{c['file']}.html" for part in _TOC["parts"] for c in part["chapters"] if (ROOT / f"{c['file']}.ipynb").is_file()]


def test_every_chapter_of_the_toc_is_a_checked_page():
    assert len(CHAPTER_PAGES) >= 6, CHAPTER_PAGES
    assert set(CHAPTER_PAGES) <= set(PAGES), f"chapters without a built page: {sorted(set(CHAPTER_PAGES) - set(PAGES))}"


def _ready(page, name: str) -> None:
    """Wait until the page looks as a reader sees it: maths typeset, figures drawn."""
    html = (SITE / name).read_text()
    if 'class="math' in html:
        page.wait_for_selector("mjx-container", state="attached", timeout=20000)
    widgets = html.count(WIDGET_VIEW)
    if widgets:
        page.wait_for_function(f"document.querySelectorAll('.nagw canvas[data-drawn]').length === {widgets}", timeout=30000)


def test_axe_is_vendored_for_the_tests_only():
    assert AXE.stat().st_size > 100_000 and AXE.read_text()[:40].startswith("/*! axe v4.")
    assert not [p for p in SITE.rglob("*") if "axe" in p.name.lower()], "axe-core must not be shipped in the site"


def _axe(page, name: str) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": len(v["nodes"]),
         "targets": [n["target"] for n in v["nodes"][:5]]}
        for v in result["violations"]
    ]
    REPORT.mkdir(parents=True, exist_ok=True)
    (REPORT / f"axe_{name.replace('/', '_').removesuffix('.html')}.json").write_text(json.dumps(violations, indent=1))
    blocking = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not blocking, f"{name}: {json.dumps(blocking, indent=1)}"


# Everything a keyboard user should be able to reach on the page as it first shows: visible (not in a
# closed <details> either), enabled, not taken out of the tab order. Each one is marked `data-want`.
_REACHABLE = """() => {
  const selector = 'a[href], button, input, select, textarea, summary, [tabindex]';
  const folded = (el) => {
    const d = el.closest('details:not([open])');
    return d && !d.querySelector(':scope > summary')?.contains(el);
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !folded(el) && !el.closest('[inert], [aria-hidden="true"]');
  };
  const name = (el) => el.tagName.toLowerCase() + ' ' + (el.getAttribute('aria-label') || el.textContent || el.className).trim().slice(0, 50);
  const wanted = [...document.querySelectorAll(selector)].filter((el) => !el.disabled && el.tabIndex >= 0 && visible(el));
  wanted.forEach((el, i) => { el.dataset.want = name(el); });
  return wanted.length;
}"""

_MISSED = "() => [...document.querySelectorAll('[data-want]:not([data-tab-stop])')].map((el) => el.dataset.want)"

# Mark the focused element as reached; report whether it follows the last one in the document and
# whether its focus shows.
_FOCUSED = """(n) => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const first = !el.dataset.tabStop;
  if (first) el.dataset.tabStop = String(n);
  const last = window.__lastTabStop;
  window.__lastTabStop = el;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  return {first, forward: !last || Boolean(last.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING),
          visible: outline || shadow,
          name: el.tagName.toLowerCase() + ' ' + (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40)};
}"""


def _keyboard(page, name: str) -> None:
    assert not page.locator("[tabindex]:not([tabindex='0']):not([tabindex='-1'])").count(), "a positive tabindex breaks the order"
    wanted = page.evaluate(_REACHABLE)
    page.locator("body").focus()
    stops = []
    for n in range(2000):  # until focus leaves the page or comes back round
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED, n)
        if focused is None or not focused["first"]:
            break
        stops.append(focused)
    missed = page.evaluate(_MISSED)
    assert len(stops) > 10 and not missed, f"{name}: {len(missed)} of {wanted} controls cannot be reached with Tab: {missed[:8]}"
    backwards = [s["name"] for s in stops if not s["forward"]]
    assert not backwards, f"{name}: the tab order jumps back to {backwards[:5]}"
    hidden_focus = [s["name"] for s in stops if not s["visible"]]
    assert not hidden_focus, f"{name}: no visible focus on {hidden_focus[:8]}"


def _solutions_and_downloads(page, name: str) -> None:
    exercises = page.locator("main .exercise").count()
    solutions = page.locator(".solution.dropdown")
    count = solutions.count()
    assert 3 <= exercises <= 6 and count == exercises, f"{name}: {exercises} exercises, {count} solutions"
    for i in range(count):
        solution = solutions.nth(i)
        body = solution.locator("section#solution-content")
        assert not body.is_visible(), f"{name}: solution {i + 1} is open before it is asked for"
        assert body.locator(".cell").count() >= 1, f"{name}: the code of solution {i + 1} is not folded into it"
        solution.locator("button.toggle-button").click()
        body.wait_for(state="visible", timeout=3000)
    # the chapter's autograded assignment: one student notebook, linked from the page, that checks answers
    assignments = page.locator('main a[href*="/hw0"][href$=".ipynb"]').evaluate_all("els => els.map(e => e.href)")
    assert len(set(assignments)) == 1, f"{name}: assignment links {assignments}"
    response = page.request.get(assignments[0])
    assert response.ok and "grader.check" in response.text(), f"{name}: {assignments[0]} is not an autograded notebook"
    menu = page.locator(".dropdown-download-buttons a[href]")
    labels = [label.strip() for label in menu.all_inner_texts()]
    assert {"Notebook with outputs", "Notebook without outputs", "Runnable book (.zip)"} <= set(labels), labels
    for url in menu.evaluate_all("els => els.map(e => e.href)"):
        response = page.request.get(url)
        assert response.ok and len(response.body()) > 1000, f"{name}: {url} does not resolve"


@pytest.mark.parametrize("name", PAGES)
def test_page_passes_axe_and_the_keyboard(server, browser_context, name):
    """One load per page: axe, then Tab through it; on a chapter, open every solution and fetch every download."""
    page, log = _open(browser_context, f"{server}/{name}")
    try:
        _ready(page, name)
        _axe(page, name)
        _keyboard(page, name)
        if name in CHAPTER_PAGES:
            _solutions_and_downloads(page, name)
        assert not log.unexpected(), log.unexpected()
    finally:
        page.close()


def test_stacked_tables_say_which_column_each_cell_is_in():
    """On a phone a stack-on-phone table hides its header row; each cell then carries its heading."""
    checked = 0
    for name in PAGES:
        for table in BeautifulSoup((SITE / name).read_text(), "html.parser").select("table.stack-on-phone"):
            headings = [" ".join(th.get_text(" ", strip=True).split()) for th in table.select("thead th")]
            for row in table.select("tbody tr"):
                for heading, cell in list(zip(headings, row.find_all("td", recursive=False)))[1:]:
                    if cell.get_text(strip=True):
                        assert cell.get("data-label") == heading, f"{name}: a cell of column {heading!r} is not labelled"
                        checked += 1
    assert checked > 100
