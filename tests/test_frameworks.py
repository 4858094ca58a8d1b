"""Keras (on JAX), optax and scikit-learn train the digits network exactly as nagcore does.

The chapter on NAG in practice shows one setting; here both switches (``nesterov`` True and False),
other learning rates and momenta, and a learning-rate schedule, each against the book's change of
variables: the frameworks store the look-ahead point phi_t = theta_t - m (theta_(t-1) - theta_t).
"""

import os
import warnings

import numpy as np
import pytest

import nagcore
from nagcore import mlp

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402  (a default dependency: a missing one is an error, not a skip)
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import optax  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

keras.config.set_floatx("float64")
# Keras's get_weights() converts its variables with a numpy call that numpy 2 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
HIDDEN, BATCH, EPOCHS = 8, 50, 2


@pytest.fixture(scope="module")
def setup():
    data = mlp.load_digits(np.random.default_rng(5))
    net = mlp.mlp((64, HIDDEN, 10))
    return data, net, net.init(np.random.default_rng(6))


def book_iterates(setup, lr, m, nesterov, schedule=None):
    """nagcore's iterates mapped to what a framework stores after the last step."""
    data, net, w0 = setup
    steps = EPOCHS * -(-data.n_train // BATCH)
    oracle = mlp.minibatch_gradient(net, data.X_train, data.y_train, mlp.batches(data.n_train, BATCH, None), schedule=schedule)
    theta = nagcore.run((nagcore.nesterov if nesterov else nagcore.momentum)(lr, m), oracle, w0, steps).x
    return theta[-1] - m * (theta[-2] - theta[-1]) if nesterov else theta[-1]


def keras_weights(setup, optimizer):
    data, net, w0 = setup
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(HIDDEN, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.set_weights([a for layer in net.unflatten(w0) for a in layer])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    model.fit(data.X_train, np.eye(10)[data.y_train], batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    return np.concatenate([a.ravel() for a in model.get_weights()])


def optax_weights(setup, tx):
    data, net, w0 = setup

    def loss(params, Xb, yb):
        (W1, b1), (W2, b2) = params
        z = jax.nn.relu(Xb @ W1 + b1) @ W2 + b2
        return jnp.mean(jax.nn.logsumexp(z, axis=-1) - z[jnp.arange(yb.size), yb])

    @jax.jit
    def step(params, state, Xb, yb):
        updates, state = tx.update(jax.grad(loss)(params, Xb, yb), state, params)
        return optax.apply_updates(params, updates), state

    params = net.unflatten(jnp.asarray(w0))
    state = tx.init(params)
    batches = mlp.batches(data.n_train, BATCH, None)
    for _ in range(EPOCHS * -(-data.n_train // BATCH)):
        rows = next(batches)
        params, state = step(params, state, data.X_train[rows], data.y_train[rows])
    return np.concatenate([np.ravel(a) for layer in params for a in layer])


def sklearn_weights(setup, lr, m, nesterov):
    data, net, w0 = setup
    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), solver="sgd", alpha=0.0, batch_size=BATCH, learning_rate_init=lr,
                        momentum=m, nesterovs_momentum=nesterov, shuffle=False, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.X_train, data.y_train)
        clf.coefs_ = [W.copy() for W, _ in net.unflatten(w0)]
        clf.intercepts_ = [b.copy() for _, b in net.unflatten(w0)]
        clf.set_params(warm_start=True, max_iter=EPOCHS).fit(data.X_train, data.y_train)
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in zip(clf.coefs_, clf.intercepts_)])


CASES = [(0.2, 0.8, True), (0.2, 0.8, False), (0.05, 0.95, True)]


@pytest.mark.parametrize("lr, m, nesterov", CASES)
def test_keras_sgd(setup, lr, m, nesterov):
    ref = book_iterates(setup, lr, m, nesterov)
    got = keras_weights(setup, keras.optimizers.SGD(learning_rate=lr, momentum=m, nesterov=nesterov))
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-12)
    assert np.abs(got - setup[2]).max() > 0.3


@pytest.mark.parametrize("lr, m, nesterov", CASES)
def test_optax_sgd(setup, lr, m, nesterov):
    ref = book_iterates(setup, lr, m, nesterov)
    np.testing.assert_allclose(optax_weights(setup, optax.sgd(lr, momentum=m, nesterov=nesterov)), ref, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("lr, m, nesterov", CASES)
def test_sklearn_mlp_classifier(setup, lr, m, nesterov):
    ref = book_iterates(setup, lr, m, nesterov)
    np.testing.assert_allclose(sklearn_weights(setup, lr, m, nesterov), ref, rtol=1e-11, atol=1e-12)


def test_a_schedule_is_the_book_form_in_keras_and_not_in_optax(setup):
    """Keras scales only new gradients (v includes lr); optax scales its whole buffer at once."""
    lr, m, drop = 0.2, 0.9, 30
    schedule = lambda t: 1.0 if t < drop else 0.25  # noqa: E731
    ref = book_iterates(setup, lr, m, True, schedule)
    keras_lr = keras.optimizers.schedules.PiecewiseConstantDecay([drop - 1], [lr, lr / 4])
    np.testing.assert_allclose(keras_weights(setup, keras.optimizers.SGD(keras_lr, momentum=m, nesterov=True)), ref, rtol=1e-11, atol=1e-12)
    got = optax_weights(setup, optax.sgd(optax.piecewise_constant_schedule(lr, {drop: 0.25}), m, nesterov=True))
    assert np.abs(got - ref).max() > 1e-2
