"""Write three submissions of assignment 3 to try grading: right, blank and wrong.

Usage (after ``make assignments``; ``make grade-demo`` runs it)::

    .venv/bin/python assignments/demo_submissions.py _build/assignments/hw03_nesterov OUT_DIR

* ``right.ipynb``: the solutions notebook that ``otter assign`` wrote (full marks).
* ``blank.ipynb``: the student notebook as handed out (zero).
* ``wrong.ipynb``: the solutions with the classic mistake, the gradient taken at ``theta``
  instead of the look-ahead point (loses question 1, keeps question 2).
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys

import nbformat

RIGHT = "grad(lookahead)"
WRONG = "grad(theta)"  # heavy ball's gradient: the classic mistake in a Nesterov step


def write_demo(otter_output: pathlib.Path, out: pathlib.Path) -> list[pathlib.Path]:
    """Write right/blank/wrong submissions from an ``otter assign`` output folder."""
    name = "hw03_nesterov.ipynb"
    solution = otter_output / "autograder" / name
    student = otter_output / "student" / name
    for path in (solution, student):
        if not path.is_file():
            raise SystemExit(f"{path} not found: run `make assignments` first")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(solution, out / "right.ipynb")
    shutil.copy(student, out / "blank.ipynb")

    nb = nbformat.read(solution, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and RIGHT in c.source]
    if len(cells) != 1:
        raise SystemExit(f"expected one cell with {RIGHT!r} in {solution}, found {len(cells)}")
    cells[0].source = cells[0].source.replace(RIGHT, WRONG)
    nbformat.write(nb, out / "wrong.ipynb")
    return [out / f"{kind}.ipynb" for kind in ("right", "blank", "wrong")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("otter_output", type=pathlib.Path, help="e.g. _build/assignments/hw03_nesterov")
    parser.add_argument("out", type=pathlib.Path, help="folder to write the three submissions to")
    args = parser.parse_args(argv)
    for path in write_demo(args.otter_output, args.out):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
