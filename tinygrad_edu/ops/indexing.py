"""Picking values by index along an axis, and masking.

``take_along_axis(a, indices, axis)`` picks, for every position of ``indices``, the element of
``a`` at that index along ``axis`` (numpy's function; PyTorch's ``gather`` with its argument
order is :func:`gather`). Its backward scatters each gradient value back to where it was
picked, adding where an index repeats; the scatter is an op itself, so picking is twice
differentiable. ``masked_fill``, ``tril`` and ``triu`` are ``where`` with a mask.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.axes import normalize_axis
from tinygrad_edu.ops.elementwise import where
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["take_along_axis", "gather", "masked_fill", "tril", "triu"]


class TakeAlongAxis(Function):
    """y[..., i, ...] = a[..., indices[..., i, ...], ...] along ``axis``.

    da = zeros like a with g added at the picked positions (``ScatterAddAlongAxis``).
    """

    hint = "indices must be an integer tensor with a's number of dims, broadcasting with a"

    def forward(self, a, indices, axis):
        self.axis = axis
        return np.take_along_axis(a, indices, axis=axis)

    def backward(self, g):
        a, indices = self.inputs
        return ScatterAddAlongAxis.apply(g, indices, shape=a.shape, axis=self.axis), None


class ScatterAddAlongAxis(Function):
    """y = zeros(shape) with y[..., indices[..., i, ...], ...] += a[..., i, ...] along ``axis``.

    da = g picked at the same positions (``TakeAlongAxis``).
    """

    def forward(self, a, indices, shape, axis):
        self.axis = axis
        out = np.zeros(shape, dtype=a.dtype)
        # Broadcast indices and values against each other as take_along_axis did.
        target = np.broadcast_shapes(a.shape, indices.shape)
        values = np.broadcast_to(a, target)
        index = np.broadcast_to(indices, target)
        grid = list(np.indices(target, sparse=True))
        grid[axis] = index
        np.add.at(out, tuple(grid), values)
        return out

    def backward(self, g):
        _, indices = self.inputs
        return TakeAlongAxis.apply(g, indices, axis=self.axis), None


def _check_indices(indices, size: int, op: str) -> Tensor:
    indices = as_tensor(indices)
    if indices.data.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {indices.data.dtype}")
    if indices.size and (indices.data.min() < -size or indices.data.max() >= size):
        raise ValueError(
            f"{op}: an index is out of range for an axis of size {size} (valid: {-size} to "
            f"{size - 1}); got indices from {indices.data.min()} to {indices.data.max()}"
        )
    return Tensor._wrap(np.where(indices.data < 0, indices.data + size, indices.data))


def take_along_axis(a, indices, axis: int):
    """Pick values of ``a`` at ``indices`` along ``axis`` (numpy's ``take_along_axis``).

    ``indices`` has a's number of dims; its other axes broadcast against a's.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
    >>> take_along_axis(x, tg.Tensor([[2], [0]]), axis=1).tolist()
    [[30.0], [40.0]]
    """
    a = as_tensor(a)
    axis = normalize_axis(axis, a.ndim, "take_along_axis")
    if a.ndim == 0:
        raise ValueError("take_along_axis: needs a tensor with at least 1 dim, got a 0-d one")
    indices = _check_indices(indices, a.shape[axis], "take_along_axis")
    if indices.ndim != a.ndim:
        raise ValueError(
            f"take_along_axis: indices need the same number of dims as the tensor "
            f"({a.ndim}, shape {a.shape}), got shape {indices.shape}"
        )
    return TakeAlongAxis.apply(a, indices, axis=axis)


def gather(a, axis: int, index):
    """PyTorch's ``gather``: out[i][j] = a[index[i][j]][j] for axis 0 (and so on).

    ``index`` has a's number of dims and, along every other axis, at most a's size: the
    leading part of ``a`` along those axes is used (take_along_axis broadcasts instead).

    >>> import tinygrad_edu as tg
    >>> gather(tg.Tensor([[1.0, 2.0], [3.0, 4.0]]), 1, [[1], [0]]).tolist()
    [[2.0], [3.0]]
    """
    a = as_tensor(a)
    axis = normalize_axis(axis, a.ndim, "gather")
    index = as_tensor(index)
    if index.ndim != a.ndim:
        raise ValueError(f"gather: index needs {a.ndim} dims like the tensor (shape {a.shape}), "
                         f"got shape {index.shape}")
    for d, (n_index, n_a) in enumerate(zip(index.shape, a.shape)):
        if d != axis and n_index > n_a:
            raise ValueError(f"gather: index shape {index.shape} exceeds the tensor's shape "
                             f"{a.shape} along axis {d}")
    if a.ndim == 0:
        return take_along_axis(a.reshape(1), index.reshape(1), 0).reshape(())
    if any(d != axis and n != a.shape[d] for d, n in enumerate(index.shape)):
        a = a[tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))]
    return take_along_axis(a, index, axis)


def masked_fill(a, mask, value):
    """``a`` with ``value`` where ``mask`` is true (mask broadcasts against a).

    da = g where the mask is false, 0 where it is true.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> masked_fill(x, tg.Tensor([True, False]), 0.0).tolist()
    [[0.0, 2.0], [0.0, 4.0]]
    """
    a = as_tensor(a)
    mask = as_tensor(mask)
    if mask.data.dtype != np.bool_:
        raise TypeError(f"masked_fill: the mask must be boolean, got dtype {mask.data.dtype}")
    if _broadcast_shape(mask.shape, a.shape) != a.shape:
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to the "
                         f"tensor's shape {a.shape}")
    return where(mask, Tensor._wrap(np.asarray(value, dtype=a.data.dtype)), a)


def _broadcast_shape(*shapes) -> tuple | None:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


def _triangle(a, k: int, op: str, keep) -> Tensor:
    a = as_tensor(a)
    if a.ndim < 2:
        raise ValueError(f"{op}: needs a matrix (or a batch of them), got shape {a.shape}")
    rows, cols = a.shape[-2:]
    mask = Tensor._wrap(keep(np.ones((rows, cols), dtype=bool), int(k)))
    zero = Tensor._wrap(np.zeros((), dtype=a.data.dtype))
    return where(mask, a, zero)


def tril(a, k: int = 0):
    """The lower triangle of the last two axes: elements with column - row <= k, others 0.

    >>> import tinygrad_edu as tg
    >>> tril(tg.Tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[1.0, 0.0], [3.0, 4.0]]
    """
    return _triangle(a, k, "tril", np.tril)


def triu(a, k: int = 0):
    """The upper triangle of the last two axes: elements with column - row >= k, others 0.

    >>> import tinygrad_edu as tg
    >>> triu(tg.Tensor([[1.0, 2.0], [3.0, 4.0]]), 1).tolist()
    [[0.0, 2.0], [0.0, 0.0]]
    """
    return _triangle(a, k, "triu", np.triu)
