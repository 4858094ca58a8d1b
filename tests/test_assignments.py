"""The course assignments, end to end: otter assign, grading, leaks, and the instructor demo.

Each assignment in assignments/ is built once per session with ``otter assign`` (which also runs
the solutions against every public and hidden test and fails if one does not pass). Then the
solutions, the blank student notebook and realistic wrong answers are graded without Docker by
the guide's own command (assignments/grade_folder.py: each submission in its own sandbox), one
folder per assignment, two at a time; one more submission goes through ``otter run``. Wrong
answers are made from the solutions notebook by replacing one piece of solution code, so each
one shows that the tests catch that mistake and only it. Hostile submissions are in
test_grading_sandbox.py.
"""

from __future__ import annotations

import concurrent.futures
import csv
import html as htmllib
import inspect
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
MASTERS = sorted((ROOT / "assignments").glob("hw*.ipynb"))
NAMES = [p.stem for p in MASTERS]

# name -> {question: points} for the autograded questions (manual ones are graded by hand)
POINTS = {
    "hw01_gradient_descent": {"q1": 3, "q2": 2},
    "hw02_momentum": {"q1": 3, "q2": 2},
    "hw03_nesterov": {"q1": 4, "q2": 2},
    "hw04_rates": {"q1": 3, "q2": 3, "q3": 2},
    "hw06_nag_in_practice": {"q1": 4, "q2": 2, "q3": 4},
}

# (assignment, question, mistake, solution code, wrong code, points the question keeps).
# Code questions are all-or-nothing, so a wrong step keeps 0 points. A numeric question gives
# points per test; a wrong part fails its public and its hidden test.
WRONG = [
    ("hw01_gradient_descent", "q1", "sign error: steps uphill",
     "return theta - lr * grad(theta)", "return theta + lr * grad(theta)", 0),
    ("hw01_gradient_descent", "q1", "changes theta in place (only hidden tests see it)",
     "return theta - lr * grad(theta)", "theta -= lr * grad(theta)\n    return theta", 0),
    ("hw01_gradient_descent", "q1", "calls nagcore instead of implementing the step",
     "return theta - lr * grad(theta)",
     "return nagcore.gradient_descent(lr).step(grad, theta, ())[0]", 0),
    ("hw01_gradient_descent", "q1", "delegates to nagcore through importlib",
     "return theta - lr * grad(theta)",
     "opt = __import__('importlib').import_module('nagcore').gradient_descent(lr)\n"
     "    return opt.step(grad, theta, opt.init(theta))[0]", 0),
    ("hw01_gradient_descent", "q2", "largest diagonal entry instead of largest eigenvalue",
     "2 / np.linalg.eigvalsh(A).max()", "2 / A.max()", 0),
    ("hw02_momentum", "q1", "momentum applied twice",
     "theta = theta - velocity", "theta = theta - momentum * velocity - velocity", 0),
    ("hw02_momentum", "q1", "gradient at the look-ahead point (that is Nesterov)",
     "lr * grad(theta)", "lr * grad(theta - momentum * velocity)", 0),
    ("hw02_momentum", "q1", "PyTorch's buffer mixed with this book's velocity",
     "velocity = momentum * velocity + lr * grad(theta)\n    theta = theta - velocity",
     "velocity = momentum * velocity + grad(theta)\n    theta = theta - lr * velocity", 0),
    ("hw02_momentum", "q1", "delegates to nagcore through a default argument",
     "def heavy_ball_step(theta, velocity, grad, lr, momentum):\n",
     "def heavy_ball_step(theta, velocity, grad, lr, momentum, _hb=nagcore.momentum):\n"
     "    state = nagcore.optimizers.VelocityState(velocity)\n"
     "    theta, state = _hb(lr, momentum).step(grad, theta, state)\n"
     "    return theta, state.velocity\n\n\n"
     "def unused(theta, velocity, grad, lr, momentum):\n", 0),
    ("hw02_momentum", "q2", "one gradient step instead of the terminal step",
     "terminal_step = lr * slope / (1 - momentum)", "terminal_step = lr * slope", 1),
    ("hw03_nesterov", "q1", "gradient at theta instead of the look-ahead point",
     "grad(lookahead)", "grad(theta)", 0),
    ("hw03_nesterov", "q1", "look-ahead in the wrong direction",
     "lookahead = theta - momentum * velocity", "lookahead = theta + momentum * velocity", 0),
    ("hw03_nesterov", "q1", "calls nagcore instead of implementing the step",
     "    lookahead = theta - momentum * velocity\n"
     "    velocity = momentum * velocity + lr * grad(lookahead)\n"
     "    theta = theta - velocity\n",
     "    opt = nagcore.nesterov(lr, momentum)\n"
     "    theta, state = opt.step(grad, theta, nagcore.optimizers.VelocityState(velocity))\n"
     "    velocity = state.velocity\n", 0),
    ("hw03_nesterov", "q1", "delegates to nagcore through a closure",
     "def nesterov_step(theta, velocity, grad, lr, momentum):\n",
     "def make_step(nag=nagcore.nesterov):\n"
     "    def step(theta, velocity, grad, lr, momentum):\n"
     "        state = nagcore.optimizers.VelocityState(velocity)\n"
     "        theta, state = nag(lr, momentum).step(grad, theta, state)\n"
     "        return theta, state.velocity\n"
     "    return step\n\n\n"
     "nesterov_step = make_step()\n\n\n"
     "def unused(theta, velocity, grad, lr, momentum):\n", 0),
    ("hw03_nesterov", "q2", "largest distance from the minimum instead of the overshoot",
     "float(max(0.0, -nag.x.min()))", "float(np.abs(nag.x).max())", 0),
    ("hw04_rates", "q1", "heavy ball's momentum taken for its rate",
     "rate_hb = (root - 1) / (root + 1)", "rate_hb = ((root - 1) / (root + 1)) ** 2", 2),
    ("hw04_rates", "q2", "step count rounded down",
     "steps_hb = steps_for(rate_hb)", "steps_hb = int(np.log(1e-6) / np.log(rate_hb))", 2),
    ("hw04_rates", "q3", "growth factor upside down",
     "growth_nag = nag_big / steps_nag", "growth_nag = steps_nag / nag_big", 0),
    ("hw06_nag_in_practice", "q1", "the old buffer in the look-ahead step",
     "buf = momentum * buf + g\n    params = params - lr * (g + momentum * buf)",
     "params = params - lr * (g + momentum * buf)\n    buf = momentum * buf + g", 0),
    ("hw06_nag_in_practice", "q1", "heavy ball's step on the stored parameters",
     "params = params - lr * (g + momentum * buf)", "params = params - lr * buf", 0),
    ("hw06_nag_in_practice", "q1", "learning rate inside the buffer (Keras's velocity)",
     "buf = momentum * buf + g", "buf = momentum * buf + lr * g", 0),
    ("hw06_nag_in_practice", "q1", "calls nagcore instead of implementing the step",
     "    g = grad(params)\n    buf = momentum * buf + g\n    params = params - lr * (g + momentum * buf)\n",
     "    theta, v = params + momentum * lr * buf, lr * buf\n"
     "    opt = nagcore.nesterov(lr, momentum)\n"
     "    theta, state = opt.step(grad, theta, nagcore.optimizers.VelocityState(v))\n"
     "    params, buf = theta - momentum * state.velocity, state.velocity / lr\n", 0),
    ("hw06_nag_in_practice", "q2", "kept the learning rate when raising the momentum",
     "lr_099 = effective * (1 - 0.99)", "lr_099 = 0.1", 1),
    ("hw06_nag_in_practice", "q3", "no bias correction",
     "m_hat = m / (1 - b1**t)\n    s_hat = s / (1 - b2**t)", "m_hat = m\n    s_hat = s", 0),
    ("hw06_nag_in_practice", "q3", "epsilon inside the square root",
     "np.sqrt(s_hat) + eps", "np.sqrt(s_hat + eps)", 0),
    ("hw06_nag_in_practice", "q3", "calls nagcore instead of implementing the step",
     "    g = grad(theta)\n    m = b1 * m + (1 - b1) * g\n",
     "    opt = nagcore.adam(lr, b1, b2, eps)\n"
     "    theta, st = opt.step(grad, theta, nagcore.adaptive.AdamState(t - 1, m, s))\n"
     "    return theta, st.mu, st.nu\n"
     "    g = grad(theta)\n    m = b1 * m + (1 - b1) * g\n", 0),
]


