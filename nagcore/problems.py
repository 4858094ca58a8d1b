"""Test problems as data: a :class:`Problem` holds the objective, its gradient and what we know about it.

Every function here acts on the last axis of ``x`` and broadcasts over the leading axes, so
``problem.f(xs)`` with ``xs`` of shape ``(steps + 1, runs, d)`` returns shape ``(steps + 1, runs)``.
That is what lets :func:`nagcore.run` advance a whole grid of runs as one array operation.

The factories follow QuantEcon's habit of storing model primitives in a ``NamedTuple`` built by a
factory function: the factory validates its arguments once; the functions it returns trust their input.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import numpy as np

from nagcore import _checks

__all__ = [
    "Problem",
    "quadratic",
    "rosenbrock",
    "double_well",
    "piecewise_quadratic",
    "nesterov_worst_case",
    "least_squares",
    "make_regression",
    "minibatch_gradient",
]

Array = np.ndarray


class Problem(NamedTuple):
    """An objective with its gradient and known facts.

    Attributes:
      f: objective, maps ``(..., d)`` to ``(...)``.
      grad: gradient, maps ``(..., d)`` to ``(..., d)``.
      x_star: a minimiser, shape ``(d,)`` (the global one where there are several).
      L: largest eigenvalue of the Hessian; the smoothness constant for quadratics and convex
        problems, the local curvature at ``x_star`` otherwise.
      mu: smallest eigenvalue of the Hessian at ``x_star`` (the strong-convexity constant for
        quadratics; 0 when the problem is convex but not strongly convex).
      name: a short human-readable name, used in legends.
      x0: the start point the book uses for this problem, shape ``(d,)``.
      bounds: plotting window, shape ``(d, 2)``: ``bounds[i] = (low, high)`` for coordinate ``i``.
    """

    f: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    x_star: Array
    L: float
    mu: float
    name: str
    x0: Array
    bounds: Array

    @property
    def dim(self) -> int:
        """Number of parameters ``d``."""
        return self.x_star.shape[-1]

    @property
    def f_star(self) -> float:
        """The optimal value ``f(x_star)``."""
        return float(self.f(self.x_star))

    @property
    def kappa(self) -> float:
        """Condition number ``L / mu`` (``inf`` when ``mu == 0``)."""
        return self.L / self.mu if self.mu > 0 else np.inf


#: Elements of the ``rows x d_out x d_in`` product that :func:`_matvec` forms at a time (8 MiB).
_CHUNK = 1 << 20


def _sum(a: Array) -> Array:
    """Sum over the last axis in a fixed pairwise order, the same for every row and every batch layout.

    ``np.sum`` lets the reduction's order depend on the array's shape (numpy unrolls, blocks and
    may reorder the loop), so a run inside a batch could differ in the last bit from the same run
    alone. Here each level adds the two halves elementwise, and elementwise arithmetic is exact per
    element, so the result is a function of the row alone.
    """
    while a.shape[-1] > 1:
        n = a.shape[-1]
        half = n // 2
        if n % 2:  # odd: the middle element is carried to the next level
            head = a[..., : n - half].copy()
            head[..., :half] += a[..., n - half :]
            a = head
        else:
            a = a[..., :half] + a[..., half:]
    return a[..., 0]


def _matvec(M: Array, x: Array) -> Array:
    """``M @ x`` over the last axis of ``x``, summed in the same order for every run.

    ``x @ M.T`` would hand batches to BLAS, whose blocking (and so its rounding) depends on the
    batch size; this keeps "a batch of runs equals the runs done one by one" exact to the bit. Rows
    are taken a chunk at a time, so the ``rows x d_out x d_in`` product never exceeds :data:`_CHUNK`
    elements per chunk (a single row may need ``d_out x d_in``, the size of ``M`` itself).
    """
    d_out, d_in = M.shape
    flat = x.reshape(-1, d_in)
    out = np.empty((flat.shape[0], d_out))
    rows = max(1, _CHUNK // (d_out * d_in))
    for start in range(0, flat.shape[0], rows):
        out[start : start + rows] = _sum(M * flat[start : start + rows, np.newaxis, :])
    return out.reshape(x.shape[:-1] + (d_out,))


def _quiet(fn: Callable) -> Callable:
    """Evaluate ``fn`` with numpy's floating-point warnings off: far from the minimum, overflow to
    ``inf`` is the answer (``run`` flags it), not a reason to warn."""

    @functools.wraps(fn)
    def quiet(x):
        with np.errstate(all="ignore"):
            return fn(x)

    return quiet


def _problem(f, grad, x_star, L, mu, name, x0, bounds) -> "Problem":
    """A :class:`Problem` whose functions do not warn and whose arrays are read-only copies."""
    arrays = (np.array(a, dtype=float) for a in (x_star, x0, bounds))
    x_star, x0, bounds = (_checks.frozen(a) for a in arrays)
    return Problem(_quiet(f), _quiet(grad), x_star, float(L), float(mu), name, x0, bounds)


def _window(x_star: Array, x0: Array, margin: float = 1.3) -> Array:
    """A square plotting window centred on ``x_star`` that contains ``x0`` with some margin."""
    radius = margin * max(float(np.max(np.abs(x0 - x_star))), 1e-3)
    return np.stack([x_star - radius, x_star + radius], axis=-1)


def _rotation(rotation, dim: int):
    """The orthogonal matrix ``Q``, or ``None`` for the axis-aligned case."""
    if rotation is None:
        return None
    if np.ndim(rotation) == 0:
        if dim != 2:
            raise ValueError(f"rotation given as an angle needs dim == 2, got dim={dim}; pass a ({dim}, {dim}) orthogonal matrix instead")
        angle = _checks.finite("rotation", rotation)
        c, s = np.cos(angle), np.sin(angle)
        return np.array([[c, -s], [s, c]])
    q = _checks.real_array("rotation", rotation, f"an angle (2-D) or a ({dim}, {dim}) orthogonal matrix")
    if q.shape != (dim, dim) or not np.all(np.isfinite(q)) or not np.allclose(q.T @ q, np.eye(dim), rtol=0.0, atol=1e-10):
        raise ValueError(f"rotation must be an angle (2-D) or a ({dim}, {dim}) orthogonal matrix, got shape {q.shape}")
    return q


def _point(name: str, value, d: int) -> Array:
    arr = _checks.finite_vector(name, value)
    if arr.size != d:
        raise ValueError(f"{name} must have {d} entries (one per eigenvalue), got shape {arr.shape}")
    return arr.reshape(d)


@np.errstate(all="ignore")  # extreme but valid input gives inf constants, not warnings
def quadratic(eigenvalues=None, *, condition_number=None, dim: int = 2, rotation=None, x_star=None, x0=None, name=None) -> Problem:
    r"""A convex quadratic :math:`f(x) = \tfrac12 (x - x^\star)^\top A (x - x^\star)`.

    :math:`A = Q \,\mathrm{diag}(\lambda)\, Q^\top`, so the gradient is :math:`A (x - x^\star)`,
    :math:`L = \max \lambda`, :math:`\mu = \min \lambda` and the condition number is :math:`L/\mu`.

    Args:
      eigenvalues: the Hessian's eigenvalues :math:`\lambda_i \ge 0`, at least one > 0. Give either
        this or ``condition_number``.
      condition_number: :math:`\kappa \ge 1`; the eigenvalues are then ``dim`` values spaced
        geometrically from :math:`1/\kappa` to 1, so that :math:`L = 1`.
      dim: number of parameters when ``condition_number`` is used.
      rotation: ``None`` (axis-aligned), an angle in radians (2-D only) or an orthogonal matrix ``Q``.
      x_star: the minimiser (default: the origin).
      x0: start point used by the book (default: ``x_star - 1`` in every coordinate).
      name: label for legends.

    Returns:
      A :class:`Problem`.

    Example:
      >>> import numpy as np
      >>> p = quadratic([1.0, 10.0])
      >>> p.L, p.mu, p.kappa
      (10.0, 1.0, 10.0)
      >>> p.grad(np.array([1.0, 1.0]))
      array([ 1., 10.])
      >>> p.f(np.zeros((4, 3, 2))).shape
      (4, 3)
    """
    if (eigenvalues is None) == (condition_number is None):
        raise ValueError("give exactly one of eigenvalues or condition_number")
    if condition_number is not None:
        kappa = _checks.finite("condition_number", condition_number)
        if kappa < 1:
            raise ValueError(f"condition_number must be finite and >= 1, got {condition_number!r}")
        dim = _checks.count("dim", dim, minimum=1)
        lam = np.geomspace(1.0 / kappa, 1.0, dim) if dim > 1 else np.ones(1)
    else:
        lam = _checks.real_array("eigenvalues", eigenvalues).reshape(-1)
        if lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam < 0) or not np.any(lam > 0):
            raise ValueError(f"eigenvalues must be finite and >= 0 with at least one > 0, got {_checks._show(eigenvalues)}")
    d = lam.size
    q = _rotation(rotation, d)
    centre = np.zeros(d) if x_star is None else _point("x_star", x_star, d)
    start = centre - 1.0 if x0 is None else _point("x0", x0, d)
    centre = _checks.frozen(centre)

    if q is None:  # axis-aligned: the Hessian is diag(lam); no d x d matrix, O(d) per row
        lam = _checks.frozen(lam.copy())

        def grad(x):
            return lam * (x - centre)

        def f(x):
            y = x - centre
            return 0.5 * _sum(lam * y * y)

    else:
        hessian = (q * lam) @ q.T
        hessian = _checks.frozen(0.5 * (hessian + hessian.T))

        def grad(x):
            return _matvec(hessian, x - centre)

        def f(x):
            y = x - centre
            return 0.5 * _sum(_matvec(hessian, y) * y)

    label = name or (f"quadratic (κ = {lam.max() / lam.min():g})" if lam.min() > 0 else "quadratic")
    return _problem(f, grad, centre, lam.max(), lam.min(), label, start, _window(centre, start))


@np.errstate(all="ignore")  # extreme but valid input gives inf constants, not warnings
def rosenbrock(a: float = 1.0, b: float = 100.0) -> Problem:
    r"""Rosenbrock's banana valley :math:`f(x, y) = (a - x)^2 + b (y - x^2)^2`.

    Non-convex, with a single minimiser :math:`(a, a^2)` at the bottom of a long curved valley.
    ``L`` and ``mu`` are the Hessian's extreme eigenvalues at the minimiser (local curvature).

    Args:
      a: position of the minimum along x (any finite number).
      b: steepness of the valley walls, > 0.

    Returns:
      A 2-D :class:`Problem`, starting at the classic point ``(-1.2, 1)``.

    Example:
      >>> p = rosenbrock()
      >>> p.x_star, float(p.f(p.x_star))
      (array([1., 1.]), 0.0)
      >>> round(p.L, 2), round(p.mu, 4)
      (1001.6, 0.3994)
    """
    a = _checks.finite("a", a)
    b = float(_checks.positive("b", b))

    def f(x):
        u, v = x[..., 0], x[..., 1]
        return (a - u) ** 2 + b * (v - u**2) ** 2

    def grad(x):
        u, v = x[..., 0], x[..., 1]
        w = v - u**2
        return np.stack([-2.0 * (a - u) - 4.0 * b * u * w, 2.0 * b * w], axis=-1)

    hessian = np.array([[2.0 + 8.0 * b * np.float64(a) ** 2, -4.0 * a * b], [-4.0 * a * b, 2.0 * b]])
    if not np.all(np.isfinite(hessian)):
        raise ValueError(f"a and b must keep the curvature 2 + 8 b a^2 finite, got a={a!r}, b={b!r}")
    lo, hi = np.linalg.eigvalsh(hessian)
    x_star = np.array([a, a**2])
    bounds = np.array([[a - 3.0, a + 1.5], [a**2 - 2.0, a**2 + 3.0]])
    return _problem(f, grad, x_star, hi, lo, "Rosenbrock", [-1.2, 1.0], bounds)


@np.errstate(all="ignore")  # extreme but valid input gives inf constants, not warnings
def double_well(tilt: float = 0.25) -> Problem:
    r"""A tilted double well in 1-D: :math:`f(x) = x^4/4 - x^2/2 + t\,x`.

    For :math:`0 < t < 2/(3\sqrt3)` there are two minima: the global one on the left and a
    shallower local one on the right. The book starts on the right (``x0 = 2``), so a method that
    stops in the first dip it meets ends in the local minimum.

    Args:
      tilt: :math:`t`, in ``(0, 2 / (3 * sqrt(3)))`` so that both wells exist.

    Returns:
      A 1-D :class:`Problem`; ``x_star`` is the global minimiser; ``L`` and ``mu`` are
      :math:`f''` there (the local curvature).

    Example:
      >>> p = double_well()
      >>> p.x_star.round(4), float(p.grad(p.x_star)[0]).__abs__() < 1e-12
      (array([-1.1072]), True)
    """
    t = _checks.finite("tilt", tilt)
    t_max = 2.0 / (3.0 * np.sqrt(3.0))
    if not 0 < t < t_max:
        raise ValueError(f"tilt must be in (0, {t_max:.4f}), got {tilt!r}")

    def f(x):
        u = x[..., 0]
        return 0.25 * u**4 - 0.5 * u**2 + t * u

    def grad(x):
        return x**3 - x + t

    roots = np.roots([1.0, 0.0, -1.0, t]).real
    x_min = float(roots.min())
    x_min -= (x_min**3 - x_min + t) / (3 * x_min**2 - 1)  # one Newton step polishes the root
    curvature = 3 * x_min**2 - 1
    return _problem(f, grad, [x_min], curvature, curvature, f"double well (tilt {t:g})", [2.0], [[-1.8, 2.2]])


@np.errstate(all="ignore")  # extreme but valid input gives inf constants, not warnings
def piecewise_quadratic() -> Problem:
    r"""The strongly convex 1-D function on which tuned heavy ball cycles (Lessard, Recht and Packard, 2016).

    .. math::
       f(x) = \begin{cases} \tfrac{25}{2} x^2 & x < 1 \\ \tfrac12 x^2 + 24 x - 12 & 1 \le x < 2 \\
              \tfrac{25}{2} x^2 - 24 x + 36 & x \ge 2 \end{cases}

    It is continuously differentiable with :math:`f'' \in \{1, 25\}`, so :math:`\mu = 1`, :math:`L = 25`
    and :math:`x^\star = 0`. Heavy ball with the parameters that are optimal for quadratics with
    these constants does not converge from ``x0 = 3.3``; Nesterov's method does.

    Example:
      >>> p = piecewise_quadratic()
      >>> p.L, p.mu, float(p.f(p.x_star))
      (25.0, 1.0, 0.0)
    """

    def f(x):
        u = x[..., 0]
        return np.where(u < 1, 12.5 * u**2, np.where(u < 2, 0.5 * u**2 + 24 * u - 12, 12.5 * u**2 - 24 * u + 36))

    def grad(x):
        return np.where(x < 1, 25 * x, np.where(x < 2, x + 24, 25 * x - 24))

    return _problem(f, grad, [0.0], 25.0, 1.0, "piecewise quadratic", [3.3], [[-4.0, 4.0]])


@np.errstate(all="ignore")  # extreme but valid input gives inf constants, not warnings
def nesterov_worst_case(dim: int = 100, L: float = 1.0) -> Problem:
    r"""Nesterov's worst function in the world: the quadratic behind the :math:`O(1/k^2)` lower bound.

    .. math:: f(x) = \frac{L}{4}\Big(\tfrac12\big[x_1^2 + \sum_{i=1}^{d-1} (x_i - x_{i+1})^2 + x_d^2\big] - x_1\Big)

    Started from the origin, any method whose iterates stay in the span of the gradients seen so far
    can only have touched the first ``k`` coordinates after ``k`` steps, which forces
    :math:`f(x_k) - f^\star \ge \frac{3 L \|x_0 - x^\star\|^2}{32 (k+1)^2}` for :math:`k \le (d-1)/2`
    (Nesterov, 2004, Theorem 2.1.7).

    Args:
      dim: number of parameters ``d >= 2``.
      L: smoothness constant, > 0.

    Returns:
      A :class:`Problem` with ``x_star[i] = 1 - (i + 1) / (d + 1)`` and tiny but positive ``mu``.

    Example:
      >>> p = nesterov_worst_case(dim=5)
      >>> bool(abs(p.grad(p.x_star)).max() < 1e-15)
      True
    """
    d = _checks.count("dim", dim, minimum=2)
    L = float(_checks.positive("L", L))
    e1 = np.zeros(d)
    e1[0] = 1.0

    def tridiag(x):
        padded = np.concatenate([np.zeros_like(x[..., :1]), x, np.zeros_like(x[..., :1])], axis=-1)
        return 2.0 * x - padded[..., :-2] - padded[..., 2:]

    def f(x):
        return 0.25 * L * (0.5 * _sum(x * tridiag(x)) - x[..., 0])

    def grad(x):
        return 0.25 * L * (tridiag(x) - e1)

    x_star = 1.0 - np.arange(1, d + 1) / (d + 1)
    eig = 0.25 * L * (2.0 - 2.0 * np.cos(np.array([1, d]) * np.pi / (d + 1)))
    x0 = np.zeros(d)
    return _problem(f, grad, x_star, eig[1], eig[0], f"Nesterov's worst case (d = {d})", x0, _window(x_star, x0))


@np.errstate(all="ignore")  # extreme but valid input gives inf constants, not warnings
def least_squares(features, targets, name: str = "least squares") -> Problem:
    r"""Linear least squares :math:`f(w) = \frac{1}{2n} \lVert X w - y \rVert^2` on a dataset.

    The gradient is :math:`\frac1n X^\top (X w - y)`; the Hessian :math:`\frac1n X^\top X` gives
    ``L`` and ``mu``. For stochastic or mini-batch gradients of the same objective use
    :func:`minibatch_gradient`.

    Args:
      features: ``X``, shape ``(n, d)``, finite.
      targets: ``y``, shape ``(n,)``, finite.

    Returns:
      A :class:`Problem` whose ``x_star`` is the least-squares solution; ``x0`` is the origin.

    Example:
      >>> import numpy as np
      >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
      >>> p = least_squares(X, X @ np.array([1.0, -1.0]))
      >>> p.x_star.round(12), round(p.f_star, 12)
      (array([ 1., -1.]), 0.0)
    """
    X, y = _dataset(features, targets)
    n = X.shape[0]
    XT = _checks.frozen(np.ascontiguousarray(X.T))

    def residual(w):
        return _matvec(X, w) - y

    def f(w):
        r = residual(w)
        return 0.5 * _sum(r * r) / n

    def grad(w):
        return _matvec(XT, residual(w)) / n

    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    eig = np.linalg.eigvalsh(X.T @ X / n)
    x0 = np.zeros(X.shape[1])
    return _problem(f, grad, w_star, eig[-1], max(eig[0], 0.0), name, x0, _window(w_star, x0))


def make_regression(n_samples: int = 200, n_features: int = 2, *, noise: float = 0.5, rng: np.random.Generator):
    r"""A small synthetic regression dataset :math:`y = X w_{true} + \varepsilon`.

    Features are standard normal; :math:`\varepsilon \sim N(0, \text{noise}^2)`; ``w_true`` has entries
    drawn uniformly from [-2, 2].

    Args:
      n_samples: number of rows ``n >= 1``.
      n_features: number of columns ``d >= 1``.
      noise: standard deviation of the label noise, >= 0.
      rng: the ``numpy.random.Generator`` that draws everything (there is no hidden global seed).

    Returns:
      ``(features, targets, w_true)`` with shapes ``(n, d)``, ``(n,)`` and ``(d,)``.

    Example:
      >>> import numpy as np
      >>> X, y, w = make_regression(50, 3, rng=np.random.default_rng(0))
      >>> X.shape, y.shape, w.shape
      ((50, 3), (50,), (3,))
    """
    n = _checks.count("n_samples", n_samples, minimum=1)
    d = _checks.count("n_features", n_features, minimum=1)
    noise = _checks.finite("noise", noise)
    if noise < 0:
        raise ValueError(f"noise must be finite and >= 0, got {noise!r}")
    rng = _generator(rng)
    w_true = rng.uniform(-2.0, 2.0, size=d)
    X = rng.standard_normal((n, d))
    y = X @ w_true + noise * rng.standard_normal(n)
    return X, y, w_true


def minibatch_gradient(features, targets, batch_size: int, *, rng: np.random.Generator) -> Callable[[Array], Array]:
    r"""A stochastic gradient oracle for :func:`least_squares`: each call sees the next mini-batch.

    Each epoch visits every example exactly once in an order shuffled by ``rng`` (sampling without
    replacement, as data loaders do); a call returns
    :math:`\frac1{|B|} X_B^\top (X_B w - y_B)`, an unbiased estimate of the full gradient. With
    ``batch_size == n`` this is the full (batch) gradient; with 1 it is plain SGD.

    The returned function keeps its position in the shuffled order, so it is meant for one
    :func:`nagcore.run` call: make a fresh one (from a fresh or re-seeded generator) per experiment.
    When ``n`` is not a multiple of ``batch_size`` the last batch of an epoch is smaller. All runs in a
    batched ``x0`` see the same mini-batches at every step.

    Args:
      features: ``X``, shape ``(n, d)``.
      targets: ``y``, shape ``(n,)``.
      batch_size: examples per gradient evaluation, in ``[1, n]``.
      rng: a ``numpy.random.Generator``; it is the only source of randomness.

    Returns:
      ``grad(w)`` mapping ``(..., d)`` to ``(..., d)``.

    Example:
      >>> import numpy as np
      >>> X = np.arange(8.0).reshape(4, 2); y = np.ones(4)
      >>> full = minibatch_gradient(X, y, 4, rng=np.random.default_rng(0))
      >>> np.allclose(full(np.zeros(2)), least_squares(X, y).grad(np.zeros(2)))
      True
    """
    X, y = _dataset(features, targets)
    n = X.shape[0]
    size = _checks.count("batch_size", batch_size, minimum=1)
    if size > n:
        raise ValueError(f"batch_size must be in [1, {n}] (the number of examples), got {batch_size!r}")
    rng = _generator(rng)
    order: list[Array] = []

    def grad(w):
        if not order:
            perm = rng.permutation(n)
            order.extend(perm[i : i + size] for i in range(0, n, size))
            order.reverse()
        rows = order.pop()
        Xb = X[rows]
        # the mean over this batch's own size: the last batch of an epoch may be smaller
        return _matvec(Xb.T, _matvec(Xb, w) - y[rows]) / rows.size

    return _quiet(grad)


def _dataset(features, targets) -> tuple[Array, Array]:
    X = _checks.real_array("features", features, "an (n, d) array of real numbers")
    y = _checks.real_array("targets", targets, "an (n,) array of real numbers")
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"features must have shape (n, d) with n, d >= 1, got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"targets must have shape ({X.shape[0]},) to match features, got {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("features and targets must be finite (no NaN or inf)")
    return X, y


def _generator(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}")
    return rng
