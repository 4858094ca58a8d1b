r"""The continuous-time view: a ball with friction rolling on the graph of ``f``.

Su, Boyd and Candès (2016) show that Nesterov's method with the momentum schedule
:math:`\gamma_k = \frac{k-1}{k+2}` and learning rate :math:`s` tracks the solution of

.. math:: \ddot X + \frac{3}{t} \dot X + \nabla f(X) = 0, \qquad X(0) = \theta_0,\ \dot X(0) = 0,

at the times :math:`t = k\sqrt s`: the iterate :math:`\theta_k` is close to :math:`X(k\sqrt s)`, and the
smaller :math:`s`, the closer. :func:`integrate` solves the more general equation with friction
:math:`r/t + a` (``r = 3``, ``a = 0`` is the equation above; ``r = 0``, ``a > 0`` is a ball with
constant friction, the continuous limit of heavy ball with a constant momentum).

This is a differential-equation solver, not an optimizer: it lives outside the Optimizer contract
and the loop in :func:`nagcore.run`.

References:
  Su, Boyd and Candès (2016), A differential equation for modeling Nesterov's accelerated gradient
  method: theory and insights, JMLR 17(153).
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional, Union

import numpy as np

from nagcore import _checks
from nagcore.problems import Problem

__all__ = ["BallPath", "integrate", "energy"]

Array = np.ndarray


class BallPath(NamedTuple):
    """A solution of the damped ball equation on a uniform time grid.

    Attributes:
      t: times, shape ``(n + 1,)``, ``t[0] = 0``.
      x: positions :math:`X(t)`, shape ``(n + 1,) + batch_shape + (d,)``.
      v: velocities :math:`\\dot X(t)`, same shape as ``x``.
      f: ``f(X(t))`` when a :class:`~nagcore.problems.Problem` was given, else ``None``.
    """

    t: Array
    x: Array
    v: Array
    f: Optional[Array]


def integrate(objective: Union[Problem, Callable[[Array], Array]], x0, t_end: float, *, r: float = 3.0, friction: float = 0.0, dt: float = 1e-3) -> BallPath:
    r"""Solve :math:`\ddot X + (r/t + a)\dot X + \nabla f(X) = 0` from rest at ``x0`` up to ``t_end``.

    The friction :math:`r/t` is infinite at :math:`t = 0`, so the first step uses the series
    :math:`X(t) = x_0 + c_2 t^2 + c_3 t^3 + O(t^4)` with :math:`c_2 = -\nabla f(x_0)/(2(1+r))` and
    :math:`c_3 = -2 a c_2 / (3(2+r))` (substitute it into the equation and match powers of :math:`t`); from :math:`t = dt` on, the classical fourth-order Runge-Kutta method runs
    on the uniform grid :math:`t_j = j\,dt`.

    Args:
      objective: a :class:`~nagcore.problems.Problem`, or a callable returning the gradient.
      x0: start point(s), shape ``batch_shape + (d,)``; leading axes are independent balls.
      t_end: final time, > 0.
      r: vanishing friction :math:`r/t`, >= 0 (3 for Nesterov's method).
      friction: constant friction :math:`a`, >= 0.
      dt: time step, > 0 (at most ``t_end``).

    Returns:
      A :class:`BallPath`.

    Example:
      >>> import numpy as np
      >>> path = integrate(lambda x: x, [1.0], 10.0, r=0.0, friction=0.0, dt=1e-2)
      >>> bool(abs(path.x[-1, 0] - np.cos(10.0)) < 1e-6)   # no friction: X = cos t on f = x^2/2
      True
    """
    if isinstance(objective, Problem):
        grad, f = objective.grad, objective.f
    elif callable(objective):
        grad, f = objective, None
    else:
        raise ValueError(f"objective must be a nagcore Problem or a callable returning the gradient, got {type(objective).__name__}")
    x0 = _checks.finite_vector("x0", x0)
    t_end = float(_checks.positive("t_end", t_end))
    dt = float(_checks.positive("dt", dt))
    if dt > t_end:
        raise ValueError(f"dt must be <= t_end = {t_end!r}, got {dt!r}")
    r = _nonnegative("r", r)
    a = _nonnegative("friction", friction)
    n = int(np.ceil(t_end / dt - 1e-9))
    t = dt * np.arange(n + 1)

    def acceleration(time, x, v):
        return -(r / time + a) * v - grad(x)

    xs = np.empty((n + 1,) + x0.shape)
    vs = np.empty_like(xs)
    xs[0], vs[0] = x0, 0.0
    c2 = -grad(x0) / (2 * (1 + r))  # X = x0 + c2 t^2 + c3 t^3 + O(t^4)
    c3 = -2 * a * c2 / (3 * (2 + r))
    xs[1] = x0 + c2 * dt**2 + c3 * dt**3
    vs[1] = 2 * c2 * dt + 3 * c3 * dt**2
    for j in range(1, n):
        x, v, h = xs[j], vs[j], dt
        k1x, k1v = v, acceleration(t[j], x, v)
        k2x, k2v = v + h / 2 * k1v, acceleration(t[j] + h / 2, x + h / 2 * k1x, v + h / 2 * k1v)
        k3x, k3v = v + h / 2 * k2v, acceleration(t[j] + h / 2, x + h / 2 * k2x, v + h / 2 * k2v)
        k4x, k4v = v + h * k3v, acceleration(t[j] + h, x + h * k3x, v + h * k3v)
        xs[j + 1] = x + h / 6 * (k1x + 2 * k2x + 2 * k3x + k4x)
        vs[j + 1] = v + h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
    return BallPath(t, xs, vs, None if f is None else np.asarray(f(xs), dtype=float))


def energy(path: BallPath, problem: Problem) -> Array:
    r"""Su, Boyd and Candès's Lyapunov function :math:`\mathcal E(t) = t^2 (f(X) - f^\star) + 2\lVert X + \tfrac t2 \dot X - x^\star\rVert^2`.

    Along a solution with ``r = 3`` and no constant friction, :math:`\dot{\mathcal E}(t) = 2t\,(f(X) - f^\star -
    \nabla f(X)^\top (X - x^\star)) \le 0` for convex ``f``, so :math:`f(X(t)) - f^\star \le 2\lVert x_0 - x^\star\rVert^2 / t^2`.

    Returns:
      Shape ``(n + 1,) + batch_shape``.
    """
    t = path.t.reshape((-1,) + (1,) * (path.x.ndim - 1))
    gap = problem.f(path.x) - problem.f_star
    anchor = path.x + t / 2 * path.v - problem.x_star
    return t[..., 0] ** 2 * gap + 2 * np.sum(anchor**2, axis=-1)


def _nonnegative(name: str, value) -> float:
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return v
