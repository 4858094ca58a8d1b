"""The one loop over steps in the package: :func:`run` applies an optimizer to an objective.

Everything else in the book (chapters, figures, widgets, theory checks) calls :func:`run`; nobody
re-implements an optimizer inside a figure.
"""

from __future__ import annotations

import math
import os
from typing import Callable, NamedTuple, Optional, Union

import numpy as np

from nagcore import _checks, _recycle
from nagcore.optimizers import Optimizer
from nagcore.problems import Problem, _sum

__all__ = ["Trajectory", "run", "steps_to_tolerance", "first_divergence"]

Array = np.ndarray


class Trajectory(NamedTuple):
    """The recorded iterates of one run, or of a whole batch of runs.

    Attributes:
      x: recorded iterates, float64 of shape ``(len(steps),) + batch_shape + (d,)``; ``x[0]`` is the
        start point and ``x[-1]`` the last iterate. With ``every=1`` (the default) every iterate
        :math:`\\theta_0, \\dots, \\theta_{steps}` is kept.
      f: objective values at the recorded iterates, shape ``(len(steps),) + batch_shape``, when a
        :class:`Problem` was given; ``None`` for a plain gradient function.
      diverged: bool array of ``batch_shape`` (a plain ``bool`` for an unbatched run): True once an
        iterate, recorded or not, became non-finite or moved further than ``blowup`` times the
        starting distance from the reference point (see :func:`run`).
      steps: int array, the step index of each recorded iterate: ``0, every, 2 * every, ...`` and
        always the last step.
    """

    x: Array
    f: Optional[Array]
    diverged: Union[Array, bool]
    steps: Array


def run(
    optimizer: Optimizer,
    objective: Union[Problem, Callable[[Array], Array]],
    x0,
    steps: int,
    *,
    blowup: float = 1e6,
    every: int = 1,
) -> Trajectory:
    r"""Run ``optimizer`` on ``objective`` for ``steps`` steps from ``x0``.

    Batching: the last axis of ``x0`` is the parameter vector; leading axes are independent runs.
    The optimizer's hyperparameters (arrays allowed) broadcast against those leading axes, and the
    batch shape is the broadcast of both. A grid of settings is therefore one array operation, and
    each run in it gives exactly the iterates it would give alone (to the bit, for the problems in
    :mod:`nagcore.problems` and the optimizers in :mod:`nagcore.optimizers`).

    Recording: ``every=k`` keeps :math:`	heta_0, 	heta_k, 	heta_{2k}, \dots` and always the last
    iterate, so a long or large run keeps only what it needs; ``Trajectory.steps`` says which. A
    request whose record would not fit in this machine's memory is refused before it starts.

    Divergence is flagged, not raised: numpy's floating-point warnings are silenced and a run is
    marked ``diverged`` once an iterate is non-finite or its distance from the reference point
    (``x_star`` for a :class:`Problem`, the origin otherwise) exceeds
    ``blowup * (1 + |x0 - reference|)``. Every iterate is checked, recorded or not, by the rule
    :func:`first_divergence` applies to a recorded trajectory. Iterates after that point are kept
    as computed.

    Args:
      optimizer: an :class:`~nagcore.optimizers.Optimizer`, e.g. ``nagcore.nesterov(0.1)``.
      objective: a :class:`~nagcore.problems.Problem`, or a plain callable mapping ``x`` to its
        gradient (for example a stochastic gradient oracle). On the first step ``run`` checks that
        the gradient has ``x``'s shape and real values.
      x0: start point(s), shape ``batch_shape + (d,)``, finite real numbers.
      steps: number of steps, an integer >= 0.
      blowup: divergence threshold factor, a real number > 1.
      every: record every ``every``-th iterate, an integer >= 1.

    Returns:
      A :class:`Trajectory`.

    Example:
      >>> import numpy as np, nagcore
      >>> p = nagcore.problems.quadratic([1.0, 10.0])
      >>> traj = nagcore.run(nagcore.nesterov(lr=np.array([0.01, 0.05, 0.25])), p, p.x0, 100)
      >>> traj.x.shape, traj.f.shape, traj.diverged
      ((101, 3, 2), (101, 3), array([False, False,  True]))
      >>> nagcore.run(nagcore.nesterov(0.01), p, p.x0, 100, every=40).steps
      array([  0,  40,  80, 100])
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a nagcore Optimizer (e.g. nagcore.nesterov(lr=0.1)), got {type(optimizer).__name__}")
    if isinstance(objective, Problem):
        grad, f, reference, source = objective.grad, objective.f, objective.x_star, "objective.grad"
    elif callable(objective):
        grad, f, reference, source = objective, None, None, "objective"
    else:
        raise ValueError(f"objective must be a nagcore Problem or a callable returning the gradient, got {type(objective).__name__}")
    x0 = _checks.finite_vector("x0", x0)
    steps = _checks.count("steps", steps)
    every = _checks.count("every", every, minimum=1)
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
    n_recorded = steps // every + 1 + (steps % every > 0)
    _refuse_what_does_not_fit(n_recorded, batch_shape, d, with_values=f is not None, steps=steps, every=every)
    recorded = np.append(np.arange(0, steps + 1, every), [steps] if steps % every else []).astype(np.int64)

    x = np.array(np.broadcast_to(x0, batch_shape + (d,)))  # x0 is float64 already
    xs = np.empty((recorded.size,) + x.shape)
    xs[0] = x
    pool = _recycle.pool_for(x)
    with np.errstate(all="ignore"):
        watch = _Watch(x, reference, blowup)
        try:
            if pool is not None:
                x = pool.wrap(x)
            state = optimizer.init(x)
            first_grad = _checked_gradient(grad, source)
            row = 1
            for k in range(1, steps + 1):
                x, state = optimizer.step(first_grad if k == 1 else grad, x, state)
                if k == 1 and np.shape(x) != xs.shape[1:]:
                    raise ValueError(f"optimizer.step must return x_next of x's shape {xs.shape[1:]}, got shape {np.shape(x)}")
                watch.check(x)
                if k == recorded[row]:
                    xs[row] = x
                    row += 1
        finally:
            if pool is not None:
                pool.clear()
        values = None if f is None else _values(f, xs)
    diverged = watch.diverged
    return Trajectory(xs, values, diverged if batch_shape else bool(diverged), recorded)


def _refuse_what_does_not_fit(n_recorded: int, batch_shape: tuple, d: int, *, with_values: bool, steps: int, every: int) -> None:
    """Refuse, before any work, a record larger than the machine's physical memory."""
    runs = math.prod(batch_shape)
    needed = 8 * n_recorded * runs * (d + (1 if with_values else 0))
    memory = _physical_memory()
    if memory is not None and needed > memory:
        raise ValueError(
            f"steps={steps} with every={every} records {n_recorded} iterates of {runs} run(s) x {d} parameters, "
            f"which needs {needed:,} bytes; this machine has {memory:,} bytes of memory. "
            "Record fewer iterates (a larger every) or run fewer steps."
        )


