#!/usr/bin/env bash
# Make sure bubblewrap (`bwrap`) is installed and works: `make grade` runs every submission in a
# bubblewrap sandbox (assignments/sandbox.py), and `make test` grades hostile submissions with it.
# On Debian as root (as in CI) a missing bwrap is installed with apt. Anywhere else this fails
# with instructions: grading never falls back to running submissions unsandboxed.
set -euo pipefail

works() {
  command -v bwrap >/dev/null && bwrap --unshare-all --unshare-user --ro-bind / / true 2>/dev/null
}

if works; then
  exit 0
fi

if ! command -v bwrap >/dev/null && [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
  echo "bwrap not found; installing Debian's bubblewrap package with apt-get"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y bubblewrap
  works && exit 0
fi

cat >&2 <<'MSG'
ensure_bwrap.sh: bubblewrap (bwrap) is missing or cannot create a sandbox here, and grading
submissions needs it. Install it from your system's packages, then run the command again:
  Debian/Ubuntu:  sudo apt-get install bubblewrap
  Fedora:         sudo dnf install bubblewrap
It needs user namespaces (on by default in Debian, Ubuntu and Fedora; inside a container,
the container must allow them). Without Linux, grade with Docker instead: see instructors.md.
MSG
exit 1
