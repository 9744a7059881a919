"""Logarithms and exponentials beyond exp and log: other bases, and the accurate forms near 0.

``log1p(a) = log(1 + a)`` and ``expm1(a) = exp(a) - 1`` keep full precision for tiny ``a``
(1 + 1e-10 rounds away most of the digits of 1e-10 before log could see them);
``logaddexp(a, b) = log(exp(a) + exp(b))`` never overflows.

Notation: ``y`` is the output, ``g = dL/dy``; backward rules are Tensor ops.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.dtypes import float_array
from tinygrad_edu.ops.elementwise import _BROADCAST_HINT
from tinygrad_edu.tensor import as_tensor, operands

__all__ = ["log2", "log10", "log1p", "expm1", "logaddexp"]


class Log2(Function):
    """y = log2(a).   da = g / (a * ln 2)."""

    saves_inputs = True

    def forward(self, a):
        return np.log2(float_array(a))

    def backward(self, g):
        return g / (self.inputs[0] * math.log(2.0))


class Log10(Function):
    """y = log10(a).   da = g / (a * ln 10)."""

    saves_inputs = True

    def forward(self, a):
        return np.log10(float_array(a))

    def backward(self, g):
        return g / (self.inputs[0] * math.log(10.0))


class Log1p(Function):
    """y = log(1 + a), accurate for tiny a.   da = g / (1 + a)."""

    saves_inputs = True

    def forward(self, a):
        return np.log1p(float_array(a))

    def backward(self, g):
        return g / (self.inputs[0] + 1.0)


class Expm1(Function):
    """y = exp(a) - 1, accurate for tiny a.   da = g * exp(a) = g * (y + 1)."""

    keeps_output = True

    def forward(self, a):
        return np.expm1(float_array(a))

    def backward(self, g):
        return g * (self.output + 1.0)


class LogAddExp(Function):
    """y = log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)), never overflowing.

    da = g * exp(a - y) = g * sigmoid(a - b),   db = g * sigmoid(b - a).
    """

    hint = _BROADCAST_HINT
    saves_inputs = True

    def forward(self, a, b):
        if a.dtype.kind != "f" and b.dtype.kind != "f":
            a, b = float_array(a), float_array(b)
        return np.logaddexp(a, b)

    def backward(self, g):
        a, b = self.inputs
        # sigmoid(b - a) rather than 1 - sigmoid(a - b): no cancellation when a >> b
        grad_a = g * (a - b).sigmoid() if a.requires_grad else None
        grad_b = g * (b - a).sigmoid() if b.requires_grad else None
        return grad_a, grad_b


def log2(a):
    """Base-2 logarithm."""
    return Log2.apply(as_tensor(a))


def log10(a):
    """Base-10 logarithm."""
    return Log10.apply(as_tensor(a))


def log1p(a):
    """log(1 + a), accurate when |a| is tiny.

    >>> import tinygrad_edu as tg
    >>> log1p(tg.Tensor([1e-10], dtype="float64")).tolist()
    [9.999999999500001e-11]
    """
    return Log1p.apply(as_tensor(a))


def expm1(a):
    """exp(a) - 1, accurate when |a| is tiny.

    >>> import tinygrad_edu as tg
    >>> expm1(tg.Tensor([1e-10], dtype="float64")).tolist()
    [1.00000000005e-10]
    """
    return Expm1.apply(as_tensor(a))


def logaddexp(a, b):
    """log(exp(a) + exp(b)), broadcasting, finite for any finite inputs.

    >>> import tinygrad_edu as tg
    >>> logaddexp(tg.Tensor([1000.0]), tg.Tensor([1000.0])).tolist()
    [1000.6931762695312]
    """
    return LogAddExp.apply(*operands(a, b))
