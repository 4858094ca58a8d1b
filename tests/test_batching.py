"""A run inside a batch gives exactly, to the bit, the iterates it gives alone: every problem, every optimizer, d up to 64.

numpy's reductions (``np.sum``, ``@``, ``np.linalg.norm``) may sum in an order that depends on the
shape of the whole array, so a run's last bits could depend on how many runs share its batch and
how they are laid out. These tests run grids of settings and start points in several layouts and
compare each run with the same run done alone, with ``assert_array_equal``.
"""

import numpy as np
import pytest

import nagcore
from nagcore import problems
from nagcore.restart import nesterov_restart

from conftest import OPTIMIZERS

DIMS = (2, 8, 16, 64)

# the shared table's optimizers, and restart's other two rules: its momentum schedule, and the
# test on the objective (restart decides with a sum over the parameters, which must not depend on
# the batch's layout either)
OPT_NAMES = sorted(OPTIMIZERS) + ["restart_schedule", "restart_function"]


def _make(opt_name, p):
    """``make(lr, momentum)`` for ``opt_name`` on problem ``p``."""
    if opt_name == "restart_schedule":
        return lambda lr, mom: nesterov_restart(lr)
    if opt_name == "restart_function":
        return lambda lr, mom: nesterov_restart(lr, mom, restart="function", f=p.f)
    return OPTIMIZERS[opt_name]


def _rotated(d):
    q, _ = np.linalg.qr(np.random.default_rng(d).standard_normal((d, d)))
    lam = np.geomspace(0.02, 1.0, d)
    return problems.quadratic(lam, rotation=q, x_star=np.linspace(-1.0, 1.0, d))


def _regression(d):
    X, y, _ = problems.make_regression(3 * d + 5, d, noise=0.3, rng=np.random.default_rng(d))
    return problems.least_squares(X, y)


# (name, dims, factory): every problem, at every d it supports
SCALABLE = {
    "quadratic_rotated": _rotated,
    "quadratic_axis_aligned": lambda d: problems.quadratic(condition_number=30, dim=d, x_star=np.linspace(0, 1, d)),
    "nesterov_worst_case": lambda d: problems.nesterov_worst_case(dim=d, L=2.0),
    "least_squares": _regression,
}
FIXED = {"rosenbrock": problems.rosenbrock, "double_well": problems.double_well, "piecewise_quadratic": problems.piecewise_quadratic}
CASES = [(name, d) for name in SCALABLE for d in DIMS] + [(name, None) for name in FIXED]


def _problem(name, d):
    return SCALABLE[name](d) if d is not None else FIXED[name]()


def _starts(p, n):
    """``n`` start points around ``x0`` (inside the problem's window)."""
    rng = np.random.default_rng(p.dim)
    lo, hi = p.bounds[:, 0], p.bounds[:, 1]
    return np.clip(p.x0 + 0.2 * (hi - lo) * rng.standard_normal((n, p.dim)), lo, hi)


@pytest.mark.parametrize("opt_name", OPT_NAMES)
@pytest.mark.parametrize("name, d", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_batched_runs_equal_separate_runs_bit_for_bit(name, d, opt_name):
    p = _problem(name, d)
    make = _make(opt_name, p)
    # lr from cautious to past the stability limit, so the batch mixes converging and diverging runs
    moms = np.array([0.0, 0.9])
    lrs = np.array([0.3, 1.0, 2.5])[:, None] / p.L + 0 * moms  # (3, 2): gradient descent ignores moms
    starts = _starts(p, 2)[:, None, None, :]  # batch (2, 3, 2)
    steps = 25
    batched = nagcore.run(make(lrs, moms), p, starts, steps, blowup=1e3)
    assert batched.x.shape == (steps + 1, 2, 3, 2, p.dim)
    for s in range(2):
        for i in range(3):
            for j in range(2):
                alone = nagcore.run(make(lrs[i, j], moms[j]), p, starts[s, 0, 0], steps, blowup=1e3)
                np.testing.assert_array_equal(batched.x[:, s, i, j], alone.x)
                np.testing.assert_array_equal(batched.f[:, s, i, j], alone.f)
                assert batched.diverged[s, i, j] == alone.diverged


@pytest.mark.parametrize("opt_name", ["nesterov", "restart", "restart_schedule", "restart_function"])
@pytest.mark.parametrize("d", DIMS)
def test_layout_of_the_batch_does_not_matter(d, opt_name):
    """The same 12 runs as a (12,), (3, 4) or (4, 3) batch, or transposed in memory, give the same bits."""
    p = _rotated(d)
    make = _make(opt_name, p)
    starts = _starts(p, 12)
    lrs = np.linspace(0.2, 1.9, 12) / p.L
    flat = nagcore.run(make(lrs, 0.8), p, starts, 30)
    for shape in ((3, 4), (4, 3)):
        grid = nagcore.run(make(lrs.reshape(shape), 0.8), p, starts.reshape(shape + (d,)), 30)
        np.testing.assert_array_equal(grid.x.reshape(flat.x.shape), flat.x)
        np.testing.assert_array_equal(grid.f.reshape(flat.f.shape), flat.f)
    fortran = np.asfortranarray(starts)
    np.testing.assert_array_equal(nagcore.run(make(lrs, 0.8), p, fortran, 30).x, flat.x)
    # and the objective over the whole trajectory equals the objective row by row
    for k in (0, 7, 30):
        np.testing.assert_array_equal(flat.f[k], [p.f(x) for x in flat.x[k]])


@pytest.mark.parametrize("d", DIMS)
def test_minibatch_runs_share_their_batches_and_match_separate_runs(d):
    X, y, _ = problems.make_regression(4 * d + 3, d, rng=np.random.default_rng(d))
    starts = np.random.default_rng(1).standard_normal((3, d))
    lr = 0.2 / problems.least_squares(X, y).L

    def oracle():
        return problems.minibatch_gradient(X, y, 5, rng=np.random.default_rng(11))

    batched = nagcore.run(nagcore.momentum(lr, 0.9), oracle(), starts, 40)
    for i in range(3):
        np.testing.assert_array_equal(batched.x[:, i], nagcore.run(nagcore.momentum(lr, 0.9), oracle(), starts[i], 40).x)
