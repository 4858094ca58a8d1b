"""Every problem's gradient, minimiser and curvature constants, checked independently of its code."""

import numpy as np
import pytest

from nagcore import problems


def central_difference_grad(f, x, h=1e-6):
    g = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def central_difference_hessian(grad, x, h=1e-5):
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        cols.append((grad(x + e) - grad(x - e)) / (2 * h))
    H = np.array(cols)
    return 0.5 * (H + H.T)


def test_gradient_matches_finite_differences(problem):
    rng = np.random.default_rng(0)
    lo, hi = problem.bounds[:, 0], problem.bounds[:, 1]
    for x in rng.uniform(lo, hi, size=(5, problem.dim)):
        fd = central_difference_grad(problem.f, x)
        np.testing.assert_allclose(problem.grad(x), fd, rtol=1e-5, atol=1e-5 * (1 + np.abs(fd).max()))


def test_gradient_vanishes_at_minimiser(problem):
    g = problem.grad(problem.x_star)
    assert np.linalg.norm(g) < 1e-10 * max(1.0, problem.L)


def test_minimiser_is_lowest_point_nearby(problem):
    rng = np.random.default_rng(1)
    nearby = problem.x_star + 1e-3 * rng.standard_normal((50, problem.dim))
    assert np.all(problem.f(nearby) >= problem.f_star - 1e-14)


def test_L_and_mu_are_hessian_extremes_at_minimiser(problem):
    if problem.name == "piecewise quadratic":
        # f'' jumps between 1 and 25; its extremes over the line are mu and L, not the value at 0
        xs = np.linspace(-3, 3, 601)[:, None]
        curvature = np.diff(problem.grad(xs)[:, 0]) / np.diff(xs[:, 0])
        assert curvature.min() == pytest.approx(problem.mu, rel=1e-9)
        assert curvature.max() == pytest.approx(problem.L, rel=1e-9)
        return
    eig = np.linalg.eigvalsh(central_difference_hessian(problem.grad, problem.x_star))
    assert eig[-1] == pytest.approx(problem.L, rel=1e-6)
    assert eig[0] == pytest.approx(problem.mu, rel=1e-5, abs=1e-8)


def test_functions_broadcast_over_leading_axes_exactly(problem):
    rng = np.random.default_rng(2)
    x = rng.uniform(problem.bounds[:, 0], problem.bounds[:, 1], size=(4, 3, problem.dim))
    f, g = problem.f(x), problem.grad(x)
    assert f.shape == (4, 3) and g.shape == (4, 3, problem.dim)
    for i in range(4):
        for j in range(3):
            assert f[i, j] == problem.f(x[i, j])
            np.testing.assert_array_equal(g[i, j], problem.grad(x[i, j]))


def test_start_point_and_window(problem):
    assert problem.x0.shape == problem.x_star.shape == (problem.dim,)
    assert problem.bounds.shape == (problem.dim, 2)
    assert np.all(problem.bounds[:, 0] < problem.bounds[:, 1])
    assert np.all((problem.bounds[:, 0] <= problem.x_star) & (problem.x_star <= problem.bounds[:, 1]))


def test_quadratic_matches_its_definition():
    angle = 0.4
    Q = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    A = Q @ np.diag([1.0, 9.0]) @ Q.T
    c = np.array([0.5, -1.0])
    p = problems.quadratic([1.0, 9.0], rotation=angle, x_star=c)
    x = np.array([2.0, 3.0])
    assert p.f(x) == pytest.approx(0.5 * (x - c) @ A @ (x - c))
    np.testing.assert_allclose(p.grad(x), A @ (x - c))
    assert (p.L, p.mu, p.kappa) == (9.0, 1.0, 9.0)


