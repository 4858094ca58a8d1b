"""The three optimizers against closed forms, independent implementations and each other."""

import warnings

import numpy as np
import pytest

import nagcore
from nagcore import problems

from conftest import OPTIMIZERS, PROBLEMS

# (lr as a fraction of 1/L, momentum, steps) that converge on each problem; the point of the table
# is that every optimizer reaches the minimiser of every problem with *some* sensible setting.
SETTINGS = {
    "quadratic": (1.0, 0.5, 300),
    "quadratic_rotated": (1.0, 0.7, 3000),
    "quadratic_5d": (1.0, 0.6, 2000),
    "rosenbrock": (0.2, 0.95, 40000),
    "double_well": (0.05, 0.5, 3000),
    "piecewise_quadratic": (1.0, 0.5, 500),
    "nesterov_worst_case": (1.0, 0.9, 4000),
    "least_squares": (1.0, 0.5, 500),
}


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("problem_name", sorted(PROBLEMS))
def test_every_optimizer_converges_on_every_problem(opt_name, problem_name):
    p = PROBLEMS[problem_name]()
    scale, mom, steps = SETTINGS[problem_name]
    start = p.x0 if problem_name != "double_well" else np.array([-0.3])  # start in the global basin
    if opt_name == "gradient_descent":
        scale = 1.0  # plain GD needs the full 1/L step to get there in the same budget
    traj = nagcore.run(OPTIMIZERS[opt_name](scale / p.L, mom), p, start, steps)
    assert not traj.diverged
    assert np.linalg.norm(traj.x[-1] - p.x_star) < 1e-4 * (1 + np.linalg.norm(p.x_star))
    assert traj.f[-1] - p.f_star < 1e-8 * (1 + abs(p.f_star))


