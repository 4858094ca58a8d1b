"""run(): shapes, bookkeeping, validation of every argument, and steps_to_tolerance."""

import sys
import warnings

import numpy as np
import pytest

import nagcore
from nagcore import problems


def test_trajectory_layout_unbatched():
    p = problems.rosenbrock()
    traj = nagcore.run(nagcore.momentum(1e-4), p, [-1.2, 1.0], 10)
    assert traj.x.shape == (11, 2) and traj.x.dtype == np.float64
    np.testing.assert_array_equal(traj.x[0], [-1.2, 1.0])
    np.testing.assert_array_equal(traj.f, p.f(traj.x))
    assert traj.diverged is False


def test_zero_steps_returns_start_only():
    p = problems.quadratic([1.0, 2.0])
    traj = nagcore.run(nagcore.nesterov(0.1), p, p.x0, 0)
    assert traj.x.shape == (1, 2) and traj.f.shape == (1,)


def test_plain_gradient_function_gives_no_values():
    traj = nagcore.run(nagcore.gradient_descent(0.25), lambda x: 2 * x, np.ones((3, 2)), 5)
    assert traj.f is None and traj.x.shape == (6, 3, 2)
    np.testing.assert_allclose(traj.x[-1], 0.5**5 * np.ones((3, 2)))
    np.testing.assert_array_equal(traj.diverged, [False] * 3)


def test_input_is_not_modified():
    x0 = np.array([1.0, 2.0])
    nagcore.run(nagcore.nesterov(0.1), problems.quadratic([1.0, 2.0]), x0, 5)
    np.testing.assert_array_equal(x0, [1.0, 2.0])


def test_divergence_flag_is_per_run():
    p = problems.quadratic([1.0])
    traj = nagcore.run(nagcore.gradient_descent(np.array([0.5, 2.2])), p, [1.0], 400)
    np.testing.assert_array_equal(traj.diverged, [False, True])
    assert np.isfinite(traj.x[:, 0]).all()


def test_blowup_threshold_flags_growth_before_overflow():
    p = problems.quadratic([1.0])
    traj = nagcore.run(nagcore.gradient_descent(2.1), p, [1.0], 100)  # |1 - 2.1| = 1.1 per step
    assert np.isfinite(traj.x).all() and traj.diverged is False  # grew 1.1**100 ~ 1.4e4 < 1e6
    assert nagcore.run(nagcore.gradient_descent(2.1), p, [1.0], 100, blowup=1e3).diverged is True


NAN = float("nan")
INF = float("inf")


LR_CASES = [0.0, -0.1, NAN, INF, [0.1, 0.0]]
MOMENTUM_CASES = [1.0, -0.1, NAN, [0.5, 1.2]]
FACTORIES = [
    ("gradient_descent", nagcore.gradient_descent, {}),
    ("momentum", nagcore.momentum, {"momentum": 0.9}),
    ("nesterov", nagcore.nesterov, {"momentum": 0.9}),
]


@pytest.mark.parametrize("lr", LR_CASES)
@pytest.mark.parametrize("name, factory, extra", FACTORIES)
def test_bad_learning_rate_raises(lr, name, factory, extra):
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        factory(lr, **extra)


@pytest.mark.parametrize("momentum", MOMENTUM_CASES)
@pytest.mark.parametrize("factory", [nagcore.momentum, nagcore.nesterov])
def test_bad_momentum_raises(momentum, factory):
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        factory(0.1, momentum=momentum)


@pytest.mark.parametrize(
    "x0, steps, argument",
    [
        ([NAN, 0.0], 5, "x0 must be finite"),
        ([INF, 0.0], 5, "x0 must be finite"),
        (1.0, 5, "x0 must have a last axis"),
        ([[1.0, 2.0], [3.0, "a"]], 5, "x0 must be an array"),
        ([1.0, 2.0], -1, "steps must be an integer >= 0"),
        ([1.0, 2.0], 2.5, "steps must be an integer >= 0"),
        ([1.0, 2.0], "10", "steps must be an integer >= 0"),
        ([1.0, 2.0], True, "steps must be an integer >= 0"),
        ([1.0, 2.0, 3.0], 5, "x0 has 3 parameters"),
    ],
)
def test_bad_run_arguments_raise(x0, steps, argument):
    with pytest.raises(ValueError, match=argument):
        nagcore.run(nagcore.gradient_descent(0.1), problems.quadratic([1.0, 2.0]), x0, steps)


