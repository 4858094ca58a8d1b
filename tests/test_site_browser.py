"""The built site in a real browser, offline: every page loads cleanly and every widget responds.

`make test` builds the book first and `scripts/ensure_browser.sh` makes sure a Chromium exists.
The site in ``_build/html`` is served on 127.0.0.1 and driven with Playwright through the system's
Chromium (``executable_path``; ``playwright install`` is not used). Every request to another host
is blocked and counted: the site must not need the network. Every page is opened at 1280 px and
at a 390 px phone width; any console error or warning fails (there is no allow-list), and so does
anything that reaches past the screen edge or is cut off. Full-page screenshots of every page at
both widths, and of every widget, are saved in ``_build/screenshots/`` for a human to look at.
"""

from __future__ import annotations

import functools
import html as html_lib
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import threading
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _chromium() -> str:
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    try:
        files = subprocess.run(["dpkg", "-L", "chromium"], capture_output=True, text=True, check=False).stdout.split()
    except FileNotFoundError:
        files = []
    real = [f for f in files if f.endswith("/chromium/chromium") and os.access(f, os.X_OK)]
    found = real[:1] or [p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p]
    if not found:
        pytest.fail("no Chromium for the browser test; run scripts/ensure_browser.sh (make test does) or set CHROMIUM=/path/to/chrome")
    return found[0]


def _pages() -> list[str]:
    pages = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if not p.relative_to(SITE).parts[0].startswith(("_", ".")))
    return pages


@pytest.fixture(scope="module")
def server():
    if not (SITE / "intro.html").exists():
        pytest.fail(f"{SITE} has no built site; run `make book` first (make test does)")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _block_other_hosts(context):
    """Abort and count every request that leaves 127.0.0.1: the site must not need the network."""
    blocked: list[str] = []

    def route(r):
        host = urllib.parse.urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", None):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    context.blocked = blocked
    return context


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser_context(browser):
    context = _block_other_hosts(browser.new_context(viewport={"width": 1100, "height": 900}))
    yield context
    context.close()


# A laptop and a phone (CSS pixels; the phone has a high-density screen, as most do).
SCREENS = {"1280": dict(viewport={"width": 1280, "height": 900}), "390": dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)}


@pytest.fixture(scope="module", params=sorted(SCREENS))
def screen(request, browser):
    """A fresh browser context (empty local storage, as for a first-time reader) per screen width."""
    context = _block_other_hosts(browser.new_context(**SCREENS[request.param]))
    context.width = request.param
    yield context
    context.close()