def test_every_assignment_is_covered():
    assert NAMES == sorted(POINTS), "add the new assignment to POINTS and WRONG"
    assert {w[0] for w in WRONG} == set(NAMES)
    for name in NAMES:
        # every autograded question has at least one realistic wrong answer
        assert {w[1] for w in WRONG if w[0] == name} == set(POINTS[name]), name


def _run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """``otter assign`` every assignment, two at a time; name -> output folder."""
    out = tmp_path_factory.mktemp("assignments")

    def assign(name):
        result = _run([BIN / "otter", "assign", "-v", ROOT / "assignments" / f"{name}.ipynb", out / name])
        return name, result

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(assign, NAMES))
    return {name: (out / name, results[name]) for name in NAMES}


def _student(built, name):
    return built[name][0] / "student" / f"{name}.ipynb"


def _solution(built, name):
    return built[name][0] / "autograder" / f"{name}.ipynb"


def _autograder_zip(built, name):
    (zip_path,) = (built[name][0] / "autograder").glob(f"{name}-autograder_*.zip")
    return zip_path


def _make_wrong(built, name, right, wrong, path):
    nb = nbformat.read(_solution(built, name), as_version=4)
    hits = [c for c in nb.cells if c.cell_type == "code" and right in c.source]
    assert len(hits) == 1, f"{right!r} must appear in exactly one cell of {name}"
    assert hits[0].source.count(right) == 1
    hits[0].source = hits[0].source.replace(right, wrong)
    nbformat.write(nb, path)


@pytest.fixture(scope="session")
def wrong_notebooks(built, tmp_path_factory):
    """index in WRONG -> path of the solutions notebook with that one mistake."""
    work = tmp_path_factory.mktemp("wrong")
    paths = {}
    for i, (name, question, mistake, right, wrong, _) in enumerate(WRONG):
        if built[name][1].returncode == 0:
            paths[i] = work / f"wrong{i:02d}" / f"{name}.ipynb"
            paths[i].parent.mkdir()
            _make_wrong(built, name, right, wrong, paths[i])
    return paths


@pytest.fixture(scope="session")
def graded(built, wrong_notebooks, tmp_path_factory):
    """Grade solutions, blanks and wrong answers; key -> {question: score}.

    Each assignment's submissions go into one folder, graded by the guide's own command
    (assignments/grade_folder.py, i.e. otter.api.grade_submission, no Docker); two
    assignments at a time.
    """
    work = tmp_path_factory.mktemp("submissions")
    keys = {}  # (name, file name) -> key
    for name in NAMES:
        if built[name][1].returncode != 0:
            continue
        folder = work / name
        folder.mkdir()
        shutil.copy(_solution(built, name), folder / "solution.ipynb")
        shutil.copy(_student(built, name), folder / "blank.ipynb")
        keys[name, "solution.ipynb"] = ("solution", name)
        keys[name, "blank.ipynb"] = ("blank", name)
    # a notebook of another assignment in the folder is reported, not graded
    if ("hw03_nesterov", "blank.ipynb") in keys and NAMES[0] != "hw03_nesterov":
        shutil.copy(_student(built, NAMES[0]), work / "hw03_nesterov" / "other.ipynb")
        keys["hw03_nesterov", "other.ipynb"] = ("other", "hw03_nesterov")
    for i, path in wrong_notebooks.items():
        name = WRONG[i][0]
        shutil.copy(path, work / name / f"wrong{i:02d}.ipynb")
        keys[name, f"wrong{i:02d}.ipynb"] = ("wrong", i)

    def grade(name):
        csv_path = work / f"{name}.csv"
        result = _run([sys.executable, ROOT / "assignments" / "grade_folder.py",
                       _autograder_zip(built, name), work / name, "-o", csv_path])
        if result.returncode != 0:
            return {key: result.stdout + result.stderr for (n, _), key in keys.items() if n == name}
        graded = {}
        with open(csv_path) as f:
            for row in csv.DictReader(f):
                if row["status"] != "graded":
                    graded[keys[name, row["file"]]] = row["status"]
                    continue
                scores = {q: float(row[q]) for q in row if q.startswith("q") and row[q]}
                graded[keys[name, row["file"]]] = scores
        return graded

    names = sorted({name for name, _ in keys})
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return {k: v for part in pool.map(grade, names) for k, v in part.items()}


