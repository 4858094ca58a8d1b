#!/usr/bin/env bash
# Refresh the accessibility engine the browser tests inject into every page (tests/test_site_a11y.py).
#
# axe-core comes from the npm registry at a pinned version and lives in tests/vendor/axe-core/, next
# to the tests that use it. It is never copied into the site: readers do not download it.
set -euo pipefail
VERSION=4.14.1
cd "$(dirname "$0")/.."
dest=tests/vendor/axe-core
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "axe-core@$VERSION" >/dev/null && tar -xzf axe-core-$VERSION.tgz)
mkdir -p "$dest"
cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dest/"
echo "axe-core $VERSION (npm), axe.min.js and LICENSE (MPL-2.0)" > "$dest/VERSION"
(cd "$dest" && sha256sum axe.min.js LICENSE > SHA256SUMS)
echo "axe-core $VERSION in $dest"