class PageLog:
    """Console errors and warnings, page errors and failed local requests of one page."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.failed: list[str] = []
        page.on("console", lambda m: m.type in ("error", "warning") and self.errors.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e.message if hasattr(e, "message") else e)))
        page.on("requestfailed", lambda r: "127.0.0.1" in r.url and self.failed.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} HTTP {r.status}"))

    def unexpected(self) -> list[str]:
        """Every console error and warning: the site has none, so there is no allow-list."""
        return list(self.errors)


def _open(context, url):
    page = context.new_page()
    log = PageLog(page)
    # generous timeouts: on a busy 2-core machine a page with MathJax and figures can take a while
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    return page, log


# Wait until the page is finished: fonts, MathJax typesetting, and every widget rendered by the
# widget manager (a .widget-subarea with some height), whatever the widget draws inside it.
_SETTLED = """async (widgets) => {
  await document.fonts.ready;
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const rendered = () => [...document.querySelectorAll('.widget-subarea')].filter((a) => a.getBoundingClientRect().height > 40).length;
  const t0 = performance.now();
  while (rendered() < widgets && performance.now() - t0 < 20000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  return rendered();
}"""


# Every visible element that reaches past the left or right edge of the viewport (after clipping by
# its ancestors), and every element that a clipping ancestor cuts off sideways. Only code and printed
# output (<pre>) may scroll sideways: there the cut line of code is the cue. Text, equations,
# tables, figures and widgets must fit.
_OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth;
  const describe = (el) => {
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = (el.innerText || el.getAttribute('alt') || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls.slice(0, 60)} "${text}"`;
  };
  const past = [], cut = new Map(), clipping = new Map();
  // the ancestors that clip sideways, each looked up once
  const clipRect = (a) => {
    if (!clipping.has(a)) clipping.set(a, getComputedStyle(a).overflowX === 'visible' ? null : a.getBoundingClientRect());
    return clipping.get(a);
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('[hidden], dialog:not([open]), mjx-assistive-mml, pre, div.highlight')) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'contents') continue;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) continue;
    let left = r.left, right = r.right;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ra = clipRect(a);
      if (ra === null) continue;
      if (r.left < ra.left - 2 || r.right > ra.right + 2) {
        if (!cut.has(a)) cut.set(a, `${describe(a)} cuts off ${describe(el)} (${Math.round(r.left)}..${Math.round(r.right)} px in ${Math.round(ra.left)}..${Math.round(ra.right)} px)`);
      }
      left = Math.max(left, ra.left); right = Math.min(right, ra.right);
    }
    if (right - left >= 2 && (left < -1 || right > vw + 1)) past.push(`${describe(el)} spans ${Math.round(left)}..${Math.round(right)} px`);
  }
  const page = document.documentElement.scrollWidth > vw + 1 ? [`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${vw} px`] : [];
  return {past: page.concat(past), cut: [...cut.values()]};
}"""


_UNFOLD = """() => {
  for (const d of document.querySelectorAll('main details')) d.open = true;
  for (const b of document.querySelectorAll('main .dropdown button.toggle-button')) b.click();
}"""


@pytest.mark.parametrize("name", _pages())
def test_page_is_clean_and_fits_the_screen(server, screen, name):
    """At 1280 and 390 px: no console error or warning, no request leaves the site, nothing overflows."""
    before = len(screen.blocked)
    page, log = _open(screen, f"{server}/{name}")
    try:
        html = (SITE / name).read_text()
        if 'class="math' in html:
            page.wait_for_selector("mjx-container", state="attached", timeout=15000)
        widgets = html.count(WIDGET_VIEW)
        assert page.evaluate(_SETTLED, widgets) >= widgets, f"{name}: not every widget was rendered"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name.replace('/', '_').removesuffix('.html')}_{screen.width}.png"), full_page=True)
        # what a reader can unfold must fit too: every folded cell and every exercise's solution
        page.evaluate(_UNFOLD)
        page.wait_for_timeout(300)
        overflow = page.evaluate(_OVERFLOW)
        assert not log.unexpected(), f"{name} at {screen.width} px: console errors or warnings {log.unexpected()}"
        assert not log.failed, f"{name}: failed local requests {log.failed}"
        assert screen.blocked[before:] == [], f"{name}: requests to other hosts {screen.blocked[before:]}"
        assert not overflow["past"], f"{name} at {screen.width} px: elements reach past the screen edge {overflow['past'][:12]}"
        assert not overflow["cut"], f"{name} at {screen.width} px: content cut off without a cue {overflow['cut'][:12]}"
    finally:
        page.close()


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_bibliography_labels_match_the_citations_in_the_text():
    """A reader who sees "(Bottou et al., 2018)" finds an entry labelled exactly that; titles show no raw TeX."""
    if not (SITE / "bibliography.html").exists():
        pytest.fail(f"{SITE} has no built site; run `make book` first (make test does)")
    bib = (SITE / "bibliography.html").read_text()
    labels = {_text(m) for m in re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span class="fn-bracket">\]', bib)}
    cited = {_text(m) for page in _pages() for m in re.findall(r'<span class="bibtex-citation"[^>]*>\[<a [^>]*>(.*?)</a>', (SITE / page).read_text())}
    assert len(cited) > 10 and len(labels) >= len(cited)
    assert cited <= labels, f"citations without a matching bibliography label: {sorted(cited - labels)}"
    entries = [_text(m) for m in re.findall(r'<div class="citation"[^>]*>(.*?)</div>', bib, flags=re.S)]
    assert entries and not [e for e in entries if "$" in e or "\\" in e], "raw TeX in a bibliography entry"


WIDGET_PAGES = [n for n in _pages() if WIDGET_VIEW in (SITE / n).read_text()] if SITE.exists() else []


def test_the_book_has_widget_pages():
    assert {"chapters/02_momentum.html", "chapters/03_nesterov.html", "chapters/04_why_nag_is_faster.html"} <= set(WIDGET_PAGES)


# Move a slider by input events, measure how long the redraw takes, compare the pixels.
_MOVE = """async ([i, name]) => {
  const root = document.querySelectorAll('.nagw')[i];
  const canvas = root.querySelector('canvas');
  const input = root.querySelector(`input[data-name="${name}"]`);
  const before = canvas.toDataURL();
  const drawn = Number(canvas.dataset.drawn);
  const t0 = performance.now();
  input.value = String((Number(input.value) + 1) % (Number(input.max) + 1));
  input.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise((done) => {
    const check = () => Number(canvas.dataset.drawn) > drawn ? done() : requestAnimationFrame(check);
    requestAnimationFrame(check);
  });
  return {changed: canvas.toDataURL() !== before, latency: performance.now() - t0,
          draw: Number(canvas.dataset.drawMs)};
}"""

