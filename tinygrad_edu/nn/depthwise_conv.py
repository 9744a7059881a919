"""DepthwiseConv2D: one small set of filters per input channel (MobileNet's building block).

The arithmetic is :func:`tinygrad_edu.ops.grouped_conv.depthwise_conv2d` (grouped
convolution with one group per channel); this layer holds the weights under Keras 3's names.
"""

from __future__ import annotations

from tinygrad_edu import functional, regularizers
from tinygrad_edu import init as initializers
from tinygrad_edu.nn.conv import (
    _check_data_format,
    _check_image_shape,
    _check_padding,
    _pair,
    _spatial_output,
)
from tinygrad_edu.nn.conv1d import _positive
from tinygrad_edu.nn.layers import _activation_config, _initializer_config
from tinygrad_edu.nn.module import InputSpec, Module
from tinygrad_edu.ops.grouped_conv import depthwise_conv2d

__all__ = ["DepthwiseConv2D"]


class DepthwiseConv2D(Module):
    """Depthwise 2-D convolution: channel c is filtered by its own ``depth_multiplier`` kernels.

    kernel has shape (kh, kw, in_channels, depth_multiplier) (Keras 3 calls it ``kernel``),
    bias (in_channels * depth_multiplier,); output channel c * M + m::

        y[n, i, j, c*M + m] = b[c*M + m] + sum_{a,b} x[n, i*s + a, j*s + b, c] * kernel[a, b, c, m]

    Backward (g = dL/d(output) before the activation): d_kernel[a, b, c, m] =
    sum_{n,i,j} x[n, i*s + a, j*s + b, c] g[n, i, j, c*M + m]; dx: each channel's g spread
    back through its own kernels. A depthwise layer followed by a 1x1 Conv2D is a separable
    convolution with far fewer weights than a full Conv2D.

    Args:
        kernel_size: int or (kh, kw).
        strides, padding, dilation_rate: as in Conv2D.
        depth_multiplier: filters per input channel (default 1).
        activation, use_bias: as in Conv2D.
        depthwise_initializer: default "glorot_uniform" (fans kh*kw*in_channels and
            kh*kw*depth_multiplier, Keras's rule for this shape); bias_initializer "zeros".
        depthwise_regularizer, bias_regularizer, activity_regularizer: penalties.

    >>> import tinygrad_edu as tg
    >>> layer = DepthwiseConv2D(3, depth_multiplier=2, padding="same", input_shape=(8, 8, 3))
    >>> layer(tg.zeros(1, 8, 8, 3)).shape, layer.kernel.shape
    ((1, 8, 8, 6), (3, 3, 3, 2))
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        layer = "DepthwiseConv2D"
        _check_data_format(data_format, layer)
        self.kernel_size = _pair(kernel_size, "kernel_size", layer)
        self.strides = _pair(strides, "strides", layer)
        self.padding = _check_padding(padding, layer)
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier", layer)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", layer)
        if self.dilation_rate != (1, 1) and self.strides != (1, 1):
            raise ValueError(f"{layer}: strides > 1 cannot be combined with dilation_rate > 1")
        self.activation = functional.get_activation(activation)
        self._activation_arg = _activation_config(activation, self.activation)
        self._is_linear = self.activation is functional.linear
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._initializer_args = (depthwise_initializer, bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel = None
        self.bias = None
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        channels = _check_image_shape(self, input_shape)[3]
        if channels is None:
            raise ValueError(f"{self.name} (DepthwiseConv2D): the number of input channels "
                             f"must be known, got input shape {tuple(input_shape)}")
        channels = int(channels)
        self.add_weight("kernel", (*self.kernel_size, channels, self.depth_multiplier),
                        self.depthwise_initializer, self.depthwise_regularizer)
        if self.use_bias:
            self.add_weight("bias", (channels * self.depth_multiplier,), self.bias_initializer,
                            self.bias_regularizer)
        self.input_spec = InputSpec(ndim=4, axes={-1: channels})

    def forward(self, x):
        out = depthwise_conv2d(x, self.kernel, self.bias, strides=self.strides,
                               padding=self.padding, dilation_rate=self.dilation_rate)
        return out if self._is_linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = _check_image_shape(self, input_shape)
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation_rate
        return (batch, _spatial_output(self, height, kh, sh, self.padding, dh),
                _spatial_output(self, width, kw, sw, self.padding, dw),
                None if channels is None else channels * self.depth_multiplier)

    def get_config(self):
        depthwise_init, bias_init = self._initializer_args
        return {
            **super().get_config(),
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "depth_multiplier": self.depth_multiplier,
            "dilation_rate": list(self.dilation_rate),
            "activation": self._activation_arg,
            "use_bias": self.use_bias,
            "depthwise_initializer": _initializer_config(depthwise_init,
                                                         self.depthwise_initializer),
            "bias_initializer": _initializer_config(bias_init, self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }
