"""Mini-batches of numpy arrays, and one-hot labels.

:class:`DataLoader` is what an explicit training loop iterates over::

    loader = DataLoader(x_train, y_train, batch_size=32, shuffle=True, seed=0)
    for epoch in range(10):
        for x_batch, y_batch in loader:      # a new order every epoch
            ...

Each batch is cut from the arrays with one numpy indexing operation (a slice when not
shuffling, so no copy at all), never by looping over samples in Python.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from tinygrad_edu.random import generator

__all__ = ["DataLoader", "to_categorical"]


def _as_array(name: str, value) -> np.ndarray:
    array = np.asarray(value)  # Tensors convert through __array__ without copying
    if array.ndim == 0:
        raise ValueError(f"DataLoader: {name} must have a sample axis, got a scalar")
    return array


class DataLoader:
    """Iterate over ``(x_batch, y_batch)`` numpy mini-batches (or ``x_batch`` alone when
    ``y`` is None).

    Args:
        x: inputs; axis 0 indexes samples. Anything ``np.asarray`` accepts (Tensors too).
        y: targets with the same number of samples, or None.
        batch_size: samples per batch; the last batch is smaller unless ``drop_last``.
        shuffle: draw a fresh random order at the start of every pass.
        drop_last: skip the final incomplete batch (useful with BatchNormalization, whose
            statistics are noisy on a batch of 1).
        seed: int: a private generator, created once, so pass k is the same in every run
            while passes still differ from each other. None: the framework's shared
            generator (reproducible through ``tinygrad_edu.manual_seed``).

    >>> import numpy as np
    >>> loader = DataLoader(np.arange(10), np.arange(10) * 10, batch_size=4, shuffle=False)
    >>> len(loader), [xb.tolist() for xb, yb in loader]
    (3, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    """

    def __init__(self, x, y=None, batch_size=32, shuffle=True, drop_last=False, seed=None):
        self.x = _as_array("x", x)
        self.y = None if y is None else _as_array("y", y)
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(
                f"DataLoader: x has {len(self.x)} samples (shape {self.x.shape}) but y has "
                f"{len(self.y)} (shape {self.y.shape}); they must match along axis 0"
            )
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be an int >= 1, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._rng = None if seed is None else np.random.default_rng(seed)

    @property
    def num_samples(self) -> int:
        return len(self.x)

    def __len__(self) -> int:
        """Number of batches in one pass."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self):
        count = len(self) * self.batch_size if self.drop_last else self.num_samples
        if self.shuffle:
            rng = self._rng if self._rng is not None else generator()
            order = rng.permutation(self.num_samples)
        for start in range(0, count, self.batch_size):
            stop = min(start + self.batch_size, count)
            # A slice is a view; an index array gathers the batch in one numpy call.
            index = order[start:stop] if self.shuffle else slice(start, stop)
            if self.y is None:
                yield self.x[index]
            else:
                yield self.x[index], self.y[index]

    def __repr__(self) -> str:
        return (
            f"DataLoader(samples={self.num_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})"
        )


def to_categorical(y, num_classes=None) -> np.ndarray:
    """One-hot encode integer class labels, as Keras's ``to_categorical``.

    ``out[..., k] = 1.0`` where ``y == k``, else 0. A trailing axis of size 1 is dropped
    first (labels shaped (n, 1) give (n, num_classes)), like Keras.

    Args:
        y: integer labels (or floats holding whole numbers), any shape.
        num_classes: number of classes; default ``max(y) + 1``.

    Returns:
        float32 array of shape ``y.shape + (num_classes,)``.

    Raises:
        ValueError: negative, non-whole or too-large labels.

    >>> to_categorical([0, 2, 1], 3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    labels = np.asarray(y)
    if labels.dtype.kind not in "biuf":
        raise TypeError(f"to_categorical: labels must be integers, got dtype {labels.dtype}")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError("to_categorical: float labels must be whole numbers (0.0, 1.0, ...)")
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, found {labels.min()}")
    largest = int(labels.max()) if labels.size else -1
    if num_classes is None:
        num_classes = largest + 1
    elif not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"to_categorical: num_classes must be an int >= 1, got {num_classes!r}")
    elif largest >= num_classes:
        raise ValueError(
            f"to_categorical: label {largest} does not fit num_classes={num_classes} "
            f"(labels must be 0..{num_classes - 1})"
        )
    # Row k of the identity matrix is the one-hot vector of class k.
    return np.eye(int(num_classes), dtype=np.float32)[labels]
