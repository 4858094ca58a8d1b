"""`make bench`: how fast and how lean nagcore and the book are on this machine, as ratios.

Every figure is a ratio of two times (or sizes) measured in the same run, so that a slow or busy
machine moves both sides alike. Times are the best of several interleaved repeats. Sections:

1. grid: a 100 x 100 learning-rate x momentum grid, batched in one run() against runs one by one;
2. step: one step of each optimizer at 10 million parameters against the bandwidth floor
   (``a += b``), the same update written with in-place numpy, and torch.optim.SGD when torch is
   installed (it is not a dependency: ``pip install torch==2.13.0`` into the venv to include it);
3. memory: peak memory of a 300-parameter, 10,000-step run against the size of its output;
4. book: chapter execution times, a clean build and a cached rebuild (built into a temporary folder,
   so ``_build`` is left alone);
5. browser: page weight of every chapter and the redraw time of every widget slider, measured in
   Chromium on the freshly built site.

Usage: ``python bench/bench.py [--skip-book] [--out bench/results.md]``. It prints the table and
writes the same Markdown to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import nagcore
from nagcore import problems

ROOT = pathlib.Path(__file__).resolve().parents[1]
N_BIG = 10_000_000
TARGET = 1.5  # a step within 1.5x of in-place numpy (and of torch)


def best_of(fns: dict, repeats: int) -> dict:
    """Best time of each callable, the callables interleaved so that load hits them alike."""
    best = {name: np.inf for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


# --- 1. grid ------------------------------------------------------------------------------------


def grid_section() -> list[tuple]:
    p = problems.quadratic(condition_number=50, rotation=0.7)
    lrs = np.linspace(0.02, 2.0, 100)[:, None]
    moms = np.linspace(0.0, 0.99, 100)
    steps, sample = 300, 100
    picks = np.random.default_rng(0).choice(lrs.size * moms.size, sample, replace=False)

    def batched():
        nagcore.run(nagcore.nesterov(lrs, moms), p, p.x0, steps)

    def looped():
        for k in picks:
            nagcore.run(nagcore.nesterov(lrs[k // 100, 0], moms[k % 100]), p, p.x0, steps)

    t = best_of({"batched": batched, "looped": looped}, 3)
    per_grid_looped = t["looped"] * (lrs.size * moms.size / sample)
    return [("grid", "100 x 100 grid, 300 Nesterov steps: looped / batched", per_grid_looped / t["batched"], f"batched {t['batched']:.2f} s")]


# --- 2. step cost at 10 million parameters ------------------------------------------------------


def step_section() -> list[tuple]:
    """Per-step times, each the fastest of many steps (after the first few, which fill the buffers).

    A run's steps are timed between consecutive gradient calls (one per step for all three
    optimizers), so a step includes everything run() does per step: the update, the divergence
    check and the bookkeeping. The in-place loops and the floor are timed operation by operation.
    """
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(N_BIG)
    lam = rng.uniform(0.1, 1.0, N_BIG)
    lr, gamma, steps, warm = 0.5, 0.9, 14, 3

    def nag_run(opt):
        def go():
            stamps = []

            def grad(x):
                stamps.append(time.perf_counter())
                return lam * x

            nagcore.run(opt, grad, x0, steps, every=steps)
            return np.diff(stamps)[warm:]

        return go

    def inplace(kind):
        def go():
            x, v, look, times = x0.copy(), np.zeros(N_BIG), np.empty(N_BIG), []
            for _ in range(steps):
                start = time.perf_counter()
                if kind == "gd":
                    g = lam * x
                    g *= lr
                    x -= g
                else:
                    if kind == "nesterov":
                        np.multiply(v, gamma, out=look)
                        np.subtract(x, look, out=look)
                        g = lam * look
                    else:
                        g = lam * x
                    g *= lr
                    v *= gamma
                    v += g
                    x -= v
                times.append(time.perf_counter() - start)
            return np.array(times[1:])

        return go

    a, b = np.ones(N_BIG), np.ones(N_BIG)

    def floor():
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            a.__iadd__(b)
            times.append(time.perf_counter() - start)
        return np.array(times)

    runs = {
        "floor": floor,
        "gd": nag_run(nagcore.gradient_descent(lr)),
        "gd numpy": inplace("gd"),
        "momentum": nag_run(nagcore.momentum(lr, gamma)),
        "momentum numpy": inplace("momentum"),
        "nesterov": nag_run(nagcore.nesterov(lr, gamma)),
        "nesterov numpy": inplace("nesterov"),
    }
    torch = _torch()
    if torch is not None:
        for kind in ("gd", "momentum", "nesterov"):
            runs[f"{kind} torch"] = _torch_sgd(torch, kind, x0, lam, lr, gamma, steps)
    best = {name: np.inf for name in runs}
    for _ in range(3):
        for name, fn in runs.items():
            best[name] = min(best[name], float(np.min(fn())))
    rows = []
    for kind in ("gd", "momentum", "nesterov"):
        t = best[kind]
        rows.append(("step", f"{kind} step / a += b (bandwidth floor)", t / best["floor"], f"{t * 1e3:.1f} ms per step"))
        rows.append(("step", f"{kind} step / same update in in-place numpy", t / best[f"{kind} numpy"], f"target <= {TARGET}"))
        if f"{kind} torch" in best:
            rows.append(("step", f"{kind} step / torch.optim.SGD", t / best[f"{kind} torch"], f"target <= {TARGET}"))
    for kind in ("gd", "momentum", "nesterov"):
        rows.append(("step", f"in-place numpy {kind} / a += b", best[f"{kind} numpy"] / best["floor"], ""))
        if f"{kind} torch" in best:
            rows.append(("step", f"torch.optim.SGD {kind} / a += b", best[f"{kind} torch"] / best["floor"], ""))
    if torch is None:
        rows.append(("step", "torch.optim.SGD", float("nan"), "torch not installed: pip install torch==2.13.0"))
    return rows


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_sgd(torch, kind, x0, lam, lr, gamma, steps):
    lam_t = torch.from_numpy(lam)
    options = {"gd": {}, "momentum": {"momentum": gamma}, "nesterov": {"momentum": gamma, "nesterov": True}}[kind]

    def go():
        p = torch.from_numpy(x0.copy())
        opt = torch.optim.SGD([p], lr=lr, **options)
        times = []
        with torch.no_grad():
            for _ in range(steps):
                start = time.perf_counter()
                p.grad = lam_t * p
                opt.step()
                times.append(time.perf_counter() - start)
        return np.array(times[1:])

    return go


# --- 3. memory ------------------------------------------------------------------------------------

def _memory_run() -> str:
    """The measured run as a script: the memory test's set-up (same problem, same peak reset), then
    the 10,000-step run it checks, printing peak and output bytes."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_memory import SETUP

    return SETUP + (
        "traj = nagcore.run(nagcore.nesterov(1.0, 0.9), p, p.x0, 10_000)\n"
        'print(json.dumps({"peak": resident("VmHWM") - before, "output": traj.x.nbytes + traj.f.nbytes}))\n'
    )


