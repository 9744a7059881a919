"""Merge layers: one output from a list of inputs (Keras's ``Concatenate``, ``Add``, ...).

Each is called on a list, ``Add()([a, b])``, and checks the shapes when it is built:
``Concatenate`` needs equal sizes on every axis but ``axis``; the elementwise ones need
shapes that are equal or broadcast (a size 1 or ``None`` fits any size), batch axis apart.

>>> import tinygrad_edu as tg
>>> from tinygrad_edu.nn import Average, Concatenate
>>> a, b = tg.ones(2, 3), tg.zeros(2, 1)
>>> Concatenate()([a, b]).shape, Average()([a, b]).tolist()[0]
((2, 4), [0.5, 0.5, 0.5])
"""

from __future__ import annotations

from tinygrad_edu import ops
from tinygrad_edu.nn.module import Module
from tinygrad_edu.tensor import Tensor

__all__ = ["Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


def _shapes_text(shapes) -> str:
    return ", ".join(str(tuple(shape)) for shape in shapes)


class _Merge(Module):
    """Base class: checks the list of inputs, then ``merge(tensors)``."""

    min_inputs = 2
    max_inputs = None

    def build(self, input_shape):
        who = f"{self.name} ({type(self).__name__})"
        if not isinstance(input_shape, list) or not input_shape or not isinstance(
                input_shape[0], (list, tuple)):
            raise ValueError(f"{who}: a merge layer is called on a list of tensors, e.g. "
                             f"{type(self).__name__}()([a, b]); got one input of shape "
                             f"{tuple(input_shape)}")
        count = len(input_shape)
        if count < self.min_inputs or (self.max_inputs is not None and count > self.max_inputs):
            wanted = (f"exactly {self.max_inputs}" if self.max_inputs == self.min_inputs
                      else f"at least {self.min_inputs}")
            raise ValueError(f"{who}: needs {wanted} inputs, got {count} "
                             f"({_shapes_text(input_shape)})")
        self._check_shapes([tuple(shape) for shape in input_shape], who)

    def _check_shapes(self, shapes, who):
        ranks = {len(shape) for shape in shapes}
        if len(ranks) != 1:
            raise ValueError(f"{who}: the inputs must have the same number of axes, got "
                             f"shapes {_shapes_text(shapes)}; add a Reshape to one of them")
        for axis in range(1, len(shapes[0])):
            sizes = {shape[axis] for shape in shapes} - {None, 1}
            if len(sizes) > 1:
                raise ValueError(
                    f"{who}: the input shapes {_shapes_text(shapes)} differ on axis {axis}; "
                    "elementwise merges need equal sizes there (or size 1, which "
                    "broadcasts). Use Concatenate to join different sizes, or a Dense layer "
                    "to make the sizes equal"
                )

    def forward(self, inputs):
        if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self.name} ({type(self).__name__}): call it on a list of "
                             f"tensors, e.g. {type(self).__name__}()([a, b])")
        return self.merge(list(inputs))

    def merge(self, tensors):
        raise NotImplementedError


class Add(_Merge):
    """The sum of the inputs, elementwise: ``a + b + ...`` (a residual connection)."""

    def merge(self, tensors):
        total = tensors[0]
        for tensor in tensors[1:]:
            total = total + tensor
        return total


class Subtract(_Merge):
    """``a - b`` for exactly two inputs."""

    max_inputs = 2

    def merge(self, tensors):
        return tensors[0] - tensors[1]


class Multiply(_Merge):
    """The elementwise product of the inputs (e.g. a gate)."""

    def merge(self, tensors):
        product = tensors[0]
        for tensor in tensors[1:]:
            product = product * tensor
        return product


class Average(_Merge):
    """The elementwise mean of the inputs: ``(a + b + ...) / n``."""

    def merge(self, tensors):
        return Add.merge(self, tensors) / float(len(tensors))


class Maximum(_Merge):
    """The elementwise maximum of the inputs."""

    def merge(self, tensors):
        result = tensors[0]
        for tensor in tensors[1:]:
            result = ops.maximum(result, tensor)
        return result


class Minimum(_Merge):
    """The elementwise minimum of the inputs."""

    def merge(self, tensors):
        result = tensors[0]
        for tensor in tensors[1:]:
            result = ops.minimum(result, tensor)
        return result


class Concatenate(_Merge):
    """The inputs joined along ``axis`` (default -1, the features/channels).

    Args:
        axis: the axis to join on; every other axis must have the same size.
    """

    def __init__(self, axis=-1, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Concatenate: axis must be an int, got {axis!r}")
        self.axis = axis

    def _check_shapes(self, shapes, who):
        rank = len(shapes[0])
        if any(len(shape) != rank for shape in shapes):
            raise ValueError(f"{who}: the inputs must have the same number of axes, got "
                             f"shapes {_shapes_text(shapes)}; Flatten or Reshape first")
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if axis is None or axis == 0:
            raise ValueError(f"{who}: axis={self.axis} is not a feature axis of inputs with "
                             f"{rank} axes (shapes {_shapes_text(shapes)}); use an axis from "
                             f"1 to {rank - 1} or -1")
        for other in range(1, rank):
            sizes = {shape[other] for shape in shapes} - {None}
            if other != axis and len(sizes) > 1:
                raise ValueError(
                    f"{who}: cannot join shapes {_shapes_text(shapes)} on axis {self.axis}: "
                    f"they differ on axis {other}. Every axis but the joined one must match; "
                    "reshape, pool or crop the inputs to the same size first"
                )

    def merge(self, tensors):
        return ops.concatenate(tensors, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
