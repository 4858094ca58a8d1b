#!/usr/bin/env bash
# Create .venv, or repair it, and install the pinned requirements into it. `make` runs this
# before anything that needs the environment:
#
#   scripts/ensure_venv.sh PYTHON VENV STAMP [explicit]
#
# The supported Python versions are those of `requires-python` in pyproject.toml (the pinned
# requirements install and pass `make test` there). Before creating VENV, and before replacing it
# when PYTHON is given explicitly, PYTHON is checked: it must run, be a supported version and
# have the venv module; otherwise this says what to do and changes nothing.
# An existing VENV is rebuilt from scratch when it is broken or half-made:
#   - its python does not run, or has no pip (a failed creation, a removed interpreter);
#   - its Python version is not supported, or differs from PYTHON given explicitly
#     (the fourth argument is set when PYTHON came from the command line or the environment);
#   - no install ever finished in it (STAMP and every older stamp are missing: the first
#     install was interrupted, or an update was, since old stamps are removed before it starts).
# An up-to-date VENV costs one Python start-up.
set -euo pipefail
python=$1 venv=$2 stamp=$3 explicit=${4:-}

range=$(sed -n 's/^requires-python = ">=\([0-9]*\.[0-9]*\),<\([0-9]*\.[0-9]*\)"$/\1 \2/p' pyproject.toml)
read -r low high <<<"$range"
if [ -z "$high" ]; then
  echo 'ensure_venv.sh: pyproject.toml must say requires-python = ">=X.Y,<X.Z"' >&2
  exit 1
fi
key() { local major=${1%%.*} minor=${1#*.}; echo $((major * 1000 + minor)); }
supported() { [ "$(key "$1")" -ge "$(key "$low")" ] && [ "$(key "$1")" -lt "$(key "$high")" ]; }
version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }
last=${high%%.*}.$((${high#*.} - 1))
versions="Python $low to $last"

# PYTHON must run, be supported and have venv: checked before anything is removed or created.
check_python() {
  if ! want=$(version_of "$python"); then
    echo "make: cannot run '$python'. Install $versions and run, for example:" >&2
    echo "    make book PYTHON=python$low" >&2
    exit 1
  fi
  if ! supported "$want"; then
    cat >&2 <<MSG
make: '$python' is Python $want, but the pinned requirements need $versions.
Install one of those (your system's packages, python.org, or pyenv: pyenv install $low),
then run, for example:
    make book PYTHON=python$low
MSG
    exit 1
  fi
  if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    echo "make: '$python' (Python $want) cannot create virtual environments: it has no venv or ensurepip module." >&2
    echo "On Debian and Ubuntu: sudo apt-get install python$want-venv" >&2
    exit 1
  fi
}

if [ -n "$explicit" ] || [ ! -e "$venv" ]; then
  check_python
fi

problem=""
if [ -e "$venv" ]; then
  have=$(version_of "$venv/bin/python" || true)
  if [ -z "$have" ]; then
    problem="its python does not run (its creation failed, or its interpreter was removed)"
  elif ! "$venv/bin/python" -c 'import pip' 2>/dev/null; then
    problem="it has no pip (its creation failed)"
  elif ! supported "$have"; then
    problem="it was made with Python $have; the pinned requirements need $versions"
  elif [ -n "$explicit" ] && [ "$have" != "$want" ]; then
    problem="it was made with Python $have, and PYTHON=$python is not"
  elif ! compgen -G "$venv/.installed-*" >/dev/null; then
    problem="no install finished in it (one was interrupted)"
  fi
  if [ -n "$problem" ]; then
    echo "make: rebuilding $venv: $problem"
    rm -rf "$venv"
  fi
fi

if [ ! -e "$venv" ]; then
  [ -n "${want:-}" ] || check_python
  echo "make: creating $venv with $python (Python $want)"
  if ! "$python" -m venv "$venv"; then
    rm -rf "$venv"
    echo "make: '$python -m venv $venv' failed (see above); nothing is left behind, so run make again once it is fixed" >&2
    exit 1
  fi
fi

if [ ! -e "$stamp" ]; then
  rm -f "$venv"/.installed-*  # from here until the new stamp, an interruption means: rebuild
  "$venv/bin/python" -m pip install --quiet -r requirements.txt
  touch "$stamp"
fi
