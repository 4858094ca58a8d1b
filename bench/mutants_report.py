"""Summarise `mutmut run` for `make mutants`: killed, survived, and which survivors are known equivalent.

Usage: ``python bench/mutants_report.py path/to/mutmut``. Reads ``mutmut results --all true``,
compares the survivors with ``bench/equivalent_mutants.md`` (one ``- `name`: why`` line each),
prints the diff of every other survivor and exits 1 if there is one: it needs a test, or a line in
the list saying why no test can tell it from the original.
"""

from __future__ import annotations

import collections
import pathlib
import re
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
EQUIVALENT = HERE / "equivalent_mutants.md"
# A mutant whose tests run past mutmut's time limit (30 times their usual time) fails the suite too:
# it is detected, as in other mutation tools. Any other status needs a test or a reason.
DETECTED = ("killed", "timeout")


def main(mutmut: str) -> int:
    out = subprocess.run([mutmut, "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    status = dict(re.findall(r"^\s*(\S+): (.+)$", out, flags=re.MULTILINE))
    known = set(re.findall(r"^- `([^`]+)`", EQUIVALENT.read_text(), flags=re.MULTILINE))
    counts = collections.Counter(status.values())
    survived = sorted(name for name, s in status.items() if s not in DETECTED)
    unexplained = [name for name in survived if name not in known]
    stale = sorted(known - set(survived))
    print(f"{len(status)} mutants: " + ", ".join(f"{n} {s}" for s, n in counts.most_common()))
    print(f"{len(survived) - len(unexplained)} of the {len(survived)} not detected are listed as equivalent in {EQUIVALENT.name}")
    if stale:
        print(f"listed but detected or gone (update the list): {', '.join(stale)}")
    for name in unexplained:
        print(subprocess.run([mutmut, "show", name], capture_output=True, text=True).stdout)
    if unexplained:
        print(f"{len(unexplained)} mutants survive with no test and no reason: add a test, or explain them in {EQUIVALENT.name}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "mutmut"))
