r"""Convergence rates of gradient descent, heavy ball and Nesterov's method on quadratics.

On :math:`f(\theta) = \tfrac12 (\theta - \theta^\star)^\top A (\theta - \theta^\star)` every method in
:mod:`nagcore.optimizers` acts on each eigen-direction of :math:`A` separately. Along an eigenvector
with eigenvalue :math:`\lambda`, write :math:`h = \eta\lambda` (learning rate times curvature),
:math:`\gamma` for the momentum and :math:`e_k` for the error :math:`\theta_k - \theta^\star` in that
direction. Eliminating the velocity (:math:`v_k = \theta_{k-1} - \theta_k`) gives a two-term recurrence

.. math::
   e_{k+1} = b\, e_k - c\, e_{k-1}, \qquad
   \begin{pmatrix} e_{k+1} \\ e_k \end{pmatrix} =
   \underbrace{\begin{pmatrix} b & -c \\ 1 & 0 \end{pmatrix}}_{T(h, \gamma)}
   \begin{pmatrix} e_k \\ e_{k-1} \end{pmatrix},

with

=============  =========================  ========================
method         :math:`b`                  :math:`c`
=============  =========================  ========================
``"gd"``       :math:`1 - h`              :math:`0`
``"momentum"`` :math:`1 + \gamma - h`     :math:`\gamma`
``"nesterov"`` :math:`(1 + \gamma)(1-h)`  :math:`\gamma (1 - h)`
=============  =========================  ========================

The eigenvalues of :math:`T` are the roots of :math:`z^2 - b z + c`; the largest modulus (the
spectral radius) is the factor by which the error eventually shrinks per step. Gradient descent
is the case :math:`\gamma = 0` of both momentum methods, so ``"gd"`` ignores ``momentum``.

Stability (all roots inside the unit circle; the Schur-Cohn conditions :math:`|c| < 1`,
:math:`|b| < 1 + c`) holds exactly when

* gradient descent: :math:`0 < h < 2`;
* heavy ball: :math:`0 < h < 2(1 + \gamma)`;
* Nesterov: :math:`0 < h < 2(1 + \gamma)/(1 + 2\gamma)`.

References:
  Polyak (1964), Some methods of speeding up the convergence of iteration methods.
  Nesterov (2004), Introductory Lectures on Convex Optimization, sections 2.1-2.2.
  Lessard, Recht and Packard (2016), Analysis and design of optimization algorithms via integral
  quadratic constraints, section 2.
  Goh (2017), Why momentum really works, Distill.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import numpy as np

from nagcore import _checks

__all__ = ["METHODS", "Tuned", "RateMap", "coefficients", "iteration_matrix", "rate", "steps_per_decade", "tuned", "rate_map"]

Array = np.ndarray

#: The method names accepted by every function here, in the book's order.
METHODS = ("gd", "momentum", "nesterov")


class Tuned(NamedTuple):
    """A method's classical tuned hyperparameters for a quadratic with curvatures in ``[mu, L]``.

    Attributes:
      lr: learning rate.
      momentum: momentum (0 for gradient descent).
      rate: spectral radius of the iteration at these settings, the largest over ``[mu, L]``.
    """

    lr: float
    momentum: float
    rate: float


class RateMap(NamedTuple):
    """Rates over a (learning rate, momentum) grid for several condition numbers, with ``L = 1``.

    Attributes:
      kappa: condition numbers, shape ``(K,)``.
      lr: learning rates, shape ``(N,)``; with ``L = 1`` this is also ``lr * L``.
      momentum: momenta, shape ``(M,)``.
      rates: ``{method: array of shape (K, M, N)}``; ``rates[m][k, j, i]`` is the rate of ``m`` at
        ``kappa[k]``, ``momentum[j]``, ``lr[i]`` (rows are momenta, so ``imshow`` draws lr across).
      tuned: ``{method: array of shape (K, 3)}`` holding ``(lr, momentum, rate)`` from :func:`tuned`.
    """

    kappa: Array
    lr: Array
    momentum: Array
    rates: dict
    tuned: dict


def _method(method) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    return method


def _eigenvalues(eigenvalues) -> Array:
    lam = _checks.real_array("eigenvalues", eigenvalues, "finite and >= 0 with a non-empty last axis")
    if lam.ndim == 0:
        lam = lam[np.newaxis]
    if lam.shape[-1] == 0 or not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError(f"eigenvalues must be finite and >= 0 with a non-empty last axis, got {_checks._show(eigenvalues)}")
    return lam


@np.errstate(all="ignore")  # extreme but valid settings give inf or nan rates, not warnings
def coefficients(method: str, lr, momentum, eigenvalues) -> tuple[Array, Array]:
    r"""The coefficients :math:`(b, c)` of :math:`e_{k+1} = b e_k - c e_{k-1}` for each eigenvalue.

    Broadcasting is as in :func:`rate`, except that the eigenvalue axis is kept: the result has shape
    ``broadcast(lr.shape, momentum.shape, eigenvalues.shape[:-1]) + eigenvalues.shape[-1:]``.

    Example:
      >>> b, c = coefficients("nesterov", lr=0.1, momentum=0.5, eigenvalues=[1.0, 10.0])
      >>> b, c    # (1.5 * 0.9, 1.5 * 0) and (0.5 * 0.9, 0.5 * 0)
      (array([1.35, 0.  ]), array([0.45, 0.  ]))
    """
    method = _method(method)
    lr_ = _checks.positive("lr", lr)
    gamma = _checks.unit_interval("momentum", momentum)
    lam = _eigenvalues(eigenvalues)
    h = lr_[..., np.newaxis] * lam
    g = gamma[..., np.newaxis]
    if method == "gd":
        b, c = 1.0 - h, np.zeros_like(h)
        b, c, _ = np.broadcast_arrays(b, c, g)  # keep momentum's shape in the batch shape
    elif method == "momentum":
        b, c = 1.0 + g - h, g + 0.0 * h
    else:
        b, c = (1.0 + g) * (1.0 - h), g * (1.0 - h)
    return np.array(b, dtype=float), np.array(c, dtype=float)


def iteration_matrix(method: str, lr, momentum, eigenvalues) -> Array:
    r"""The matrix :math:`T` that maps :math:`(e_k, e_{k-1})` to :math:`(e_{k+1}, e_k)` in each eigen-direction.

    Args:
      method, lr, momentum, eigenvalues: as in :func:`rate`.

    Returns:
      Shape ``batch + (n, 2, 2)``, where ``n`` is the length of the eigenvalue axis. For ``"gd"`` the
      matrix is :math:`\begin{pmatrix} 1-h & 0 \\ 1 & 0\end{pmatrix}`, whose second eigenvalue is 0.

    Example:
      >>> iteration_matrix("momentum", lr=0.1, momentum=0.5, eigenvalues=2.0)
      array([[[ 1.3, -0.5],
              [ 1. ,  0. ]]])
    """
    b, c = coefficients(method, lr, momentum, eigenvalues)
    T = np.zeros(b.shape + (2, 2))
    T[..., 0, 0], T[..., 0, 1], T[..., 1, 0] = b, -c, 1.0
    return T


def _radius(b: Array, c: Array) -> Array:
    """Largest modulus of the roots of z^2 - b z + c (real b, c)."""
    disc = b * b - 4.0 * c
    with np.errstate(invalid="ignore"):
        real = 0.5 * (np.abs(b) + np.sqrt(np.maximum(disc, 0.0)))
        cplx = np.sqrt(np.maximum(c, 0.0))  # complex pair: |z|^2 = c (c > 0 whenever disc < 0)
    return np.where(disc < 0, cplx, real)


@np.errstate(all="ignore")  # extreme but valid settings give inf or nan rates, not warnings
def rate(method: str, lr, momentum, eigenvalues) -> Array:
    r"""Asymptotic linear rate of a method on a quadratic with the given Hessian eigenvalues.

    The rate is :math:`\rho = \max_i \rho(T(\eta\lambda_i, \gamma))`, the largest spectral radius of
    the per-eigenvalue iteration matrices (see the module docstring). The error then behaves like
    :math:`\|\theta_k - \theta^\star\| \approx C k^{p} \rho^k` with :math:`p = 1` where :math:`T` has
    a double eigenvalue and :math:`p = 0` otherwise; :math:`\rho < 1` means convergence from every
    start, :math:`\rho > 1` divergence from almost every start.

    ``rate < 1`` is exactly the stability test: on the boundary (a rate of exactly 1, such as
    gradient descent at :math:`\eta\lambda = 2`) rounding could leave the computed spectral radius a
    hair below 1, so settings within rounding of the Schur-Cohn boundary are decided in exact
    rational arithmetic on the given floats, and the result is >= 1 for every setting that is not
    stable and < 1 for every setting that is.

    Broadcasting: the **last axis** of ``eigenvalues`` is the spectrum (a scalar counts as one
    eigenvalue) and the maximum is taken over it. ``lr``, ``momentum`` and the **leading axes** of
    ``eigenvalues`` broadcast together numpy-style; their broadcast shape is the shape of the result.
    For example ``lr`` of shape ``(N,)``, ``momentum`` of shape ``(M, 1)`` and ``eigenvalues`` of
    shape ``(K, 1, 1, 2)`` (``K`` spectra ``[mu, L]``) give a ``(K, M, N)`` array in one call.

    ``"gd"`` ignores ``momentum`` (gradient descent is the momentum-0 case of both other methods);
    it is still validated and its shape still broadcasts into the result, so a rate map over a
    (lr, momentum) grid has the same shape for every method.

    Only the given eigenvalues count. For a continuum of curvatures in ``[mu, L]`` pass the end
    points: for all three methods and every (lr, momentum) the spectral radius, as a function of
    :math:`h = \eta\lambda`, falls and then rises, so its maximum over an interval is at an end point.

    Args:
      method: ``"gd"``, ``"momentum"`` (heavy ball) or ``"nesterov"``.
      lr: learning rate(s) :math:`\eta`, finite and > 0.
      momentum: momentum(s) :math:`\gamma` in ``[0, 1)``.
      eigenvalues: Hessian eigenvalues :math:`\lambda_i`, finite and >= 0, spectrum on the last axis.

    Returns:
      float64 array of the broadcast shape (a 0-d array for scalar arguments).

    Raises:
      ValueError: unknown ``method``, or an argument outside its range (the message names it).

    Example:
      >>> round(float(rate("gd", lr=2 / 11, momentum=0.0, eigenvalues=[1.0, 10.0])), 6)  # 9/11
      0.818182
      >>> rate("momentum", lr=[0.1, 0.5], momentum=0.5, eigenvalues=[1.0, 10.0]).round(4)
      array([0.7071, 3.3508])

      The first is :math:`\sqrt{0.5}` (a complex pair in both directions); the second diverges
      because :math:`\eta\lambda = 5 > 2(1 + \gamma) = 3`.

      >>> rate("nesterov", 0.1, [[0.0], [0.9]], [1.0, 10.0]).shape  # momentum (2, 1), lr ()
      (2, 1)
    """
    b, c = coefficients(method, lr, momentum, eigenvalues)
    radius = _radius(b, c)
    margin = np.minimum(1.0 - np.abs(c), 1.0 + c - np.abs(b))  # > 0 exactly when stable (Schur-Cohn)
    tol = 1e-13 * (1.0 + np.abs(b) + np.abs(c))
    unsure = (np.abs(margin) <= tol) | (np.abs(radius - 1.0) <= 1e-7)
    stable = margin > 0
    if unsure.any():
        h, g = _inputs(lr, momentum, eigenvalues, b.shape)
        stable[unsure] = [_stable_exactly(method, hi, gi) for hi, gi in zip(h[unsure], g[unsure])]
    radius = np.where(stable, np.minimum(radius, _BELOW_ONE), np.maximum(radius, 1.0))
    return np.max(radius, axis=-1)


#: The largest float below 1: the rate of a stable setting whose computed radius rounded up to 1.
_BELOW_ONE = np.nextafter(1.0, 0.0)


def _inputs(lr, momentum, eigenvalues, shape) -> tuple[Array, Array]:
    """``lr``, ``lam`` (as the pair ``(lr, lam)``) and ``momentum`` broadcast to the coefficients' shape."""
    lr_ = np.asarray(lr)[..., np.newaxis]  # validated already; _stable_exactly takes float() of each
    gamma = np.asarray(momentum)[..., np.newaxis]
    lam = _eigenvalues(eigenvalues)
    lr_b, lam_b, gamma_b = (np.broadcast_to(a, shape) for a in (lr_, lam, gamma))
    return np.stack([lr_b, lam_b], axis=-1), gamma_b


