"""The damped-ball integrator against closed forms, scipy's solver, the energy argument and Nesterov's iterates."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.special import j1

import nagcore
from nagcore import ode, problems
from nagcore.restart import nesterov_restart


def test_vanishing_friction_on_a_parabola_is_a_bessel_function():
    """X'' + (3/t) X' + X = 0, X(0) = 1, X'(0) = 0 has the solution X(t) = 2 J_1(t) / t."""
    path = ode.integrate(lambda x: x, [1.0], 30.0, dt=1e-3)
    exact = np.ones_like(path.t)
    exact[1:] = 2 * j1(path.t[1:]) / path.t[1:]
    np.testing.assert_allclose(path.x[:, 0], exact, atol=1e-7)


def test_constant_friction_is_a_damped_oscillator():
    """X'' + a X' + X = 0 from rest: X = e^{-at/2} (cos wt + a/(2w) sin wt), w = sqrt(1 - a^2/4)."""
    a = 0.4
    path = ode.integrate(lambda x: x, [1.0], 20.0, r=0.0, friction=a, dt=1e-2)
    w = np.sqrt(1 - a**2 / 4)
    exact = np.exp(-a * path.t / 2) * (np.cos(w * path.t) + a / (2 * w) * np.sin(w * path.t))
    np.testing.assert_allclose(path.x[:, 0], exact, atol=5e-7)  # O(dt^4) from the series start and RK4


def test_agrees_with_scipy_on_a_nonconvex_problem():
    p = problems.rosenbrock()
    path = ode.integrate(p, p.x0, 3.0, dt=1e-4)
    t0 = path.t[1]

    def rhs(t, z):
        x, v = z[:2], z[2:]
        return np.concatenate([v, -3 / t * v - p.grad(x)])

    sol = solve_ivp(rhs, (t0, 3.0), np.concatenate([path.x[1], path.v[1]]), rtol=1e-11, atol=1e-12, dense_output=True)
    for t in (0.5, 1.5, 3.0):
        j = int(round(t / 1e-4))
        np.testing.assert_allclose(path.x[j], sol.sol(t)[:2], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["quadratic_rotated", "least_squares", "piecewise_quadratic"])
def test_energy_never_increases_on_convex_problems(name):
    from conftest import PROBLEMS

    p = PROBLEMS[name]()
    path = ode.integrate(p, p.x0, 10.0 / np.sqrt(p.L), dt=1e-3 / np.sqrt(p.L))
    E = ode.energy(path, p)
    assert np.all(np.diff(E) <= 1e-9 * E[0])
    gap = path.f[1:] - p.f_star
    assert np.all(gap <= 2 * np.sum((p.x0 - p.x_star) ** 2) / path.t[1:] ** 2 + 1e-12)


def test_nesterov_iterates_approach_the_ode_as_the_step_shrinks():
    """theta_k ~ X(k sqrt(s)) (Su, Boyd and Candès, Theorem 2): the gap over t in [0, 6] shrinks with s."""
    p = problems.quadratic([0.2, 1.0], rotation=0.4)
    path = ode.integrate(p, p.x0, 6.0, dt=1e-3)
    gaps = []
    for s in (1e-1, 1e-2, 1e-3):
        n = int(round(6.0 / np.sqrt(s)))
        traj = nagcore.run(nesterov_restart(s, restart="never"), p, p.x0, n)
        idx = np.rint(np.arange(n + 1) * np.sqrt(s) / 1e-3).astype(int)
        ok = idx < len(path.t)
        gaps.append(np.max(np.linalg.norm(traj.x[ok] - path.x[idx[ok]], axis=-1)))
    assert gaps[0] > 2 * gaps[1] > 4 * gaps[2]


def test_batched_balls_equal_single_balls():
    p = problems.quadratic([0.5, 2.0])
    starts = np.array([[1.0, 1.0], [-2.0, 0.5]])
    both = ode.integrate(p, starts, 2.0, dt=1e-2)
    for i in range(2):
        np.testing.assert_array_equal(both.x[:, i], ode.integrate(p, starts[i], 2.0, dt=1e-2).x)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"t_end": 0.0}, "t_end"), ({"dt": -1.0}, "dt"), ({"dt": 5.0}, "dt"), ({"r": -1.0}, "r"), ({"friction": np.nan}, "friction")],
)
def test_bad_input_is_a_value_error_naming_the_argument(kwargs, name):
    args = dict(t_end=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=rf"^{name} "):
        ode.integrate(lambda x: x, [1.0], args.pop("t_end"), **args)
