"""Ways to make tensors: from data, filled, ranged or random (float32 unless asked)."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.random import generator
from tinygrad_edu.tensor import DEFAULT_FLOAT, Tensor

__all__ = ["tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye",
           "randn", "rand"]


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


def eye(n: int, dtype=DEFAULT_FLOAT) -> Tensor:
    return Tensor(np.eye(n, dtype=dtype), dtype=dtype)


def randn(*shape, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    """Standard normal samples from the framework's generator (see ``manual_seed``)."""
    values = generator().standard_normal(_shape(shape), dtype=np.float64).astype(dtype)
    return Tensor(values, requires_grad, dtype)


def rand(*shape, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1) from the framework's generator."""
    values = generator().random(_shape(shape)).astype(dtype)
    return Tensor(values, requires_grad, dtype)
