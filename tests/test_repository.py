"""Repository hygiene that a reader or CI would otherwise trip over."""

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


NOTEBOOKS = sorted(ROOT.glob("chapters/*.ipynb"))


def test_there_are_chapters():
    assert NOTEBOOKS, "no chapters found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; run `make strip` before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_is_in_the_table_of_contents(path):
    toc = (ROOT / "_toc.yml").read_text()
    assert f"chapters/{path.stem}" in toc


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_opens_with_learning_goals_and_imports_nagcore(path):
    nb = json.loads(path.read_text())
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith("# "), "a chapter starts with its title"
    assert "What you will learn" in first and "What you need" in first
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "import nagcore" in code
    assert "sys.path" not in code and "np.random.seed" not in code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_caption_name_and_alt_text(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and "plt.show()" in src:
            meta = cell["metadata"].get("mystnb", {})
            assert meta.get("figure", {}).get("caption"), f"figure without caption: {src[:60]!r}"
            assert meta.get("figure", {}).get("name"), f"figure without name: {src[:60]!r}"
            assert len(meta.get("image", {}).get("alt", "")) > 40, f"figure without alt text: {src[:60]!r}"
            assert "set_title" not in src


def test_every_citation_key_exists():
    keys = set(re.findall(r"@\w+\{([^,]+),", (ROOT / "references.bib").read_text()))
    sources = [p.read_text() for p in [*NOTEBOOKS, *ROOT.glob("*.md")] if p.name != "README.md"]
    cited = {k.strip() for text in sources for group in re.findall(r"\{cite[pt]?\}`([^`]+)`", text) for k in group.split(",")}
    assert cited, "no citations found"
    assert cited <= keys, f"unknown keys: {sorted(cited - keys)}"


def test_requirements_are_pinned_exactly():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    loose = [l for l in lines if l != "-e ." and not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.\-+]+", l)]
    assert not loose, f"unpinned requirements: {loose}"
    assert "-e ." in lines
    for core in ("jupyter-book==1.0.4.post1", "numpy==", "matplotlib==", "ipywidgets==", "pytest==", "nbval=="):
        assert any(l.startswith(core) for l in lines), core
