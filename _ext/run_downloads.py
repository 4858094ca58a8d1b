"""What a reader can download to run the book: the runnable bundle, each chapter's notebook, the PDF.

A small Sphinx extension, generic over ``_toc.yml``: every notebook listed there is a chapter.

- ``builder-inited``: writes the runnable bundle, ``_build/downloads/rolling-downhill.zip``: the
  chapters (as committed, without outputs), ``nagcore``, the pinned requirements the chapters need,
  the student assignments, a Makefile and a README (both from ``_ext/bundle/``). The page
  ``run.md`` offers it with ``{download}``, so a missing bundle fails the build.
- ``html-page-context``: on every chapter page, the theme's download menu offers the notebook with
  outputs (the executed copy the page was made from, widget state included), the notebook without
  outputs, the bundle and, when one is built, the PDF of the whole book. The executed copies are
  written to ``notebooks/<chapter>.ipynb`` in the site. With ``execute_notebooks: cache`` they come
  from the execution cache: myst-nb's own copy in ``_build/jupyter_execute`` has no outputs when the
  cache served the page.

The PDF is printed from the built site (``scripts/print_pdf.py``) into ``downloads/`` in the site,
so it exists only after the HTML build. ``make book`` sets ``BOOK_PDF=1`` when it will print one, and
only then do pages link to it (and the ``book_pdf`` tag shows run.md's paragraph about it): a link
to the PDF is never dead.
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import zipfile

import nbformat
from jupyter_cache import get_cache
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.osutil import relative_uri

BUNDLE_NAME = "rolling-downhill"
BUNDLE_TEMPLATES = pathlib.Path(__file__).parent / "bundle"
# What the chapters import, plus the kernel and the notebook interface; pinned from requirements.txt
CHAPTER_ROOTS = ["numpy", "matplotlib", "anywidget", "ipywidgets", "ipykernel", "jupyterlab",
                 "jax", "keras", "optax", "scikit-learn"]  # the frameworks chapter 6 runs
ASSIGNMENT_ROOTS = ["otter-grader"]
NOTEBOOKS_DIR = "notebooks"  # executed chapters in the site
PDF_PATH = "downloads/rolling-downhill.pdf"  # in the site; run.md links the same path
ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # fixed, so that the same sources give the same bytes


def chapters(srcdir: pathlib.Path, toc_path: pathlib.Path) -> list[str]:
    """Docnames of the notebooks anywhere in the table of contents (parts, chapters, sections)."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(toc_path)
    found = [site_map.root.docname]
    for name in found:  # the list grows while it is walked: every level of the toc is visited
        for subtree in site_map[name].subtrees:
            found.extend(item for item in subtree.items if isinstance(item, str))
    return [d for d in found if (srcdir / f"{d}.ipynb").is_file()]


