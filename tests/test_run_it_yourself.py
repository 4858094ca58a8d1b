"""Running the book from the site: the runnable bundle and each chapter's two notebooks.

The bundle test takes the zip that the built site links to, unpacks it into an empty folder and
runs the bundle's own commands there: ``make install`` and then ``make check`` on one chapter, which
executes it in the bundle's own venv with the bundle's own nagcore.

To stay fast on a shared machine, the test reuses the packages the book's ``.venv`` already has
instead of downloading the same wheels into a second venv: it creates the bundle's ``.venv`` itself
(``python3 -m venv``, as the bundle's Makefile would) and adds one ``.pth`` line that puts the book's
site-packages on its path. This stays honest because the bundle pins exactly the book's versions
(``test_bundle_holds_the_runnable_book`` checks that they are a subset of requirements.txt), and
``make install`` runs with ``PIP_NO_INDEX=1``: pip must find every pinned package already satisfied,
and would fail if the bundle asked for anything else. It installs the bundle's nagcore (``-e .``)
into the new venv, and the test checks that the chapter imports that copy, not the repository's.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import pathlib
import re
import subprocess
import sys
import sysconfig
import urllib.parse
import zipfile

import pytest
import yaml
from bs4 import BeautifulSoup
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
CHAPTER_RUN_BY_THE_TEST = "chapters/02_momentum"  # imports nagcore, theory-free, has widgets


def _toc_chapters() -> list[str]:
    """Every notebook in the table of contents (the bundle must cover later chapters too)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f for f in files if (ROOT / f"{f}.ipynb").is_file()]


CHAPTERS = _toc_chapters()


def _site_path(page: pathlib.Path, href: str) -> pathlib.Path:
    return (page.parent / urllib.parse.unquote(urllib.parse.urlsplit(href).path)).resolve()


def _menu_links(chapter: str) -> dict[str, pathlib.Path]:
    """The chapter page's download menu: button label -> the file it links to."""
    page = SITE / f"{chapter}.html"
    soup = BeautifulSoup(page.read_text(), "html.parser")
    menu = soup.select_one(".dropdown-download-buttons")
    assert menu is not None, f"{chapter}: no download menu"
    links = {}
    for a in menu.select("a[href]"):
        links[a.get_text(strip=True)] = _site_path(page, a["href"])
    return links


@pytest.fixture(scope="module")
def bundle() -> pathlib.Path:
    page = SITE / "run.html"
    if not page.exists():
        pytest.fail("no built site; run `make book` first (make test does)")
    soup = BeautifulSoup(page.read_text(), "html.parser")
    hrefs = [a["href"] for a in soup.select("a[href]") if a["href"].endswith(".zip")]
    assert len(set(hrefs)) == 1, f"the run page should offer exactly one bundle, found {hrefs}"
    path = _site_path(page, hrefs[0])
    assert path.is_file() and SITE in path.parents, f"the bundle link {hrefs[0]} does not resolve in the site"
    return path


