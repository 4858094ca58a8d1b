"""Grade a folder of submissions, each in its own sandbox, and write a CSV row by row.

Usage (from the repository root, after ``make assignments``; ``make grade`` runs it)::

    .venv/bin/python assignments/grade_folder.py \\
        _build/assignments/autograder/hw03_nesterov.zip SUBMISSIONS_DIR -o grades.csv

Every ``*.ipynb`` and ``*.zip`` file in SUBMISSIONS_DIR is graded by ``grade_in_sandbox.py``
(otter runs the notebook in a fresh kernel of this environment, then the public and hidden tests
of the autograder zip, unpacked read-only, score it) inside a bubblewrap sandbox (``sandbox.py``):
no network, a read-only view of the system and of this environment, and a private folder holding
only that submission and the autograder, with limits on time, memory, output and disk. Several
submissions are graded at once (``--jobs``).

Each row is written to the CSV as soon as it is known: ``file``, the points per question,
``total``, ``possible``, ``status`` and ``seconds``. ``status`` is ``graded``, or says why a
submission got zero points (time or output limit, a notebook that cannot be graded, a grader
ended from inside). Run the same command again after an interruption: rows already in the CSV
are kept and those submissions are skipped. Each submission's log is written to the folder
``<csv name>.logs``. Questions graded by hand (``manual: true``) are not in the autograder; add
their points to the CSV yourself.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import functools
import importlib.util
import json
import os
import pathlib
import signal
import sys
import tempfile
import threading
import zipfile

import sandbox

HERE = pathlib.Path(__file__).resolve().parent
STATUS_GRADED = "graded"


def possible_points(answer_key: pathlib.Path) -> dict[str, float]:
    """question -> points possible, from the test files of the unpacked autograder zip."""
    from otter.test_files.exception_test import ExceptionTestFile  # here so that --help is instant

    tests = [ExceptionTestFile.from_file(str(p)) for p in (answer_key / "tests").glob("*.py")]
    return {t.name: float(t.possible) for t in sorted(tests, key=lambda t: (len(t.name), t.name))}


@functools.cache
def environment() -> list[pathlib.Path]:
    """What the sandbox shows read-only: Python, this environment, nagcore and the grading script."""
    paths = {pathlib.Path(sys.base_prefix), pathlib.Path(sys.prefix), HERE / "grade_in_sandbox.py"}
    spec = importlib.util.find_spec("nagcore")
    if spec is None:
        raise SystemExit("nagcore is not installed in this environment (run `make book`)")
    paths.update(pathlib.Path(p) for p in spec.submodule_search_locations)  # editable install
    return sorted(p.resolve() for p in paths)


def grade_one(path: pathlib.Path, answer_key: pathlib.Path, points: dict[str, float],
              limits: sandbox.Limits, use_sandbox: bool) -> tuple[dict, str]:
    """Grade one submission; return its CSV row and its log."""
    name = f"submission/{path.name}"

    def program(result_fd: int, inputs: pathlib.Path) -> list[str]:
        return [sys.executable, str(HERE / "grade_in_sandbox.py"), str(inputs / name),
                str(inputs / "autograder"), "--result-fd", str(result_fd),
                "--output-limit", str(limits.output)]

    outcome = sandbox.run(program, read_only=environment(), limits=limits, sandbox=use_sandbox,
                          inputs={name: path.resolve(), "autograder": answer_key})
    status, scores = _verdict(outcome, limits, points)
    row = {"file": path.name, **scores, "total": sum(scores.values()), "possible": sum(points.values()),
           "status": status, "seconds": round(outcome.seconds, 1)}
    return row, outcome.log


def _verdict(outcome: sandbox.Outcome, limits: sandbox.Limits, points: dict[str, float]) -> tuple[str, dict]:
    """(``graded``, the scores), or (why the submission gets no points, zeros).

    The result comes from inside the sandbox, so it is checked: the questions of the answer key,
    each with a number of points between zero and what the question is worth.
    """
    zeros = dict.fromkeys(points, 0.0)
    if outcome.verdict == "time":
        return f"time limit: stopped after {limits.seconds:g} s", zeros
    if outcome.verdict == "output":
        return f"output limit: printed more than {limits.output >> 20} MiB", zeros
    try:
        result = json.loads(outcome.result)
    except ValueError:
        return f"no result: the grader was ended from inside (exit code {outcome.returncode})", zeros
    verdict = result.get("verdict") if isinstance(result, dict) else None
    if verdict in ("output", "error"):
        reason = {"output": "output limit", "error": "not graded"}[verdict]
        return _one_line(f"{reason}: {result.get('detail')}"), zeros
    scores = result.get("scores") if isinstance(result, dict) else None
    if (not isinstance(scores, dict) or set(scores) != set(points)
            or not all(type(scores[q]) in (int, float) and 0 <= scores[q] <= points[q] for q in points)):
        return _one_line(f"invalid result: {outcome.result}"), zeros
    return STATUS_GRADED, {q: float(scores[q]) for q in points}


def _one_line(text: str, limit: int = 300) -> str:
    return " ".join(text.split())[:limit]


class GradeSheet:
    """The CSV, written one complete row at a time; rows already there are kept (and skipped)."""

    def __init__(self, path: pathlib.Path, questions: list[str]):
        self.path, self.columns = path, ["file", *questions, "total", "possible", "status", "seconds"]
        self.done: dict[str, dict] = {}
        if path.exists() and path.stat().st_size:
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                if reader.fieldnames != self.columns:
                    raise SystemExit(f"{path} has the columns {reader.fieldnames}, not {self.columns}: "
                                     "it belongs to another assignment; remove it or choose another -o")
                self.done = {r["file"]: r for r in reader if r.get("seconds")}  # complete rows only
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", newline="") as f:  # rewrite without a row cut short by an interruption
            writer = csv.DictWriter(f, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(self.done.values())
        os.replace(tmp, path)

    def add(self, row: dict) -> None:
        with self._lock, open(self.path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=self.columns).writerow(row)
            f.flush()
            os.fsync(f.fileno())
            self.done[row["file"]] = row


def grade_all(args, answer_key: pathlib.Path, limits: sandbox.Limits) -> None:
    """Grade what the CSV does not have yet, then print the whole table."""
    paths = sorted(p for p in args.folder.iterdir() if p.suffix in (".ipynb", ".zip"))
    if not paths:
        raise SystemExit(f"no .ipynb or .zip submissions in {args.folder}")
    points = possible_points(answer_key)
    sheet = GradeSheet(args.output, list(points))
    logs = args.output.with_suffix(".logs")
    logs.mkdir(exist_ok=True)
    todo = [p for p in paths if p.name not in sheet.done]
    if len(todo) < len(paths):
        print(f"{len(paths) - len(todo)} submissions already in {args.output}: skipped")

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
    futures = [pool.submit(grade_one, p, answer_key, points, limits, not args.no_sandbox) for p in todo]
    try:
        for count, future in enumerate(concurrent.futures.as_completed(futures), 1):
            row, log = future.result()
            sheet.add(row)
            (logs / f"{row['file']}.log").write_text(log)
            print(f"[{count}/{len(todo)}] {row['file']}: {row['total']:g}/{row['possible']:g}, "
                  f"{row['status']} ({row['seconds']} s)", flush=True)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        sandbox.stop_all()
        raise SystemExit(f"interrupted: {args.output} has {len(sheet.done)} rows; "
                         "run the same command again to grade the rest")
    pool.shutdown()

    rows = sorted(sheet.done.values(), key=lambda r: r["file"])
    width = max(len(row["file"]) for row in rows)
    print(f"{'file':<{width}}  " + "  ".join(f"{q:>5}" for q in points) + "   total")
    for row in rows:
        cells = "  ".join(f"{float(row[q]):5g}" for q in points)
        note = "" if row["status"] == STATUS_GRADED else f"  {row['status']}"
        print(f"{row['file']:<{width}}  {cells}  {float(row['total']):g}/{float(row['possible']):g}{note}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("autograder", type=pathlib.Path, help="the autograder zip from make assignments")
    parser.add_argument("folder", type=pathlib.Path, help="a folder of .ipynb or .zip submissions")
    parser.add_argument("-o", "--output", type=pathlib.Path, default=pathlib.Path("grades.csv"),
                        help="CSV file to write (default: grades.csv); rows already in it are kept")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once (default: the number of CPUs)")
    parser.add_argument("--timeout", type=float, default=sandbox.Limits.seconds,
                        help="seconds per submission (default: %(default)g)")
    parser.add_argument("--memory", type=int, default=sandbox.Limits.memory >> 20,
                        help="MiB of address space per process (default: %(default)d)")
    parser.add_argument("--output-limit", type=int, default=sandbox.Limits.output >> 20,
                        help="MiB that a submission may print (default: %(default)d)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run submissions with your own permissions (trusted files only)")
    args = parser.parse_args(argv)
    if not args.autograder.is_file():
        parser.error(f"autograder zip not found: {args.autograder} (run `make assignments`)")
    if not args.folder.is_dir():
        parser.error(f"not a folder: {args.folder}")
    if not args.no_sandbox and not sandbox.available():
        parser.error("bwrap not found: install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), "
                     "or grade with Docker (see instructors.md)")
    limits = sandbox.Limits(seconds=args.timeout, memory=args.memory << 20, output=args.output_limit << 20)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops grading as Ctrl-C does

    with tempfile.TemporaryDirectory(prefix="answer-key-") as tmp:
        answer_key = pathlib.Path(tmp).resolve() / "autograder"
        with zipfile.ZipFile(args.autograder) as archive:
            archive.extractall(answer_key)
        grade_all(args, answer_key, limits)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
