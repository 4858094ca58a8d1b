"""The interactive figures in a real browser: continuous, instant, accessible, light, and offline.

`make test` builds the book first. The site in ``_build/html`` is served on 127.0.0.1 and driven
with Playwright through the system's Chromium (``scripts/ensure_browser.sh`` makes sure there is
one); every request to another host is blocked. For every figure on every widget page:

* every parameter slider moves through its whole range (60 positions) and at least 80% of the
  positions draw a different picture; one arrow-key step of the first slider at load changes it;
* input-to-pixels time (from the input event to the frame that shows the new drawing) has a
  median under 16 ms, by input events and by real mouse drags;
* the step slider scrubs, Play animates, choices and buttons change the picture, dragging a handle
  changes the setting;
* every control is focusable by keyboard, has an accessible name and value, and the canvas has a
  text alternative that changes with the setting;
* no console error or warning; no sideways scrolling at 390 px.

Each widget page must add at most 1.5 MB to a text page and load its figures without blocking the
text. Timings and page weights go to ``_build/figures/report.json``; screenshots of every figure
at desktop and phone width to ``_build/screenshots/figures/``, for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import json
import math
import pathlib
import re
import shutil
import statistics
import threading
import time
import urllib.parse

import numpy as np
import pytest
from test_site_browser import browser  # noqa: F401 (fixture: one way to find and start the browser)

from nagcore import theory, widgets

ROOT = pathlib.Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots" / "figures"
REPORT = ROOT / "_build" / "figures" / "report.json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
TEXT_PAGE = "chapters/01_gradient_descent.html"  # a chapter with static figures and no widgets

POSITIONS = 60  # positions per slider sweep
DISTINCT = 0.8  # share of them that must draw a different picture
FRAME_MS = 16.0
WIDGET_BYTES = 1_500_000

# Messages the toolchain prints on every page of the book, widgets or not (see test_site_browser.py).
TOOLCHAIN = ("Identifier 'THEBE_JS_URL' has already been declared", "Got invalid theme mode")

def _widget_pages() -> list[str]:
    if not SITE.exists():
        return []
    pages = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if not p.relative_to(SITE).parts[0].startswith(("_", ".")))
    return [p for p in pages if WIDGET_VIEW in (SITE / p).read_text()]


def _serve(folder: pathlib.Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="module")
def server():
    if not (SITE / "intro.html").exists():
        pytest.fail(f"{SITE} has no built site; run `make book` first (make test does)")
    httpd, url = _serve(SITE)
    yield url
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def report():
    data = {}
    yield data
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    REPORT.write_text(json.dumps({**old, **data}, indent=1))


class Page:
    """A fresh browser context (empty cache) on one page, offline, with its console and traffic."""

    def __init__(self, browser, url, width=1100, scale=1, idle=False):
        self.context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=scale)
        self.blocked, self.messages, self.bytes, self.failed = [], [], {}, []

        def route(r):
            host = urllib.parse.urlsplit(r.request.url).hostname
            if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", None):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.messages.append(m.text))
        self.page.on("pageerror", lambda e: self.messages.append(str(e)))
        self.page.on("response", self._response)
        self.page.goto(url, wait_until="load", timeout=90000)
        if idle:  # every request answered (for counting bytes)
            self.page.wait_for_load_state("networkidle", timeout=90000)
        # MathJax typesets the page's maths after the load event; measuring while it works would
        # time MathJax, not the figures
        self.page.wait_for_function("() => !window.MathJax || (window.MathJax.startup && window.MathJax.startup.promise)", timeout=90000)
        self.page.evaluate("() => window.MathJax && window.MathJax.startup.promise")

    def _response(self, r):
        if r.status >= 400:
            self.failed.append(f"{r.url} HTTP {r.status}")
        try:
            self.bytes[urllib.parse.urlsplit(r.url).path] = len(r.body())
        except Exception:  # redirects and aborted requests have no body
            pass

    def problems(self, allowed=TOOLCHAIN) -> list[str]:
        return [m for m in self.messages if not any(a in m for a in allowed)] + self.failed + self.blocked

    def close(self):
        self.context.close()


def _figures_ready(page, count):
    page.wait_for_function(f"document.querySelectorAll('.nagw canvas[data-drawn]').length === {count}", timeout=90000)


# ---------------------------------------------------------------- in-page helpers

# A 32-bit FNV-1a hash of the canvas pixels: equal pictures, equal hashes. The pixels are read
# from a copy made for reading, so that the figure's own canvas stays as the figure made it.
_HASH = """(canvas) => {
  const copy = window.__copy || (window.__copy = document.createElement('canvas'));
  copy.width = canvas.width; copy.height = canvas.height;
  const ctx = copy.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(canvas, 0, 0);
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let h = 2166136261;
  for (let k = 0; k < d.length; k += 4) { h ^= d[k] | (d[k + 1] << 8) | (d[k + 2] << 16); h = Math.imul(h, 16777619); }
  return h >>> 0;
}"""

# Set slider `name` of figure i to each position in turn, as input events. Each arrives at the
# start of a frame, as the browser delivers the input of a dragging mouse or finger; latency runs
# from the event to the end of the frame that shows the new drawing (its animation-frame
# callback, the paint, then a task).
_SWEEP = f"""async ([i, name, positions]) => {{
  const hash = {_HASH};
  const root = document.querySelectorAll('.nagw')[i];
  const canvas = root.querySelector('canvas');
  const input = root.querySelector(`input[data-name="${{name}}"]`);
  const start = input.value;
  const out = [];
  for (const p of positions) {{
    // in an animation-frame callback; the task queued there runs once this frame is painted
    const latency = await new Promise((done) => requestAnimationFrame(() => {{
      const t0 = performance.now();
      input.value = String(p);
      input.dispatchEvent(new Event('input', {{ bubbles: true }}));
      setTimeout(() => done(performance.now() - t0), 0);
    }}));
    out.push({{ latency, draw: Number(canvas.dataset.drawMs), hash: hash(canvas),
               alt: canvas.getAttribute('aria-label'), value: input.getAttribute('aria-valuetext') }});
  }}
  input.value = start;
  input.dispatchEvent(new Event('input', {{ bubbles: true }}));
  return out;
}}"""

# Latency of real input: every input event of figure i's slider `name` records the time from the
# event's time stamp to the end of the frame that shows its drawing.
_LISTEN = """([i, name]) => {
  const input = document.querySelectorAll('.nagw')[i].querySelector(`input[data-name="${name}"]`);
  window.__latencies = [];
  if (input.__listener) input.removeEventListener('input', input.__listener);
  input.__listener = (e) => {
    const t0 = e.timeStamp;
    requestAnimationFrame(() => setTimeout(() => window.__latencies.push(performance.now() - t0), 0));
  };
  input.addEventListener('input', input.__listener);
}"""


def _figure_info(page, i):
    return page.evaluate(
        """(i) => {
      const root = document.querySelectorAll('.nagw')[i];
      const sliders = [...root.querySelectorAll('input[type=range]')].map((e) => ({
        name: e.dataset.name, max: Number(e.max), label: e.getAttribute('aria-label'), text: e.getAttribute('aria-valuetext') }));
      return { figure: root.dataset.figure, sliders,
               options: [...root.querySelectorAll('.nagw-option')].map((e) => e.dataset.value),
               buttons: [...root.querySelectorAll('button')].map((e) => e.textContent) };
    }""",
        i,
    )


def _hash(page, i):
    return page.evaluate(f"(i) => ({_HASH})(document.querySelectorAll('.nagw')[i].querySelector('canvas'))", i)


def _alt(page, i):
    return page.evaluate("(i) => document.querySelectorAll('.nagw')[i].querySelector('canvas').getAttribute('aria-label')", i)


def _values(page, i):
    return page.evaluate("(i) => [...document.querySelectorAll('.nagw')[i].querySelectorAll('input[type=range]')].map((e) => e.getAttribute('aria-valuetext'))", i)


def _shot(page, i, path):
    """A screenshot of figure i alone, cut from a capture of the whole page taken from the top (so
    that the theme's sticky header and its back-to-top button stay clear of the figure)."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.wait_for_timeout(200)
    box = page.evaluate(
        "(i) => { const r = document.querySelectorAll('.nagw')[i].getBoundingClientRect();"
        " return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height }; }",
        i,
    )
    page.screenshot(path=str(path), full_page=True, clip=box)


def _positions(slider, n=POSITIONS):
    """n positions spread evenly over the whole slider, both ends included."""
    return [round(k * slider["max"] / (n - 1)) for k in range(n)]


def _best_median(measure, first=None, attempts=10):
    """(best median, [each median]) of up to ten measurements 2.5 s apart, stopping at the first
    under a frame.

    The machine is shared: another process can only add time to a measurement, never take it
    away, so the smallest median is the best estimate of what the figure itself costs.
    """
    medians = []
    for k in range(attempts):
        if k:
            time.sleep(2.5)
        values = first if k == 0 and first is not None else measure()
        medians.append(round(statistics.median(values), 2))
        if medians[-1] < FRAME_MS:
            break
    return min(medians), medians


def _drag(page, i, slider, name):
    """Latencies of the input events of a real mouse drag along a slider (which then goes back)."""
    start = slider.input_value()
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    page.evaluate(_LISTEN, [i, name])
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 8, y)
    page.mouse.down()
    for k in range(1, 31):
        page.mouse.move(box["x"] + 8 + k * (box["width"] - 16) / 30, y)
        page.wait_for_timeout(8)
    page.mouse.up()
    _settle(page)
    latencies = page.evaluate("window.__latencies")
    assert len(latencies) >= 10, f"dragging the slider {name!r} sent {len(latencies)} input events"
    slider.evaluate("(e, v) => { e.value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }", start)
    return latencies


