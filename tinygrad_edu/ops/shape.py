"""Ops that move values around without changing them. ``g = dL/dy`` as elsewhere.

Each backward puts every gradient value back where its forward took the value from: reshape
reshapes back, transpose transposes back, indexing scatters (adding where an index repeats).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.autograd import Function, unbroadcast
from tinygrad_edu.ops.axes import normalize_axes, normalize_axis
from tinygrad_edu.tensor import Tensor, as_tensor


class Reshape(Function):
    """y = a viewed with a new shape.   da = g reshaped to a's shape."""

    hint = "The new shape must hold the same number of elements (one axis may be -1)"

    def forward(self, a, shape):
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.inputs[0].shape)


class Transpose(Function):
    """y = a with its axes permuted by ``axes``.   da = g permuted by the inverse of ``axes``."""

    hint = "axes must be a permutation of 0..ndim-1"

    def forward(self, a, axes):
        self.axes = axes
        return a.transpose(axes)

    def backward(self, g):
        return g.transpose(tuple(np.argsort(self.axes)))


class BroadcastTo(Function):
    """y = a repeated along broadcast axes.   da = g summed over them (``unbroadcast``)."""

    hint = "Target shape must be broadcast-compatible with the tensor's shape"

    def forward(self, a, shape):
        return broadcast_array(a, shape)

    def backward(self, g):
        return unbroadcast(g, self.inputs[0].shape)


_SMALL = 4096  # elements up to which BroadcastTo copies instead of making a view


def broadcast_array(a: np.ndarray, shape: tuple) -> np.ndarray:
    """``a`` broadcast to ``shape`` as a numpy array: a copy when small (``np.broadcast_to``
    costs ~3 us, a small copy far less), else a read-only view (no copy of large data)."""
    if math.prod(shape) <= _SMALL:
        out = np.empty(shape, dtype=a.dtype)
        out[...] = a
        return out
    return np.broadcast_to(a, shape)


class GetItem(Function):
    """y = a[index].   da = zeros like a, with g added at ``index`` (``IndexAdd``)."""

    hint = "Index must fit the tensor's shape"

    def forward(self, a, index):
        self.index = index
        return a[index]

    def backward(self, g):
        return IndexAdd.apply(g, shape=self.inputs[0].shape, index=self.index)


class IndexAdd(Function):
    """y = zeros(shape) with y[index] += a (repeated indices add up).   da = g[index].

    This is the backward of indexing; being an op itself makes indexing twice differentiable.
    """

    def forward(self, a, shape, index):
        self.index = index
        out = np.zeros(shape, dtype=a.dtype)
        if _indexes_each_element_once(index):
            out[index] = a
        else:
            np.add.at(out, index, a)
        return out

    def backward(self, g):
        return GetItem.apply(g, index=self.index)


class Concatenate(Function):
    """y = inputs joined along ``axis``.   d(input_k) = the slice of g that input_k filled."""

    hint = "All inputs need the same number of dims and equal sizes except along axis"

    def forward(self, *arrays, axis):
        self.axis = axis
        return np.concatenate(arrays, axis=axis)

    def backward(self, g):
        grads, start = [], 0
        axis = self.axis
        for t in self.inputs:
            stop = start + t.shape[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            grads.append(GetItem.apply(g, index=index) if t.requires_grad else None)
            start = stop
        return tuple(grads)


class Pad(Function):
    """y = a surrounded by ``value`` (``pad_width`` as in numpy).   da = the middle of g."""

    hint = "pad_width takes one (before, after) pair per axis"

    def forward(self, a, pad_width, value):
        self.inner = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, a.shape))
        return np.pad(a, pad_width, constant_values=value)

    def backward(self, g):
        return GetItem.apply(g, index=self.inner)


