"""Rounding, remainder and floor division.

floor, ceil, round and trunc are flat between jumps: their derivative is 0 wherever it exists
(and undefined at the jumps). Their backward passes therefore return zeros, as PyTorch's do,
so a rounded value can sit inside a graph without breaking it; no gradient flows through it.
Integer inputs are returned unchanged (they are already whole numbers).

``a % b`` is the remainder with the sign of ``b`` (Python's, numpy's ``mod`` and PyTorch's
``remainder``): a - floor(a / b) * b. ``a // b`` = floor(a / b) is piecewise constant in both
operands, so its result is not differentiable and leaves the graph (``requires_grad=False``).
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.dtypes import reject_booleans
from tinygrad_edu.ops.elementwise import _BROADCAST_HINT
from tinygrad_edu.tensor import Tensor, as_tensor, operands

__all__ = ["floor", "ceil", "round", "trunc", "remainder", "floor_divide"]


class _Flat(Function):
    """A piecewise-constant elementwise function.   da = 0 (zeros of a's shape)."""

    _rule = None

    def forward(self, a):
        return type(self)._rule(a)

    def backward(self, g):
        return Tensor._wrap(np.zeros(g.shape, dtype=g.data.dtype))


class Floor(_Flat):
    """y = the largest integer <= a.   da = 0."""

    _rule = staticmethod(np.floor)


class Ceil(_Flat):
    """y = the smallest integer >= a.   da = 0."""

    _rule = staticmethod(np.ceil)


class Round(_Flat):
    """y = a rounded to ``decimals`` places, halves to even (numpy's and PyTorch's rule:
    round(0.5) = 0, round(1.5) = 2).   da = 0."""

    def forward(self, a, decimals):
        return np.round(a, decimals)


class Trunc(_Flat):
    """y = a rounded towards 0.   da = 0."""

    _rule = staticmethod(np.trunc)


class Remainder(Function):
    """y = a - floor(a / b) * b (the sign of b).   da = g,  db = -g * floor(a / b)."""

    hint = _BROADCAST_HINT

    def forward(self, a, b):
        self.quotient = np.floor_divide(a, b)
        return np.mod(a, b)

    def backward(self, g):
        a, b = self.inputs
        grad_b = -g * Tensor._wrap(self.quotient.astype(g.data.dtype)) if b.requires_grad else None
        return (g if a.requires_grad else None), grad_b


def _whole(a, rule_class, **params):
    a = as_tensor(a)
    if a.data.dtype.kind in "biu":
        return a
    return rule_class.apply(a, **params)


def floor(a):
    """Round down to a whole number; zero gradient.

    >>> import tinygrad_edu as tg
    >>> floor(tg.Tensor([-1.5, 1.5])).tolist()
    [-2.0, 1.0]
    """
    return _whole(a, Floor)


def ceil(a):
    """Round up to a whole number; zero gradient."""
    return _whole(a, Ceil)


def round(a, decimals: int = 0):  # noqa: A001 - numpy's and PyTorch's name
    """Round to ``decimals`` places, halves to even; zero gradient.

    >>> import tinygrad_edu as tg
    >>> round(tg.Tensor([0.5, 1.5, 2.5, -0.5])).tolist()
    [0.0, 2.0, 2.0, -0.0]
    """
    return _whole(a, Round, decimals=int(decimals))


def trunc(a):
    """Round towards zero; zero gradient.

    >>> import tinygrad_edu as tg
    >>> trunc(tg.Tensor([-1.5, 1.5])).tolist()
    [-1.0, 1.0]
    """
    return _whole(a, Trunc)


def remainder(a, b):
    """a % b with the sign of b, broadcasting (``-7 % 3 == 2``).

    >>> import tinygrad_edu as tg
    >>> (tg.Tensor([-7.0, 7.0]) % 3).tolist()
    [2.0, 1.0]
    """
    a, b = operands(a, b)
    reject_booleans("remainder", a, b)
    return Remainder.apply(a, b)


def floor_divide(a, b):
    """a // b = floor(a / b), broadcasting. Not differentiable: the result leaves the graph.

    >>> import tinygrad_edu as tg
    >>> (tg.Tensor([-7.0, 7.0]) // 3).tolist()
    [-3.0, 2.0]
    """
    a, b = operands(a, b)
    reject_booleans("floor_divide", a, b)
    try:
        return Tensor._wrap(np.floor_divide(a.data, b.data))
    except ValueError:
        raise ValueError(f"floor_divide: shapes {a.shape} and {b.shape} do not broadcast") from None