def _settle(page):
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))")


# ---------------------------------------------------------------- the tests

WIDGET_PAGES = _widget_pages()


def test_the_book_has_its_figures():
    found = {}
    for name in WIDGET_PAGES:
        html = (SITE / name).read_text()
        found[name] = html.count(WIDGET_VIEW)
    assert found == {"chapters/02_momentum.html": 2, "chapters/03_nesterov.html": 2, "chapters/04_why_nag_is_faster.html": 3}


@pytest.mark.parametrize("name", WIDGET_PAGES)
def test_widget_page_is_light_and_does_not_hold_up_the_text(server, browser, report, name):
    text = Page(browser, f"{server}/{TEXT_PAGE}", idle=True)
    text_bytes = sum(text.bytes.values())
    text.close()
    view = Page(browser, f"{server}/{name}", idle=True)
    try:
        _figures_ready(view.page, (SITE / name).read_text().count(WIDGET_VIEW))
        paint = view.page.evaluate("performance.getEntriesByName('first-contentful-paint').map((e) => e.startTime)")
        html = (SITE / name).read_text()
        scripts = re.findall(r"<script[^>]*>", html)
        figure_scripts = [s for s in scripts if "_static/widgets/" in s]
        # module scripts are deferred: the text is parsed and painted before they run
        assert figure_scripts and all('type="module"' in s for s in figure_scripts), figure_scripts
        state = sum(len(m.encode()) for m in re.findall(rf'<script type="{re.escape(WIDGET_STATE)}">.*?</script>', html, re.S))
        views = sum(len(m.encode()) for m in re.findall(rf'<script type="{re.escape(WIDGET_VIEW)}">.*?</script>', html, re.S))
        assets = {path: size for path, size in view.bytes.items() if "/_static/widgets/" in path}
        assert not any(path.endswith(("embed-amd.js", "require.js")) for path in assets), "the widget manager is not needed for anywidgets"
        added = state + views + sum(assets.values())
        total = sum(view.bytes.values())
        report[f"weight {name}"] = {
            "widget bytes (state, views, front end)": added,
            "page total bytes": total,
            f"text page {TEXT_PAGE} total bytes": text_bytes,
            "first contentful paint ms": paint[0] if paint else None,
        }
        assert added <= WIDGET_BYTES, f"{name}: the figures add {added} bytes, more than {WIDGET_BYTES}"
        assert total - text_bytes <= WIDGET_BYTES + len(html.encode()) - len((SITE / TEXT_PAGE).read_text().encode())
        assert not view.problems(), view.problems()
    finally:
        view.close()


