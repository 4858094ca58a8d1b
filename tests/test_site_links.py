"""Every internal link and anchor of the built site resolves.

Each page's links (``a``, ``link``, ``script``, ``img``, ``source``, ``iframe``) that stay on the
site must name a file that exists, and a ``#fragment`` must name an element id (or anchor name) of
the page it points to. External links are left to ``make linkcheck``, which needs the network.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
import urllib.parse

import pytest
from bs4 import BeautifulSoup

ROOT = pathlib.Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
ATTRIBUTES = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src"}
# every page, including the redirect index.html; not the theme's template fragments in _static/
PAGES = sorted(p for p in SITE.rglob("*.html") if "_static" not in p.relative_to(SITE).parts) if SITE.exists() else []


@functools.lru_cache(maxsize=None)
def _soup(path: pathlib.Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(errors="replace"), "html.parser")


@functools.lru_cache(maxsize=None)
def _anchors(path: pathlib.Path) -> frozenset[str]:
    soup = _soup(path)
    return frozenset([t["id"] for t in soup.find_all(id=True)] + [t["name"] for t in soup.find_all("a", attrs={"name": True})])


def _urls(page: pathlib.Path):
    soup = _soup(page)
    for tag, attribute in ATTRIBUTES.items():
        for element in soup.find_all(tag, attrs={attribute: True}):
            yield element[attribute].strip()
    for refresh in soup.find_all("meta", attrs={"http-equiv": lambda v: v and v.lower() == "refresh"}):
        yield refresh["content"].split("url=", 1)[1].strip()


def _internal_links(page: pathlib.Path):
    for url in _urls(page):
            parts = urllib.parse.urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith(("javascript:", "mailto:", "data:")) or url in ("", "#"):
                continue
            yield url, parts


def test_the_site_is_built():
    assert PAGES, "no built site; run `make book` first (make test does)"
    assert (SITE / "intro.html") in PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(SITE).as_posix())
def test_internal_links_and_anchors_resolve(page):
    broken, checked = [], 0
    for url, parts in _internal_links(page):
        checked += 1
        target = (page.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else page
        if target.is_dir():
            target = target / "index.html"
        if SITE.resolve() not in target.parents and target != SITE.resolve():
            broken.append(f"{url} (leaves the site)")
        elif not target.is_file():
            broken.append(f"{url} (no such file)")
        elif parts.fragment and target.suffix == ".html" and urllib.parse.unquote(parts.fragment) not in _anchors(target):
            broken.append(f"{url} (no anchor #{parts.fragment})")
    assert checked, f"{page.name} has no internal links at all"
    assert not broken, f"{page.relative_to(SITE)}: {len(broken)} broken of {checked}: {broken[:10]}"


def test_the_checker_finds_a_broken_link(tmp_path, monkeypatch):
    (tmp_path / "a.html").write_text('<a href="b.html#here">b</a><a href="#top">top</a><a id="top"></a><a href="missing.html">x</a>')
    (tmp_path / "b.html").write_text('<p id="elsewhere"></p>')
    monkeypatch.setattr(__import__(__name__), "SITE", tmp_path)
    with pytest.raises(AssertionError, match=r"2 broken of 3.*no anchor #here.*missing.html \(no such file\)"):
        test_internal_links_and_anchors_resolve(tmp_path / "a.html")


# Glossary and notation: each chapter points to both pages in its opening and links every glossary
# term it uses exactly once (the authors put the link at the first use, or soon after where a
# paragraph would otherwise hold too many links). A term counts as used when its name (or its
# plural) appears in the chapter's prose outside headings, code, maths, captions and links; a longer
# term is matched before a shorter one inside it ("learning rate" before "rate").
CHAPTER_PAGES = sorted((SITE / "chapters").glob("*.html")) if SITE.exists() else []
# Words that are a glossary term's name but mean something else where a chapter uses them.
OTHER_MEANING = {("06_nag_in_practice", "rate"): "a constant or effective rate there is a learning rate"}
_NOT_PROSE = ("h1", "h2", "h3", "h4", "h5", "code", "pre", "a", "figcaption", "script", "style")


@functools.lru_cache(maxsize=None)
def _glossary_terms() -> dict[str, str]:
    """Glossary anchor -> term, from the built glossary page."""
    soup = _soup(SITE / "glossary.html")
    return {dt["id"]: dt.get_text(" ", strip=True).rstrip("#").strip() for dt in soup.select("dl.glossary dt[id]")}


def _prose(page: pathlib.Path) -> str:
    main = _soup(page).select_one("main")
    kept = []
    for text in main.find_all(string=True):
        parents = [p for p in text.parents if p is not main and p.name]
        if not any(p.name in _NOT_PROSE or {"math", "cell_output", "caption"} & set(p.get("class") or []) for p in parents):
            kept.append(str(text))
    return " ".join(kept)


def test_the_glossary_has_the_terms_of_chapters_5_and_6():
    terms = {t.lower() for t in _glossary_terms().values()}
    assert len(terms) >= 50
    assert {"effective learning rate", "warm-up", "cosine schedule", "gradient noise", "early stopping", "nadam",
            "epoch", "performance estimation", "semidefinite program", "adaptive restart"} <= terms


@pytest.mark.parametrize("page", CHAPTER_PAGES, ids=lambda p: p.stem)
def test_chapter_opens_with_notation_and_glossary_and_links_each_term_it_uses_once(page):
    soup = _soup(page)
    main = soup.select_one("main")
    opening = []  # the links of the chapter's opening: what comes before its first section
    for child in main.select_one("section").find_all(recursive=False):
        if child.name == "section":
            break
        opening += [a["href"] for a in child.select("a[href]")]
    assert "../notation.html" in opening and "../glossary.html" in opening, f"{page.name}: the opening does not point to both pages"
    linked = [a["href"].split("#", 1)[1] for a in main.select('a[href^="../glossary.html#term-"]')]
    terms = _glossary_terms()
    assert set(linked) <= terms.keys(), f"{page.name}: links to no glossary entry {sorted(set(linked) - terms.keys())}"
    assert len(linked) == len(set(linked)), f"{page.name}: terms linked more than once {sorted({t for t in linked if linked.count(t) > 1})}"
    assert len(linked) >= 10
    text, unlinked = _prose(page), []
    for anchor, term in sorted(terms.items(), key=lambda kv: -len(kv[1])):
        pattern = r"(?<![\w-])" + re.escape(term) + r"(s|es)?(?![\w-])"
        used = re.search(pattern, text, flags=re.I)
        text = re.sub(pattern, " ", text, flags=re.I)  # a shorter term inside this one is not a use
        if used and anchor not in linked and (page.stem, term) not in OTHER_MEANING:
            unlinked.append(term)
    assert not unlinked, f"{page.name} uses these glossary terms without linking them: {unlinked}"


def test_every_glossary_entry_names_the_chapter_that_explains_it():
    soup = _soup(SITE / "glossary.html")
    missing = [dt.get_text(strip=True) for dt in soup.select("dl.glossary dt[id]")
               if not dt.find_next_sibling("dd").select('a[href^="chapters/"]')]
    assert not missing, f"glossary entries without their chapter: {missing}"


def test_every_symbol_of_the_notation_page_names_its_chapter():
    soup = _soup(SITE / "notation.html")
    rows = soup.select("table tbody tr")
    assert len(rows) > 50
    missing = [r.get_text(" ", strip=True)[:40] for r in rows if not r.select('td:last-child a[href^="chapters/"]')]
    assert not missing, f"notation rows without their chapter: {missing}"


# Figures, equations and theorems are referenced by label ({numref}, {eq}, {prf:ref}), never by a
# number typed by hand, which goes stale when one is added before it. Headings and a cited work's
# own numbering ("Theorem 2.1.13") are not references.
_HAND_NUMBER = re.compile(r"\b(?:fig(?:ure|\.)|eq(?:uation|n?\.)|theorem|table)s?\s*\(?\d+\)?(?![.\d])", re.I)
_POSITIONAL = re.compile(r"\b(?:first|second|third|previous|last) (?:static )?(?:figure|equation|theorem)\b", re.I)


def _sources():
    for path in sorted(ROOT.glob("chapters/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
            texts = ["".join(cell["source"])] if cell["cell_type"] == "markdown" else []
            yield from ((f"{path.name} {cell['id']}", t) for t in texts + [figure.get("caption", "")])
    for path in sorted(ROOT.glob("*.md")):
        yield path.name, path.read_text()


def test_figures_equations_and_theorems_are_referenced_by_label():
    found = []
    for where, text in _sources():
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            prose = re.sub(r"\{[\w:-]+\}`[^`]*`|`[^`]*`|\$[^$]*\$", "", line)
            found += [f"{where}: {m.group(0)!r}" for m in (*_HAND_NUMBER.finditer(prose), *_POSITIONAL.finditer(prose))]
    assert not found, f"references typed by hand: {found}"


def test_the_reference_checker_finds_hand_numbers():
    samples = ["as Figure 3 shows", "see equation (4)", "by Theorem 1", "Eq. 2 gives", "the previous figure"]
    assert all(_HAND_NUMBER.search(s) or _POSITIONAL.search(s) for s in samples)
    assert not _HAND_NUMBER.search("(Theorem 2.1.13)") and not _HAND_NUMBER.search("chapter 4 showed")
