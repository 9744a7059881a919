"""Ops that rearrange or copy whole slices: flip, roll, repeat, tile, split, chunk.

All are compositions of indexing, concatenation and reshaping, so their gradients come from
those ops' rules: a flipped gradient flows back flipped, a repeated element collects the
gradient of each of its copies (indexing's backward adds at repeated indices).
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.ops.axes import normalize_axes, normalize_axis
from tinygrad_edu.ops.shape import concatenate, getitem
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["flip", "roll", "repeat", "tile", "split", "chunk"]


def flip(a, axis=None):
    """Reverse the order of elements along ``axis`` (an int, a tuple, or None for all).

    >>> import tinygrad_edu as tg
    >>> flip(tg.Tensor([[1.0, 2.0], [3.0, 4.0]]), 1).tolist()
    [[2.0, 1.0], [4.0, 3.0]]
    """
    a = as_tensor(a)
    axes = normalize_axes(axis, a.ndim, "flip")
    axes = range(a.ndim) if axes is None else axes
    if not axes:
        return a
    return getitem(a, tuple(slice(None, None, -1) if d in axes else slice(None)
                            for d in range(a.ndim)))


def roll(a, shift, axis=None):
    """Shift elements along ``axis`` by ``shift``, wrapping around (numpy's ``roll``).

    With ``axis=None`` the tensor is rolled as if flattened, then given its shape back.
    ``shift`` and ``axis`` may be tuples of the same length.

    >>> import tinygrad_edu as tg
    >>> roll(tg.Tensor([1.0, 2.0, 3.0, 4.0]), 1).tolist()
    [4.0, 1.0, 2.0, 3.0]
    """
    a = as_tensor(a)
    if axis is None:
        return roll(a.reshape(-1), shift, 0).reshape(a.shape)
    shifts = tuple(shift) if isinstance(shift, (tuple, list)) else (shift,)
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: got {len(shifts)} shifts for {len(axes)} axes; give one each")
    if not all(isinstance(s, (int, np.integer)) for s in shifts):
        raise ValueError(f"roll: shifts must be integers, got {shift}")
    for s, ax in zip(shifts, axes):
        ax = normalize_axis(ax, a.ndim, "roll")
        n = a.shape[ax] if a.ndim else 0
        s = int(s) % n if n else 0
        if s:  # the last s elements move to the front
            before = (slice(None),) * ax
            a = concatenate([getitem(a, before + (slice(n - s, None),)),
                             getitem(a, before + (slice(0, n - s),))], axis=ax)
    return a


def repeat(a, repeats, axis=None):
    """Repeat each element ``repeats`` times along ``axis`` (numpy's ``repeat``; PyTorch's
    ``repeat_interleave``). ``repeats`` is an int or one count per element; ``axis=None``
    repeats the flattened tensor. (PyTorch's ``Tensor.repeat`` copies the whole tensor: that
    is :func:`tile` here.)

    >>> import tinygrad_edu as tg
    >>> repeat(tg.Tensor([1.0, 2.0]), 2).tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    a = as_tensor(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis = normalize_axis(axis, a.ndim, "repeat")
    if a.ndim == 0:
        a = a.reshape(1)
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or (counts < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative integers, got {repeats}")
    if counts.ndim > 1 or (counts.ndim == 1 and counts.size not in (1, a.shape[axis])):
        raise ValueError(f"repeat: {counts.size} repeat counts for an axis of size "
                         f"{a.shape[axis]}; give one int or one count per element")
    positions = np.repeat(np.arange(a.shape[axis]), counts)
    return getitem(a, (slice(None),) * axis + (positions,))


def tile(a, reps):
    """Repeat the whole tensor ``reps[d]`` times along each axis d (numpy's ``tile``).

    When ``reps`` has more entries than ``a`` has dims, ``a`` gets leading axes of size 1.

    >>> import tinygrad_edu as tg
    >>> tile(tg.Tensor([1.0, 2.0]), (2, 2)).tolist()
    [[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]]
    """
    a = as_tensor(a)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    if any(not isinstance(r, (int, np.integer)) or r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative integers, got {reps}")
    ndim = max(a.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    a = a.reshape((1,) * (ndim - a.ndim) + a.shape)
    # Copy along a new axis before each axis, then merge each pair: [r0, n0, r1, n1, ...].
    expanded = a.reshape(tuple(x for n in a.shape for x in (1, n)))
    target = tuple(x for r, n in zip(reps, a.shape) for x in (r, n))
    return expanded.broadcast_to(target).reshape(tuple(r * n for r, n in zip(reps, a.shape)))


def split(a, indices_or_sections, axis: int = 0) -> list[Tensor]:
    """Split along ``axis`` (numpy's rule): an int k gives k equal parts (k must divide the
    size); a list of positions gives the parts between them.

    >>> import tinygrad_edu as tg
    >>> [p.tolist() for p in split(tg.Tensor([1.0, 2.0, 3.0, 4.0]), [1, 3])]
    [[1.0], [2.0, 3.0], [4.0]]
    """
    a = as_tensor(a)
    axis = normalize_axis(axis, a.ndim, "split")
    if a.ndim == 0:
        raise ValueError("split: a 0-d tensor has no axis to split")
    size = a.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or size % sections:
            raise ValueError(f"split: {sections} equal parts do not fit an axis of size {size}; "
                             "give split positions instead, or use chunk()")
        bounds = [size // sections * i for i in range(sections + 1)]
    else:
        bounds = [0, *[min(max(int(i), 0), size) for i in indices_or_sections], size]
    return [getitem(a, (slice(None),) * axis + (slice(start, max(start, stop)),))
            for start, stop in zip(bounds[:-1], bounds[1:])]


def chunk(a, chunks: int, axis: int = 0) -> list[Tensor]:
    """Split into ``chunks`` parts of ceil(size / chunks) elements, the last one smaller
    (PyTorch's rule; there may be fewer parts when the size is small).

    >>> import tinygrad_edu as tg
    >>> [part.tolist() for part in chunk(tg.Tensor([1.0, 2.0, 3.0, 4.0, 5.0]), 2)]
    [[1.0, 2.0, 3.0], [4.0, 5.0]]
    """
    a = as_tensor(a)
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive integer, got {chunks}")
    axis = normalize_axis(axis, a.ndim, "chunk")
    if a.ndim == 0:
        raise ValueError("chunk: a 0-d tensor has no axis to split")
    size = a.shape[axis]
    step = -(-size // chunks) if size else 1
    return split(a, list(range(step, size, step)), axis)
