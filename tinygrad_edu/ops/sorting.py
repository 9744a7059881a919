"""Order statistics: sort, argsort, topk, argmax and argmin.

Indices are integer tensors outside the graph. Sorted values are differentiable: they are
``take_along_axis(a, argsort(a))``, so each value's gradient flows back to the element it came
from (a permutation, so no gradient is lost or shared). Ties keep their original order
(a stable sort), so equal values map back to distinct positions.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.ops.axes import normalize_axis
from tinygrad_edu.ops.indexing import take_along_axis
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["sort", "argsort", "topk", "argmax", "argmin"]


def _order(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable ascending (or descending) order of ``data`` along ``axis``; NaN sorts last
    ascending and first descending, as if it were the largest value (PyTorch's rule)."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    # Sorting the reversed array ascending and reversing back keeps ties in original order.
    n = data.shape[axis]
    flipped = np.flip(data, axis)
    order = np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis)
    return n - 1 - order


def _one_axis(a, axis, op: str):
    a = as_tensor(a)
    axis = normalize_axis(axis, a.ndim, op)
    return (a.reshape(1), 0, True) if a.ndim == 0 else (a, axis, False)


def argsort(a, axis: int = -1, descending: bool = False) -> Tensor:
    """The indices that sort ``a`` along ``axis`` (stable: ties keep their order).

    >>> import tinygrad_edu as tg
    >>> argsort(tg.Tensor([3.0, 1.0, 2.0])).tolist()
    [1, 2, 0]
    """
    a, axis, scalar = _one_axis(a, axis, "argsort")
    order = Tensor._wrap(_order(a.data, axis, descending))
    return order.reshape(()) if scalar else order


def sort(a, axis: int = -1, descending: bool = False) -> Tensor:
    """``a`` sorted along ``axis``; differentiable (each value's gradient goes back to the
    element it came from).

    >>> import tinygrad_edu as tg
    >>> sort(tg.Tensor([3.0, 1.0, 2.0])).tolist()
    [1.0, 2.0, 3.0]
    """
    a, axis, scalar = _one_axis(a, axis, "sort")
    values = take_along_axis(a, Tensor._wrap(_order(a.data, axis, descending)), axis)
    return values.reshape(()) if scalar else values


def topk(a, k: int, axis: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) values along ``axis`` and their indices.

    Returns:
        (values, indices): values differentiable, in descending order for ``largest`` (else
        ascending); ``sorted=False`` is accepted for PyTorch's signature, the order is the
        same.

    >>> import tinygrad_edu as tg
    >>> values, indices = topk(tg.Tensor([1.0, 5.0, 3.0]), 2)
    >>> values.tolist(), indices.tolist()
    ([5.0, 3.0], [1, 2])
    """
    a, axis, scalar = _one_axis(a, axis, "topk")
    size = a.shape[axis]
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
        raise ValueError(f"topk: k must be an integer from 0 to the axis size {size}, got {k}")
    order = _order(a.data, axis, descending=largest)
    indices = Tensor._wrap(np.take(order, np.arange(k), axis=axis))
    values = take_along_axis(a, indices, axis)
    if scalar and k == 1:  # a 0-d input gives 0-d results, as in PyTorch
        return values.reshape(()), indices.reshape(())
    return values, indices


def _arg_extreme(a, axis, keepdims, pick, op: str) -> Tensor:
    a = as_tensor(a)
    if a.size == 0:
        raise ValueError(f"{op}: the tensor is empty, there is no extreme value to point at")
    if axis is None:
        index = np.asarray(pick(a.data))
        return Tensor._wrap(index.reshape((1,) * a.ndim) if keepdims else index)
    axis = normalize_axis(axis, a.ndim, op)
    if a.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    return Tensor._wrap(np.asarray(pick(a.data, axis=axis, keepdims=keepdims)))


def argmax(a, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the largest value along ``axis`` (of the flattened tensor for None); the first
    one on ties.

    >>> import tinygrad_edu as tg
    >>> argmax(tg.Tensor([[1.0, 2.0], [4.0, 3.0]]), axis=1, keepdims=True).tolist()
    [[1], [0]]
    """
    return _arg_extreme(a, axis, keepdims, np.argmax, "argmax")


def argmin(a, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the smallest value along ``axis`` (of the flattened tensor for None)."""
    return _arg_extreme(a, axis, keepdims, np.argmin, "argmin")
