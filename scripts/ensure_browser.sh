#!/usr/bin/env bash
# Make sure a Chromium binary exists for the browser test (tests/test_site_browser.py).
#
# Playwright drives the system's Chromium through `executable_path`; `playwright install` is not
# used because it downloads a browser from outside the package registries. Order of search:
#   $CHROMIUM, Debian's chromium package (its real binary, not the /usr/bin wrapper script),
#   then chromium/chromium-browser/google-chrome on PATH.
# On Debian as root (as in CI) a missing browser is installed with apt. Anywhere else this
# fails with instructions: the browser test is never skipped silently.
set -euo pipefail

find_browser() {
  if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then echo "$CHROMIUM"; return 0; fi
  if command -v dpkg >/dev/null && dpkg -s chromium >/dev/null 2>&1; then
    local real
    real=$(dpkg -L chromium | grep -E '/chromium/chromium$' | head -n1 || true)
    if [ -n "$real" ] && [ -x "$real" ]; then echo "$real"; return 0; fi
  fi
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null; then command -v "$name"; return 0; fi
  done
  return 1
}

# `ensure_browser.sh --find` only reports: it prints the browser's path, or fails, and installs nothing.
if [ "${1:-}" = "--find" ]; then
  find_browser
  exit $?
fi

if browser=$(find_browser); then
  echo "browser for the site test: $browser"
  exit 0
fi

if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
  echo "no Chromium found; installing Debian's chromium package with apt-get"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  browser=$(find_browser) || { echo "ensure_browser.sh: apt-get installed chromium but no binary was found" >&2; exit 1; }
  echo "browser for the site test: $browser"
  exit 0
fi

cat >&2 <<'MSG'
ensure_browser.sh: no Chromium browser found, and the browser test in `make test` needs one.
Install one from your system's packages, then run `make test` again:
  Debian/Ubuntu:  sudo apt-get install chromium      (Ubuntu: chromium-browser)
  Fedora:         sudo dnf install chromium
  macOS:          brew install --cask chromium
or point CHROMIUM at any Chromium or Chrome binary:  make test CHROMIUM=/path/to/chrome
MSG
exit 1
