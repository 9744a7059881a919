"""Conv2DTranspose and Conv1DTranspose: the learned upsampling of decoders, autoencoders and
GAN generators.

The arithmetic is :func:`tinygrad_edu.ops.conv_transpose.conv_transpose2d` (and its 1-D
form); these layers hold the weights with Keras's names, layout and output-size rule.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.nn.conv import (
    _check_data_format,
    _check_image_shape,
    _check_padding,
    _pair,
)
from tinygrad_edu.nn.conv1d import _positive, check_sequence_shape, set_kernel_and_bias_options
from tinygrad_edu.nn.layers import _kernel_and_bias_config
from tinygrad_edu.nn.module import InputSpec, Module
from tinygrad_edu.ops import conv_transpose as transpose_ops

__all__ = ["Conv2DTranspose", "Conv1DTranspose"]


class Conv2DTranspose(Module):
    """Transposed 2-D convolution: each input pixel paints a kernel-weighted patch.

    kernel has shape (kh, kw, filters, in_channels) (filters before in_channels, as Keras
    stores it), bias (filters,)::

        y[n, i*s + a, j*s + b, o] += sum_c x[n, i, j, c] * kernel[a, b, o, c]      (+ b[o])

    then cropped to Keras's size: "same" gives H * s, "valid" (H - 1) * s + max(kh, s).
    Backward (g = dL/d(output) before the activation): dx[n, i, j, c] = sum_{a,b,o}
    g[n, i*s + a, j*s + b, o] kernel[a, b, o, c] (an ordinary convolution of g),
    d_kernel[a, b, o, c] = sum_{n,i,j} g[n, i*s + a, j*s + b, o] x[n, i, j, c].

    Args:
        filters: output channels.
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw): the upsampling factor (default 1).
        padding: "valid" or "same".
        output_padding: None, int or pair, each smaller than its stride: extra rows and
            columns at the bottom/right (sizes "valid"/"same" cannot reach otherwise).
        dilation_rate: int or (dh, dw).
        activation, use_bias, kernel_initializer ("glorot_uniform"), bias_initializer,
        *_regularizer, *_constraint: as in Conv2D.

    PyTorch's ``nn.ConvTranspose2d`` stores (in_channels, filters, kh, kw) and takes NCHW.

    >>> import tinygrad_edu as tg
    >>> layer = Conv2DTranspose(4, 3, strides=2, padding="same", input_shape=(7, 7, 8))
    >>> layer(tg.zeros(2, 7, 7, 8)).shape, layer.kernel.shape
    ((2, 14, 14, 4), (3, 3, 4, 8))
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(name=name, trainable=trainable)
        layer = "Conv2DTranspose"
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
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = transpose_ops.check_output_padding(output_padding,
                                                                     self.strides, layer)
        set_kernel_and_bias_options(self, activation, use_bias, kernel_initializer,
                                    bias_initializer, kernel_regularizer, bias_regularizer,
                                    activity_regularizer, kernel_constraint, bias_constraint)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        channels = _check_image_shape(self, input_shape)[3]
        if channels is None:
            raise ValueError(f"{self.name} (Conv2DTranspose): the number of input channels "
                             f"must be known, got input shape {tuple(input_shape)}")
        self.add_weight("kernel", (*self.kernel_size, self.filters, int(channels)),
                        self.kernel_initializer, self.kernel_regularizer,
                        constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                            constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=4, axes={-1: int(channels)})

    def forward(self, x):
        out = transpose_ops.conv_transpose2d(
            x, self.kernel, self.bias, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, dilation_rate=self.dilation_rate)
        return out if self._is_linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = _check_image_shape(self, input_shape)
        extra = self.output_padding or (None, None)
        sizes = [None if size is None else transpose_ops.conv_transpose_output_size(
                     size, window, stride, self.padding, pad, dilation)
                 for size, window, stride, pad, dilation in zip(
                     (height, width), self.kernel_size, self.strides, extra,
                     self.dilation_rate)]
        return (batch, *sizes, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "output_padding": None if self.output_padding is None else list(self.output_padding),
            "dilation_rate": list(self.dilation_rate),
            "activation": self._activation_arg,
            "use_bias": self.use_bias,
            **_kernel_and_bias_config(self),
        }