def test_shapes_that_do_not_broadcast_raise():
    p = problems.quadratic([1.0, 2.0])
    with pytest.raises(ValueError, match="x0's batch shape"):
        nagcore.run(nagcore.nesterov(np.array([0.1, 0.2, 0.3])), p, np.zeros((2, 2)), 5)
    message = (r"^x0's batch shape \(2, 3\) does not broadcast with the hyperparameter shape \(4,\); "
               r"leading axes of x0 and the lr/momentum arrays must be broadcast-compatible$")
    with pytest.raises(ValueError, match=message):
        nagcore.run(nagcore.nesterov(np.linspace(0.1, 0.4, 4)), p, np.zeros((2, 3, 2)), 5)
    with pytest.raises(ValueError, match="hyperparameter shapes do not broadcast"):
        nagcore.run(nagcore.nesterov(np.array([0.1, 0.2]), np.array([0.1, 0.2, 0.3])), p, p.x0, 5)


def test_bad_optimizer_objective_and_blowup_raise():
    p = problems.quadratic([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^optimizer must be a nagcore Optimizer .*, got str$"):
        nagcore.run("sgd", p, p.x0, 5)
    with pytest.raises(ValueError, match=r"^objective must be a nagcore Problem or a callable returning the gradient, got float$"):
        nagcore.run(nagcore.nesterov(0.1), 3.0, p.x0, 5)
    with pytest.raises(ValueError, match="blowup"):
        nagcore.run(nagcore.nesterov(0.1), p, p.x0, 5, blowup=0.5)


def test_steps_to_tolerance_waits_until_error_stays_below():
    errors = np.array([[1.0, 1.0], [0.1, 0.5], [0.5, 0.3], [0.05, 0.3], [0.01, 0.3]])
    np.testing.assert_array_equal(nagcore.steps_to_tolerance(errors, 0.2), [3.0, np.inf])
    assert nagcore.steps_to_tolerance(np.array([0.1, 0.05]), 0.2) == 0
    assert nagcore.steps_to_tolerance(np.array([1.0, NAN, 0.1]), 0.2) == 2
    with pytest.raises(ValueError, match="tol"):
        nagcore.steps_to_tolerance(errors, 0.0)


def test_steps_to_tolerance_matches_gd_closed_form():
    # GD on f = x^2 / 2 with lr 0.5: error 0.5^k, below 1e-3 from k = ceil(log2(1000)) = 10
    traj = nagcore.run(nagcore.gradient_descent(0.5), problems.quadratic([1.0]), [1.0], 30)
    assert nagcore.steps_to_tolerance(np.abs(traj.x[:, 0]), 1e-3) == np.ceil(np.log2(1000))


def test_first_divergence_marks_exactly_the_flagged_runs():
    p = problems.quadratic([0.5, 2.0], rotation=0.3)
    lrs = np.linspace(0.5, 1.6, 12)[:, None]
    moms = np.array([0.0, 0.5, 0.9])
    traj = nagcore.run(nagcore.nesterov(lrs, moms), p, p.x0, 300, blowup=50.0)
    first = nagcore.first_divergence(traj.x, p.x_star, blowup=50.0)
    np.testing.assert_array_equal(first >= 0, traj.diverged)
    assert traj.diverged.any() and not traj.diverged.all()
    limit = 50.0 * (1 + np.linalg.norm(p.x0 - p.x_star))
    for i, j in zip(*np.nonzero(traj.diverged)):
        with np.errstate(over="ignore", invalid="ignore"):
            dist = np.linalg.norm(traj.x[:, i, j] - p.x_star, axis=-1)
        k = first[i, j]
        assert dist[k] > limit or not np.isfinite(dist[k])
        assert np.all(dist[:k] <= limit)


# --- recording every k-th iterate -------------------------------------------------------------


@pytest.mark.parametrize("steps, every, expected", [(10, 1, range(11)), (10, 3, [0, 3, 6, 9, 10]), (9, 3, [0, 3, 6, 9]), (5, 8, [0, 5]), (0, 4, [0])])
def test_every_k_records_the_multiples_of_k_and_the_last_step(steps, every, expected):
    p = problems.quadratic([0.5, 2.0], rotation=0.3)
    full = nagcore.run(nagcore.nesterov(0.3, 0.8), p, p.x0, steps)
    thin = nagcore.run(nagcore.nesterov(0.3, 0.8), p, p.x0, steps, every=every)
    np.testing.assert_array_equal(thin.steps, list(expected))
    assert thin.steps.dtype.kind == "i"
    np.testing.assert_array_equal(thin.x, full.x[thin.steps])
    np.testing.assert_array_equal(thin.f, full.f[thin.steps])
    np.testing.assert_array_equal(full.steps, np.arange(steps + 1))


def test_trajectory_fields_are_in_the_published_order():
    assert nagcore.Trajectory._fields == ("x", "f", "diverged", "steps")


def test_divergence_between_recorded_iterates_is_still_flagged():
    """An excursion past the limit that returns before the next recorded step counts, as with every=1."""

    def init(x):
        return ()

    def step(grad, x, state):
        return grad(x), state

    jumps = {3: 1e9}  # the iterate leaves at step 3 and comes straight back
    calls = []

    def oracle(x):
        calls.append(1)
        return np.full_like(x, jumps.get(len(calls), 0.5))

    opt = nagcore.Optimizer(init, step, {})
    traj = nagcore.run(opt, oracle, [0.5, 0.5], 8, every=4, blowup=10.0)
    assert traj.diverged is True and np.isfinite(traj.x).all() and np.all(traj.x[1:] == 0.5)


def test_divergence_decided_exactly_at_the_limit():
    # GD with lr 3 on x^2/2 from 1: x_k = (-2)^k exactly; the limit 256 * (1 + 1) = 512 = |x_9|, and the
    # rule is "further than the limit", so step 10 is the first past it. Zeros pad d to 16 and 64.
    for d in (1, 16, 64):
        p = problems.quadratic(np.ones(d))
        x0 = np.zeros(d)
        x0[0] = 1.0
        traj = nagcore.run(nagcore.gradient_descent(3.0), p, x0, 12, blowup=256.0)
        assert abs(traj.x[9, 0]) == 512.0 and traj.diverged is True
        assert nagcore.first_divergence(traj.x, p.x_star, blowup=256.0) == 10
        assert nagcore.run(nagcore.gradient_descent(3.0), p, x0, 9, blowup=256.0).diverged is False
        assert nagcore.run(nagcore.gradient_descent(3.0), p, x0, 10, blowup=256.0, every=7).diverged is True


def test_run_flags_equal_first_divergence_on_a_grid_that_straddles_the_limit():
    rng = np.random.default_rng(3)
    for d in (2, 9, 33):
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        p = problems.quadratic(np.r_[1.0, rng.uniform(0.1, 1.0, d - 1)], rotation=q, x_star=rng.standard_normal(d))
        lrs = np.linspace(1.5, 2.6, 23)[:, None]
        moms = np.array([0.0, 0.3, 0.7])
        for blowup in (3.0, 50.0, 1e4):
            traj = nagcore.run(nagcore.momentum(lrs, moms), p, p.x0, 120, blowup=blowup)
            first = nagcore.first_divergence(traj.x, p.x_star, blowup=blowup)
            np.testing.assert_array_equal(first >= 0, traj.diverged)
            assert traj.diverged.any() and not traj.diverged.all()
            # an independent check of the rule with numpy's own norm, away from the last ulp
            with np.errstate(over="ignore", invalid="ignore"):
                dist = np.linalg.norm(traj.x - p.x_star, axis=-1)
            limit = blowup * (1 + np.linalg.norm(p.x0 - p.x_star))
            clear = ~np.any(np.abs(dist / limit - 1) < 1e-12, axis=0)
            beyond = np.any(~(dist <= limit), axis=0)
            np.testing.assert_array_equal(traj.diverged[clear], beyond[clear])


# --- the gradient is checked on the first call --------------------------------------------------


def test_objective_instead_of_gradient_is_refused_clearly():
    p = problems.quadratic([1.0, 2.0])
    with pytest.raises(ValueError, match=r"objective must return the gradient.*that is the objective, not its gradient"):
        nagcore.run(nagcore.nesterov(0.1), p.f, p.x0, 5)
    with pytest.raises(ValueError, match=r"objective must return the gradient.*shape \(3, 2\).*shape \(3,\)"):
        nagcore.run(nagcore.nesterov(0.1), p.f, np.ones((3, 2)), 5)
    with pytest.raises(ValueError, match=r"shape \(4, 3, 2\); it returned shape \(4, 3\)\. It returned one value per run") as info:
        nagcore.run(nagcore.nesterov(0.1), p.f, np.ones((4, 3, 2)), 5)  # a grid of runs
    assert str(info.value).endswith("(for a Problem p, p.grad, or p itself).")  # the hint says how to pass a Problem


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda x: x[..., :1], r"^objective must return the gradient, an array of x's shape \(4, 2\); it returned shape \(4, 1\)\.$"),
        (lambda x: np.ones(2), r"objective must return the gradient.*\(4, 2\).*\(2,\)"),  # broadcasts, would run silently
        (lambda x: x + 1j, r"objective must return real numbers \(an int or float array\); it returned dtype complex128$"),
        (lambda x: np.full(x.shape, "a"), r"objective must return real numbers"),
    ],
)
def test_gradient_of_the_wrong_shape_or_type_is_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        nagcore.run(nagcore.momentum(0.1), bad, np.ones((4, 2)), 3)


