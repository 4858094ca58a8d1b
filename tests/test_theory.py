"""theory: rates against runs of the optimizers, closed forms, eigvals, stability boundaries and validation."""

import numpy as np
import pytest

import nagcore
from nagcore import problems, theory

FACTORY = {"gd": lambda lr, m: nagcore.gradient_descent(lr), "momentum": nagcore.momentum, "nesterov": nagcore.nesterov}


def _empirical_rate(errors, first=(200, 400), last=(1800, 2000)):
    """Per-step decay of the envelope of ||x_k - x*||: the ratio of window maxima, to the power 1/gap.

    Window maxima rather than single values, because complex roots make the error oscillate.
    """
    a = errors[first[0] : first[1]].max(axis=0)
    b = errors[last[0] : last[1]].max(axis=0)
    return (b / a) ** (1.0 / (last[0] - first[0]))


@pytest.mark.parametrize("method", theory.METHODS)
def test_rate_matches_the_decay_of_batched_runs(method):
    rng = np.random.default_rng(42)
    eigenvalues = np.array([0.3, 1.0, 2.5])
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    p = problems.quadratic(eigenvalues, rotation=q)
    n = 400
    lr = rng.uniform(0.05, 2.0, n)
    mom = rng.uniform(0.0, 0.95, n)
    predicted = theory.rate(method, lr, mom, eigenvalues)
    keep = ((predicted > 0.86) & (predicted < 0.998)) | ((predicted > 1.0005) & (predicted < 1.01))
    assert keep.sum() > 60  # (0.86**2000 squared stays above the underflow level) enough converging and diverging settings survive the filter
    lr, mom, predicted = lr[keep], mom[keep], predicted[keep]
    x0 = rng.standard_normal((lr.size, 3))  # a random start excites every eigen-direction
    traj = nagcore.run(FACTORY[method](lr, mom), p, x0, 2000, blowup=1e12)
    errors = np.linalg.norm(traj.x - p.x_star, axis=-1)
    assert np.isfinite(errors).all()
    # a Jordan block adds a factor k: (1900/300)**(1/1600) - 1 = 0.12 %, inside the tolerance
    np.testing.assert_allclose(_empirical_rate(errors), predicted, rtol=2e-3)
    assert (predicted > 1).any() and (predicted < 1).any()


@pytest.mark.parametrize("method", theory.METHODS)
@pytest.mark.parametrize("kappa", [4.0, 100.0, 1e4])
def test_tuned_rate_is_the_decay_of_a_run_at_the_slowest_curvature(method, kappa):
    t = theory.tuned(method, 1.0, 1.0 / kappa)
    p = problems.quadratic([1.0 / kappa, 1.0])
    steps = int(min(40 * kappa**0.5 / (1 - t.rate) ** 0.5, 4000)) if method != "gd" else int(min(30 / (1 - t.rate), 4000))
    steps = min(steps, int(np.log(1e-200) / np.log(t.rate)))
    traj = nagcore.run(FACTORY[method](t.lr, t.momentum), p, np.array([1.0, 1.0]), steps)
    err = np.linalg.norm(traj.x - p.x_star, axis=-1)
    k1, k2 = steps // 2, steps
    measured = (err[k2] / err[k1]) ** (1 / (k2 - k1))
    # Nesterov and heavy ball have a double root: err ~ k rho^k, so correct by (k2/k1)^(1/(k2-k1))
    poly = (k2 / k1) ** (1 / (k2 - k1)) if method != "gd" else 1.0
    assert measured == pytest.approx(t.rate * poly, rel=2e-3)


@pytest.mark.parametrize("kappa", [1.0, 2.0, 10.0, 100.0, 1e3, 1e4, 1e6])
def test_tuned_matches_the_classical_closed_forms(kappa):
    L, mu = 3.0, 3.0 / kappa
    s = np.sqrt(kappa)
    gd, hb, nag = (theory.tuned(m, L, mu) for m in theory.METHODS)
    assert gd == pytest.approx((2 / (L + mu), 0.0, (kappa - 1) / (kappa + 1)), rel=1e-12, abs=1e-15)
    assert hb == pytest.approx((4 / (np.sqrt(L) + np.sqrt(mu)) ** 2, ((s - 1) / (s + 1)) ** 2, (s - 1) / (s + 1)), rel=1e-12, abs=1e-15)
    assert nag == pytest.approx((1 / L, (s - 1) / (s + 1), 1 - 1 / s), rel=1e-12, abs=1e-15)
    for t, name in zip((gd, hb, nag), theory.METHODS):
        assert all(isinstance(v, float) for v in t)
        # the returned rate is the spectral radius, checked on a dense grid of curvatures in [mu, L]
        dense = theory.rate(name, t.lr, t.momentum, np.linspace(mu, L, 20001))
        assert float(dense) == pytest.approx(t.rate, abs=2e-7)  # sqrt of a tiny discriminant costs digits


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1e4])
def test_nesterov_tuned_has_a_double_root_at_mu(kappa):
    t = theory.tuned("nesterov", 1.0, 1.0 / kappa)
    T = theory.iteration_matrix("nesterov", t.lr, t.momentum, 1.0 / kappa)[0]
    z = np.linalg.eigvals(T)
    np.testing.assert_allclose(z, 1 - 1 / np.sqrt(kappa), rtol=1e-6)
    # a Jordan block, not a diagonalisable matrix: T - z I is not zero but squares to zero
    N = T - (1 - 1 / np.sqrt(kappa)) * np.eye(2)
    assert np.abs(N).max() > 0.1 and np.abs(N @ N).max() < 1e-12


