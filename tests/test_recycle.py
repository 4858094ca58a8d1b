"""Buffer reuse in run(): any optimizer written to the pure contract gives the same bits with or without it."""

import sys
from typing import NamedTuple

import numpy as np
import pytest

import nagcore
from nagcore import _recycle, problems

from conftest import OPTIMIZERS, PROBLEMS


@pytest.fixture
def pool_always(monkeypatch):
    """Use the pool for every run, however small, and count the buffers it hands out again."""
    reused = []
    take = _recycle.Pool.take

    def counting(self):
        buffer = take(self)
        reused.append(buffer is not None)
        return buffer

    monkeypatch.setattr(_recycle, "MIN_BYTES", 0)
    monkeypatch.setattr(_recycle.Pool, "take", counting)
    return reused


def _runs(opt, objective, x0, steps, monkeypatch):
    pooled = nagcore.run(opt, objective, x0, steps)
    with monkeypatch.context() as m:
        m.setattr(_recycle, "MIN_BYTES", np.inf)
        plain = nagcore.run(opt, objective, x0, steps)
    return pooled, plain


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("problem_name", sorted(PROBLEMS))
def test_every_optimizer_and_problem_give_the_same_bits_with_the_pool(problem_name, opt_name, pool_always, monkeypatch):
    p = PROBLEMS[problem_name]()
    opt = OPTIMIZERS[opt_name](np.array([0.2, 1.0]) / p.L, 0.8)
    pooled, plain = _runs(opt, p, np.stack([p.x0, p.x0]), 40, monkeypatch)
    np.testing.assert_array_equal(pooled.x, plain.x)
    np.testing.assert_array_equal(pooled.f, plain.f)
    assert any(pool_always), "the pool never reused a buffer: the test would not see a wrong reuse"


class Kept(NamedTuple):
    velocity: np.ndarray
    previous_x: np.ndarray
    previous_grad: np.ndarray
    history: tuple  # (view, copy) of the last three iterates: a view that was overwritten shows


def _hoarder(lr, gamma, view):
    """Keeps its input, its gradient and views of earlier iterates (of the pool's type, or plain ndarrays)."""

    def init(x):
        zero = np.zeros_like(x)
        return Kept(zero, x, zero, ((view(x), view(x).copy()),) * 3)

    def step(grad, x, state):
        g = grad(x)
        velocity = gamma * state.velocity + lr * (g + state.previous_grad) / 2  # uses last step's gradient
        moved = x - velocity
        damage = sum(np.sum(np.abs(v - c)) for v, c in state.history)  # zero unless memory under a kept view was reused
        x_next = moved + damage
        history = state.history[1:] + ((view(x_next), view(x_next).copy()),)
        return x_next, Kept(velocity, x, g, history)

    return nagcore.Optimizer(init, step, {"lr": np.asarray(lr)})


def _aliaser(lr):
    """Returns its input unchanged every other step and keeps no state of its own."""

    def step(grad, x, state):
        if state[0] % 2:
            return x, (state[0] + 1,)
        return x - lr * grad(x), (state[0] + 1,)

    return nagcore.Optimizer(lambda x: (0,), step, {"lr": np.asarray(lr)})


@pytest.mark.parametrize(
    "make",
    [lambda: _hoarder(0.1, 0.7, lambda x: x[..., 1:]), lambda: _hoarder(0.1, 0.7, lambda x: np.asarray(x)[..., 1:]), lambda: _aliaser(0.2)],
    ids=["hoarder", "hoarder-of-plain-views", "aliaser"],
)
def test_optimizers_that_keep_their_inputs_get_the_same_bits(make, pool_always, monkeypatch):
    p = problems.quadratic(condition_number=10, dim=6, rotation=np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))[0])
    pooled, plain = _runs(make(), p, p.x0, 30, monkeypatch)
    np.testing.assert_array_equal(pooled.x, plain.x)
    assert any(pool_always)


def test_a_gradient_oracle_that_keeps_its_inputs_sees_them_unchanged(pool_always):
    seen = []
    p = problems.quadratic([1.0, 3.0])

    def spy(x):
        seen.append(x)  # no copy: the pool must not reuse these buffers
        return p.grad(x)

    traj = nagcore.run(nagcore.momentum(0.1, 0.9), spy, np.tile(p.x0, (4, 1)), 12)
    np.testing.assert_array_equal(np.array(seen), traj.x[:-1])
    assert any(pool_always)


