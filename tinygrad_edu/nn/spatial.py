"""Layers that resize images and sequences without weights: zero padding, cropping and
upsampling (Keras's ZeroPadding2D/1D, Cropping2D/1D, UpSampling2D/1D).

Each is a padding, a slice or a repeat of the input, so its backward takes the matching
part of g: the middle for padding, g surrounded by zeros for cropping, the sums of g over
each repeated block for nearest-neighbour upsampling (bilinear: the interpolation matrices
transposed, see :mod:`tinygrad_edu.ops.upsampling`).
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.nn.conv import _check_data_format, _check_image_shape
from tinygrad_edu.nn.conv1d import _positive, check_sequence_shape
from tinygrad_edu.nn.module import InputSpec, Module
from tinygrad_edu.ops.rearrange import repeat
from tinygrad_edu.ops.shape import pad
from tinygrad_edu.ops.upsampling import upsample2d

__all__ = ["ZeroPadding2D", "Cropping2D", "UpSampling2D", "ZeroPadding1D", "Cropping1D",
           "UpSampling1D"]


def _is_count(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


def _amounts_1d(value, what: str, layer: str) -> tuple[int, int]:
    """An int n (n before and after) or a pair (before, after) of ints >= 0."""
    pair = (value, value) if _is_count(value) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(map(_is_count, pair)):
        raise ValueError(f"{layer}: {what} must be an int >= 0 or a pair (before, after) of "
                         f"them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _amounts_2d(value, what: str, layer: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras's three forms: n; (rows, columns), each on both sides;
    ((top, bottom), (left, right))."""
    if _is_count(value):
        return (int(value),) * 2, (int(value),) * 2
    if isinstance(value, (tuple, list)) and len(value) == 2:
        try:
            return (_amounts_1d(value[0], what, layer), _amounts_1d(value[1], what, layer))
        except ValueError:
            pass
    raise ValueError(f"{layer}: {what} must be an int, a pair (rows, columns) or a pair of "
                     f"pairs ((top, bottom), (left, right)) of ints >= 0, got {value!r}")


class ZeroPadding2D(Module):
    """Zeros around each image: (m, H, W, C) -> (m, top + H + bottom, left + W + right, C).

    ``padding``: an int, (rows, columns) on both sides, or ((top, bottom), (left, right)).

    >>> import tinygrad_edu as tg
    >>> ZeroPadding2D(((1, 0), (2, 3)))(tg.ones(1, 4, 4, 2)).shape
    (1, 5, 9, 2)
    """

    def __init__(self, padding=(1, 1), data_format=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(name=name, trainable=trainable)
        _check_data_format(data_format, "ZeroPadding2D")
        self.padding = _amounts_2d(padding, "padding", "ZeroPadding2D")
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        _check_image_shape(self, input_shape)
        self.input_spec = InputSpec(ndim=4)

    def forward(self, x):
        return pad(x, ((0, 0), *self.padding, (0, 0)))

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = _check_image_shape(self, input_shape)
        grow = [None if size is None else size + sum(sides)
                for size, sides in zip((height, width), self.padding)]
        return (batch, *grow, channels)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class Cropping2D(Module):
    """Cuts rows and columns off each image's borders (the inverse of ZeroPadding2D).

    ``cropping``: an int, (rows, columns) on both sides, or ((top, bottom), (left, right)).

    >>> import tinygrad_edu as tg
    >>> Cropping2D(((1, 0), (2, 1)))(tg.ones(1, 4, 5, 2)).shape
    (1, 3, 2, 2)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, input_shape=None,
                 name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        _check_data_format(data_format, "Cropping2D")
        self.cropping = _amounts_2d(cropping, "cropping", "Cropping2D")
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # a crop larger than the image fails here
        self.input_spec = InputSpec(ndim=4)

    def forward(self, x):
        (top, bottom), (left, right) = self.cropping
        return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :]

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = _check_image_shape(self, input_shape)
        sizes = []
        for axis, size, sides in zip(("height", "width"), (height, width), self.cropping):
            if size is not None and size - sum(sides) < 1:
                raise ValueError(f"{self.name} (Cropping2D): cropping {sides} leaves nothing "
                                 f"of the {axis} {size} (input shape {tuple(input_shape)})")
            sizes.append(None if size is None else size - sum(sides))
        return (batch, *sizes, channels)

    def get_config(self):
        return {**super().get_config(), "cropping": [list(c) for c in self.cropping]}


class UpSampling2D(Module):
    """Enlarges each image by integer factors: (m, H, W, C) -> (m, H*fh, W*fw, C).

    ``interpolation="nearest"`` repeats pixels; ``"bilinear"`` interpolates with half-pixel
    centres, as Keras 3 does (PyTorch: ``align_corners=False``). No weights.

    >>> import tinygrad_edu as tg
    >>> UpSampling2D((2, 3), interpolation="bilinear")(tg.ones(1, 4, 4, 2)).shape
    (1, 8, 12, 2)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest",
                 input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        _check_data_format(data_format, "UpSampling2D")
        factors = (size, size) if _is_count(size) else size
        if (not isinstance(factors, (tuple, list)) or len(factors) != 2
                or not all(_is_count(f) and f >= 1 for f in factors)):
            raise ValueError(f"UpSampling2D: size must be a positive int or a pair of them, "
                             f"got {size!r}")
        self.size = (int(factors[0]), int(factors[1]))
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear', "
                             f"got {interpolation!r}")
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        _check_image_shape(self, input_shape)
        self.input_spec = InputSpec(ndim=4)

    def forward(self, x):
        return upsample2d(x, self.size, self.interpolation)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = _check_image_shape(self, input_shape)
        sizes = [None if n is None else n * f for n, f in zip((height, width), self.size)]
        return (batch, *sizes, channels)

    def get_config(self):
        return {**super().get_config(), "size": list(self.size),
                "interpolation": self.interpolation}