class Conv1DTranspose(Module):
    """Transposed 1-D convolution over steps (Keras's Conv1DTranspose): each input step
    paints a kernel-weighted run of ``kernel_size`` output steps, runs ``strides`` apart.

    kernel has shape (kernel_size, filters, in_channels), bias (filters,)::

        y[n, t*s + a*d, o] += sum_c x[n, t, c] * kernel[a, o, c]      (+ b[o])

    then cut to Keras's length: "same" gives L * s, "valid" (L - 1) * s + max(k, s).
    Backward: dx = a 1-D convolution of g with the kernel; d_kernel[a, o, c] =
    sum_{n,t} g[n, t*s + a*d, o] x[n, t, c].

    Args: as Conv2DTranspose, with ints for kernel_size, strides, output_padding and
    dilation_rate.

    >>> import tinygrad_edu as tg
    >>> layer = Conv1DTranspose(4, 3, strides=2, padding="same", input_shape=(10, 8))
    >>> layer(tg.zeros(2, 10, 8)).shape, layer.kernel.shape
    ((2, 20, 4), (3, 4, 8))
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(name=name, trainable=trainable)
        layer = "Conv1DTranspose"
        self.filters = _positive(filters, "filters", layer)
        _check_data_format(data_format, layer)
        self.kernel_size = _positive(kernel_size, "kernel_size", layer)
        self.strides = _positive(strides, "strides", layer)
        self.padding = _check_padding(padding, layer)
        self.dilation_rate = _positive(dilation_rate, "dilation_rate", layer)
        if self.dilation_rate != 1 and self.strides != 1:
            raise ValueError(f"{layer}: strides > 1 cannot be combined with dilation_rate > 1")
        if isinstance(output_padding, (tuple, list)) and len(output_padding) == 1:
            output_padding = output_padding[0]
        is_int = isinstance(output_padding, (int, np.integer)) and not isinstance(output_padding,
                                                                                   bool)
        if output_padding is not None and not (is_int and 0 <= output_padding < self.strides):
            raise ValueError(f"{layer}: output_padding must be None or an int >= 0 and smaller "
                             f"than strides={self.strides}, got {output_padding!r}")
        self.output_padding = None if output_padding is None else int(output_padding)
        set_kernel_and_bias_options(self, activation, use_bias, kernel_initializer,
                                    bias_initializer, kernel_regularizer, bias_regularizer,
                                    activity_regularizer, kernel_constraint, bias_constraint)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        channels = check_sequence_shape(self, input_shape)[2]
        if channels is None:
            raise ValueError(f"{self.name} (Conv1DTranspose): the number of input channels "
                             f"must be known, got input shape {tuple(input_shape)}")
        self.add_weight("kernel", (self.kernel_size, self.filters, int(channels)),
                        self.kernel_initializer, self.kernel_regularizer,
                        constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                            constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=3, axes={-1: int(channels)})

    def forward(self, x):
        out = transpose_ops.conv_transpose1d(
            x, self.kernel, self.bias, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, dilation_rate=self.dilation_rate)
        return out if self._is_linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        batch, steps, _ = check_sequence_shape(self, input_shape)
        if steps is not None:
            steps = transpose_ops.conv_transpose_output_size(
                steps, self.kernel_size, self.strides, self.padding, self.output_padding,
                self.dilation_rate)
        return (batch, steps, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "dilation_rate": self.dilation_rate,
            "activation": self._activation_arg,
            "use_bias": self.use_bias,
            **_kernel_and_bias_config(self),
        }
