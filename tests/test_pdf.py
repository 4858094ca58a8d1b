"""The PDF of the whole book: linked from the site, readable, every chapter in it, no widget in it.

`make book` prints it when a Chromium is found, and `make test` makes sure one is; see the Makefile.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest
import yaml
from bs4 import BeautifulSoup
from pypdf import PdfReader

ROOT = pathlib.Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
PDF = SITE / "downloads" / "rolling-downhill.pdf"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()


def _letters(text: str) -> str:
    """Compare titles without spaces: the PDF outline drops the space where a heading wrapped."""
    return re.sub(r"\s+", "", text.replace("\u2019", "'"))


def _titles() -> list[str]:
    """The title of every page in the table of contents, from its source."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    titles = []
    for name in [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]:
        path = ROOT / f"{name}.ipynb"
        if path.exists():
            first = "".join(json.loads(path.read_text())["cells"][0]["source"])
        else:
            first = (ROOT / f"{name}.md").read_text()
        titles.append(re.search(r"^# (.+)$", first, re.M).group(1).strip())
    return titles


@pytest.fixture(scope="module")
def reader() -> PdfReader:
    if not PDF.exists():
        pytest.fail(f"{PDF.relative_to(ROOT)} is missing: `make book` prints it when it finds Chromium (make test does)")
    pdf = PdfReader(PDF)
    assert len(pdf.pages) > 40
    return pdf


@pytest.fixture(scope="module")
def text(reader) -> str:
    return _squash("\n".join(page.extract_text() for page in reader.pages))


def test_the_site_links_the_pdf():
    run = BeautifulSoup((SITE / "run.html").read_text(), "html.parser")
    assert [a["href"] for a in run.select('a[href$=".pdf"]')] == ["downloads/rolling-downhill.pdf"]
    chapter = BeautifulSoup((SITE / "chapters" / "01_gradient_descent.html").read_text(), "html.parser")
    menu = {a.get_text(strip=True): a["href"] for a in chapter.select(".dropdown-download-buttons a[href]")}
    assert menu["Whole book (.pdf)"] == "../downloads/rolling-downhill.pdf"
    assert PDF.read_bytes() == (ROOT / "_build" / "pdf" / "rolling-downhill.pdf").read_bytes(), "the site offers the latest PDF"


def test_every_page_of_the_book_is_a_bookmark_of_the_pdf_in_reading_order(reader):
    titles = _titles()
    assert len(titles) >= 8
    top = reader.outline[1]  # the book's title, then its pages one level below
    assert _letters(reader.outline[0].title) == _letters(titles[0])
    bookmarks = [_letters(b.title) for b in top if not isinstance(b, list)]
    # each page's bookmark after the previous page's (a section of an earlier page may share a title)
    positions, after = [], 0
    for title in titles[1:]:
        found = bookmarks.index(_letters(title), after) if _letters(title) in bookmarks[after:] else None
        positions.append(found)
        after = found + 1 if found is not None else after
    assert None not in positions, f"not bookmarked in the PDF, in reading order: {[t for t, p in zip(titles[1:], positions) if p is None]}"


def _exercises_in_the_chapters() -> int:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [ROOT / f"{c['file']}.ipynb" for part in toc["parts"] for c in part["chapters"]]
    cells = [c for f in files if f.is_file() for c in json.loads(f.read_text())["cells"] if c["cell_type"] == "markdown"]
    return sum("".join(c["source"]).count("```{exercise}") for c in cells)


def test_pdf_has_static_figures_math_and_exercises_but_no_widgets(text):
    assert text.count("Fig. ") >= 15, "figure captions"
    exercises = _exercises_in_the_chapters()
    assert exercises >= 6 * 3
    numbers = {int(n) for n in re.findall(r"Exercise (\d+)", text)}
    assert numbers == set(range(1, exercises + 1)), f"the chapters have {exercises} exercises, the PDF {sorted(numbers)}"
    solved = {int(n) for n in re.findall(r"Solution to Exercise (\d+)", text)}
    assert solved == numbers, f"exercises printed without their solution: {sorted(numbers - solved)}"
    for control in ("Play the steps", "Show code cell source"):
        assert control not in text, f"{control!r}: a control of the website is printed"
    # typeset maths arrives as text (a LaTeX source would show its backslashes)
    assert "\\theta" not in text and "\\frac" not in text