def test_otter_run_grades_one_submission_as_the_guide_says(built, tmp_path):
    """`otter run -a ZIP -o DIR NOTEBOOK` (DIR must exist) writes results.json."""
    out = tmp_path / "results"
    out.mkdir()
    name = NAMES[0]
    result = _run([BIN / "otter", "run", "--no-logo", "-a", _autograder_zip(built, name),
                   "-o", out, _solution(built, name)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Total Score: 5.000 / 5.000" in result.stdout
    tests = json.loads((out / "results.json").read_text())["tests"]
    assert {t["name"]: t["score"] for t in tests if "score" in t} == POINTS[name]


def _scores(graded, key):
    assert key in graded, f"{key} was not graded (did otter assign fail?)"
    scores = graded[key]
    assert isinstance(scores, dict), f"otter run failed:\n{scores}"
    return scores


@pytest.mark.parametrize("name", NAMES)
def test_otter_assign_succeeds_and_solutions_pass_every_test(built, name):
    folder, result = built[name]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All autograder tests passed" in result.stdout + result.stderr
    assert _student(built, name).is_file() and _autograder_zip(built, name).is_file()


@pytest.mark.parametrize("name", NAMES)
def test_solutions_get_full_marks(graded, name):
    assert _scores(graded, ("solution", name)) == pytest.approx(POINTS[name])


@pytest.mark.parametrize("name", NAMES)
def test_blank_notebook_grades_to_zero(graded, name):
    assert _scores(graded, ("blank", name)) == {q: 0 for q in POINTS[name]}


@pytest.mark.parametrize("i", range(len(WRONG)), ids=[f"{w[0]}-{w[1]}-{w[2]}" for w in WRONG])
def test_wrong_answer_loses_exactly_its_questions_points(graded, i):
    name, question, mistake, _, _, kept = WRONG[i]
    expected = dict(POINTS[name], **{question: kept})
    assert kept < POINTS[name][question]
    assert _scores(graded, ("wrong", i)) == pytest.approx(expected), mistake


# Mistakes that only the hidden tests catch, by design; the public tests catch all the others.
HIDDEN_ONLY = {"changes theta in place (only hidden tests see it)",
               "calls nagcore instead of implementing the step",
               "delegates to nagcore through importlib",
               "delegates to nagcore through a default argument",
               "delegates to nagcore through a closure"}


def _public_tests_pass(student: pathlib.Path, submission: pathlib.Path, question: str) -> bool:
    """Run a question's public tests (as shipped in the student notebook) on a submission.

    A small stand-in for ``grader.check``: execute the submission's code cells in one namespace,
    then call each public test function with the names it asks for.
    """
    tests = json.loads(student.read_text())["metadata"]["otter"]["tests"][question]
    namespace = {}
    for cell in nbformat.read(submission, as_version=4).cells:
        if cell.cell_type == "code" and "otter" not in cell.source and "grader." not in cell.source:
            exec(cell.source, namespace)
    test_namespace = {}
    # drop otter's decorator and its import: the test functions run as plain functions
    exec(re.sub(r"^(@test_case\(.*\)|from otter\..*)$", "", tests, flags=re.M), test_namespace)
    functions = [f for k, f in test_namespace.items() if k.startswith("test_") and inspect.isfunction(f)]
    assert functions, f"no public tests for {question}"
    for function in functions:
        args = [namespace[a] for a in inspect.signature(function).parameters]
        try:
            function(*args)
        except Exception:
            return False
    return True


@pytest.mark.parametrize("i", range(len(WRONG)), ids=[f"{w[0]}-{w[1]}-{w[2]}" for w in WRONG])
def test_public_tests_alone_catch_the_common_mistakes(built, wrong_notebooks, i):
    name, question, mistake = WRONG[i][:3]
    assert _public_tests_pass(_student(built, name), _solution(built, name), question)
    caught = not _public_tests_pass(_student(built, name), wrong_notebooks[i], question)
    assert caught == (mistake not in HIDDEN_ONLY), mistake


def test_a_notebook_of_another_assignment_is_reported_not_graded(graded):
    error = graded[("other", "hw03_nesterov")]
    assert isinstance(error, str) and "hw01_gradient_descent" in error and "hw03_nesterov" in error


def test_blank_student_notebooks_run_under_nbval(built, tmp_path):
    """Students run the notebook top to bottom before writing anything: nothing may crash."""
    notebooks = [_student(built, name) for name in NAMES]
    result = _run([sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider",
                   "-o", "addopts=", "-q", "--rootdir", tmp_path, *notebooks], cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", result.stdout) and "failed" not in result.stdout


def _solution_and_hidden_text(master: pathlib.Path) -> list[str]:
    """Lines that only the instructor may see: solution code and answers, and hidden tests."""
    nb = nbformat.read(master, as_version=4)
    secret, public = [], []
    in_solution = in_tests = False
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "raw":
            first = src.strip().splitlines()[0].strip()
            in_solution = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(first, in_solution)
            in_tests = {"# BEGIN TESTS": True, "# END TESTS": False}.get(first, in_tests)
            continue
        if in_tests and src.startswith("# HIDDEN"):
            secret += [line for line in src.splitlines()[1:]]
            continue
        if in_tests:
            public += src.splitlines()
            continue
        in_block = False
        for line in src.splitlines():
            stripped = line.strip()
            if stripped.startswith("# BEGIN SOLUTION"):
                in_block = True
            elif stripped == "# END SOLUTION":
                in_block = False
            elif in_block or stripped.endswith("# SOLUTION") or stripped.endswith("# SOLUTION NO PROMPT"):
                secret.append(line)
            elif in_solution and cell.cell_type == "markdown":
                secret.append(line)
            else:
                public.append(line)
    public_text = "\n".join(public)
    secret = {re.sub(r"#\s*SOLUTION.*$", "", line).strip() for line in secret}
    # keep distinctive lines only: not blank, not bare syntax, not an import (which gives nothing
    # away, and which the instructor guide shows), not also in the public part
    return sorted(s for s in secret if len(s) > 12 and not s.startswith(("import ", "from "))
                  and s not in public_text)


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_holds_no_solution_and_no_hidden_test(built, name):
    secret = _solution_and_hidden_text(ROOT / "assignments" / f"{name}.ipynb")
    assert len(secret) > 5, "the leak check found too little to look for"
    text = _student(built, name).read_text()
    nb = json.loads(text)
    sources = "\n".join("".join(c["source"]) for c in nb["cells"])
    public_tests = "\n".join(nb["metadata"]["otter"]["tests"].values())
    for line in secret:
        assert line not in sources and line not in public_tests, f"leaked into {name}: {line!r}"
    for marker in ("# SOLUTION", "BEGIN SOLUTION", "# HIDDEN", "hidden=True", "Model answer"):
        assert marker not in text, f"{marker!r} in the student notebook {name}"


def test_grade_demo_prints_the_expected_scores():
    """`make grade-demo` does what the instructor guide says and prints right/blank/wrong."""
    env = dict(os.environ, MAKEFLAGS="")
    result = _run(["make", "-s", "grade-demo"], cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = {m[0]: m[1:] for m in re.findall(r"^(\w+)\.ipynb\s+(\S+)\s+(\S+)\s+(\S+)$", result.stdout, re.M)}
    assert rows == {"blank": ("0", "0", "0/6"), "right": ("4", "2", "6/6"), "wrong": ("0", "2", "2/6")}, result.stdout
    csv_text = (ROOT / "_build" / "grade-demo" / "grades.csv").read_text().splitlines()
    assert csv_text[0] == "file,q1,q2,total,possible,status,seconds"
    # the guide shows the command that make grade-demo runs, and the table it prints
    guide = (ROOT / "instructors.md").read_text()
    assert "make grade-demo" in guide
    shown = re.search(r"It prints:\n\n```text\n(.*?)```", guide, re.S).group(1).splitlines()
    printed = [line for line in result.stdout.splitlines() if line.startswith(("file ", "blank", "right", "wrong"))]
    assert shown == printed, "update the table in instructors.md"
    command = "make grade ASSIGNMENT=hw03_nesterov SUBMISSIONS="
    assert command in guide
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("grade-demo:"):].split("\n\n")[0]
    assert command.removeprefix("make ") in recipe, "make grade-demo runs the command the guide shows"


def test_built_site_holds_no_solution_and_no_hidden_test(built):
    """The site offers the student notebooks only: no solutions, hidden tests or autograder."""
    html = ROOT / "_build" / "html"
    if not html.is_dir():
        pytest.fail("_build/html is missing: run `make book` (make test does) before this test")
    offered = {p.name: p for p in html.rglob("hw*.ipynb")}
    assert set(offered) == {f"{name}.ipynb" for name in NAMES}, "every student notebook is offered"
    for name in NAMES:
        handed_out = ROOT / "_build" / "assignments" / "student" / f"{name}.ipynb"
        assert offered[f"{name}.ipynb"].read_bytes() == handed_out.read_bytes()
        assert _student_equivalent(handed_out, _student(built, name))
    assert not list(html.rglob("*autograder*")), "an autograder file is on the site"
    assert not (html / "assignments").exists() and not (html / "_sources" / "assignments").exists()
    # Every solution line, hidden test line and model answer is looked for in every page (as
    # text, without the tags that syntax highlighting adds). A chapter may teach the same update
    # line as a solution, so lines that a chapter itself contains are not counted as leaks.
    secrets = {line for name in NAMES for line in _solution_and_hidden_text(ROOT / "assignments" / f"{name}.ipynb")}
    chapters = "\n".join(p.read_text() for p in ROOT.glob("chapters/*.ipynb"))
    chapters_text = "\n".join(
        "".join(c["source"]) for p in ROOT.glob("chapters/*.ipynb") for c in json.loads(p.read_text())["cells"]
    )
    needles = {s for s in secrets if s not in chapters_text and s not in chapters}
    assert len([s for s in needles if s.startswith("def test_")]) > 10, "hidden tests not found"
    assert any("Model answer" in s for s in needles)
    for path in html.rglob("*"):
        if path.suffix not in (".html", ".ipynb", ".txt", ".js", ".json", ".md", ".py"):
            continue
        text = path.read_text(errors="ignore")
        if path.suffix == ".html":
            text = htmllib.unescape(re.sub(r"<[^>]+>", "", text))
        for needle in needles:
            assert needle not in text, f"{needle!r} in {path.relative_to(html)}"


def _student_equivalent(a: pathlib.Path, b: pathlib.Path) -> bool:
    """Two builds of the same student notebook have the same cells (ids aside)."""
    def cells(path):
        nb = json.loads(path.read_text())
        return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]], nb["metadata"]["otter"]
    return cells(a) == cells(b)
