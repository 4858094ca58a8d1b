"""Adam, RMSprop and Nadam: closed forms, the optax and Keras implementations, every problem, bad input, batching."""

import os

import numpy as np
import pytest

import nagcore
from nagcore import adaptive, problems

from conftest import ADAPTIVE, PROBLEMS

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402  (a default dependency: a missing one is an error, not a skip)
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

# lr 0.003 for every problem (Rosenbrock's valley is long: more steps). Adam converges; RMSprop with
# a constant lr only reaches a cycle about lr wide around the minimiser; Nadam lands in between.
STEPS = {"rosenbrock": 20000}


@pytest.mark.parametrize("name", sorted(ADAPTIVE))
@pytest.mark.parametrize("problem_name", sorted(PROBLEMS))
def test_every_adaptive_optimizer_reaches_every_minimiser_to_within_its_step(name, problem_name):
    p = PROBLEMS[problem_name]()
    start = p.x0 if problem_name != "double_well" else np.array([-0.3])  # the global basin
    lr = 0.003
    traj = nagcore.run(ADAPTIVE[name](lr, 0.9), p, start, STEPS.get(problem_name, 5000))
    assert not traj.diverged
    error = np.linalg.norm(traj.x[-1] - p.x_star)
    assert error < 2 * lr * np.sqrt(p.dim)
    if name == "adam":
        assert error < 1e-6 * (1 + np.linalg.norm(p.x_star))


def test_rmsprop_matches_its_closed_form_on_a_constant_slope():
    # s_t = (1 - rho^t) g^2, so step t is lr g / (sqrt(1 - rho^t) |g| + eps)
    g, lr, rho, eps, T = np.array([0.3, -7.0]), 0.01, 0.9, 1e-8, 40
    x = nagcore.run(nagcore.rmsprop(lr, rho, eps), lambda x: np.broadcast_to(g, x.shape), np.zeros(2), T).x
    t = np.arange(1, T + 1)[:, None]
    expected = -np.cumsum(lr * g / (np.sqrt(1 - rho**t) * np.abs(g) + eps), axis=0)
    np.testing.assert_allclose(x[1:], expected, rtol=1e-13)


def test_adam_steps_by_lr_on_a_constant_slope_whatever_its_size():
    # m_hat = g and s_hat = g^2 exactly, so every step is lr g / (|g| + eps)
    for g in (1e-3, 1.0, 1e4):
        x = nagcore.run(nagcore.adam(0.05), lambda x: np.full_like(x, g), np.zeros(1), 30).x[:, 0]
        np.testing.assert_allclose(np.diff(x), -0.05 * g / (g + 1e-8), rtol=1e-12)


def test_nadam_matches_dozats_formula_on_a_constant_slope():
    # m_t = (1 - b1^t) g; Dozat's step: lr [(1 - mu_t)/(1 - P_t) + mu_{t+1} (1 - b1^t)/(1 - P_t mu_{t+1})] g / (|g| + eps)
    b1, lr, psi, T, g = 0.9, 0.02, 0.004, 60, 2.5
    x = nagcore.run(nagcore.nadam(lr, b1, momentum_decay=psi), lambda x: np.full_like(x, g), np.zeros(1), T).x[:, 0]
    t = np.arange(1, T + 2)
    mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
    P = np.cumprod(mu)
    k = np.arange(T)  # step k + 1 uses mu_t = mu[k], mu_{t+1} = mu[k + 1], P_t = P[k]
    coef = (1 - mu[k]) / (1 - P[k]) + mu[k + 1] * (1 - b1 ** (k + 1)) / (1 - P[k] * mu[k + 1])
    np.testing.assert_allclose(np.diff(x), -lr * coef * g / (g + 1e-8), rtol=1e-12)


def test_adaptive_steps_ignore_the_scale_of_the_gradient():
    """Multiplying f by 1000 leaves the iterates unchanged (up to eps, here negligible)."""
    p = problems.quadratic([0.5, 4.0], rotation=0.3)
    for make in (nagcore.adam, nagcore.nadam, nagcore.rmsprop):
        base = nagcore.run(make(0.01, eps=1e-300), p.grad, p.x0, 100).x
        big = nagcore.run(make(0.01, eps=1e-300), lambda x: 1000 * p.grad(x), p.x0, 100).x
        np.testing.assert_allclose(big, base, rtol=1e-8, atol=1e-12)


