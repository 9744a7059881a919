"""Powers with a fixed exponent: square, reciprocal and reciprocal square root.

``square`` and ``reciprocal`` are compositions (``a * a``, ``1 / a``), so their gradients come
from Mul and Div; ``rsqrt`` is a node of its own, computed as 1 / sqrt(a) in one pass.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.dtypes import float_array
from tinygrad_edu.tensor import as_tensor

__all__ = ["square", "reciprocal", "rsqrt"]


class Rsqrt(Function):
    """y = 1 / sqrt(a).   da = -g * y**3 / 2   (= -g / (2 a sqrt(a)))."""

    keeps_output = True

    def forward(self, a):
        a = float_array(a)
        return np.reciprocal(np.sqrt(a))

    def backward(self, g):
        y = self.output
        return g * (y * y * y) * -0.5


def square(a):
    """a * a, keeping the dtype (integers stay integers, as in numpy and PyTorch).

    d/da = 2 a.

    >>> import tinygrad_edu as tg
    >>> square(tg.Tensor([-3, 2])).tolist()
    [9, 4]
    """
    a = as_tensor(a)
    return a * a


def reciprocal(a):
    """1 / a; integer inputs give float32.   d/da = -1 / a**2.

    >>> import tinygrad_edu as tg
    >>> reciprocal(tg.Tensor([4])).tolist()
    [0.25]
    """
    return 1.0 / as_tensor(a)


def rsqrt(a):
    """1 / sqrt(a), the factor of every normalization layer.

    >>> import tinygrad_edu as tg
    >>> rsqrt(tg.Tensor([4.0])).tolist()
    [0.5]
    """
    return Rsqrt.apply(as_tensor(a))