def test_gradient_descent_equals_closed_form_on_quadratic():
    angle, lam, c = 0.3, np.array([0.2, 3.0]), np.array([1.0, 2.0])
    Q = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    A = Q @ np.diag(lam) @ Q.T
    p = problems.quadratic(lam, rotation=angle, x_star=c)
    lr, steps, x0 = 0.5, 40, np.array([-2.0, 4.0])
    traj = nagcore.run(nagcore.gradient_descent(lr), p, x0, steps)
    M = np.eye(2) - lr * A
    for k in (0, 1, 7, 40):
        np.testing.assert_allclose(traj.x[k], c + np.linalg.matrix_power(M, k) @ (x0 - c), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", [nagcore.momentum, nagcore.nesterov])
def test_zero_momentum_is_gradient_descent_exactly(method, problem):
    lr = 0.5 / problem.L
    gd = nagcore.run(nagcore.gradient_descent(lr), problem, problem.x0, 60)
    other = nagcore.run(method(lr, momentum=0.0), problem, problem.x0, 60)
    np.testing.assert_array_equal(other.x, gd.x)


def test_momentum_matches_pytorch_form():
    """torch.optim.SGD(momentum=m): b <- m b + g(p); p <- p - lr b. Same iterates as v = lr * b."""
    p = problems.quadratic([0.3, 2.0], rotation=0.4)
    lr, m, steps = 0.3, 0.8, 50
    params, buf, ref = p.x0.copy(), np.zeros(2), [p.x0.copy()]
    for _ in range(steps):
        buf = m * buf + p.grad(params)
        params = params - lr * buf
        ref.append(params)
    np.testing.assert_allclose(nagcore.run(nagcore.momentum(lr, m), p, p.x0, steps).x, ref, rtol=1e-12, atol=1e-15)


def test_nesterov_matches_pytorch_and_optax_form_through_change_of_variables():
    """torch/optax nesterov=True keep phi_t = theta_t - m v_t: b <- m b + g(phi); phi <- phi - lr (g + m b)."""
    p = problems.rosenbrock()
    lr, m, steps = 1e-4, 0.9, 300
    phi, buf, ref = p.x0.copy(), np.zeros(2), [p.x0.copy()]
    for _ in range(steps):
        g = p.grad(phi)
        buf = m * buf + g
        phi = phi - lr * (g + m * buf)
        ref.append(phi)
    theta = nagcore.run(nagcore.nesterov(lr, m), p, p.x0, steps).x
    lookahead = theta.copy()
    lookahead[1:] = (1 + m) * theta[1:] - m * theta[:-1]  # theta_t - m v_t, v_t = theta_{t-1} - theta_t
    np.testing.assert_allclose(lookahead, ref, rtol=1e-10, atol=1e-13)


def test_nesterov_matches_keras_form():
    """Keras SGD(nesterov=True): v <- m v - lr g(p); p <- p + m v - lr g(p), on the look-ahead variable."""
    p = problems.quadratic(condition_number=30, rotation=1.1)
    lr, m, steps = 0.9, 0.7, 80
    w, v, ref = p.x0.copy(), np.zeros(2), [p.x0.copy()]
    for _ in range(steps):
        g = p.grad(w)
        v = m * v - lr * g
        w = w + m * v - lr * g
        ref.append(w)
    theta = nagcore.run(nagcore.nesterov(lr, m), p, p.x0, steps).x
    lookahead = np.concatenate([theta[:1], (1 + m) * theta[1:] - m * theta[:-1]])
    np.testing.assert_allclose(lookahead, ref, rtol=1e-10, atol=1e-14)


def test_nesterov_matches_nesterovs_two_sequence_form():
    """x_{k+1} = y_k - lr g(y_k); y_{k+1} = x_{k+1} + m (x_{k+1} - x_k); theta_k is Nesterov's x_k."""
    p = problems.least_squares(*problems.make_regression(40, 3, rng=np.random.default_rng(1))[:2])
    lr, m, steps = 0.5 / p.L, 0.8, 60
    x, y, ref = p.x0.copy(), p.x0.copy(), [p.x0.copy()]
    for _ in range(steps):
        x_next = y - lr * p.grad(y)
        y = x_next + m * (x_next - x)
        x = x_next
        ref.append(x)
    np.testing.assert_allclose(nagcore.run(nagcore.nesterov(lr, m), p, p.x0, steps).x, ref, rtol=1e-11, atol=1e-14)


def test_nesterov_takes_gradient_at_lookahead_point():
    """The classic mistake (gradient at theta) is heavy ball; the two differ from the second step on."""
    p = problems.quadratic([1.0, 10.0])
    seen = []

    def spy(x):
        seen.append(x.copy())
        return p.grad(x)

    lr, m = 0.05, 0.9
    traj = nagcore.run(nagcore.nesterov(lr, m), spy, p.x0, 3)
    v1 = traj.x[0] - traj.x[1]
    np.testing.assert_allclose(seen[1], traj.x[1] - m * v1)
    hb = nagcore.run(nagcore.momentum(lr, m), p, p.x0, 3)
    np.testing.assert_array_equal(hb.x[1], traj.x[1])
    assert not np.allclose(hb.x[2], traj.x[2])


@pytest.mark.parametrize("make", [lambda lr, m: nagcore.gradient_descent(lr + 0 * m), nagcore.momentum, nagcore.nesterov])
def test_batched_grid_equals_separate_runs_exactly(make):
    p = problems.quadratic(condition_number=25, rotation=0.5)
    lrs = np.array([0.1, 0.5, 1.0, 1.9])[:, None]
    moms = np.array([0.0, 0.5, 0.9])
    starts = np.array([[1.0, -2.0], [0.5, 0.5]])[:, None, None, :]  # batch axes (2, 4, 3)
    batched = nagcore.run(make(lrs, moms), p, starts, 50)
    assert batched.x.shape == (51, 2, 4, 3, 2) and batched.f.shape == (51, 2, 4, 3)
    assert batched.diverged.shape == (2, 4, 3)
    for s in range(2):
        for i, lr in enumerate(lrs[:, 0]):
            for j, m in enumerate(moms):
                single = nagcore.run(make(lr, m), p, starts[s, 0, 0], 50)
                np.testing.assert_array_equal(batched.x[:, s, i, j], single.x)
                np.testing.assert_array_equal(batched.f[:, s, i, j], single.f)
                assert batched.diverged[s, i, j] == single.diverged


def test_issue_example_shape():
    p = problems.quadratic([1.0, 5.0, 9.0])
    traj = nagcore.run(nagcore.nesterov(lr=np.array([0.01, 0.02, 0.05])), p, p.x0, 100)
    assert traj.x.shape == (101, 3, 3) and traj.x.dtype == np.float64


# Stability limits of lr * L on a quadratic (derived in the theory chapter): GD 2; heavy ball
# 2 (1 + m); Nesterov 2 (1 + m) / (1 + 2 m).
LIMITS = {
    "gd": (lambda lr, m: nagcore.gradient_descent(lr), lambda m: 2.0),
    "momentum": (nagcore.momentum, lambda m: 2 * (1 + m)),
    "nesterov": (nagcore.nesterov, lambda m: 2 * (1 + m) / (1 + 2 * m)),
}


@pytest.mark.parametrize("method", sorted(LIMITS))
@pytest.mark.parametrize("m", [0.0, 0.5, 0.9])
def test_learning_rate_past_stability_limit_diverges_and_is_flagged_quietly(method, m):
    p = problems.quadratic([1.0, 4.0])
    make, limit = LIMITS[method]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any numpy overflow warning would fail the test
        bad = nagcore.run(make(1.05 * limit(m) / p.L, m), p, p.x0, 5000)
        good = nagcore.run(make(0.95 * limit(m) / p.L, m), p, p.x0, 5000)
    assert bad.diverged is True and good.diverged is False
    assert np.linalg.norm(good.x[-1] - p.x_star) < 1e-3


def test_gradient_descent_threshold_is_two_over_L():
    p = problems.quadratic([0.5, 2.0])
    lrs = np.array([0.95, 0.99, 1.01, 1.05]) * 2 / p.L
    traj = nagcore.run(nagcore.gradient_descent(lrs), p, p.x0, 3000)
    np.testing.assert_array_equal(traj.diverged, [False, False, True, True])


@pytest.mark.parametrize("make, keys", [(nagcore.gradient_descent, ["lr"]), (nagcore.momentum, ["lr", "momentum"]), (nagcore.nesterov, ["lr", "momentum"])])
def test_hyperparameters_and_initial_state(make, keys):
    opt = make(np.array([0.1, 0.2]))
    assert list(opt.hyperparams) == keys and opt.batch_shape == (2,)
    np.testing.assert_array_equal(opt.hyperparams["lr"], [0.1, 0.2])
    state = opt.init(np.ones((2, 3), dtype=np.int64))
    if keys == ["lr"]:
        assert state == ()
    else:
        assert state.velocity.shape == (2, 3) and state.velocity.dtype == np.float64 and not state.velocity.any()
        assert opt.hyperparams["momentum"] == 0.9  # the default
