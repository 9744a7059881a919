"""Ways to make tensors: from data, filled, ranged or random (float32 unless asked)."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.random import generator
from tinygrad_edu.tensor import DEFAULT_FLOAT, Tensor

__all__ = ["tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "linspace",
           "eye", "randn", "rand", "randint"]


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def tensor(data, requires_grad=False, dtype=None, name=None) -> Tensor:
    """Same as ``Tensor(...)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    return Tensor(np.zeros(_shape(shape), dtype=dtype), requires_grad, dtype)


def ones(*shape, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    return Tensor(np.ones(_shape(shape), dtype=dtype), requires_grad, dtype)


def full(shape, value, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    return Tensor(np.full(_shape((shape,)), value, dtype=dtype), requires_grad, dtype)


def zeros_like(t: Tensor, requires_grad=False) -> Tensor:
    return Tensor(np.zeros_like(t.data), requires_grad, t.data.dtype)


def ones_like(t: Tensor, requires_grad=False) -> Tensor:
    return Tensor(np.ones_like(t.data), requires_grad, t.data.dtype)


def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    """Like ``np.arange``; float arguments give float32."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return Tensor(values, dtype=dtype)


def linspace(start, stop, num: int = 50, endpoint: bool = True, dtype=DEFAULT_FLOAT) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (included unless ``endpoint``
    is False), float32 by default.

    >>> linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative integer, got {num!r}")
    values = np.linspace(start, stop, int(num), endpoint=endpoint)  # computed in float64
    return Tensor(values, dtype=dtype)


def eye(n: int, m: int | None = None, k: int = 0, dtype=DEFAULT_FLOAT) -> Tensor:
    """An n x m matrix (m = n by default) with ones on diagonal ``k`` (0: the main one,
    > 0 above it, < 0 below it) and zeros elsewhere.

    >>> eye(2, 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    for name, value in (("n", n), ("m", n if m is None else m)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"eye: {name} must be a non-negative integer, got {value!r}")
    return Tensor(np.eye(n, m, k=int(k), dtype=dtype), dtype=dtype)


def randn(*shape, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    """Standard normal samples from the framework's generator (see ``manual_seed``)."""
    values = generator().standard_normal(_shape(shape), dtype=np.float64).astype(dtype)
    return Tensor(values, requires_grad, dtype)


def rand(*shape, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1) from the framework's generator."""
    values = generator().random(_shape(shape)).astype(dtype)
    return Tensor(values, requires_grad, dtype)


def randint(low, high=None, size=(), dtype=np.int64) -> Tensor:
    """Random integers from [low, high) (from [0, low) when ``high`` is None), uniformly,
    from the framework's generator (see ``manual_seed``).

    >>> t = randint(0, 10, (2, 3))
    >>> t.shape, t.dtype.name, bool(((t >= 0) * (t < 10)).all())
    ((2, 3), 'int64', True)
    """
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    if np.dtype(dtype).kind not in "iu":
        raise TypeError(f"randint: dtype must be an integer dtype, got {np.dtype(dtype)}")
    shape = _shape((size,)) if not isinstance(size, (int, np.integer)) else (int(size),)
    return Tensor(generator().integers(low, high, size=shape, dtype=dtype), dtype=dtype)
