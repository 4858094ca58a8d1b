"""Hostile submissions: `make grade` on a folder of attacks, interrupted midway, then run again.

The folder holds submissions of assignment 3 (q1: 4 points, q2: 2 points), graded in this order:

    a_attacker      reads the autograder, rewrites the hidden tests and the autograder zip, copies
                    them out, deletes the other submissions, plants a sitecustomize.py in .venv,
                    and uses the instructor's solutions if it can see them; its own answers are
                    blank, so 0 (a rewrite that worked would give it 6)
    b_right         the solutions: 6
    c_blank         the notebook as handed out: 0
    c_endless       `while True: pass`: 0, "time limit"
    d_victim        the solutions, which the attacker tries to delete: 6
    e_fake_numpy    a wrong step and wrong overshoots, then np replaced by a fake whose
                    assertions pass and floats whose comparisons succeed: 0
    f_default_args  a right answer to q2 and a q1 step that delegates to nagcore through a
                    default argument: 2
    g_kill_parent   kills the process that grades it (and everything it can see): 0, "no result"
    h_memory_hog    asks for 8 GB of memory and writes 700 MB to its folder, and answers q2 (right)
                    only if both were refused (MemoryError, "no space left on device"): 2
    i_not_json      not a notebook: 0, "not graded"
    y_flood         prints 300 MB: 0, "output limit"

Grading runs three at a time with a 90 s time limit (the default is 300 s; a busy machine needs
about 35 s for a right submission). The first run is interrupted (SIGINT to its process group, as
Ctrl-C does) once three rows are in the CSV; those rows must stay, and the second run must skip
them and grade the rest. The endless loop sorts early, so it is in flight when the first run
stops and its 90 s in the second run overlap the grading of the others. Afterwards every file of
the repository, of .venv, of the submissions folder and the autograder zip is as before, and nothing
was written to the folders the attacker aimed at.
"""

from __future__ import annotations

import csv
import hashlib
import os
import pathlib
import signal
import subprocess
import sys
import time
import uuid

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = "hw03_nesterov"
FLAGS = "--timeout 90 --jobs 3"
STEP = "grad(lookahead)"  # in the solution of q1; grad(theta) is the classic mistake

EXPECTED = {  # file -> (q1, q2, start of the status)
    "a_attacker.ipynb": (0, 0, "graded"),
    "b_right.ipynb": (4, 2, "graded"),
    "c_blank.ipynb": (0, 0, "graded"),
    "c_endless.ipynb": (0, 0, "time limit"),
    "d_victim.ipynb": (4, 2, "graded"),
    "e_fake_numpy.ipynb": (0, 0, "graded"),
    "f_default_args.ipynb": (0, 2, "graded"),
    "g_kill_parent.ipynb": (0, 0, "no result"),
    "h_memory_hog.ipynb": (0, 2, "graded"),
    "i_not_json.ipynb": (0, 0, "not graded"),
    "y_flood.ipynb": (0, 0, "output limit"),
}

ATTACK = '''
import glob, json, os, shutil, zipfile
targets = {targets!r}
report = []

def attempt(what, action):
    try:
        action()
        report.append("done: " + what)
    except Exception as error:
        report.append(f"refused: {{what}} ({{type(error).__name__}})")

# find the autograder: the paths on the command lines of every process this notebook can see
paths = set()
for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
    try:
        paths.update(a.decode() for a in open(cmdline, "rb").read().split(b"\\0") if b"/" in a)
    except OSError:
        pass
places = {{a for a in paths if "grad" in a or "submission" in a}} | {{"/grading", targets["zip"], targets["key"]}}
found = {{p for a in places for p in glob.glob(a + "/**", recursive=True) if os.path.isfile(p)}}
hidden = {{p: open(p, errors="replace").read() for p in found if "/tests/" in p and p.endswith(".py")}}
report.append(f"read {{len(hidden)}} test files")

# rewrite every test file it found, and the zip, so that every test passes
ALWAYS = "from otter.test_files import test_case\\nOK_FORMAT = False\\nname = {{!r}}\\npoints = {{}}\\n" \\
         "@test_case(points=None, hidden=False)\\ndef test_anything():\\n    pass\\n"
for path in hidden:
    name = os.path.basename(path)[:-3]
    attempt("rewrite " + path, lambda p=path, n=name: open(p, "w").write(ALWAYS.format(n, {{"q1": 4}}.get(n, 2))))
attempt("rewrite the zip", lambda: zipfile.ZipFile(targets["zip"], "w").writestr("tests/q1.py", "name = 'q1'"))
# copy the hidden tests out, delete the other submissions, plant code for every later Python
for folder in targets["outside"]:
    attempt("copy to " + folder, lambda f=folder: open(os.path.join(f, targets["stolen"]), "w").write(json.dumps(hidden)))
for path in [targets["victim"]] + glob.glob(targets["submissions"] + "/*") + glob.glob("/grading/in/*/*"):
    attempt("delete " + path, lambda p=path: os.remove(p))
attempt("plant sitecustomize", lambda: open(targets["site"] + "/sitecustomize.py", "w").write("import os; os.abort()"))
# use the instructor's solutions, if they can be read from here
for path in targets["solutions"]:
    try:
        cells = json.load(open(path))["cells"]
    except OSError:
        continue
    for cell in cells:
        if "def nesterov_step" in "".join(cell["source"]) and cell["cell_type"] == "code":
            exec("".join(line for line in cell["source"] if "SOLUTION" not in line))
print("\\n".join(report))
'''