def requirement_closure(roots: list[str]) -> set[str]:
    """Canonical names of ``roots`` and everything they need, read from the installed metadata."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in roots]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.distribution(name).requires or []:
            dep = Requirement(line)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in req.extras or {""}):
                todo.append(dep)
    return seen


def pinned(names: set[str], requirements: pathlib.Path) -> list[str]:
    """The lines of requirements.txt that pin ``names``, in its order; every name must be pinned."""
    lines = [l.strip() for l in requirements.read_text().splitlines() if "==" in l and not l.startswith("#")]
    by_name = {canonicalize_name(l.split("==")[0]): l for l in lines}
    missing = sorted(names - by_name.keys())
    if missing:
        raise ExtensionError(f"run_downloads: {missing} are needed by the chapters but not pinned in requirements.txt")
    return [l for l in lines if canonicalize_name(l.split("==")[0]) in names]


def _write(zf: zipfile.ZipFile, arcname: str, data: bytes) -> None:
    info = zipfile.ZipInfo(f"{BUNDLE_NAME}/{arcname}", date_time=ZIP_DATE)
    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_bundle(root: pathlib.Path, docnames: list[str], student_dir: pathlib.Path, out: pathlib.Path) -> pathlib.Path:
    """Write the runnable bundle to ``out`` and return it."""
    base = requirement_closure(CHAPTER_ROOTS)
    extra = requirement_closure(ASSIGNMENT_ROOTS) - base
    requirements = root / "requirements.txt"
    header = "# Exact versions the book was built with. The last line installs nagcore from this folder.\n"
    files = {
        "README.md": (BUNDLE_TEMPLATES / "README.md").read_bytes(),
        "Makefile": (BUNDLE_TEMPLATES / "Makefile").read_bytes(),
        "requirements.txt": (header + "\n".join(pinned(base, requirements)) + "\n-e .\n").encode(),
        "requirements-assignments.txt": ("\n".join(pinned(extra, requirements)) + "\n").encode(),
        "pyproject.toml": (root / "pyproject.toml").read_bytes(),
        "LICENSE": (root / "LICENSE").read_bytes(),
    }
    package = root / "nagcore"
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".js", ".css"):
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    for docname in docnames:
        files[f"{docname}.ipynb"] = (root / f"{docname}.ipynb").read_bytes()
    for path in sorted(student_dir.glob("*.ipynb")):
        files[f"assignments/{path.name}"] = path.read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(files):
            _write(zf, name, files[name])
    tmp.replace(out)
    return out


def _build_dir(app: Sphinx) -> pathlib.Path:
    return pathlib.Path(app.outdir).parent


def on_builder_inited(app: Sphinx) -> None:
    root = pathlib.Path(app.srcdir)
    app.env.reader_chapters = chapters(root, root / app.config.external_toc_path)
    build = _build_dir(app)
    build_bundle(root, app.env.reader_chapters, build / "assignments" / "student", build / "downloads" / f"{BUNDLE_NAME}.zip")


def executed_notebook(app: Sphinx, docname: str) -> str:
    """The chapter with the outputs its page shows, as notebook text."""
    config = app.env.mystnb_config
    if config.execution_mode == "cache":
        source = nbformat.read(pathlib.Path(app.srcdir) / f"{docname}.ipynb", as_version=4)
        try:
            _, notebook = get_cache(config.execution_cache_path).merge_match_into_notebook(source)
        except KeyError:
            raise ExtensionError(f"run_downloads: {docname} is not in the execution cache") from None
    else:  # executed in place: myst-nb's copy holds the outputs
        notebook = nbformat.read(_build_dir(app) / "jupyter_execute" / f"{docname}.ipynb", as_version=4)
    return nbformat.writes(notebook)


def _bundle_uri(app: Sphinx) -> str | None:
    """Where the site serves the bundle: the target that ``{download}`` gave it on run.md."""
    for dest in (dest for _, dest in app.env.dlfiles.values()):
        if pathlib.PurePosixPath(dest).name == f"{BUNDLE_NAME}.zip":
            return f"_downloads/{dest}"
    return None


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if pagename not in getattr(app.env, "reader_chapters", ()) or app.builder.name != "html":
        return
    menu = next((b for b in context.get("header_buttons", []) if b.get("label") == "download-buttons"), None)
    if menu is None:
        raise ExtensionError("run_downloads: the theme's download menu is missing; set html.use_download_button")
    target = pathlib.Path(app.outdir) / NOTEBOOKS_DIR / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(executed_notebook(app, pagename), encoding="utf-8")

    def link(path: str) -> str:
        return relative_uri(app.builder.get_target_uri(pagename), path)

    name = pathlib.PurePosixPath(pagename).name
    buttons = [
        {"type": "link", "url": link(f"{NOTEBOOKS_DIR}/{pagename}.ipynb"), "text": "Notebook with outputs",
         "tooltip": f"{name}.ipynb as this page shows it, with every output", "icon": "fas fa-book-open",
         "label": "download-notebook-outputs-button"},
        {"type": "link", "url": link(f"_sources/{context['sourcename']}"), "text": "Notebook without outputs",
         "tooltip": f"{name}.ipynb ready to run", "icon": "fas fa-code", "label": "download-notebook-button"},
    ]
    bundle = _bundle_uri(app)
    if bundle is None:
        raise ExtensionError("run_downloads: no page offers the bundle with {download}; run.md should")
    buttons.append({"type": "link", "url": link(bundle), "text": "Runnable book (.zip)",
                    "tooltip": "Chapters, nagcore and a Makefile: make install, then make lab",
                    "icon": "fas fa-file-zipper", "label": "download-bundle-button"})
    if app.config.book_pdf:
        buttons.append({"type": "link", "url": link(PDF_PATH), "text": "Whole book (.pdf)",
                        "tooltip": "Every chapter in one PDF", "icon": "fas fa-file-pdf", "label": "download-book-pdf-button"})
    # keep the theme's entry that prints the page, named for what it does
    printing = [dict(b, text="Print this page") for b in menu["buttons"] if b.get("label") == "download-pdf-button"]
    menu["buttons"] = buttons + printing


def on_config_inited(app: Sphinx, config) -> None:
    if config.book_pdf:
        app.tags.add("book_pdf")


def setup(app: Sphinx) -> dict:
    # Whether `make book` prints the PDF after this build (see the module docstring).
    app.add_config_value("book_pdf", bool(os.environ.get("BOOK_PDF")), "html")
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", on_builder_inited)
    app.connect("html-page-context", on_html_page_context, priority=600)  # after the theme's buttons (501)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
