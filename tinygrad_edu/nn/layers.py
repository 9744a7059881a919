"""Core layers: Dense, Activation, Flatten, Dropout and the activation layers.

Shapes follow Keras: the first axis is the batch, ``input_shape=`` leaves it out.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import constraints, functional, regularizers
from tinygrad_edu import init as initializers
from tinygrad_edu.functional.activations import activation_name
from tinygrad_edu.nn.module import InputSpec, Module
from tinygrad_edu.random import make_generator

__all__ = ["Dense", "Activation", "Flatten", "Dropout", "PReLU", "LeakyReLU", "ELU", "ReLU",
           "Softmax"]


def _activation_config(activation, fn):
    """What a config stores: a built-in activation's Keras name, else the function itself
    (which saving refuses with a clear message: a lambda cannot be written as JSON)."""
    if isinstance(activation, str) or activation is None:
        return activation
    name = activation_name(fn)
    return name if name is not None else fn


class Dense(Module):
    """Fully connected layer: ``y = activation(x @ kernel + bias)``.

    For x of shape (batch, n_in): kernel is (n_in, units), bias is (units,). With
    g = dL/d(x @ kernel + bias) the backward pass is::

        d_kernel = x^T @ g      d_bias = sum of g over the batch      dx = g @ kernel^T

    Inputs with more axes (batch, ..., n_in) are transformed along the last axis.

    Args:
        units: number of outputs.
        activation: a name (``"relu"``), a callable or None (linear).
        use_bias: add the bias vector.
        kernel_initializer: Keras default ``"glorot_uniform"``.
        bias_initializer: default ``"zeros"``.
        kernel_regularizer, bias_regularizer: penalties on the weights (``"l2"``...).
        kernel_constraint, bias_constraint: applied to the weights after each optimizer step
            (``"max_norm"``, ``constraints.MaxNorm(3)``...; see :mod:`tinygrad_edu.constraints`).
        activity_regularizer: penalty on the layer's output.
        input_shape: input shape without the batch axis, e.g. ``(784,)``: builds at once.
        input_dim: shorthand for ``input_shape=(input_dim,)``.
        name, trainable: see :class:`Module`.

    PyTorch's ``nn.Linear(n_in, units)`` stores the transposed kernel, (units, n_in), and
    initializes it differently (see ``tinygrad_edu.init``).

    >>> import tinygrad_edu as tg
    >>> layer = Dense(3, activation="relu", input_dim=4)
    >>> layer(tg.ones(2, 4)).shape, layer.kernel.shape
    ((2, 3), (4, 3))
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None,
                 input_shape=None, input_dim=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = functional.get_activation(activation)
        self._activation_arg = _activation_config(activation, self.activation)
        self._is_linear = self.activation is functional.linear
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._initializer_args = (kernel_initializer, bias_initializer)
        self.kernel = None
        self.bias = None
        self._build_from_arguments(input_shape, input_dim)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"{self.name} (Dense): needs inputs of shape (batch, features) with a known "
                f"feature size, got shape {tuple(input_shape)}. Flatten images first."
            )
        n_in = int(input_shape[-1])
        self.add_weight("kernel", (n_in, self.units), self.kernel_initializer,
                        self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer, self.bias_regularizer,
                            constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: n_in})

    def forward(self, x):
        out = x @ self.kernel
        if self.bias is not None:
            out = out + self.bias
        return out if self._is_linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self._activation_arg,
            "use_bias": self.use_bias,
            **_kernel_and_bias_config(self),
        }


def _initializer_config(argument, initializer):
    return argument if isinstance(argument, str) else initializers.serialize(initializer)


def _kernel_and_bias_config(layer) -> dict:
    """The initializer, regularizer and constraint entries of a kernel-and-bias layer's config
    (Dense, Conv2D): the names the user gave, or the serialized objects."""
    kernel_init, bias_init = layer._initializer_args
    return {
        "kernel_initializer": _initializer_config(kernel_init, layer.kernel_initializer),
        "bias_initializer": _initializer_config(bias_init, layer.bias_initializer),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
        "activity_regularizer": regularizers.serialize(layer.activity_regularizer),
        "kernel_constraint": constraints.serialize(layer.kernel_constraint),
        "bias_constraint": constraints.serialize(layer.bias_constraint),
    }