def test_problem_with_a_wrong_gradient_names_objective_grad():
    p = problems.quadratic([1.0, 2.0])
    broken = p._replace(grad=lambda x: np.sum(x, axis=-1))
    with pytest.raises(ValueError, match=r"objective\.grad must return the gradient"):
        nagcore.run(nagcore.gradient_descent(0.1), broken, p.x0, 3)


def test_an_objective_of_the_wrong_shape_is_refused_with_both_shapes():
    p = problems.quadratic([1.0, 2.0])
    broken = p._replace(f=lambda x: np.sum(x))  # one number for the whole trajectory
    with pytest.raises(ValueError, match=r"^objective\.f must map \(\.\.\., d\) to \(\.\.\.\): for shape \(6, 2\) it returned shape \(\)$"):
        nagcore.run(nagcore.gradient_descent(0.1), broken, p.x0, 5)


def test_objective_over_a_long_record_equals_the_objective_row_by_row():
    """50 runs of 100 parameters for 500 steps: the values are computed a block of steps at a time."""
    p = problems.quadratic(np.geomspace(0.01, 1.0, 100), x_star=np.linspace(-1.0, 1.0, 100))
    starts = np.random.default_rng(5).standard_normal((50, 100))
    traj = nagcore.run(nagcore.nesterov(np.linspace(0.5, 2.5, 50), 0.5), p, starts, 500)
    np.testing.assert_array_equal(traj.f, [p.f(x) for x in traj.x])
    assert traj.diverged.any() and not traj.diverged.all()  # finite and overflowing values alike


