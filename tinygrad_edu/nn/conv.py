"""Convolution and pooling layers for channels-last images (batch, height, width, channels).

The arithmetic lives in :mod:`tinygrad_edu.ops.conv` (im2col + one matrix product) and
:mod:`tinygrad_edu.ops.pooling`; these layers hold the weights, check shapes and follow
Keras's names and defaults.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import constraints, functional, regularizers
from tinygrad_edu import init as initializers
from tinygrad_edu.nn.layers import _activation_config, _kernel_and_bias_config
from tinygrad_edu.nn.module import InputSpec, Module
from tinygrad_edu.ops import conv as conv_ops
from tinygrad_edu.ops import pooling
from tinygrad_edu.ops.grouped_conv import check_groups

__all__ = ["Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
           "GlobalMaxPooling2D"]


def _pair(value, what: str, layer: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
            for v in pair):
        raise ValueError(f"{layer}: {what} must be a positive int or a pair (height, width) of "
                         f"them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_padding(padding, layer: str) -> str:
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return mode


def _check_data_format(data_format, layer: str) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{layer}: only data_format='channels_last' (batch, height, width, channels) is "
            f"supported, got {data_format!r}. Transpose NCHW images with "
            "x.transpose(0, 2, 3, 1)."
        )


def _check_image_shape(layer: Module, input_shape) -> tuple:
    """A 4-D NHWC shape, or a clear error (with a hint when it looks NCHW)."""
    shape = tuple(input_shape)
    who = f"{layer.name} ({type(layer).__name__})"
    if len(shape) != 4:
        hint = ""
        if len(shape) == 3:
            hint = (" Grayscale images of shape (batch, height, width) need a channel axis: "
                    "x.reshape(*x.shape, 1); one image needs a batch axis: x.reshape(1, ...).")
        raise ValueError(f"{who}: expects 4-D input (batch, height, width, channels), got shape "
                         f"{shape}.{hint}")
    _, height, width, channels = shape
    if height in (1, 3, 4) and channels is not None and width == channels and channels > 4:
        raise ValueError(
            f"{who}: input shape {shape} looks channels-first (batch, channels, height, "
            "width). Layers here are channels-last like Keras: transpose with "
            f"x.transpose(0, 2, 3, 1) to get shape {(shape[0], width, channels, height)}."
        )
    return shape


def _spatial_output(layer, size, window, stride, padding, dilation=1):
    if size is None:
        return None
    out = conv_ops.conv_output_size(size, window, stride, padding, dilation)
    if out < 1:
        effective = (window - 1) * dilation + 1
        raise ValueError(
            f"{layer.name} ({type(layer).__name__}): a window of {effective} does not fit in "
            f"an input of size {size} with padding='valid'. Use padding='same', a smaller "
            "window, or fewer downsampling layers before this one."
        )
    return out


class Conv2D(Module):
    """2-D convolution: ``y = activation(conv2d(x, kernel) + bias)`` on NHWC images.

    kernel has shape (kernel_height, kernel_width, in_channels, filters), bias (filters,).
    Each output pixel of filter o is the dot product of the kernel with one input window::

        y[n, i, j, o] = b[o] + sum_{a, b, c} x[n, i*s + a, j*s + b, c] * kernel[a, b, c, o]

    Backward (cols = the input windows as rows, g = dL/d(output) before the activation):
    d_kernel = cols^T @ g, d_bias = sum of g, dx = the windows of g @ kernel^T added back
    where they came from.

    Args:
        filters: number of output channels.
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw); default 1.
        padding: "valid" (no padding, output (H - kh) // s + 1) or "same" (output ceil(H / s);
            zeros around the input, the odd one at the bottom/right as in TensorFlow).
        dilation_rate: int or (dh, dw): gaps between kernel taps.
        groups: channel blocks (default 1): the kernel is (kh, kw, in_channels // groups,
            filters) and each block of filters // groups filters sees one block of channels.
        activation, use_bias, kernel_initializer ("glorot_uniform", with fans
        kh*kw*in_channels and kh*kw*filters), bias_initializer, *_regularizer,
        *_constraint: as in Dense.
        input_shape: (height, width, channels) to build at once.

    PyTorch's ``nn.Conv2d`` takes NCHW input and stores the kernel as (filters, in, kh, kw);
    its ``padding="same"`` puts the odd padding pixel on the top/left instead.

    >>> import tinygrad_edu as tg
    >>> layer = Conv2D(8, 3, padding="same", activation="relu", input_shape=(28, 28, 1))
    >>> layer(tg.zeros(2, 28, 28, 1)).shape, layer.kernel.shape
    ((2, 28, 28, 8), (3, 3, 1, 8))
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None,
                 input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        layer = "Conv2D"
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ValueError(f"{layer}: filters must be a positive integer, got {filters!r}")
        _check_data_format(data_format, layer)
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size", layer)
        self.strides = _pair(strides, "strides", layer)
        self.padding = _check_padding(padding, layer)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", layer)
        if self.dilation_rate != (1, 1) and self.strides != (1, 1):
            raise ValueError(f"{layer}: strides > 1 cannot be combined with dilation_rate > 1")
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
            raise ValueError(f"{layer}: groups must be a positive integer, got {groups!r}")
        if self.filters % groups:
            raise ValueError(f"{layer}: groups={groups} must divide filters={self.filters}")
        self.groups = int(groups)
        self.activation = functional.get_activation(activation)
        self._activation_arg = _activation_config(activation, self.activation)
        self._is_linear = self.activation is functional.linear
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._initializer_args = (kernel_initializer, bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.kernel = None
        self.bias = None
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        shape = _check_image_shape(self, input_shape)
        channels = shape[3]
        if channels is None:
            raise ValueError(f"{self.name} (Conv2D): the number of input channels must be "
                             f"known, got input shape {shape}")
        kh, kw = self.kernel_size
        check_groups(self.groups, int(channels), self.filters, f"{self.name} (Conv2D)")
        self.add_weight("kernel", (kh, kw, int(channels) // self.groups, self.filters),
                        self.kernel_initializer, self.kernel_regularizer,
                        constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                            constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=4, axes={-1: int(channels)})

    def forward(self, x):
        if self.activation is functional.relu and self.groups == 1:  # one node, see conv2d_relu
            return conv_ops.conv2d_relu(x, self.kernel, self.bias, strides=self.strides,
                                        padding=self.padding, dilation_rate=self.dilation_rate)
        out = conv_ops.conv2d(x, self.kernel, self.bias, strides=self.strides,
                              padding=self.padding, dilation_rate=self.dilation_rate,
                              groups=self.groups)
        return out if self._is_linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = _check_image_shape(self, input_shape)
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation_rate
        return (batch, _spatial_output(self, height, kh, sh, self.padding, dh),
                _spatial_output(self, width, kw, sw, self.padding, dw), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            "activation": self._activation_arg,
            "use_bias": self.use_bias,
            **_kernel_and_bias_config(self),
        }


class _Pooling2D(Module):
    """Shared constructor and shape rule of the pooling layers (no weights)."""

    _pool = None  # the op: pooling.max_pool2d or pooling.avg_pool2d

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        layer = type(self).__name__
        _check_data_format(data_format, layer)
        self.pool_size = _pair(pool_size, "pool_size", layer)
        self.strides = self.pool_size if strides is None else _pair(strides, "strides", layer)
        self.padding = _check_padding(padding, layer)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        _check_image_shape(self, input_shape)
        self.input_spec = InputSpec(ndim=4)

    def forward(self, x):
        return self._pool(x, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = _check_image_shape(self, input_shape)
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        return (batch, _spatial_output(self, height, ph, sh, self.padding),
                _spatial_output(self, width, pw, sw, self.padding), channels)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """The largest value of each pool_size window, per channel.

    y[n, i, j, c] = max over the window (i*sh .. i*sh + ph - 1, j*sw .. j*sw + pw - 1).
    Backward: each window's gradient goes to the position of its maximum; when the maximum
    occurs more than once, all of it goes to the first one in row-major order (as in PyTorch
    and Keras). No weights.

    Args:
        pool_size: int or (ph, pw), default 2.
        strides: default ``pool_size`` (non-overlapping windows).
        padding: "valid" or "same" (the padding never wins the max).
    """

    _pool = staticmethod(pooling.max_pool2d)


class AveragePooling2D(_Pooling2D):
    """The mean of each pool_size window, per channel; the gradient is shared equally.

    With padding="same" the border windows average only the pixels inside the image
    (Keras; PyTorch's ``AvgPool2d`` divides by the full window by default).
    """

    _pool = staticmethod(pooling.avg_pool2d)


class _GlobalPooling(Module):
    """The global poolings of every rank: ``_check_shape(layer, shape)`` checks an input shape
    and returns it as a tuple (batch, *spatial, channels)."""

    _check_shape = None  # set by each rank's base class

    def __init__(self, data_format=None, keepdims=False, input_shape=None, name=None,
                 trainable=True):
        super().__init__(name=name, trainable=trainable)
        _check_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        self.input_spec = InputSpec(ndim=len(self._check_shape(input_shape)))

    def compute_output_shape(self, input_shape):
        shape = self._check_shape(input_shape)
        batch, channels = shape[0], shape[-1]
        return (batch, *[1] * (len(shape) - 2), channels) if self.keepdims else (batch, channels)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class _GlobalPooling2D(_GlobalPooling):
    _check_shape = _check_image_shape


class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean of each channel over the whole image: (m, H, W, C) -> (m, C).

    y[n, c] = mean_{i,j} x[n, i, j, c];  dx = g / (H W) everywhere. No weights; often used
    instead of Flatten before the classifier, with far fewer parameters after it.
    """

    def forward(self, x):
        return x.mean(axis=(1, 2), keepdims=self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """The largest value of each channel over the whole image: (m, H, W, C) -> (m, C)."""

    def forward(self, x):
        return x.max(axis=(1, 2), keepdims=self.keepdims)