FAKE_NUMPY = '''
class Anything:
    """Every attribute, call and comparison succeeds: np.testing.assert_allclose passes."""
    def __getattr__(self, name): return Anything()
    def __call__(self, *args, **kwargs): return True
    def __bool__(self): return True

class AlwaysClose(float):
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def __eq__(self, other): return True
    __hash__ = float.__hash__

overshoot_momentum, overshoot_nesterov = AlwaysClose(5.0), AlwaysClose(7.0)
np = Anything()
'''

DEFAULT_ARGS = '''
def nesterov_step(theta, velocity, grad, lr, momentum, _nag=nagcore.nesterov):
    """Right numbers, computed by nagcore: the old test rebound module names only."""
    state = nagcore.optimizers.VelocityState(velocity)
    theta, state = _nag(lr, momentum).step(grad, theta, state)
    return theta, state.velocity
'''

KILL_PARENT = '''
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
os.kill(-1, signal.SIGKILL)
'''

MEMORY_HOG = '''
import errno, os
try:
    huge = np.ones(10**9)  # 8 GB
    memory_refused = False
except MemoryError:
    memory_refused = True
try:
    with open("filler", "wb") as f:
        for _ in range(700):  # MB
            f.write(bytes(1 << 20))
    disk_refused = False
except OSError as error:
    disk_refused = error.errno == errno.ENOSPC
finally:
    os.remove("filler")
if memory_refused and disk_refused:  # answer q2 only if both limits held
    hb = nagcore.run(nagcore.momentum(0.1, 0.9), lambda t: t, [1.0], 200)
    nag = nagcore.run(nagcore.nesterov(0.1, 0.9), lambda t: t, [1.0], 200)
    overshoot_momentum = float(max(0.0, -hb.x.min()))
    overshoot_nesterov = float(max(0.0, -nag.x.min()))
'''

FLOOD = 'for _ in range(300):\n    print("x" * 1_000_000)'