def test_gradient_is_checked_once_not_every_step():
    shapes = []

    def grad(x):
        shapes.append(x.shape)
        return 2 * x

    traj = nagcore.run(nagcore.nesterov(0.1, 0.5), grad, np.ones((2, 3)), 4)
    assert shapes == [(2, 3)] * 4 and traj.x.shape == (5, 2, 3)
    # from the second step on the optimizer is handed the gradient itself: no check, no wrapper
    handed = []

    def step(g, x, state):
        handed.append(g)
        return x - 0.1 * g(x), state

    nagcore.run(nagcore.Optimizer(lambda x: (), step, {}), grad, np.ones((2, 3)), 4)
    assert handed[0] is not grad and handed[1:] == [grad] * 3


# --- bad input: every ValueError names its argument ----------------------------------------------

DATE = __import__("datetime").datetime(2024, 1, 1)
NOT_REAL = ["0.1", True, np.bool_(True), 1 + 2j, np.complex128(0.5), DATE, np.datetime64("2024-01-01"), None, [0.1, "a"], object()]


@pytest.mark.parametrize("value", NOT_REAL, ids=repr)
@pytest.mark.parametrize("name, factory, extra", FACTORIES)
def test_learning_rate_must_be_a_real_number(value, name, factory, extra):
    with pytest.raises(ValueError, match=r"^lr must be finite and > 0"):
        factory(value, **extra)