def _stable_exactly(method: str, lr_lam, gamma) -> bool:
    """Schur-Cohn (``|c| < 1`` and ``|b| < 1 + c``) in exact rational arithmetic on the given floats."""
    h = Fraction(float(lr_lam[0])) * Fraction(float(lr_lam[1]))
    g = Fraction(float(gamma))
    if method == "gd":
        b, c = 1 - h, Fraction(0)
    elif method == "momentum":
        b, c = 1 + g - h, g
    else:
        b, c = (1 + g) * (1 - h), g * (1 - h)
    return abs(c) < 1 and abs(b) < 1 + c


def steps_per_decade(rates) -> Array:
    r"""Steps that shrink the error ten-fold at a rate :math:`\rho`: :math:`\ln 10 / (-\ln \rho)`, ``inf`` if :math:`\rho \ge 1`.

    A rate of exactly 1 (for example gradient descent at :math:`\eta L = 2`) does not converge, so
    it gets ``inf``, never a large finite count; :func:`rate` already returns a value >= 1 for every
    setting that is not stable in exact arithmetic.

    Example:
      >>> steps_per_decade([0.1, 0.5, 1.0, 3.0]).round(3)
      array([1.   , 3.322,   inf,   inf])
    """
    rho = _checks.real_array("rates", rates)
    if np.any(rho < 0) or not np.all(np.isfinite(rho)):
        raise ValueError(f"rates must be finite and >= 0, got {_checks._show(rates)}")
    with np.errstate(divide="ignore"):  # log(0) and the division by -log(1) = -0; nothing else can warn
        return np.where(rho < 1, np.log(10.0) / -np.log(rho), np.inf)


