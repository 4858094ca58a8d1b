#!/usr/bin/env bash
# Refresh the vendored widget front end in _assets/widgets/ from pinned versions.
#
#   scripts/vendor_widgets.sh [PYTHON]      (or: make vendor)
#
# The files are committed, so `make book` needs neither npm nor a network. Run this only to
# change a version: edit the pins below (and anywidget's pin in requirements.txt), run it,
# review `git diff --stat _assets/widgets`, rebuild and run `make test`.
#
# Sources:
#   require.js                      npm requirejs@$REQUIREJS
#   embed-amd.js, *.woff2, *.woff   npm @jupyter-widgets/html-manager@$HTML_MANAGER, dist/
#   anywidget/index.js              the installed anywidget Python package, nbextension/index.js
#                                   (its AMD build; copied from site-packages so that the front end
#                                   always matches the anywidget pinned in requirements.txt)
#   widgets-config.js               written by hand, kept in git, not touched here
#   embed-anywidget.js              written by hand, kept in git, not touched here: renders the
#                                   book's anywidgets without the manager, and loads the manager
#                                   (the files above) only for other kinds of widgets
set -euo pipefail

REQUIREJS=2.3.8
HTML_MANAGER=1.0.15

PYTHON=${1:-.venv/bin/python}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=$ROOT/_assets/widgets

command -v npm >/dev/null || { echo "vendor_widgets.sh: npm is needed to refresh the vendored files (apt-get install npm)" >&2; exit 1; }
"$PYTHON" -c "import anywidget" 2>/dev/null || { echo "vendor_widgets.sh: $PYTHON cannot import anywidget; run 'make book' first" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "requirejs@$REQUIREJS" "@jupyter-widgets/html-manager@$HTML_MANAGER" >/dev/null)
mkdir -p "$work/requirejs" "$work/html-manager"
tar xzf "$work/requirejs-$REQUIREJS.tgz" -C "$work/requirejs"
tar xzf "$work/jupyter-widgets-html-manager-$HTML_MANAGER.tgz" -C "$work/html-manager"

mkdir -p "$DEST/anywidget"
find "$DEST" -maxdepth 1 \( -name '*.woff' -o -name '*.woff2' \) -delete
cp "$work/requirejs/package/require.js" "$DEST/require.js"
cp "$work/html-manager/package/dist/embed-amd.js" "$DEST/embed-amd.js"
# html-manager compiles its widget-state schema with Ajv in default strict mode, and the schema's
# own union type makes Ajv print a "use allowUnionTypes" warning on every widget page. Allow union
# types in both copies of that compile call (the site's browser test fails on any console warning).
"$PYTHON" - "$DEST/embed-amd.js" <<'PY'
import pathlib, sys
path = pathlib.Path(sys.argv[1])
code = path.read_text()
for call in ("gt=new(ht());gt.compile(At)", "k=new(w()),E=k.compile(y)"):
    assert code.count(call) == 1, f"embed-amd.js changed: {call!r} not found once; update the patch"
    code = code.replace(call, call.replace("())", "())({allowUnionTypes:!0})", 1))
path.write_text(code)
PY
# Browsers that run embed-amd.js all read woff2 or woff; the eot/ttf/svg fallbacks are left out.
cp "$work/html-manager/package/dist/"*.woff2 "$work/html-manager/package/dist/"*.woff "$DEST/"
cp "$work/html-manager/package/dist/embed.js.LICENSE.txt" "$DEST/embed-amd.js.LICENSE.txt"
ANYWIDGET_DIR=$("$PYTHON" -c "import anywidget, pathlib; print(pathlib.Path(anywidget.__file__).parent)")
ANYWIDGET_VERSION=$("$PYTHON" -c "import importlib.metadata as m; print(m.version('anywidget'))")
cp "$ANYWIDGET_DIR/nbextension/index.js" "$DEST/anywidget/index.js"

cat > "$DEST/VERSIONS" <<END
# Written by scripts/vendor_widgets.sh; do not edit by hand.
requirejs $REQUIREJS (MIT)
@jupyter-widgets/html-manager $HTML_MANAGER (BSD-3-Clause; bundled licences in embed-amd.js.LICENSE.txt)
anywidget $ANYWIDGET_VERSION (MIT; from the Python package's nbextension/index.js)
END
(cd "$DEST" && find . -type f ! -name SHA256SUMS ! -name widgets-config.js ! -name embed-anywidget.js -print | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
echo "vendored into $DEST:"
cat "$DEST/VERSIONS"
