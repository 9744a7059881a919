"""Reductions. Notation: ``y`` is the output, ``g = dL/dy``; ``axis`` the reduced axes.

A reduction's backward spreads ``g`` back over the reduced axes: ``g`` is reshaped to the
``keepdims=True`` shape and broadcast to the input's shape.

float16 inputs are summed in float32 and the result rounded back to float16: float16's
largest value is 65504, so the running sum of 4096 values of 20 would overflow to inf although
their mean, 20, is an ordinary float16 number. Axes follow :mod:`tinygrad_edu.ops.axes`.

Every reduction is numpy's own ``np.add.reduce`` / ``np.maximum.reduce``: the same numbers
as numpy, bit for bit. Three faster routes were measured on the course's MLP and small CNN
(bench/bench_reduce_kernels.py, one thread, CPU time; ``train_on_batch`` with Adam at batch
32, 128 and 1024) and removed, as none saved 5% of any step: sums over leading axes as
``ones @ a`` (bias gradients) saved at most 3.0% (CNN at batch 32; 1.8% at 128, 1.3% at
1024, under 0.5% on the MLP), row sums as ``a @ ones`` and the maximum over a short last
axis from a transposed copy at most 0.5% and 0.2%.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.autograd import Function, state
from tinygrad_edu.ops.axes import normalize_axes
from tinygrad_edu.ops.elementwise import Mul, where
from tinygrad_edu.ops.shape import broadcast_array, broadcast_to
from tinygrad_edu.tensor import Tensor, as_tensor

_FLOAT16 = np.dtype(np.float16).char  # "e": one string compare, cheaper than a dtype ==


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
        if a.dtype.char == _FLOAT16:
            wide = a.astype(np.float32)
            return np.add.reduce(wide, axis=axis, keepdims=keepdims).astype(np.float16)
        return np.add.reduce(a, axis=axis, keepdims=keepdims)

    def backward(self, g):
        return _spread(g, self.inputs[0].shape, self.axis)


class Mean(Function):
    """y = sum of a over axis * (1/n), n the number of elements reduced.   da = g/n spread back.

    One node rather than a Sum followed by a Mul: a mean ends every loss, so it is on the
    path of every training step. For the same reason an ordinary backward (nothing recorded)
    spreads g/n with numpy alone instead of two ops: the sparse cross-entropy's mean, forward
    and backward at batch 32, went from 65 to 59 us (timeit minimum, one 2-core AMD EPYC).
    """

    def forward(self, a, axis, keepdims, count):
        self.axis = axis
        self.scale = np.array(1.0 / count, dtype=a.dtype)  # 1/n in a's dtype
        if a.dtype.char == _FLOAT16:  # the sum in float32 (see the module docstring)
            total = np.add.reduce(a.astype(np.float32), axis=axis, keepdims=keepdims)
            return (total / count).astype(np.float16)
        return np.add.reduce(a, axis=axis, keepdims=keepdims) * self.scale

    def backward(self, g):
        in_shape = self.inputs[0].shape
        if not state.grad_enabled:  # nothing to record: g/n spread in numpy, with no nodes
            # Reshaped always: a numpy reshape is free, where _spread skips a Reshape node.
            scaled = (g.data * self.scale).reshape(_kept_shape(in_shape, self.axis))
            return Tensor._wrap(broadcast_array(scaled, in_shape))
        return _spread(Mul.apply(g, Tensor._wrap(self.scale)), in_shape, self.axis)


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
    return Sum.apply(a, axis=normalize_axes(axis, a.ndim, "sum"), keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    """Arithmetic mean: sum(a) / n over ``axis``; its gradient is g / n for every element."""
    a = as_tensor(a)
    axis = normalize_axes(axis, a.ndim, "mean")
    count = _reduced_count(a.shape, axis)
    if count == 0:
        raise ValueError(f"mean: reducing axis {axis} of shape {a.shape} takes no elements")
    if a.data.dtype.kind != "f":  # the mean of integers is a float
        return Sum.apply(a, axis=axis, keepdims=keepdims) * (1.0 / count)
    return Mean.apply(a, axis=axis, keepdims=keepdims, count=count)


def _extreme(a, axis, keepdims, rule, op: str):
    a = as_tensor(a)
    axis = normalize_axes(axis, a.ndim, op)
    if _reduced_count(a.shape, axis) == 0 and a.ndim:
        raise ValueError(f"{op}: reducing axis {axis} of shape {a.shape} takes no elements, "
                         "and no elements have no extreme value")
    return rule.apply(a, axis=axis, keepdims=keepdims)


def max(a, axis=None, keepdims=False):  # noqa: A001
    """Largest value over ``axis``; the gradient goes to the maxima (shared on ties)."""
    return _extreme(a, axis, keepdims, Max, "max")


def min(a, axis=None, keepdims=False):  # noqa: A001
    """Smallest value over ``axis``; the gradient goes to the minima (shared on ties)."""
    return _extreme(a, axis, keepdims, Min, "min")


def var(a, axis=None, keepdims=False, ddof=0):
    """Variance mean((a - mean(a))**2) over ``axis``; ``ddof=1`` divides by n - 1.

    ddof=0 (the population variance) is numpy's and Keras's default; PyTorch's ``var`` uses
    ddof=1 by default. A float16 input is worked on in float32 (its squares overflow float16
    from 256 on) and the result rounded back to float16.
    """
    a = as_tensor(a)
    axis = normalize_axes(axis, a.ndim, "var")
    count = _reduced_count(a.shape, axis)
    if count - ddof <= 0:
        raise ValueError(f"var: {count} element(s) over axis {axis} with ddof={ddof}")
    if a.data.dtype == np.float16:
        return var(a.astype(np.float32), axis, keepdims, ddof).astype(np.float16)
    centered = a - mean(a, axis=axis, keepdims=True)
    return Sum.apply(centered * centered, axis=axis, keepdims=keepdims) * (1.0 / (count - ddof))


def std(a, axis=None, keepdims=False, ddof=0):
    """Standard deviation s = sqrt(var(a)).   da = g * (a - mean(a)) / ((n - ddof) * s).

    Where the variance is 0 (a constant input) that quotient is 0/0; the gradient there is
    taken as 0, the value PyTorch and TensorFlow give, instead of NaN.
    """
    a = as_tensor(a)
    variance = var(a, axis=normalize_axes(axis, a.ndim, "std"), keepdims=keepdims, ddof=ddof)
    positive = Tensor._wrap(variance.data > 0)
    if positive.data.all():
        return variance.sqrt()
    # sqrt only sees positive values, so neither branch's gradient is inf (and 0 * inf = NaN)
    one = Tensor._wrap(np.ones((), dtype=variance.data.dtype))
    return where(positive, where(positive, variance, one).sqrt(), 0.0)


def _shift(a: Tensor, axis) -> Tensor:
    """max(a) over ``axis`` (keepdims) as a graph-free constant; 0 where it is not finite."""
    if a.size == 0:  # no elements: np.maximum.reduce needs an initial value
        shift = np.max(a.data, axis=axis, keepdims=True, initial=-np.inf)
    else:
        shift = np.maximum.reduce(a.data, axis=axis, keepdims=True)
    return Tensor._wrap(np.where(np.isfinite(shift), shift, 0).astype(a.data.dtype, copy=False))


def logsumexp(a, axis=None, keepdims=False):
    """log(sum(exp(a))) computed as m + log(sum(exp(a - m))) with m = max(a), never overflowing.

    The shift m is treated as a constant: the result does not depend on it, so neither does
    the gradient, which is softmax(a) * g. Over no elements the result is log(0) = -inf.
    """
    a = _floating(as_tensor(a))
    axis = normalize_axes(axis, a.ndim, "logsumexp")
    if _reduced_count(a.shape, axis) == 0:  # the sum of no exponentials is 0: log 0 = -inf
        return Sum.apply(a, axis=axis, keepdims=keepdims) + float("-inf")
    shift = _shift(a, axis)
    total = Sum.apply((a - shift).exp(), axis=axis, keepdims=True).log() + shift
    if not keepdims:
        total = total.reshape(_reduced_shape(a.shape, axis))
    return total


def log_softmax(a, axis: int = -1) -> Tensor:
    """log softmax(a) = (a - m) - log(sum(exp(a - m))) along ``axis``, m = max(a) a constant.

    Subtracting the shift before the logarithm is added back keeps full precision at large
    logits: a - logsumexp(a) at a = 1e4 loses 3 digits in float32 (logsumexp rounds to 1e4's
    spacing of 1e-3). Gradient: da = g - softmax(a) * sum(g).
    """
    a = _floating(as_tensor(a))
    axis = normalize_axes(axis, a.ndim, "log_softmax")
    shifted = a - _shift(a, axis)
    if a.size == 0:  # nothing to normalize (and no log of an empty sum)
        return shifted
    return shifted - Sum.apply(shifted.exp(), axis=axis, keepdims=True).log()


def _floating(a: Tensor) -> Tensor:
    """Integer and boolean inputs of a floating-point reduction become float32."""
    return a if a.data.dtype.kind == "f" else a.astype(np.float32)


class Prod(Function):
    """y = product of a over one ``axis``.

    da_j = g * prod_{k != j} a_k: g * y / a_j when no a_k is 0, else the product of the
    others computed directly (a_j replaced by 1), so a zero factor gives no 0/0.
    """

    saves_inputs = True
    keeps_output = True

    def forward(self, a, axis, keepdims):
        self.axis = axis
        return np.prod(a, axis=axis, keepdims=keepdims)

    def backward(self, g):
        a = self.inputs[0]
        spread = _spread(g, a.shape, (self.axis,))
        if not (a.data == 0).any():
            y = _spread(self.output, a.shape, (self.axis,))
            return spread * y / a
        # others[..., j, ...] = prod over k != j: put a's axis last, copy it n times with the
        # diagonal replaced by 1, and take products along the last axis.
        moved = a.swapaxes(self.axis, -1) if self.axis != a.ndim - 1 else a
        n = a.shape[self.axis]
        eye = Tensor._wrap(np.eye(n, dtype=bool))
        copies = where(eye, 1.0, moved.unsqueeze(-2))
        others = prod(copies, axis=-1)
        if self.axis != a.ndim - 1:
            others = others.swapaxes(self.axis, -1)
        return spread * others


def prod(a, axis=None, keepdims=False):
    """Product of the elements over ``axis`` (int, tuple or None for all); 1 over none.

    >>> import tinygrad_edu as tg
    >>> prod(tg.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1).tolist()
    [2.0, 12.0]
    """
    a = as_tensor(a)
    axes = normalize_axes(axis, a.ndim, "prod")
    if axes is None:
        axes = tuple(range(a.ndim))
    if not axes:  # a 0-d tensor, or axis=() : nothing is multiplied
        return a
    if len(axes) == 1:
        return Prod.apply(a, axis=axes[0], keepdims=keepdims)
    # Several axes: move them to the end, merge them into one and take one product.
    kept = [i for i in range(a.ndim) if i not in axes]
    moved = a.transpose(kept + list(axes))
    merged = moved.reshape(tuple(a.shape[i] for i in kept) + (-1,))
    out = Prod.apply(merged, axis=len(kept), keepdims=False)
    return out.reshape(_kept_shape(a.shape, axes)) if keepdims else out
