r"""A small neural network in numpy, the digits it learns to read, and the mini-batches it sees.

The book's optimizers act on a flat parameter vector whose last axis is the parameter index and
whose leading axes are independent runs. :func:`mlp` builds a multilayer perceptron on that
convention: its loss and gradient take ``w`` of shape ``batch_shape + (dim,)``, so a whole grid of
learning rates and momenta trains as one array operation, every run on the same mini-batches.

* :func:`load_digits` splits scikit-learn's 1,797 handwritten digits (8x8 pixels, shipped with the
  package, no download) into training, validation and test sets.
* :func:`mlp` returns a :class:`Network`: softmax cross-entropy on top of dense layers with ReLU (or
  tanh) between them, the forward and backward pass written out by hand.
* :func:`batches` is the explicit mini-batch generator (an epoch is a permutation drawn from a
  ``numpy.random.Generator``); :func:`minibatch_gradient` turns it into the gradient oracle that
  :func:`nagcore.run` calls once per step, optionally scaled by a learning-rate schedule.
* :func:`train` calls :func:`nagcore.run` a few steps (an epoch, say) at a time and keeps only the
  weights at the end of each, because a grid of networks times every step would not fit in memory.

Example:
  >>> import numpy as np, nagcore
  >>> from nagcore import mlp
  >>> data = mlp.load_digits(np.random.default_rng(0))
  >>> net = mlp.mlp((64, 16, 10))
  >>> w0 = net.init(np.random.default_rng(1))
  >>> oracle = mlp.minibatch_gradient(net, data.X_train, data.y_train, mlp.batches(data.n_train, 32, np.random.default_rng(2)))
  >>> traj = nagcore.run(nagcore.nesterov(0.1, 0.9), oracle, w0, 200)
  >>> bool(net.loss(traj.x[-1], data.X_train, data.y_train) < 0.5 * net.loss(w0, data.X_train, data.y_train))
  True
"""

from __future__ import annotations

from typing import Callable, Iterator, NamedTuple, Optional

import numpy as np

from nagcore import _checks
from nagcore.optimizers import Optimizer
from nagcore.run import run

__all__ = ["Dataset", "Network", "Checkpoints", "load_digits", "mlp", "batches", "minibatch_gradient", "train"]

Array = np.ndarray


class Dataset(NamedTuple):
    """A classification data set, split three ways. Features are float64 rows; labels are ints."""

    X_train: Array
    y_train: Array
    X_val: Array
    y_val: Array
    X_test: Array
    y_test: Array
    n_classes: int

    @property
    def n_train(self) -> int:
        """Number of training examples."""
        return self.X_train.shape[0]


class Checkpoints(NamedTuple):
    """Parameters saved every few steps of a training run (see :func:`train`).

    Attributes:
      x: shape ``(checkpoints,) + batch_shape + (dim,)``; ``x[0]`` is the start. Runs that
        diverged hold NaN from the first checkpoint after their divergence.
      steps: the step index of each checkpoint, ``0, every, 2 * every, ...``.
      diverged: bool array of ``batch_shape``, as :func:`nagcore.run` flags it.
    """

    x: Array
    steps: Array
    diverged: Array


class Network(NamedTuple):
    """A multilayer perceptron on flat parameter vectors (leading axes: independent runs).

    Attributes:
      sizes: layer widths, inputs first and classes last, e.g. ``(64, 32, 10)``.
      activation: ``"relu"`` or ``"tanh"``, between the dense layers.
      dim: number of parameters: every layer's weights ``(fan_in, fan_out)`` (row-major), then
        its biases, layer after layer. This is the order of ``keras.Model.get_weights()``.
      init: ``init(rng, batch_shape=()) -> w``: Glorot-uniform weights, zero biases.
      unflatten: ``unflatten(w) -> [(W, b), ...]``, views of ``w`` per layer.
      logits: ``logits(w, X) -> z``, shape ``batch_shape + (n, classes)``.
      loss: ``loss(w, X, y) -> mean cross-entropy``, shape ``batch_shape``.
      grad: ``grad(w, X, y) -> dloss/dw``, shape ``batch_shape + (dim,)``.
      accuracy: ``accuracy(w, X, y) -> fraction of correct labels``, shape ``batch_shape``.
    """

    sizes: tuple
    activation: str
    dim: int
    init: Callable
    unflatten: Callable
    logits: Callable
    loss: Callable
    grad: Callable
    accuracy: Callable


