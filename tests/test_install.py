"""The install tells the truth: the Pythons that work, a checked interpreter, a self-repairing .venv.

pyproject.toml's ``requires-python`` is the one statement of the supported versions (the pinned
requirements install, and `make test` passes, on each of them); the README repeats it, and
scripts/ensure_venv.sh, which `make` runs before anything that needs .venv, reads it.

Most tests run that script as `make` does, in a temporary folder that holds a copy of it,
pyproject.toml and a requirements file with nothing to install, so that each environment takes
seconds. They break environments the way it happens: a creation that failed, a venv without pip,
an update interrupted by Ctrl-C while pip waits for a (local, silent) package index, a venv of
another Python. The refusal of an unsupported interpreter runs through `make` itself, with every
unsupported Python that pyenv offers on this machine (2.7 to 3.10 here). Where none is installed
(a machine without pyenv), the same refusal is checked with a stand-in interpreter that reports
3.10, so the test still runs, and still fails if the check goes. Likewise, "a venv of another
supported Python" uses a second real interpreter when there is one, and a stand-in otherwise.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEC = re.search(r'^requires-python = ">=(\d+)\.(\d+),<(\d+)\.(\d+)"$',
                 (ROOT / "pyproject.toml").read_text(), re.M)
LOW, HIGH = (int(SPEC[1]), int(SPEC[2])), (int(SPEC[3]), int(SPEC[4]))
SUPPORTED = [(LOW[0], minor) for minor in range(LOW[1], HIGH[1])]
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"
BASE = pathlib.Path(sys._base_executable).resolve()  # the interpreter that .venv was made from


def _version(python) -> tuple[int, int] | None:
    try:
        out = subprocess.run([python, "-c", 'import sys; print("%d.%d" % sys.version_info[:2])'],
                             capture_output=True, text=True, timeout=30).stdout
        return tuple(int(x) for x in out.split("."))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def _installed_pythons() -> dict[tuple[int, int], pathlib.Path]:
    """version -> interpreter, from pyenv's versions folder and python3.X on PATH."""
    found = {}
    root = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv"))
    candidates = sorted(root.glob("versions/*/bin/python"))
    candidates += [pathlib.Path(p) for p in (shutil.which(f"python3.{m}") for m in range(6, 20)) if p]
    for python in candidates:
        version = _version(python)
        if version and version not in found:
            found[version] = python
    return found


PYTHONS = _installed_pythons()
UNSUPPORTED = {v: p for v, p in PYTHONS.items() if v not in SUPPORTED}
OTHER_SUPPORTED = {v: p for v, p in PYTHONS.items() if v in SUPPORTED and v != sys.version_info[:2]}


