"""nagcore.pep against closed forms, theory, sampled functions and its own worst-case instances.

Solves are kept small (at most 8 steps, a few hundredths of a second each with Clarabel).
Tolerances: Clarabel stops at duality gaps of 1e-8 (absolute and relative), so values are compared
with rtol 1e-5 and atol 1e-8.
"""

import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

import nagcore
from nagcore import pep, theory
from nagcore.restart import schedule

from conftest import PROBLEMS

RTOL = 1e-5
ATOL = pep.TOLERANCE  # Clarabel's absolute gap tolerance: small values are compared to it


@pytest.mark.parametrize("L", [1.0, 2.5])
@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_gradient_descent_convex_equals_drori_teboulle(L, n):
    """f(x_n) - f* <= L R^2 / (4n + 2) for lr = 1/L, attained (Drori and Teboulle, 2014)."""
    value = pep.worst_case("gradient_descent", 1 / L, L=L, steps=n)
    assert value == pytest.approx(L / (4 * n + 2), rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("lr", [0.3, 1.0, 2 / 1.1])
@pytest.mark.parametrize("mu", [0.1, 0.5])
@pytest.mark.parametrize("n", [1, 3, 6])
def test_gradient_descent_distance_equals_its_contraction_factor(lr, mu, n):
    """||x_n - x*||^2 <= max(|1 - lr mu|, |1 - lr L|)^(2n) R^2 for lr <= 2/(L + mu), attained on a quadratic."""
    lr = min(lr, 2 / (1 + mu))
    value = pep.worst_case("gradient_descent", lr, mu=mu, steps=n, measure="dist")
    assert value == pytest.approx(max(abs(1 - lr * mu), abs(1 - lr)) ** (2 * n), rel=RTOL, abs=ATOL)


def test_zero_steps_is_the_initial_condition():
    assert pep.worst_case("nesterov", 0.5, 0.9, steps=0, measure="dist") == pytest.approx(1.0, rel=RTOL, abs=ATOL)
    assert pep.worst_case("momentum", 0.5, 0.9, L=3.0, steps=0) == pytest.approx(1.5, rel=RTOL, abs=ATOL)  # L R^2 / 2


@pytest.mark.parametrize("method", ["momentum", "nesterov"])
def test_zero_momentum_is_gradient_descent(method):
    gd = pep.worst_case("gradient_descent", 0.8, mu=0.2, steps=4)
    assert pep.worst_case(method, 0.8, 0.0, mu=0.2, steps=4) == pytest.approx(gd, rel=RTOL, abs=ATOL)


def test_gradient_descent_ignores_momentum_but_validates_it():
    assert pep.worst_case("gradient_descent", 1.0, 0.7, steps=2) == pytest.approx(0.1, rel=RTOL, abs=ATOL)
    with pytest.raises(ValueError, match="momentum"):
        pep.worst_case("gradient_descent", 1.0, 1.5, steps=2)


def test_worst_case_scales_with_L_as_the_class_does():
    """f -> c f maps the (mu, L) class to (c mu, c L); the method with lr / c sees the same iterates."""
    base = pep.worst_case("nesterov", 0.9, 0.6, L=1.0, mu=0.05, steps=5)
    scaled = pep.worst_case("nesterov", 0.9 / 4, 0.6, L=4.0, mu=0.2, steps=5)
    assert scaled == pytest.approx(4 * base, rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("kappa", [10.0, 100.0])
@pytest.mark.parametrize("n", [1, 3, 6])
def test_tuned_nesterov_stays_under_its_guarantee(kappa, n):
    """f(x_n) - f* <= (f(x_0) - f* + mu/2 R^2)(1 - 1/sqrt(kappa))^n <= (L + mu)/2 (1 - 1/sqrt(kappa))^n."""
    t = theory.tuned("nesterov", 1.0, 1 / kappa)
    value = pep.worst_case("nesterov", t.lr, t.momentum, mu=1 / kappa, steps=n)
    assert value <= (1 + 1 / kappa) / 2 * (1 - 1 / np.sqrt(kappa)) ** n


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_scheduled_nesterov_stays_under_2L_over_k_plus_1_squared(n):
    value = pep.worst_case("nesterov", 1.0, schedule(np.arange(n)), steps=n)
    assert value <= 2 / (n + 1) ** 2


def test_scheduled_nesterov_beats_gradient_descent_from_three_steps():
    for n in (3, 5, 8):
        nag = pep.worst_case("nesterov", 1.0, schedule(np.arange(n)), steps=n)
        assert nag < pep.worst_case("gradient_descent", 1.0, steps=n)


def _quadratic_worst_distance(method, lr, momentum, mu, n):
    """max over curvatures in [mu, 1] of e_n^2 with e_0 = e_(-1) = 1 (the chapter-4 recurrence), by powers of T."""
    lam = np.linspace(mu, 1.0, 2001)
    T = theory.iteration_matrix(method, lr, momentum, lam)
    e = np.einsum("nij,j->ni", np.linalg.matrix_power(T, n), [1.0, 1.0])[:, 0]
    return float(np.max(e**2))


def test_heavy_ball_tuned_for_quadratics_blows_up_on_the_class_but_not_on_quadratics():
    """Lessard, Recht and Packard's phenomenon as a worst case over all smooth strongly convex functions."""
    kappa = 100.0
    t = theory.tuned("momentum", 1.0, 1 / kappa)
    values = [pep.worst_case("momentum", t.lr, t.momentum, mu=1 / kappa, steps=n, measure="dist") for n in (2, 4, 6)]
    assert values[0] > 1 and values[1] > 3 * values[0] and values[2] > 2 * values[1] and values[2] > 100
    # over quadratics alone the same settings overshoot (the steep direction swings out) but then decay
    quadratic = [_quadratic_worst_distance("momentum", t.lr, t.momentum, 1 / kappa, n) for n in (2, 4, 6, 10, 20)]
    assert max(quadratic) < 14 < values[2] / 10
    assert quadratic[1] > quadratic[2] > quadratic[3] > 1 > quadratic[4]


def test_conservative_heavy_ball_converges_on_the_class():
    values = [pep.worst_case("momentum", 0.5, 0.5, mu=0.04, steps=n, measure="dist") for n in (1, 3, 6)]
    assert values[0] < 1 and values[2] < values[1] < values[0]


# --- sampled worst cases: no function we can run beats the computed worst case ----------------------

IN_CLASS = ["quadratic", "quadratic_rotated", "quadratic_5d", "piecewise_quadratic", "nesterov_worst_case", "least_squares"]


def _settings(p):
    mu = p.mu if p.kappa < 1e4 else 0.0  # Nesterov's worst function: treat as merely convex
    nag = theory.tuned("nesterov", p.L, p.mu if mu > 0 else p.L / 100)
    return mu, {
        "gradient_descent": (1 / p.L, 0.0, nagcore.gradient_descent(1 / p.L)),
        "momentum": (1 / p.L, 0.5, nagcore.momentum(1 / p.L, 0.5)),
        "nesterov": (nag.lr, nag.momentum, nagcore.nesterov(nag.lr, nag.momentum)),
    }


@pytest.mark.parametrize("name", IN_CLASS)
def test_no_nagcore_problem_beats_the_worst_case(name):
    p = PROBLEMS[name]()
    mu, settings = _settings(p)
    n = 5
    rng = np.random.default_rng(3)
    starts = np.concatenate([p.x0[None], p.x_star + rng.normal(size=(40, p.dim)) * (1 + np.abs(p.x0 - p.x_star))])
    for method, (lr, mom, opt) in settings.items():
        traj = nagcore.run(opt, p, starts, n)
        r2 = np.sum((starts - p.x_star) ** 2, axis=-1)
        gap = (traj.f[-1] - p.f_star) / r2
        dist = np.sum((traj.x[-1] - p.x_star) ** 2, axis=-1) / r2
        for measure, sampled in (("f", gap), ("dist", dist)):
            bound = pep.worst_case(method, lr, mom, L=p.L, mu=mu, steps=n, measure=measure)
            assert sampled.max() <= bound * (1 + RTOL) + 1e-12, (method, measure, sampled.max(), bound)


def test_random_members_are_smooth_convex_with_the_stated_constants():
    """Finite-difference gradients and Hessians: 0 <= mu <= curvature <= L, the top attained at x*."""
    rng = np.random.default_rng(4)
    h = 1e-5
    for mu in (0.0, 0.3):
        p = pep.random_member(rng, dim=3, terms=5, mu=mu)
        assert p.f_star == 0.0 and np.all(p.grad(p.x_star) == 0)
        for x in [p.x_star, p.x0, *(p.x_star + 4 * rng.normal(size=(5, 3)))]:
            eye = np.eye(3)
            fd = [(p.f(x + h * e) - p.f(x - h * e)) / (2 * h) for e in eye]
            np.testing.assert_allclose(fd, p.grad(x), rtol=1e-6, atol=1e-8)
            hess = np.array([(p.grad(x + h * e) - p.grad(x - h * e)) / (2 * h) for e in eye])
            curvatures = np.linalg.eigvalsh((hess + hess.T) / 2)
            assert mu - 1e-6 <= curvatures[0] and curvatures[-1] <= p.L + 1e-6
            if x is p.x_star:
                assert curvatures[-1] == pytest.approx(p.L, rel=1e-6)
    with pytest.raises(ValueError, match="^mu "):
        pep.random_member(rng, mu=-1.0)


def test_random_smooth_convex_functions_stay_under_the_worst_case():
    rng = np.random.default_rng(11)
    n = 4
    for trial in range(12):
        mu = 0.0 if trial % 2 else 0.05
        p = pep.random_member(rng, dim=3, terms=5, mu=mu)
        mu_class = mu / p.L  # normalise to L = 1 by scaling f; iterates with lr = 1/L are unchanged
        starts = p.x_star + rng.normal(size=(30, 3)) * rng.uniform(0.1, 10.0, size=(30, 1))
        r2 = np.sum((starts - p.x_star) ** 2, axis=-1)
        for method, mom, make in (("gradient_descent", 0.0, nagcore.gradient_descent), ("nesterov", 0.7, nagcore.nesterov)):
            opt = make(1 / p.L) if method == "gradient_descent" else make(1 / p.L, mom)
            traj = nagcore.run(opt, p, starts, n)
            gap = (traj.f[-1] - p.f_star) / (p.L * r2)
            bound = pep.worst_case(method, 1.0, mom, L=1.0, mu=mu_class, steps=n)
            assert gap.max() <= bound * (1 + RTOL) + 1e-12


# --- the worst-case instance is a real function on which the method does that badly ----------------


def test_instance_is_interpolable_and_replays_the_method():
    L, mu, lr, m, n = 1.0, 0.1, 1.0, 0.5, 4
    wc = pep.solve("nesterov", lr, m, L=L, mu=mu, steps=n, instance=True)
    inst = wc.instance
    assert wc.status in ("optimal", "optimal_inaccurate")
    # replay: the same update rule applied to the returned gradients gives the returned iterates
    x, v = inst.x[0], np.zeros_like(inst.x[0])
    for k in range(n):
        np.testing.assert_allclose(inst.query[k], x - m * v, atol=1e-4)
        v = m * v + lr * inst.grad[k]
        x = x - v
        np.testing.assert_allclose(inst.x[k + 1], x, atol=1e-4)
    assert np.sum(inst.x[0] ** 2) <= 1 + 1e-4
    # the data (query points, plus the minimiser with gradient 0) satisfy the mu-strongly convex, L-smooth
    # interpolation conditions of Taylor, Hendrickx and Glineur (2017), Theorem 4
    pts = np.vstack([inst.query, np.zeros((1, inst.x.shape[1]))])
    grads = np.vstack([inst.grad, np.zeros((1, inst.x.shape[1]))])
    vals = np.append(inst.fquery, 0.0)
    assert wc.primal == inst.measure
    for i in range(len(pts)):
        for j in range(len(pts)):
            dx, dg = pts[i] - pts[j], grads[i] - grads[j]
            rhs = vals[j] + grads[j] @ dx + (dg @ dg / L + mu * dx @ dx - 2 * mu / L * dg @ dx) / (2 * (1 - mu / L))
            assert vals[i] >= rhs - 1e-4
    # and the instance is (nearly) as bad as the worst case: the trace heuristic keeps it within 1e-6
    assert wc.primal == pytest.approx(wc.value, abs=2e-6)
    assert inst.x.shape[1] <= n + 2


# --- cache, statuses, validation, laziness ----------------------------------------------------------


def test_cache_returns_the_stored_result_without_solving(tmp_path, monkeypatch):
    first = pep.solve("nesterov", 0.5, 0.5, mu=0.1, steps=3, cache=tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 1

    def refuse(**kwargs):
        raise AssertionError("solved again although the result was cached")

    monkeypatch.setattr(pep, "_solve", refuse)
    assert pep.solve("nesterov", 0.5, 0.5, mu=0.1, steps=3, cache=tmp_path) == first
    with pytest.raises(AssertionError, match="solved again"):
        pep.solve("nesterov", 0.5, 0.5, mu=0.1, steps=4, cache=tmp_path)  # another key


def test_cache_dir_is_the_checkouts_build_folder_from_any_working_directory(tmp_path):
    root = pathlib.Path(__file__).resolve().parents[1]
    code = "from nagcore import pep; print(pep.cache_dir())"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(root / "_build" / "pep-cache")


def test_cache_dir_outside_a_checkout_is_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(pep, "__file__", str(tmp_path / "site-packages" / "nagcore" / "pep.py"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert pep.cache_dir() == tmp_path / "cache" / "nagcore" / "pep"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert pep.cache_dir() == pathlib.Path.home() / ".cache" / "nagcore" / "pep"


def _fake_problem(status, value):
    prob = types.SimpleNamespace(status=status, solver_stats=types.SimpleNamespace(solver_name="CLARABEL"))
    problem = types.SimpleNamespace(wrapper=types.SimpleNamespace(prob=prob))
    problem.solve = lambda **kwargs: value
    return problem


@pytest.mark.parametrize("status", ["infeasible", "unbounded", "unbounded_inaccurate", "infeasible_inaccurate", "user_limit"])
def test_statuses_other_than_optimal_raise(status):
    with pytest.raises(pep.SolverFailure, match=status):
        pep._run_solver(_fake_problem(status, 1.0), "nesterov", 1.0, 1.0, 0.0, 3, {}, None)


def test_optimal_inaccurate_is_accepted_and_reported():
    value, status, solver = pep._run_solver(_fake_problem("optimal_inaccurate", 0.5), "nesterov", 1.0, 1.0, 0.0, 3, {}, None)
    assert (value, status, solver) == (0.5, "optimal_inaccurate", "CLARABEL")
    with pytest.raises(pep.SolverFailure):
        pep._run_solver(_fake_problem("optimal", None), "nesterov", 1.0, 1.0, 0.0, 3, {}, None)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"method": "adam"}, "method"),
        ({"measure": "grad"}, "measure"),
        ({"lr": 0.0}, "lr"),
        ({"lr": -1.0}, "lr"),
        ({"momentum": -0.1}, "momentum"),
        ({"momentum": 1.0}, "momentum"),
        ({"momentum": [0.1, 0.2]}, "momentum"),
        ({"mu": -0.1}, "mu"),
        ({"mu": 2.0}, "mu"),
        ({"L": 0.0}, "L"),
        ({"steps": -1}, "steps"),
        ({"steps": 2.5}, "steps"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_argument(kwargs, name):
    args = dict(method="nesterov", lr=0.5, momentum=0.5, L=1.0, mu=0.1, steps=3, measure="f")
    args.update(kwargs)
    with pytest.raises(ValueError, match=rf"^{name} "):
        pep.worst_case(args.pop("method"), args.pop("lr"), args.pop("momentum"), **args)


def test_import_is_lazy():
    code = "import sys, nagcore.pep; assert 'cvxpy' not in sys.modules and 'PEPit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