@pytest.mark.parametrize("name", WIDGET_PAGES)
def test_every_figure_responds_over_its_whole_range(server, browser, report, name):
    view = Page(browser, f"{server}/{name}")
    page = view.page
    count = (SITE / name).read_text().count(WIDGET_VIEW)
    stem = name.replace("/", "_").removesuffix(".html")
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        _figures_ready(page, count)
        for i in range(count):
            root = page.locator(".nagw").nth(i)
            root.scroll_into_view_if_needed()
            info = _figure_info(page, i)
            label = f"{name} figure {i} ({info['figure']})"
            _shot(page, i, SHOTS / f"{stem}_{i}_{info['figure']}_desktop.png")
            parameters = [s for s in info["sliders"] if s["name"] != "step"]
            assert parameters, f"{label} has no parameter slider"

            # at load, one step of the first parameter slider (by keyboard) changes the drawing
            before, alt_before = _hash(page, i), _alt(page, i)
            first = root.locator(f"input[data-name={parameters[0]['name']}]")
            first.focus()
            page.keyboard.press("ArrowRight")
            _settle(page)
            assert _hash(page, i) != before, f"{label}: one step of {parameters[0]['name']!r} left the drawing unchanged"
            assert _alt(page, i) != alt_before, f"{label}: the text alternative does not follow the setting"
            page.keyboard.press("ArrowLeft")

            # every parameter slider through its whole range
            sweeps = {s["name"]: page.evaluate(_SWEEP, [i, s["name"], _positions(s)]) for s in parameters}
            latencies = [m["latency"] for ms in sweeps.values() for m in ms]
            for s in parameters:
                moves = sweeps[s["name"]]
                distinct = len({m["hash"] for m in moves})
                assert distinct >= DISTINCT * len(moves), f"{label}: {s['name']!r} drew {distinct} different pictures at {len(moves)} positions"
                assert len({m["value"] for m in moves}) == len(moves), f"{label}: {s['name']!r} does not announce its value"
            draws = [m["draw"] for ms in sweeps.values() for m in ms]
            quick = parameters[0]["name"], _positions(parameters[0], 30)
            typed = _best_median(lambda: [m["latency"] for m in page.evaluate(_SWEEP, [i, *quick])], first=latencies)
            assert typed[0] < FRAME_MS, f"{label}: median input-to-pixels {typed[1]} ms"
            dragged = _best_median(lambda: _drag(page, i, first, parameters[0]["name"]))
            assert dragged[0] < FRAME_MS, f"{label}: median input-to-pixels while dragging {dragged[1]} ms"

            # the step slider scrubs and Play animates
            if any(s["name"] == "step" for s in info["sliders"]):
                step = next(s for s in info["sliders"] if s["name"] == "step")
                scrub = page.evaluate(_SWEEP, [i, "step", _positions(step, 30)])
                assert len({m["hash"] for m in scrub}) >= 0.5 * len(scrub), f"{label}: scrubbing the steps hardly changes the drawing"
                page.evaluate("([i]) => { const s = document.querySelectorAll('.nagw')[i].querySelector('input[data-name=step]'); s.value = '0'; s.dispatchEvent(new Event('input')); }", [i])
                before = _hash(page, i)
                play = root.get_by_role("button", name="Play the steps")
                play.focus()
                page.keyboard.press("Enter")  # by keyboard
                page.wait_for_timeout(700)
                assert _hash(page, i) != before, f"{label}: Play left the drawing unchanged"
                assert root.get_by_role("button", name="Pause").get_attribute("aria-pressed") == "true"
                root.get_by_role("button", name="Pause").click()
            else:
                assert root.get_by_role("button", name="Play the steps").count() == 0

            # choices and buttons change the picture
            for value in info["options"]:
                option = root.locator(f".nagw-option[data-value={value}]")
                if option.get_attribute("aria-pressed") == "true":
                    continue
                before = _hash(page, i)
                option.focus()
                page.keyboard.press("Space")  # by keyboard
                _settle(page)
                assert option.get_attribute("aria-pressed") == "true" and _hash(page, i) != before, f"{label}: choosing {value!r} changed nothing"
                assert root.locator(".nagw-option[aria-pressed=true]").count() == 1
            for button in root.locator("button:not(.nagw-play):not(.nagw-option)").all():
                if button.is_enabled():
                    before = _values(page, i)
                    button.click()
                    _settle(page)
                    assert _values(page, i) != before, f"{label}: the button {button.text_content()!r} changed nothing"

            # dragging a handle (or clicking a map) changes the setting and the drawing
            handles = json.loads(root.locator("canvas").get_attribute("data-handles") or "[]")
            if handles:
                # bring the handle to the middle of the window, clear of the page's sticky header
                root.locator("canvas").evaluate("(c, y) => window.scrollBy(0, c.getBoundingClientRect().top + y - innerHeight / 2)", handles[0][1])
                canvas = root.locator("canvas").bounding_box()
                hx, hy = canvas["x"] + handles[0][0], canvas["y"] + handles[0][1]
                before, values = _hash(page, i), _values(page, i)
                page.mouse.move(hx, hy)
                page.mouse.down()
                page.mouse.move(hx + 25, hy + 15, steps=5)
                page.mouse.up()
                _settle(page)
                assert _values(page, i) != values and _hash(page, i) != before, f"{label}: dragging on the picture changed nothing"

            # keyboard and screen readers: every control focusable, named, with its value
            controls = root.locator("input, button").all()
            for control in controls:
                if control.is_disabled():
                    continue
                control.focus()
                assert control.evaluate("(e) => document.activeElement === e"), f"{label}: a control cannot take the focus"
                accessible = control.evaluate("(e) => e.getAttribute('aria-label') || e.closest('label')?.textContent || e.textContent")
                assert accessible and accessible.strip(), f"{label}: a control has no accessible name"
            for s in root.locator("input[type=range]").all():
                assert s.get_attribute("aria-valuetext")
            canvas = root.locator("canvas")
            assert canvas.get_attribute("role") == "img" and len(canvas.get_attribute("aria-label")) > 80
            assert root.locator("[aria-live=polite]").text_content().strip()

            report[label] = {
                "input events per measurement": len(latencies),
                "input-to-pixels median ms (each measurement)": typed[1],
                "input-to-pixels 90th percentile ms (first)": round(sorted(latencies)[int(0.9 * len(latencies))], 2),
                "mouse drag input-to-pixels median ms (each measurement)": dragged[1],
                "draw median ms": round(statistics.median(draws), 2),
                "draw max ms": round(max(draws), 2),
            }
        assert not view.problems(), f"{name}: {view.problems()}"
    finally:
        view.close()

    # a phone (390 px, a high-density screen): nothing wider than the screen, the drawing sharp
    phone = Page(browser, f"{server}/{name}", width=390, scale=2)
    try:
        _figures_ready(phone.page, count)
        overflow = phone.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert overflow[0] <= overflow[1], f"{name} scrolls sideways at 390 px: {overflow}"
        for i in range(count):
            root = phone.page.locator(".nagw").nth(i)
            right = root.evaluate("(e) => Math.max(...[...e.querySelectorAll('*')].map((c) => c.getBoundingClientRect().right))")
            assert right <= 390, f"{name} figure {i} reaches {right} px on a 390 px screen"
            sharp = root.locator("canvas").evaluate("(c) => c.width / c.getBoundingClientRect().width")
            assert sharp == pytest.approx(2, abs=0.01), f"{name} figure {i}: the canvas is not drawn at the screen's density"
            _shot(phone.page, i, SHOTS / f"{stem}_{i}_{_figure_info(phone.page, i)['figure']}_phone.png")
        assert not phone.problems(), f"{name} at 390 px: {phone.problems()}"
    finally:
        phone.close()


