"""Peak memory of a run stays within a small constant of its output.

Runs are measured in a fresh interpreter, by the growth of its peak resident memory (``VmHWM``,
reset just before the run) over what it held before the run, so that nothing else in the test
session counts. (``ru_maxrss`` would not do: it survives ``exec`` and so starts at the peak of the
process that started the interpreter.)
"""

import json
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np

from nagcore import problems

SETUP = """
import json, numpy as np, nagcore
from nagcore import problems

def resident(field):  # kB in /proc/self/status; VmHWM is the peak since the last reset
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((300, 300)))
p = problems.quadratic(np.geomspace(1e-3, 1.0, 300), rotation=q)
nagcore.run(nagcore.nesterov(1.0, 0.9), p, p.x0, 3)  # warm up numpy's caches
open("/proc/self/clear_refs", "w").write("5")  # reset the peak to what is resident now
before = resident("VmRSS")
"""


def _measure(body: str) -> dict:
    code = SETUP + textwrap.dedent(body) + "\npeak = resident('VmHWM') - before\n"
    code += "print(json.dumps({'peak': peak, 'output': traj.x.nbytes + (0 if traj.f is None else traj.f.nbytes), 'ok': bool(ok)}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def test_a_300_parameter_run_of_10000_steps_stays_under_1_gb():
    m = _measure("traj = nagcore.run(nagcore.nesterov(1.0, 0.9), p, p.x0, 10_000)\nok = np.isfinite(traj.f).all() and traj.f[-1] < 1e-3 * traj.f[0]")
    assert m["ok"] and m["output"] == 10_001 * 301 * 8  # 24 MB of iterates and values
    assert m["peak"] >= m["output"]  # the measurement sees the record itself
    assert m["peak"] < 1 << 30
    assert m["peak"] < 1.5 * m["output"] + (32 << 20), m  # the iterates, plus a bounded working set


def test_recording_every_k_steps_keeps_memory_to_the_record():
    m = _measure("traj = nagcore.run(nagcore.momentum(0.5, 0.9), p, np.tile(p.x0, (20, 1)), 400, every=100)\nok = traj.x.shape == (5, 20, 300)")
    assert m["ok"] and m["peak"] < 32 << 20, m  # the full record would be 19 MB


def test_objective_over_a_trajectory_needs_no_d_squared_temporary_per_row():
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((300, 300)))
    p = problems.quadratic(np.geomspace(1e-3, 1.0, 300), rotation=q)
    xs = np.random.default_rng(1).standard_normal((2000, 300))
    for fn in (p.f, p.grad):
        tracemalloc.start()
        try:
            out = fn(xs)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert out.shape in ((2000,), (2000, 300))
        assert peak < 4 * xs.nbytes + (32 << 20), f"{fn.__name__}: {peak:,} bytes"  # all rows at once: 1.4 GB
