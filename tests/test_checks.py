"""The boundary checks: what counts as a real number, and what the error messages show."""

import datetime
import re
from fractions import Fraction

import numpy as np
import pytest

import nagcore
from nagcore import _checks, problems


def test_fractions_numpy_scalars_and_small_float_types_are_real_numbers():
    for lr in (Fraction(1, 10), np.float16(0.1), np.int8(1), np.uint64(2), [Fraction(1, 4), 0.5]):
        opt = nagcore.gradient_descent(lr)
        assert opt.hyperparams["lr"].dtype == np.float64
    np.testing.assert_array_equal(nagcore.gradient_descent([Fraction(1, 4), 0.5]).hyperparams["lr"], [0.25, 0.5])


@pytest.mark.parametrize(
    "value, shown",
    [
        ("0.1", r"got '0\.1'$"),
        (True, r"got True$"),
        ([0.1, datetime.date(2024, 1, 1)], r"got \[0\.1 datetime\.date\(2024, 1, 1\)\] of type object$"),
        ([0.5, "a"], r"got \['0\.5' 'a'\] of type <U32$"),
        (np.array([1 + 1j]), r"got \[1\.\+1\.j\] of type complex128$"),
        (1j, r"got 1j of type complex128$"),  # a single value as it was written
        ([[1.0, 2.0], [3.0]], r"got a list$"),  # ragged: numpy cannot even make an array of it
        ([10**400], r"that fits a float64, got \[1000000000000000000000000000000000000000000000000000000000000000000000000000\.\.\.$"),
    ],
)
def test_messages_name_the_argument_and_show_the_value(value, shown):
    with pytest.raises(ValueError, match=r"^lr must be finite and > 0 \(a real number or an array of them\)") as info:
        nagcore.gradient_descent(value)
    assert re.search(shown, str(info.value)), str(info.value)


def test_long_values_are_shortened_in_messages():
    with pytest.raises(ValueError) as info:
        nagcore.gradient_descent(np.r_[np.ones(100), -1.0])
    text = str(info.value)
    assert text.startswith("lr must be finite and > 0, got [ 1.  1.  1. ... ")
    assert len(text) < 120 and "-1." in text
    assert _checks._show(np.arange(10.0)) == "[0. 1. 2. ... 7. 8. 9.]"
    assert _checks._show("x" * 100) == "'" + "x" * 76 + "..."
    # up to six numbers are shown in full, more as the first three and the last three
    for n in range(1, 13):
        shown = _checks._show(np.arange(1.0, n + 1))
        numbers = [int(t) for t in re.findall(r"(\d+)\.", shown)]
        assert numbers == (list(range(1, n + 1)) if n <= 6 else [1, 2, 3, n - 2, n - 1, n]), shown
        assert ("..." in shown) == (n > 6), shown
    # a text of up to 80 characters is shown whole; a longer one is cut to 80, ending in "..."
    assert _checks._show("x" * 78) == repr("x" * 78)
    assert _checks._show("x" * 79) == repr("x" * 79)[:77] + "..."


def test_read_only_copies():
    lr = np.array([0.1, 0.2])
    checked = _checks.positive("lr", lr)
    assert checked is not lr and not np.shares_memory(checked, lr) and not checked.flags.writeable
    x0 = _checks.finite_vector("x0", [1, 2])
    assert x0.dtype == np.float64 and not x0.flags.writeable
    assert _checks.finite("a", np.float32(2.5)) == 2.5 and isinstance(_checks.finite("a", 2), float)
    for bad in ([1.0, 2.0], np.inf, "1"):
        with pytest.raises(ValueError, match=r"^a must be a finite real number"):
            _checks.finite("a", bad)


def test_counts_accept_numpy_integers_only():
    assert _checks.count("steps", np.int32(3)) == 3 and _checks.count("dim", 2, minimum=2) == 2
    for bad in (np.bool_(True), True, 2.0, -1, "3"):
        with pytest.raises(ValueError, match=r"^steps must be an integer >= 0, got"):
            _checks.count("steps", bad)
    with pytest.raises(ValueError, match=r"^dim must be an integer >= 2, got 1"):
        _checks.count("dim", 1, minimum=2)


def test_start_points_given_as_a_row_are_flattened():
    p = problems.quadratic([1.0, 2.0], x0=[[3.0, 4.0]], x_star=[[1.0, 1.0]])
    assert p.x0.shape == (2,) and p.x_star.shape == (2,)


def test_a_finite_real_number_message():
    with pytest.raises(ValueError, match=r"^tilt must be a finite real number, got '0\.2'$"):
        problems.double_well(tilt="0.2")
    with pytest.raises(ValueError, match=r"^a must be a finite real number, got inf$"):
        problems.rosenbrock(a=float("inf"))
    with pytest.raises(ValueError, match=r"^a must be a finite real number, got \[1\. 2\.\]$"):
        problems.rosenbrock(a=[1.0, 2.0])


def test_range_and_finiteness_messages_show_the_value():
    with pytest.raises(ValueError, match=r"^momentum must be in \[0, 1\), got 1\.5$"):
        nagcore.momentum(0.1, 1.5)
    with pytest.raises(ValueError, match=r"^x0 must be finite \(no NaN or inf\), got \[nan  1\.\]$"):
        nagcore.run(nagcore.gradient_descent(0.1), lambda x: x, [np.nan, 1.0], 3)
