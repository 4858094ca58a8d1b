"""Every verdict of chapters 1 and 4, re-checked on a grid four times finer over the same region.

A chapter states a verdict from one grid of settings and asserts the numbers it quotes for that
grid. Here each grid is refined four times along every axis (four times as many intervals between
the same end points), and the test fails if the verdict, as worded in the chapter, would change.
Numbers that the chapter quotes as measured on its grid may move a little on the finer grid; the
tolerances below are the ones the wording allows ("about 9%", "within 10%", "fewer than 1%").

Each test also checks that the chapter still uses the grid it names here, so the two stay in step.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import nagcore
from nagcore import problems, theory, verdicts

CHAPTERS = pathlib.Path(__file__).resolve().parents[1] / "chapters"
FINER = 4


def _source(name: str) -> str:
    notebook = json.loads((CHAPTERS / name).read_text())
    return "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")


def _uses(chapter: str, *expressions: str) -> None:
    source = _source(chapter)
    for expression in expressions:
        assert expression in source, f"{chapter} no longer uses {expression!r}; update tests/test_verdicts.py"


def finer(n: int) -> int:
    """Points of a grid with FINER times as many intervals as an ``n``-point grid, same end points."""
    return FINER * (n - 1) + 1


def test_gradient_descent_converges_exactly_below_two_over_L():
    """Chapter 1: every learning rate below 2/L converges and every one above fails, for eta L in (0, 3]."""
    _uses("01_gradient_descent.ipynb", "np.arange(1, 3001) / 1000 / bowl.L", "steps=2000")
    bowl = problems.quadratic([0.2, 1.0])
    lrs = np.arange(1, FINER * 3000 + 1) / (FINER * 1000) / bowl.L
    converging = np.empty(lrs.size, dtype=bool)
    for chunk in np.array_split(np.arange(lrs.size), 8):
        scan = nagcore.run(nagcore.gradient_descent(lrs[chunk]), bowl, bowl.x0, steps=2000)
        with np.errstate(invalid="ignore"):
            converging[chunk] = scan.f[-1] - bowl.f_star < scan.f[0] - bowl.f_star
    assert np.all(converging[lrs < 2 / bowl.L - 1e-9])
    assert not np.any(converging[lrs > 2 / bowl.L + 1e-9])


def test_tuned_speed_ups_hold_for_every_condition_number_from_10_to_10000():
    """NAG needs 1.6 to 41.7 times fewer steps than GD, and 1.65 to 1.8 times more than heavy ball."""
    _uses("04_why_nag_is_faster.ipynb", "np.array([10.0, 100.0, 1000.0, 10000.0])", "verdicts.tuned_steps(kappa, tol=tol)")
    kappas = np.geomspace(10.0, 1e4, finer(4))
    counts = np.array([verdicts.tuned_steps(k) for k in kappas])
    gd_over_nag = counts[:, 0] / counts[:, 2]
    nag_over_hb = counts[:, 2] / counts[:, 1]
    assert np.all(np.diff(gd_over_nag) > 0), gd_over_nag
    assert round(gd_over_nag[0], 1) == 1.6 and round(gd_over_nag[-1], 1) == 41.7
    assert 1.65 <= nag_over_hb.min() and nag_over_hb.max() < 1.8, nag_over_hb


def test_at_equal_settings_nesterov_wins_only_with_more_than_its_tuned_momentum():
    _uses("04_why_nag_is_faster.ipynb", "np.linspace(0.01, 4.0, 400)", "np.linspace(0.0, 0.995, 200)")
    kappas = np.array([10.0, 100.0, 1000.0])
    lrs = np.linspace(0.01, 4.0, finer(400))
    moms = np.linspace(0.0, 0.995, finer(200))
    share, nag_only = verdicts.nesterov_share(kappas, lrs, moms)
    assert nag_only.tolist() == [0, 0, 0]
    stated_first, stated_majority = [0.465, 0.795, 0.93], [0.605, 0.855, 0.95]
    chapter_step = 0.995 / 199
    for s, kappa, first, majority in zip(share, kappas, stated_first, stated_majority):
        # below the stated momentum heavy ball's rate is at least as small at every learning rate
        assert np.all(s[moms < first - chapter_step] == 0)
        assert abs(moms[s > 0].min() - first) <= chapter_step
        # from about the stated momentum on, Nesterov's is smaller at most learning rates
        from_here = moms[s > 0.5].min()
        assert abs(from_here - majority) <= chapter_step and np.all(s[moms >= from_here] > 0.5)
        assert moms[s > 0].min() > theory.tuned("momentum", 1.0, 1 / kappa).momentum
        assert from_here > theory.tuned("nesterov", 1.0, 1 / kappa).momentum


def test_both_methods_cross_and_nesterov_overshoots_less_except_near_its_limit():
    _uses("04_why_nag_is_faster.ipynb", "np.linspace(0.02, 4.0, 200)", "np.linspace(0.0, 0.98, 50)")
    oh = np.linspace(0.02, 4.0, finer(200))
    og = np.linspace(0.0, 0.98, finer(50))
    over = verdicts.overshoot(oh, og)
    stable = {m: theory.rate(m, oh, og[:, None], 1.0) < 1 for m in over}
    crosses = {m: float((over[m][stable[m]] > 0).mean()) for m in over}
    assert abs(crosses["momentum"] - 0.95) < 0.015 and abs(crosses["nesterov"] - 0.85) < 0.015, crosses
    both = stable["momentum"] & stable["nesterov"]
    excess = np.zeros_like(over["nesterov"])
    np.subtract(over["nesterov"], over["momentum"], out=excess, where=both)
    larger = excess > 1e-12
    limit = 2 * (1 + og[:, None]) / (1 + 2 * og[:, None])
    assert larger.sum() / both.sum() < 0.01
    assert (oh / limit)[larger].min() > 0.96
    assert np.broadcast_to(og[:, None], larger.shape)[larger].max() < 0.55
    assert excess.max() < 0.1


def test_stable_settings_oscillate_less_often_for_nesterov():
    _uses("04_why_nag_is_faster.ipynb", "np.linspace(0.005, 4.2, 400)", "np.linspace(0.0, 0.99, 300)")
    h = np.linspace(0.005, 4.2, finer(400))
    gammas = np.linspace(0.0, 0.99, finer(300))[:, None]
    shares = {}
    for method in ("momentum", "nesterov"):
        rho = theory.rate(method, h, gammas, 1.0)
        b, c = (a[..., 0] for a in theory.coefficients(method, h, gammas, 1.0))
        stable = rho < 1
        shares[method] = float((((b * b < 4 * c) | (b < 0)) & stable).sum() / stable.sum())
    assert round(shares["momentum"], 2) == 0.94 and round(shares["nesterov"], 2) == 0.85, shares


@pytest.fixture(scope="module")
def nonconvex():
    _uses(
        "04_why_nag_is_faster.ipynb",
        "1 - np.geomspace(1.0, 0.005, 12)",
        "np.geomspace(0.05, 4.0, 16) / rosen.L",
        "np.geomspace(0.02, 4.0, 16) / well.L",
        "steps=5000, tol=1e-8",
        "steps=2000, tol=1e-6",
    )
    moms = 1 - np.geomspace(1.0, 0.005, finer(12))
    rosen, well = problems.rosenbrock(), problems.double_well()
    cases = {
        "Rosenbrock": (rosen, np.geomspace(0.05, 4.0, finer(16)) / rosen.L, dict(steps=5000, tol=1e-8, measure="gap")),
        "double well": (well, np.geomspace(0.02, 4.0, finer(16)) / well.L, dict(steps=2000, tol=1e-6, measure="distance")),
    }
    return {
        name: {m: verdicts.steps_to_reach(p, m, lrs, moms, **options) for m in verdicts.MOMENTUM_METHODS}
        for name, (p, lrs, options) in cases.items()
    }


def _summary(speed):
    hb, nag = speed["momentum"], speed["nesterov"]
    both = np.isfinite(hb) & np.isfinite(nag)
    return {
        "reach": (np.isfinite(hb).mean(), np.isfinite(nag).mean()),
        "fastest 5%": (np.sort(hb.ravel())[hb.size // 20], np.sort(nag.ravel())[nag.size // 20]),
        "nag faster": (nag < hb)[both].mean(),
        "hb faster": (hb < nag)[both].mean(),
    }


def test_rosenbrock_heavy_ball_works_tuned_and_neither_method_dominates(nonconvex):
    s = _summary(nonconvex["Rosenbrock"])
    hb_reach, nag_reach = s["reach"]
    assert nag_reach < hb_reach and abs(hb_reach - 0.42) < 0.05 and abs(nag_reach - 0.31) < 0.05, s
    assert s["fastest 5%"][0] < s["fastest 5%"][1], s  # heavy ball's fastest settings are faster
    assert 0.5 < s["nag faster"] < 0.65 and 0.35 < s["hb faster"] < 0.5, s  # "about half each"


def test_double_well_nesterov_reaches_the_global_minimum_faster(nonconvex):
    s = _summary(nonconvex["double well"])
    hb_reach, nag_reach = s["reach"]
    assert hb_reach < nag_reach and abs(hb_reach - 0.33) < 0.05 and abs(nag_reach - 0.47) < 0.05, s
    assert s["fastest 5%"][1] < s["fastest 5%"][0] / 2, s
    assert s["nag faster"] >= 0.9 and s["hb faster"] < 0.05, s


def test_tuned_heavy_ball_fails_from_about_one_start_in_eleven_on_the_lessard_function():
    _uses("04_why_nag_is_faster.ipynb", "np.linspace(-10, 10, 81)")
    pw = problems.piecewise_quadratic()
    hb, nag = (theory.tuned(m, pw.L, pw.mu) for m in ("momentum", "nesterov"))
    starts = np.linspace(-10, 10, finer(81))[:, None]
    fails = np.abs(nagcore.run(nagcore.momentum(hb.lr, hb.momentum), pw, starts, 500).x[-1, :, 0]) >= 1e-9
    settles = np.abs(nagcore.run(nagcore.nesterov(nag.lr, nag.momentum), pw, starts, 500).x[-1, :, 0]) < 1e-9
    assert 0.07 <= fails.mean() <= 0.11 and settles.all()


def test_gradient_noise_erases_most_of_the_speed_up():
    _uses(
        "04_why_nag_is_faster.ipynb",
        "np.geomspace(0.005, 4.0, 32) / noisy_bowl.L",
        "1 - np.geomspace(1.0, 0.005, 24)",
        "np.linspace(0.0, 0.01, 11)",
        "steps=3000",
    )
    bowl = problems.quadratic(condition_number=100, rotation=np.pi / 6)
    turn = np.array([[np.cos(np.pi / 6), -np.sin(np.pi / 6)], [np.sin(np.pi / 6), np.cos(np.pi / 6)]])
    start = turn.T @ (bowl.x0 - bowl.x_star)
    lrs = np.geomspace(0.005, 4.0, finer(32)) / bowl.L
    moms = 1 - np.geomspace(1.0, 0.005, finer(24))
    sigmas = np.linspace(0.0, 0.01, finer(11))
    counts = {m: verdicts.noisy_steps(m, [bowl.mu, bowl.L], start, lrs, moms, sigmas, steps=3000, target=1e-3) for m in verdicts.MOMENTUM_METHODS}
    # columns: gradient descent (heavy ball's momentum-0 column), heavy ball, Nesterov
    best = np.stack([counts["momentum"][:, :, 0].min(axis=1), counts["momentum"].min(axis=(1, 2)), counts["nesterov"].min(axis=(1, 2))], axis=1)
    assert np.all(np.isfinite(best))
    speedup = best[:, :1] / best[:, 1:]  # heavy ball, Nesterov over gradient descent
    quiet = sigmas <= 0.001 + 1e-12
    mid = (sigmas >= 0.003 - 1e-12) & (sigmas <= 0.007 + 1e-12)
    loud = sigmas >= 0.008 - 1e-12
    assert np.all(speedup[quiet, 1] > 5.5) and np.all(speedup[quiet, 0] > 8), speedup[quiet]
    assert np.all((speedup[mid] > 1.5) & (speedup[mid] < 2.1)), speedup[mid]
    assert np.all(speedup[loud] < 1.2), speedup[loud]
    later = sigmas >= 0.003 - 1e-12
    assert np.all(np.abs(best[later, 2] / best[later, 1] - 1) < 0.1)


def test_expected_squared_error_matches_sampled_runs():
    """The exact formula behind the noise verdict, against 20 000 noisy runs of another setting."""
    bowl = problems.quadratic(condition_number=10, rotation=0.4, x0=[1.0, -0.5])
    turn = np.array([[np.cos(0.4), -np.sin(0.4)], [np.sin(0.4), np.cos(0.4)]])
    start = turn.T @ (bowl.x0 - bowl.x_star)
    sigma, rng = 0.05, np.random.default_rng(7)
    for method, make in [("gd", lambda: nagcore.gradient_descent(0.3)), ("momentum", lambda: nagcore.momentum(0.3, 0.7))]:
        exact = verdicts.expected_sq_error(method, [bowl.mu, bowl.L], start, [0.3], [0.7], steps=150).mse(sigma)[:, 0, 0]
        runs = nagcore.run(make(), lambda x: bowl.grad(x) + sigma * rng.standard_normal(x.shape), np.broadcast_to(bowl.x0, (20_000, 2)), 150)
        sampled = np.mean(np.sum((runs.x - bowl.x_star) ** 2, axis=-1), axis=-1)
        assert np.max(np.abs(sampled / exact - 1)) < 0.05, method


def test_scheduled_nesterov_stays_within_a_constant_of_the_lower_bound():
    """For horizons 4 to 1024: between 2.8 and 3.4 times Nesterov's lower bound, slope -2."""
    _uses("04_why_nag_is_faster.ipynb", "np.unique(np.geomspace(4, 1024, 15).astype(int))")
    horizons = np.unique(np.geomspace(4, 1024, finer(15)).astype(int))

    def schedule(k):
        return max(k - 1, 0) / (k + 2)

    def scheduled_nesterov(lr):
        def init(x):
            return np.zeros_like(x), 0

        def step(grad, x, state):
            v, k = state
            m = schedule(k)
            v = m * v + lr * grad(x - m * v)
            return x - v, (v, k + 1)

        return nagcore.Optimizer(init, step, {"lr": np.asarray(lr, dtype=float)})

    ratios = []
    for n in horizons:
        p = problems.nesterov_worst_case(dim=2 * n + 1, L=1.0)
        gap = nagcore.run(scheduled_nesterov(1 / p.L), p, p.x0, int(n)).f[-1] - p.f_star
        ratios.append(gap / (p.L * np.sum((p.x0 - p.x_star) ** 2)) / (3 / (32 * (n + 1) ** 2)))
    ratios = np.array(ratios)
    assert 2.8 < ratios.min() and ratios.max() < 3.4, ratios


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: verdicts.optimizer("adam", 0.1, 0.9), "method"),
        (lambda: verdicts.overshoot([0.1], [1.0]), "momentum"),
        (lambda: verdicts.nesterov_share([0.5], [0.1], [0.5]), "kappa"),
        (lambda: verdicts.steps_to_reach(problems.double_well(), "nesterov", [[0.1]], [0.5], steps=5, tol=1e-3), "lr and momentum"),
        (lambda: verdicts.steps_to_reach(problems.double_well(), "nesterov", [0.1], [0.5], steps=5, tol=1e-3, measure="loss"), "measure"),
        (lambda: verdicts.expected_sq_error("gd", [1.0, 2.0], [1.0], [0.1], [0.0], steps=5), "eigenvalues and start"),
        (lambda: verdicts.noisy_steps("gd", [1.0], [1.0], [0.1], [0.0], [-0.1], steps=5, target=1e-3), "sigmas"),
    ],
)
def test_bad_input_is_a_value_error_that_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