def tuned(method: str, L: float, mu: float) -> Tuned:
    r"""The classical tuned (learning rate, momentum) of a method for curvatures in ``[mu, L]``, and its rate.

    With :math:`\kappa = L/\mu`:

    * ``"gd"``: :math:`\eta = 2/(L+\mu)`, rate :math:`(\kappa-1)/(\kappa+1)` (both extreme
      eigen-directions shrink by the same factor);
    * ``"momentum"`` (Polyak, 1964): :math:`\eta = 4/(\sqrt L + \sqrt\mu)^2`,
      :math:`\gamma = \big((\sqrt\kappa-1)/(\sqrt\kappa+1)\big)^2`, rate
      :math:`\sqrt\gamma = (\sqrt\kappa-1)/(\sqrt\kappa+1)`: every direction in :math:`[\mu, L]` gets a
      complex pair of modulus :math:`\sqrt\gamma`, with a double root at both ends;
    * ``"nesterov"`` (Nesterov, 2004, scheme 2.2.19): :math:`\eta = 1/L`,
      :math:`\gamma = (\sqrt\kappa-1)/(\sqrt\kappa+1)`, rate :math:`1 - 1/\sqrt\kappa`.

    The Nesterov rate is derived, not quoted. At :math:`h = \lambda/L` the coefficients are
    :math:`b = (1+\gamma)(1-h)`, :math:`c = \gamma(1-h)`. Since :math:`(1+\gamma)^2 = 4\kappa/(\sqrt\kappa+1)^2`,
    the discriminant :math:`b^2 - 4c = (1-h)\big[(1-h)(1+\gamma)^2 - 4\gamma\big]` vanishes exactly at
    :math:`1 - h = 4\gamma/(1+\gamma)^2 = 1 - 1/\kappa`, that is at :math:`\lambda = \mu`. There
    :math:`T` is a Jordan block with the double eigenvalue
    :math:`b/2 = \tfrac{\sqrt\kappa}{\sqrt\kappa+1}\,(1 - \tfrac1\kappa) = 1 - 1/\sqrt\kappa`; for
    :math:`\mu < \lambda < L` the pair is complex with the smaller modulus :math:`\sqrt{\gamma(1-h)}`,
    and at :math:`\lambda = L` both roots are 0. So the spectral radius is *exactly*
    :math:`1 - 1/\sqrt\kappa`, but the slowest direction decays like :math:`k(1-1/\sqrt\kappa)^k`
    (Jordan block), not like :math:`(1-1/\sqrt\kappa)^k`.

    The commonly stated guarantee is a different statement: for every :math:`\mu`-strongly convex,
    :math:`L`-smooth :math:`f`, :math:`f(\theta_k) - f^\star \le \big(f(\theta_0) - f^\star +
    \tfrac\mu2\|\theta_0-\theta^\star\|^2\big)(1 - 1/\sqrt\kappa)^k` (Nesterov, 2004, Theorem 2.2.3).
    On a quadratic the gap is quadratic in the error, so it actually shrinks like
    :math:`(1-1/\sqrt\kappa)^{2k}` up to the polynomial factor: the bound on :math:`f` is loose by a
    square there. In both readings, tuned heavy ball,
    :math:`(\sqrt\kappa-1)/(\sqrt\kappa+1) \approx 1 - 2/\sqrt\kappa`, has the smaller rate on quadratics.

    Args:
      method: ``"gd"``, ``"momentum"`` or ``"nesterov"``.
      L: largest curvature, finite and > 0.
      mu: smallest curvature, finite, in ``(0, L]``.

    Returns:
      A :class:`Tuned` ``(lr, momentum, rate)`` of Python floats.

    Example:
      >>> tuned("gd", L=100.0, mu=1.0)                          # kappa = 100
      Tuned(lr=0.019801980198019802, momentum=0.0, rate=0.9801980198019802)
      >>> [round(v, 4) for v in tuned("momentum", L=100.0, mu=1.0)]   # rate 9/11
      [0.0331, 0.6694, 0.8182]
      >>> [round(v, 4) for v in tuned("nesterov", L=100.0, mu=1.0)]   # rate 1 - 1/10
      [0.01, 0.8182, 0.9]

    References:
      Polyak (1964); Nesterov (2004), Theorem 2.2.3; Lessard, Recht and Packard (2016), section 2.2.
    """
    method = _method(method)
    L_ = float(_checks.positive("L", L))
    mu_ = float(_checks.positive("mu", mu))
    if mu_ > L_:
        raise ValueError(f"mu must be in (0, L] = (0, {L_!r}], got {mu!r}")
    kappa = L_ / mu_
    s = float(np.sqrt(kappa))
    if method == "gd":
        return Tuned(2.0 / (L_ + mu_), 0.0, (kappa - 1.0) / (kappa + 1.0))
    if method == "momentum":
        return Tuned(4.0 / (L_**0.5 + mu_**0.5) ** 2, ((s - 1.0) / (s + 1.0)) ** 2, (s - 1.0) / (s + 1.0))
    return Tuned(1.0 / L_, (s - 1.0) / (s + 1.0), 1.0 - 1.0 / s)


