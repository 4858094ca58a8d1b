"""Shared tables for the tests: the problems and the optimizers, crossed as in optax's alias_test."""

import numpy as np
import pytest

import nagcore
from nagcore import problems


def _regression_problem():
    X, y, _ = problems.make_regression(60, 3, noise=0.3, rng=np.random.default_rng(7))
    return problems.least_squares(X, y)


# name -> factory; each problem is rebuilt per test so nothing is shared by accident
PROBLEMS = {
    "quadratic": lambda: problems.quadratic([0.5, 4.0]),
    "quadratic_rotated": lambda: problems.quadratic(condition_number=50, rotation=0.7, x_star=[1.0, -2.0]),
    "quadratic_5d": lambda: problems.quadratic(condition_number=20, dim=5),
    "rosenbrock": lambda: problems.rosenbrock(),
    "double_well": lambda: problems.double_well(),
    "piecewise_quadratic": lambda: problems.piecewise_quadratic(),
    "nesterov_worst_case": lambda: problems.nesterov_worst_case(dim=12, L=2.0),
    "least_squares": _regression_problem,
}

OPTIMIZERS = {
    "gradient_descent": lambda lr, mom: nagcore.gradient_descent(lr),
    "momentum": lambda lr, mom: nagcore.momentum(lr, mom),
    "nesterov": lambda lr, mom: nagcore.nesterov(lr, mom),
}

# Adam, RMSprop and Nadam take steps of about lr whatever the gradient's size, so the
# convergence settings above (lr as a fraction of 1/L) do not apply; test_adaptive.py crosses
# this table with PROBLEMS under its own settings, and with the bad-input and batching tests.
ADAPTIVE = {
    "adam": lambda lr, b1: nagcore.adam(lr, b1),
    "rmsprop": lambda lr, decay: nagcore.rmsprop(lr, decay),
    "nadam": lambda lr, b1: nagcore.nadam(lr, b1),
}


@pytest.fixture(params=sorted(PROBLEMS))
def problem(request):
    return PROBLEMS[request.param]()
