"""Reductions. Notation: ``y`` is the output, ``g = dL/dy``; ``axis`` the reduced axes.

A reduction's backward spreads ``g`` back over the reduced axes: ``g`` is reshaped to the
``keepdims=True`` shape and broadcast to the input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.elementwise import Mul
from tinygrad_edu.ops.reduce_kernels import max_axes, sum_axes
from tinygrad_edu.ops.shape import broadcast_to
from tinygrad_edu.tensor import Tensor, as_tensor


def normalize_axis(axis, ndim: int, op: str) -> tuple | None:
    """``axis`` as a sorted tuple of non-negative ints (None: every axis)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        if not -ndim <= a < (ndim or 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dims")
        result.append(int(a) % (ndim or 1))
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(result))


def _kept_shape(in_shape: tuple, axis) -> tuple:
    """The output shape the reduction would have with keepdims=True."""
    if axis is None:
        return (1,) * len(in_shape)
    return tuple(1 if i in axis else n for i, n in enumerate(in_shape))


def _reduced_shape(in_shape: tuple, axis) -> tuple:
    """The output shape the reduction has with keepdims=False."""
    if axis is None:
        return ()
    return tuple(n for i, n in enumerate(in_shape) if i not in axis)


def _spread(g: Tensor, in_shape: tuple, axis) -> Tensor:
    """Reshape g to the keepdims shape and broadcast it over the reduced axes."""
    ndim = g.data.ndim
    if ndim != len(in_shape) and ndim != 0:  # a 0-d g broadcasts as it is
        g = g.reshape(_kept_shape(in_shape, axis))
    return broadcast_to(g, in_shape)


class Sum(Function):
    """y = sum of a over axis.   da = g broadcast back over axis."""

    def forward(self, a, axis, keepdims):
        self.axis = axis
        return sum_axes(a, axis, keepdims)

    def backward(self, g):
        return _spread(g, self.inputs[0].shape, self.axis)


class Mean(Function):
    """y = sum of a over axis * (1/n), n the number of elements reduced.   da = g/n spread back.

    One node rather than a Sum followed by a Mul: a mean ends every loss, so it is on the
    path of every training step.
    """

    def forward(self, a, axis, keepdims, count):
        self.axis = axis
        self.scale = np.array(1.0 / count, dtype=a.dtype)  # 1/n in a's dtype
        return sum_axes(a, axis, keepdims) * self.scale

    def backward(self, g):
        return _spread(Mul.apply(g, Tensor._wrap(self.scale)), self.inputs[0].shape, self.axis)


class Max(Function):
    """y = max of a over axis.   da = g * [a == y] / (number of maxima): ties share g evenly."""

    saves_inputs = True
    _pick = staticmethod(np.max)

    def forward(self, a, axis, keepdims):
        self.axis = axis
        kept = self._pick(a, axis=axis, keepdims=True)
        winners = (a == kept).astype(a.dtype)
        self.share = winners / np.sum(winners, axis=axis, keepdims=True)
        return kept if keepdims else kept.reshape(_reduced_shape(a.shape, axis))

    def backward(self, g):
        return _spread(g, self.inputs[0].shape, self.axis) * Tensor._wrap(self.share)


class Min(Max):
    """y = min of a over axis.   da = g * [a == y] / (number of minima)."""

    _pick = staticmethod(np.min)


def _reduced_count(shape: tuple, axis) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[i] for i in axis)


def sum(a, axis=None, keepdims=False):  # noqa: A001 - numpy's name
    """Sum over ``axis`` (int, tuple or None for all)."""
    a = as_tensor(a)
    return Sum.apply(a, axis=normalize_axis(axis, a.ndim, "sum"), keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    """Arithmetic mean: sum(a) / n over ``axis``; its gradient is g / n for every element."""
    a = as_tensor(a)
    axis = normalize_axis(axis, a.ndim, "mean")
    count = _reduced_count(a.shape, axis)
    if count == 0:
        raise ValueError(f"mean: reducing axis {axis} of shape {a.shape} takes no elements")
    if a.data.dtype.kind != "f":  # the mean of integers is a float
        return Sum.apply(a, axis=axis, keepdims=keepdims) * (1.0 / count)
    return Mean.apply(a, axis=axis, keepdims=keepdims, count=count)


def max(a, axis=None, keepdims=False):  # noqa: A001
    """Largest value over ``axis``; the gradient goes to the maxima (shared on ties)."""
    a = as_tensor(a)
    if a.size == 0:
        raise ValueError("max: the tensor is empty")
    return Max.apply(a, axis=normalize_axis(axis, a.ndim, "max"), keepdims=keepdims)


def min(a, axis=None, keepdims=False):  # noqa: A001
    """Smallest value over ``axis``; the gradient goes to the minima (shared on ties)."""
    a = as_tensor(a)
    if a.size == 0:
        raise ValueError("min: the tensor is empty")
    return Min.apply(a, axis=normalize_axis(axis, a.ndim, "min"), keepdims=keepdims)


def var(a, axis=None, keepdims=False, ddof=0):
    """Variance mean((a - mean(a))**2) over ``axis``; ``ddof=1`` divides by n - 1.

    ddof=0 (the population variance) is numpy's and Keras's default; PyTorch's ``var`` uses
    ddof=1 by default.
    """
    a = as_tensor(a)
    axis = normalize_axis(axis, a.ndim, "var")
    count = _reduced_count(a.shape, axis)
    if count - ddof <= 0:
        raise ValueError(f"var: {count} element(s) over axis {axis} with ddof={ddof}")
    centered = a - mean(a, axis=axis, keepdims=True)
    return Sum.apply(centered * centered, axis=axis, keepdims=keepdims) * (1.0 / (count - ddof))


def std(a, axis=None, keepdims=False, ddof=0):
    """Standard deviation sqrt(var(a)); its gradient is infinite where the variance is 0."""
    return var(a, axis=axis, keepdims=keepdims, ddof=ddof).sqrt()


def logsumexp(a, axis=None, keepdims=False):
    """log(sum(exp(a))) computed as m + log(sum(exp(a - m))) with m = max(a), never overflowing.

    The shift m is treated as a constant: the result does not depend on it, so neither does
    the gradient, which is softmax(a) * g.
    """
    a = as_tensor(a)
    axis = normalize_axis(axis, a.ndim, "logsumexp")
    shift = max_axes(a.data, axis)
    shift = np.where(np.isfinite(shift), shift, 0).astype(a.data.dtype, copy=False)
    shift_t = Tensor._wrap(shift)
    total = Sum.apply((a - shift_t).exp(), axis=axis, keepdims=True).log() + shift_t
    if not keepdims:
        total = total.reshape(_reduced_shape(a.shape, axis))
    return total
