"""Adaptive restart against O'Donoghue and Candès's two-sequence algorithm, written out independently."""

import numpy as np
import pytest

import nagcore
from nagcore import problems
from nagcore.restart import nesterov_restart, schedule


def _odonoghue_candes(p, lr, beta, steps, scheme):
    """x_{k+1} = y_k - lr grad(y_k); restart (y_{k+1} = x_{k+1}, schedule from 0) if the scheme fires,
    else y_{k+1} = x_{k+1} + beta_k (x_{k+1} - x_k). beta None: beta_k = j / (j + 3), j steps since restart."""
    x = y = p.x0.copy()
    xs, j = [x], 0
    for _ in range(steps):
        g = p.grad(y)
        x_next = y - lr * g
        if scheme == "gradient":
            fire = g @ (x_next - x) > 0
        elif scheme == "function":
            fire = p.f(x_next) > p.f(x)
        else:
            fire = False
        b = (j / (j + 3) if beta is None else beta)
        y = x_next if fire else x_next + b * (x_next - x)
        j = 0 if fire else j + 1
        x = x_next
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize("scheme", ["gradient", "function", "never"])
@pytest.mark.parametrize("momentum", [None, 0.95])
def test_equals_the_two_sequence_algorithm(scheme, momentum):
    p = problems.quadratic(condition_number=500, rotation=0.3)
    f = p.f if scheme == "function" else None
    ours = nagcore.run(nesterov_restart(1 / p.L, momentum, restart=scheme, f=f), p, p.x0, 400).x
    ref = _odonoghue_candes(p, 1 / p.L, momentum, 400, scheme)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


def test_never_restarting_with_constant_momentum_is_nagcore_nesterov():
    p = problems.rosenbrock()
    a = nagcore.run(nesterov_restart(1e-4, 0.9, restart="never"), p, p.x0, 300)
    b = nagcore.run(nagcore.nesterov(1e-4, 0.9), p, p.x0, 300)
    np.testing.assert_array_equal(a.x, b.x)


def test_zero_momentum_is_gradient_descent_and_never_restarts():
    p = problems.least_squares(*problems.make_regression(30, 3, rng=np.random.default_rng(2))[:2])
    a = nagcore.run(nesterov_restart(1 / p.L, 0.0), p, p.x0, 100)
    b = nagcore.run(nagcore.gradient_descent(1 / p.L), p, p.x0, 100)
    np.testing.assert_array_equal(a.x, b.x)


def test_a_restart_takes_the_next_gradient_at_theta():
    """After the rule fires, the velocity is 0, so the look-ahead point is the iterate itself."""
    p = problems.quadratic([1.0])
    seen = []

    def spy(x):
        seen.append(x.copy())
        return p.grad(x)

    traj = nagcore.run(nesterov_restart(0.5, 0.9), spy, p.x0, 30)
    v = traj.x[:-1] - traj.x[1:]  # v_{t+1} before any reset
    g = np.array(seen)
    fired = np.sum(g * v, axis=-1) < 0
    assert 1 <= fired.sum() < 30
    for t in np.flatnonzero(fired[:-1]):
        np.testing.assert_array_equal(seen[t + 1], traj.x[t + 1])


def test_schedule_is_k_minus_1_over_k_plus_2():
    np.testing.assert_allclose(schedule([0, 1, 2, 10]), [0.0, 0.0, 0.25, 0.75])


@pytest.mark.parametrize("scheme", ["gradient", "function"])
def test_restart_rescues_too_much_momentum_on_an_ill_conditioned_quadratic(scheme):
    p = problems.quadratic(condition_number=1e4, rotation=0.2)
    f = p.f if scheme == "function" else None
    plain = nagcore.run(nagcore.nesterov(1 / p.L, 0.999), p, p.x0, 3000)
    fixed = nagcore.run(nesterov_restart(1 / p.L, 0.999, restart=scheme, f=f), p, p.x0, 3000)
    n_plain = nagcore.steps_to_tolerance(plain.f - p.f_star, 1e-10)
    n_fixed = nagcore.steps_to_tolerance(fixed.f - p.f_star, 1e-10)
    assert n_fixed < 2000 and (np.isinf(n_plain) or n_plain > 2 * n_fixed)


def test_batched_equals_separate_runs():
    p = problems.quadratic(condition_number=100, rotation=0.5)
    lrs = np.array([0.2, 0.9])[:, None]
    moms = np.array([0.5, 0.99])
    batched = nagcore.run(nesterov_restart(lrs, moms), p, p.x0, 80)
    for i, lr in enumerate(lrs[:, 0]):
        for j, m in enumerate(moms):
            np.testing.assert_array_equal(batched.x[:, i, j], nagcore.run(nesterov_restart(lr, m), p, p.x0, 80).x)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"lr": 0.0}, "lr"),
        ({"lr": 1.0, "momentum": 1.0}, "momentum"),
        ({"lr": 1.0, "restart": "sometimes"}, "restart"),
        ({"lr": 1.0, "restart": "function"}, "f"),
        ({"lr": 1.0, "restart": "gradient", "f": lambda x: x}, "f"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} "):
        nesterov_restart(**kwargs)
