"""Every internal link and anchor of the built site resolves.

Each page's links (``a``, ``link``, ``script``, ``img``, ``source``, ``iframe``) that stay on the
site must name a file that exists, and a ``#fragment`` must name an element id (or anchor name) of
the page it points to. External links are left to ``make linkcheck``, which needs the network.
"""

from __future__ import annotations

import functools
import pathlib
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