@pytest.mark.parametrize("value", NOT_REAL, ids=repr)
@pytest.mark.parametrize("factory", [nagcore.momentum, nagcore.nesterov])
def test_momentum_must_be_a_real_number(value, factory):
    with pytest.raises(ValueError, match=r"^momentum must be in \[0, 1\)"):
        factory(0.1, momentum=value)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"x0": ["1.0", "2.0"]}, "x0"),
        ({"x0": [True, False]}, "x0"),
        ({"x0": [1 + 1j, 0.0]}, "x0"),
        ({"x0": [DATE, DATE]}, "x0"),
        ({"steps": np.float64(3.0)}, "steps"),
        ({"every": 0}, "every"),
        ({"every": 2.0}, "every"),
        ({"every": True}, "every"),
        ({"every": "3"}, "every"),
        ({"blowup": "1e6"}, "blowup"),
        ({"blowup": True}, "blowup"),
        ({"blowup": 1.0}, "blowup"),
        ({"blowup": 2 + 0j}, "blowup"),
        ({"steps": 10**15}, "steps"),
    ],
)
def test_bad_run_inputs_name_the_argument(kwargs, argument):
    p = problems.quadratic([1.0, 2.0])
    args = {"x0": p.x0, "steps": 5, **kwargs}
    with pytest.raises(ValueError, match=rf"^{argument}\b"):
        nagcore.run(nagcore.gradient_descent(0.1), p, args.pop("x0"), args.pop("steps"), **args)


def test_a_run_too_large_for_memory_is_refused_up_front_with_its_size():
    p = problems.quadratic([1.0, 2.0])
    with pytest.raises(ValueError, match=r"steps=10000000000000 with every=1 records 10000000000001 iterates.* 240,000,000,000,024 bytes"):
        nagcore.run(nagcore.gradient_descent(0.1), p, p.x0, 10**13)
    # the same number of steps fits when only a few iterates are kept (and zero steps are run here)
    many = nagcore.run(nagcore.gradient_descent(0.1), p, p.x0, 0, every=10**12)
    assert many.x.shape == (1, 2)


def test_the_memory_check_counts_the_record_to_the_byte(monkeypatch):
    """8 bytes per recorded number: d per iterate, and one more for its value when there is an objective."""
    p = problems.quadratic([1.0, 2.0])
    starts = np.zeros((3, 2))
    record = 8 * 11 * 3 * 2  # 11 iterates (0, 10, ..., 90 and the last, 91) of 3 runs x 2 parameters
    monkeypatch.setattr(sys.modules["nagcore.run"], "_physical_memory", lambda: record)
    assert nagcore.run(nagcore.gradient_descent(0.1), p.grad, starts, 91, every=10).x.shape == (11, 3, 2)  # exactly fits
    message = (r"^steps=91 with every=10 records 11 iterates of 3 run\(s\) x 2 parameters, which needs 792 bytes; "
               r"this machine has 528 bytes of memory\. Record fewer iterates \(a larger every\) or run fewer steps\.$")
    with pytest.raises(ValueError, match=message):  # with the values: 11 x 3 more numbers
        nagcore.run(nagcore.gradient_descent(0.1), p, starts, 91, every=10)
    monkeypatch.setattr(sys.modules["nagcore.run"], "_physical_memory", lambda: record + 8 * 33)
    assert nagcore.run(nagcore.gradient_descent(0.1), p, starts, 91, every=10).f.shape == (11, 3)


def test_numpy_integers_are_accepted_counts():
    p = problems.quadratic([1.0, 2.0])
    traj = nagcore.run(nagcore.gradient_descent(np.float32(0.1)), p, p.x0.astype(np.float32), np.int64(4), every=np.int8(2))
    assert traj.x.dtype == np.float64 and traj.steps.tolist() == [0, 2, 4]


# --- what a factory captured cannot be changed afterwards ---------------------------------------


def test_changing_the_lr_array_after_the_factory_changes_nothing():
    p = problems.quadratic([1.0, 2.0])
    lr, mom = np.array([0.1, 0.3]), np.array([0.5, 0.9])
    opt = nagcore.nesterov(lr, mom)
    before = nagcore.run(opt, p, p.x0, 20)
    lr[:] = 5.0
    mom[:] = 0.0
    after = nagcore.run(opt, p, p.x0, 20)
    np.testing.assert_array_equal(after.x, before.x)
    with pytest.raises(ValueError, match="read-only"):
        opt.hyperparams["lr"][0] = 1.0
    with pytest.raises(TypeError):
        opt.hyperparams["lr"] = np.array([1.0, 1.0])