_ACTIVATIONS = {
    # name: (function, derivative written in terms of the pre-activation a)
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
}


def load_digits(rng: np.random.Generator, *, val_fraction: float = 0.2, test_fraction: float = 0.2) -> Dataset:
    """scikit-learn's handwritten digits, pixel values scaled to [0, 1], split at random.

    The 1,797 images of 8x8 pixels ship inside scikit-learn, so nothing is downloaded. The split is a
    permutation drawn from ``rng``; the validation set is for early stopping, the test set is
    looked at only to report accuracy.

    Args:
      rng: the ``numpy.random.Generator`` that draws the split.
      val_fraction: share of the examples held out for validation, in [0, 1).
      test_fraction: share held out for testing, in (0, 1); with ``val_fraction`` below 1.

    Returns:
      A :class:`Dataset` with 64 features and 10 classes.

    Example:
      >>> import numpy as np
      >>> d = load_digits(np.random.default_rng(0))
      >>> d.X_train.shape, d.X_val.shape, d.X_test.shape, d.n_classes
      ((1079, 64), (359, 64), (359, 64), 10)
    """
    from sklearn.datasets import load_digits as sklearn_digits

    val = float(_checks.unit_interval("val_fraction", val_fraction))
    test = float(_checks.unit_interval("test_fraction", test_fraction))
    if test == 0 or val + test >= 1:
        raise ValueError(f"test_fraction must be > 0 and val_fraction + test_fraction < 1, got {val_fraction!r} and {test_fraction!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}")
    digits = sklearn_digits()
    X, y = digits.data / 16.0, digits.target.astype(int)
    n = y.size
    n_test, n_val = round(test * n), round(val * n)
    order = rng.permutation(n)
    test_rows, val_rows, train_rows = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return Dataset(X[train_rows], y[train_rows], X[val_rows], y[val_rows], X[test_rows], y[test_rows], 10)