# Put widget i's step slider at a given step, as a user's input event would.
_SET_STEP = """([i, value]) => {
  const s = document.querySelectorAll('.nagw')[i].querySelector('input[data-name=step]');
  s.value = String(value);
  s.dispatchEvent(new Event('input'));
}"""

_PIXELS = "(i) => document.querySelectorAll('.nagw')[i].querySelector('canvas').toDataURL()"


@pytest.mark.parametrize("name", WIDGET_PAGES)
def test_widgets_respond_to_sliders_keys_and_play(server, browser_context, name):
    page, log = _open(browser_context, f"{server}/{name}")
    report = {}
    try:
        expected = (SITE / name).read_text().count(WIDGET_VIEW)
        page.wait_for_function(f"document.querySelectorAll('.nagw canvas[data-drawn]').length === {expected}", timeout=20000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        stem = name.replace("/", "_").removesuffix(".html")
        for i in range(expected):
            root = page.locator(".nagw").nth(i)
            root.scroll_into_view_if_needed()
            root.screenshot(path=str(SHOTS / f"{stem}_widget{i}_initial.png"))
            names = root.locator("input[type=range]").evaluate_all("els => els.map(e => e.dataset.name)")
            assert names, f"{name} widget {i} has no slider"
            animated = "step" in names
            timings = []
            if animated:
                # at step 0 every run is still at the start; go to step 10 so that settings show
                page.evaluate(_SET_STEP, [i, 10])
            for slider in names:
                for _ in range(3):
                    result = page.evaluate(_MOVE, [i, slider])
                    assert result["changed"], f"{name} widget {i}: moving {slider!r} left the canvas unchanged"
                    timings.append(result)
            # keyboard: the slider is focusable and the arrow keys move it (the step slider, if any)
            keyed = root.locator(f"input[data-name={'step' if animated else names[0]}]")
            keyed.focus()
            page.keyboard.press("Home")
            page.wait_for_timeout(50)
            before = page.evaluate(_PIXELS, i)
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(50)
            assert page.evaluate(_PIXELS, i) != before, f"{name} widget {i}: arrow keys on a slider changed nothing"
            play = root.get_by_role("button", name="Play the steps")
            if animated:
                # Play from the start runs the steps by itself
                page.evaluate(_SET_STEP, [i, 0])
                page.wait_for_timeout(50)
                before = page.evaluate(_PIXELS, i)
                play.click()
                page.wait_for_timeout(700)
                assert int(keyed.input_value()) > 3, f"{name} widget {i}: Play did not advance the step"
                assert page.evaluate(_PIXELS, i) != before, f"{name} widget {i}: Play left the canvas unchanged"
                play.click()  # pause
            else:
                assert play.count() == 0, f"{name} widget {i}: a Play button without a step slider"
            assert root.locator("canvas").get_attribute("aria-label"), "the canvas needs a description"
            for slider_input in root.locator("input[type=range]").all():
                assert slider_input.get_attribute("aria-label")
            # The median redraw must fit in one frame at 60 Hz (16.7 ms). The median, because this
            # machine's cores are shared and a single redraw can be delayed by someone else.
            draws = sorted(t["draw"] for t in timings)
            median = draws[len(draws) // 2]
            assert median < 16, f"{name} widget {i}: redraws took {draws} ms, more than one frame"
            latency = sorted(t["latency"] for t in timings)
            report[i] = {"redraws": len(draws), "draw_ms_median": median, "draw_ms_max": draws[-1], "input_to_pixels_ms_median": round(latency[len(latency) // 2], 1)}
        assert not log.unexpected(), f"{name}: console or page errors {log.unexpected()}"
        assert not log.failed, f"{name}: failed local requests {log.failed}"
        for i in range(expected):
            page.locator(".nagw").nth(i).screenshot(path=str(SHOTS / f"{stem}_widget{i}_after.png"))
        # a phone-width page: the widget fits without sideways scrolling
        page.set_viewport_size({"width": 380, "height": 800})
        page.wait_for_timeout(200)
        for i in range(expected):
            overflow = page.evaluate("(i) => { const r = document.querySelectorAll('.nagw')[i]; const c = r.querySelector('canvas'); return [c.getBoundingClientRect().width, r.getBoundingClientRect().width, document.documentElement.clientWidth]; }", i)
            assert overflow[0] <= overflow[1] + 1 <= overflow[2] + 1, f"{name} widget {i} overflows a 380 px page: {overflow}"
            page.locator(".nagw").nth(i).screenshot(path=str(SHOTS / f"{stem}_widget{i}_phone.png"))
        (SHOTS / f"{stem}_timings.json").write_text(json.dumps(report, indent=1))
    finally:
        page.close()
