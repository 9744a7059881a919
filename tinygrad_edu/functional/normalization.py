"""Normalization functions: standardize over some axes, then scale by gamma and shift by beta.

All four share one formula and differ only in the axes the statistics are taken over:

    x_hat = (x - mean) / sqrt(variance + epsilon)        y = gamma * x_hat + beta

with the biased variance mean((x - mean)^2) (Keras's choice; dividing by n, not n - 1).

For an NHWC batch of shape [m, H, W, C]:

==================  ====================================  =====================
function            statistics over                       one mean per
==================  ====================================  =====================
batch_norm          m, H, W (every axis but the channel)  channel
layer_norm          the given axis (default: C)           sample (and H, W)
instance_norm       H, W                                  sample and channel
group_norm          H, W and the C/groups channels of a   sample and group
                    group
==================  ====================================  =====================

They are compositions of primitive ops: the gradient flows through the mean and the variance
too (that is what makes batch normalization's backward pass interesting), and second
derivatives come for free.

A float16 input is normalized in float32 and the results rounded back to float16: its sums
and squares overflow float16 (largest value 65504) long before its mean and variance do.
"""

from __future__ import annotations

import functools

import numpy as np

from tinygrad_edu.ops.axes import normalize_axes
from tinygrad_edu.tensor import Tensor, as_tensor


def _float16_in_float32(fn):
    """Run ``fn`` in float32 for a float16 ``x`` and convert its tensor results back."""

    @functools.wraps(fn)
    def wrapper(x, *args, **kwargs):
        x = as_tensor(x)
        if x.data.dtype != np.float16:
            return fn(x, *args, **kwargs)
        result = fn(x.astype(np.float32), *args, **kwargs)
        if isinstance(result, tuple):
            return tuple(r.astype(np.float16) for r in result)
        return result.astype(np.float16)

    return wrapper

__all__ = ["moments", "batch_norm", "layer_norm", "instance_norm", "group_norm"]


@_float16_in_float32
def moments(x, axis, keepdims=False):
    """Mean and biased variance of ``x`` over ``axis`` (an int or a tuple of ints).

    Returns:
        (mean, variance) as Tensors in the graph: gradients flow through both.
    """
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "moments")
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    variance = (centered * centered).mean(axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = mean.squeeze(axes), variance.squeeze(axes)
    return mean, variance


def _per_channel(vector, x: Tensor, axes: tuple, who: str, what: str) -> Tensor | None:
    """Reshape a parameter of shape x.shape[axes] so that it broadcasts against x."""
    if vector is None:
        return None
    vector = as_tensor(vector)
    wanted = tuple(x.shape[a] for a in axes)
    kept_shape = tuple(n if i in axes else 1 for i, n in enumerate(x.shape))
    if vector.shape == kept_shape:
        return vector
    if vector.shape != wanted:
        raise ValueError(
            f"{who}: {what} has shape {vector.shape}, but the input of shape {x.shape} needs "
            f"shape {wanted} (one value per entry of axis {axes if len(axes) > 1 else axes[0]})"
        )
    return vector.reshape(kept_shape)


def _scale_shift(x_hat, x, gamma, beta, axes, who):
    gamma = _per_channel(gamma, x, axes, who, "gamma")
    beta = _per_channel(beta, x, axes, who, "beta")
    if gamma is not None:
        x_hat = x_hat * gamma
    if beta is not None:
        x_hat = x_hat + beta
    return x_hat


def _check_epsilon(epsilon, who):
    if not epsilon > 0:
        raise ValueError(f"{who}: epsilon must be > 0 (it keeps 1/sqrt(variance) finite), "
                         f"got {epsilon}")


def _float_input(x, who, min_ndim=1) -> Tensor:
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        raise TypeError(f"{who}: expected a floating tensor, got dtype {x.data.dtype}")
    if x.ndim < min_ndim:
        raise ValueError(f"{who}: expected at least {min_ndim} dims, got shape {x.shape}")
    return x


@_float16_in_float32
def batch_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3, mean=None, variance=None,
               return_statistics=False):
    """Batch normalization: standardize each channel with statistics over the batch.

    y = gamma * (x - mean) / sqrt(variance + epsilon) + beta

    Args:
        x: input, e.g. [m, features] or NHWC [m, H, W, C].
        gamma, beta: scale and offset, shape (C,) for the channel ``axis``; None to skip.
        axis: the channel axis (int or tuple): one statistic per entry of it.
        epsilon: added to the variance (Keras's default 1e-3; PyTorch's is 1e-5).
        mean, variance: the statistics to use, shape (C,). When both are None (training),
            the batch's own mean and biased variance over every other axis are used and the
            gradient flows through them; at inference pass the moving averages.
        return_statistics: also return the (mean, variance) used, shape (C,) (a layer
            updates its moving averages with them).

    Note the gradient with batch statistics: since every output depends on the whole batch,

        dx = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat))

    (means over the batch axes); the composition of ops produces exactly this.
    """
    who = "batch_norm"
    x = _float_input(x, who, min_ndim=2)
    _check_epsilon(epsilon, who)
    channel_axes = normalize_axes(axis, x.ndim, who)
    if (mean is None) != (variance is None):
        raise ValueError(f"{who}: give both mean and variance (inference), or neither (training)")
    if mean is None:
        reduce_axes = tuple(a for a in range(x.ndim) if a not in channel_axes)
        # A batch of one sample is allowed, as in Keras: x_hat is then 0 and y = beta.
        mean = x.mean(axis=reduce_axes, keepdims=True)
        centered = x - mean
        variance = (centered * centered).mean(axis=reduce_axes, keepdims=True)
    else:
        mean = _per_channel(mean, x, channel_axes, who, "mean")
        variance = _per_channel(variance, x, channel_axes, who, "variance")
        centered = x - mean
    # Per-channel factor first: the large tensor then sees one multiply instead of a divide
    # and a multiply (and the same in the backward pass).
    scale = (variance + epsilon) ** -0.5
    gamma = _per_channel(gamma, x, channel_axes, who, "gamma")
    if gamma is not None:
        scale = scale * gamma
    y = centered * scale
    beta = _per_channel(beta, x, channel_axes, who, "beta")
    if beta is not None:
        y = y + beta
    if return_statistics:
        channel_shape = tuple(x.shape[a] for a in channel_axes)
        return y, mean.reshape(channel_shape), variance.reshape(channel_shape)
    return y


