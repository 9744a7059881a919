"""Running sums and products along an axis.

Notation: y_i = a_1 + ... + a_i (or a_1 * ... * a_i) along ``axis``; ``g = dL/dy``. Each a_j
feeds every y_i with i >= j, so its gradient collects g_i from there on: a reversed running sum.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.axes import normalize_axis
from tinygrad_edu.ops.elementwise import where
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["cumsum", "cumprod"]


def _reverse(t: Tensor, axis: int) -> Tensor:
    """t reversed along ``axis`` (a differentiable slice)."""
    return t[(slice(None),) * axis + (slice(None, None, -1),)]


def _reverse_cumsum(t: Tensor, axis: int) -> Tensor:
    """z_j = t_j + t_{j+1} + ... + t_n along ``axis``."""
    return _reverse(Cumsum.apply(_reverse(t, axis), axis=axis), axis)


class Cumsum(Function):
    """y_i = sum_{j <= i} a_j along ``axis``.   da_j = sum_{i >= j} g_i (a reversed cumsum)."""

    def forward(self, a, axis):
        self.axis = axis
        return np.cumsum(a, axis=axis)

    def backward(self, g):
        return _reverse_cumsum(g, self.axis)


class Cumprod(Function):
    """y_i = prod_{j <= i} a_j along ``axis``.

    da_j = sum_{i >= j} g_i * prod_{k <= i, k != j} a_k. Without zeros in a this is
    (reversed cumsum of g * y)_j / a_j. With zeros that quotient is 0/0, so the products that
    skip a_j are formed directly: row j of an n x n copy of a has a_j replaced by 1, and its
    running product at i, masked to i >= j, is what g_i multiplies (O(n^2), zeros only).
    """

    saves_inputs = True
    keeps_output = True

    def forward(self, a, axis):
        self.axis = axis
        return np.cumprod(a, axis=axis)

    def backward(self, g):
        a, axis = self.inputs[0], self.axis
        if not (a.data == 0).any():
            return _reverse_cumsum(g * self.output, axis) / a
        last = a.ndim - 1
        moved_a = a.swapaxes(axis, last) if axis != last else a
        moved_g = g.swapaxes(axis, last) if axis != last else g
        n = a.shape[axis]
        skip = Tensor._wrap(np.eye(n, dtype=bool))  # [j, k]: k == j
        rows = where(skip, 1.0, moved_a.unsqueeze(-2))  # [..., j, k] = a_k, or 1 at k == j
        partial = Cumprod.apply(rows, axis=rows.ndim - 1)  # [..., j, i] = prod_{k<=i, k!=j}
        later = Tensor._wrap(np.triu(np.ones((n, n), dtype=bool)))  # [j, i]: i >= j
        zero = Tensor._wrap(np.zeros((), dtype=a.data.dtype))
        grad = (where(later, partial, zero) * moved_g.unsqueeze(-2)).sum(axis=-1)
        return grad.swapaxes(axis, last) if axis != last else grad


def _cumulative(a, axis, op: str, rule) -> Tensor:
    a = as_tensor(a)
    if axis is None:  # numpy's rule: over the flattened tensor
        a, axis = a.reshape(-1), 0
    axis = normalize_axis(axis, a.ndim, op)
    if a.ndim == 0:
        return a
    return rule.apply(a, axis=axis)


def cumsum(a, axis=None):
    """Running sum along ``axis`` (None: over the flattened tensor, as in numpy).

    >>> import tinygrad_edu as tg
    >>> cumsum(tg.Tensor([1.0, 2.0, 3.0]), axis=0).tolist()
    [1.0, 3.0, 6.0]
    """
    return _cumulative(a, axis, "cumsum", Cumsum)


def cumprod(a, axis=None):
    """Running product along ``axis`` (None: over the flattened tensor); zeros are fine.

    >>> import tinygrad_edu as tg
    >>> cumprod(tg.Tensor([1.0, 2.0, 3.0])).tolist()
    [1.0, 2.0, 6.0]
    """
    return _cumulative(a, axis, "cumprod", Cumprod)