def mlp(sizes=(64, 32, 10), activation: str = "relu") -> Network:
    r"""A multilayer perceptron with a softmax cross-entropy loss, its gradient written by hand.

    With :math:`h_0 = x`, hidden layers :math:`h_l = \sigma(h_{l-1} W_l + b_l)` and logits
    :math:`z = h_{L-1} W_L + b_L`, the loss on a batch of :math:`n` examples with labels :math:`y_i`
    is :math:`\frac1n \sum_i \big(\log \sum_k e^{z_{ik}} - z_{i y_i}\big)`. Backpropagation starts
    from :math:`\partial \mathrm{loss}/\partial z = (\mathrm{softmax}(z) - \mathrm{onehot}(y))/n`.

    Args:
      sizes: layer widths, at least two integers >= 1 (inputs and classes).
      activation: ``"relu"`` or ``"tanh"``.

    Returns:
      A :class:`Network`.

    Example:
      >>> import numpy as np
      >>> net = mlp((4, 3, 2))
      >>> net.dim                                   # 4*3 + 3 + 3*2 + 2
      23
      >>> w = net.init(np.random.default_rng(0), (5,))
      >>> X, y = np.ones((7, 4)), np.zeros(7, dtype=int)
      >>> net.loss(w, X, y).shape, net.grad(w, X, y).shape
      ((5,), (5, 23))
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths (inputs, classes), got {sizes!r}")
    sizes = tuple(_checks.count("sizes", s, minimum=1) for s in sizes)
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    act, act_prime = _ACTIVATIONS[activation]
    shapes = list(zip(sizes[:-1], sizes[1:]))
    offsets = np.cumsum([0] + [i * o + o for i, o in shapes])
    dim = int(offsets[-1])

    def unflatten(w):
        batch = w.shape[:-1]
        layers = []
        for (fan_in, fan_out), start in zip(shapes, offsets):
            mid = start + fan_in * fan_out
            layers.append((w[..., start:mid].reshape(batch + (fan_in, fan_out)), w[..., mid : mid + fan_out]))
        return layers

    def init(rng, batch_shape=()):
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        w = np.zeros(tuple(batch_shape) + (dim,))
        for (W, _), (fan_in, fan_out) in zip(unflatten(w), shapes):
            bound = np.sqrt(6.0 / (fan_in + fan_out))
            W[...] = rng.uniform(-bound, bound, W.shape)
        return w

    def forward(w, X):
        """Pre-activations and activations of every layer; the last pre-activation is the logits."""
        layers = unflatten(w)
        pre, post = [], [X]
        for l, (W, b) in enumerate(layers):
            a = post[-1] @ W + b[..., np.newaxis, :]
            pre.append(a)
            if l < len(layers) - 1:
                post.append(act(a))
        return pre, post

    def logits(w, X):
        return forward(w, X)[0][-1]

    def loss(w, X, y):
        z = logits(w, X)
        top = z.max(axis=-1, keepdims=True)
        lse = top[..., 0] + np.log(np.exp(z - top).sum(axis=-1))
        labels = np.broadcast_to(y[..., np.newaxis], z.shape[:-1] + (1,))
        return np.mean(lse - np.take_along_axis(z, labels, axis=-1)[..., 0], axis=-1)

    def grad(w, X, y):
        pre, post = forward(w, X)
        z = pre[-1]
        p = np.exp(z - z.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        delta = (p - (y[..., np.newaxis] == np.arange(z.shape[-1]))) / y.shape[-1]  # d loss / d z
        out = np.empty(np.broadcast_shapes(w.shape[:-1], z.shape[:-2]) + (dim,))
        grads = unflatten(out)
        layers = unflatten(w)
        for l in range(len(layers) - 1, -1, -1):
            gW, gb = grads[l]
            gW[...] = np.swapaxes(post[l], -1, -2) @ delta
            gb[...] = delta.sum(axis=-2)
            if l > 0:
                delta = (delta @ np.swapaxes(layers[l][0], -1, -2)) * act_prime(pre[l - 1])
        return out

    def accuracy(w, X, y):
        return np.mean(logits(w, X).argmax(axis=-1) == y, axis=-1)

    return Network(sizes, activation, dim, init, unflatten, logits, loss, grad, accuracy)


def batches(n: int, batch_size: int, rng) -> Iterator[Array]:
    """Row indices of mini-batches, epoch after epoch, for ever.

    Each epoch visits every example exactly once (sampling without replacement, as data loaders
    do), in an order drawn from ``rng``, or in the stored order when ``rng`` is None (the
    ``shuffle=False`` of Keras and scikit-learn). When ``n`` is not a multiple of ``batch_size``
    the last batch of an epoch is smaller.

    Args:
      n: number of examples, >= 1.
      batch_size: examples per batch, in [1, n].
      rng: a ``numpy.random.Generator``; None for a fixed order; or a list of generators, one per
        seed, whose index arrays are stacked (shape ``(seeds, batch)``) so that each seed sees
        its own mini-batches (see :func:`minibatch_gradient`).

    Yields:
      int arrays of row indices, shape ``(batch,)`` or ``(seeds, batch)``.

    Example:
      >>> it = batches(5, 2, None)
      >>> [b.tolist() for b in (next(it), next(it), next(it), next(it))]
      [[0, 1], [2, 3], [4], [0, 1]]
      >>> next(batches(5, 2, [np.random.default_rng(0), np.random.default_rng(1)])).shape
      (2, 2)
    """
    n = _checks.count("n", n, minimum=1)
    size = _checks.count("batch_size", batch_size, minimum=1)
    if size > n:
        raise ValueError(f"batch_size must be in [1, {n}] (the number of examples), got {batch_size!r}")
    if isinstance(rng, (list, tuple)):
        if not rng or not all(isinstance(r, np.random.Generator) for r in rng):
            raise ValueError("rng given as a list must hold at least one numpy.random.Generator and nothing else")
        return (np.stack(rows) for rows in zip(*(_batches(n, size, r) for r in rng)))
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, a list of them, or None (fixed order), got {type(rng).__name__}")
    return _batches(n, size, rng)


def _batches(n, size, rng):
    while True:
        order = np.arange(n) if rng is None else rng.permutation(n)
        for start in range(0, n, size):
            yield order[start : start + size]


def minibatch_gradient(net: Network, X, y, batch_indices: Iterator[Array], *, schedule: Optional[Callable[[int], float]] = None) -> Callable[[Array], Array]:
    r"""The stochastic gradient oracle for :func:`nagcore.run`: each call uses the next mini-batch.

    All runs of a batched ``w`` see the same mini-batch at each step, unless ``batch_indices``
    yields 2-D arrays (one row per seed, from :func:`batches` with a list of generators): then
    the first batch axis of ``w`` is the seed axis, and each seed trains on its own mini-batches.
    With a ``schedule`` the
    gradient of call :math:`t = 0, 1, \dots` is multiplied by ``schedule(t)``. For the velocity form
    of :func:`nagcore.momentum` and :func:`nagcore.nesterov`, :math:`v_{t+1} = \gamma v_t + \eta g_t`,
    that is exactly a learning rate :math:`\eta_t = \eta \cdot \mathrm{schedule}(t)` (the way Keras
    and scikit-learn apply a schedule). It is not a schedule for Adam, RMSprop or Nadam, whose
    steps do not change when the gradient is scaled.

    The oracle keeps its place in ``batch_indices``: make a fresh one per :func:`nagcore.run` call.

    Args:
      net: a :class:`Network`.
      X: features, shape ``(n, net.sizes[0])``.
      y: integer labels in ``[0, net.sizes[-1])``, shape ``(n,)``.
      batch_indices: an iterator of row-index arrays, e.g. :func:`batches`.
      schedule: optional multiplier of the gradient at call ``t``.

    Returns:
      ``grad(w)`` mapping ``batch_shape + (dim,)`` to the same shape.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != net.sizes[0]:
        raise ValueError(f"X must have shape (n, {net.sizes[0]}), got {X.shape}")
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= net.sizes[-1]:
        raise ValueError(f"y must be {X.shape[0]} integer labels in [0, {net.sizes[-1]}), got shape {y.shape} and dtype {y.dtype}")
    calls = [0]

    def grad(w):
        rows = next(batch_indices)
        Xb, yb = X[rows], y[rows]
        if rows.ndim == 2:  # one row of indices per seed: line the seeds up with w's first axis
            extra = (1,) * (w.ndim - 2)
            Xb = Xb.reshape(Xb.shape[:1] + extra + Xb.shape[1:])
            yb = yb.reshape(yb.shape[:1] + extra + yb.shape[1:])
        g = net.grad(w, Xb, yb)
        if schedule is not None:
            g *= schedule(calls[0])
        calls[0] += 1
        return g

    return grad


