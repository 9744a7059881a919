"""Normalization layers: BatchNormalization, LayerNormalization, InstanceNormalization and
GroupNormalization, with Keras's names, defaults and formulas.

Each standardizes its input with a mean and a (biased) variance, then applies a learned
scale ``gamma`` and offset ``beta`` per channel:

    y = gamma * (x - mean) / sqrt(variance + epsilon) + beta

They differ in which values share a mean; see :mod:`tinygrad_edu.functional.normalization`.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import init as initializers
from tinygrad_edu import regularizers
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.functional import normalization as norm_ops
from tinygrad_edu.nn.layers import _initializer_config
from tinygrad_edu.nn.module import InputSpec, Module
from tinygrad_edu.ops.axes import normalize_axes

__all__ = ["BatchNormalization", "LayerNormalization", "InstanceNormalization",
           "GroupNormalization"]


class _AffineNormalization(Module):
    """Shared parts: epsilon, and the optional per-channel gamma (scale) and beta (center)."""

    def __init__(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, name, trainable):
        super().__init__(name=name, trainable=trainable)
        if not epsilon > 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be > 0, got {epsilon}")
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self._initializer_args = {"beta_initializer": beta_initializer,
                                  "gamma_initializer": gamma_initializer}
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma = None
        self.beta = None

    def _add_affine(self, shape: tuple) -> None:
        if self.scale:
            self.add_weight("gamma", shape, self.gamma_initializer, self.gamma_regularizer)
        if self.center:
            self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer)

    def _axes(self, axis, input_shape) -> tuple:
        try:
            return normalize_axes(axis, len(input_shape), self.name)
        except ValueError:
            raise ValueError(f"{self.name} ({type(self).__name__}): axis {axis} is out of range "
                             f"for inputs of shape {tuple(input_shape)}") from None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = {**super().get_config(), "epsilon": self.epsilon, "center": self.center,
                  "scale": self.scale}
        for key, argument in self._initializer_args.items():
            config[key] = _initializer_config(argument, getattr(self, key))
        config["beta_regularizer"] = regularizers.serialize(self.beta_regularizer)
        config["gamma_regularizer"] = regularizers.serialize(self.gamma_regularizer)
        return config


class BatchNormalization(_AffineNormalization):
    """Normalize each channel with the statistics of the current batch (training) or with
    moving averages of them (inference).

    Training (``model.train()``, the default): with mean_B and var_B the mean and biased
    variance of the batch over every axis but ``axis``,

        y = gamma * (x - mean_B) / sqrt(var_B + epsilon) + beta
        moving_mean     = moving_mean     * momentum + mean_B * (1 - momentum)
        moving_variance = moving_variance * momentum + var_B  * (1 - momentum)

    and the gradient flows through mean_B and var_B too. Inference (``model.eval()``): the
    same formula with moving_mean and moving_variance, so a prediction does not depend on
    the rest of its batch.

    Weights: gamma and beta (trainable, one per channel) and the buffers moving_mean and
    moving_variance (updated by the layer itself, not by the optimizer: the 2 * C
    non-trainable parameters of ``summary()``). A layer set ``trainable = False`` also runs in
    inference mode, as in Keras (what fine-tuning a pretrained network needs).

    Args:
        axis: the channel axis (-1: channels last).
        momentum: weight of the old moving average, default 0.99.
        epsilon: added to the variance, default 1e-3.
        center, scale: learn beta / gamma.
        *_initializer: beta "zeros", gamma "ones", moving_mean "zeros", moving_variance "ones".

    PyTorch: ``nn.BatchNorm1d/2d(momentum=0.1)`` means the opposite, the weight of the *new*
    batch: PyTorch's 0.1 is Keras's 0.9, and Keras's default 0.99 is PyTorch's 0.01. PyTorch
    also updates its running variance with the unbiased batch variance (n / (n - 1) times
    var_B), uses epsilon 1e-5 by default, and expects channels first.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, name, trainable)
        if not 0 <= momentum <= 1:
            raise ValueError(
                f"BatchNormalization: momentum must be in [0, 1] (the weight of the old moving "
                f"average, Keras's meaning), got {momentum}"
            )
        self.axis = axis
        self.momentum = float(momentum)
        self._initializer_args.update(moving_mean_initializer=moving_mean_initializer,
                                      moving_variance_initializer=moving_variance_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"{self.name} (BatchNormalization): needs a batch axis and a "
                             f"channel axis, got input shape {tuple(input_shape)}")
        self._channel_axes = self._axes(self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self._channel_axes)
        if None in shape or 0 in self._channel_axes:
            raise ValueError(f"{self.name} (BatchNormalization): axis {self.axis} must be a "
                             f"known channel axis, not the batch, for input shape "
                             f"{tuple(input_shape)}")
        self._add_affine(shape)
        self.register_buffer("moving_mean", self.moving_mean_initializer(shape, "float32"))
        self.register_buffer("moving_variance",
                             self.moving_variance_initializer(shape, "float32"))
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: input_shape[a] for a in self._channel_axes})

    def forward(self, x):
        axis = self._channel_axes
        if not (self.training and self.trainable):
            return norm_ops.batch_norm(x, self.gamma, self.beta, axis, self.epsilon,
                                       mean=self.moving_mean, variance=self.moving_variance)
        y, mean, variance = norm_ops.batch_norm(x, self.gamma, self.beta, axis, self.epsilon,
                                                return_statistics=True)
        with no_grad():
            self._update_moving(self.moving_mean, mean.data)
            self._update_moving(self.moving_variance, variance.data)
        return y

    def _update_moving(self, moving, batch_value: np.ndarray) -> None:
        """moving = moving * momentum + batch * (1 - momentum), in place."""
        momentum = self.momentum
        new = moving.data * momentum + batch_value.astype(moving.data.dtype) * (1.0 - momentum)
        moving.copy_(new.astype(moving.data.dtype, copy=False))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum}


