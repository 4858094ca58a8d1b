"""Run one untrusted program in a bubblewrap sandbox, with limits on time, memory, output and disk.

The sandbox (``bwrap``, Debian's ``bubblewrap`` package) has no network, a read-only view of the
system folders and of the paths it is given (the Python installation, the virtual environment,
the grading code), and one private writable folder, ``/grading``: a size-limited tmpfs that is
also its home and its TMPDIR (``/tmp`` is another, as large). The inputs are mounted read-only
inside ``/grading/in``. Nothing else of the machine is visible: not the repository (which holds
the solutions), not the other submissions, not the instructor's home. The program runs as root of its own user namespace with
no capabilities, cannot create namespaces, sees only its own processes, and dies with its parent.

The program reports through a pipe (its descriptor number is given to ``program``); what it
prints is the log, kept up to ``LOG_BYTES``. Limits:

* time: wall-clock seconds, then the whole sandbox is killed (verdict ``time``);
* output: bytes printed by the program, past which it is killed (verdict ``output``);
* memory: address space per process (``prlimit --as``);
* disk: the size of the private folder (and of ``/tmp``).

The number of processes is not limited (as root, process-count limits do not apply), so a fork
bomb is stopped by the time limit only.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import Callable, NamedTuple

LOG_BYTES = 64 * 1024  # the first bytes of the program's output, kept for the log
RESULT_BYTES = 1 << 20  # the most that is read from the result pipe
INSIDE = pathlib.Path("/grading")  # the private folder, inside the sandbox
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("ld.so.cache", "localtime", "passwd", "group", "nsswitch.conf", "hosts")
_RUNNING: set[subprocess.Popen] = set()  # for stop_all
_LOCK = threading.Lock()
_STOPPED = threading.Event()


@dataclasses.dataclass(frozen=True)
class Limits:
    seconds: float = 300.0
    memory: int = 4 << 30  # bytes of address space per process
    output: int = 10 << 20  # bytes of printed output
    disk: int = 512 << 20  # bytes in the private folder


class Outcome(NamedTuple):
    verdict: str  # "done" (the program ended by itself), "time" or "output"
    returncode: int | None
    result: str  # what the program wrote to its result pipe
    log: str
    seconds: float


def available() -> str | None:
    """The bwrap binary, or None."""
    return shutil.which("bwrap")


def bwrap_prefix(read_only: list[pathlib.Path], inputs: dict[str, pathlib.Path], limits: Limits,
                 env: dict[str, str]) -> list[str]:
    """The bwrap arguments that put a command into a fresh sandbox (see the module docstring).

    ``read_only`` paths appear at the same place; ``inputs[name]`` appears as ``/grading/in/<name>``.
    """
    args = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--cap-drop", "ALL", "--clearenv",
            "--size", str(limits.disk), "--tmpfs", "/tmp"]  # first: read-only paths may lie under /tmp
    for path in SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for path in read_only:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev",
             "--size", str(limits.disk), "--tmpfs", str(INSIDE), "--dir", str(INSIDE / "tmp")]
    for name, path in inputs.items():
        args += ["--ro-bind", str(path), str(INSIDE / "in" / name)]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + ["--chdir", str(INSIDE), "--"]


def run(program: Callable[[int, pathlib.Path], list[str]], *, read_only: list[pathlib.Path],
        inputs: dict[str, pathlib.Path], limits: Limits, sandbox: bool = True) -> Outcome:
    """Run ``program(result_fd, input_folder)`` in a sandbox (or, if not ``sandbox``, in a temporary folder).

    Without the sandbox the program runs with the caller's permissions: for trusted files only.
    """
    env = {"HOME": str(INSIDE), "TMPDIR": str(INSIDE / "tmp"), "LANG": "C.UTF-8",
           "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]),
           "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_CORETYPE") or k == "OPENBLAS_L2_SIZE"})
    result_read, result_write = os.pipe()
    with tempfile.TemporaryDirectory(prefix="grade-") as scratch:
        if sandbox:
            command = bwrap_prefix(read_only, inputs, limits, env) + program(result_write, INSIDE / "in")
            cwd, popen_env = None, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        else:
            folder = pathlib.Path(scratch)
            (folder / "in").mkdir()
            (folder / "tmp").mkdir()
            for name, path in inputs.items():
                (folder / "in" / name).parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if path.is_dir() else shutil.copy)(path, folder / "in" / name)
            command = program(result_write, folder / "in")
            cwd = folder
            popen_env = {**os.environ, **env, "HOME": str(folder), "TMPDIR": str(folder / "tmp")}
        command = ["prlimit", f"--as={limits.memory}", "--"] + command
        start = time.monotonic()
        process = subprocess.Popen(command, cwd=cwd, env=popen_env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   pass_fds=(result_write,), start_new_session=True)
        os.close(result_write)
        with _LOCK:
            _RUNNING.add(process)
            if _STOPPED.is_set():
                os.killpg(process.pid, 9)
        try:
            verdict, result, log = _watch(process, result_read, limits, start)
        finally:
            _kill(process)
            os.close(result_read)
            with _LOCK:
                _RUNNING.discard(process)
    return Outcome(verdict, process.returncode, result, log, time.monotonic() - start)


def _watch(process: subprocess.Popen, result_fd: int, limits: Limits, start: float) -> tuple[str, str, str]:
    """Read output and result until both close, or a limit is reached; return (verdict, result, log)."""
    log, printed, result = bytearray(), 0, bytearray()
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, "log")
    selector.register(result_fd, selectors.EVENT_READ, "result")
    verdict = "done"
    while selector.get_map():
        left = start + limits.seconds - time.monotonic()
        if left <= 0:
            verdict = "time"
            break
        for key, _ in selector.select(timeout=min(left, 1.0)):
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                selector.unregister(key.fileobj)
            elif key.data == "log":
                printed += len(chunk)
                log += chunk[: max(0, LOG_BYTES - len(log))]
                if printed > limits.output:
                    verdict = "output"
            elif len(result) < RESULT_BYTES:
                result += chunk
        if verdict != "done":
            break
    selector.close()
    if verdict == "done":
        try:
            process.wait(timeout=max(0.1, start + limits.seconds - time.monotonic()))
        except subprocess.TimeoutExpired:
            verdict = "time"
    return verdict, result.decode(errors="replace"), log.decode(errors="replace")


def stop_all() -> None:
    """Kill every program that ``run`` is running or starts from now on (for an interrupted caller)."""
    with _LOCK:
        _STOPPED.set()
        for process in _RUNNING:
            try:
                os.killpg(process.pid, 9)
            except ProcessLookupError:
                pass


def _kill(process: subprocess.Popen) -> None:
    """End the program and everything it started (its session; the sandbox dies with bwrap)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, 9)
        except ProcessLookupError:
            pass
        process.wait()
    process.stdout.close()
