"""``Input`` and ``InputLayer``: where a functional model's data comes in.

``Input(shape=(784,))`` returns a :class:`~tinygrad_edu.nn.symbolic.SymbolicTensor` of shape
``(None, 784)`` made by an ``InputLayer``; layers called on it record the graph that
``Model(inputs, outputs)`` runs. As in Keras, ``shape`` leaves the batch axis out.

>>> from tinygrad_edu.nn import Input
>>> image = Input(shape=(28, 28, 1), name="image")
>>> image.shape, image.name
((None, 28, 28, 1), 'image')
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.nn.module import Module
from tinygrad_edu.nn.symbolic import Node, SymbolicTensor

__all__ = ["Input", "InputLayer"]


def _checked_shape(shape, batch_shape, who: str) -> tuple:
    if batch_shape is not None:
        if shape is not None:
            raise ValueError(f"{who}: give shape= or batch_shape=, not both")
        batch_shape = tuple(batch_shape)
        if not batch_shape:
            raise ValueError(f"{who}: batch_shape must have a batch axis, got ()")
        return batch_shape
    if shape is None:
        raise ValueError(f"{who}: shape is required (without the batch axis), e.g. "
                         "Input(shape=(784,))")
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
            size is None or (isinstance(size, (int, np.integer)) and not isinstance(size, bool)
                             and size >= 1) for size in shape):
        raise ValueError(f"{who}: shape must be a tuple of sizes >= 1 (or None) without the "
                         f"batch axis, e.g. shape=(28, 28, 1), got {shape!r}")
    return (None, *shape)


class InputLayer(Module):
    """The layer behind ``Input``: passes its input through unchanged.

    Args:
        shape: the shape of one sample (no batch axis); ``None`` marks an axis of any size.
        batch_size: a fixed batch size, or None.
        dtype: the dtype of the data (default float32).
        batch_shape: the full shape, batch axis included (instead of ``shape``).
        name: default ``input_layer``, ``input_layer_1``...

    >>> layer = InputLayer(shape=(3,))
    >>> layer.output.shape
    (None, 3)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 **kwargs):
        kwargs.pop("sparse", None)  # Keras's options without meaning here
        kwargs.pop("ragged", None)
        if "input_shape" in kwargs and shape is None:  # the Keras 2 spelling
            shape = kwargs.pop("input_shape")
        if kwargs:
            raise TypeError(f"InputLayer: unknown argument(s) {', '.join(sorted(kwargs))}")
        super().__init__(name=name)
        full = _checked_shape(shape, batch_shape, "InputLayer")
        if batch_size is not None:
            full = (int(batch_size), *full[1:])
        self.batch_shape = full
        self.dtype = str(np.dtype(dtype or "float32"))
        object.__setattr__(self, "_inbound_nodes", [])
        node = Node(self, None, None)
        node.outputs = SymbolicTensor((None, *full[1:]), self.dtype, node, 0)
        self._inbound_nodes.append(node)
        self._mark_built(full)
        self._output_shape = (None, *full[1:])

    @property
    def output(self) -> SymbolicTensor:
        """The symbolic tensor that ``Input`` returns."""
        return self._inbound_nodes[0].outputs

    def forward(self, x):
        return x

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def Input(shape=None, batch_size=None, *, name=None, dtype=None, batch_shape=None,  # noqa: N802
          **kwargs):
    """A symbolic input of ``shape`` (no batch axis), Keras's ``keras.Input``.

    Args:
        shape: the shape of one sample, e.g. ``(28, 28, 1)``; ``None`` for any size.
        batch_size: a fixed batch size, or None.
        name: the input's name; ``fit``/``predict`` accept a dict keyed by it.
        dtype: the data's dtype (default float32).
        batch_shape: the full shape with the batch axis, instead of ``shape``.

    >>> Input((4,), name="x")
    <SymbolicTensor shape=(None, 4) dtype=float32 from x (InputLayer)>
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                      name=name, **kwargs).output
