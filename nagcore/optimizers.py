r"""Gradient descent, heavy-ball momentum and Nesterov's accelerated gradient, written as the equations read.

An optimizer is a pair of pure functions in a ``NamedTuple`` (the optax design, simplified):

* ``init(x) -> state`` builds the state for parameters ``x`` (the velocity starts at zero);
* ``step(grad, x, state) -> (x_next, state_next)`` takes one step. It receives the gradient
  *function*, not a gradient value, so that Nesterov's look-ahead point is visible in the code
  exactly where it appears in the maths.

Hyperparameters are captured by the factory. They may be arrays: their shape broadcasts against the
leading (batch) axes of ``x``, so a grid of learning rates and momenta runs as one array operation.
The loop over steps lives in :func:`nagcore.run`, and only there.

References:
  Polyak (1964), Some methods of speeding up the convergence of iteration methods.
  Nesterov (1983), A method for solving the convex programming problem with convergence rate O(1/k^2).
  Sutskever, Martens, Dahl and Hinton (2013), On the importance of initialization and momentum in deep learning.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Callable, Mapping, NamedTuple

import numpy as np

from nagcore import _checks

__all__ = ["Optimizer", "EmptyState", "VelocityState", "gradient_descent", "momentum", "nesterov"]

Array = np.ndarray
GradFn = Callable[[Array], Array]


class EmptyState(NamedTuple):
    """Gradient descent keeps no state."""


class VelocityState(NamedTuple):
    """Momentum methods keep one velocity ``v`` per run, shaped like the parameters."""

    velocity: Array


class Optimizer(NamedTuple):
    """A pair of pure functions plus the hyperparameters they captured.

    Attributes:
      init: ``init(x) -> state``.
      step: ``step(grad, x, state) -> (x_next, state_next)``.
      hyperparams: the validated hyperparameters as float64 arrays (``lr``, and ``momentum`` for
        the momentum methods), read-only copies of what the factory was given, in a read-only
        mapping. Their broadcast shape is the optimizer's batch shape.
    """

    init: Callable[[Array], NamedTuple]
    step: Callable[[GradFn, Array, NamedTuple], tuple[Array, NamedTuple]]
    hyperparams: Mapping[str, Array]

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The shape that the hyperparameter arrays broadcast to (``()`` for scalars)."""
        try:
            return np.broadcast_shapes(*(np.shape(v) for v in self.hyperparams.values()))
        except ValueError:
            shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in self.hyperparams.items())
            raise ValueError(f"hyperparameter shapes do not broadcast: {shapes}") from None


def _column(a: Array) -> Array:
    """Add a trailing axis so a hyperparameter of batch shape multiplies parameters of shape batch + (d,).

    A scalar stays 0-d: then ``eta * grad(x)`` can reuse the gradient's buffer (numpy elides the
    temporary only when the other operand is a scalar or has the same shape).
    """
    return a[..., np.newaxis] if a.ndim else a


def gradient_descent(lr) -> Optimizer:
    r"""Gradient descent: :math:`\theta_{t+1} = \theta_t - \eta \nabla f(\theta_t)`.

    Args:
      lr: learning rate :math:`\eta > 0` (a scalar or an array of learning rates, one per run).

    Returns:
      An :class:`Optimizer`.

    Example:
      >>> import numpy as np
      >>> opt = gradient_descent(lr=0.1)
      >>> grad = lambda x: 2 * x          # f(x) = |x|^2
      >>> x, state = opt.step(grad, np.array([1.0, -2.0]), opt.init(np.zeros(2)))
      >>> x
      array([ 0.8, -1.6])
    """
    lr_ = _checks.positive("lr", lr)
    eta = _column(lr_)

    def init(x):
        return EmptyState()

    def step(grad, x, state):
        return x - eta * grad(x), state

    return Optimizer(init, step, MappingProxyType({"lr": lr_}))