@pytest.mark.parametrize("method", theory.METHODS)
def test_rate_equals_largest_eigenvalue_modulus_of_the_iteration_matrix(method):
    rng = np.random.default_rng(1)
    lr = rng.uniform(0.01, 3.0, 500)
    mom = rng.uniform(0.0, 0.999, 500)
    lam = rng.uniform(0.0, 2.0, (500, 4))
    T = theory.iteration_matrix(method, lr, mom, lam)
    expected = np.abs(np.linalg.eigvals(T)).max(axis=(-1, -2))
    np.testing.assert_allclose(theory.rate(method, lr, mom, lam), expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("method", theory.METHODS)
def test_iteration_matrix_reproduces_one_step_of_the_optimizer(method):
    lam, lr, mom = 0.7, 0.9, 0.6
    p = problems.quadratic([lam], x0=[1.5])
    traj = nagcore.run(FACTORY[method](lr, mom), p, p.x0, 6)
    e = traj.x[:, 0]
    T = theory.iteration_matrix(method, lr, mom, lam)[0]
    for k in range(1, 6):
        np.testing.assert_allclose(T @ [e[k], e[k - 1]], [e[k + 1], e[k]], rtol=1e-12)


def test_gd_rate_is_the_largest_contraction_factor():
    lr = np.linspace(0.01, 1.5, 200)
    lam = np.array([0.1, 0.5, 1.3])
    np.testing.assert_allclose(theory.rate("gd", lr, 0.0, lam), np.abs(1 - lr[:, None] * lam).max(axis=-1), rtol=1e-14)


def test_gd_ignores_momentum_but_broadcasts_it():
    lr, lam = np.array([0.3, 1.0, 1.9]), [0.5, 1.0]
    mom = np.array([[0.0], [0.5], [0.9]])
    r = theory.rate("gd", lr, mom, lam)
    assert r.shape == (3, 3)
    np.testing.assert_array_equal(r, np.broadcast_to(theory.rate("gd", lr, 0.0, lam), (3, 3)))
    with pytest.raises(ValueError, match="momentum"):
        theory.rate("gd", 0.1, 1.0, lam)


def test_momentum_zero_reduces_both_momentum_methods_to_gd():
    lr = np.linspace(0.05, 2.5, 50)
    lam = [0.2, 1.0]
    gd = theory.rate("gd", lr, 0.0, lam)
    np.testing.assert_allclose(theory.rate("momentum", lr, 0.0, lam), gd, rtol=1e-14)
    np.testing.assert_allclose(theory.rate("nesterov", lr, 0.0, lam), gd, rtol=1e-14)


BOUNDARY = {
    "gd": lambda m: 2.0 + 0 * m,
    "momentum": lambda m: 2.0 * (1 + m),
    "nesterov": lambda m: 2.0 * (1 + m) / (1 + 2 * m),
}


@pytest.mark.parametrize("method", theory.METHODS)
def test_stability_boundaries(method):
    mom = np.linspace(0.0, 0.99, 100)
    edge = BOUNDARY[method](mom)
    assert np.all(theory.rate(method, edge * (1 - 1e-6), mom, 1.0) < 1)
    assert np.all(theory.rate(method, edge * (1 + 1e-6), mom, 1.0) > 1)
    np.testing.assert_allclose(theory.rate(method, edge, mom, 1.0), 1.0, rtol=1e-12)
    # and the scan agrees: the largest stable lr on a fine grid sits at the boundary
    lr = np.linspace(0.001, 4.5, 4500)[:, None]
    stable = theory.rate(method, lr, mom, 1.0) < 1
    largest = np.where(stable, lr, 0).max(axis=0)
    np.testing.assert_allclose(largest, edge, atol=1.01e-3)


def test_nesterov_stability_region_is_inside_heavy_ball():
    lr = np.linspace(0.01, 4.0, 400)[:, None]
    mom = np.linspace(0.0, 0.99, 100)
    nag = theory.rate("nesterov", lr, mom, 1.0) < 1
    hb = theory.rate("momentum", lr, mom, 1.0) < 1
    assert np.all(hb[nag]) and (hb & ~nag).sum() > 1000


def test_broadcasting_shapes():
    lr = np.ones(5) * 0.1
    mom = np.full((4, 1), 0.5)
    spectra = np.ones((3, 1, 1, 2))
    for method in theory.METHODS:
        assert theory.rate(method, lr, mom, spectra).shape == (3, 4, 5)
        assert theory.rate(method, 0.1, 0.5, [1.0, 2.0]).shape == ()
        assert theory.rate(method, 0.1, 0.5, 2.0).shape == ()
        assert theory.rate(method, [0.1, 0.2], 0.5, np.ones((2, 7))).shape == (2,)
        assert theory.iteration_matrix(method, lr, mom, [1.0, 2.0]).shape == (4, 5, 2, 2, 2)
    # the maximum is over the last axis only: two spectra give two independent rates
    r = theory.rate("gd", 1.0, 0.0, [[0.5, 1.0], [0.5, 1.9]])
    np.testing.assert_allclose(r, [0.5, 0.9])
    with pytest.raises(ValueError):
        theory.rate("gd", np.ones(3), 0.0, np.ones((2, 4)))  # (3,) and (2,) do not broadcast


def test_rate_map_shapes_and_consistency():
    m = theory.rate_map([10.0, 1000.0], lr=np.linspace(0.1, 4, 7), momentum=[0.0, 0.5, 0.9])
    assert m.kappa.shape == (2,) and m.lr.shape == (7,) and m.momentum.shape == (3,)
    for name in theory.METHODS:
        assert m.rates[name].shape == (2, 3, 7) and m.tuned[name].shape == (2, 3)
        np.testing.assert_array_equal(m.rates[name][1, 2, 4], theory.rate(name, m.lr[4], 0.9, [1e-3, 1.0]))
        np.testing.assert_array_equal(m.tuned[name][0], theory.tuned(name, 1.0, 0.1))
    default = theory.rate_map(100.0)
    assert default.rates["gd"].shape == (1, 120, 160) and default.lr.max() == 4.0 and default.momentum.max() < 1
    # no grid point beats a tuned setting by more than grid noise
    for name in ("gd", "momentum"):
        assert default.rates[name].min() >= default.tuned[name][0, 2] - 1e-9


BAD = [
    (("adam", 0.1, 0.5, 1.0), "method"),
    ((None, 0.1, 0.5, 1.0), "method"),
    (("gd", 0.0, 0.5, 1.0), "lr"),
    (("gd", -0.1, 0.5, 1.0), "lr"),
    (("momentum", np.nan, 0.5, 1.0), "lr"),
    (("momentum", np.inf, 0.5, 1.0), "lr"),
    (("nesterov", [0.1, 0.0], 0.5, 1.0), "lr"),
    (("nesterov", 0.1, 1.0, 1.0), "momentum"),
    (("nesterov", 0.1, -0.1, 1.0), "momentum"),
    (("momentum", 0.1, np.nan, 1.0), "momentum"),
    (("momentum", 0.1, 0.5, -1.0), "eigenvalues"),
    (("momentum", 0.1, 0.5, [1.0, np.nan]), "eigenvalues"),
    (("gd", 0.1, 0.5, [1.0, np.inf]), "eigenvalues"),
    (("gd", 0.1, 0.5, []), "eigenvalues"),
]


@pytest.mark.parametrize("args, name", BAD, ids=[f"{a[0]}-{n}-{i}" for i, (a, n) in enumerate(BAD)])
@pytest.mark.parametrize("func", [theory.rate, theory.iteration_matrix, theory.coefficients])
def test_bad_arguments_raise_value_error_naming_them(func, args, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        func(*args)


@pytest.mark.parametrize(
    "args, name",
    [(("sgd", 1.0, 0.5), "method"), (("gd", 0.0, 0.5), "L"), (("gd", np.inf, 0.5), "L"), (("gd", 1.0, 0.0), "mu"), (("gd", 1.0, np.nan), "mu"), (("nesterov", 1.0, 2.0), "mu")],
)
def test_tuned_validates(args, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        theory.tuned(*args)


@pytest.mark.parametrize("kwargs, name", [({"kappa": 0.5}, "kappa"), ({"kappa": []}, "kappa"), ({"kappa": 10, "lr": [0.0, 1.0]}, "lr"), ({"kappa": 10, "momentum": [1.0]}, "momentum"), ({"kappa": 10, "lr": [[1.0]]}, "1-D")])
def test_rate_map_validates(kwargs, name):
    with pytest.raises(ValueError, match=name):
        theory.rate_map(**kwargs)


def test_theory_is_loaded_lazily_and_imports_no_plotting():
    import subprocess
    import sys

    code = "import nagcore, sys; nagcore.theory; print('matplotlib' in sys.modules, 'nagcore.plotting' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def _stable_by_jury(method, lr, momentum, lam):
    """Jury's conditions for z^2 - b z + c, in exact rational arithmetic: p(1) > 0, p(-1) > 0, |c| < 1."""
    from fractions import Fraction

    h, g = Fraction(lr) * Fraction(lam), Fraction(momentum)
    b, c = {"gd": (1 - h, Fraction(0)), "momentum": (1 + g - h, g), "nesterov": ((1 + g) * (1 - h), g * (1 - h))}[method]
    return (1 - b + c > 0) and (1 + b + c > 0) and abs(c) < 1


@pytest.mark.parametrize("method", theory.METHODS)
def test_rate_below_one_is_exactly_the_stable_settings_at_the_boundary(method):
    """Settings on and one or two floats either side of the stability boundary, checked in exact arithmetic.

    A rate of exactly 1 (on the boundary) is not convergence; rounding once left heavy ball's rate at
    1 - 1e-13 there, which a rate map drew as the slowest converging colour.
    """
    rng = np.random.default_rng(5)
    gammas = np.concatenate([[0.0, 0.5, 0.25, 0.75], rng.uniform(0.0, 0.999, 300)])
    edge = BOUNDARY[method](gammas)
    lams = np.array([1.0, 0.5, 2.0, 0.1])
    checked = 0
    for lam in lams:
        for shift in (-2, -1, 0, 1, 2):
            lr = edge / lam
            for _ in range(abs(shift)):
                lr = np.nextafter(lr, np.inf if shift > 0 else 0.0)
            rates = theory.rate(method, lr, gammas, lam)
            exact = np.array([_stable_by_jury(method, a, g, lam) for a, g in zip(lr, gammas)])
            np.testing.assert_array_equal(rates < 1, exact, err_msg=f"lam={lam} shift={shift}")
            checked += (~exact).sum()
    assert checked > 500  # many boundary settings are unstable, and all of them get a rate >= 1


def test_gradient_descent_at_lr_L_two_is_not_converging_on_the_rate_map():
    m = theory.rate_map([10.0, 1000.0])  # the default grid holds lr * L = 2 exactly
    column = np.flatnonzero(m.lr == 2.0)
    assert column.size == 1
    assert np.all(m.rates["gd"][:, :, column] == 1.0)
    assert np.all(theory.steps_per_decade(m.rates["gd"][:, :, column]) == np.inf)
    assert theory.rate("gd", 2.0, 0.0, [0.5, 1.0]) == 1.0


def test_steps_per_decade():
    rho = np.array([0.0, 0.1, 0.5, 0.9, np.nextafter(1.0, 0.0), 1.0, 1.5])
    expected = np.log(10) / -np.log(rho[1:5])
    out = theory.steps_per_decade(rho)
    assert out[0] == 0.0
    np.testing.assert_allclose(out[1:5], expected, rtol=1e-15)
    assert out[4] > 1e15 and np.all(out[5:] == np.inf)  # +inf: never, not a negative count
    for bad in ([-0.1], [np.nan], "0.5"):
        with pytest.raises(ValueError, match=r"^rates must"):
            theory.steps_per_decade(bad)
    with pytest.raises(ValueError, match=r"^rates must be finite and >= 0, got \[ 0\.5 -0\.1\]$"):
        theory.steps_per_decade([0.5, -0.1])


def test_theory_does_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theory.rate("momentum", [1e-300, 1e300], 0.99, [1e300, 1e-300])
        theory.rate_map([1.0, 1e12])
        theory.steps_per_decade([0.0, 1.0])


def test_messages_list_the_allowed_values():
    with pytest.raises(ValueError, match=r"^method must be one of 'gd', 'momentum', 'nesterov', got 'adam'$"):
        theory.rate("adam", 0.1, 0.5, 1.0)
    with pytest.raises(ValueError, match=r"^eigenvalues must be finite and >= 0 with a non-empty last axis, got \[ 1\. -1\.\]$"):
        theory.rate("gd", 0.1, 0.5, [1.0, -1.0])
    with pytest.raises(ValueError, match=r"^eigenvalues must be finite and >= 0 with a non-empty last axis, got '1'"):
        theory.rate("gd", 0.1, 0.5, "1")
    assert theory.rate("gd", 0.5, 0.0, [0.0, 1.0]) == 1.0  # a flat direction never converges, but is allowed