def _physical_memory() -> Optional[int]:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: no check
        return None


def _checked_gradient(grad: Callable[[Array], Array], source: str) -> Callable[[Array], Array]:
    """``grad``, checking what it returns on the first step: an array of ``x``'s shape, real numbers."""

    def checked(x):
        g = grad(x)
        shape, wanted = np.shape(g), np.shape(x)
        if shape != wanted:
            hint = ""
            if shape in ((), wanted[:-1]):
                hint = " It returned one value per run: that is the objective, not its gradient; pass the gradient function (for a Problem p, p.grad, or p itself)."
            raise ValueError(f"{source} must return the gradient, an array of x's shape {wanted}; it returned shape {shape}.{hint}")
        kind = np.asarray(g).dtype.kind
        if kind not in "fiu":
            raise ValueError(f"{source} must return real numbers (an int or float array); it returned dtype {np.asarray(g).dtype}")
        return g

    return checked


class _Watch:
    """:func:`run`'s divergence check: the exact rule of :func:`first_divergence`, at the cost of one read.

    Each step computes the squared distance to the reference with one ``einsum`` (a single read of
    the iterate, no temporaries). Any summation order gives it within a relative ``8 (d + 2) eps``
    of the value the exact rule computes, so a run clearly inside or clearly outside the limit is
    decided at once; only a run within that sliver of the limit, or with a non-finite value, is
    decided by the exact rule itself. The flags are therefore exactly those of the exact rule.
    """

    def __init__(self, x: Array, reference: Array, blowup: float):
        self.d = x.shape[-1]
        self.batch_shape = x.shape[:-1]
        self.reference = reference
        self.nonzero_reference = reference if np.any(reference) else None
        self.limit = _blowup_limit(x, reference, blowup).reshape(-1)
        margin = 8.0 * (self.d + 2) * np.finfo(float).eps
        self.outside = self.limit**2 * (1.0 + margin)
        self.inside = self.limit**2 * (1.0 - margin)
        self.flags = np.zeros(self.limit.shape, dtype=bool)

    def check(self, x: Array) -> None:
        rows = x.reshape(-1, self.d)
        y = rows if self.nonzero_reference is None else rows - self.nonzero_reference
        squared = np.einsum("ij,ij->i", y, y)
        out = squared > self.outside
        unsure = ~(out | (squared < self.inside))  # NaN lands here
        if unsure.any():
            out[unsure] = _blown_up(np.asarray(rows)[unsure], self.reference, self.limit[unsure])
        self.flags |= out

    @property
    def diverged(self) -> Array:
        return self.flags.reshape(self.batch_shape)


