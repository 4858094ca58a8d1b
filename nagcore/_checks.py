"""Validation at the package boundary: every message names the argument and its allowed range.

Numbers must be real: ints and floats (Python or numpy) and arrays of them. Strings, bools,
complex numbers, datetimes and other objects are refused, even where numpy would convert them
(``np.asarray("0.1", dtype=float)`` is 0.1, ``True`` is 1.0). Every array these checks return is a
float64 copy that nothing else holds, marked read-only, so that what a factory captured cannot be
changed afterwards by changing the argument it was given.
"""

from __future__ import annotations

import numbers

import numpy as np

_REAL_KINDS = "iuf"  # signed and unsigned integers, floats


def real_array(name: str, value, what: str = "a real number or an array of real numbers") -> np.ndarray:
    """Return ``value`` as a read-only float64 copy after checking it holds real numbers only."""
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"{name} must be {what}, got {_show(value)}")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested sequences and the like
        raise ValueError(f"{name} must be {what}, got {_show(value)}") from None
    if raw.dtype.kind not in _REAL_KINDS and not (raw.dtype.kind == "O" and all(_is_real(v) for v in raw.flat)):
        raise ValueError(f"{name} must be {what}, got {_show(value)} of type {raw.dtype}")
    try:  # object arrays of Fractions, huge Python ints: convert, or say why not
        arr = np.array(raw, dtype=np.float64, copy=True)
    except (OverflowError, TypeError, ValueError):
        raise ValueError(f"{name} must be {what} that fits a float64, got {_show(value)}") from None
    arr.flags.writeable = False
    return arr


def positive(name: str, value) -> np.ndarray:
    """Return ``value`` as a read-only float64 array after checking it is real, finite and > 0."""
    arr = real_array(name, value, "finite and > 0 (a real number or an array of them)")
    if not np.all(np.isfinite(arr)) or not np.all(arr > 0):
        raise ValueError(f"{name} must be finite and > 0, got {_show(value)}")
    return arr


def unit_interval(name: str, value) -> np.ndarray:
    """Return ``value`` as a read-only float64 array after checking it is real and lies in [0, 1)."""
    arr = real_array(name, value, "in [0, 1) (a real number or an array of them)")
    if not np.all(np.isfinite(arr)) or not np.all((arr >= 0) & (arr < 1)):
        raise ValueError(f"{name} must be in [0, 1), got {_show(value)}")
    return arr


def finite(name: str, value) -> float:
    """Return ``value`` as a Python float after checking it is a finite real number."""
    arr = real_array(name, value, "a finite real number")
    if arr.ndim != 0 or not np.isfinite(arr):
        raise ValueError(f"{name} must be a finite real number, got {_show(value)}")
    return float(arr)


def finite_vector(name: str, value) -> np.ndarray:
    """Return ``value`` as a read-only float64 array with at least one axis and only finite entries."""
    arr = real_array(name, value, "an array of real numbers")
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must have a last axis of length >= 1 (the parameter vector), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {_show(value)}")
    return arr


def count(name: str, value, minimum: int = 0) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def frozen(arr: np.ndarray) -> np.ndarray:
    """Mark an array that the package owns read-only and return it."""
    arr.flags.writeable = False
    return arr


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _show(value) -> str:
    try:
        text = np.array2string(np.asarray(value), threshold=6) if np.ndim(value) else repr(value)
    except Exception:  # noqa: BLE001 - any object must be describable in an error message
        text = f"a {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."