def test_rate_map_agrees_with_the_chapters_static_maps(server, browser):
    """At κ = 10, 100 and 1000 the figure's fewest steps are the static cell's (theory.rate_map's default grid)."""
    view = Page(browser, f"{server}/chapters/04_why_nag_is_faster.html")
    page = view.page
    try:
        _figures_ready(page, 3)
        root = page.locator(".nagw[data-figure=RateMapExplorer]")
        kappa = root.locator("input[data-name=kappa]")
        spec = widgets.RateMapExplorer().spec["sliders"][0]
        grid = theory.rate_map(1.0)
        for k in (10.0, 100.0, 1000.0):
            position = round(int(kappa.get_attribute("max")) * math.log(k / spec["min"]) / math.log(spec["max"] / spec["min"]))
            kappa.evaluate("(e, p) => { e.value = String(p); e.dispatchEvent(new Event('input', { bubbles: true })); }", position)
            status = root.locator(".nagw-status").text_content()
            rates = theory.rate_map(k, lr=grid.lr, momentum=grid.momentum).rates
            fewest = {m: float(np.log(10) / -np.log(r.min())) for m, r in rates.items()}
            expected = f"gradient descent {fewest['gd']:.1f}, heavy ball {fewest['momentum']:.1f}, Nesterov {fewest['nesterov']:.1f}"
            assert f"κ = {k:g}." in status and expected in status, status
    finally:
        view.close()


