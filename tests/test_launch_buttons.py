"""Repository and launch buttons: absent while their URLs are unset, working links once they are set.

The built site has no URLs set, so no page may show such a button. To see the buttons, a small
book is built in a temporary folder from the real _config.yml (with sample URLs set in it) and the
real extensions, with one chapter page under a real chapter's name and execution switched off.
"""

from __future__ import annotations

import importlib.util
import pathlib
import shutil
import subprocess
import sys
import types
import urllib.parse

import pytest
import yaml
from bs4 import BeautifulSoup
from sphinx.errors import ConfigError

ROOT = pathlib.Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
JB = pathlib.Path(sys.executable).parent / "jupyter-book"
REPO = "https://github.com/example-org/rolling-downhill"
HUB = "https://hub.example.edu"
BINDER = "https://binder.example.org"
CHAPTER = "chapters/01_gradient_descent"

BUTTONS = ".dropdown-launch-buttons, .btn-source-repository-button"


def _site_pages():
    return sorted(p for p in SITE.rglob("*.html") if not p.relative_to(SITE).parts[0].startswith(("_", ".")))


def test_no_repository_or_launch_button_while_the_urls_are_unset():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert not config["repository"]["url"] and not config["launch_buttons"]["jupyterhub_url"]
    pages = _site_pages()
    assert len(pages) > 5
    for page in pages:
        soup = BeautifulSoup(page.read_text(), "html.parser")
        assert not soup.select(BUTTONS), f"{page.name} shows a button without a URL"
        assert not soup.select('a[href*="git-pull"], a[href*="/v2/gh/"]'), page.name
    assert "In the cloud" not in (SITE / "run.html").read_text()


def _sample_book(tmp: pathlib.Path, repository: str, hub: str, binder: str) -> pathlib.Path:
    book = tmp / "book"
    (book / "chapters").mkdir(parents=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = repository
    config["launch_buttons"].update(jupyterhub_url=hub, binderhub_url=binder)
    config["execute"]["execute_notebooks"] = "off"
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    (book / "_toc.yml").write_text(yaml.safe_dump({"format": "jb-book", "root": "intro", "chapters": [{"file": CHAPTER}, {"file": "run"}]}))
    (book / "intro.md").write_text("# A sample book\n\nOne chapter and the run page.\n")
    notebook = '{"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# A chapter\\n"]}], ' \
               '"metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}, ' \
               '"nbformat": 4, "nbformat_minor": 5}'
    (book / f"{CHAPTER}.ipynb").write_text(notebook)
    shutil.copy(ROOT / "run.md", book / "run.md")
    for shared in ("_ext", "_assets", "nagcore", "references.bib", "requirements.txt", "pyproject.toml", "LICENSE"):
        (book / shared).symlink_to(ROOT / shared)
    return book


def _build(book: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run([JB, "build", str(book)], cwd=book, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    book = _sample_book(tmp_path_factory.mktemp("hosted"), REPO, HUB, BINDER)
    result = _build(book)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return book / "_build" / "html"


def test_chapter_gets_repository_and_launch_buttons(hosted):
    soup = BeautifulSoup((hosted / f"{CHAPTER}.html").read_text(), "html.parser")
    assert [a["href"] for a in soup.select("a.btn-source-repository-button")] == [REPO]
    launch = {a.get_text(strip=True): a["href"] for a in soup.select(".dropdown-launch-buttons a[href]")}
    assert set(launch) == {"JupyterHub", "Binder"}

    # JupyterHub: an nbgitpuller link that clones the repository and opens this chapter in JupyterLab
    hub = urllib.parse.urlsplit(launch["JupyterHub"])
    assert f"{hub.scheme}://{hub.netloc}" == HUB and hub.path == "/hub/user-redirect/git-pull"
    query = dict(urllib.parse.parse_qsl(hub.query))
    assert query == {"repo": REPO, "branch": "main", "urlpath": f"lab/tree/rolling-downhill/{CHAPTER}.ipynb"}
    # nbgitpuller clones into a folder named after the repository; the path below it is this repository's file
    clone_dir, path_in_repo = query["urlpath"].removeprefix("lab/tree/").split("/", 1)
    assert clone_dir == REPO.rsplit("/", 1)[1] and (ROOT / path_in_repo).is_file()

    binder = urllib.parse.urlsplit(launch["Binder"])
    assert f"{binder.scheme}://{binder.netloc}{binder.path}" == f"{BINDER}/v2/gh/example-org/rolling-downhill/main"
    assert dict(urllib.parse.parse_qsl(binder.query)) == {"urlpath": f"lab/tree/{CHAPTER}.ipynb"}


def test_other_pages_get_the_repository_button_only(hosted):
    for page in ("intro.html", "run.html"):
        soup = BeautifulSoup((hosted / page).read_text(), "html.parser")
        assert [a["href"] for a in soup.select("a.btn-source-repository-button")] == [REPO]
        assert not soup.select(".dropdown-launch-buttons")
    assert "In the cloud" in (hosted / "run.html").read_text()


def test_a_hub_without_a_repository_is_refused():
    spec = importlib.util.spec_from_file_location("hosted_buttons", ROOT / "_ext" / "hosted_buttons.py")
    hosted_buttons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hosted_buttons)
    app = types.SimpleNamespace(tags=set())
    config = types.SimpleNamespace(html_theme_options={"repository_url": "", "launch_buttons": {"jupyterhub_url": HUB}})
    with pytest.raises(ConfigError, match="repository.url is empty"):
        hosted_buttons.on_config_inited(app, config)
    # and with neither set, no button is asked of the theme
    config.html_theme_options = {"repository_url": "", "launch_buttons": {"jupyterhub_url": ""}, "use_repository_button": True}
    hosted_buttons.on_config_inited(app, config)
    assert config.html_theme_options["launch_buttons"] == {} and not config.html_theme_options["use_repository_button"]
    assert "hosted" not in app.tags
