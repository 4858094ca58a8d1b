r"""Exact worst cases over whole function classes, by performance estimation (PEP).

"How badly can Nesterov's method do after ``n`` steps on *any* :math:`L`-smooth, :math:`\mu`-strongly
convex function started at distance 1 from its minimiser?" is an optimization problem over
functions. Drori and Teboulle (2014) and Taylor, Hendrickx and Glineur (2017) showed that for
fixed-step first-order methods it is equivalent to a small semidefinite program in the Gram
matrix of the iterates and gradients, whose value is the *exact* worst case (no dimension is
fixed: a worst function exists in dimension ``steps + 2`` or less). PEPit (Goujaud et al., 2024)
writes that program from the method's own update rules; this module feeds it the three methods of
:mod:`nagcore.optimizers`, in the book's form, and solves it with Clarabel.

The methods (velocity :math:`v_0 = 0`, :math:`\gamma_t` the momentum at step ``t``):

* ``"gradient_descent"``: :math:`\theta_{t+1} = \theta_t - \eta\nabla f(\theta_t)` (``momentum`` is validated and ignored);
* ``"momentum"``: :math:`v_{t+1} = \gamma_t v_t + \eta\nabla f(\theta_t)`, :math:`\theta_{t+1} = \theta_t - v_{t+1}`;
* ``"nesterov"``: :math:`v_{t+1} = \gamma_t v_t + \eta\nabla f(\theta_t - \gamma_t v_t)`, :math:`\theta_{t+1} = \theta_t - v_{t+1}`.

Solver settings (always these; nothing falls back silently): Clarabel through cvxpy with absolute
and relative duality-gap tolerances and feasibility tolerance :data:`TOLERANCE` (1e-8). Statuses
``"optimal"`` and ``"optimal_inaccurate"`` are accepted, the second one reported in
:attr:`WorstCase.status`; any other outcome raises :class:`SolverFailure`. The value returned is
PEPit's dual value, an upper bound certified by the dual multipliers; the primal value (a lower
bound attained by the returned instance) is kept beside it. Values above about 1e4 come from
badly scaled programs and deserve suspicion.

PEPit and cvxpy are imported on first use, so ``import nagcore`` stays numpy-only.
:func:`random_member` draws members of the same classes (numpy only), to sample against the
computed worst case and to check proofs about the class on functions that are not quadratics.

References:
  Drori and Teboulle (2014), Performance of first-order methods for smooth convex minimization: a novel approach.
  Taylor, Hendrickx and Glineur (2017), Smooth strongly convex interpolation and exact worst-case
  performance of first-order methods.
  Goujaud, Moucer, Glineur, Hendrickx, Taylor and Dieuleveut (2024), PEPit: computer-assisted worst-case
  analyses of first-order optimization methods in Python.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import pathlib
import warnings
from typing import NamedTuple, Optional, Union

import numpy as np

from nagcore import _checks
from nagcore.problems import Problem

__all__ = ["METHODS", "MEASURES", "TOLERANCE", "Instance", "WorstCase", "SolverFailure", "solve", "worst_case",
           "cache_dir", "random_member"]

Array = np.ndarray

#: Method names, as :mod:`nagcore.optimizers` calls its factories.
METHODS = ("gradient_descent", "momentum", "nesterov")
#: ``"f"``: :math:`f(\theta_n) - f^\star`; ``"dist"``: :math:`\lVert\theta_n - \theta^\star\rVert^2`.
MEASURES = ("f", "dist")
#: Clarabel's absolute and relative gap tolerances and its feasibility tolerance.
TOLERANCE = 1e-8
_ACCEPTED = ("optimal", "optimal_inaccurate")
#: How far below the worst value the low-dimensional instance may be (PEPit's default is 1e-4).
_REDUCTION_TOLERANCE = 1e-6
_PACKAGES = ("PEPit", "cvxpy", "clarabel", "numpy")


class SolverFailure(RuntimeError):
    """The semidefinite program was not solved (status other than optimal or optimal_inaccurate)."""


class Instance(NamedTuple):
    r"""A worst-case function, as the data the method saw, in coordinates where :math:`\theta^\star = 0`, :math:`f^\star = 0`.

    The coordinates are the principal axes of the points and gradients, keeping the axes whose
    singular value is above ``1e-3`` times the largest (the heuristic that finds a low-dimensional
    worst case stops within 1e-6 of the worst value, so smaller axes are solver noise).

    Attributes:
      x: iterates :math:`\theta_0, \dots, \theta_n`, shape ``(n + 1, d)``.
      query: the points where gradients were taken (the look-ahead points for Nesterov), ``(n, d)``.
      grad: the gradients at ``query``, ``(n, d)``.
      fquery: function values at ``query``, ``(n,)``.
      measure: the measure of this instance (:math:`f(\theta_n) - f^\star` or :math:`\lVert\theta_n\rVert^2`).
    """

    x: Array
    query: Array
    grad: Array
    fquery: Array
    measure: float


class WorstCase(NamedTuple):
    """The result of one performance-estimation solve.

    Attributes:
      value: the worst case (PEPit's dual value, an upper bound certified by the multipliers).
      primal: the primal value, attained by the instance (equal to ``value`` up to the tolerances).
      status: ``"optimal"`` or ``"optimal_inaccurate"``.
      solver: the solver's name (always ``"CLARABEL"``).
      instance: an :class:`Instance`, when one was asked for; else ``None``.
    """

    value: float
    primal: float
    status: str
    solver: str
    instance: Optional[Instance]


def worst_case(method, lr, momentum=0.0, *, L=1.0, mu=0.0, steps, measure="f") -> float:
    r"""The exact worst case of ``method`` after ``steps`` steps over :math:`L`-smooth, :math:`\mu`-strongly convex functions.

    The worst case is over every function of the class (``mu = 0``: every :math:`L`-smooth convex
    function) in every dimension, and every start with :math:`\lVert\theta_0 - \theta^\star\rVert^2 \le 1`,
    of :math:`f(\theta_n) - f^\star` (``measure="f"``) or :math:`\lVert\theta_n - \theta^\star\rVert^2`
    (``measure="dist"``). Both scale with the square of the start distance, so for a start at
    distance :math:`R` multiply by :math:`R^2`.

    Args:
      method: ``"gradient_descent"``, ``"momentum"`` (heavy ball) or ``"nesterov"``.
      lr: learning rate :math:`\eta > 0`.
      momentum: :math:`\gamma \in [0, 1)`, or a sequence of ``steps`` momenta (the one used at each step).
      L: smoothness constant, > 0.
      mu: strong convexity constant, in ``[0, L]``.
      steps: number of steps ``n >= 0``.
      measure: ``"f"`` or ``"dist"``.

    Returns:
      The worst-case value, a float.

    Raises:
      ValueError: an argument outside its range (the message names it).
      SolverFailure: the solver did not reach ``optimal`` or ``optimal_inaccurate``.

    Example:
      >>> round(worst_case("gradient_descent", lr=1.0, steps=3), 6)   # L / (4n + 2), Drori and Teboulle
      0.071429
    """
    return solve(method, lr, momentum, L=L, mu=mu, steps=steps, measure=measure).value


def solve(method, lr, momentum=0.0, *, L=1.0, mu=0.0, steps, measure="f", instance: bool = False,
          cache: Union[None, str, pathlib.Path] = None) -> WorstCase:
    r"""Like :func:`worst_case`, but return the whole :class:`WorstCase`, optionally with an instance and a cache.

    Args:
      method, lr, momentum, L, mu, steps, measure: as in :func:`worst_case`.
      instance: also solve PEPit's trace-minimisation problem, which looks for a worst case of
        low dimension, and return its data as an :class:`Instance`.
      cache: a directory (for example :func:`cache_dir`). A result is stored there as JSON under
        a key made of every argument, the solver settings, this module's source and the versions
        of PEPit, cvxpy, Clarabel and numpy; a later call with the same key reads it instead of
        solving (and does not import PEPit). ``None`` (the default) always solves.

    Example:
      >>> wc = solve("gradient_descent", lr=1.0, mu=0.1, steps=2, measure="dist")
      >>> wc.status, round(wc.value, 6)                # (1 - mu/L)^(2n)
      ('optimal', 0.6561)
    """
    spec = _validate(method, lr, momentum, L, mu, steps, measure)
    path = None
    if cache is not None:
        key = hashlib.sha256(json.dumps(dict(spec, instance=bool(instance), **_environment()), sort_keys=True).encode()).hexdigest()
        path = pathlib.Path(cache) / f"{key[:32]}.json"
        if path.is_file():
            return _from_json(json.loads(path.read_text()))
    result = _solve(**spec, instance=bool(instance))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp")  # readers never see half a file
        partial.write_text(json.dumps(_to_json(result)))
        os.replace(partial, path)
    return result


def cache_dir() -> pathlib.Path:
    """The directory the book caches solved programs in, whatever the working directory.

    ``_build/pep-cache`` of the source checkout that ``nagcore`` is imported from (the
    repository, after ``pip install -e .``; ``make clean`` empties it); when ``nagcore`` is
    installed elsewhere, ``nagcore/pep`` in the user's cache directory (``$XDG_CACHE_HOME``,
    by default ``~/.cache``). Nothing is created until :func:`solve` writes a result.
    """
    checkout = pathlib.Path(__file__).resolve().parents[1]
    if (checkout / "_toc.yml").is_file() and (checkout / "nagcore").is_dir():
        return checkout / "_build" / "pep-cache"
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "nagcore" / "pep"


def random_member(rng: np.random.Generator, dim: int = 4, terms: int = 6, mu: float = 0.0) -> Problem:
    r"""A random function of :math:`\mathcal F_{\mu,L}` that is not a quadratic anywhere, with known minimiser.

    .. math:: f(x) = \sum_{i=1}^{m} c_i \log\cosh\big(a_i^\top(x - x^\star)\big) + \frac\mu2\lVert x - x^\star\rVert^2

    with :math:`a_i` standard normal, :math:`c_i` uniform in :math:`[0.1, 1]` and :math:`x^\star`
    standard normal. Each term is convex with curvature between 0 and :math:`c_i\lVert a_i\rVert^2`
    along :math:`a_i`, steepest at :math:`x^\star`; so ``f`` is :math:`\mu`-strongly convex and
    :math:`L`-smooth with :math:`L = \lambda_{\max}(\sum_i c_i a_i a_i^\top) + \mu`, and
    :math:`f^\star = f(x^\star) = 0`. Far from :math:`x^\star` it is nearly linear.

    Args:
      rng: a numpy ``Generator`` (every number is drawn from it).
      dim: dimension ``d >= 1``.
      terms: number of log-cosh ridges ``m >= 1``.
      mu: strong convexity constant, >= 0.

    Returns:
      A :class:`~nagcore.problems.Problem` named ``"log-cosh"``, with ``x0`` at a normal offset of
      scale 3 from ``x_star``.

    Example:
      >>> p = random_member(np.random.default_rng(0), mu=0.1)
      >>> float(p.f(p.x_star)), bool(np.all(p.grad(p.x_star) == 0)), p.mu <= p.L
      (0.0, True, True)
    """
    dim, terms = _checks.count("dim", dim, minimum=1), _checks.count("terms", terms, minimum=1)
    mu = float(mu)
    if not np.isfinite(mu) or mu < 0:
        raise ValueError(f"mu must be finite and >= 0, got {mu!r}")
    A = rng.normal(size=(terms, dim))
    c = rng.uniform(0.1, 1.0, size=terms)
    x_star = rng.normal(size=dim)
    L = float(np.linalg.eigvalsh(A.T @ (c[:, None] * A))[-1]) + mu

    def f(x):
        u = (x - x_star) @ A.T
        ridges = np.logaddexp(u, -u) - np.log(2.0)  # log cosh u, without overflow
        return np.sum(c * ridges, axis=-1) + 0.5 * mu * np.sum((x - x_star) ** 2, axis=-1)

    def grad(x):
        return (c * np.tanh((x - x_star) @ A.T)) @ A + mu * (x - x_star)

    x0 = x_star + 3.0 * rng.normal(size=dim)
    radius = 1.3 * float(np.max(np.abs(x0 - x_star)))
    bounds = np.stack([x_star - radius, x_star + radius], axis=-1)
    return Problem(f, grad, x_star, L, mu, "log-cosh", x0, bounds)


def _validate(method, lr, momentum, L, mu, steps, measure) -> dict:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(map(repr, MEASURES))}, got {measure!r}")
    steps = _checks.count("steps", steps)
    lr = _checks.positive("lr", lr)
    if lr.ndim:
        raise ValueError(f"lr must be a scalar, got shape {lr.shape}")
    gammas = _checks.unit_interval("momentum", momentum)
    if gammas.ndim > 1 or (gammas.ndim == 1 and gammas.shape[0] != steps):
        raise ValueError(f"momentum must be a scalar or a sequence of steps = {steps} values, got shape {gammas.shape}")
    L = _checks.positive("L", L)
    mu_ = np.asarray(mu, dtype=float)
    if L.ndim or mu_.ndim:
        raise ValueError("L and mu must be scalars")
    if not np.isfinite(mu_) or not 0 <= mu_ <= L:
        raise ValueError(f"mu must be in [0, L] = [0, {float(L)!r}], got {mu!r}")
    gammas = np.broadcast_to(gammas, (steps,))
    if method == "gradient_descent":
        gammas = np.zeros(steps)
    return {"method": method, "lr": float(lr), "momenta": [float(g) for g in gammas], "L": float(L), "mu": float(mu_),
            "steps": steps, "measure": measure}


def _environment() -> dict:
    """What a cached result depends on besides the arguments."""
    versions = {name: importlib.metadata.version(name) for name in _PACKAGES}
    source = hashlib.sha256(pathlib.Path(__file__).read_bytes()).hexdigest()
    return {"versions": versions, "source": source, "solver": "CLARABEL", "tolerance": TOLERANCE}


def _solve(method, lr, momenta, L, mu, steps, measure, instance) -> WorstCase:
    import cvxpy
    from PEPit import PEP
    from PEPit.functions import SmoothConvexFunction, SmoothStronglyConvexFunction

    problem = PEP()
    if mu > 0:
        func = problem.declare_function(SmoothStronglyConvexFunction, mu=mu, L=L)
    else:
        func = problem.declare_function(SmoothConvexFunction, L=L)
    x_star = func.stationary_point()
    f_star = func(x_star)
    x0 = problem.set_initial_point()
    problem.set_initial_condition((x0 - x_star) ** 2 <= 1)

    xs, queries = [x0], []
    x, v = x0, None
    for t in range(steps):
        gamma = momenta[t]
        query = x - gamma * v if (method == "nesterov" and v is not None) else x
        g = func.gradient(query)
        v = lr * g if v is None else gamma * v + lr * g
        x = x - v
        xs.append(x)
        queries.append(query)
    metric = func(x) - f_star if measure == "f" else (x - x_star) ** 2
    problem.set_performance_metric(metric)

    options = {"solver": cvxpy.CLARABEL, "tol_gap_abs": TOLERANCE, "tol_gap_rel": TOLERANCE, "tol_feas": TOLERANCE}
    value, status, solver = _run_solver(problem, method, lr, L, mu, steps, options, None)
    primal = float(problem.wrapper.objective.value)
    data = None
    if instance:
        # a second program: the smallest trace of the Gram matrix among near-worst cases
        _, reduced, _ = _run_solver(problem, method, lr, L, mu, steps, options, "trace")
        status = status if reduced == "optimal" else reduced
        data = _instance(xs, queries, x_star, f_star, func, float(metric.eval()))
        primal = data.measure
    return WorstCase(float(value), primal, status, solver, data)


def _run_solver(problem, method, lr, L, mu, steps, options, heuristic):
    import cvxpy

    where = f"{method} (lr={lr}, L={L}, mu={mu}, steps={steps})"
    try:
        with warnings.catch_warnings():
            # cvxpy warns on "optimal_inaccurate"; the status is checked and reported below instead
            warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
            value = problem.solve(wrapper="cvxpy", verbose=0, dimension_reduction_heuristic=heuristic,
                                  tol_dimension_reduction=_REDUCTION_TOLERANCE, **options)
    except cvxpy.error.SolverError as error:
        raise SolverFailure(f"Clarabel failed on {where}: {error}") from None
    status = problem.wrapper.prob.status
    if status not in _ACCEPTED or value is None or not np.isfinite(value):
        raise SolverFailure(f"Clarabel returned status {status!r} on {where}")
    return value, status, problem.wrapper.prob.solver_stats.solver_name


def _instance(xs, queries, x_star, f_star, func, measure) -> Instance:
    origin, f0 = x_star.eval(), f_star.eval()
    d = origin.shape[0]
    points = np.array([p.eval() - origin for p in xs])
    query = np.array([q.eval() - origin for q in queries]).reshape(len(queries), d)
    grads = np.array([func.gradient(q).eval() for q in queries]).reshape(len(queries), d)
    fq = np.array([func(q).eval() - f0 for q in queries])
    _, s, vt = np.linalg.svd(np.concatenate([points, query, grads]), full_matrices=False)
    basis = vt[s > 1e-3 * s[0]].T
    return Instance(points @ basis, query @ basis, grads @ basis, fq, measure)


def _to_json(result: WorstCase) -> dict:
    out = result._asdict()
    if result.instance is not None:
        out["instance"] = {k: np.asarray(v).tolist() for k, v in result.instance._asdict().items()}
    return out


def _from_json(data: dict) -> WorstCase:
    inst = data.get("instance")
    if inst is not None:
        inst = Instance(**{k: np.array(v, dtype=float) for k, v in inst.items() if k != "measure"}, measure=float(inst["measure"]))
    return WorstCase(float(data["value"]), float(data["primal"]), data["status"], data["solver"], inst)