class LayerNormalization(_AffineNormalization):
    """Normalize each sample over ``axis`` (default the last: its features).

    y = gamma * (x - mean_axis(x)) / sqrt(var_axis(x) + epsilon) + beta, gamma and beta of
    shape ``input_shape[axis]``. No statistics are shared between samples, so training and
    inference compute the same thing and no moving averages exist.
    Keras's default epsilon is 1e-3 (PyTorch's ``nn.LayerNorm``: 1e-5, normalizing over the
    trailing ``normalized_shape`` axes).
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, input_shape=None, name=None, trainable=True):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, name, trainable)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        self._norm_axes = self._axes(self.axis, input_shape)
        if 0 in self._norm_axes and len(input_shape) > 1:
            raise ValueError(f"{self.name} (LayerNormalization): axis 0 is the batch axis; "
                             "normalize over feature axes (e.g. -1)")
        self._add_affine(tuple(input_shape[a] for a in self._norm_axes))
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: input_shape[a] for a in self._norm_axes})

    def forward(self, x):
        return norm_ops.layer_norm(x, self.gamma, self.beta, self._norm_axes, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class InstanceNormalization(_AffineNormalization):
    """Normalize each sample's each channel over its spatial axes: for [m, H, W, C] there
    are m * C means, each over the H * W values of one feature map.

    y = gamma * (x - mean_HW) / sqrt(var_HW + epsilon) + beta, gamma and beta of shape (C,).
    The same in training and inference. (PyTorch's ``nn.InstanceNorm2d`` has no gamma/beta
    unless ``affine=True`` and uses epsilon 1e-5; here ``center``/``scale`` default to True.)
    """

    def __init__(self, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 input_shape=None, name=None, trainable=True):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, name, trainable)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        if len(input_shape) < 3 or input_shape[-1] is None:
            raise ValueError(
                f"{self.name} (InstanceNormalization): expects channels-last input with "
                f"spatial axes, e.g. [m, H, W, C], got shape {tuple(input_shape)}"
            )
        self._add_affine((input_shape[-1],))
        self.input_spec = InputSpec(ndim=len(input_shape), axes={-1: input_shape[-1]})

    def forward(self, x):
        return norm_ops.instance_norm(x, self.gamma, self.beta, self.epsilon)


class GroupNormalization(_AffineNormalization):
    """Split the C channels into ``groups`` groups of consecutive channels; normalize each
    sample's each group over its spatial axes and its C / groups channels.

    groups = C is instance normalization, groups = 1 layer normalization over (H, W, C).
    gamma and beta have shape (C,). The same in training and inference. Keras's defaults:
    groups=32, epsilon=1e-3 (PyTorch's ``nn.GroupNorm``: epsilon 1e-5, channels first).
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, input_shape=None, name=None, trainable=True):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, name, trainable)
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
            raise ValueError(f"GroupNormalization: groups must be a positive integer, got "
                             f"{groups!r}")
        self.groups = int(groups)
        self.axis = axis
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        (channel_axis,) = self._axes(self.axis, input_shape)
        channels = input_shape[channel_axis]
        if channel_axis == 0 or channels is None:
            raise ValueError(f"{self.name} (GroupNormalization): axis {self.axis} must be a "
                             f"known channel axis of input shape {tuple(input_shape)}")
        if channels % self.groups:
            raise ValueError(
                f"{self.name} (GroupNormalization): {channels} channels cannot be split into "
                f"{self.groups} equal groups; choose groups dividing {channels} "
                f"(e.g. {_divisors(channels)})"
            )
        self._channel_axis = channel_axis
        self._add_affine((channels,))
        self.input_spec = InputSpec(ndim=len(input_shape), axes={channel_axis: channels})

    def forward(self, x):
        return norm_ops.group_norm(x, self.groups, self.gamma, self.beta, self._channel_axis,
                                   self.epsilon)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis}


def _divisors(n: int) -> str:
    return ", ".join(str(d) for d in range(1, n + 1) if n % d == 0)
