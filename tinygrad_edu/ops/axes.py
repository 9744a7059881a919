"""The one place where axis arguments are checked and made non-negative.

Every op that takes an axis goes through these two functions, so every op follows the same
rules (numpy's and PyTorch's):

* an axis of a tensor with ``n`` dims lies in ``-n .. n-1``; a negative axis counts from the
  end (``-1`` is the last axis);
* a 0-d tensor accepts axis ``0`` and ``-1`` as if it had one axis of size 1 (PyTorch's rule),
  so ``sum(Tensor(3.0), axis=0)`` is ``3.0``;
* an axis out of range, a repeated axis or a non-integer axis is a ``ValueError`` that names
  the op, the axis and the valid range; nothing wraps around silently.

>>> normalize_axis(-1, 3, "softmax")
2
>>> normalize_axes((0, -1), 3, "sum")
(0, 2)
>>> normalize_axes(0, 0, "sum")   # a 0-d tensor: nothing to reduce
()
"""

from __future__ import annotations

import numpy as np

__all__ = ["normalize_axis", "normalize_axes"]


def _check_integer(axis, op: str) -> int:
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"{op}: an axis must be an integer, got {axis!r}")
    return int(axis)


def normalize_axis(axis, ndim: int, op: str, *, inserting: bool = False) -> int:
    """One axis as a non-negative int, checked against ``ndim``.

    Args:
        axis: the axis as given by the user (negative counts from the end).
        ndim: the number of dims of the tensor.
        op: the op's name, for the error message.
        inserting: the axis is a position for a new axis (``unsqueeze``, ``stack``): then
            ``ndim + 1`` positions are valid.

    Raises:
        ValueError: naming the op, the axis and the valid range.
    """
    axis = _check_integer(axis, op)
    positions = ndim + 1 if inserting else max(ndim, 1)
    if not -positions <= axis < positions:
        what = "position for a new axis" if inserting else "axis"
        raise ValueError(
            f"{op}: {what} {axis} is out of range for a tensor with {ndim} dim(s); "
            f"valid values are {-positions} to {positions - 1}"
        )
    return axis % positions


def normalize_axes(axis, ndim: int, op: str) -> tuple | None:
    """``axis`` (an int, a sequence of ints or None) as a sorted tuple of non-negative ints.

    None (every axis) stays None. On a 0-d tensor a valid axis selects nothing, so the
    result is ``()``: reducing a 0-d tensor over its "axis 0" leaves it as it is.
    """
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    result = [normalize_axis(a, ndim, op) for a in axes]
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: axis {axis} repeats an axis")
    if ndim == 0:
        return ()
    return tuple(sorted(result))