def momentum(lr, momentum=0.9) -> Optimizer:
    r"""Heavy-ball momentum (Polyak, 1964), in the velocity form used by Keras and this book.

    .. math::
       v_{t+1} = \gamma v_t + \eta \nabla f(\theta_t), \qquad \theta_{t+1} = \theta_t - v_{t+1},
       \qquad v_0 = 0.

    PyTorch and optax keep :math:`b_t = v_t / \eta` instead; with a constant learning rate the
    iterates are the same.

    Args:
      lr: learning rate :math:`\eta > 0`.
      momentum: :math:`\gamma \in [0, 1)`; 0 gives gradient descent.

    Returns:
      An :class:`Optimizer` whose state is a :class:`VelocityState`.

    Example:
      >>> import numpy as np
      >>> opt = momentum(lr=0.1, momentum=0.5)
      >>> grad = lambda x: np.ones_like(x)      # a constant slope
      >>> x, s = np.zeros(1), opt.init(np.zeros(1))
      >>> for _ in range(3):
      ...     x, s = opt.step(grad, x, s)
      >>> s.velocity                            # 0.1 * (1 + 0.5 + 0.25)
      array([0.175])
    """
    lr_ = _checks.positive("lr", lr)
    gamma_ = _checks.unit_interval("momentum", momentum)
    eta, gamma = _column(lr_), _column(gamma_)

    def init(x):
        return VelocityState(np.zeros_like(x, dtype=float))

    def step(grad, x, state):
        velocity = gamma * state.velocity + eta * grad(x)
        return x - velocity, VelocityState(velocity)

    return Optimizer(init, step, MappingProxyType({"lr": lr_, "momentum": gamma_}))


def nesterov(lr, momentum=0.9) -> Optimizer:
    r"""Nesterov's accelerated gradient in the look-ahead form (Sutskever et al., 2013).

    .. math::
       v_{t+1} = \gamma v_t + \eta \nabla f(\theta_t - \gamma v_t), \qquad
       \theta_{t+1} = \theta_t - v_{t+1}, \qquad v_0 = 0.

    The only change from :func:`momentum` is *where* the gradient is taken: at the look-ahead point
    :math:`\theta_t - \gamma v_t`, where the velocity alone would carry the parameters.

    PyTorch, Keras and optax (``nesterov=True``) store the look-ahead point
    :math:`\phi_t = \theta_t - \gamma v_t` as their parameters instead; the book derives the change of
    variables and checks it numerically in the Nesterov chapter.

    Args:
      lr: learning rate :math:`\eta > 0`.
      momentum: :math:`\gamma \in [0, 1)`; 0 gives gradient descent.

    Returns:
      An :class:`Optimizer` whose state is a :class:`VelocityState`.

    Example:
      >>> import numpy as np
      >>> opt = nesterov(lr=0.1, momentum=0.5)
      >>> grad = lambda x: x                    # f(x) = x^2 / 2
      >>> x, s = np.array([1.0]), VelocityState(np.array([0.2]))
      >>> x, s = opt.step(grad, x, s)           # gradient at the look-ahead point 1 - 0.5 * 0.2 = 0.9
      >>> s.velocity, x                         # v = 0.5 * 0.2 + 0.1 * 0.9
      (array([0.19]), array([0.81]))
    """
    lr_ = _checks.positive("lr", lr)
    gamma_ = _checks.unit_interval("momentum", momentum)
    eta, gamma = _column(lr_), _column(gamma_)

    def init(x):
        return VelocityState(np.zeros_like(x, dtype=float))

    def step(grad, x, state):
        coasting = gamma * state.velocity  # how far the velocity alone carries the parameters
        lookahead = x - coasting
        velocity = coasting + eta * grad(lookahead)
        return x - velocity, VelocityState(velocity)

    return Optimizer(init, step, MappingProxyType({"lr": lr_, "momentum": gamma_}))
