"""DepthwiseConv1D and SeparableConv1D: the depthwise layers on sequences (batch, steps,
channels), as Keras 3 has them.

A sequence is an image of height 1 and a (kernel_size, ...) kernel a (1, kernel_size, ...)
one, so these are :mod:`tinygrad_edu.nn.depthwise_conv`'s layers with ints for the window
arguments, Keras's 1-D weight shapes and 3-D shape checks; the arithmetic, forward and
backward, is the 2-D one.
"""

from __future__ import annotations

from tinygrad_edu.nn.conv1d import _positive, check_sequence_shape
from tinygrad_edu.nn.depthwise_conv import DepthwiseConv2D, SeparableConv2D

__all__ = ["DepthwiseConv1D", "SeparableConv1D"]

_WINDOW_ARGUMENTS = ("kernel_size", "strides", "dilation_rate")


def _height_one(layer: str, kernel_size, strides, dilation_rate) -> tuple:
    """The 1-D window arguments, checked, as the (1, n) pairs of the 2-D layer."""
    return tuple((1, _positive(value, name, layer)) for name, value in zip(
        _WINDOW_ARGUMENTS, (kernel_size, strides, dilation_rate)))


class _OnSequences:
    """The four places where the 1-D layers differ from the 2-D ones (see DepthwiseConv2D)."""

    def _image_shape(self, input_shape) -> tuple:
        batch, steps, channels = check_sequence_shape(self, input_shape)
        return (batch, 1, steps, channels)

    def _weight_shape(self, image_shape) -> tuple:
        return image_shape[1:]  # (1, k, ...) -> (k, ...)

    def _as_image(self, t, kernel=False):
        return t.reshape(1, *t.shape) if kernel else t.reshape(t.shape[0], 1, *t.shape[1:])

    def _from_image(self, t):
        return t.reshape(t.shape[0], *t.shape[2:])

    def _from_image_shape(self, shape) -> tuple:
        return (shape[0], *shape[2:])

    def get_config(self):
        config = super().get_config()
        for key in _WINDOW_ARGUMENTS:
            config[key] = config[key][1]
        return config


class DepthwiseConv1D(_OnSequences, DepthwiseConv2D):
    """Depthwise 1-D convolution: each channel filtered over the steps by its own
    ``depth_multiplier`` kernels (Keras 3's weight ``kernel`` of shape (kernel_size, channels,
    depth_multiplier)); output channel c * M + m::

        y[n, t, c*M + m] = b[c*M + m] + sum_a x[n, t*s + a*d, c] * kernel[a, c, m]

    Backward: d_kernel[a, c, m] = sum_{n,t} x[n, t*s + a*d, c] g[n, t, c*M + m]; dx: each
    channel's g spread back through its own kernels. Arguments as DepthwiseConv2D, with ints.

    >>> import tinygrad_edu as tg
    >>> layer = DepthwiseConv1D(3, depth_multiplier=2, padding="same", input_shape=(10, 4))
    >>> layer(tg.zeros(2, 10, 4)).shape, layer.kernel.shape
    ((2, 10, 8), (3, 4, 2))
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, input_shape=None, name=None,
                 trainable=True):
        window, steps, dilation = _height_one("DepthwiseConv1D", kernel_size, strides,
                                              dilation_rate)
        super().__init__(window, steps, padding, depth_multiplier, data_format, dilation,
                         activation, use_bias, depthwise_initializer, bias_initializer,
                         depthwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, bias_constraint, input_shape, name, trainable)


class SeparableConv1D(_OnSequences, SeparableConv2D):
    """Depthwise-separable 1-D convolution: DepthwiseConv1D, then a pointwise (size-1)
    convolution that mixes the channels, then bias and activation.

    Weights (Keras 3's names): depthwise_kernel (kernel_size, channels, depth_multiplier),
    pointwise_kernel (1, channels * depth_multiplier, filters), bias (filters,)::

        z = the depthwise convolution of x;   y[n, t, o] = b[o] + sum_k z[n, t, k] * pw[0, k, o]

    Backward: through the pointwise product, then as DepthwiseConv1D. Arguments as
    SeparableConv2D, with ints.

    >>> import tinygrad_edu as tg
    >>> layer = SeparableConv1D(6, 3, strides=2, input_shape=(11, 4))
    >>> layer(tg.zeros(2, 11, 4)).shape, [w.shape for w in layer.get_weights()]
    ((2, 5, 6), [(3, 4, 1), (1, 4, 6), (6,)])
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 input_shape=None, name=None, trainable=True):
        window, steps, dilation = _height_one("SeparableConv1D", kernel_size, strides,
                                              dilation_rate)
        super().__init__(filters, window, steps, padding, data_format, dilation,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint,
                         input_shape, name, trainable)
