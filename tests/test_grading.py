"""nagcore.grading: the assignments' "write it yourself" check, against every way around it we know.

Each cheat below computes a correct Nesterov step by delegating to nagcore in a different way; the
check must fail each of them and pass the honest step. ``plain`` must strip every submitted class.
"""

import importlib
import importlib.util
import inspect
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest

import nagcore
import nagcore.optimizers as optimizers
from nagcore.grading import call_without_nagcore, plain

ARGS = (np.array([1.0]), np.array([0.5]), lambda x: x, 0.1, 0.5)
EXPECTED = ([0.675], [0.325])  # theta and velocity after one step (by hand: 0.25 + 0.1 * 0.75)


def honest(theta, velocity, grad, lr, momentum):
    velocity = momentum * velocity + lr * grad(theta - momentum * velocity)
    return theta - velocity, velocity


def delegate(theta, velocity, grad, lr, momentum, make=None):
    make = make or nagcore.nesterov
    theta, state = make(lr, momentum).step(grad, theta, optimizers.VelocityState(velocity))
    return theta, state.velocity


def by_name(*args):
    return delegate(*args)


def by_default_argument(theta, velocity, grad, lr, momentum, _make=nagcore.nesterov):
    return delegate(theta, velocity, grad, lr, momentum, _make)


def _closure():
    make = optimizers.nesterov
    return lambda *args: delegate(*args, make)


by_closure = _closure()
ALIAS = nagcore.nesterov


def by_alias(*args):
    return delegate(*args, ALIAS)


def by_importlib(*args):
    return delegate(*args, importlib.import_module("nagcore.optimizers").nesterov)


def by_fresh_copy(*args):
    spec = importlib.util.spec_from_file_location("copy_of_optimizers", optimizers.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return delegate(*args, module.nesterov)


_COPY = {}
exec(compile(inspect.getsource(optimizers), "<my own code>", "exec"), _COPY)


def by_source_copy(*args):
    return delegate(*args, _COPY["nesterov"])


PREBUILT = nagcore.nesterov(0.1, 0.5)


def by_prebuilt_optimizer(theta, velocity, grad, lr, momentum):
    theta, state = PREBUILT.step(grad, theta, optimizers.VelocityState(velocity))
    return theta, state.velocity


def in_a_thread(*args):
    out = []
    worker = threading.Thread(target=lambda: out.append(delegate(*args)))
    worker.start()
    worker.join()
    return out[0]


def after_removing_the_profiler(*args):
    for attempt in (lambda: sys.setprofile(None),
                    lambda: setattr(sys.getprofile(), "__code__", (lambda *a: None).__code__),
                    lambda: setattr(sys.getprofile(), "__defaults__", None)):
        try:
            attempt()
        except Exception:
            pass
    return delegate(*args)


def in_a_subprocess(*args):
    code = "import nagcore, numpy as np; print(1 - 0.1 * 0.75 - 0.25)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    return np.array([float(out)]), np.array([0.325])


def through_a_socket(*args):
    socket.create_connection(("127.0.0.1", 9), timeout=1)
    return honest(*args)


class Lazy:
    """Looks like an answer; computes it with nagcore only when converted."""

    def __array__(self, dtype=None, copy=None):
        return np.asarray(delegate(*ARGS)[0])


def returns_a_lazy_object(*args):
    return Lazy(), honest(*args)[1]


CHEATS = [by_name, by_default_argument, by_closure, by_alias, by_importlib, by_fresh_copy,
          by_source_copy, by_prebuilt_optimizer, in_a_thread, after_removing_the_profiler,
          in_a_subprocess, through_a_socket, returns_a_lazy_object]


def test_every_cheat_computes_the_right_step_outside_the_check():
    for cheat in CHEATS[:-3] + [honest]:
        theta, velocity = cheat(*ARGS)
        np.testing.assert_allclose(theta, EXPECTED[0], rtol=1e-12)
        np.testing.assert_allclose(velocity, EXPECTED[1], rtol=1e-12)


def test_an_honest_step_passes_and_comes_back_as_plain_arrays():
    theta, velocity = call_without_nagcore(honest, *ARGS)
    np.testing.assert_allclose(theta, EXPECTED[0], rtol=1e-12)
    np.testing.assert_allclose(velocity, EXPECTED[1], rtol=1e-12)
    assert type(theta) is np.ndarray and type(velocity) is np.ndarray


@pytest.mark.parametrize("cheat", CHEATS, ids=lambda f: f.__name__)
def test_every_way_of_delegating_to_nagcore_fails(cheat):
    with pytest.raises(AssertionError, match="called nagcore|raised|not plain data"):
        call_without_nagcore(cheat, *ARGS)


def test_the_message_names_the_nagcore_function_reached():
    with pytest.raises(AssertionError, match=r"by_default_argument called nagcore \(nesterov in optimizers.py\)"):
        call_without_nagcore(by_default_argument, *ARGS)


def test_a_function_that_never_returns_or_raises_fails_with_its_reason():
    def forever(*args):
        while True:
            pass

    def wrong(*args):
        raise ValueError("shapes do not match")

    with pytest.raises(AssertionError, match="did not return within 1 s"):
        call_without_nagcore(forever, timeout=1)
    with pytest.raises(AssertionError, match="raised ValueError: shapes do not match"):
        call_without_nagcore(wrong, *ARGS)


def test_the_check_leaves_the_calling_process_as_it_was():
    before = (sys.getprofile(), threading.active_count(), nagcore.nesterov)
    with pytest.raises(AssertionError):
        call_without_nagcore(by_name, *ARGS)
    assert (sys.getprofile(), threading.active_count(), nagcore.nesterov) == before
    assert len(nagcore.nesterov(0.1, 0.5).step(lambda x: x, *ARGS[:1], optimizers.VelocityState(ARGS[1]))) == 2


class AlwaysClose(float):
    """A float whose comparisons always succeed."""

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class AgreeableArray(np.ndarray):
    """An array that answers True to every ufunc, so np.isclose and comparisons always pass."""

    def __array_ufunc__(self, *args, **kwargs):
        return True


def test_plain_strips_submitted_classes_and_keeps_the_data():
    value = AlwaysClose(5.0)
    assert value < 1 and type(plain(value)) is float and not plain(value) < 1
    array = np.arange(3.0).view(AgreeableArray)
    assert np.isclose(array, 99.0)
    assert type(plain(array)) is np.ndarray and not np.isclose(plain(array), 99.0).any()
    state = optimizers.VelocityState(np.array([0.5]))
    assert plain((np.float64(0.5), np.int64(3), state, [True], {"a": 1})) == (0.5, 3, (np.array([0.5]),), [True], {"a": 1})
    with pytest.raises(TypeError, match="Lazy is not a number"):
        plain(Lazy())