def test_a_large_quadratic_over_many_points_matches_its_definition():
    """300 parameters at 100 points: the products are formed a block of rows at a time, and every row is right."""
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((300, 300)))
    lam = np.geomspace(1e-2, 1.0, 300)
    c = rng.standard_normal(300)
    p = problems.quadratic(lam, rotation=Q, x_star=c)
    xs = rng.standard_normal((100, 300))
    A = (Q * lam) @ Q.T
    y = xs - c
    np.testing.assert_allclose(p.grad(xs), y @ A.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(p.f(xs), 0.5 * np.einsum("ij,jk,ik->i", y, A, y), rtol=1e-10)


def test_condition_number_sets_L_to_one():
    p = problems.quadratic(condition_number=1000, dim=4)
    assert p.L == pytest.approx(1.0) and p.mu == pytest.approx(1e-3) and p.kappa == pytest.approx(1000)


def test_least_squares_solution_matches_normal_equations():
    X, y, w_true = problems.make_regression(100, 3, noise=0.1, rng=np.random.default_rng(3))
    p = problems.least_squares(X, y)
    np.testing.assert_allclose(p.x_star, np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-10)
    np.testing.assert_allclose(p.x_star, w_true, atol=0.1)


def test_make_regression_is_reproducible_and_needs_a_generator():
    a = problems.make_regression(10, 2, rng=np.random.default_rng(5))
    b = problems.make_regression(10, 2, rng=np.random.default_rng(5))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(ValueError, match="rng"):
        problems.make_regression(10, 2, rng=5)


def test_minibatch_gradients_average_to_full_gradient_over_an_epoch():
    X, y, _ = problems.make_regression(12, 2, rng=np.random.default_rng(4))
    full = problems.least_squares(X, y).grad
    w = np.array([0.3, -0.7])
    for batch in (1, 3, 4, 12):
        oracle = problems.minibatch_gradient(X, y, batch, rng=np.random.default_rng(0))
        grads = [oracle(w) for _ in range(12 // batch)]
        np.testing.assert_allclose(np.mean(grads, axis=0), full(w), rtol=1e-12)
    single = problems.minibatch_gradient(X, y, 1, rng=np.random.default_rng(0))
    per_example = {tuple(np.round(single(w), 12)) for _ in range(12)}
    assert len(per_example) == 12  # each example exactly once per epoch


def test_minibatch_sequence_is_set_by_the_generator():
    X, y, _ = problems.make_regression(20, 2, rng=np.random.default_rng(4))
    w = np.zeros(2)
    one = problems.minibatch_gradient(X, y, 5, rng=np.random.default_rng(9))
    two = problems.minibatch_gradient(X, y, 5, rng=np.random.default_rng(9))
    other = problems.minibatch_gradient(X, y, 5, rng=np.random.default_rng(10))
    a = [one(w) for _ in range(8)]
    np.testing.assert_array_equal(a, [two(w) for _ in range(8)])
    assert not np.array_equal(a, [other(w) for _ in range(8)])


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: problems.quadratic(), "exactly one"),
        (lambda: problems.quadratic([1.0], condition_number=3), "exactly one"),
        (lambda: problems.quadratic([-1.0, 2.0]), "eigenvalues"),
        (lambda: problems.quadratic([0.0, 0.0]), "eigenvalues"),
        (lambda: problems.quadratic([1.0, np.nan]), "eigenvalues"),
        (lambda: problems.quadratic(condition_number=0.5), "condition_number"),
        (lambda: problems.quadratic(condition_number=10, dim=0), "dim"),
        (lambda: problems.quadratic([1.0, 2.0, 3.0], rotation=0.3), "rotation"),
        (lambda: problems.quadratic([1.0, 2.0], rotation=np.ones((2, 2))), "rotation"),
        (lambda: problems.quadratic([1.0, 2.0], x_star=[np.inf, 0.0]), "x_star"),
        (lambda: problems.rosenbrock(b=0), "b"),
        (lambda: problems.double_well(tilt=1.0), "tilt"),
        (lambda: problems.nesterov_worst_case(dim=1), "dim"),
        (lambda: problems.least_squares(np.ones(3), np.ones(3)), "features"),
        (lambda: problems.least_squares(np.ones((3, 2)), np.ones(4)), "targets"),
        (lambda: problems.minibatch_gradient(np.ones((3, 2)), np.ones(3), 4, rng=np.random.default_rng()), "batch_size"),
        (lambda: problems.minibatch_gradient(np.ones((3, 2)), np.ones(3), 0, rng=np.random.default_rng()), "batch_size"),
        (lambda: problems.make_regression(0, 2, rng=np.random.default_rng()), "n_samples"),
        (lambda: problems.make_regression(5, 2, noise=-1, rng=np.random.default_rng()), "noise"),
    ],
)
def test_bad_problem_arguments_raise_value_error_naming_them(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_minibatch_last_smaller_batch_is_averaged_over_its_own_size():
    """n = 10, batch 4: batches of 4, 4 and 2. Dividing the last by 4 would bias the epoch's gradient."""
    X, y, _ = problems.make_regression(10, 3, rng=np.random.default_rng(8))
    full = problems.least_squares(X, y).grad
    w = np.array([0.4, -1.0, 2.0])
    oracle = problems.minibatch_gradient(X, y, 4, rng=np.random.default_rng(1))
    order = np.random.default_rng(1).permutation(10)
    for epoch in range(2):
        grads = [oracle(w) for _ in range(3)]
        if epoch == 1:
            order = None  # the second epoch's order is the generator's next permutation
        # weighted by batch size the three means add up to the full gradient
        np.testing.assert_allclose((4 * grads[0] + 4 * grads[1] + 2 * grads[2]) / 10, full(w), rtol=1e-12, atol=1e-14)
    rows = np.random.default_rng(1).permutation(10)[8:]
    last = problems.minibatch_gradient(X, y, 4, rng=np.random.default_rng(1))
    for _ in range(2):
        last(w)
    expected = X[rows].T @ (X[rows] @ w - y[rows]) / 2  # the mean over the 2 examples left
    np.testing.assert_allclose(last(w), expected, rtol=1e-12)


def test_minibatch_batch_of_n_minus_one_leaves_one_example():
    X, y, _ = problems.make_regression(7, 2, rng=np.random.default_rng(2))
    w = np.array([1.0, -0.5])
    oracle = problems.minibatch_gradient(X, y, 6, rng=np.random.default_rng(4))
    i = np.random.default_rng(4).permutation(7)[-1]
    oracle(w)
    np.testing.assert_allclose(oracle(w), X[i] * (X[i] @ w - y[i]), rtol=1e-12)


# --- inputs: real numbers only, named in the error; captured data copied and frozen ------------

DATE = __import__("datetime").datetime(2024, 1, 1)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: problems.quadratic(["1", "2"]), "eigenvalues"),
        (lambda: problems.quadratic([True, True]), "eigenvalues"),
        (lambda: problems.quadratic([1 + 1j, 2.0]), "eigenvalues"),
        (lambda: problems.quadratic([DATE, DATE]), "eigenvalues"),
        (lambda: problems.quadratic(condition_number="10"), "condition_number"),
        (lambda: problems.quadratic(condition_number=10 + 0j), "condition_number"),
        (lambda: problems.quadratic(condition_number=True), "condition_number"),
        (lambda: problems.quadratic(condition_number=10, dim=2.0), "dim"),
        (lambda: problems.quadratic([1.0, 2.0], rotation="0.3"), "rotation"),
        (lambda: problems.quadratic([1.0, 2.0], rotation=0.3j), "rotation"),
        (lambda: problems.quadratic([1.0, 2.0], rotation=np.nan), "rotation"),
        (lambda: problems.quadratic([1.0, 2.0], rotation=[["a", "b"], ["c", "d"]]), "rotation"),
        (lambda: problems.quadratic([1.0, 2.0], x_star=["1", "2"]), "x_star"),
        (lambda: problems.quadratic([1.0, 2.0], x_star=[1.0, 2.0, 3.0]), "x_star"),
        (lambda: problems.quadratic([1.0, 2.0], x0=[True, False]), "x0"),
        (lambda: problems.quadratic([1.0, 2.0], x0=[1.0]), "x0"),
        (lambda: problems.rosenbrock(a="1"), "a"),
        (lambda: problems.rosenbrock(a=np.inf), "a"),
        (lambda: problems.rosenbrock(b=True), "b"),
        (lambda: problems.rosenbrock(b=100j), "b"),
        (lambda: problems.rosenbrock(a=1e200, b=1e300), "a and b"),
        (lambda: problems.double_well(tilt="0.2"), "tilt"),
        (lambda: problems.double_well(tilt=np.datetime64("2024")), "tilt"),
        (lambda: problems.nesterov_worst_case(dim=2.0), "dim"),
        (lambda: problems.nesterov_worst_case(L="1"), "L"),
        (lambda: problems.least_squares([["1", "2"]], [1.0]), "features"),
        (lambda: problems.least_squares(np.ones((2, 2)) * 1j, np.ones(2)), "features"),
        (lambda: problems.least_squares(np.ones((2, 2)), [True, False]), "targets"),
        (lambda: problems.make_regression(5, 2, noise="0.5", rng=np.random.default_rng()), "noise"),
        (lambda: problems.make_regression(True, 2, rng=np.random.default_rng()), "n_samples"),
        (lambda: problems.minibatch_gradient(np.ones((3, 2)), np.ones(3), True, rng=np.random.default_rng()), "batch_size"),
    ],
)
def test_arguments_that_are_not_real_numbers_raise_value_error_naming_them(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}\b"):
        call()


