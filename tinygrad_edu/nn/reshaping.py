"""Layers that rearrange each sample without weights: Reshape, Permute, RepeatVector.

As in Keras, the batch axis is never touched: shapes and axis numbers given to these layers
describe one sample (``Permute((2, 1))`` swaps the two axes after the batch axis).
"""

from __future__ import annotations

import math

from tinygrad_edu.nn.module import InputSpec, Module

__all__ = ["Reshape", "Permute", "RepeatVector"]


class Reshape(Module):
    """Gives each sample the shape ``target_shape`` (the batch axis stays first).

    One entry may be -1: it takes whatever size holds the sample's elements.

    >>> import tinygrad_edu as tg
    >>> Reshape((3, -1))(tg.ones(2, 12)).shape
    (2, 3, 4)
    """

    def __init__(self, target_shape, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        target_shape = tuple(int(n) for n in target_shape)
        if sum(n == -1 for n in target_shape) > 1 or any(n < -1 or n == 0 for n in
                                                        target_shape):
            raise ValueError(f"Reshape: target_shape {target_shape} needs positive sizes, with "
                             "at most one -1 for the size to infer")
        self.target_shape = target_shape
        self._build_from_arguments(input_shape)

    def _sample_shape(self, sample_shape) -> tuple:
        """The target shape with its -1 filled in for samples of ``sample_shape``."""
        count = math.prod(sample_shape)
        known = math.prod(n for n in self.target_shape if n != -1)
        if -1 in self.target_shape:
            if count % known:
                raise ValueError(self._mismatch(sample_shape))
            return tuple(count // known if n == -1 else n for n in self.target_shape)
        if known != count:
            raise ValueError(self._mismatch(sample_shape))
        return self.target_shape

    def _mismatch(self, sample_shape) -> str:
        return (f"{self.name} (Reshape): samples of shape {tuple(sample_shape)} "
                f"({math.prod(sample_shape)} values) cannot take the shape {self.target_shape}")

    def build(self, input_shape):
        self.input_spec = InputSpec(min_ndim=1)
        if None not in tuple(input_shape)[1:]:
            self._sample_shape(tuple(input_shape)[1:])  # a wrong target fails at build time

    def forward(self, x):
        return x.reshape((x.shape[0], *self._sample_shape(x.shape[1:])))

    def compute_output_shape(self, input_shape):
        sizes = tuple(input_shape)[1:]
        if None in sizes:
            return (input_shape[0], *(None if n == -1 else n for n in self.target_shape))
        return (input_shape[0], *self._sample_shape(sizes))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Module):
    """Permutes the axes of each sample; ``dims`` numbers them from 1 (axis 0 is the batch).

    ``Permute((2, 1))`` turns (batch, steps, features) into (batch, features, steps).

    >>> import tinygrad_edu as tg
    >>> Permute((2, 1))(tg.ones(4, 3, 5)).shape
    (4, 5, 3)
    """

    def __init__(self, dims, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        dims = tuple(int(d) for d in dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute: dims {dims} must be a permutation of 1..{len(dims)} "
                             "(axis numbers start at 1; the batch axis 0 stays first)")
        self.dims = dims
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(f"{self.name} (Permute): dims {self.dims} permute "
                             f"{len(self.dims)} axes, but samples have shape "
                             f"{tuple(input_shape)[1:]}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def forward(self, x):
        return x.transpose((0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Module):
    """Repeats each sample's vector ``n`` times: (batch, features) -> (batch, n, features).

    The gradient of each input value is the sum over its n copies.

    >>> import tinygrad_edu as tg
    >>> RepeatVector(3)(tg.ones(2, 4)).shape
    (2, 3, 4)
    """

    def __init__(self, n, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"RepeatVector: n must be a positive integer, got {n!r}")
        self.n = n
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        self.input_spec = InputSpec(ndim=2)

    def forward(self, x):
        return x.unsqueeze(1).broadcast_to((x.shape[0], self.n, x.shape[1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
