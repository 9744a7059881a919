"""1-D convolution and pooling layers for sequences (batch, steps, channels), as in Keras.

The arithmetic lives in :mod:`tinygrad_edu.ops.conv1d` (a sequence is an image of height 1);
these layers hold the weights, check shapes and follow Keras's names and defaults.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import constraints, functional, regularizers
from tinygrad_edu import init as initializers
from tinygrad_edu.nn.conv import _check_data_format, _GlobalPooling
from tinygrad_edu.nn.layers import _activation_config, _kernel_and_bias_config
from tinygrad_edu.nn.masking import mask_of
from tinygrad_edu.nn.module import InputSpec, Module
from tinygrad_edu.ops import conv as conv_ops
from tinygrad_edu.ops import conv1d as conv1d_ops
from tinygrad_edu.ops.elementwise import where
from tinygrad_edu.ops.grouped_conv import check_groups
from tinygrad_edu.tensor import Tensor

__all__ = ["Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D",
           "GlobalMaxPooling1D", "check_sequence_shape", "set_kernel_and_bias_options"]


def _positive(value, what: str, layer: str) -> int:
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer}: {what} must be a positive int, got {value!r}")
    return int(value)


def check_sequence_shape(layer: Module, input_shape) -> tuple:
    """A 3-D (batch, steps, channels) shape, or an error naming the layer and the fix."""
    shape = tuple(input_shape)
    if len(shape) != 3:
        hint = ""
        if len(shape) == 2:
            hint = (" One feature per step needs a channel axis: x.reshape(*x.shape, 1); "
                    "one sequence needs a batch axis: x.reshape(1, *x.shape).")
        elif len(shape) == 4:
            hint = f" For images use the 2-D layer ({type(layer).__name__.replace('1D', '2D')})."
        raise ValueError(f"{layer.name} ({type(layer).__name__}): expects 3-D input (batch, "
                         f"steps, channels), got shape {shape}.{hint}")
    return shape


def set_kernel_and_bias_options(layer, activation, use_bias, kernel_initializer,
                                bias_initializer, kernel_regularizer, bias_regularizer,
                                activity_regularizer, kernel_constraint, bias_constraint):
    """The attributes a kernel-and-bias layer keeps from its Keras arguments (read back by
    ``_kernel_and_bias_config``); the weights themselves come at build time."""
    layer.activation = functional.get_activation(activation)
    layer._activation_arg = _activation_config(activation, layer.activation)
    layer._is_linear = layer.activation is functional.linear
    layer.use_bias = bool(use_bias)
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer._initializer_args = (kernel_initializer, bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.activity_regularizer = regularizers.get(activity_regularizer)
    layer.kernel_constraint = constraints.get(kernel_constraint)
    layer.bias_constraint = constraints.get(bias_constraint)
    layer.kernel = None
    layer.bias = None


def _steps_output(layer, steps, window, stride, padding, dilation=1):
    if steps is None:
        return None
    mode = padding
    if padding == "causal":  # causal = valid after (window - 1) * dilation zeros in front
        steps, mode = steps + (window - 1) * dilation, "valid"
    out = conv_ops.conv_output_size(steps, window, stride, mode, dilation)
    if out < 1:
        raise ValueError(
            f"{layer.name} ({type(layer).__name__}): a window of {(window - 1) * dilation + 1} "
            f"steps does not fit in {steps} steps with padding='valid'. Use padding='same', a "
            "smaller window, or fewer downsampling layers before this one."
        )
    return out


class Conv1D(Module):
    """1-D convolution over steps: ``y = activation(conv1d(x, kernel) + bias)``.

    kernel has shape (kernel_size, in_channels // groups, filters), bias (filters,)::

        y[n, t, o] = b[o] + sum_{a, c} x[n, t*s + a*d, c] * kernel[a, c, o]

    Backward (g = dL/d(output) before the activation): d_kernel[a, c, o] =
    sum_{n,t} x[n, t*s + a*d, c] g[n, t, o], d_bias = sum of g, dx = g spread back through
    the kernel to the steps each output read.

    Args:
        filters: number of output channels.
        kernel_size: int.
        strides: int, default 1.
        padding: "valid", "same" or "causal" (zeros only before the sequence: step t sees
            steps <= t).
        dilation_rate: int: gaps between the kernel's taps.
        groups: channel blocks (each filter sees in_channels // groups channels).
        activation, use_bias, kernel_initializer ("glorot_uniform"), bias_initializer,
        *_regularizer, *_constraint: as in Conv2D.

    >>> import tinygrad_edu as tg
    >>> layer = Conv1D(4, 3, padding="causal", input_shape=(10, 2))
    >>> layer(tg.zeros(5, 10, 2)).shape, layer.kernel.shape
    ((5, 10, 4), (3, 2, 4))
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(name=name, trainable=trainable)
        layer = "Conv1D"
        self.filters = _positive(filters, "filters", layer)
        _check_data_format(data_format, layer)
        self.kernel_size = _positive(kernel_size, "kernel_size", layer)
        self.strides = _positive(strides, "strides", layer)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same", "causal"):
            raise ValueError(f"{layer}: padding must be 'valid', 'same' or 'causal', got "
                             f"{padding!r}")
        self.dilation_rate = _positive(dilation_rate, "dilation_rate", layer)
        if self.dilation_rate != 1 and self.strides != 1:
            raise ValueError(f"{layer}: strides > 1 cannot be combined with dilation_rate > 1")
        self.groups = _positive(groups, "groups", layer)
        if self.filters % self.groups:
            raise ValueError(f"{layer}: groups={self.groups} must divide filters={self.filters}")
        set_kernel_and_bias_options(self, activation, use_bias, kernel_initializer,
                                    bias_initializer, kernel_regularizer, bias_regularizer,
                                    activity_regularizer, kernel_constraint, bias_constraint)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        channels = check_sequence_shape(self, input_shape)[2]
        if channels is None:
            raise ValueError(f"{self.name} (Conv1D): the number of input channels must be "
                             f"known, got input shape {tuple(input_shape)}")
        check_groups(self.groups, int(channels), self.filters, f"{self.name} (Conv1D)")
        self.add_weight("kernel", (self.kernel_size, int(channels) // self.groups, self.filters),
                        self.kernel_initializer, self.kernel_regularizer,
                        constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                            constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=3, axes={-1: int(channels)})

    def forward(self, x):
        out = conv1d_ops.conv1d(x, self.kernel, self.bias, strides=self.strides,
                                padding=self.padding, dilation_rate=self.dilation_rate,
                                groups=self.groups)
        return out if self._is_linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        batch, steps, _ = check_sequence_shape(self, input_shape)
        return (batch, _steps_output(self, steps, self.kernel_size, self.strides, self.padding,
                                     self.dilation_rate), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": self._activation_arg,
            "use_bias": self.use_bias,
            **_kernel_and_bias_config(self),
        }


class _Pooling1D(Module):
    """Shared constructor and shape rule of the 1-D pooling layers (no weights)."""

    _pool = None  # the op: conv1d_ops.max_pool1d or conv1d_ops.avg_pool1d

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        layer = type(self).__name__
        _check_data_format(data_format, layer)
        self.pool_size = _positive(pool_size, "pool_size", layer)
        self.strides = self.pool_size if strides is None else _positive(strides, "strides",
                                                                        layer)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        check_sequence_shape(self, input_shape)
        self.input_spec = InputSpec(ndim=3)

    def forward(self, x):
        return self._pool(x, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        batch, steps, channels = check_sequence_shape(self, input_shape)
        return (batch, _steps_output(self, steps, self.pool_size, self.strides, self.padding),
                channels)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling1D(_Pooling1D):
    """The largest value of each window of ``pool_size`` steps, per channel.

    y[n, t, c] = max_a x[n, t*s + a, c]; backward: g to each window's maximum. No weights.

    >>> import tinygrad_edu as tg
    >>> MaxPooling1D()(tg.ones(2, 9, 3)).shape
    (2, 4, 3)
    """

    _pool = staticmethod(conv1d_ops.max_pool1d)


class AveragePooling1D(_Pooling1D):
    """The mean of each window of ``pool_size`` steps, per channel; g shared equally.

    >>> import tinygrad_edu as tg
    >>> AveragePooling1D(3, strides=1, padding="same")(tg.ones(2, 9, 3)).shape
    (2, 9, 3)
    """

    _pool = staticmethod(conv1d_ops.avg_pool1d)


class _GlobalPooling1D(_GlobalPooling):
    _check_shape = check_sequence_shape


class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean of each channel over all steps: (m, L, C) -> (m, C); dx = g / L everywhere.

    With a mask (from ``Masking`` or ``Embedding(mask_zero=True)``, or ``mask=``), the mean
    is over the kept steps only, as in Keras: y[n, c] = sum_t mask[n, t] x[n, t, c] /
    sum_t mask[n, t], and the padded steps get no gradient.

    >>> import tinygrad_edu as tg
    >>> GlobalAveragePooling1D()(tg.ones(2, 9, 3)).shape
    (2, 3)
    >>> x = tg.Tensor([[[1.0], [3.0], [0.0]]])
    >>> GlobalAveragePooling1D()(x, mask=[[True, True, False]]).tolist()
    [[2.0]]
    """

    def forward(self, x, mask=None):
        mask = mask_of(x) if mask is None else np.asarray(mask, dtype=bool)
        if mask is None:
            return x.mean(axis=1, keepdims=self.keepdims)
        keep = mask.reshape(*mask.shape, 1)
        counts = keep.sum(axis=1, keepdims=self.keepdims).astype(x.data.dtype)
        total = where(keep, x, 0.0).sum(axis=1, keepdims=self.keepdims)
        return total / Tensor._wrap(counts)


class GlobalMaxPooling1D(_GlobalPooling1D):
    """The largest value of each channel over all steps: (m, L, C) -> (m, C).

    >>> import tinygrad_edu as tg
    >>> GlobalMaxPooling1D(keepdims=True)(tg.ones(2, 9, 3)).shape
    (2, 1, 3)
    """

    def forward(self, x):
        return x.max(axis=1, keepdims=self.keepdims)