def test_problem_arrays_are_read_only_and_the_problem_cannot_be_changed(problem):
    x0, x_star = problem.x0.copy(), problem.x_star.copy()
    with pytest.raises(ValueError, match="read-only"):
        problem.x0 -= 1  # would otherwise shift the start point of every later run
    for arr in (problem.x0, problem.x_star, problem.bounds):
        assert not arr.flags.writeable
    np.testing.assert_array_equal(problem.x0, x0)
    np.testing.assert_array_equal(problem.x_star, x_star)


def test_factories_copy_what_they_capture():
    eig, centre, start = np.array([1.0, 4.0]), np.array([1.0, 2.0]), np.array([0.0, 0.0])
    angle = np.array(0.5)
    q = problems.quadratic(eig, rotation=angle, x_star=centre, x0=start)
    X, y, _ = problems.make_regression(20, 2, rng=np.random.default_rng(0))
    ls = problems.least_squares(X, y)
    x = np.array([0.3, -0.2])
    before = (q.f(x), q.grad(x), ls.f(x), ls.grad(x))
    for arr in (eig, centre, start, angle, X, y):
        arr *= 3.0
    after = (q.f(x), q.grad(x), ls.f(x), ls.grad(x))
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(q.x_star, [1.0, 2.0])


def test_problem_functions_do_not_warn_far_from_the_minimum(problem):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        far = np.full((3, problem.dim), 1e300)
        far[1] = np.inf
        far[2] = np.nan
        problem.f(far), problem.grad(far)


