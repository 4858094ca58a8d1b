"""The one loop over steps in the package: :func:`run` applies an optimizer to an objective.

Everything else in the book (chapters, figures, widgets, theory checks) calls :func:`run`; nobody
re-implements an optimizer inside a figure.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional, Union

import numpy as np

from nagcore import _checks
from nagcore.optimizers import Optimizer
from nagcore.problems import Problem

__all__ = ["Trajectory", "run", "steps_to_tolerance", "first_divergence"]

Array = np.ndarray


class Trajectory(NamedTuple):
    """The iterates of one run, or of a whole batch of runs.

    Attributes:
      x: iterates :math:`\\theta_0, \\dots, \\theta_{steps}`, float64 of shape
        ``(steps + 1,) + batch_shape + (d,)``; ``x[0]`` is the start point.
      f: objective values, shape ``(steps + 1,) + batch_shape``, when a :class:`Problem` was given;
        ``None`` for a plain gradient function.
      diverged: bool array of ``batch_shape`` (a plain ``bool`` for an unbatched run): True once an
        iterate became non-finite or moved further than ``blowup`` times the starting distance
        from the reference point (see :func:`run`).
    """

    x: Array
    f: Optional[Array]
    diverged: Union[Array, bool]


def run(optimizer: Optimizer, objective: Union[Problem, Callable[[Array], Array]], x0, steps: int, *, blowup: float = 1e6) -> Trajectory:
    r"""Run ``optimizer`` on ``objective`` for ``steps`` steps from ``x0``.

    Batching: the last axis of ``x0`` is the parameter vector; leading axes are independent runs.
    The optimizer's hyperparameters (arrays allowed) broadcast against those leading axes, and the
    batch shape is the broadcast of both. A grid of settings is therefore one array operation, and
    each run in it gives exactly the iterates it would give alone.

    Divergence is flagged, not raised: numpy's overflow warnings are silenced inside the loop and a
    run is marked ``diverged`` once an iterate is non-finite or its distance from the reference
    point (``x_star`` for a :class:`Problem`, the origin otherwise) exceeds
    ``blowup * (1 + |x0 - reference|)``. Iterates after that point are kept as computed.

    Args:
      optimizer: an :class:`~nagcore.optimizers.Optimizer`, e.g. ``nagcore.nesterov(0.1)``.
      objective: a :class:`~nagcore.problems.Problem`, or a plain callable mapping ``x`` to its
        gradient (for example a stochastic gradient oracle).
      x0: start point(s), shape ``batch_shape + (d,)``, finite.
      steps: number of steps, an integer >= 0.
      blowup: divergence threshold factor, > 1.

    Returns:
      A :class:`Trajectory`.

    Example:
      >>> import numpy as np, nagcore
      >>> p = nagcore.problems.quadratic([1.0, 10.0])
      >>> traj = nagcore.run(nagcore.nesterov(lr=np.array([0.01, 0.05, 0.25])), p, p.x0, 100)
      >>> traj.x.shape, traj.f.shape, traj.diverged
      ((101, 3, 2), (101, 3), array([False, False,  True]))
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a nagcore Optimizer (e.g. nagcore.nesterov(lr=0.1)), got {type(optimizer).__name__}")
    if isinstance(objective, Problem):
        grad, f, reference = objective.grad, objective.f, objective.x_star
    elif callable(objective):
        grad, f, reference = objective, None, None
    else:
        raise ValueError(f"objective must be a nagcore Problem or a callable returning the gradient, got {type(objective).__name__}")
    x0 = _checks.finite_vector("x0", x0)
    steps = _checks.count("steps", steps)
    blowup = float(_checks.positive("blowup", blowup))
    if blowup <= 1:
        raise ValueError(f"blowup must be > 1, got {blowup!r}")
    d = x0.shape[-1]
    if reference is None:
        reference = np.zeros(d)
    elif reference.shape[-1] != d:
        raise ValueError(f"x0 has {d} parameters in its last axis but the problem {objective.name!r} has {reference.shape[-1]}")
    try:
        batch_shape = np.broadcast_shapes(x0.shape[:-1], optimizer.batch_shape)
    except ValueError:
        raise ValueError(
            f"x0's batch shape {x0.shape[:-1]} does not broadcast with the hyperparameter shape {optimizer.batch_shape}; "
            "leading axes of x0 and the lr/momentum arrays must be broadcast-compatible"
        ) from None

    x = np.array(np.broadcast_to(x0, batch_shape + (d,)), dtype=float)
    xs = np.empty((steps + 1,) + x.shape)
    xs[0] = x
    limit = _blowup_limit(x, reference, blowup)
    diverged = np.zeros(batch_shape, dtype=bool)
    state = optimizer.init(x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for k in range(steps):
            x, state = optimizer.step(grad, x, state)
            xs[k + 1] = x
            diverged |= _blown_up(x, reference, limit)
        values = None if f is None else np.asarray(f(xs), dtype=float)
    return Trajectory(xs, values, diverged if batch_shape else bool(diverged))


def _blowup_limit(x0: Array, reference: Array, blowup: float) -> Array:
    """Distance from ``reference`` beyond which a run that started at ``x0`` counts as diverged."""
    return blowup * (1.0 + np.linalg.norm(x0 - reference, axis=-1))


def _blown_up(x: Array, reference: Array, limit: Array) -> Array:
    """The divergence rule of :func:`run`: an entry is non-finite, or ``x`` is beyond ``limit``."""
    return ~np.all(np.isfinite(x), axis=-1) | (np.linalg.norm(x - reference, axis=-1) > limit)


def first_divergence(xs, reference, *, blowup: float = 1e6) -> Array:
    """The first step at which each run of a trajectory met :func:`run`'s divergence rule.

    Args:
      xs: iterates of shape ``(steps + 1,) + batch_shape + (d,)``, e.g. ``traj.x``; ``xs[0]`` is the start.
      reference: the point distances are measured from (``problem.x_star``), shape ``(d,)``.
      blowup: the factor given to :func:`run`.

    Returns:
      An int array of ``batch_shape``: the step index, or -1 for runs that never diverged. It is
      >= 0 exactly where ``run(..., blowup=blowup).diverged`` is True.

    Example:
      >>> import numpy as np, nagcore
      >>> p = nagcore.problems.quadratic([1.0])
      >>> traj = nagcore.run(nagcore.gradient_descent(np.array([0.5, 3.0])), p, [1.0], 20, blowup=100)
      >>> first_divergence(traj.x, p.x_star, blowup=100)   # |1 - 3|^k > 100 * 2 from k = 8
      array([-1,  8])
    """
    xs = np.asarray(xs, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        bad = _blown_up(xs, reference, _blowup_limit(xs[0], reference, blowup))
    return np.where(bad.any(axis=0), np.argmax(bad, axis=0), -1)


def steps_to_tolerance(errors, tol: float) -> Array:
    """The first step after which ``errors`` stay at or below ``tol`` for good.

    Momentum methods are not monotone, so "first time below" would reward a lucky crossing; this
    counts the step from which the error never rises above ``tol`` again within the run.

    Args:
      errors: shape ``(steps + 1,) + batch_shape``, e.g. ``np.linalg.norm(traj.x - x_star, axis=-1)``
        or ``traj.f - f_star``. NaN counts as above the tolerance.
      tol: tolerance, > 0.

    Returns:
      A float array of ``batch_shape``: the step index, or ``inf`` where the last error is still
      above ``tol`` (not reached within the run).

    Example:
      >>> import numpy as np
      >>> steps_to_tolerance(np.array([1.0, 0.1, 0.5, 0.05, 0.01]), 0.2)
      array(3.)
    """
    e = np.asarray(errors, dtype=float)
    tol = float(_checks.positive("tol", tol))
    if e.ndim == 0:
        raise ValueError(f"errors must have a leading step axis, got a scalar {e!r}")
    above = ~(e <= tol)
    # index of the last step that is above the tolerance, +1; 0 if never above
    last_above = np.where(above.any(axis=0), e.shape[0] - np.argmax(above[::-1], axis=0), 0)
    return np.where(above[-1], np.inf, last_above.astype(float))
