"""Grade one submission with otter and report the scores as JSON on a file descriptor.

This is the program that ``grade_folder.py`` runs inside each submission's sandbox (see
``sandbox.py``). It is also run without a sandbox by ``grade_folder.py --no-sandbox``.

    python grade_in_sandbox.py SUBMISSION AUTOGRADER_ZIP --result-fd N --output-limit BYTES

It calls ``otter.api.grade_submission``, which executes the notebook in a fresh kernel and then
runs the public and hidden tests. The notebook's outputs are counted while it runs: past
``--output-limit`` bytes the grading stops with the verdict ``output``. The last thing written
to the result descriptor is one JSON object, either ``{"scores": {question: points}}`` or
``{"verdict": "output" | "error", "detail": "..."}``. Standard output is the grading log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


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
            report({"verdict": "output", "detail": f"the notebook printed more than {limit} bytes"})
        return original(self, outs, msg, display_id, cell_index)

    NotebookClient.output = output


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submission")
    parser.add_argument("autograder")
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--output-limit", type=int, required=True)
    args = parser.parse_args(argv)
    result = os.fdopen(args.result_fd, "w")

    def report(message: dict) -> None:
        """Write the verdict and end this process (and with it the kernel) at once."""
        result.write(json.dumps(message))
        result.flush()
        sys.stdout.flush()
        os._exit(0)

    limit_notebook_output(args.output_limit, report)
    from otter.api import grade_submission

    try:
        results = grade_submission(args.submission, args.autograder, quiet=False)
    except BaseException as error:  # a notebook that does not parse, of another assignment, ...
        report({"verdict": "error", "detail": f"{type(error).__name__}: {error}"})
    scores = {name: float(results.get_score(name)) for name in results.test_files}
    report({"scores": scores})
    return 0


if __name__ == "__main__":
    sys.exit(main())
