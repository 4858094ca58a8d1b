"""nagcore: gradient descent, momentum and Nesterov accelerated gradient in numpy.

The engine behind the book. Imports flow one way::

    problems, optimizers (numpy only)  ->  run  ->  theory
                                           run  ->  plotting (matplotlib)  ->  widgets (anywidget)
    optimizers  ->  adaptive (Adam, RMSprop, Nadam; numpy only)
    run  ->  mlp (a numpy network and scikit-learn's digits)
    problems, optimizers  ->  restart (adaptive restart);  problems  ->  ode, pep (PEPit and cvxpy)

``plotting``, ``theory`` and ``widgets`` are loaded on first use, and so are ``restart`` (adaptive
restart), ``ode`` (the continuous-time view) and ``pep`` (worst cases by performance estimation,
which imports PEPit and cvxpy); so ``import nagcore`` needs only numpy and changes no global state.

Example:
  >>> import numpy as np, nagcore
  >>> problem = nagcore.problems.quadratic(condition_number=10)
  >>> traj = nagcore.run(nagcore.nesterov(lr=1.0, momentum=0.5), problem, problem.x0, 50)
  >>> bool(np.linalg.norm(traj.x[-1] - problem.x_star) < 1e-5)
  True
"""

import importlib

from nagcore import problems
from nagcore.adaptive import adam, nadam, rmsprop
from nagcore.optimizers import Optimizer, gradient_descent, momentum, nesterov
from nagcore.problems import Problem
from nagcore.run import Trajectory, first_divergence, run, steps_to_tolerance

__all__ = [
    "adam",
    "nadam",
    "rmsprop",
    "Optimizer",
    "Problem",
    "Trajectory",
    "first_divergence",
    "gradient_descent",
    "momentum",
    "nesterov",
    "problems",
    "run",
    "steps_to_tolerance",
]
__version__ = "0.1.0"

_LAZY = ("ode", "pep", "plotting", "restart", "theory", "widgets")


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"nagcore.{name}")
    raise AttributeError(f"module 'nagcore' has no attribute {name!r}")
