"""The assignments' "write it yourself" check: call a function where no nagcore code may run.

An assignment asks students to write an update rule by hand, and its hidden tests check that the
submitted function does not delegate to nagcore::

    from nagcore.grading import call_without_nagcore
    theta, v = call_without_nagcore(nesterov_step, theta, v, lambda x: x, 0.1, 0.5)

The call runs in a forked copy of the process. There a profiler ends the copy at the first call
into code from nagcore's files, however the function reaches it: a module-level name, an alias, a
default argument, a closure, ``importlib``, a reloaded or freshly loaded copy of a module, or
nagcore's source compiled under another name (matched by its bytecode). The copy has no other
threads and keeps no file descriptors but its own. A seccomp filter (Linux on x86-64 and arm64)
stops it from starting threads or processes, and an audit hook, which cannot be removed, refuses
processes, sockets, C calls through ctypes, and removing or rewriting the profiler. Pass
arguments that are not nagcore's (a ``lambda`` for the gradient).

The result comes back as plain data: numbers, numpy arrays, and tuples, lists or dicts of them
(a NamedTuple comes back as a tuple). Needs ``os.fork`` (Linux or macOS), which is where grading
runs; use it in hidden tests.
"""

import ctypes
import functools
import gc
import io
import os
import pathlib
import pickle
import platform
import select
import signal
import struct
import sys
import time
import types
import warnings

import numpy as np

PACKAGE = pathlib.Path(__file__).resolve().parent
SELF = str(pathlib.Path(__file__).resolve())  # this module's own code may run in the copy

# audit events refused inside the copy (prefixes), and function attributes that may not be set
_REFUSED = ("sys.setprofile", "sys.settrace", "sys._setprofileallthreads", "sys._settraceallthreads",
            "_thread.start_new_thread", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec",
            "os.system", "subprocess.Popen", "socket.", "ctypes.")
_FROZEN = ("__code__", "__defaults__", "__kwdefaults__")
# seccomp: the audit architecture and the syscalls that start a thread or a process
_NEW_TASKS = {"x86_64": (0xC000003E, (56, 57, 58, 435)), "aarch64": (0xC00000B7, (220, 435))}


@functools.lru_cache(maxsize=1)
def _nagcore_bytecode() -> frozenset:
    """(bytecode, names) of every function in nagcore's source: finds copies compiled elsewhere."""
    keys = set()
    for path in PACKAGE.rglob("*.py"):
        if str(path) == SELF:
            continue
        stack = [compile(path.read_text(), str(path), "exec")]
        while stack:
            code = stack.pop()
            stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
            if code.co_names:  # code that names nothing cannot reach anything
                keys.add((code.co_code, code.co_names))
    return frozenset(keys)


def call_without_nagcore(function, *args, timeout=30.0, **kwargs):
    """Return ``function(*args, **kwargs)``, computed where no nagcore code may run.

    Args:
      function: the student's function.
      *args, **kwargs: its arguments; none of them may be (or call) nagcore code.
      timeout: seconds to wait for the result.

    Returns:
      The function's result as plain data (numbers, arrays, tuples, lists, dicts).

    Raises:
      AssertionError: if the function reached nagcore code, raised, returned something that is not
        plain data, or did not return within ``timeout`` seconds.

    Example:
      >>> import nagcore
      >>> call_without_nagcore(lambda x, lr: x - lr * 2 * x, 1.0, 0.25)
      0.5
      >>> call_without_nagcore(nagcore.gradient_descent, 0.1)  # doctest: +ELLIPSIS
      Traceback (most recent call last):
      AssertionError: gradient_descent called nagcore (gradient_descent in ...): write it yourself
    """
    name = getattr(function, "__name__", repr(function))
    keys = _nagcore_bytecode()
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "fork of a multi-threaded process"
        pid = os.fork()
    if pid == 0:  # the copy: never returns
        try:
            os.close(read)
            _run_copy(function, args, kwargs, write, keys)
        finally:
            os._exit(1)
    os.close(write)
    try:
        data = _read_all(read, time.monotonic() + timeout)
    finally:
        os.close(read)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    if data is None:
        raise AssertionError(f"{name} did not return within {timeout:g} s")
    try:
        kind, value = _PlainUnpickler(io.BytesIO(data)).load()
    except Exception:
        raise AssertionError(f"{name} ended the process that checks it, or sent something else than plain data") from None
    if kind == "nagcore":
        raise AssertionError(f"{name} called nagcore ({value}): write it yourself")
    if kind == "raised":
        raise AssertionError(f"{name} raised {value}")
    if kind == "unsupported":
        raise AssertionError(f"{name} returned something that is not plain data: {value}")
    return value