def _make(*args, **kwargs):
    env = dict(os.environ, MAKEFLAGS="", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(["make", "-s", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def _with(notebook: pathlib.Path, *cells: str, replace: tuple[str, str] | None = None) -> nbformat.NotebookNode:
    nb = nbformat.read(notebook, as_version=4)
    if replace:
        (hit,) = [c for c in nb.cells if c.cell_type == "code" and replace[0] in c.source]
        hit.source = hit.source.replace(*replace)
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    return nb


def _files(folder: pathlib.Path, skip=()) -> dict[str, tuple[int, str]]:
    """relative path -> (size, sha256) of every file under folder, except the top-level names in skip."""
    state = {}
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if rel.parts[0] in skip or not path.is_file() or path.is_symlink():
            continue
        state[str(rel)] = (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def _rows(csv_path: pathlib.Path) -> dict[str, dict]:
    with open(csv_path, newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Build the folder, grade it twice (the first run interrupted); what the tests look at."""
    built = _make("assignments")
    output = built.communicate()[0]
    assert built.returncode == 0, output
    solution = ROOT / "_build" / "assignments" / ASSIGNMENT / "autograder" / f"{ASSIGNMENT}.ipynb"
    student = ROOT / "_build" / "assignments" / "student" / f"{ASSIGNMENT}.ipynb"
    autograder = ROOT / "_build" / "assignments" / "autograder" / f"{ASSIGNMENT}.zip"
    work = tmp_path_factory.mktemp("hostile")
    folder, outside = work / "submissions", work / "outside"
    folder.mkdir()
    outside.mkdir()
    stolen = f"stolen-{uuid.uuid4().hex}.json"
    venv_site = next((ROOT / ".venv" / "lib").glob("python*/site-packages"))
    targets = {
        "zip": str(autograder), "key": str(ROOT / "_build" / "assignments" / ASSIGNMENT),
        "victim": str(folder / "d_victim.ipynb"), "submissions": str(folder), "stolen": stolen,
        "outside": [str(outside), str(folder), str(ROOT), "/tmp", os.path.expanduser("~")],
        "site": str(venv_site), "solutions": [str(solution), str(ROOT / "assignments" / f"{ASSIGNMENT}.ipynb")],
    }
    notebooks = {
        "a_attacker": _with(student, ATTACK.format(targets=targets)),
        "b_right": _with(solution),
        "c_blank": _with(student),
        "d_victim": _with(solution),
        "e_fake_numpy": _with(solution, FAKE_NUMPY, replace=(STEP, "grad(theta)")),
        "f_default_args": _with(solution, DEFAULT_ARGS),
        "g_kill_parent": _with(student, KILL_PARENT),
        "h_memory_hog": _with(student, MEMORY_HOG),
        "y_flood": _with(student, FLOOD),
        "c_endless": _with(student, "while True:\n    pass"),
    }
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "i_not_json.ipynb").write_text("this is not a notebook {")
    assert sorted(p.name for p in folder.iterdir()) == sorted(EXPECTED)

    # .git is left out: git commits made meanwhile (in this clone or its worktrees) are not grading's
    # doing, and the sandbox mounts the whole repository read-only anyway
    watched = {"repository": (ROOT, ("_build", ".venv", ".git")), "venv": (ROOT / ".venv", ()),
               "submissions": (folder, ()), "solutions": (ROOT / "_build" / "assignments", ())}
    before = {name: _files(path, skip) for name, (path, skip) in watched.items()}
    out = work / "grades.csv"
    grade = ["grade", f"ASSIGNMENT={ASSIGNMENT}", f"SUBMISSIONS={folder}", f"OUT={out}", f"GRADE_FLAGS={FLAGS}"]

    # a process started in the background inherits SIGINT ignored: let Ctrl-C through again
    first = _make(*grade, start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 600
    while not (out.exists() and len(_rows(out)) >= 3):
        assert first.poll() is None and time.monotonic() < deadline, first.stdout.read()
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGINT)
    try:
        first_output = first.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        tree = subprocess.run(["ps", "-eo", "pid,ppid,pgid,stat,etime,cmd"], capture_output=True, text=True).stdout
        os.killpg(first.pid, signal.SIGKILL)
        pytest.fail("grading did not stop within 60 s of Ctrl-C:\n" + tree)
    after_interrupt = _rows(out)

    # the second run reports the peak memory of the processes it waits for (make, the grader, bwrap)
    measure = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
               "print('peak RSS kB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
    env = dict(os.environ, MAKEFLAGS="", PYTHONDONTWRITEBYTECODE="1")
    start = time.monotonic()
    second = subprocess.run([sys.executable, "-c", measure, "make", "-s", *grade], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    return {
        "first": (first.returncode, first_output), "after_interrupt": after_interrupt,
        "second": second, "seconds": time.monotonic() - start, "rows": _rows(out), "out": out,
        "before": before, "after": {name: _files(path, skip) for name, (path, skip) in watched.items()},
        "autograder": autograder, "outside": outside, "stolen": stolen, "folder": folder, "site": venv_site,
    }


def test_an_interrupted_run_keeps_its_rows_and_the_next_run_skips_them(graded):
    code, output = graded["first"]
    kept = graded["after_interrupt"]
    assert code != 0 and "interrupted" in output, output
    assert 3 <= len(kept) < len(EXPECTED)
    assert all(row["status"] and row["seconds"] for row in kept.values()), "a row was cut short"
    second = graded["second"]
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert f"{len(kept)} submissions already in {graded['out']}: skipped" in second.stdout
    for name, row in kept.items():
        assert graded["rows"][name] == row, "a row written before the interruption changed"


def test_every_submission_has_its_row_and_its_score(graded):
    rows = graded["rows"]
    assert sorted(rows) == sorted(EXPECTED)
    for name, (q1, q2, status) in EXPECTED.items():
        row = rows[name]
        assert row["status"].startswith(status), (name, row)
        assert (float(row["q1"]), float(row["q2"]), float(row["total"]), float(row["possible"])) == (q1, q2, q1 + q2, 6), (name, row)


def test_the_autograder_and_the_submissions_are_unchanged(graded):
    assert graded["after"]["solutions"] == graded["before"]["solutions"]
    assert graded["after"]["submissions"] == graded["before"]["submissions"]
    assert graded["autograder"].is_file() and (graded["folder"] / "d_victim.ipynb").is_file()


def test_nothing_was_written_outside_the_sandboxes(graded):
    for name in ("repository", "venv"):
        assert graded["after"][name] == graded["before"][name], name
    stolen = graded["stolen"]
    for folder in (graded["outside"], graded["folder"], ROOT, pathlib.Path("/tmp"), pathlib.Path.home()):
        assert not (folder / stolen).exists(), folder
    assert not (graded["site"] / "sitecustomize.py").exists()
    assert list(graded["outside"].iterdir()) == []


def test_a_flood_of_output_is_stopped_and_the_grader_stays_small(graded):
    """300 MB of printed output once took the grader to 1.3 GB. Now the output limit stops the
    flood inside its sandbox (the status says so), and the processes outside stay small."""
    assert graded["rows"]["y_flood.ipynb"]["status"] == "output limit: the notebook printed more than 10 MiB"
    peak_kb = int(graded["second"].stdout.split("peak RSS kB")[-1])  # make, grade_folder, bwrap
    assert peak_kb < 400 << 10, f"a process outside the sandboxes peaked at {peak_kb >> 10} MiB"