def test_factories_do_not_warn_on_extreme_but_valid_input():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        problems.quadratic([1e-300, 1e300], x_star=[1e300, -1e300], x0=[-1e300, 1e300])
        problems.quadratic([1e300, 1.0], rotation=0.3)
        problems.rosenbrock(a=1e100, b=1e100)
        problems.nesterov_worst_case(dim=3, L=1e300)
        problems.least_squares(np.array([[1e200, 0.0], [0.0, 1e-200]]), np.array([1e200, 1.0]))


def test_make_regression_follows_its_model_and_defaults():
    X, y, w = problems.make_regression(rng=np.random.default_rng(3))
    assert X.shape == (200, 2) and y.shape == (200,) and w.shape == (2,)
    # the documented model, redrawn independently from the same generator state
    rng = np.random.default_rng(3)
    w_ref = rng.uniform(-2.0, 2.0, size=2)
    X_ref = rng.standard_normal((200, 2))
    np.testing.assert_array_equal(w, w_ref)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, X_ref @ w_ref + 0.5 * rng.standard_normal(200))
    _, _, wide = problems.make_regression(2, 4000, rng=np.random.default_rng(0))
    assert -2.0 <= wide.min() < -1.99 and 1.99 < wide.max() <= 2.0  # w_true spans [-2, 2]
    Xn, yn, wn = problems.make_regression(30, 3, noise=0, rng=np.random.default_rng(1))  # noiseless is allowed
    np.testing.assert_array_equal(yn, Xn @ wn)