@np.errstate(all="ignore")  # extreme but valid settings give inf or nan rates, not warnings
def rate_map(kappa, lr=None, momentum=None) -> RateMap:
    r"""Rates of all three methods over a (learning rate, momentum) grid, one slice per condition number.

    The curvatures are :math:`[1/\kappa, 1]` (so ``L = 1`` and ``lr`` is ``lr * L``); rates depend on
    the learning rate only through :math:`\eta L` and :math:`\eta\mu`, so this loses no generality.
    Everything is one vectorised :func:`rate` call per method.

    Args:
      kappa: condition numbers, >= 1, shape ``(K,)`` (a scalar counts as one).
      lr: learning rates (``lr * L``), > 0, shape ``(N,)``; default 160 values in ``(0, 4]``, which
        covers every stable heavy-ball setting (:math:`\eta L < 2(1+\gamma) < 4`).
      momentum: momenta in ``[0, 1)``, shape ``(M,)``; default 120 values from 0 to 0.995 with
        ``1 - momentum`` spaced geometrically, which resolves the band near 1 where
        ill-conditioned problems are tuned.

    Returns:
      A :class:`RateMap`; each ``rates[method]`` has shape ``(K, M, N)``.

    Example:
      >>> m = rate_map([10.0, 100.0])
      >>> m.rates["nesterov"].shape, m.tuned["momentum"].shape
      ((2, 120, 160), (2, 3))
      >>> bool(np.all(m.rates["momentum"][1] >= m.tuned["momentum"][1, 2] - 1e-12))  # the tuned rate is the best
      True
    """
    k = np.atleast_1d(np.asarray(kappa, dtype=float))
    if k.ndim != 1 or k.size == 0 or not np.all(np.isfinite(k)) or np.any(k < 1):
        raise ValueError(f"kappa must be a non-empty 1-D array of finite values >= 1, got {_checks._show(kappa)}")
    lrs = np.linspace(4.0, 0.0, 160, endpoint=False)[::-1] if lr is None else _checks.positive("lr", lr)
    moms = 1.0 - np.geomspace(1.0, 0.005, 120) if momentum is None else _checks.unit_interval("momentum", momentum)
    if lrs.ndim != 1 or moms.ndim != 1:
        raise ValueError(f"lr and momentum must be 1-D grids, got shapes {lrs.shape} and {moms.shape}")
    spectra = np.stack([1.0 / k, np.ones_like(k)], axis=-1)[:, np.newaxis, np.newaxis, :]  # (K, 1, 1, 2)
    rates = {m: rate(m, lrs, moms[:, np.newaxis], spectra) for m in METHODS}
    best = {m: np.array([tuned(m, 1.0, 1.0 / kk) for kk in k]) for m in METHODS}
    return RateMap(k, lrs, moms, rates, best)
