"""The numpy network and its data: gradients against finite differences and JAX, batching, mini-batches, training."""

import numpy as np
import pytest

import nagcore
from nagcore import mlp

import jax  # noqa: E402  (a default dependency: a missing one is an error, not a skip)
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return mlp.load_digits(np.random.default_rng(0))


def central_differences(f, w, coords, h=1e-6):
    out = []
    for i in coords:
        e = np.zeros_like(w)
        e[i] = h
        out.append((f(w + e) - f(w - e)) / (2 * h))
    return np.array(out)


def jax_loss(sizes, activation):
    """The same network written independently in JAX, on its own parameter layout (Keras's)."""
    act = {"relu": jax.nn.relu, "tanh": jnp.tanh}[activation]

    def loss(w, X, y):
        h, start = X, 0
        for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            W = w[start : start + fan_in * fan_out].reshape(fan_in, fan_out)
            b = w[start + fan_in * fan_out : start + fan_in * fan_out + fan_out]
            start += fan_in * fan_out + fan_out
            h = h @ W + b
            if l < len(sizes) - 2:
                h = act(h)
        return jnp.mean(jax.nn.logsumexp(h, axis=-1) - h[jnp.arange(y.size), y])

    return loss


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("sizes", [(64, 10), (64, 16, 10), (64, 12, 8, 10)])
def test_gradient_matches_finite_differences(data, sizes, activation):
    net = mlp.mlp(sizes, activation)
    rng = np.random.default_rng(3)
    w = net.init(rng) + 0.1 * rng.standard_normal(net.dim)  # non-zero biases too
    X, y = data.X_train[:50], data.y_train[:50]
    coords = rng.choice(net.dim, size=40, replace=False)
    fd = central_differences(lambda v: net.loss(v, X, y), w, coords)
    np.testing.assert_allclose(net.grad(w, X, y)[coords], fd, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("sizes", [(64, 10), (64, 32, 10), (64, 12, 8, 10)])
def test_loss_and_gradient_match_jax_autodiff(data, sizes, activation):
    net = mlp.mlp(sizes, activation)
    loss = jax_loss(sizes, activation)
    rng = np.random.default_rng(4)
    X, y = data.X_train[:100], data.y_train[:100]
    value_and_grad = jax.jit(jax.value_and_grad(loss))
    for w in net.init(rng, (3,)) + 0.05 * rng.standard_normal((3, net.dim)):
        value, grad = value_and_grad(w, X, y)
        np.testing.assert_allclose(net.loss(w, X, y), value, rtol=1e-13)
        np.testing.assert_allclose(net.grad(w, X, y), grad, rtol=1e-10, atol=1e-14)


def test_batched_parameters_and_per_seed_batches_equal_separate_calls(data):
    net = mlp.mlp((64, 16, 10))
    w = net.init(np.random.default_rng(5), (2, 3))  # 2 seeds x 3 settings
    rows = np.array([np.arange(20), np.arange(20, 40)])  # each seed its own batch
    X = data.X_train[rows][:, None]  # (2, 1, 20, 64): seeds line up with w's first axis
    y = data.y_train[rows][:, None]
    g, f = net.grad(w, X, y), net.loss(w, X, y)
    assert g.shape == (2, 3, net.dim) and f.shape == (2, 3)
    for s in range(2):
        for j in range(3):
            np.testing.assert_allclose(g[s, j], net.grad(w[s, j], data.X_train[rows[s]], data.y_train[rows[s]]), rtol=1e-13, atol=1e-16)
            np.testing.assert_allclose(f[s, j], net.loss(w[s, j], data.X_train[rows[s]], data.y_train[rows[s]]), rtol=1e-13)


def test_init_is_glorot_uniform_with_zero_biases():
    net = mlp.mlp((64, 32, 10))
    w = net.init(np.random.default_rng(0), (200,))
    (W1, b1), (W2, b2) = net.unflatten(w)
    assert not b1.any() and not b2.any()
    for W, (fan_in, fan_out) in ((W1, (64, 32)), (W2, (32, 10))):
        bound = np.sqrt(6 / (fan_in + fan_out))
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound
        assert abs(W.var() - bound**2 / 3) < 0.02 * bound**2  # variance of U(-a, a) is a^2 / 3


def test_unflatten_gives_views_in_keras_order():
    net = mlp.mlp((3, 2, 2))
    w = np.arange(net.dim, dtype=float)
    (W1, b1), (W2, b2) = net.unflatten(w)
    np.testing.assert_array_equal(W1, [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(b1, [6, 7])
    np.testing.assert_array_equal(W2, [[8, 9], [10, 11]])
    np.testing.assert_array_equal(b2, [12, 13])
    W1[0, 0] = -1.0
    assert w[0] == -1.0


def test_accuracy_counts_correct_labels():
    net = mlp.mlp((2, 2))
    w = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])  # logits = x
    X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    assert net.accuracy(w, X, np.array([0, 1, 1, 1])) == 0.75


def test_digits_split_is_disjoint_complete_and_seeded():
    a, b = mlp.load_digits(np.random.default_rng(1)), mlp.load_digits(np.random.default_rng(1))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    parts = [a.X_train, a.X_val, a.X_test]
    assert sum(len(p) for p in parts) == 1797 and a.n_train == 1079
    rows = {tuple(r) for p in parts for r in p}
    assert len(rows) >= 1797 - 50  # the data set itself repeats a few images
    assert all(p.min() >= 0 and p.max() <= 1 for p in parts)
    assert set(np.unique(a.y_train)) == set(range(10))
    c = mlp.load_digits(np.random.default_rng(2), val_fraction=0.0, test_fraction=0.5)
    assert c.X_val.shape == (0, 64) and c.X_test.shape[0] == 898


def test_batches_cover_each_epoch_exactly_once():
    it = mlp.batches(10, 4, np.random.default_rng(0))
    for _ in range(3):
        epoch = [next(it) for _ in range(3)]
        assert [len(b) for b in epoch] == [4, 4, 2]
        assert sorted(np.concatenate(epoch).tolist()) == list(range(10))
    fixed = mlp.batches(10, 4, None)
    assert [next(fixed).tolist() for _ in range(4)][3] == [0, 1, 2, 3]
    stacked = mlp.batches(10, 5, [np.random.default_rng(0), np.random.default_rng(1)])
    first = np.concatenate([next(stacked), next(stacked)], axis=1)
    assert first.shape == (2, 10) and all(sorted(r) == list(range(10)) for r in first.tolist())
    assert not np.array_equal(first[0], first[1])


def test_schedule_on_the_gradient_is_a_learning_rate_schedule_for_momentum(data):
    """v <- g v + lr_t g(theta), theta <- theta - v, written out, against the scaled oracle."""
    net = mlp.mlp((64, 8, 10))
    w0 = net.init(np.random.default_rng(6))
    lr, mom, T = 0.2, 0.9, 60
    schedule = lambda t: 1.0 if t < 30 else 0.1  # noqa: E731
    oracle = mlp.minibatch_gradient(net, data.X_train, data.y_train, mlp.batches(data.n_train, 32, None), schedule=schedule)
    got = nagcore.run(nagcore.nesterov(lr, mom), oracle, w0, T).x
    it = mlp.batches(data.n_train, 32, None)
    theta, v, ref = w0, np.zeros_like(w0), [w0]
    for t in range(T):
        rows = next(it)
        v = mom * v + lr * schedule(t) * net.grad(theta - mom * v, data.X_train[rows], data.y_train[rows])
        theta = theta - v
        ref.append(theta)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("make", [lambda: nagcore.nesterov(np.array([0.05, 0.3]), 0.9), lambda: nagcore.adam(np.array([1e-3, 1e-2]))])
def test_train_equals_one_long_run(data, make):
    net = mlp.mlp((64, 8, 10))
    w0 = net.init(np.random.default_rng(7))

    def oracle():
        return mlp.minibatch_gradient(net, data.X_train, data.y_train, mlp.batches(data.n_train, 64, np.random.default_rng(8)))

    ck = mlp.train(make(), oracle(), w0, 51, every=17)
    full = nagcore.run(make(), oracle(), w0, 51)
    np.testing.assert_array_equal(ck.steps, [0, 17, 34, 51])
    np.testing.assert_array_equal(ck.x, full.x[::17])
    np.testing.assert_array_equal(ck.diverged, [False, False])


def test_train_flags_a_diverging_run_and_keeps_the_others(data):
    net = mlp.mlp((64, 8, 10))
    w0 = net.init(np.random.default_rng(9))
    oracle = mlp.minibatch_gradient(net, data.X_train, data.y_train, mlp.batches(data.n_train, 32, None))
    with np.errstate(all="raise"):  # nothing may warn outside run's own silenced loop
        ck = mlp.train(nagcore.momentum(np.array([0.1, 1e6]), 0.9), oracle, w0, 40, every=10)
    np.testing.assert_array_equal(ck.diverged, [False, True])
    assert np.isfinite(ck.x[:, 0]).all() and np.isnan(ck.x[-1, 1]).all()


def test_minibatch_training_learns_the_digits(data):
    net = mlp.mlp((64, 32, 10))
    oracle = mlp.minibatch_gradient(net, data.X_train, data.y_train, mlp.batches(data.n_train, 32, np.random.default_rng(0)))
    ck = mlp.train(nagcore.nesterov(0.1, 0.9), oracle, net.init(np.random.default_rng(1)), 340, every=34)
    assert net.accuracy(ck.x[-1], data.X_test, data.y_test) > 0.93
    assert net.loss(ck.x[-1], data.X_train, data.y_train) < 0.05 * net.loss(ck.x[0], data.X_train, data.y_train)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mlp.mlp((64,)), "sizes must list at least two"),
        (lambda: mlp.mlp("64"), "sizes must list at least two"),
        (lambda: mlp.mlp((64, 0, 10)), "sizes must be an integer >= 1"),
        (lambda: mlp.mlp((64, 10), activation="sigmoid"), "activation must be one of"),
        (lambda: mlp.mlp((4, 2)).init(0), "rng must be a numpy.random.Generator"),
        (lambda: mlp.batches(10, 0, None), "batch_size must be an integer >= 1"),
        (lambda: mlp.batches(10, 11, None), r"batch_size must be in \[1, 10\]"),
        (lambda: mlp.batches(10, 2, 42), "rng must be a numpy.random.Generator, a list of them, or None"),
        (lambda: mlp.batches(10, 2, [np.random.default_rng(0), 1]), "rng given as a list"),
        (lambda: mlp.load_digits(0), "rng must be a numpy.random.Generator"),
        (lambda: mlp.load_digits(np.random.default_rng(0), val_fraction=0.5, test_fraction=0.5), "val_fraction \\+ test_fraction < 1"),
        (lambda: mlp.load_digits(np.random.default_rng(0), test_fraction=0.0), "test_fraction must be > 0"),
        (lambda: mlp.minibatch_gradient(mlp.mlp((4, 2)), np.ones((3, 5)), np.zeros(3, int), iter([])), r"X must have shape \(n, 4\)"),
        (lambda: mlp.minibatch_gradient(mlp.mlp((4, 2)), np.ones((3, 4)), np.array([0, 1, 2]), iter([])), r"y must be 3 integer labels in \[0, 2\)"),
        (lambda: mlp.minibatch_gradient(mlp.mlp((4, 2)), np.ones((3, 4)), np.array([0.0, 1.0, 1.0]), iter([])), "y must be 3 integer labels"),
        (lambda: mlp.train(nagcore.nesterov(0.1), lambda w: w, np.ones(2), 10, every=3), "steps must be a multiple of every=3"),
        (lambda: mlp.train(nagcore.nesterov(0.1), lambda w: w, np.ones(2), 10, every=0), "every must be an integer >= 1"),
        (lambda: mlp.train(nagcore.nesterov(0.1), lambda w: w, [np.nan, 1.0], 10, every=5), "w0 must be finite"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
