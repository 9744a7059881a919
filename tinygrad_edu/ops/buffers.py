"""Output memory for the large arrays of convolution and pooling, reused once its array dies.

Each training step makes the same multi-megabyte arrays again: a convolution's output and
ReLU mask, max pooling's gradient scatter, the input gradient. numpy takes their memory from
``malloc``, and glibc hands large blocks back to the operating system when they are freed,
so the next step's array of the same size starts on fresh pages, each zeroed by the kernel on
first touch: one page fault per 4 KB. On the small CNN of ``bench/bench_cnn.py`` that is
3,010 page faults per step at batch 64, and the pool makes the step 10-20% shorter (the
measurements are in :mod:`tinygrad_edu.ops.conv`).

:func:`empty` and :func:`zeros` keep the memory instead: a pool of raw byte buffers, one list
per size. A buffer is free again when no array uses it any more, which the pool reads from its
reference count: every array made from a buffer (and every view of such an array) holds a
reference to it, so when only the pool's own references are left, nothing can see the
memory. The pool holds at most ``POOL_BYTES``; free buffers of the longest-unused size go
first when it is full. Only arrays of at least ``MIN_BYTES`` come from the pool: smaller ones
live in malloc's heap, which keeps them without page faults.

Nothing else changes: a pooled array is an ordinary numpy array that owns nothing (its
``base`` is the buffer), and an array anyone still holds (a tensor, a graph node, a user's
``.numpy()``) is never handed out again. :func:`release` empties the pool.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

__all__ = ["empty", "zeros", "release", "pooled_bytes"]

#: Arrays smaller than this come from numpy directly.
MIN_BYTES = 256 * 1024
#: The most memory the pool keeps, in use or free.
POOL_BYTES = 1024 * 1024 * 1024

_lock = threading.Lock()  # two threads must not take the same free buffer
_pool: dict[int, list[np.ndarray]] = {}  # bytes -> raw uint8 buffers; insertion order = age


def _free_count() -> int:
    """The reference count of a buffer nothing uses, seen the way :func:`_take` sees it."""
    for raw in [np.empty(1, dtype=np.uint8)]:
        return sys.getrefcount(raw)


_FREE = _free_count()


def _take(nbytes: int) -> np.ndarray:
    """A raw buffer of ``nbytes`` bytes that no array uses (the caller holds the lock)."""
    buffers = _pool.get(nbytes)
    if buffers is not None:
        for raw in buffers:
            if sys.getrefcount(raw) == _FREE:
                _pool[nbytes] = _pool.pop(nbytes)  # the most recently used size goes last
                return raw
    raw = np.empty(nbytes, dtype=np.uint8)
    if _make_room(nbytes):
        _pool.setdefault(nbytes, []).append(raw)
    return raw


def _make_room(nbytes: int) -> bool:
    """Drop free buffers, oldest sizes first, until ``nbytes`` more fit under POOL_BYTES."""
    total = pooled_bytes()
    for size in list(_pool):
        if total + nbytes <= POOL_BYTES:
            break
        kept = []
        for raw in _pool[size]:
            if total + nbytes > POOL_BYTES and sys.getrefcount(raw) == _FREE:
                total -= size
            else:
                kept.append(raw)
        if kept:
            _pool[size] = kept
        else:
            del _pool[size]
    return total + nbytes <= POOL_BYTES


def empty(shape, dtype) -> np.ndarray:
    """``np.empty(shape, dtype)``, from reused memory when it is large (the values are stale:
    the caller writes every element)."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype=dtype)
    with _lock:  # the view below holds the buffer before another thread can look at it
        return _take(nbytes).view(dtype).reshape(shape)


def zeros(shape, dtype) -> np.ndarray:
    """``np.zeros(shape, dtype)``, from reused memory when it is large.

    >>> zeros((2, 3), np.float32)
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    out = empty(shape, dtype)
    out.fill(0)
    return out


def pooled_bytes() -> int:
    """The bytes the pool holds now, in use or free."""
    return sum(size * len(buffers) for size, buffers in _pool.items())


def release() -> None:
    """Forget every buffer: free ones go back to the system, used ones live on as long as their
    arrays."""
    with _lock:
        _pool.clear()
