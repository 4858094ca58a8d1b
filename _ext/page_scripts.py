"""Sphinx extension: every page's inline scripts once, and none of thebe's.

Sphinx 7.4 registers an extension's inline script twice when the extension adds it after the HTML
builder has started (once with ``filename=None``, once with ``''``). sphinx-togglebutton and
sphinx-thebe both do, so every page defined ``const THEBE_JS_URL`` twice and the browser threw
"Identifier 'THEBE_JS_URL' has already been declared". This keeps the first copy of each script.
Live code (thebe) is switched off in ``_config.yml``, so its configuration script and loader are
dropped as well: they would only name a CDN the site never contacts.
"""

from __future__ import annotations


def _deduplicate(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        body = script.attributes.get("body", "")
        key = (script.filename or "", body)
        thebe = "THEBE_JS_URL" in body or (script.filename or "").endswith("sphinx-thebe.js")
        if key in seen or (thebe and not app.config.html_theme_options.get("launch_buttons", {}).get("thebe")):
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept
    context["css_files"] = [css for css in context.get("css_files", []) if not (css.filename or "").endswith("sphinx-thebe.css")]


def setup(app):
    app.connect("html-page-context", _deduplicate, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