def memory_section() -> list[tuple]:
    out = subprocess.run([sys.executable, "-c", _memory_run()], capture_output=True, text=True)
    if out.returncode:
        return [("memory", "300 parameters x 10,000 steps: peak / output", float("nan"), out.stderr.strip().splitlines()[-1][:100])]
    m = json.loads(out.stdout.splitlines()[-1])
    return [("memory", "300 parameters x 10,000 steps: peak memory / output size", m["peak"] / m["output"], f"peak {m['peak'] / 2**20:.0f} MiB, output {m['output'] / 2**20:.0f} MiB")]


# --- 4. the book ------------------------------------------------------------------------------------


def book_section(out_dir: pathlib.Path) -> tuple[list[tuple], pathlib.Path]:
    jb = pathlib.Path(sys.executable).parent / "jupyter-book"
    build = [str(jb), "build", str(ROOT), "--path-output", str(out_dir), "--warningiserror", "--nitpick", "--keep-going"]
    times = {}
    for name in ("clean", "cached"):
        start = time.perf_counter()
        subprocess.run(build, check=True, capture_output=True, cwd=ROOT)
        times[name] = time.perf_counter() - start
    from jupyter_cache import get_cache

    chapters = {pathlib.Path(r.uri).stem: r.data.get("execution_seconds", float("nan")) for r in get_cache(str(out_dir / "_build" / ".jupyter_cache")).list_cache_records()}
    total = sum(chapters.values())
    rows = [("book", "clean build / cached rebuild", times["clean"] / times["cached"], f"clean {times['clean']:.0f} s, cached {times['cached']:.0f} s")]
    for name, seconds in sorted(chapters.items()):
        rows.append(("book", f"{name}: share of chapter execution", seconds / total, f"{seconds:.1f} s"))
    rows.append(("book", "chapter execution / clean build", total / times["clean"], f"{total:.0f} s executing chapters"))
    return rows, out_dir / "_build" / "html"


# --- 5. the browser -----------------------------------------------------------------------------------


