r"""The experiments behind the book's verdicts on Nesterov's method, each over a grid of settings.

A verdict is only as wide as the grid behind it. Every function here takes its grid as arguments,
so a chapter states a verdict on one grid and ``tests/test_verdicts.py`` re-checks it on a grid
four times finer over the same region. Everything is computed by :func:`nagcore.run` (one batched
call per method and grid chunk) or by the closed forms of :mod:`nagcore.theory`.

* :func:`overshoot`: how far each momentum method goes past the minimum of a 1-D quadratic.
* :func:`nesterov_share`: at equal settings, for which share of the learning rates Nesterov's
  rate beats heavy ball's.
* :func:`tuned_steps`: steps of each method with its tuned settings on a quadratic.
* :func:`steps_to_reach`: steps to a target on any problem, over a (learning rate, momentum) grid.
* :func:`expected_sq_error`: the exact mean squared error under Gaussian gradient noise, and
  :func:`noisy_steps`, the steps it takes to fall below a target, for many noise levels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nagcore import _checks, optimizers, problems, theory
from nagcore.run import run, steps_to_tolerance

__all__ = ["MOMENTUM_METHODS", "optimizer", "overshoot", "nesterov_share", "tuned_steps", "steps_to_reach", "NoisyError", "expected_sq_error", "noisy_steps"]

Array = np.ndarray

#: The two momentum methods the verdicts compare, by their :mod:`nagcore.theory` names.
MOMENTUM_METHODS = ("momentum", "nesterov")

# Largest number of stored numbers (steps x runs x coordinates) per run() call; bigger grids are
# run in chunks of rows so that a fine grid needs about 130 MB at a time.
_CHUNK = 16_000_000


def optimizer(method: str, lr, momentum) -> optimizers.Optimizer:
    """The optimizer called ``method`` in :mod:`nagcore.theory` (``"gd"``, ``"momentum"``, ``"nesterov"``).

    Example:
      >>> optimizer("nesterov", 0.1, 0.9).hyperparams["momentum"]
      array(0.9)
    """
    if method == "gd":
        return optimizers.gradient_descent(lr)
    if method == "momentum":
        return optimizers.momentum(lr, momentum)
    if method == "nesterov":
        return optimizers.nesterov(lr, momentum)
    raise ValueError(f"method must be one of {', '.join(map(repr, theory.METHODS))}, got {method!r}")


def _row_chunks(rows: int, per_row: int, steps: int) -> list[Array]:
    """Split ``range(rows)`` so that each chunk stores at most about ``_CHUNK`` numbers."""
    per_chunk = max(1, _CHUNK // max(1, per_row * (steps + 1)))
    return np.array_split(np.arange(rows), -(-rows // per_chunk))


def _grid(lr, momentum) -> tuple[Array, Array]:
    lr_ = _checks.positive("lr", lr)
    gamma = _checks.unit_interval("momentum", momentum)
    if lr_.ndim != 1 or gamma.ndim != 1:
        raise ValueError(f"lr and momentum must be 1-D grids, got shapes {lr_.shape} and {gamma.shape}")
    return lr_, gamma


def overshoot(h, momentum, *, steps: int = 400) -> dict[str, Array]:
    r"""How far heavy ball and Nesterov go past the minimum of :math:`f(\theta) = \theta^2/2` from :math:`\theta_0 = -1`.

    With curvature 1 the learning rate is :math:`h = \eta\lambda`, so one run per ``(momentum, h)``
    pair covers a whole plane of 1-D quadratics. The overshoot is :math:`\max(0, \max_k \theta_k)`,
    the farthest point past the minimum as a fraction of the starting distance; a run crosses the
    minimum exactly when its overshoot is positive.

    Args:
      h: learning rates times curvature, > 0, shape ``(N,)``.
      momentum: momenta in ``[0, 1)``, shape ``(M,)``.
      steps: steps per run.

    Returns:
      ``{method: overshoot}`` for ``"momentum"`` and ``"nesterov"``, each of shape ``(M, N)``
      (``inf`` where a run diverged).

    Example:
      >>> over = overshoot([0.1], [0.9], steps=80)
      >>> {m: round(float(v[0, 0]), 2) for m, v in over.items()}
      {'momentum': 0.6, 'nesterov': 0.35}
    """
    hh, gamma = _grid(h, momentum)
    line = problems.quadratic([1.0], x0=[-1.0])
    result = {m: np.empty((gamma.size, hh.size)) for m in MOMENTUM_METHODS}
    for rows in _row_chunks(gamma.size, hh.size, steps):
        start = np.broadcast_to(line.x0, (rows.size, hh.size, 1))
        for method in MOMENTUM_METHODS:
            traj = run(optimizer(method, hh, gamma[rows, None]), line, start, steps)
            with np.errstate(invalid="ignore"):
                peak = np.max(traj.x[..., 0], axis=0)
            result[method][rows] = np.where(traj.diverged | ~np.isfinite(peak), np.inf, np.maximum(peak, 0.0))
    return result


def nesterov_share(kappa, lr, momentum) -> tuple[Array, Array]:
    r"""At equal (learning rate, momentum): where Nesterov's rate beats heavy ball's on a quadratic.

    For each condition number (curvatures :math:`[1/\kappa, 1]`, so ``lr`` is :math:`\eta L`) and
    each momentum, the share of the learning rates at which both methods converge and Nesterov
    has the smaller rate, among those at which both converge. Rates are the closed forms of
    :func:`nagcore.theory.rate`.

    Args:
      kappa: condition numbers >= 1, shape ``(K,)``.
      lr: learning rates :math:`\eta L`, > 0, shape ``(N,)``.
      momentum: momenta in ``[0, 1)``, shape ``(M,)``.

    Returns:
      ``(share, nesterov_only)``: ``share`` of shape ``(K, M)`` (NaN where no learning rate is
      stable for both), and the number of settings, per condition number, at which Nesterov
      converges and heavy ball does not.

    Example:
      >>> share, only = nesterov_share([100.0], np.linspace(0.01, 4, 400), [0.5, 0.99])
      >>> share.round(2).tolist(), only.tolist()
      ([[0.0, 1.0]], [0])
    """
    k = np.atleast_1d(np.asarray(kappa, dtype=float))
    if k.ndim != 1 or not np.all(k >= 1):
        raise ValueError(f"kappa must be a 1-D array of values >= 1, got {_checks._show(kappa)}")
    lr_, gamma = _grid(lr, momentum)
    spectra = np.stack([1.0 / k, np.ones_like(k)], axis=-1)[:, None, None, :]
    hb = theory.rate("momentum", lr_, gamma[:, None], spectra)
    nag = theory.rate("nesterov", lr_, gamma[:, None], spectra)
    both = (hb < 1) & (nag < 1)
    with np.errstate(invalid="ignore"):
        share = ((nag < hb) & both).sum(axis=-1) / both.sum(axis=-1)
    nesterov_only = ((nag < 1) & (hb >= 1)).sum(axis=(-2, -1))
    return share, nesterov_only


def tuned_steps(kappa: float, *, tol: float = 1e-6, rotation: float = np.pi / 6) -> Array:
    r"""Steps gradient descent, heavy ball and Nesterov need with their tuned settings.

    Runs each method with :func:`nagcore.theory.tuned` on a 2-D quadratic with condition number
    ``kappa`` (turned by ``rotation``) and counts the steps after which
    :math:`\lVert\theta_k - \theta^\star\rVert / \lVert\theta_0 - \theta^\star\rVert` stays below ``tol``.

    Returns:
      An int array ``[gd, momentum, nesterov]``.

    Example:
      >>> tuned_steps(100.0).tolist()
      [691, 88, 158]
    """
    p = problems.quadratic(condition_number=kappa, rotation=rotation)
    settings = [theory.tuned(m, p.L, p.mu) for m in theory.METHODS]
    r0 = np.linalg.norm(p.x0 - p.x_star)
    counts = []
    for method, t in zip(theory.METHODS, settings):
        # gradient descent shrinks by exactly its rate; the double roots of the others add a factor k
        budget = int((1.0 if method == "gd" else 1.5) * -np.log10(tol) * theory.steps_per_decade(t.rate)) + 20
        traj = run(optimizer(method, t.lr, t.momentum), p, p.x0, budget)
        counts.append(steps_to_tolerance(np.linalg.norm(traj.x - p.x_star, axis=-1) / r0, tol))
    if not np.all(np.isfinite(counts)):
        raise RuntimeError(f"a tuned method did not reach tol={tol} within its budget at kappa={kappa}")
    return np.array(counts, dtype=int)


def steps_to_reach(problem: problems.Problem, method: str, lr, momentum, *, steps: int, tol: float, measure: str = "gap") -> Array:
    r"""Steps after which a run stays within ``tol`` of the minimum, for every (learning rate, momentum).

    Args:
      problem: where to run, from ``problem.x0``.
      method: ``"momentum"`` or ``"nesterov"`` (``"gd"`` ignores the momentum).
      lr: learning rates, > 0, shape ``(N,)``.
      momentum: momenta in ``[0, 1)``, shape ``(M,)``.
      steps: the budget; runs that have not settled by then count as ``inf``.
      tol: the target.
      measure: ``"gap"`` for :math:`f(\theta_k) - f^\star`, ``"distance"`` for
        :math:`\lVert\theta_k - \theta^\star\rVert` (on a problem with several minima, only the
        global one counts).

    Returns:
      Float array of shape ``(N, M)``: the step count, or ``inf``.

    Example:
      >>> well = problems.double_well()
      >>> steps_to_reach(well, "nesterov", [0.1], [0.0, 0.9], steps=400, tol=1e-6, measure="distance")
      array([[inf, 68.]])
    """
    if measure not in ("gap", "distance"):
        raise ValueError(f"measure must be 'gap' or 'distance', got {measure!r}")
    lr_, gamma = _grid(lr, momentum)
    counts = np.empty((lr_.size, gamma.size))
    for rows in _row_chunks(lr_.size, gamma.size * problem.dim, steps):
        traj = run(optimizer(method, lr_[rows, None], gamma[None, :]), problem, problem.x0, steps)
        with np.errstate(invalid="ignore", over="ignore"):
            if measure == "gap":
                error = traj.f - problem.f_star
            else:
                error = np.linalg.norm(traj.x - problem.x_star, axis=-1)
        counts[rows] = steps_to_tolerance(np.where(np.isfinite(error), error, np.inf), tol)
    return counts


class NoisyError(NamedTuple):
    r"""The mean squared error of runs with noisy gradients, split by its source.

    :math:`\mathbb E\lVert\theta_k - \theta^\star\rVert^2 = \text{drift}_k + \sigma^2\,\text{noise}_k`
    when every gradient carries independent :math:`N(0, \sigma^2 I)` noise.

    Attributes:
      drift: squared error of the noise-free run, shape ``(steps + 1, N, M)``.
      noise: the variance that noise of unit size adds, same shape.
    """

    drift: Array
    noise: Array

    def mse(self, sigma: float) -> Array:
        """The expected squared error at noise level ``sigma`` (``inf`` where a run diverged)."""
        with np.errstate(over="ignore", invalid="ignore"):
            total = self.drift + float(sigma) ** 2 * self.noise
        return np.where(np.isnan(total), np.inf, total)


def expected_sq_error(method: str, eigenvalues, start, lr, momentum, *, steps: int) -> NoisyError:
    r"""Exact mean squared error of a method on a quadratic whose gradients carry Gaussian noise.

    On :math:`f(\theta) = \tfrac12(\theta-\theta^\star)^\top A(\theta-\theta^\star)` with gradient
    :math:`A(\theta - \theta^\star) + \xi_k`, :math:`\xi_k \sim N(0, \sigma^2 I)` independent, every
    method here is linear. So the error is the noise-free error plus the sum of the responses to
    each step's noise, and its mean square is

    .. math::
       \mathbb E\lVert e_k\rVert^2 = \lVert \bar e_k\rVert^2 + \sigma^2 \sum_{j=1}^{k} \lVert r_j\rVert^2,

    where :math:`\bar e_k` is the noise-free run and :math:`r_j` the error :math:`j` steps after a
    unit kick to the gradient (one per coordinate). Isotropic noise stays isotropic in the
    eigenvector basis, so each eigen-direction is a separate 1-D run. Both are computed with
    :func:`nagcore.run`: no sampling, no seed.

    Args:
      method: ``"gd"``, ``"momentum"`` or ``"nesterov"``.
      eigenvalues: the Hessian's eigenvalues, > 0, shape ``(d,)``.
      start: the starting error :math:`\theta_0 - \theta^\star` in eigen-coordinates, shape ``(d,)``.
      lr: learning rates, shape ``(N,)``.
      momentum: momenta, shape ``(M,)``.
      steps: number of steps.

    Returns:
      A :class:`NoisyError` with arrays of shape ``(steps + 1, N, M)``.

    Example:
      >>> e = expected_sq_error("gd", [1.0], [1.0], [0.5], [0.0], steps=2)
      >>> e.drift[:, 0, 0].tolist(), e.noise[:, 0, 0].tolist()   # 0.5^k, and 0.25 (1 + 0.25 + ...)
      ([1.0, 0.25, 0.0625], [0.0, 0.25, 0.3125])
    """
    lam = _checks.positive("eigenvalues", eigenvalues)
    e0 = _checks.finite_vector("start", start)
    if lam.ndim != 1 or e0.shape != lam.shape:
        raise ValueError(f"eigenvalues and start must be 1-D of the same length, got shapes {lam.shape} and {e0.shape}")
    lr_, gamma = _grid(lr, momentum)
    d = lam.size
    # batch axes: (lr, momentum, eigen-direction, run); run 0 starts at e0, run 1 at 0 and is kicked
    curvature = lam[:, None, None]
    x0 = np.stack([e0, np.zeros(d)], axis=-1)[..., None]
    kick = np.array([0.0, 1.0])[:, None]
    drift = np.empty((steps + 1, lr_.size, gamma.size))
    noise = np.empty_like(drift)
    for rows in _row_chunks(lr_.size, gamma.size * 2 * d, steps):
        first = [True]

        def grad(x):
            g = curvature * x
            if first[0]:  # the kick enters with the first gradient only
                first[0] = False
                g = g + kick
            return g

        opt = optimizer(method, lr_[rows, None, None, None], gamma[None, :, None, None])
        xs = run(opt, grad, np.broadcast_to(x0, (rows.size, gamma.size, d, 2, 1)), steps).x[..., 0]
        with np.errstate(over="ignore", invalid="ignore"):  # diverging settings reach inf
            drift[:, rows] = np.sum(xs[..., 0] ** 2, axis=-1)
            noise[:, rows] = np.cumsum(np.sum(xs[..., 1] ** 2, axis=-1), axis=0)
    return NoisyError(drift, noise)


def noisy_steps(method: str, eigenvalues, start, lr, momentum, sigmas, *, steps: int, target: float) -> Array:
    r"""Steps until the expected squared error stays below ``target``, for every noise level and setting.

    :func:`expected_sq_error` over a (learning rate, momentum) grid, a few rows at a time so that
    fine grids and long runs fit in memory, followed by :func:`nagcore.steps_to_tolerance`.

    Args:
      method, eigenvalues, start, lr, momentum, steps: as in :func:`expected_sq_error`.
      sigmas: noise levels :math:`\sigma \ge 0`, shape ``(S,)``.
      target: the expected squared error to reach, > 0.

    Returns:
      Float array of shape ``(S, N, M)``: the step count, or ``inf`` if not reached within ``steps``.

    Example:
      >>> noisy_steps("gd", [1.0], [1.0], [0.5], [0.0], [0.0, 2.0], steps=20, target=0.5)[:, 0, 0]
      array([ 1., inf])
    """
    lr_, gamma = _grid(lr, momentum)
    sig = np.atleast_1d(np.asarray(sigmas, dtype=float))
    if sig.ndim != 1 or not np.all(np.isfinite(sig)) or np.any(sig < 0):
        raise ValueError(f"sigmas must be a 1-D array of finite values >= 0, got {_checks._show(sigmas)}")
    counts = np.empty((sig.size, lr_.size, gamma.size))
    for rows in _row_chunks(lr_.size, gamma.size * 8, steps):
        error = expected_sq_error(method, eigenvalues, start, lr_[rows], gamma, steps=steps)
        for i, s in enumerate(sig):
            counts[i, rows] = steps_to_tolerance(error.mse(s), target)
    return counts