def _values(f: Callable[[Array], Array], xs: Array) -> Array:
    """``f`` over the recorded iterates, a bounded chunk of steps at a time."""
    values = np.empty(xs.shape[:-1])
    per = max(1, _CHUNK // max(1, xs[0].size))
    for start in range(0, xs.shape[0], per):
        chunk = np.asarray(f(xs[start : start + per]), dtype=float)
        if chunk.shape != values[start : start + per].shape:
            raise ValueError(f"objective.f must map (..., d) to (...): for shape {xs[start : start + per].shape} it returned shape {chunk.shape}")
        values[start : start + per] = chunk
    return values


#: Iterate entries handled at a time when evaluating ``f`` or the divergence rule over a trajectory.
_CHUNK = 1 << 20


def _distance(x: Array, reference: Array) -> Array:
    """Euclidean distance from ``reference`` over the last axis, summed in a layout-independent order."""
    y = x - reference
    return np.sqrt(_sum(y * y))


def _blowup_limit(x0: Array, reference: Array, blowup: float) -> Array:
    """Distance from ``reference`` beyond which a run that started at ``x0`` counts as diverged.

    Both callers compute it under ``np.errstate(all="ignore")``: a huge start overflows it to ``inf``.
    """
    return blowup * (1.0 + _distance(np.asarray(x0), reference))


def _blown_up(x: Array, reference: Array, limit: Array) -> Array:
    """The divergence rule: an entry is non-finite, or ``x`` is further than ``limit`` from ``reference``."""
    return ~np.all(np.isfinite(x), axis=-1) | (_distance(x, reference) > limit)


def first_divergence(xs, reference, *, blowup: float = 1e6) -> Array:
    """The first recorded step at which each run of a trajectory met :func:`run`'s divergence rule.

    Args:
      xs: iterates of shape ``(n,) + batch_shape + (d,)``, e.g. ``traj.x``; ``xs[0]`` is the start.
      reference: the point distances are measured from (``problem.x_star``), shape ``(d,)``.
      blowup: the factor given to :func:`run`.

    Returns:
      An int array of ``batch_shape``: the index into ``xs``, or -1 for runs that never diverged.
      For a run recorded with ``every=1`` it is the step, and it is >= 0 exactly where
      ``run(..., blowup=blowup).diverged`` is True; with ``every=k`` map it through ``traj.steps``.

    Example:
      >>> import numpy as np, nagcore
      >>> p = nagcore.problems.quadratic([1.0])
      >>> traj = nagcore.run(nagcore.gradient_descent(np.array([0.5, 3.0])), p, [1.0], 20, blowup=100)
      >>> first_divergence(traj.x, p.x_star, blowup=100)   # |1 - 3|^k > 100 * 2 from k = 8
      array([-1,  8])
    """
    xs = _checks.real_array("xs", xs, "an array of iterates of shape (steps + 1, ..., d)")
    if xs.ndim < 2 or xs.shape[0] == 0:
        raise ValueError(f"xs must have shape (steps + 1, ..., d) with at least one step, got shape {xs.shape}")
    reference = _checks.real_array("reference", reference)
    blowup = float(_checks.positive("blowup", blowup))
    with np.errstate(all="ignore"):
        limit = _blowup_limit(xs[0], reference, blowup)
        first = np.full(xs.shape[1:-1], -1)
        per = max(1, _CHUNK // max(1, xs[0].size))
        for start in range(0, xs.shape[0], per):
            bad = _blown_up(xs[start : start + per], reference, limit)
            first = np.where((first < 0) & bad.any(axis=0), start + np.argmax(bad, axis=0), first)
    return first


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
    e = _checks.real_array("errors", errors, "an array of real numbers (NaN allowed)")
    tol = float(_checks.positive("tol", tol))
    if e.ndim == 0:
        raise ValueError(f"errors must have a leading step axis, got a scalar {e!r}")
    above = ~(e <= tol)
    # index of the last step that is above the tolerance, +1; 0 if never above
    last_above = np.where(above.any(axis=0), e.shape[0] - np.argmax(above[::-1], axis=0), 0)
    return np.where(above[-1], np.inf, last_above)
