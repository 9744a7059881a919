"""DepthwiseConv2D: one small set of filters per input channel (MobileNet's building block),
and SeparableConv2D: a depthwise convolution followed by a 1x1 convolution.

The arithmetic is :func:`tinygrad_edu.ops.grouped_conv.depthwise_conv2d` (grouped
convolution with one group per channel) and ``conv2d``; these layers hold the weights under
Keras 3's names.
"""

from __future__ import annotations

from tinygrad_edu import constraints, functional, regularizers
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
from tinygrad_edu.ops.conv import conv2d
from tinygrad_edu.ops.grouped_conv import depthwise_conv2d

__all__ = ["DepthwiseConv2D", "SeparableConv2D"]


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
        depthwise_constraint, bias_constraint: applied after each optimizer step.

    >>> import tinygrad_edu as tg
    >>> layer = DepthwiseConv2D(3, depth_multiplier=2, padding="same", input_shape=(8, 8, 3))
    >>> layer(tg.zeros(1, 8, 8, 3)).shape, layer.kernel.shape
    ((1, 8, 8, 6), (3, 3, 3, 2))
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(name=name, trainable=trainable)
        layer = type(self).__name__
        _check_data_format(data_format, layer)
        self.kernel_size = _pair(kernel_size, "kernel_size", layer)
        self.strides = _pair(strides, "strides", layer)
        self.padding = _check_padding(padding, layer)
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier", layer)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", layer)  # with any strides
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
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.kernel = None
        self.bias = None
        self._build_from_arguments(input_shape)

    # The 1-D layers (depthwise_conv1d.py) run this arithmetic on sequences seen as images of
    # height 1; these four methods are where the two differ.
    def _image_shape(self, input_shape) -> tuple:
        """The input shape as (batch, height, width, channels), checked."""
        return _check_image_shape(self, input_shape)

    def _weight_shape(self, image_shape) -> tuple:
        """A weight's shape in this layer's rank, from its 2-D shape."""
        return image_shape

    def _as_image(self, t, kernel=False):
        return t

    def _from_image(self, t):
        return t

    def _channels(self, input_shape) -> int:
        channels = self._image_shape(input_shape)[3]
        if channels is None:
            raise ValueError(f"{self.name} ({type(self).__name__}): the number of input "
                             f"channels must be known, got input shape {tuple(input_shape)}")
        self.input_spec = InputSpec(ndim=len(input_shape), axes={-1: int(channels)})
        return int(channels)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.add_weight("kernel",
                        self._weight_shape((*self.kernel_size, channels, self.depth_multiplier)),
                        self.depthwise_initializer, self.depthwise_regularizer,
                        constraint=self.depthwise_constraint)
        if self.use_bias:
            self.add_weight("bias", (channels * self.depth_multiplier,), self.bias_initializer,
                            self.bias_regularizer, constraint=self.bias_constraint)

    def forward(self, x):
        out = depthwise_conv2d(self._as_image(x), self._as_image(self.kernel, kernel=True),
                               self.bias, strides=self.strides, padding=self.padding,
                               dilation_rate=self.dilation_rate)
        out = self._from_image(out)
        return out if self._is_linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = self._image_shape(input_shape)
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation_rate
        image = (batch, _spatial_output(self, height, kh, sh, self.padding, dh),
                 _spatial_output(self, width, kw, sw, self.padding, dw),
                 None if channels is None else channels * self.depth_multiplier)
        return self._from_image_shape(image)

    def _from_image_shape(self, shape) -> tuple:
        return shape

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
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class SeparableConv2D(DepthwiseConv2D):
    """Depthwise-separable convolution (Xception, MobileNet): DepthwiseConv2D, then a 1x1
    Conv2D that mixes the channels, then the bias and activation.

    Weights (Keras 3's names): depthwise_kernel (kh, kw, in_channels, depth_multiplier),
    pointwise_kernel (1, 1, in_channels * depth_multiplier, filters), bias (filters,)::

        z = depthwise_conv2d(x, depthwise_kernel)
        y[n, i, j, o] = b[o] + sum_k z[n, i, j, k] * pointwise_kernel[0, 0, k, o]

    Backward: through the 1x1 product (d_pointwise = z^T g, dz = g pointwise^T), then as in
    DepthwiseConv2D. kh*kw*C*M + C*M*filters weights instead of Conv2D's kh*kw*C*filters.

    >>> import tinygrad_edu as tg
    >>> layer = SeparableConv2D(16, 3, padding="same", input_shape=(8, 8, 3))
    >>> layer(tg.zeros(1, 8, 8, 3)).shape, [w.shape for w in layer.get_weights()]
    ((1, 8, 8, 16), [(3, 3, 3, 1), (1, 1, 3, 16), (16,)])
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 input_shape=None, name=None, trainable=True):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint,
                         name=name, trainable=trainable)
        self.filters = _positive(filters, "filters", type(self).__name__)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self._pointwise_initializer_arg = pointwise_initializer
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.depthwise_kernel = None
        self.pointwise_kernel = None
        del self.kernel
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        middle = channels * self.depth_multiplier
        self.add_weight("depthwise_kernel",
                        self._weight_shape((*self.kernel_size, channels, self.depth_multiplier)),
                        self.depthwise_initializer, self.depthwise_regularizer,
                        constraint=self.depthwise_constraint)
        self.add_weight("pointwise_kernel", self._weight_shape((1, 1, middle, self.filters)),
                        self.pointwise_initializer, self.pointwise_regularizer,
                        constraint=self.pointwise_constraint)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                            constraint=self.bias_constraint)

    def forward(self, x):
        z = depthwise_conv2d(self._as_image(x), self._as_image(self.depthwise_kernel, True),
                             strides=self.strides, padding=self.padding,
                             dilation_rate=self.dilation_rate)
        out = self._from_image(conv2d(z, self._as_image(self.pointwise_kernel, True), self.bias))
        return out if self._is_linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        return (*super().compute_output_shape(input_shape)[:-1], self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "pointwise_initializer": _initializer_config(self._pointwise_initializer_arg,
                                                         self.pointwise_initializer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }
