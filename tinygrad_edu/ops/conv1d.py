"""1-D convolution and pooling on (batch, steps, channels) sequences, Keras's Conv1D layout.

A sequence is an image of height 1: (N, L, C) is viewed as (N, 1, L, C) and the 2-D ops of
:mod:`tinygrad_edu.ops.conv` do the work, so forward and backward are theirs::

    y[n, t, o] = bias[o] + sum_{a,c} x_p[n, t*s + a*d, c] * k[a, c, o]
    d(k[a, c, o]) = sum_{n,t} x_p[n, t*s + a*d, c] * g[n, t, o]
    dx_p[n, t*s + a*d, c] += sum_o g[n, t, o] * k[a, c, o]

``padding="causal"`` puts all (k - 1) * d zeros before the sequence, so output step t only
sees input steps <= t (WaveNet; Keras's Conv1D). PyTorch's ``conv1d`` takes (N, C, L) input
and an (out, in, k) weight.
"""

from __future__ import annotations

from tinygrad_edu.autograd import state
from tinygrad_edu.ops.conv import avg_pool2d, conv2d, max_pool2d
from tinygrad_edu.ops.grouped_conv import grouped_conv2d
from tinygrad_edu.ops.shape import pad
from tinygrad_edu.tensor import as_tensor

__all__ = ["conv1d", "max_pool1d", "avg_pool1d", "check_sequences"]


def check_sequences(x, who: str):
    """x as a floating 3-D (batch, steps, channels) Tensor, or an error saying how to get one."""
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        raise TypeError(f"{who}: expected floating sequences, got dtype {x.data.dtype}; "
                        "convert with x.astype('float32')")
    if x.ndim != 3:
        fix = ""
        if x.ndim == 2:
            fix = (f" For one feature per step add a channel axis: x.reshape({x.shape[0]}, "
                   f"{x.shape[1]}, 1); for a single sequence add a batch axis: "
                   f"x.reshape(1, {x.shape[0]}, {x.shape[1]}).")
        elif x.ndim == 4:
            fix = " Images (batch, height, width, channels) need the 2-D op."
        raise ValueError(f"{who}: expected a 3-D batch of sequences (batch, steps, channels), "
                         f"got shape {x.shape}.{fix}")
    return x


def _one(value, name: str, who: str) -> int:
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
    return value


def _check_fits(x, window: int, dilation: int, padding: str, who: str, what: str) -> None:
    effective = (window - 1) * dilation + 1
    if padding == "valid" and effective > x.shape[1]:
        if state.module_path:
            who = f"{who} (in {state.module_path})"
        other_paddings = "padding='same' or 'causal'" if what == "kernel" else "padding='same'"
        raise ValueError(
            f"{who}: the {what} of {effective} steps does not fit in the {x.shape[1]} steps of "
            f"the input (shape {x.shape}) with padding='valid'. Use {other_paddings}, a "
            "smaller window, or fewer downsampling layers before this one."
        )


def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1):
    """1-D convolution of (batch, steps, in_channels) sequences.

    Args:
        x: (batch, steps, in_channels).
        kernel: (kernel_size, in_channels // groups, out_channels), as in Keras.
        bias: optional (out_channels,).
        strides: int.
        padding: "valid", "same" (output ceil(steps / strides)) or "causal" (zeros before).
        dilation_rate: int.
        groups: channel blocks, as in :func:`~tinygrad_edu.ops.grouped_conv.grouped_conv2d`.

    >>> import tinygrad_edu as tg
    >>> conv1d(tg.ones(2, 10, 3), tg.ones(3, 3, 4), padding="causal", dilation_rate=2).shape
    (2, 10, 4)
    """
    who = "conv1d"
    x = check_sequences(x, who)
    kernel = as_tensor(kernel)
    if kernel.ndim != 3:
        raise ValueError(f"{who}: kernel must have shape (kernel_size, in_channels // groups, "
                         f"out_channels), got {kernel.shape}")
    strides, dilation = _one(strides, "strides", who), _one(dilation_rate, "dilation_rate", who)
    mode = str(padding).lower()
    if mode not in ("valid", "same", "causal"):
        raise ValueError(f"{who}: padding must be 'valid', 'same' or 'causal', got {padding!r}")
    if mode == "causal":
        x = pad(x, ((0, 0), ((kernel.shape[0] - 1) * dilation, 0), (0, 0)))
        mode = "valid"
    _check_fits(x, kernel.shape[0], dilation, mode, who, "kernel")
    images = x.reshape(x.shape[0], 1, x.shape[1], x.shape[2])
    kernel_2d = kernel.reshape(1, *kernel.shape)
    if groups == 1 and not isinstance(groups, bool):
        y = conv2d(images, kernel_2d, bias, strides=(1, strides), padding=mode,
                   dilation_rate=(1, dilation))
    else:  # through grouped_conv2d directly, so that errors name conv1d
        y = grouped_conv2d(images, kernel_2d, bias, strides=(1, strides), padding=mode,
                           dilation_rate=(1, dilation), groups=groups, who=who)
    return y.reshape(y.shape[0], y.shape[2], y.shape[3])


def _pool1d(pool, x, pool_size, strides, padding, who):
    x = check_sequences(x, who)
    pool_size = _one(pool_size, "pool_size", who)
    strides = pool_size if strides is None else _one(strides, "strides", who)
    _check_fits(x, pool_size, 1, str(padding).lower(), who, "pooling window")
    y = pool(x.reshape(x.shape[0], 1, x.shape[1], x.shape[2]), (1, pool_size), (1, strides),
             padding)
    return y.reshape(y.shape[0], y.shape[2], y.shape[3])


def max_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Largest value of each window of ``pool_size`` steps, per channel.

    y[n, t, c] = max_a x[n, t*s + a, c]; backward: g to each window's maximum.

    >>> import tinygrad_edu as tg
    >>> max_pool1d(tg.Tensor([[[1.0], [3.0], [2.0], [0.0]]])).numpy().ravel().tolist()
    [3.0, 2.0]
    """
    return _pool1d(max_pool2d, x, pool_size, strides, padding, "max_pool1d")


def avg_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Mean of each window of ``pool_size`` steps, per channel (with "same", over the steps
    inside the sequence only, as Keras). Backward: g / count to every step of the window.

    >>> import tinygrad_edu as tg
    >>> avg_pool1d(tg.Tensor([[[1.0], [3.0], [2.0], [0.0]]])).numpy().ravel().tolist()
    [2.0, 1.0]
    """
    return _pool1d(avg_pool2d, x, pool_size, strides, padding, "avg_pool1d")
