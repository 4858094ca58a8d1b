"""Grade a folder of submissions with otter-grader, without Docker, and write a CSV.

Usage (from the repository root, after ``make assignments``)::

    .venv/bin/python assignments/grade_folder.py \\
        _build/assignments/autograder/hw03_nesterov.zip SUBMISSIONS_DIR -o grades.csv

Every ``*.ipynb`` and ``*.zip`` file in SUBMISSIONS_DIR is graded with
``otter.api.grade_submission``, which runs the submission in a fresh kernel of the current
environment (this one has numpy and nagcore) and then the public and hidden tests from the
autograder zip. The script prints one line per submission and writes the points per question
to the CSV. A submission that cannot be graded (for example a notebook of another assignment)
gets an ``error`` column instead of scores. Questions graded by hand (``manual: true``) are not in the autograder; add their
points to the CSV yourself.
"""

from __future__ import annotations

import argparse
import csv
import pathlib
import sys


def grade_folder(autograder: pathlib.Path, folder: pathlib.Path) -> list[dict]:
    """Grade every submission in ``folder``; one dict of scores per submission, sorted by name."""
    from otter.api import grade_submission  # imported here so that --help is instant

    paths = sorted(p for p in folder.iterdir() if p.suffix in (".ipynb", ".zip"))
    if not paths:
        raise SystemExit(f"no .ipynb or .zip submissions in {folder}")
    rows = []
    for path in paths:
        row = {"file": path.name}
        try:
            results = grade_submission(str(path), str(autograder), quiet=True)
        except Exception as error:  # e.g. a notebook of another assignment: report, go on
            row["error"] = f"{type(error).__name__}: {error}"
            rows.append(row)
            continue
        for name in sorted(results.test_files):
            row[name] = float(results.get_score(name))
        row["total"] = float(results.total)
        row["possible"] = float(results.possible)
        rows.append(row)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("autograder", type=pathlib.Path, help="the autograder zip from make assignments")
    parser.add_argument("folder", type=pathlib.Path, help="a folder of .ipynb or .zip submissions")
    parser.add_argument("-o", "--output", type=pathlib.Path, default=pathlib.Path("grades.csv"),
                        help="CSV file to write (default: grades.csv)")
    args = parser.parse_args(argv)
    if not args.autograder.is_file():
        parser.error(f"autograder zip not found: {args.autograder} (run `make assignments`)")
    if not args.folder.is_dir():
        parser.error(f"not a folder: {args.folder}")

    rows = grade_folder(args.autograder, args.folder)
    names = {key for row in rows for key in row} - {"file", "total", "possible", "error"}
    questions = sorted(names, key=lambda q: (len(q), q))  # q2 before q10
    columns = ["file", *questions, "total", "possible"] + (["error"] if any("error" in r for r in rows) else [])
    with open(args.output, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)

    width = max(len(row["file"]) for row in rows)
    print(f"{'file':<{width}}  " + "  ".join(f"{q:>5}" for q in questions) + "   total")
    for row in rows:
        if "error" in row:
            print(f"{row['file']:<{width}}  not graded: {row['error']}")
            continue
        cells = "  ".join(f"{row[q]:5g}" for q in questions)
        print(f"{row['file']:<{width}}  {cells}  {row['total']:g}/{row['possible']:g}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