def _optax_iterates(tx, p, steps):
    """Iterate an optax transformation with JAX's own gradient of the quadratic ``p`` (float64).

    The Hessian is read off nagcore's gradient column by column, and the objective is written in
    jax.numpy, so the gradient the reference uses is JAX's autodiff, not nagcore's code.
    """
    hessian = jnp.asarray(np.stack([p.grad(p.x_star + e) for e in np.eye(p.dim)], axis=-1))
    x_star = jnp.asarray(p.x_star)

    def f(x):
        return 0.5 * (x - x_star) @ hessian @ (x - x_star)

    @jax.jit
    def step(params, state):
        updates, state = tx.update(jax.grad(f)(params), state, params)
        return optax.apply_updates(params, updates), state

    params = jnp.asarray(p.x0)
    state = tx.init(params)
    out = [np.asarray(params)]
    for _ in range(steps):
        params, state = step(params, state)
        out.append(np.asarray(params))
    return np.array(out)


OPTAX_VARIANTS = [
    ("adam", lambda: optax.adam(0.02, b1=0.8, b2=0.99, eps=1e-6), lambda: nagcore.adam(0.02, 0.8, 0.99, 1e-6)),
    ("nadam (no schedule)", lambda: optax.nadam(0.02, b1=0.8, b2=0.99, eps=1e-6),
     lambda: nagcore.nadam(0.02, 0.8, 0.99, 1e-6, momentum_decay=np.inf)),
    ("rmsprop, eps outside the root", lambda: optax.rmsprop(0.01, decay=0.95, eps=1e-6, eps_in_sqrt=False),
     lambda: nagcore.rmsprop(0.01, 0.95, 1e-6)),
    ("rmsprop, eps inside the root (optax's default)", lambda: optax.rmsprop(0.01, decay=0.95, eps=1e-6),
     lambda: nagcore.rmsprop(0.01, 0.95, 1e-6, eps_in_sqrt=True)),
]


@pytest.mark.parametrize("name, make_optax, make_nagcore", OPTAX_VARIANTS, ids=[v[0] for v in OPTAX_VARIANTS])
def test_each_step_matches_optax(name, make_optax, make_nagcore):
    p = problems.quadratic(condition_number=30, rotation=0.6, x_star=[0.5, -1.0])
    ref = _optax_iterates(make_optax(), p, 150)
    mine = nagcore.run(make_nagcore(), p, p.x0, 150).x
    np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-14)
    assert np.linalg.norm(mine[-1] - mine[0]) > 0.5  # the runs went somewhere


def test_the_variants_differ_where_the_docstrings_say():
    """Each documented detail changes the iterates: eps placement, and Nadam's momentum schedule."""
    p = problems.quadratic(condition_number=30, rotation=0.6)
    far = {}
    for name, pair in {
        "eps": (nagcore.rmsprop(0.01, eps=1e-3), nagcore.rmsprop(0.01, eps=1e-3, eps_in_sqrt=True)),
        "schedule": (nagcore.nadam(0.01), nagcore.nadam(0.01, momentum_decay=np.inf)),
        "nadam vs adam": (nagcore.nadam(0.01, momentum_decay=np.inf), nagcore.adam(0.01)),
    }.items():
        a, b = (nagcore.run(opt, p, p.x0, 100).x for opt in pair)
        far[name] = np.abs(a - b).max()
    assert all(v > 1e-4 for v in far.values()), far


