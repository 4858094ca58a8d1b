"""Grade one submission with otter and report the scores as JSON on a file descriptor.

This is the program that ``grade_folder.py`` runs inside each submission's sandbox (see
``sandbox.py``), or, with ``grade_folder.py --no-sandbox``, in a temporary folder.

    python grade_in_sandbox.py SUBMISSION AUTOGRADER_DIR --result-fd N --output-limit BYTES

AUTOGRADER_DIR is the unpacked autograder zip, read-only: the notebook's kernel reads the tests
from there and cannot rewrite them. The submission (a notebook, or a zip holding one) is copied
into a fresh folder, checked to belong to this assignment, and graded with
``otter.execute.grade_notebook``: the notebook runs in a fresh kernel, then the public and hidden
tests score it. Its outputs are counted while it runs: past ``--output-limit`` bytes grading stops.
The one JSON object written to the result descriptor is ``{"scores": {question: points}}`` or
``{"verdict": "output" | "error", "detail": "..."}``. Standard output is the grading log; it
ends with the peak memory of this process (which holds the notebook's outputs).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import shutil
import sys
import tempfile
import zipfile


def limit_notebook_output(limit: int, report) -> None:
    """Stop grading (through ``report``) once the notebook has printed more than ``limit`` bytes."""
    from nbclient.client import NotebookClient  # nbconvert's ExecutePreprocessor is one

    original = NotebookClient.output
    seen = 0

    def output(self, outs, msg, display_id, cell_index):
        nonlocal seen
        content = msg.get("content", {})
        seen += len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        if seen > limit:
            report({"verdict": "output", "detail": f"the notebook printed more than {limit >> 20} MiB"})
        return original(self, outs, msg, display_id, cell_index)

    NotebookClient.output = output


def notebook_to_grade(submission: pathlib.Path, work: pathlib.Path) -> pathlib.Path:
    """Copy the submission into ``work`` (unpacking a zip) and return its one notebook."""
    if submission.suffix == ".zip":
        with zipfile.ZipFile(submission) as archive:
            archive.extractall(work)
    else:
        shutil.copy(submission, work)
    notebooks = sorted(work.glob("*.ipynb"))
    if len(notebooks) != 1:
        raise ValueError(f"expected one notebook in the submission, found {len(notebooks)}")
    return notebooks[0]


def grade(submission: pathlib.Path, autograder: pathlib.Path) -> dict[str, float]:
    """Scores per question of one submission."""
    import nbformat
    from otter.execute import grade_notebook
    from otter.nbmeta_config import NBMetadataConfig

    config = json.loads((autograder / "otter_config.json").read_text())
    work = pathlib.Path(tempfile.mkdtemp(prefix="submission-"))
    if (autograder / "files").is_dir():  # support files of the assignment, if any
        shutil.copytree(autograder / "files", work, dirs_exist_ok=True)
    notebook = notebook_to_grade(submission, work)
    name = NBMetadataConfig.from_notebook(nbformat.read(notebook, as_version=4)).assignment_name
    if name != config["assignment_name"]:
        raise ValueError(f"this is a notebook of {name!r}, not of {config['assignment_name']!r}")
    tests = autograder / "tests"
    results = grade_notebook(str(notebook), tests_glob=sorted(str(p) for p in tests.glob("*.py")),
                             cwd=str(work), test_dir=str(tests), seed=config.get("seed"),
                             seed_variable=config.get("seed_variable"), force_python3_kernel=True)
    if not results.test_files:  # the kernel died, or the results could not be written
        raise RuntimeError(f"the tests did not run: {results.catastrophic_error}")
    return {name: float(results.get_score(name)) for name in results.test_files}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submission", type=pathlib.Path)
    parser.add_argument("autograder", type=pathlib.Path)
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--output-limit", type=int, required=True)
    args = parser.parse_args(argv)
    result = os.fdopen(args.result_fd, "w")

    def report(message: dict) -> None:
        """Write the verdict and end this process (and with it the kernel) at once."""
        print(f"grading process peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MiB")
        result.write(json.dumps(message))
        result.flush()
        sys.stdout.flush()
        os._exit(0)

    limit_notebook_output(args.output_limit, report)
    try:
        scores = grade(args.submission, args.autograder)
    except BaseException as error:  # a notebook that does not parse, of another assignment, ...
        report({"verdict": "error", "detail": f"{type(error).__name__}: {error}"})
    report({"scores": scores})
    return 0


if __name__ == "__main__":
    sys.exit(main())