class ZeroPadding1D(Module):
    """Zeros before and after each sequence: (m, L, C) -> (m, before + L + after, C).

    >>> import tinygrad_edu as tg
    >>> ZeroPadding1D((2, 1))(tg.ones(3, 5, 2)).shape
    (3, 8, 2)
    """

    def __init__(self, padding=1, data_format=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(name=name, trainable=trainable)
        _check_data_format(data_format, "ZeroPadding1D")
        self.padding = _amounts_1d(padding, "padding", "ZeroPadding1D")
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        check_sequence_shape(self, input_shape)
        self.input_spec = InputSpec(ndim=3)

    def forward(self, x):
        return pad(x, ((0, 0), self.padding, (0, 0)))

    def compute_output_shape(self, input_shape):
        batch, steps, channels = check_sequence_shape(self, input_shape)
        return (batch, None if steps is None else steps + sum(self.padding), channels)

    def get_config(self):
        return {**super().get_config(), "padding": list(self.padding)}


class Cropping1D(Module):
    """Cuts steps off the start and end of each sequence (default one each side).

    >>> import tinygrad_edu as tg
    >>> Cropping1D((2, 1))(tg.ones(3, 5, 2)).shape
    (3, 2, 2)
    """

    def __init__(self, cropping=(1, 1), input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self.cropping = _amounts_1d(cropping, "cropping", "Cropping1D")
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.input_spec = InputSpec(ndim=3)

    def forward(self, x):
        start, end = self.cropping
        return x[:, start:x.shape[1] - end, :]

    def compute_output_shape(self, input_shape):
        batch, steps, channels = check_sequence_shape(self, input_shape)
        if steps is not None and steps - sum(self.cropping) < 1:
            raise ValueError(f"{self.name} (Cropping1D): cropping {self.cropping} leaves "
                             f"nothing of the {steps} steps (input shape {tuple(input_shape)})")
        return (batch, None if steps is None else steps - sum(self.cropping), channels)

    def get_config(self):
        return {**super().get_config(), "cropping": list(self.cropping)}


class UpSampling1D(Module):
    """Repeats each step ``size`` times: (m, L, C) -> (m, L * size, C).

    >>> import tinygrad_edu as tg
    >>> UpSampling1D(3)(tg.ones(2, 4, 5)).shape
    (2, 12, 5)
    """

    def __init__(self, size=2, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self.size = _positive(size, "size", "UpSampling1D")
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        check_sequence_shape(self, input_shape)
        self.input_spec = InputSpec(ndim=3)

    def forward(self, x):
        return repeat(x, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        batch, steps, channels = check_sequence_shape(self, input_shape)
        return (batch, None if steps is None else steps * self.size, channels)

    def get_config(self):
        return {**super().get_config(), "size": self.size}