def test_figures_also_run_under_the_jupyter_widget_manager(browser, tmp_path):
    """A page with a widget that is not an anywidget gets the full widget manager, which then renders
    the figures through anywidget's own front end, as JupyterLab does."""
    import ipywidgets
    from ipywidgets.embed import embed_data

    html = (SITE / "chapters/04_why_nag_is_faster.html").read_text()
    state = json.loads(re.search(rf'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', html, re.S).group(1))
    slider = ipywidgets.IntSlider(value=3, description="plain")
    extra = embed_data(views=[slider])
    state["state"].update(extra["manager_state"]["state"])
    views = re.findall(rf'<script type="{re.escape(WIDGET_VIEW)}">.*?</script>', html, re.S)
    views.append(f'<script type="{WIDGET_VIEW}">{json.dumps(extra["view_specs"][0])}</script>')
    shutil.copytree(SITE / "_static" / "widgets", tmp_path / "widgets")
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f'<script type="{WIDGET_STATE}">{json.dumps(state)}</script>'
        '<script type="module" src="widgets/embed-anywidget.js"></script></head><body>'
        + "".join(f"<div>{v}</div>" for v in views)
        + "</body></html>"
    )
    httpd, url = _serve(tmp_path)
    view = Page(browser, f"{url}/index.html")
    try:
        _figures_ready(view.page, 3)
        view.page.wait_for_selector(".widget-slider", timeout=20000)
        before = _hash(view.page, 0)
        first = view.page.locator(".nagw").nth(0).locator("input[type=range]").first
        first.focus()
        view.page.keyboard.press("ArrowRight")
        _settle(view.page)
        assert _hash(view.page, 0) != before
        # html-manager's own schema validator warns in strict mode; nothing else may complain
        assert not view.problems(allowed=TOOLCHAIN + ("strict mode",)), view.problems()
    finally:
        view.close()
        httpd.shutdown()
        httpd.server_close()
