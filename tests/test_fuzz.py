"""Property-based tests of run() and the factories: random shapes, dtypes, batch shapes and settings.

Deterministic (``derandomize``) so that the suite is reproducible, and small enough to take a few
seconds. Each property is an invariant that must hold for every input, not an expected output.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nagcore
from nagcore import problems

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])

FACTORIES = {
    "gradient_descent": lambda lr, m: nagcore.gradient_descent(lr),
    "momentum": nagcore.momentum,
    "nesterov": nagcore.nesterov,
}
REAL_DTYPES = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int32, np.uint8])


@st.composite
def setups(draw):
    d = draw(st.integers(1, 6))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    lam = draw(hnp.arrays(np.float64, d, elements=st.floats(0.05, 4.0)))
    problem = problems.quadratic(lam, rotation=None if d != 2 else draw(st.floats(-3.0, 3.0)))
    lr_shape = draw(st.sampled_from([(), batch[-1:] if batch else (), batch]))
    lr = draw(hnp.arrays(np.float64, lr_shape, elements=st.floats(1e-3, 3.0)))
    momentum = draw(st.floats(0.0, 0.99))
    dtype = draw(REAL_DTYPES)
    kind = np.dtype(dtype).kind
    elements = st.integers(0 if kind == "u" else -3, 3) if kind in "iu" else st.floats(-3, 3, width=16)
    x0 = draw(hnp.arrays(dtype, batch + (d,), elements=elements))
    method = draw(st.sampled_from(sorted(FACTORIES)))
    steps = draw(st.integers(0, 30))
    every = draw(st.integers(1, 8))
    plain = draw(st.booleans())  # a bare gradient function instead of the Problem
    return problem, (method, lr, momentum), x0, steps, every, plain


@FUZZ
@given(setups())
def test_run_invariants(setup):
    problem, (method, lr, momentum), x0, steps, every, plain = setup
    opt = FACTORIES[method](lr, momentum)
    objective = problem.grad if plain else problem
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning leaks, whatever diverges
        full = nagcore.run(opt, objective, x0, steps, blowup=50.0)
        thin = nagcore.run(opt, objective, x0, steps, blowup=50.0, every=every)
    batch = np.broadcast_shapes(x0.shape[:-1], opt.batch_shape)
    d = x0.shape[-1]
    # shapes and bookkeeping
    assert full.x.shape == (steps + 1,) + batch + (d,) and full.x.dtype == np.float64
    np.testing.assert_array_equal(full.steps, np.arange(steps + 1))
    assert thin.steps[0] == 0 and thin.steps[-1] == steps and np.all(np.diff(thin.steps) > 0)
    assert np.all(thin.steps[:-1] % every == 0) and (thin.steps.size == 1 or thin.steps[-2] > steps - every - 1)
    np.testing.assert_array_equal(full.x[0], np.broadcast_to(x0.astype(np.float64), batch + (d,)))
    # thinning keeps exactly the recorded iterates; divergence is judged on every step either way
    np.testing.assert_array_equal(thin.x, full.x[thin.steps])
    np.testing.assert_array_equal(np.asarray(thin.diverged), np.asarray(full.diverged))
    assert np.shape(full.diverged) == batch and (batch or isinstance(full.diverged, bool))
    first = nagcore.first_divergence(full.x, problem.x_star if not plain else np.zeros(d), blowup=50.0)
    np.testing.assert_array_equal(first >= 0, full.diverged)
    if plain:
        assert full.f is None
    else:
        assert full.f.shape == (steps + 1,) + batch
        np.testing.assert_array_equal(full.f, problem.f(full.x))
    # one run of the batch, alone, gives the same bits
    if batch:
        index = tuple(s - 1 for s in batch)
        single = FACTORIES[method](np.broadcast_to(lr, batch)[index], momentum)
        alone = nagcore.run(single, objective, np.broadcast_to(x0, batch + (d,))[index], steps, blowup=50.0)
        np.testing.assert_array_equal(full.x[(slice(None),) + index], alone.x)


NOT_REAL = st.one_of(
    st.text(max_size=3),
    st.booleans(),
    st.complex_numbers(allow_nan=False, min_magnitude=1e-3).filter(lambda z: z.imag != 0),
    st.datetimes(),
    st.none(),
    st.lists(st.text(min_size=1, max_size=2), min_size=1, max_size=3),
)


@FUZZ
@given(value=NOT_REAL, method=st.sampled_from(sorted(FACTORIES)), which=st.sampled_from(["lr", "momentum"]))
def test_factories_refuse_anything_that_is_not_a_real_number(value, method, which):
    args = {"lr": 0.1, "m": 0.5}
    args["lr" if which == "lr" else "m"] = value
    if method == "gradient_descent" and which == "momentum":
        return  # gradient descent has no momentum
    with pytest.raises(ValueError, match=rf"^{which} must be"):
        FACTORIES[method](args["lr"], args["m"])


@FUZZ
@given(value=NOT_REAL, argument=st.sampled_from(["x0", "steps", "every", "blowup"]))
def test_run_refuses_arguments_of_the_wrong_kind(value, argument):
    p = problems.quadratic([1.0, 2.0])
    args = {"x0": p.x0, "steps": 3, "every": 1, "blowup": 10.0, argument: value}
    with pytest.raises(ValueError, match=rf"^{argument}\b"):
        nagcore.run(nagcore.nesterov(0.1), p, args["x0"], args["steps"], every=args["every"], blowup=args["blowup"])


@FUZZ
@given(
    lam=hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(0.0, 1e6)),
    x_star=st.floats(-1e6, 1e6),
    n=st.integers(1, 12),
    d=st.integers(1, 4),
)
def test_factories_build_consistent_read_only_problems(lam, x_star, n, d):
    if not np.any(lam > 0):
        with pytest.raises(ValueError, match="^eigenvalues"):
            problems.quadratic(lam)
        return
    p = problems.quadratic(lam, x_star=np.full(lam.size, x_star))
    assert p.L == lam.max() and p.mu == lam.min() and p.dim == lam.size
    assert p.f(p.x_star) == 0.0 and np.all(p.grad(p.x_star) == 0.0)
    X, y, _ = problems.make_regression(n, d, rng=np.random.default_rng(n))
    ls = problems.least_squares(X, y)
    for q in (p, ls):
        assert not (q.x0.flags.writeable or q.x_star.flags.writeable or q.bounds.flags.writeable)
        assert q.f(np.tile(q.x0, (2, 3, 1))).shape == (2, 3) and q.grad(q.x0).shape == (q.dim,)