def test_pool_is_used_only_for_large_float_arrays():
    assert _recycle.pool_for(np.zeros(10)) is None
    assert _recycle.pool_for(np.zeros(_recycle.MIN_BYTES // 8)) is not None
    assert _recycle.pool_for(np.zeros(_recycle.MIN_BYTES // 4, dtype=np.float32)) is None


@pytest.mark.parametrize("gil", [True, False])
def test_no_pool_where_threads_run_without_the_gil(gil, monkeypatch):
    """Reference counts are not a safe test of "nothing else holds this buffer" in a free-threaded Python."""
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: gil, raising=False)
    assert (_recycle.pool_for(np.zeros(_recycle.MIN_BYTES // 8)) is not None) == gil


def test_a_large_run_reuses_buffers_and_matches_the_plain_run(monkeypatch):
    n = _recycle.MIN_BYTES // 8  # 4 MiB of parameters
    x0 = np.linspace(-1.0, 1.0, n)
    lam = np.linspace(0.1, 1.0, n)
    taken = []
    take = _recycle.Pool.take
    monkeypatch.setattr(_recycle.Pool, "take", lambda self: taken.append(take(self)) or taken[-1])
    pooled = nagcore.run(nagcore.nesterov(0.5, 0.9), lambda x: lam * x, x0, 6, every=3)
    assert sum(t is not None for t in taken) > 10
    monkeypatch.setattr(_recycle, "MIN_BYTES", np.inf)
    np.testing.assert_array_equal(pooled.x, nagcore.run(nagcore.nesterov(0.5, 0.9), lambda x: lam * x, x0, 6, every=3).x)


def test_pool_keeps_at_most_its_capacity_and_then_allocates_as_usual():
    pool = _recycle.Pool((3,))
    x = pool.wrap(np.ones(3))
    kept = [x * float(i) for i in range(_recycle.CAPACITY + 5)]  # all alive at once
    assert len(pool.buffers) == _recycle.CAPACITY
    assert sum(type(k) is _recycle.Recycled for k in kept) == _recycle.CAPACITY
    assert all(type(k) is np.ndarray for k in kept[_recycle.CAPACITY :])
    np.testing.assert_array_equal(np.array(kept), np.arange(len(kept))[:, None] * np.ones(3))
    del kept
    again = x * 7.0
    assert any(again is b for b in pool.buffers)  # a dead buffer is handed out again


def test_views_and_like_copies_share_the_pool():
    pool = _recycle.Pool((2, 3))
    x = pool.wrap(np.arange(6.0).reshape(2, 3))
    for derived in (x[...], np.zeros_like(x), x.reshape(2, 3)):
        out = derived + 1.0
        assert any(out is b for b in pool.buffers), type(derived)


@pytest.mark.parametrize(
    "operation, dtype",
    [
        (lambda x: x + np.ones(3, dtype=np.int64), np.float64),  # a float64 operand keeps the pool
        (lambda x: np.ones(3, dtype=np.int64) + np.ones(3, dtype=np.int64), np.int64),
        (lambda x: x.astype(np.float32) * 2, np.float32),
        (lambda x: x * 1j, np.complex128),
        (lambda x: x < 2.0, np.bool_),
        (lambda x: np.add(x, 1.0, dtype=np.float32), np.float32),
    ],
)
def test_operations_the_pool_does_not_serve_keep_their_numpy_result(operation, dtype):
    pool = _recycle.Pool((3,))
    x = pool.wrap(np.arange(3.0))
    out = operation(x)
    assert out.dtype == dtype
    np.testing.assert_array_equal(np.asarray(out), operation(np.arange(3.0)))


def test_ufuncs_with_out_and_reductions_on_pooled_arrays():
    pool = _recycle.Pool((3,))
    x = pool.wrap(np.arange(3.0))
    target = np.empty(3)
    assert np.multiply(x, 2.0, out=target) is target and target.tolist() == [0.0, 2.0, 4.0]
    pooled_target = x + 0.0
    assert np.add(x, x, out=(pooled_target,)) is pooled_target and np.asarray(pooled_target).tolist() == [0.0, 2.0, 4.0]
    assert float(np.sum(x)) == 3.0 and np.add.reduce(x) == 3.0
    assert repr(x) == "array([0., 1., 2.])"
    assert type(x * np.ones(2)[:, None]) is np.ndarray  # another shape: not from the pool


def test_ufuncs_with_two_outputs_on_pooled_arrays():
    """Both results come back: in the caller's arrays where it gave them, in new ones where it gave None."""
    pool = _recycle.Pool((3,))
    x = pool.wrap(np.array([7.0, -5.5, 2.25]))
    quotients, remainders = [3.0, -3.0, 1.0], [1.0, 0.5, 0.25]  # x = 2 q + r with 0 <= r < 2
    q_out, r_out = np.empty(3), x + 0.0
    q, r = np.divmod(x, 2.0, out=(q_out, r_out))
    assert q is q_out and r is r_out
    assert q_out.tolist() == quotients and np.asarray(r_out).tolist() == remainders
    q, r = np.divmod(x, 2.0, out=(None, r_out))
    assert r is r_out and np.asarray(q).tolist() == quotients


def test_a_recycled_array_without_a_pool_computes_as_usual():
    loose = np.arange(3.0).view(_recycle.Recycled)
    assert np.asarray(loose * 2.0).tolist() == [0.0, 2.0, 4.0]
