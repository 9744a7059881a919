"""``y += alpha * x`` in one pass: BLAS ``axpy`` through SciPy's public wrapper, where installed.

numpy evaluates ``p -= lr * g`` in two passes: it writes ``lr * g`` into a new temporary
array, then subtracts that array from ``p``. BLAS has the fused operation: ``axpy`` ("a times
x plus y") reads ``x`` and ``y`` once and writes ``y`` once. SciPy exposes it as
``scipy.linalg.blas.saxpy`` (float32) and ``daxpy`` (float64).

Measured on one thread of a 2-core machine (bench/bench_axpy.py, quiet machine, 15 rounds):
on a 784x256 float32 weight the update takes 18-21 us through ``saxpy`` against 53-55 us
with numpy's expression, and the SGD step of the MLP 784-256-128-10 went from 1.22x
[1.20, 1.22] of the hand-written numpy step to 1.11x [1.09, 1.14] at batch 32 (1.10x to
1.06x at batch 128, 1.03x to 1.02x at batch 1024).

SciPy is an optional extra (``pip install tinygrad-edu[fast]``). Without it, and wherever
the BLAS routine does not apply (fewer than ``MIN_BLAS_ELEMENTS`` elements, arrays that are
not contiguous, a dtype other than float32/float64, mixed dtypes), :func:`axpy` runs numpy's
expression, which gives the same values up to rounding in the last bit.

SciPy's wheels bring a second OpenBLAS with a thread pool of its own. It is loaded on the
first call that needs it and held at one thread from then on
(:func:`tinygrad_edu.threads.keep_one_thread`): next to numpy's pool of two threads, its
second thread fought numpy's for the 2 cores and the SGD step of that MLP took 18 ms instead
of 1.1 at batch 32 (34 instead of 8 at batch 1024), while a second thread gains an update
of 784x256 only 13 us (41 against 28 us) when nothing else runs. Where SciPy uses numpy's
BLAS library itself (one shared library, as in conda), there is no second pool to hold.

>>> import numpy as np
>>> y, x = np.ones(100_000, dtype=np.float32), np.full(100_000, 2.0, dtype=np.float32)
>>> axpy(-0.5, x, y)      # y -= 0.5 * x
>>> float(y.min()), float(y.max())
(0.0, 0.0)
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import threads

__all__ = ["axpy", "blas_routines"]

# Below this many elements numpy's two passes are as fast as the wrapper's own call
# (its argument checks cost about 2 us); measured equal near 16,384 float32 elements.
MIN_BLAS_ELEMENTS = 16_384

_routines: dict | None = None  # dtype -> SciPy's routine; {} when SciPy is not installed


def _load_routines() -> dict:
    try:
        import scipy
        from scipy.linalg import blas
    except ImportError:
        return {}
    threads.keep_one_thread(scipy)
    return {np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy}


def blas_routines() -> dict:
    """SciPy's ``saxpy``/``daxpy`` by dtype, loaded on first use; empty without SciPy."""
    global _routines
    if _routines is None:
        _routines = _load_routines()
    return _routines


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y += alpha * x``, written into ``y``.

    Args:
        alpha: a Python number (a numpy float64 scalar would turn float32 arithmetic into
            float64 on numpy's path).
        x: an array of ``y``'s shape.
        y: the array to update in place (a parameter or an optimizer's state).
    """
    if (y.size >= MIN_BLAS_ELEMENTS and x.dtype == y.dtype and y.flags.c_contiguous
            and x.flags.c_contiguous and y.flags.writeable and x.shape == y.shape):
        routine = blas_routines().get(y.dtype)
        if routine is not None:
            flat = y.reshape(-1)  # a view: C-contiguous
            result = routine(x.reshape(-1), flat, a=alpha)
            # For a contiguous y of its own dtype the wrapper writes into y and returns it;
            # should another SciPy return a new array instead, its values go into y.
            if result is not flat:
                flat[...] = result
            return
    y += alpha * x
