"""Repository and launch buttons for a hosted copy of the book, set in one place of _config.yml.

Set ``repository.url`` (and ``repository.branch``) and a hub in ``launch_buttons``:
``jupyterhub_url`` (the chapter opens on that JupyterHub through an nbgitpuller link, which clones or
updates the repository in the user's home) and/or ``binderhub_url``. Every chapter then gets a
repository button and a launch menu, built by sphinx-book-theme; every page gets the repository
button; run.md shows its "In the cloud" section (the ``hosted`` tag).

With an empty ``repository.url`` no repository or launch button appears at all, whatever else is
set, so that the site never shows a button that leads nowhere. A hub URL without a repository URL
is a configuration error: a launch link needs a repository to pull.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.errors import ConfigError

HUBS = ("jupyterhub_url", "binderhub_url")


def on_config_inited(app: Sphinx, config) -> None:
    options = config.html_theme_options
    repository = (options.get("repository_url") or "").strip()
    launch = dict(options.get("launch_buttons") or {})
    hubs = [key for key in HUBS if (launch.get(key) or "").strip()]
    if not repository:
        if hubs:
            raise ConfigError(f"launch_buttons.{hubs[0]} is set but repository.url is empty: set both in _config.yml")
        options["use_repository_button"] = False
        options["launch_buttons"] = {}
        return
    options["use_repository_button"] = True
    if hubs:
        app.tags.add("hosted")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", on_config_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