def test_dataset_checks():
    for X, y, message in [
        (np.ones((0, 2)), np.ones(0), r"^features must have shape \(n, d\) with n, d >= 1, got \(0, 2\)"),
        (np.ones((3, 0)), np.ones(3), r"^features must have shape \(n, d\) with n, d >= 1, got \(3, 0\)"),
        (np.ones((3, 2)), np.ones(2), r"^targets must have shape \(3,\) to match features, got \(2,\)"),
        (np.ones((3, 2)), [1.0, np.nan, 1.0], r"^features and targets must be finite \(no NaN or inf\)$"),
        ([[np.inf, 1.0]], [1.0], r"^features and targets must be finite \(no NaN or inf\)$"),
        ([["a", "b"]], [1.0], r"^features must be an \(n, d\) array of real numbers, got"),
        ([[1.0, 2.0]], ["a"], r"^targets must be an \(n,\) array of real numbers, got"),
    ]:
        with pytest.raises(ValueError, match=message):
            problems.least_squares(X, y)
    with pytest.raises(ValueError, match=r"^rng must be a numpy.random.Generator \(e.g. np.random.default_rng\(0\)\), got int$"):
        problems.minibatch_gradient(np.ones((3, 2)), np.ones(3), 1, rng=0)
    with pytest.raises(ValueError, match=r"^n_features must be an integer >= 1, got 0$"):
        problems.make_regression(5, 0, rng=np.random.default_rng())


def test_plotting_window_is_centred_and_holds_the_start_with_a_margin():
    p = problems.quadratic([1.0, 2.0], x_star=[1.0, -1.0], x0=[3.0, -1.5])
    np.testing.assert_allclose(p.bounds, [[1.0 - 2.6, 1.0 + 2.6], [-1.0 - 2.6, -1.0 + 2.6]], rtol=1e-15)
    tiny = problems.quadratic([1.0, 2.0], x_star=[5.0, 5.0], x0=[5.0, 5.0])  # x0 at the minimum
    np.testing.assert_allclose(tiny.bounds, [[5.0 - 1.3e-3, 5.0 + 1.3e-3]] * 2, rtol=1e-15)


@pytest.mark.parametrize(
    "rotation, message",
    [
        (np.eye(3), r"^rotation must be an angle \(2-D\) or a \(2, 2\) orthogonal matrix, got shape \(3, 3\)$"),
        ([[1.0, 1e-6], [0.0, 1.0]], r"^rotation must be an angle \(2-D\) or a \(2, 2\) orthogonal matrix, got shape \(2, 2\)$"),
        ([[1.0, 1e-9], [0.0, 1.0]], r"^rotation must be an angle \(2-D\) or a \(2, 2\) orthogonal matrix, got shape \(2, 2\)$"),
        (np.eye(2) * (1 + 1e-7), r"^rotation must be an angle \(2-D\) or a \(2, 2\) orthogonal matrix, got shape \(2, 2\)$"),  # stretches
        ([[np.nan, 0.0], [0.0, 1.0]], r"^rotation must be an angle \(2-D\) or a \(2, 2\) orthogonal matrix, got shape \(2, 2\)$"),
        ([["a", "b"], ["c", "d"]], r"^rotation must be an angle \(2-D\) or a \(2, 2\) orthogonal matrix, got \[\['a' 'b'\]"),
        ("0.5", r"^rotation must be a finite real number, got '0\.5'$"),
    ],
)
def test_rotation_must_be_orthogonal_to_rounding(rotation, message):
    with pytest.raises(ValueError, match=message):
        problems.quadratic([1.0, 2.0], rotation=rotation)
    q = np.array([[0.6, -0.8], [0.8, 0.6]]) * (1 + 1e-12)  # orthogonal to rounding is accepted
    assert problems.quadratic([1.0, 2.0], rotation=q).L == 2.0