# bytes of the page and of everything it loaded (the browser's own resource timing entries)
PAGE_BYTES = """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
  .reduce((total, entry) => total + (entry.decodedBodySize || 0), 0)"""


def browser_section(site: pathlib.Path) -> list[tuple]:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from playwright.sync_api import sync_playwright
        from test_site_browser import _MOVE, CHROMIUM_FLAGS, WIDGET_VIEW, _block_other_hosts, _chromium
    except Exception as error:  # noqa: BLE001 - the bench reports what it could not measure
        return [("browser", "page weight and redraw", float("nan"), f"skipped: {error}")]
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    rows, weights, latencies, draws = [], {}, [], []
    try:
        with sync_playwright() as pw:
            # the site test's context (every request routed, none allowed to leave 127.0.0.1): an
            # unrouted context never reached "network idle" on chapters 5 and 6, with no request open
            browser = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS)
            context = _block_other_hosts(browser.new_context())
            for page_path in sorted((site / "chapters").glob("*.html")):
                page = context.new_page()
                page.goto(f"{base}/chapters/{page_path.name}", wait_until="load", timeout=120_000)
                page.wait_for_load_state("networkidle", timeout=120_000)
                weights[page_path.stem] = page.evaluate(PAGE_BYTES)
                # widgets render after the page has loaded: count the views the page embeds, then wait for them
                n = page_path.read_text().count(WIDGET_VIEW)
                if n:
                    page.wait_for_function(f"document.querySelectorAll('.nagw canvas[data-drawn]').length === {n}", timeout=30000)
                for i in range(n):
                    names = page.locator(".nagw").nth(i).locator("input[type=range]").evaluate_all("els => els.map(e => e.dataset.name)")
                    for name in names:
                        for _ in range(5):
                            result = page.evaluate(_MOVE, [i, name])
                            latencies.append(result["latency"])
                            draws.append(result["draw"])
                page.close()
            context.close()
            browser.close()
    finally:
        httpd.shutdown()
    heaviest = max(weights, key=weights.get)
    rows.append(("browser", "heaviest chapter page / lightest", weights[heaviest] / min(weights.values()), f"{heaviest}: {weights[heaviest] / 2**20:.2f} MiB with every asset"))
    for name, size in sorted(weights.items()):
        rows.append(("browser", f"{name}: page weight / 1 MiB", size / 2**20, f"{size:,} bytes"))
    if latencies:
        frame = 1000 / 60
        rows.append(("browser", "slider to redrawn canvas, median / one 60 Hz frame", statistics.median(latencies) / frame, f"median {statistics.median(latencies):.1f} ms, worst {max(latencies):.1f} ms over {len(latencies)} moves"))
        rows.append(("browser", "widget draw time, worst / one 60 Hz frame", max(draws) / frame, f"median {statistics.median(draws):.1f} ms"))
    return rows


# --- the report -------------------------------------------------------------------------------------------


def machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{config.get('name')} {config.get('version')} ({config.get('openblas configuration', '')})"
    except Exception:  # noqa: BLE001 - older numpy
        pass
    threads = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return [
        f"- cores: {os.cpu_count()} ({cpu}); load average at start {os.getloadavg()[0]:.1f}",
        f"- Python {platform.python_version()}, numpy {np.__version__}, BLAS {blas}",
        "- " + ", ".join(f"{k}={v}" for k, v in threads.items()),
        f"- {platform.platform()}; memory {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"))
    parser.add_argument("--skip-book", action="store_true", help="skip the book build and the browser (sections 4 and 5)")
    args = parser.parse_args(argv)
    rows = grid_section() + step_section() + memory_section()
    if not args.skip_book:
        with tempfile.TemporaryDirectory(prefix="nag-bench-") as tmp:
            book_rows, site = book_section(pathlib.Path(tmp))
            rows += book_rows + browser_section(site)
    lines = ["# nagcore and the book: benchmark", "", "Written by `make bench` (`bench/bench.py`). Every figure is a ratio of two measurements taken in the same run.", "", "## Machine", "", *machine(), "", "## Results", "", "| section | ratio | figure | note |", "| --- | --- | ---: | --- |"]
    lines += [f"| {section} | {what} | {value:.2f} | {note} |" for section, what, value, note in rows]
    misses = [what for section, what, value, note in rows if "target" in note and not value <= TARGET]
    lines += ["", f"Speed targets (<= {TARGET}x): " + ("all met." if not misses else "missed: " + "; ".join(misses) + ".")]
    text = "\n".join(lines) + "\n"
    print(text)
    pathlib.Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