def train(optimizer: Optimizer, oracle: Callable[[Array], Array], w0, steps: int, every: int) -> Checkpoints:
    """Train with :func:`nagcore.run`, keeping the parameters only every ``every`` steps.

    A network has thousands of parameters, and a grid of runs times every step would not fit in
    memory. This calls :func:`nagcore.run` for ``every`` steps at a time and hands the optimizer's
    state from one call to the next, so the iterates are exactly those of one long run.

    Args:
      optimizer: any :class:`~nagcore.optimizers.Optimizer`.
      oracle: the gradient function, e.g. from :func:`minibatch_gradient`.
      w0: start, shape ``batch_shape + (dim,)``.
      steps: total number of steps, a multiple of ``every``.
      every: steps between checkpoints, >= 1 (an epoch, say).

    Returns:
      :class:`Checkpoints`.

    Example:
      >>> import numpy as np, nagcore
      >>> grad = lambda x: x                       # f(x) = x^2 / 2
      >>> ck = train(nagcore.momentum(0.5, 0.5), grad, np.ones(1), 12, every=4)
      >>> full = nagcore.run(nagcore.momentum(0.5, 0.5), grad, np.ones(1), 12)
      >>> ck.steps, bool(np.array_equal(ck.x, full.x[::4]))
      (array([ 0,  4,  8, 12]), True)
    """
    steps = _checks.count("steps", steps)
    every = _checks.count("every", every, minimum=1)
    if steps % every:
        raise ValueError(f"steps must be a multiple of every={every}, got {steps!r}")
    w = _checks.finite_vector("w0", w0)
    w = np.array(np.broadcast_to(w, np.broadcast_shapes(w.shape[:-1], optimizer.batch_shape) + w.shape[-1:]))
    last = []  # the optimizer state after the latest step

    def init(x):
        return last[0] if last else optimizer.init(x)

    def step(grad, x, state):
        x, state = optimizer.step(grad, x, state)
        last[:] = [state]
        return x, state

    resumable = Optimizer(init, step, optimizer.hyperparams)
    saved, diverged = [w], None
    for _ in range(steps // every):
        traj = run(resumable, oracle, np.where(np.isfinite(w), w, 0.0), every)
        flag = np.asarray(traj.diverged) | ~np.all(np.isfinite(traj.x[-1]), axis=-1)
        diverged = flag if diverged is None else diverged | flag
        w = np.where(diverged[..., np.newaxis], np.nan, traj.x[-1])
        saved.append(w)
    if diverged is None:
        diverged = np.zeros(w.shape[:-1], dtype=bool)
    return Checkpoints(np.array(saved), np.arange(0, steps + 1, every), diverged)