class Activation(Module):
    """Applies an activation function given by name or as a callable.

    >>> import tinygrad_edu as tg
    >>> Activation("relu")(tg.Tensor([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """

    def __init__(self, activation, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self.activation = functional.get_activation(activation)
        self._activation_arg = _activation_config(activation, self.activation)
        self._build_from_arguments(input_shape)

    def forward(self, x):
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": self._activation_arg}


class Flatten(Module):
    """Reshapes (batch, d1, d2, ...) to (batch, d1 * d2 * ...). No weights.

    Given ``input_shape=(28, 28)`` it also checks that inputs have that shape.
    """

    def __init__(self, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._declared_shape = None if input_shape is None else _sample_shape(input_shape)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        if self._declared_shape is not None:
            axes = {axis + 1: size for axis, size in enumerate(self._declared_shape)}
            self.input_spec = InputSpec(ndim=len(self._declared_shape) + 1, axes=axes)
        else:
            self.input_spec = InputSpec(min_ndim=1)

    def forward(self, x):
        return x.reshape(x.shape[0], -1)

    def compute_output_shape(self, input_shape):
        sizes = tuple(input_shape)[1:]
        flat = None if None in sizes else int(np.prod(sizes, dtype=np.int64))
        return (input_shape[0], flat)

    def get_config(self):
        config = super().get_config()
        if self._declared_shape is not None:
            config["input_shape"] = list(self._declared_shape)
        return config


def _sample_shape(input_shape) -> tuple:
    """Flatten's ``input_shape``: the known sizes of one sample (the batch axis left out)."""
    if isinstance(input_shape, (int, np.integer)):
        input_shape = (input_shape,)
    if not isinstance(input_shape, (tuple, list)) or not all(
            size is None or (isinstance(size, (int, np.integer)) and size >= 1)
            for size in input_shape):
        raise TypeError(f"Flatten: input_shape must be a tuple of sizes >= 1 such as (28, 28), "
                        f"got {input_shape!r}")
    if None in input_shape:
        raise ValueError(
            f"Flatten: input_shape={tuple(input_shape)} contains None. input_shape leaves the "
            "batch axis out and needs every other size, e.g. Flatten(input_shape=(8, 8)) for "
            "8 x 8 images; to accept any size, leave input_shape out"
        )
    return tuple(int(size) for size in input_shape)


class Dropout(Module):
    """Inverted dropout: during training each element is zeroed with probability ``rate``
    and the survivors are multiplied by 1 / (1 - rate); at inference it is the identity.

    Why this equals the classic form. Let m ~ Bernoulli(1 - rate) be the keep mask.
    Classic dropout trains with ``y = m * x`` and predicts with ``y = (1 - rate) * x``, so that
    the test-time output equals the training-time expectation E[m * x] = (1 - rate) * x.
    Inverted dropout trains with ``y = m * x / (1 - rate)``, whose expectation is x, and
    predicts with ``y = x``. The two networks differ only by the constant factor (1 - rate)
    on this layer's output, which the next layer's weights absorb: weights w trained with the
    inverted form equal (1 - rate) * w of the classic form, and both predict the same. The
    inverted form just moves the scaling into training, so inference code needs no change.

    Backward (training): dx = g * m / (1 - rate).

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: mask shape broadcast against the input (None axes take the input's).
        seed: with a seed the sequence of masks is reproducible (a new mask at each call,
            the same sequence for the same seed); without one the framework's generator is
            used (see ``tinygrad_edu.manual_seed``).

    PyTorch's ``nn.Dropout(p)`` is the same inverted dropout with ``p = rate``.
    """

    def __init__(self, rate, noise_shape=None, seed=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(name=name, trainable=trainable)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)):
            raise TypeError(f"Dropout: rate must be a number in [0, 1), got {rate!r}")
        if not 0 <= rate < 1:
            raise ValueError(
                f"Dropout: rate is the fraction of inputs to drop and must be in [0, 1), got "
                f"{rate}. (If you meant a keep probability p, pass rate = 1 - p.)"
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._mask_seeds = None if seed is None else make_generator(seed)
        self._build_from_arguments(input_shape)

    def forward(self, x):
        if not self.training or self.rate == 0:
            return x
        seed = None if self._mask_seeds is None else int(self._mask_seeds.integers(2**63))
        return functional.dropout(x, self.rate, training=True, seed=seed,
                                  noise_shape=self.noise_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape,
                "seed": self.seed}


class _ShapeKeeping(Module):
    """Activation layers: output shape = input shape."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_ShapeKeeping):
    """max(x, 0), with Keras's options.

    y = min(x, max_value) for x >= threshold, else negative_slope * (x - threshold).
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, input_shape=None,
                 name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU: max_value must be >= 0, got {max_value}")
        if negative_slope < 0:
            raise ValueError(f"ReLU: negative_slope must be >= 0, got {negative_slope}")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold
        self._build_from_arguments(input_shape)

    def forward(self, x):
        return functional.relu(x, self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_ShapeKeeping):
    """x for x > 0, negative_slope * x otherwise.

    Keras 3's layer default ``negative_slope=0.3``; Keras 2 called it ``alpha`` (accepted).
    PyTorch's ``nn.LeakyReLU`` defaults to 0.01.
    """

    def __init__(self, negative_slope=0.3, alpha=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(name=name, trainable=trainable)
        if alpha is not None:
            negative_slope = alpha
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {negative_slope}")
        self.negative_slope = float(negative_slope)
        self._build_from_arguments(input_shape)

    def forward(self, x):
        return functional.leaky_relu(x, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_ShapeKeeping):
    """x for x > 0, alpha * (exp(x) - 1) otherwise (Keras default alpha = 1)."""

    def __init__(self, alpha=1.0, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self.alpha = float(alpha)
        self._build_from_arguments(input_shape)

    def forward(self, x):
        return functional.elu(x, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(_ShapeKeeping):
    """Leaky ReLU with a learned slope per element: relu(x) - alpha * relu(-x).

    ``alpha`` has the input's shape without the batch axis (size 1 along ``shared_axes``,
    e.g. ``shared_axes=[1, 2]`` for one slope per channel of an image). Keras initializes
    alpha to zeros (a plain ReLU at first); PyTorch's ``nn.PReLU`` uses one shared 0.25.

    Backward: dx = g where x > 0, g * alpha elsewhere; d_alpha = -g * relu(-x) summed over
    the batch (and the shared axes).
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, shared_axes=None,
                 input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self._alpha_initializer_arg = alpha_initializer
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        self.shared_axes = None if shared_axes is None else [int(a) for a in shared_axes]
        self.alpha = None
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        shape = list(input_shape[1:])
        if None in shape:
            raise ValueError(f"{self.name} (PReLU): needs a known input shape, got "
                             f"{tuple(input_shape)}")
        for axis in self.shared_axes or []:
            if not 1 <= axis <= len(shape):
                raise ValueError(f"{self.name} (PReLU): shared axis {axis} is out of range "
                                 f"for inputs of shape {tuple(input_shape)} (axis 0 is the "
                                 "batch)")
            shape[axis - 1] = 1
        self.add_weight("alpha", tuple(shape), self.alpha_initializer, self.alpha_regularizer)
        axes = {i + 1: size for i, size in enumerate(input_shape[1:])
                if i + 1 not in (self.shared_axes or [])}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)

    def forward(self, x):
        return x.relu() - self.alpha * (-x).relu()

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": _initializer_config(self._alpha_initializer_arg,
                                                         self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "shared_axes": self.shared_axes}


class Softmax(_ShapeKeeping):
    """exp(x) / sum(exp(x)) along ``axis`` (default -1), computed without overflow."""

    def __init__(self, axis=-1, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self.axis = axis
        self._build_from_arguments(input_shape)

    def forward(self, x):
        return functional.softmax(x, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
