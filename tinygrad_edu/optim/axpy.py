"""``y += alpha * x`` in one pass over memory: the BLAS routine ``axpy``, from numpy's own BLAS.

numpy evaluates ``p -= lr * g`` in two steps: it writes ``lr * g`` into a new temporary array,
then subtracts that array from ``p``. On a 784x256 weight the temporary is 800 kB, written
and read back for nothing, and plain SGD's update then costs about as much as a layer's
forward pass. BLAS has the fused operation: ``axpy`` ("a times x plus y") reads ``x`` and
``y`` once and writes ``y`` once, and OpenBLAS splits a long vector over the CPU cores.

numpy's wheels ship an OpenBLAS library next to numpy (it computes every ``@``). This module
finds ``saxpy`` (float32) and ``daxpy`` (float64) in it with :mod:`ctypes`, checks them once
against numpy, and uses them for large contiguous arrays. Anywhere else (a numpy built
against another BLAS, small or strided arrays, mixed dtypes, overlapping arrays) it falls
back to the numpy expression, which gives the same values up to rounding in the last bit.
Set the environment variable ``TINYGRAD_EDU_NUMPY_AXPY=1`` to always use the numpy
expression.

>>> import numpy as np
>>> y, x = np.ones(100_000, dtype=np.float32), np.full(100_000, 2.0, dtype=np.float32)
>>> axpy(-0.5, x, y)      # y -= 0.5 * x
>>> float(y.min()), float(y.max())
(0.0, 0.0)
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

__all__ = ["axpy", "blas_axpy_library"]

# Below this many elements numpy's two passes take no longer than the foreign call itself
# (about 2 us with its argument conversion); measured equal at 16,384 float32 elements.
MIN_BLAS_ELEMENTS = 16_384

# Symbol names of cblas_?axpy in the OpenBLAS builds that numpy wheels carry, with the width
# of their integer arguments: "64_" marks the 64-bit-integer (ILP64) interface.
_SYMBOLS = (
    ("scipy_cblas_{}axpy64_", ctypes.c_int64),  # numpy >= 2.0 (scipy-openblas64)
    ("cblas_{}axpy64_", ctypes.c_int64),        # numpy 1.22 - 1.26 (openblas64_)
    ("scipy_cblas_{}axpy", ctypes.c_int32),
    ("cblas_{}axpy", ctypes.c_int32),
)
_SCALAR_TYPES = {"f": ctypes.c_float, "d": ctypes.c_double}

_routines: dict[str, object] | None = None  # dtype char -> checked routine; filled on first use
_library_path: str | None = None


def _library_candidates() -> list[str]:
    """BLAS libraries inside the numpy installation (Linux/Windows: numpy.libs, macOS: .dylibs)."""
    package = os.path.dirname(np.__file__)
    found = []
    for folder in (package + ".libs", os.path.join(package, ".dylibs")):
        found += sorted(glob.glob(os.path.join(folder, "*openblas*")))
    return found


_char_at = ctypes.c_char.from_buffer
_address_of = ctypes.addressof


def _address(array: np.ndarray) -> int:
    """Address of a contiguous array's first element.

    ``array.ctypes.data`` builds a helper object in Python and takes about 2 us; a ctypes view
    of the array's buffer gives the same address in 0.4 us, but only for a writable array.
    """
    return _address_of(_char_at(array)) if array.flags.writeable else array.ctypes.data


def _agrees_with_numpy(routine, dtype) -> bool:
    """Run the routine once on a long vector (the multi-threaded path) and a short one."""
    rng = np.random.default_rng(0)
    for size in (3 * MIN_BLAS_ELEMENTS + 5, 7):
        x = rng.standard_normal(size).astype(dtype)
        y = rng.standard_normal(size).astype(dtype)
        expected = y - 0.375 * x
        # A fused multiply-add may round differently: allow a few ulps of the operands.
        tolerance = 4 * np.finfo(dtype).eps * (np.abs(y) + 0.375 * np.abs(x))
        routine(size, -0.375, _address(x), 1, _address(y), 1)
        if not np.all(np.abs(y - expected) <= tolerance):
            return False
    return True


def _load_routines() -> dict:
    """Find, type and check ?axpy in numpy's BLAS; an empty dict when there is none."""
    global _library_path
    if os.environ.get("TINYGRAD_EDU_NUMPY_AXPY", "") not in ("", "0"):
        return {}
    for path in _library_candidates():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        routines = {}
        for char, prefix in (("f", "s"), ("d", "d")):
            for pattern, int_type in _SYMBOLS:
                routine = getattr(library, pattern.format(prefix), None)
                if routine is None:
                    continue
                # void cblas_?axpy(n, alpha, const x*, incx, y*, incy):  y = alpha * x + y
                routine.restype = None
                routine.argtypes = [int_type, _SCALAR_TYPES[char], ctypes.c_void_p, int_type,
                                    ctypes.c_void_p, int_type]
                if _agrees_with_numpy(routine, np.dtype(char)):
                    routines[char] = routine
                break  # the first name found is this library's; a wrong one is not retried
        if routines:
            _library_path = path
            return routines
    return {}


def _checked_routines() -> dict:
    """The routines by dtype char, found and checked on the first call."""
    global _routines
    if _routines is None:
        _routines = _load_routines()
    return _routines


def blas_axpy_library() -> str | None:
    """Path of the BLAS library whose axpy is in use, or None when numpy does the update."""
    return _library_path if _checked_routines() else None


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y += alpha * x`` in place; one pass through BLAS when the arrays allow it.

    Args:
        alpha: the scale of ``x`` (a Python or numpy number).
        x: array of the shape of ``y``; it is only read.
        y: the array written into (a parameter or an optimizer state).
    """
    if y.size >= MIN_BLAS_ELEMENTS:
        routine = _checked_routines().get(y.dtype.char)
        if (routine is not None and x.dtype == y.dtype and x.shape == y.shape
                and x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable
                and not np.may_share_memory(x, y)):
            routine(y.size, float(alpha), _address(x), 1, _address(y), 1)
            return
    y += alpha * x
