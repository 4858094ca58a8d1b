r"""Nesterov's method with adaptive restart (O'Donoghue and Candès, 2015), under the Optimizer contract.

Momentum that is too high for the problem makes Nesterov's iterates ripple around the minimum.
Adaptive restart watches for the moment the momentum starts to work against the descent and then
throws the velocity away, so the next step starts from rest:

* ``restart="gradient"``: restart when :math:`\nabla f(\phi_t)^\top (\theta_{t+1} - \theta_t) > 0`,
  where :math:`\phi_t = \theta_t - \gamma v_t` is the look-ahead point: the step just taken goes
  uphill according to the gradient that produced it. Since :math:`\theta_{t+1} - \theta_t = -v_{t+1}`
  this is :math:`\nabla f(\phi_t)^\top v_{t+1} < 0`. It costs nothing extra.
* ``restart="function"``: restart when :math:`f(\theta_{t+1}) > f(\theta_t)`. It needs the
  objective ``f`` (two extra evaluations per step).
* ``restart="never"``: no restart (with ``momentum=None`` this is the :math:`O(1/k^2)` method of
  Nesterov (1983) in the book's form).

On a restart the step is kept (:math:`\theta_{t+1}` as computed) and the velocity is set to zero,
which in O'Donoghue and Candès's notation is :math:`y_{t+1} = x_{t+1}`. With ``momentum=None`` the
momentum follows the schedule :math:`\gamma_k = \frac{k-1}{k+2}` (``k`` counts the steps since the
last restart), so the method needs no knowledge of the strong convexity constant; with a constant
``momentum`` only the velocity is reset.

References:
  O'Donoghue and Candès (2015), Adaptive restart for accelerated gradient schemes.
  Su, Boyd and Candès (2016), A differential equation for modeling Nesterov's accelerated gradient method.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import numpy as np

from nagcore import _checks
from nagcore.optimizers import Optimizer
from nagcore.problems import _sum

__all__ = ["RESTARTS", "RestartState", "nesterov_restart", "schedule"]

Array = np.ndarray

#: The restart rules :func:`nesterov_restart` accepts.
RESTARTS = ("gradient", "function", "never")


class RestartState(NamedTuple):
    """Velocity ``v`` (shaped like the parameters) and the steps since the last restart (batch shape)."""

    velocity: Array
    count: Array


def schedule(count) -> Array:
    r"""The momentum schedule :math:`\gamma_k = \max(k - 1, 0) / (k + 2)` at step ``k`` since the last restart.

    Example:
      >>> schedule(np.arange(5))
      array([0.  , 0.  , 0.25, 0.4 , 0.5 ])
    """
    k = np.asarray(count, dtype=float)
    return np.maximum(k - 1.0, 0.0) / (k + 2.0)


def nesterov_restart(lr, momentum=None, *, restart: str = "gradient", f: Optional[Callable[[Array], Array]] = None) -> Optimizer:
    r"""Nesterov's accelerated gradient, look-ahead form, with adaptive restart.

    .. math::
       v_{t+1} = \gamma_t v_t + \eta \nabla f(\theta_t - \gamma_t v_t), \qquad
       \theta_{t+1} = \theta_t - v_{t+1}, \qquad
       v_{t+1} \leftarrow 0 \text{ if the restart rule fires.}

    Args:
      lr: learning rate :math:`\eta > 0` (scalar or array, broadcast over the batch as in
        :func:`nagcore.nesterov`).
      momentum: ``None`` for the schedule :math:`\gamma_k = (k-1)/(k+2)` restarted with the
        velocity, or a constant :math:`\gamma \in [0, 1)` (array allowed).
      restart: ``"gradient"``, ``"function"`` or ``"never"`` (see the module docstring).
      f: the objective, required by ``restart="function"`` and only there; it must map
        ``(..., d)`` to ``(...)`` like :attr:`nagcore.Problem.f`.

    Returns:
      An :class:`~nagcore.optimizers.Optimizer` whose state is a :class:`RestartState`.

    Example:
      >>> import numpy as np, nagcore
      >>> p = nagcore.problems.quadratic([0.001, 1.0])
      >>> plain = nagcore.run(nagcore.nesterov(1.0, 0.99), p, p.x0, 300)
      >>> fast = nagcore.run(nesterov_restart(1.0, 0.99), p, p.x0, 300)
      >>> bool(fast.f[-1] < 1e-6 * plain.f[-1])
      True
    """
    lr_ = _checks.positive("lr", lr)
    if restart not in RESTARTS:
        raise ValueError(f"restart must be one of {', '.join(map(repr, RESTARTS))}, got {restart!r}")
    if restart == "function" and not callable(f):
        raise ValueError(f"f must be the objective (a callable) when restart='function', got {type(f).__name__}")
    if restart != "function" and f is not None:
        raise ValueError(f"f is used only by restart='function'; got f with restart={restart!r}")
    hyperparams = {"lr": lr_}
    if momentum is not None:
        hyperparams["momentum"] = _checks.unit_interval("momentum", momentum)
    eta = lr_[..., np.newaxis]
    constant = None if momentum is None else hyperparams["momentum"][..., np.newaxis]

    def init(x):
        return RestartState(np.zeros_like(x, dtype=float), np.zeros(np.shape(x)[:-1]))

    def step(grad, x, state):
        gamma = schedule(state.count)[..., np.newaxis] if constant is None else constant
        lookahead = x - gamma * state.velocity
        g = grad(lookahead)
        velocity = gamma * state.velocity + eta * g
        x_next = x - velocity
        if restart == "gradient":
            fire = _sum(g * velocity) < 0  # summed in the same order for every batch layout
        elif restart == "function":
            fire = f(x_next) > f(x)
        else:
            fire = np.zeros(np.shape(x_next)[:-1], dtype=bool)
        velocity = np.where(fire[..., np.newaxis], 0.0, velocity)
        count = np.where(fire, 0.0, state.count + 1.0)
        return x_next, RestartState(velocity, count)

    return Optimizer(init, step, hyperparams)
