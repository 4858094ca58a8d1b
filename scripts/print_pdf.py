"""Print the single-page build of the book to one PDF with the system's Chromium (`make pdf`).

    python scripts/print_pdf.py _build/singlehtml/intro.html _build/pdf/rolling-downhill.pdf

The page is served on 127.0.0.1 and every request to another host is refused, as on the website.
The script waits until MathJax has typeset every formula, then prints with the print style of
``_assets/print.css``: the interactive figures are left out (their static twins are printed) and the
exercise solutions are open. The browser is the one ``scripts/ensure_browser.sh --find`` reports.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import pathlib
import subprocess
import threading
import time
import urllib.parse

from playwright.sync_api import sync_playwright

SCRIPTS = pathlib.Path(__file__).resolve().parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
MATHJAX_READY = "() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise"
TYPESET = "async () => { await MathJax.startup.promise; return document.querySelectorAll('mjx-container').length; }"
FOOTER = '<div style="font-size:8px; width:100%; text-align:center; color:#555"><span class="pageNumber"></span> / <span class="totalPages"></span></div>'


def browser() -> str:
    found = subprocess.run([SCRIPTS / "ensure_browser.sh", "--find"], capture_output=True, text=True)
    if found.returncode != 0:
        raise SystemExit("print_pdf.py: no Chromium found; run scripts/ensure_browser.sh, or set CHROMIUM=/path/to/chrome")
    return found.stdout.strip()


def print_pdf(page: pathlib.Path, out: pathlib.Path) -> dict:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(page.parent)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    blocked: list[str] = []

    def route(r):
        host = urllib.parse.urlsplit(r.request.url).hostname
        if host in ("127.0.0.1", None) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    start = time.perf_counter()
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=browser(), headless=True, args=FLAGS)
            tab = chromium.new_page()
            tab.route("**/*", route)
            tab.goto(f"http://127.0.0.1:{httpd.server_address[1]}/{page.name}", wait_until="networkidle", timeout=120_000)
            formulas = 0
            if tab.locator(".math").count():  # MathJax loads after the page; wait until it has typeset
                tab.wait_for_function(MATHJAX_READY, timeout=120_000)
                formulas = tab.evaluate(TYPESET)
                if not formulas:
                    raise SystemExit("print_pdf.py: MathJax typeset nothing")
            tab.emulate_media(media="print")
            out.parent.mkdir(parents=True, exist_ok=True)
            tab.pdf(path=str(out), format="A4", print_background=True, display_header_footer=True, outline=True, tagged=True,
                    header_template="<span></span>", footer_template=FOOTER,
                    margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
            chromium.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return {"formulas": formulas, "blocked": blocked, "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=pathlib.Path, help="the single-page build's HTML file")
    parser.add_argument("out", type=pathlib.Path, help="where to write the PDF")
    args = parser.parse_args()
    report = print_pdf(args.page.resolve(), args.out)
    if report["blocked"]:
        raise SystemExit(f"print_pdf.py: the page asked for other hosts: {report['blocked'][:5]}")
    size = args.out.stat().st_size / 1e6
    print(f"{args.out}: {size:.1f} MB, {report['formulas']} formulas typeset, {report['seconds']} s")


if __name__ == "__main__":
    main()