def test_keras_nadam_is_the_schedule_with_momentum_decay_one_and_keras_rmsprop_puts_eps_inside():
    import keras

    assert keras.backend.backend() == "jax"
    keras.config.set_floatx("float64")  # the learning rate too is a Keras variable
    p = problems.quadratic(condition_number=30, rotation=0.6, x_star=[0.5, -1.0])
    cases = [
        (keras.optimizers.Nadam(0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-6), nagcore.nadam(0.02, 0.8, 0.99, 1e-6, momentum_decay=1.0)),
        (keras.optimizers.RMSprop(0.01, rho=0.95, epsilon=1e-6), nagcore.rmsprop(0.01, 0.95, 1e-6, eps_in_sqrt=True)),
        (keras.optimizers.Adam(0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-6), None),
    ]
    for opt, mine in cases:
        var = keras.Variable(p.x0.copy(), dtype="float64")
        ref = [p.x0.copy()]
        for _ in range(40):
            opt.apply_gradients([(keras.ops.convert_to_tensor(p.grad(np.asarray(var))), var)])
            ref.append(np.asarray(var))
        if mine is None:  # Keras's Adam adds eps before the bias correction: close to nagcore's, not equal
            diff = np.abs(nagcore.run(nagcore.adam(0.02, 0.8, 0.99, 1e-6), p, p.x0, 40).x - ref).max()
            assert 1e-9 < diff < 1e-3
        else:
            np.testing.assert_allclose(nagcore.run(mine, p, p.x0, 40).x, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(ADAPTIVE))
def test_batched_grid_equals_separate_runs_exactly(name):
    p = problems.rosenbrock()
    lrs = np.array([1e-3, 1e-2, 0.1])[:, None]
    b1s = np.array([0.0, 0.5, 0.9])
    starts = np.array([[-1.2, 1.0], [0.5, 0.5]])[:, None, None, :]
    batched = nagcore.run(ADAPTIVE[name](lrs, b1s), p, starts, 60)
    assert batched.x.shape == (61, 2, 3, 3, 2)
    for s in range(2):
        for i, lr in enumerate(lrs[:, 0]):
            for j, b1 in enumerate(b1s):
                single = nagcore.run(ADAPTIVE[name](lr, b1), p, starts[s, 0, 0], 60)
                np.testing.assert_array_equal(batched.x[:, s, i, j], single.x)
                assert batched.diverged[s, i, j] == single.diverged


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("factory", [nagcore.adam, nagcore.rmsprop, nagcore.nadam])
@pytest.mark.parametrize("lr", [0.0, -0.1, NAN, INF, [0.1, 0.0]])
def test_bad_learning_rate_raises(factory, lr):
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        factory(lr)


@pytest.mark.parametrize(
    "factory, argument, value, message",
    [
        (nagcore.adam, "b1", 1.0, r"b1 must be in \[0, 1\)"),
        (nagcore.adam, "b2", -0.1, r"b2 must be in \[0, 1\)"),
        (nagcore.adam, "eps", 0.0, "eps must be finite and > 0"),
        (nagcore.nadam, "b1", NAN, r"b1 must be in \[0, 1\)"),
        (nagcore.nadam, "b2", [0.9, 1.5], r"b2 must be in \[0, 1\)"),
        (nagcore.nadam, "eps", -1e-8, "eps must be finite and > 0"),
        (nagcore.nadam, "momentum_decay", 0.0, r"momentum_decay must be > 0 \(np.inf allowed\)"),
        (nagcore.nadam, "momentum_decay", NAN, r"momentum_decay must be > 0"),
        (nagcore.rmsprop, "decay", 1.0, r"decay must be in \[0, 1\)"),
        (nagcore.rmsprop, "eps", INF, "eps must be finite and > 0"),
        (nagcore.rmsprop, "eps_in_sqrt", "yes", "eps_in_sqrt must be True or False"),
    ],
)
def test_bad_hyperparameter_raises_naming_it(factory, argument, value, message):
    with pytest.raises(ValueError, match=message):
        factory(0.1, **{argument: value})


def test_diverging_adaptive_run_is_flagged_not_raised():
    """RMSprop cannot blow up on a bounded-gradient problem, but a huge lr on a steep one is flagged."""
    p = problems.quadratic([1.0, 1e4])
    traj = nagcore.run(nagcore.adam(np.array([1e-3, 1e12])), p, p.x0, 50)
    np.testing.assert_array_equal(traj.diverged, [False, True])


def test_state_is_a_namedtuple_with_documented_fields():
    x = np.zeros((3, 2))
    assert adaptive.AdamState._fields == ("count", "mu", "nu")
    state = nagcore.nadam(np.array([0.1, 0.2, 0.3])).init(x)
    assert state.mu.shape == x.shape and state.mu_product.shape == (3, 1)
    assert nagcore.rmsprop(0.1).init(x).nu.shape == x.shape
