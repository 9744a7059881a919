"""Tests of values: NaN/inf checks, approximate equality, and any/all over axes.

Their results are boolean tensors outside the graph (a truth value has no gradient), to be
used as masks (``where``, ``masked_fill``) or turned into Python bools with ``bool(t)``.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.ops.axes import normalize_axes
from tinygrad_edu.tensor import Tensor, as_tensor, operands

__all__ = ["isnan", "isinf", "isfinite", "isclose", "any", "all"]


def isnan(a) -> Tensor:
    """True where ``a`` is NaN (never for integer tensors)."""
    return Tensor._wrap(np.isnan(as_tensor(a).data))


def isinf(a) -> Tensor:
    """True where ``a`` is +inf or -inf."""
    return Tensor._wrap(np.isinf(as_tensor(a).data))


def isfinite(a) -> Tensor:
    """True where ``a`` is neither NaN nor infinite."""
    return Tensor._wrap(np.isfinite(as_tensor(a).data))


def isclose(a, b, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """True where |a - b| <= atol + rtol * |b| (broadcasting; numpy's and PyTorch's defaults).

    >>> import tinygrad_edu as tg
    >>> isclose(tg.Tensor([1.0, 2.0]), tg.Tensor([1.0 + 1e-7, 2.1])).tolist()
    [True, False]
    """
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose: rtol and atol must be >= 0, got rtol={rtol}, atol={atol}")
    a, b = operands(a, b)
    try:
        return Tensor._wrap(np.isclose(a.data, b.data, rtol=rtol, atol=atol,
                                       equal_nan=equal_nan))
    except ValueError:
        raise ValueError(f"isclose: shapes {a.shape} and {b.shape} do not broadcast") from None


def _truth_reduction(a, axis, keepdims, ufunc, op: str) -> Tensor:
    a = as_tensor(a)
    axes = normalize_axes(axis, a.ndim, op)
    return Tensor._wrap(np.asarray(ufunc.reduce(a.data.astype(bool, copy=False), axis=axes,
                                                keepdims=keepdims)))


def any(a, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - numpy's and PyTorch's name
    """True where some element over ``axis`` is nonzero (False over no elements).

    >>> import tinygrad_edu as tg
    >>> any(tg.Tensor([[1.0, 2.0], [3.0, 4.0]]) > 3, axis=0).tolist()
    [False, True]
    """
    return _truth_reduction(a, axis, keepdims, np.logical_or, "any")


def all(a, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    """True where every element over ``axis`` is nonzero (True over no elements)."""
    return _truth_reduction(a, axis, keepdims, np.logical_and, "all")
