"""Validation at the package boundary: every message names the argument and its allowed range."""

from __future__ import annotations

import numbers

import numpy as np


def positive(name: str, value) -> np.ndarray:
    """Return ``value`` as a float64 array after checking it is finite and > 0."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or not np.all(arr > 0):
        raise ValueError(f"{name} must be finite and > 0, got {_show(value)}")
    return arr


def unit_interval(name: str, value) -> np.ndarray:
    """Return ``value`` as a float64 array after checking it lies in [0, 1)."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or not np.all((arr >= 0) & (arr < 1)):
        raise ValueError(f"{name} must be in [0, 1), got {_show(value)}")
    return arr


def finite_vector(name: str, value) -> np.ndarray:
    """Return ``value`` as a float64 array with at least one axis and only finite entries."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of real numbers, got {_show(value)}") from None
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must have a last axis of length >= 1 (the parameter vector), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {_show(value)}")
    return arr


def count(name: str, value, minimum: int = 0) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _show(value) -> str:
    text = np.array2string(np.asarray(value), threshold=6) if np.ndim(value) else repr(value)
    return text if len(text) < 80 else text[:77] + "..."