def _indexes_each_element_once(index) -> bool:
    """True when no element can be selected twice (no integer-array index)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype != np.bool_:
            return False
        if isinstance(part, (list, tuple)):
            return False
    return True


def _clean_index(index):
    """Tensors and lists inside an index become numpy arrays (one behaviour for both)."""
    def clean(part):
        if isinstance(part, Tensor):
            return part.data
        if isinstance(part, list):
            return np.asarray(part)
        return part

    if isinstance(index, tuple):
        return tuple(clean(p) for p in index)
    return clean(index)


def reshape(a, *shape):
    """Same values, new shape; accepts ``reshape(a, (2, 3))`` or ``reshape(a, 2, 3)``."""
    a = as_tensor(a)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(n) for n in shape)
    if shape == a.shape:
        return a
    return Reshape.apply(a, shape=shape)


def transpose(a, *axes):
    """Permute axes (numpy semantics: no axes reverses them)."""
    a = as_tensor(a)
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if not axes:
        axes = tuple(range(a.ndim - 1, -1, -1))
    if len(axes) != a.ndim:
        raise ValueError(
            f"transpose: got {len(axes)} axes {axes} for a tensor of shape {a.shape}; give a "
            f"permutation of 0..{a.ndim - 1} (to swap two axes use swapaxes(a, i, j))"
        )
    axes = tuple(normalize_axis(x, a.ndim, "transpose") for x in axes) if a.ndim else ()
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(
            f"transpose: axes {axes} are not a permutation of 0..{a.ndim - 1} for shape "
            f"{a.shape}; to swap two axes use swapaxes(a, i, j)"
        )
    return Transpose.apply(a, axes=axes)


def swapaxes(a, axis1: int, axis2: int):
    """Exchange two axes."""
    a = as_tensor(a)
    axis1 = normalize_axis(axis1, a.ndim, "swapaxes")
    axis2 = normalize_axis(axis2, a.ndim, "swapaxes")
    if a.ndim == 0:
        return a
    axes = list(range(a.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return Transpose.apply(a, axes=tuple(axes))


def broadcast_to(a, shape):
    """Repeat ``a`` along axes of size 1 and new leading axes to reach ``shape``."""
    a = as_tensor(a)
    shape = tuple(shape)
    if shape == a.shape:
        return a
    return BroadcastTo.apply(a, shape=shape)


def squeeze(a, axis=None):
    """Drop axes of size 1 (all of them, or the given ones)."""
    a = as_tensor(a)
    if axis is None:
        return reshape(a, tuple(n for n in a.shape if n != 1))
    axes = normalize_axes(axis, a.ndim, "squeeze")
    for x in axes:
        if a.shape[x] != 1:
            raise ValueError(f"squeeze: axis {x} of shape {a.shape} has size {a.shape[x]}, not 1")
    return reshape(a, tuple(n for i, n in enumerate(a.shape) if i not in axes))


def unsqueeze(a, axis: int):
    """Insert an axis of size 1 at position ``axis`` (numpy's ``expand_dims``)."""
    a = as_tensor(a)
    axis = normalize_axis(axis, a.ndim, "unsqueeze", inserting=True)
    return reshape(a, a.shape[:axis] + (1,) + a.shape[axis:])


def flatten(a, start_axis: int = 0):
    """Merge the axes from ``start_axis`` on into one (``flatten(x, 1)`` keeps the batch).

    A 0-d tensor becomes a 1-element 1-D tensor; a size-0 tensor keeps its leading sizes.
    """
    a = as_tensor(a)
    start_axis = normalize_axis(start_axis, a.ndim, "flatten")
    if a.ndim == 0:
        return reshape(a, (1,))
    return reshape(a, a.shape[:start_axis] + (math.prod(a.shape[start_axis:]),))


def getitem(a, index):
    """a[index]: slices, integers, integer arrays (repeats allowed), boolean masks."""
    a = as_tensor(a)
    return GetItem.apply(a, index=_clean_index(index))


def concatenate(tensors, axis: int = 0):
    """Join tensors along an existing axis."""
    tensors = _same_dtype([as_tensor(t) for t in tensors], "concatenate")
    ndims = {t.ndim for t in tensors}
    if len(ndims) != 1 or 0 in ndims:
        shapes = [t.shape for t in tensors]
        raise ValueError(f"concatenate: needs tensors of at least 1 dim and equal ndim, got "
                         f"shapes {shapes}; use stack to join along a new axis")
    axis = normalize_axis(axis, tensors[0].ndim, "concatenate")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0):
    """Join tensors of equal shape along a new axis."""
    tensors = _same_dtype([as_tensor(t) for t in tensors], "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    axis = normalize_axis(axis, tensors[0].ndim, "stack", inserting=True)
    return Concatenate.apply(*[unsqueeze(t, axis) for t in tensors], axis=axis)


def pad(a, pad_width, value: float = 0.0):
    """Surround with a constant; ``pad_width`` is an int, a pair, or a pair per axis."""
    a = as_tensor(a)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (a.ndim, 2))
    if (widths < 0).any():
        raise ValueError(f"pad: widths must be >= 0, got {pad_width}")
    return Pad.apply(a, pad_width=tuple(map(tuple, widths.tolist())), value=value)


def _same_dtype(tensors, op: str):
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor")
    dtypes = {t.data.dtype for t in tensors}
    if len(dtypes) == 1:
        return tensors
    target = np.result_type(*dtypes)
    return [t if t.data.dtype == target else t.astype(target) for t in tensors]
