"""Buffer reuse for :func:`nagcore.run` at scale: pure steps without a fresh allocation per operation.

A pure step such as ``velocity = gamma * v + eta * grad(x); return x - velocity, ...`` creates new
arrays for its results. For arrays of many megabytes each new array costs more than the arithmetic
that fills it: the operating system hands out fresh pages that it must fault in and zero. In-place
numpy avoids that by overwriting its inputs, which a pure step must not do.

:func:`pool_for` gives :func:`~nagcore.run` a :class:`Pool` for parameter arrays of at least
:data:`MIN_BYTES`. ``run`` passes its iterate to the optimizer as a :class:`Recycled` array (an
ndarray subclass); an elementwise float64 arithmetic ufunc applied to it writes its result into a
buffer that an earlier step produced *and that nothing references any more*, instead of a new one.
"Nothing references it" is read off the reference count, the test numpy itself uses to reuse
temporaries: the pool's own reference is the only one, so no variable, state, view or container
anywhere can see the buffer change. An optimizer written to the pure contract therefore gives the
same iterates, to the bit, with or without the pool (``tests/test_run.py`` checks optimizers that
keep their inputs, their gradients and views of them in their state).
"""

from __future__ import annotations

import sys
import weakref

import numpy as np

#: Parameter arrays smaller than this (4 MiB, where fresh allocations start to cost page faults on
#: Linux) run without a pool: numpy's allocator already reuses their memory.
MIN_BYTES = 4 << 20

#: Most buffers a pool keeps (each the size of the parameter array). A step that keeps more arrays
#: alive at once than this allocates the rest as usual.
CAPACITY = 12

# elementwise ufuncs whose result is float64 when every array operand is float64 and every other
# operand is a real Python or numpy scalar
_ARITHMETIC = frozenset(
    {np.add, np.subtract, np.multiply, np.true_divide, np.negative, np.positive, np.absolute, np.square, np.sqrt, np.power, np.maximum, np.minimum, np.exp, np.log, np.sign}
)


class Pool:
    """Buffers of one shape, each reused once nothing but the pool refers to it."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape
        self.buffers: list[Recycled] = []
        probe = [object()]
        self._unreferenced = _references(probe, 0)  # the count of a buffer only the pool holds

    def take(self):
        """A buffer nothing else refers to, or ``None``."""
        for i in range(len(self.buffers)):
            if _references(self.buffers, i) <= self._unreferenced:
                return self.buffers[i]
        return None

    def new(self):
        """A new buffer for the pool, or ``None`` when the pool is full.

        The buffer owns its memory, so every view of it, of any type, refers back to it and counts
        in its reference count (numpy stops collapsing a view's ``base`` at the array that owns the
        data).
        """
        if len(self.buffers) >= CAPACITY:
            return None
        buffer = np.ndarray.__new__(Recycled, self.shape)  # float64, numpy's default
        buffer._pool = weakref.ref(self)
        self.buffers.append(buffer)
        return buffer

    def wrap(self, x: np.ndarray) -> "Recycled":
        """``x`` (owned by the caller) as a :class:`Recycled` array whose ufunc results use this pool."""
        view = x.view(Recycled)
        view._pool = weakref.ref(self)
        return view

    def clear(self) -> None:
        self.buffers.clear()


def _references(items: list, i: int) -> int:
    return sys.getrefcount(items[i])


def pool_for(x: np.ndarray):
    """A :class:`Pool` for iterates like ``x``, or ``None`` where reuse would not pay (or is not safe)."""
    free_threaded = hasattr(sys, "_is_gil_enabled") and not sys._is_gil_enabled()
    if x.nbytes < MIN_BYTES or x.dtype != np.float64 or free_threaded:
        return None
    return Pool(x.shape)


class Recycled(np.ndarray):
    """An ndarray whose elementwise float64 arithmetic writes into free buffers of its pool."""

    _pool = None

    def __array_finalize__(self, obj):
        self._pool = getattr(obj, "_pool", None)  # views and ``*_like`` copies share the pool

    def __repr__(self):
        return repr(self.view(np.ndarray))

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain = tuple(a.view(np.ndarray) if isinstance(a, Recycled) else a for a in inputs)
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, Recycled) else o for o in out)
            results = getattr(ufunc, method)(*plain, **kwargs)
            if len(out) == 1:
                return out[0]
            # several outputs (np.divmod): the caller's arrays where it gave one, numpy's where it gave None
            return tuple(r if o is None else o for r, o in zip(results, out))
        pool = self._pool() if self._pool is not None else None
        if pool is None or method != "__call__" or ufunc not in _ARITHMETIC or kwargs or not _float64_operands(plain):
            return getattr(ufunc, method)(*plain, **kwargs)
        if np.broadcast_shapes(*(np.shape(a) for a in plain)) != pool.shape:
            return ufunc(*plain)
        buffer = pool.take()
        if buffer is None:
            buffer = pool.new()
            if buffer is None:
                return ufunc(*plain)
        ufunc(*plain, out=buffer.view(np.ndarray))
        return buffer


def _float64_operands(operands) -> bool:
    for a in operands:
        if isinstance(a, np.ndarray):
            if a.dtype != np.float64:
                return False
        elif not isinstance(a, (float, int, np.floating, np.integer)) or isinstance(a, bool):
            return False
    return True