# --- no numpy warning leaves a public function ---------------------------------------------------


def test_no_numpy_warning_leaks_from_run_and_its_helpers():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = problems.quadratic([1.0, 2.0])
        huge = np.array([1e300, -1e300])
        traj = nagcore.run(nagcore.gradient_descent(3.0), p, huge, 30)  # the limit itself overflows
        assert traj.diverged is True
        nagcore.run(nagcore.gradient_descent(1e300), p, [1.0, 1.0], 30)
        nagcore.first_divergence(np.array([[1.0, 1.0], [np.inf, np.nan]]), np.zeros(2))
        nagcore.first_divergence(np.array([[1e300, 1e300], [1e308, 1e308]]), np.zeros(2))
        nagcore.steps_to_tolerance(np.array([np.nan, np.inf, 1e-300]), 1e-3)


def test_an_optimizer_that_changes_the_shape_is_refused():
    bad = nagcore.Optimizer(lambda x: (), lambda grad, x, state: (x[..., :1], state), {})
    with pytest.raises(ValueError, match=r"optimizer.step must return x_next of x's shape \(2,\), got shape \(1,\)"):
        nagcore.run(bad, lambda x: x, [1.0, 2.0], 3)


# --- first_divergence and steps_to_tolerance: edge cases and their inputs ------------------------


def test_first_divergence_judges_each_run_on_its_own_entries():
    xs = np.array([[[1.0, 1.0], [1.0, 1.0]], [[np.nan, 1.0], [0.5, 0.5]], [[np.inf, 1.0], [0.2, 0.2]]])
    np.testing.assert_array_equal(nagcore.first_divergence(xs, np.zeros(2)), [1, -1])
    p = problems.quadratic([1.0])
    traj = nagcore.run(nagcore.gradient_descent(np.array([0.5, 1e300])), p, [1.0], 4)
    assert not np.isfinite(traj.x[-1, 1]).all() and np.isfinite(traj.x[:, 0]).all()
    np.testing.assert_array_equal(traj.diverged, [False, True])


def test_first_divergence_over_a_record_of_several_chunks():
    """A record of 38 MB is read in several chunks; each run's first step is found in whichever chunk holds it."""
    n, d = 1200, 1000
    xs = np.zeros((n, 4, d))  # run 0 stays at the reference
    xs[0, 1, 0] = np.nan  # run 1 starts non-finite (step 0) and is non-finite again at step 1000
    xs[1000:, 1] = np.inf
    xs[:, 2] = 1.0  # run 2: limit 1e6 (1 + sqrt(1000)), passed at step 900 by a distance of 1e8 sqrt(1000)
    xs[900:, 2] = 1e8
    xs[1100, 3, 7] = -np.inf  # run 3: one non-finite entry, late
    np.testing.assert_array_equal(nagcore.first_divergence(xs, np.zeros(d)), [-1, 0, 900, 1100])


def test_divergence_is_measured_from_a_reference_far_from_the_origin():
    p = problems.quadratic([1.0, 2.0], x_star=[1e8, -1e8], x0=[1e8 + 1.0, -1e8])  # |x| is 1e8 times the limit's scale
    traj = nagcore.run(nagcore.nesterov(0.5, 0.5), p, p.x0, 20)
    assert traj.diverged is False and nagcore.first_divergence(traj.x, p.x_star) == -1
    gone = nagcore.run(nagcore.gradient_descent(3.0), p, p.x0, 40)  # |x - x*| = 2^k from 1: past 2e6 at k = 21
    assert gone.diverged is True and nagcore.first_divergence(gone.x, p.x_star) == 21


@pytest.mark.parametrize("blowup", [1.5, 1e6])
def test_a_step_one_ulp_beyond_the_limit_is_flagged_and_one_at_it_is_not(blowup):
    """From the reference the limit is blowup itself; the rule is a strict distance > limit."""
    for target, beyond in ((blowup, False), (np.nextafter(blowup, np.inf), True), (np.nextafter(blowup, 0.0), False)):
        jump = nagcore.run(nagcore.gradient_descent(1.0), lambda x: np.full_like(x, -target), [0.0], 1, blowup=blowup)
        assert jump.x[1, 0] == target and jump.diverged is beyond


