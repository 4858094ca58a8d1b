"""run(): shapes, bookkeeping, validation of every argument, and steps_to_tolerance."""

import numpy as np
import pytest

import nagcore
from nagcore import problems


def test_trajectory_layout_unbatched():
    p = problems.rosenbrock()
    traj = nagcore.run(nagcore.momentum(1e-4), p, [-1.2, 1.0], 10)
    assert traj.x.shape == (11, 2) and traj.x.dtype == np.float64
    np.testing.assert_array_equal(traj.x[0], [-1.2, 1.0])
    np.testing.assert_array_equal(traj.f, p.f(traj.x))
    assert traj.diverged is False


def test_zero_steps_returns_start_only():
    p = problems.quadratic([1.0, 2.0])
    traj = nagcore.run(nagcore.nesterov(0.1), p, p.x0, 0)
    assert traj.x.shape == (1, 2) and traj.f.shape == (1,)


def test_plain_gradient_function_gives_no_values():
    traj = nagcore.run(nagcore.gradient_descent(0.25), lambda x: 2 * x, np.ones((3, 2)), 5)
    assert traj.f is None and traj.x.shape == (6, 3, 2)
    np.testing.assert_allclose(traj.x[-1], 0.5**5 * np.ones((3, 2)))
    np.testing.assert_array_equal(traj.diverged, [False] * 3)


def test_input_is_not_modified():
    x0 = np.array([1.0, 2.0])
    nagcore.run(nagcore.nesterov(0.1), problems.quadratic([1.0, 2.0]), x0, 5)
    np.testing.assert_array_equal(x0, [1.0, 2.0])


def test_divergence_flag_is_per_run():
    p = problems.quadratic([1.0])
    traj = nagcore.run(nagcore.gradient_descent(np.array([0.5, 2.2])), p, [1.0], 400)
    np.testing.assert_array_equal(traj.diverged, [False, True])
    assert np.isfinite(traj.x[:, 0]).all()


def test_blowup_threshold_flags_growth_before_overflow():
    p = problems.quadratic([1.0])
    traj = nagcore.run(nagcore.gradient_descent(2.1), p, [1.0], 100)  # |1 - 2.1| = 1.1 per step
    assert np.isfinite(traj.x).all() and traj.diverged is False  # grew 1.1**100 ~ 1.4e4 < 1e6
    assert nagcore.run(nagcore.gradient_descent(2.1), p, [1.0], 100, blowup=1e3).diverged is True


NAN = float("nan")
INF = float("inf")


LR_CASES = [0.0, -0.1, NAN, INF, [0.1, 0.0]]
MOMENTUM_CASES = [1.0, -0.1, NAN, [0.5, 1.2]]
FACTORIES = [
    ("gradient_descent", nagcore.gradient_descent, {}),
    ("momentum", nagcore.momentum, {"momentum": 0.9}),
    ("nesterov", nagcore.nesterov, {"momentum": 0.9}),
]


@pytest.mark.parametrize("lr", LR_CASES)
@pytest.mark.parametrize("name, factory, extra", FACTORIES)
def test_bad_learning_rate_raises(lr, name, factory, extra):
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        factory(lr, **extra)


@pytest.mark.parametrize("momentum", MOMENTUM_CASES)
@pytest.mark.parametrize("factory", [nagcore.momentum, nagcore.nesterov])
def test_bad_momentum_raises(momentum, factory):
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        factory(0.1, momentum=momentum)


@pytest.mark.parametrize(
    "x0, steps, argument",
    [
        ([NAN, 0.0], 5, "x0 must be finite"),
        ([INF, 0.0], 5, "x0 must be finite"),
        (1.0, 5, "x0 must have a last axis"),
        ([[1.0, 2.0], [3.0, "a"]], 5, "x0 must be an array"),
        ([1.0, 2.0], -1, "steps must be an integer >= 0"),
        ([1.0, 2.0], 2.5, "steps must be an integer >= 0"),
        ([1.0, 2.0], "10", "steps must be an integer >= 0"),
        ([1.0, 2.0], True, "steps must be an integer >= 0"),
        ([1.0, 2.0, 3.0], 5, "x0 has 3 parameters"),
    ],
)
def test_bad_run_arguments_raise(x0, steps, argument):
    with pytest.raises(ValueError, match=argument):
        nagcore.run(nagcore.gradient_descent(0.1), problems.quadratic([1.0, 2.0]), x0, steps)


def test_shapes_that_do_not_broadcast_raise():
    p = problems.quadratic([1.0, 2.0])
    with pytest.raises(ValueError, match="x0's batch shape"):
        nagcore.run(nagcore.nesterov(np.array([0.1, 0.2, 0.3])), p, np.zeros((2, 2)), 5)
    with pytest.raises(ValueError, match="hyperparameter shapes do not broadcast"):
        nagcore.run(nagcore.nesterov(np.array([0.1, 0.2]), np.array([0.1, 0.2, 0.3])), p, p.x0, 5)


def test_bad_optimizer_objective_and_blowup_raise():
    p = problems.quadratic([1.0, 2.0])
    with pytest.raises(ValueError, match="optimizer"):
        nagcore.run("sgd", p, p.x0, 5)
    with pytest.raises(ValueError, match="objective"):
        nagcore.run(nagcore.nesterov(0.1), 3.0, p.x0, 5)
    with pytest.raises(ValueError, match="blowup"):
        nagcore.run(nagcore.nesterov(0.1), p, p.x0, 5, blowup=0.5)


def test_steps_to_tolerance_waits_until_error_stays_below():
    errors = np.array([[1.0, 1.0], [0.1, 0.5], [0.5, 0.3], [0.05, 0.3], [0.01, 0.3]])
    np.testing.assert_array_equal(nagcore.steps_to_tolerance(errors, 0.2), [3.0, np.inf])
    assert nagcore.steps_to_tolerance(np.array([0.1, 0.05]), 0.2) == 0
    assert nagcore.steps_to_tolerance(np.array([1.0, NAN, 0.1]), 0.2) == 2
    with pytest.raises(ValueError, match="tol"):
        nagcore.steps_to_tolerance(errors, 0.0)


def test_steps_to_tolerance_matches_gd_closed_form():
    # GD on f = x^2 / 2 with lr 0.5: error 0.5^k, below 1e-3 from k = ceil(log2(1000)) = 10
    traj = nagcore.run(nagcore.gradient_descent(0.5), problems.quadratic([1.0]), [1.0], 30)
    assert nagcore.steps_to_tolerance(np.abs(traj.x[:, 0]), 1e-3) == np.ceil(np.log2(1000))


def test_first_divergence_marks_exactly_the_flagged_runs():
    p = problems.quadratic([0.5, 2.0], rotation=0.3)
    lrs = np.linspace(0.5, 1.6, 12)[:, None]
    moms = np.array([0.0, 0.5, 0.9])
    traj = nagcore.run(nagcore.nesterov(lrs, moms), p, p.x0, 300, blowup=50.0)
    first = nagcore.first_divergence(traj.x, p.x_star, blowup=50.0)
    np.testing.assert_array_equal(first >= 0, traj.diverged)
    assert traj.diverged.any() and not traj.diverged.all()
    limit = 50.0 * (1 + np.linalg.norm(p.x0 - p.x_star))
    for i, j in zip(*np.nonzero(traj.diverged)):
        with np.errstate(over="ignore", invalid="ignore"):
            dist = np.linalg.norm(traj.x[:, i, j] - p.x_star, axis=-1)
        k = first[i, j]
        assert dist[k] > limit or not np.isfinite(dist[k])
        assert np.all(dist[:k] <= limit)