def _standardize(x: Tensor, axes: tuple, epsilon: float) -> Tensor:
    """(x - mean) / sqrt(variance + epsilon) with the statistics over ``axes``."""
    mean, variance = moments(x, axes, keepdims=True)
    return (x - mean) * (variance + epsilon) ** -0.5


@_float16_in_float32
def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Layer normalization: standardize each sample over ``axis`` (default the last one).

    y = gamma * (x - mean_axis(x)) / sqrt(var_axis(x) + epsilon) + beta,  gamma and beta of
    shape x.shape[axis]. Unlike batch_norm the statistics never mix samples, so training and
    inference compute the same thing. (Keras's default epsilon is 1e-3, PyTorch's 1e-5;
    PyTorch normalizes over the trailing ``normalized_shape`` axes.)
    """
    who = "layer_norm"
    x = _float_input(x, who)
    _check_epsilon(epsilon, who)
    axes = normalize_axes(axis, x.ndim, who)
    return _scale_shift(_standardize(x, axes, epsilon), x, gamma, beta, axes, who)


@_float16_in_float32
def instance_norm(x, gamma=None, beta=None, epsilon=1e-3):
    """Instance normalization for channels-last input [m, H, W, C] (or [m, steps, C]).

    Each sample's each channel is standardized over its spatial axes (H and W): one mean and
    variance per (sample, channel). gamma and beta have shape (C,).
    """
    who = "instance_norm"
    x = _float_input(x, who)
    if x.ndim < 3:
        raise ValueError(
            f"{who}: expected channels-last input with spatial axes, e.g. [m, H, W, C], got "
            f"shape {x.shape}; for [m, features] use layer_norm"
        )
    _check_epsilon(epsilon, who)
    spatial = tuple(range(1, x.ndim - 1))
    return _scale_shift(_standardize(x, spatial, epsilon), x, gamma, beta, (x.ndim - 1,), who)


@_float16_in_float32
def group_norm(x, groups, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Group normalization: the C channels are split into ``groups`` groups of consecutive
    channels; each sample's each group is standardized over its spatial axes and channels.

    groups = C gives instance normalization, groups = 1 layer normalization over (H, W, C).
    gamma and beta have shape (C,).
    """
    who = "group_norm"
    x = _float_input(x, who, min_ndim=2)
    _check_epsilon(epsilon, who)
    (channel_axis,) = normalize_axes(axis, x.ndim, who)
    if channel_axis == 0:
        raise ValueError(f"{who}: axis 0 is the batch axis; pass the channel axis (e.g. -1)")
    channels = x.shape[channel_axis]
    if not isinstance(groups, int) or groups < 1 or channels % groups:
        raise ValueError(
            f"{who}: groups={groups} must be a positive divisor of the number of channels "
            f"({channels} along axis {channel_axis} of input shape {x.shape})"
        )
    grouped_shape = (x.shape[:channel_axis] + (groups, channels // groups)
                     + x.shape[channel_axis + 1:])
    grouped = x.reshape(grouped_shape)
    # statistics over everything but the batch axis and the group axis
    axes = tuple(a for a in range(1, grouped.ndim) if a != channel_axis)
    x_hat = _standardize(grouped, axes, epsilon).reshape(x.shape)
    return _scale_shift(x_hat, x, gamma, beta, (channel_axis,), who)