def test_the_fast_check_agrees_with_the_exact_rule_in_the_last_bits_of_the_limit():
    """1000 parameters, distances within 40 ulps of the limit, where a sum in another order flips the verdict."""
    d, eps = 1000, np.finfo(float).eps
    rng = np.random.default_rng(0)
    direction = rng.standard_normal((400, d)) * rng.uniform(0.0, 2.0, d)  # unequal terms: rounding differs by order
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    points = direction * (2.0 * (1.0 + rng.integers(-40, 41, 400) * eps))[:, None]
    traj = nagcore.run(nagcore.gradient_descent(1.0), lambda x: -points, np.zeros((400, d)), 1, blowup=2.0)
    np.testing.assert_array_equal(traj.x[1], points)
    exact = nagcore.first_divergence(traj.x, np.zeros(d), blowup=2.0) >= 0
    np.testing.assert_array_equal(traj.diverged, exact)
    # the grid is a real test: a plain dot product would misjudge some of these runs
    plain = np.einsum("ij,ij->i", points, points) > 4.0
    assert exact.any() and not exact.all() and np.any(plain != exact)


def test_first_divergence_uses_the_default_blowup_of_run():
    p = problems.quadratic([1.0])
    # |x_k| = 2^k from 1; run's default limit 1e6 * 2 is first passed at k = 21 (2^21 > 2e6 > 2^20)
    traj = nagcore.run(nagcore.gradient_descent(3.0), p, [1.0], 25)
    assert nagcore.first_divergence(traj.x, p.x_star) == 21 and traj.diverged is True
    assert nagcore.run(nagcore.gradient_descent(3.0), p, [1.0], 20).diverged is False


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((np.ones((3, 2)).astype(str), np.zeros(2)), {}, r"^xs must be an array of iterates of shape \(steps \+ 1, \.\.\., d\), got"),
        ((np.ones(3), np.zeros(3)), {}, r"^xs must have shape \(steps \+ 1, \.\.\., d\) with at least one step, got shape \(3,\)"),
        ((np.ones((0, 2)), np.zeros(2)), {}, r"^xs must have shape .* got shape \(0, 2\)"),
        ((np.ones((3, 2)), ["a", "b"]), {}, r"^reference must be a real number or an array of real numbers"),
        ((np.ones((3, 2)), np.zeros(2)), {"blowup": 0.0}, r"^blowup must be finite and > 0"),
        ((np.ones((3, 2)), np.zeros(2)), {"blowup": "2"}, r"^blowup must be finite and > 0"),
    ],
)
def test_first_divergence_validates_its_inputs(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        nagcore.first_divergence(*args, **kwargs)


def test_steps_to_tolerance_edge_cases():
    assert nagcore.steps_to_tolerance([1.0, 0.2, 0.2], 0.2) == 1  # at the tolerance counts as reached
    # a run that is never above the tolerance is done at step 0, whatever the other runs do
    np.testing.assert_array_equal(nagcore.steps_to_tolerance(np.array([[0.1, 1.0], [0.05, 0.1]]), 0.2), [0.0, 1.0])
    assert nagcore.steps_to_tolerance([3, 2, 1, 0], 1) == 2  # integer errors
    for bad, message in ((["a", "b"], r"^errors must be an array of real numbers \(NaN allowed\), got"), (0.5, r"^errors must have a leading step axis")):
        with pytest.raises(ValueError, match=message):
            nagcore.steps_to_tolerance(bad, 0.1)
    with pytest.raises(ValueError, match=r"^tol must be finite and > 0"):
        nagcore.steps_to_tolerance([1.0], -1)


def test_default_blowup_is_a_million_times_the_starting_distance():
    # from the reference itself (distance 0) the limit is exactly 1e6: 1e6 + 0.5 is past it
    jump = nagcore.run(nagcore.gradient_descent(1.0), lambda x: np.full_like(x, -1e6 - 0.5), [0.0], 1)
    assert jump.diverged is True and nagcore.first_divergence(jump.x, [0.0]) == 1
    stay = nagcore.run(nagcore.gradient_descent(1.0), lambda x: np.full_like(x, -1e6), [0.0], 1)
    assert stay.diverged is False and nagcore.first_divergence(stay.x, [0.0]) == -1