def _stand_in(folder: pathlib.Path, version: str, venv_module: bool = True) -> pathlib.Path:
    """A fake interpreter: reports ``version``, has pip, and has venv only if asked."""
    path = folder / f"python{version}"
    path.write_text("#!/bin/sh\n"
                    f'case "$*" in *version_info*) echo {version};; *ensurepip*) exit {0 if venv_module else 1};; '
                    "*) exit 0;; esac\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def project(tmp_path):
    """A folder laid out like the repository for the script, with nothing to install."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "ensure_venv.sh", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "requirements.txt").write_text("# nothing to install\n")
    return tmp_path


def _ensure(project, python, *explicit, stamp="v1", timeout=300):
    return subprocess.run(["scripts/ensure_venv.sh", str(python), ".venv", f".venv/.installed-{stamp}", *explicit],
                          cwd=project, capture_output=True, text=True, timeout=timeout)


def _healthy(project, stamp="v1") -> str:
    venv = project / ".venv"
    assert (venv / f".installed-{stamp}").exists()
    check = subprocess.run([venv / "bin" / "python", "-c", 'import pip, sys; print("%d.%d" % sys.version_info[:2])'],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    return check.stdout.strip()


def test_the_supported_versions_are_stated_once_and_repeated_in_the_readme():
    names = [f"{major}.{minor}" for major, minor in SUPPORTED]
    assert len(names) >= 2 and HERE in names, f"this environment runs Python {HERE}"
    stated = f"Python {', '.join(names[:-1])} or {names[-1]}"
    assert stated in (ROOT / "README.md").read_text(), f"the README should say: {stated}"


@pytest.mark.parametrize("version", sorted(UNSUPPORTED) + ["stand-in"],
                         ids=lambda v: v if isinstance(v, str) else "%d.%d" % v)
def test_make_refuses_an_unsupported_python_before_creating_anything(version, tmp_path):
    if version == "stand-in":
        python, shown = _stand_in(tmp_path, "3.10"), "3.10"
    else:
        python, shown = UNSUPPORTED[version], "%d.%d" % version
    venv = tmp_path / "venv"
    result = subprocess.run(["make", "-s", "venv", f"PYTHON={python}", f"VENV={venv}"], cwd=ROOT,
                            capture_output=True, text=True, env=dict(os.environ, MAKEFLAGS=""), timeout=120)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert f"is Python {shown}, but the pinned requirements need Python {LOW[0]}.{LOW[1]} to" in message, message
    assert "make book PYTHON=python" in message
    assert not venv.exists()


def test_a_python_without_venv_gets_instructions(project):
    result = _ensure(project, _stand_in(project, "3.12", venv_module=False))
    assert result.returncode == 1
    assert "cannot create virtual environments" in result.stderr and "apt-get install python3.12-venv" in result.stderr
    assert not (project / ".venv").exists()


def test_a_venv_is_made_once_and_then_left_alone(project):
    first = _ensure(project, BASE)
    assert first.returncode == 0, first.stderr
    assert _healthy(project) == HERE
    stamp = (project / ".venv" / ".installed-v1").stat().st_mtime_ns
    start = time.monotonic()
    second = _ensure(project, BASE)
    assert second.returncode == 0 and second.stdout == "" and second.stderr == ""
    assert (project / ".venv" / ".installed-v1").stat().st_mtime_ns == stamp
    assert time.monotonic() - start < 5


def test_a_healthy_venv_survives_asking_for_a_python_that_cannot_be_used(project):
    assert _ensure(project, BASE).returncode == 0
    for python in (project / "no-such-python", _stand_in(project, "3.10"), _stand_in(project, "3.12", False)):
        result = _ensure(project, python, "explicit")
        assert result.returncode == 1 and "rebuilding" not in result.stdout, result.stdout
        assert _healthy(project) == HERE


def test_a_failed_creation_is_rebuilt(project):
    (project / ".venv" / "bin").mkdir(parents=True)  # what a creation that stopped early leaves
    result = _ensure(project, BASE)
    assert result.returncode == 0, result.stderr
    assert "rebuilding .venv: its python does not run" in result.stdout
    assert _healthy(project) == HERE


def test_a_venv_without_pip_is_rebuilt(project):
    subprocess.run([BASE, "-m", "venv", "--without-pip", project / ".venv"], check=True)
    result = _ensure(project, BASE)
    assert "rebuilding .venv: it has no pip" in result.stdout, result.stdout + result.stderr
    assert _healthy(project) == HERE


def test_an_interrupted_update_is_rebuilt(project):
    assert _ensure(project, BASE).returncode == 0
    # new requirements, from an index that accepts the connection and never answers
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    (project / "requirements.txt").write_text(f"--index-url http://127.0.0.1:{port}/simple\nno-such-package==1.0\n")
    update = subprocess.Popen(["scripts/ensure_venv.sh", str(BASE), ".venv", ".venv/.installed-v2"], cwd=project,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal
    deadline = time.monotonic() + 60
    while not any(b"pip" in _cmdline(p) for p in _children(update.pid)):
        assert time.monotonic() < deadline and update.poll() is None, "pip did not start"
        time.sleep(0.1)
    time.sleep(1)
    os.killpg(update.pid, signal.SIGINT)  # Ctrl-C while pip waits
    try:
        update.communicate(timeout=30)
    except subprocess.TimeoutExpired:  # a busy machine: stop it harder, as a closed terminal would
        os.killpg(update.pid, signal.SIGKILL)
        update.communicate()
    silent.close()
    assert not list((project / ".venv").glob(".installed-*")), "an interrupted update left a stamp"
    (project / "requirements.txt").write_text("# nothing to install\n")
    result = _ensure(project, BASE, stamp="v2")
    assert "rebuilding .venv: no install finished in it (one was interrupted)" in result.stdout, result.stdout + result.stderr
    assert _healthy(project, "v2") == HERE


def _cmdline(pid: int) -> bytes:
    """The command line of process pid, or b"" when it has already ended."""
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # ProcessLookupError or FileNotFoundError: the process ended meanwhile
        return b""


def _children(pid: int) -> list[int]:
    """Every descendant of pid (from /proc)."""
    parents = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_a_venv_of_another_python_is_rebuilt_when_python_is_given(project):
    if OTHER_SUPPORTED:  # a real venv of another supported Python
        version, other = sorted(OTHER_SUPPORTED.items())[0]
        assert _ensure(project, other).returncode == 0
        made = "%d.%d" % version
    else:  # a stand-in: the venv's python reports another supported version
        assert _ensure(project, BASE).returncode == 0
        made = "%d.%d" % next(v for v in SUPPORTED if v != sys.version_info[:2])
        python = project / ".venv" / "bin" / "python"
        python.unlink()
        shutil.copy(_stand_in(project, made), python)
    left_alone = _ensure(project, BASE)  # PYTHON not given: the venv is kept
    assert left_alone.stdout == "" and _healthy(project) == made
    result = _ensure(project, BASE, "explicit")
    assert f"rebuilding .venv: it was made with Python {made}, and PYTHON={BASE} is not" in result.stdout, result.stdout
    assert _healthy(project) == HERE


def test_a_venv_of_an_unsupported_python_is_rebuilt(project):
    if UNSUPPORTED:
        version, old = sorted(UNSUPPORTED.items())[-1]
        subprocess.run([old, "-m", "venv", project / ".venv"], check=True, capture_output=True)
        (project / ".venv" / ".installed-old").touch()
        made = "%d.%d" % version
    else:
        assert _ensure(project, BASE).returncode == 0
        made = "3.10"
        (project / ".venv" / "bin" / "python").unlink()
        shutil.copy(_stand_in(project, made), project / ".venv" / "bin" / "python")
    result = _ensure(project, BASE)
    assert f"rebuilding .venv: it was made with Python {made}; the pinned requirements need" in result.stdout, result.stdout
    assert _healthy(project) == HERE


def test_clean_keeps_the_venv_and_distclean_removes_it():
    def commands(target):
        result = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True,
                                env=dict(os.environ, MAKEFLAGS=""))
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "rm -rf _build" in commands("clean") and ".venv" not in commands("clean")
    removed = {word for line in commands("distclean").splitlines() if line.startswith("rm -rf") for word in line.split()[2:]}
    assert {"_build", ".venv", "hub/node_modules"} <= removed, removed