def _run_copy(function, args, kwargs, fd, keys):
    """In the forked copy: fence the process, call the function, send the outcome, exit."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(devnull, std)
    os.closerange(3, fd)
    os.closerange(fd + 1, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    gc.disable()  # no finalizers of the parent's objects in the copy
    _refuse_new_tasks()

    def send(kind, value, _write=os.write, _dumps=pickle.dumps, _exit=os._exit):
        try:
            _write(fd, _dumps((kind, value)))
        finally:
            _exit(0)

    # The profiler and the audit hook use only what their defaults hold (which cannot be changed
    # in the copy) and builtin operations on exact builtin types, and never raise: a profiler that
    # raised would be removed.
    def profiler(frame, event, arg, _keys=keys, _package=str(PACKAGE) + os.sep, _self=SELF, _send=send,
                 _type=type, _str=str, _tuple=tuple, _bytes=bytes):
        if event != "call":
            return
        try:
            code = frame.f_code
            filename, names, bytecode = code.co_filename, code.co_names, code.co_code
            if _type(filename) is not _str or _type(names) is not _tuple or _type(bytecode) is not _bytes:
                _send("nagcore", "code made to hide where it comes from")
            for name in names:
                if _type(name) is not _str:
                    _send("nagcore", "code made to hide what it names")
            if filename == _self:
                return
            if filename.startswith(_package) or (bytecode, names) in _keys:
                _send("nagcore", f"{_str(code.co_qualname)} in {filename.rsplit(os.sep, 1)[-1]}")
        except BaseException:
            _send("nagcore", "the check was interfered with")

    def audit(event, audit_args, _refused=_REFUSED, _frozen=_FROZEN, _type=type, _str=str):
        if event.startswith(_refused) or (
            event in ("object.__setattr__", "object.__delattr__")
            and (_type(audit_args[1]) is not _str or audit_args[1] in _frozen)
        ):
            raise PermissionError(f"{event} is not allowed in a function checked for calls to nagcore")

    sys.setprofile(profiler)
    sys.addaudithook(audit)
    try:
        result = function(*args, **kwargs)
    except BaseException as error:  # everything the function raises is reported
        send("raised", f"{type(error).__name__}: {error}")
    try:
        send("returned", plain(result))
    except TypeError as error:
        send("unsupported", str(error))


def _refuse_new_tasks():
    """Make clone, fork, vfork and clone3 fail for good (seccomp), where Linux on x86-64 or arm64 allows.

    A thread escapes the profiler (it profiles the calling thread only), so the copy may start none.
    """
    arch = _NEW_TASKS.get(platform.machine())
    if arch is None or not sys.platform.startswith("linux"):
        return
    audit_arch, calls = arch
    allow, refuse = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    program = [(0x20, 0, 0, 4), (0x15, 1, 0, audit_arch), (0x06, 0, 0, allow),  # other ABI: allow
               (0x20, 0, 0, 0)]  # load the syscall number
    for call in calls:
        program += [(0x15, 0, 1, call), (0x06, 0, 0, refuse)]
    program.append((0x06, 0, 0, allow))
    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *op) for op in program))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(Program(len(program), ctypes.addressof(code))), 0, 0):
        raise OSError(ctypes.get_errno(), "seccomp filter refused")  # PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP


def plain(value):
    """A genuine copy of a submitted value: numbers, numpy arrays, and tuples, lists or dicts of them.

    Tests compare ``plain(answer)``, never the answer itself, so that a submitted object whose class
    overrides comparisons, ``__array_ufunc__`` or arithmetic cannot make an assertion pass. Numbers
    (numpy scalars included) become Python numbers, arrays become base-class ndarrays, a NamedTuple
    becomes a tuple; anything else raises TypeError.

    Example:
      >>> plain((np.float64(0.5), np.arange(2)))
      (0.5, array([0, 1]))
    """
    for kind in (bool, int, float, complex, str):
        if isinstance(value, kind):
            return kind(value)
    if value is None:
        return None
    if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype != object:
        array = np.array(value)  # a base-class copy of the data
        return array.item() if isinstance(value, np.generic) else array
    if isinstance(value, (tuple, list)):
        items = [plain(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    raise TypeError(f"a {type(value).__name__} is not a number or a numpy array")


class _PlainUnpickler(pickle.Unpickler):
    """Loads what ``plain`` makes and nothing else: no code runs while the result comes back."""

    ALLOWED = {("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("builtins", "complex")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
        return super().find_class(module, name)


def _read_all(fd, deadline):
    """Everything written to ``fd`` until it closes, or None if ``deadline`` passes first."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