def test_the_toc_lists_the_chapters():
    assert len(CHAPTERS) >= 4 and all(c.startswith("chapters/") for c in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_offers_both_notebooks_and_the_bundle(bundle, chapter):
    links = _menu_links(chapter)
    source = json.loads((ROOT / f"{chapter}.ipynb").read_text())
    without = links["Notebook without outputs"]
    assert json.loads(without.read_text()) == source, "the notebook without outputs is the committed chapter"
    with_outputs = json.loads(links["Notebook with outputs"].read_text())
    assert [c["id"] for c in with_outputs["cells"]] == [c["id"] for c in source["cells"]], "the same cells"
    # as the reader saw it: every code cell ran, in order, and most show a result
    code = [c for c in with_outputs["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    shown = sum(bool(c["outputs"]) for c in code)
    assert shown >= len(code) // 2, f"{chapter}: only {shown} of {len(code)} code cells have outputs"
    page = (SITE / f"{chapter}.html").read_text()
    if "application/vnd.jupyter.widget-view+json" in page:
        assert with_outputs["metadata"].get("widgets"), "the widget state the page uses is in the notebook"
    assert links["Runnable book (.zip)"] == bundle


def test_bundle_holds_the_runnable_book(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        requirements = zf.read("rolling-downhill/requirements.txt").decode().splitlines()
    top = {n.split("/")[0] for n in names}
    assert top == {"rolling-downhill"}, "one top-level folder"
    expected = {f"rolling-downhill/{c}.ipynb" for c in CHAPTERS}
    expected |= {f"rolling-downhill/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / "nagcore").rglob("*") if p.suffix in (".py", ".js", ".css") and "__pycache__" not in p.parts}
    expected |= {f"rolling-downhill/{n}" for n in ("README.md", "Makefile", "requirements.txt", "pyproject.toml", "LICENSE")}
    assert expected <= names, f"missing from the bundle: {sorted(expected - names)}"
    assert {n for n in names if n.startswith("rolling-downhill/assignments/")} == {
        f"rolling-downhill/assignments/{p.name}" for p in (ROOT / "_build" / "assignments" / "student").glob("*.ipynb")
    }
    # nothing that is not for readers: no solutions, autograders, tests or build files
    assert not [n for n in names if re.search(r"autograder|solution|/tests/|_build|\.venv|__pycache__", n)]
    pins = {l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()}
    assert requirements[-1] == "-e ."
    packages = [l for l in requirements if l and not l.startswith("#") and l != "-e ."]
    assert set(packages) <= pins, "the bundle pins exactly the book's versions"
    names_only = {l.split("==")[0].lower() for l in packages}
    assert {"numpy", "matplotlib", "anywidget", "ipywidgets", "ipykernel", "jupyterlab"} <= names_only
    assert not {"jupyter-book", "sphinx", "playwright", "pytest"} & names_only, "build and test tools stay out"


def test_bundle_installs_and_runs_a_chapter_in_an_empty_folder(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path)
    folder = tmp_path / "rolling-downhill"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "MAKE", "PIP_"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    # the reuse described in the module docstring: a new venv that sees the book's packages
    base_python = pathlib.Path(sys.base_prefix) / "bin" / "python3"
    subprocess.run([base_python, "-m", "venv", folder / ".venv"], check=True)
    book_packages = pathlib.Path(sysconfig.get_paths()["purelib"])
    new_packages = pathlib.Path(subprocess.run(
        [folder / ".venv" / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    (new_packages / "book_packages.pth").write_text(f"{book_packages}\n")
    env.update(PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1")

    install = subprocess.run(["make", "install"], cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-4000:]
    python = folder / ".venv" / "bin" / "python"
    where = subprocess.run([python, "-c", "import nagcore; print(nagcore.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(folder / "nagcore")), f"nagcore comes from the bundle, not {where}"
    check = subprocess.run(["make", "check", f"CHAPTERS={CHAPTER_RUN_BY_THE_TEST}.ipynb"], cwd=folder, env=env,
                           capture_output=True, text=True, timeout=900)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-4000:]
    executed = json.loads((folder / "executed" / f"{pathlib.Path(CHAPTER_RUN_BY_THE_TEST).name}.ipynb").read_text())
    code = [c for c in executed["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] for c in code), "every cell ran"
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]


def _imported_modules() -> set[str]:
    """Top-level modules that the chapters' code cells and nagcore's modules import."""
    sources = [p.read_text() for p in (ROOT / "nagcore").rglob("*.py")]
    for chapter in CHAPTERS:
        cells = json.loads((ROOT / f"{chapter}.ipynb").read_text())["cells"]
        sources += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    found = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_bundle_pins_what_every_chapter_imports(bundle):
    """Every package a chapter (5 and 6 included) or nagcore imports is pinned in the bundle."""
    with zipfile.ZipFile(bundle) as zf:
        lines = zf.read("rolling-downhill/requirements.txt").decode().splitlines()
    pinned = {canonicalize_name(l.split("==")[0]) for l in lines if "==" in l}
    providers = importlib.metadata.packages_distributions()
    modules = _imported_modules() - set(sys.stdlib_module_names) - {"nagcore"}
    assert {"numpy", "matplotlib", "PEPit", "cvxpy", "keras", "jax", "optax", "sklearn"} <= modules
    unpinned = {m: providers.get(m) for m in modules if not {canonicalize_name(d) for d in providers.get(m, [])} & pinned}
    assert not unpinned, f"imported by the chapters or nagcore but not pinned in the bundle: {unpinned}"
