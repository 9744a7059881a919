"""2-D convolution and pooling on channels-last (NHWC) batches, through im2col.

Every output pixel of a convolution is a dot product between the kernel and one window of
the input. ``Im2Col`` copies each window into a row of a matrix ("image to columns"), so
that the whole convolution becomes a single matrix product, the fastest thing numpy does:

    cols[n, i, j, a, b, c] = x[n, i*sh + a*dh, j*sw + b*dw, c]       (sh, sw strides; dh, dw
    y[n, i, j, o] = sum_{a,b,c} cols[n, i, j, a, b, c] * k[a, b, c, o]         dilation)

Pooling is the same windows followed by a max or a mean instead of a product.

The backward pass of im2col sends each window's gradient back to where the window came
from, adding where windows overlap. That is ``Col2Im``, and the backward of ``Col2Im`` is in
turn ``Im2Col``: both are linear, each is the other's transpose, so convolution and pooling
are twice differentiable with no special code.

Shapes follow Keras: input (batch, height, width, channels), kernel (kernel_height,
kernel_width, in_channels, out_channels). PyTorch uses NCHW input and (out, in, kh, kw)
kernels, and its ``padding="same"`` pads the extra pixel of an odd total on the other side.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.autograd import Function, state
from tinygrad_edu.ops.shape import pad
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "conv_output_size", "same_padding"]


def _im2col(x: np.ndarray, window, strides, dilation) -> np.ndarray:
    """The windows of x as a contiguous (batch, out_h, out_w, kh, kw, channels) array.

    ``as_strided`` builds a view in which window (i, j) starts at row i*sh, column j*sw and
    steps through its taps by dh, dw: no Python loop, one copy at the end.
    """
    batch, height, width, channels = x.shape
    (kh, kw), (sh, sw), (dh, dw) = window, strides, dilation
    out_h = (height - (kh - 1) * dh - 1) // sh + 1
    out_w = (width - (kw - 1) * dw - 1) // sw + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f"window {window} with dilation {dilation} is larger than the "
                         f"input's {height}x{width}")
    s_n, s_h, s_w, s_c = x.strides
    windows = np.lib.stride_tricks.as_strided(
        x,
        shape=(batch, out_h, out_w, kh, kw, channels),
        strides=(s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c),
        writeable=False,
    )
    return np.ascontiguousarray(windows)


class Im2Col(Function):
    """cols[n, i, j, a, b, c] = x[n, i*sh + a*dh, j*sw + b*dw, c].

    Backward:  dx = Col2Im(g): each window's gradient added back where the window was read.
    """

    hint = "Im2Col needs an NHWC input at least as large as the (dilated) window"

    def forward(self, x, window, strides, dilation):
        self.strides, self.dilation = strides, dilation
        return _im2col(x, window, strides, dilation)

    def backward(self, g):
        return Col2Im.apply(g, input_shape=self.inputs[0].shape, strides=self.strides,
                            dilation=self.dilation)


class Col2Im(Function):
    """x = zeros(input_shape);  x[n, i*sh + a*dh, j*sw + b*dw, c] += cols[n, i, j, a, b, c].

    One strided slice-add per kernel offset (a, b): kh*kw vectorized additions.
    Backward:  d(cols) = Im2Col(g).
    """

    def forward(self, cols, input_shape, strides, dilation):
        self.strides, self.dilation = strides, dilation
        _, out_h, out_w, kh, kw, _ = cols.shape
        (sh, sw), (dh, dw) = strides, dilation
        x = np.zeros(input_shape, dtype=cols.dtype)
        for a in range(kh):
            rows = slice(a * dh, a * dh + sh * (out_h - 1) + 1, sh)
            for b in range(kw):
                columns = slice(b * dw, b * dw + sw * (out_w - 1) + 1, sw)
                x[:, rows, columns, :] += cols[:, :, :, a, b, :]
        return x

    def backward(self, g):
        window = self.inputs[0].shape[3:5]
        return Im2Col.apply(g, window=window, strides=self.strides, dilation=self.dilation)


# ----- argument checking ------------------------------------------------------------------------


def _pair(value, name: str, who: str) -> tuple[int, int]:
    """An int or a pair of ints, as (height, width)."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in pair):
        raise ValueError(f"{who}: {name} must be a positive int or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _padding(padding, who: str) -> str:
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"{who}: padding must be 'valid' or 'same', got {padding!r}")
    return mode


def conv_output_size(size: int, window: int, stride: int, padding: str, dilation: int = 1) -> int:
    """Output length along one axis, Keras's rule.

    valid: floor((size - effective_window) / stride) + 1, effective_window = (window-1)*dilation+1
    same:  ceil(size / stride)
    """
    if padding == "same":
        return math.ceil(size / stride)
    return (size - (window - 1) * dilation - 1) // stride + 1


def same_padding(size: int, window: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) zeros for padding="same": TensorFlow's rule, the odd pixel goes after.

    total = max((ceil(size / stride) - 1) * stride + effective_window - size, 0)
    """
    effective = (window - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _check_images(x: Tensor, who: str) -> Tensor:
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        raise TypeError(f"{who}: expected floating images, got dtype {x.data.dtype}; "
                        "convert with x.astype('float32') (and scale uint8 pixels by 1/255)")
    if x.ndim != 4:
        fix = ""
        if x.ndim == 3:
            dims = ", ".join(map(str, x.shape))
            fix = (f" For a single image add a batch axis: x.reshape(1, {dims}). For a batch "
                   f"of grayscale images add a channel axis: x.reshape({dims}, 1).")
        raise ValueError(
            f"{who}: expected a 4-D batch of images (batch, height, width, channels), got "
            f"shape {x.shape}.{fix}"
        )
    return x


def _pad_spatial(x: Tensor, window, strides, dilation, value: float) -> Tensor:
    (kh, kw), (sh, sw), (dh, dw) = window, strides, dilation
    top_bottom = same_padding(x.shape[1], kh, sh, dh)
    left_right = same_padding(x.shape[2], kw, sw, dw)
    if top_bottom == (0, 0) and left_right == (0, 0):
        return x
    return pad(x, ((0, 0), top_bottom, left_right, (0, 0)), value=value)


def _check_fits(x: Tensor, window, dilation, who: str, what: str) -> None:
    effective = tuple((k - 1) * d + 1 for k, d in zip(window, dilation))
    if effective[0] > x.shape[1] or effective[1] > x.shape[2]:
        if state.module_path:
            who = f"{who} (in {state.module_path})"
        raise ValueError(
            f"{who}: the {effective[0]}x{effective[1]} {what} does not fit in the "
            f"{x.shape[1]}x{x.shape[2]} input (shape {x.shape}) with padding='valid'. Use "
            "padding='same', a smaller window, or fewer downsampling layers before this one."
        )


# ----- public ops -------------------------------------------------------------------------------


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """2-D convolution (cross-correlation, like every framework) of an NHWC batch.

    y[n, i, j, o] = bias[o] + sum_{a,b,c} x_padded[n, i*sh + a*dh, j*sw + b*dw, c] * k[a, b, c, o]

    Backward (through im2col and a matrix product, cols = Im2Col(x_padded)):
        d(kernel) = cols^T @ g        dx = Col2Im(g @ kernel^T)        d(bias) = sum of g

    Args:
        x: input of shape (batch, height, width, in_channels).
        kernel: shape (kernel_height, kernel_width, in_channels, out_channels), as in Keras.
        bias: optional, shape (out_channels,).
        strides: int or (sh, sw).
        padding: "valid" (no padding: the output shrinks by kernel_size - 1) or "same"
            (zeros around the input so that the output is ceil(size / stride)).
        dilation_rate: int or (dh, dw): spacing between the kernel's taps.

    Returns:
        Shape (batch, out_height, out_width, out_channels).
    """
    who = "conv2d"
    x = _check_images(x, who)
    kernel = as_tensor(kernel)
    if kernel.ndim != 4:
        raise ValueError(
            f"{who}: kernel must have shape (kernel_height, kernel_width, in_channels, "
            f"out_channels), got {kernel.shape}"
        )
    kh, kw, in_channels, out_channels = kernel.shape
    if x.shape[3] != in_channels:
        hint = " Pass images with the channels last."
        if x.shape[1] == in_channels:
            hint = (f" The input looks channels-first (NCHW); this library is channels-last "
                    f"(NHWC) like Keras: use x.transpose(0, 2, 3, 1) to get shape "
                    f"{(x.shape[0], x.shape[2], x.shape[3], x.shape[1])}.")
        raise ValueError(
            f"{who}: the input has {x.shape[3]} channels (shape {x.shape}, NHWC) but the "
            f"kernel {kernel.shape} expects {in_channels} input channels.{hint}"
        )
    if kernel.data.dtype != x.data.dtype:
        kernel = kernel.astype(x.data.dtype)
    strides = _pair(strides, "strides", who)
    dilation = _pair(dilation_rate, "dilation_rate", who)
    if dilation != (1, 1) and strides != (1, 1):
        raise ValueError(f"{who}: strides > 1 together with dilation_rate > 1 is not "
                         "supported (Keras refuses it too)")
    if _padding(padding, who) == "same":
        x = _pad_spatial(x, (kh, kw), strides, dilation, 0.0)
    else:
        _check_fits(x, (kh, kw), dilation, who, "kernel")
    cols = Im2Col.apply(x, window=(kh, kw), strides=strides, dilation=dilation)
    batch, out_h, out_w = cols.shape[:3]
    y = cols.reshape(batch * out_h * out_w, kh * kw * in_channels) @ kernel.reshape(
        kh * kw * in_channels, out_channels)
    y = y.reshape(batch, out_h, out_w, out_channels)
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (out_channels,):
            raise ValueError(f"{who}: bias must have shape ({out_channels},), got {bias.shape}")
        y = y + bias
    return y


def _pool_windows(x, pool_size, strides, padding, who, pad_value):
    x = _check_images(x, who)
    window = _pair(pool_size, "pool_size", who)
    strides = window if strides is None else _pair(strides, "strides", who)
    mode = _padding(padding, who)
    if mode == "same":
        padded = _pad_spatial(x, window, strides, (1, 1), pad_value)
    else:
        _check_fits(x, window, (1, 1), who, "pooling window")
        padded = x
    cols = Im2Col.apply(padded, window=window, strides=strides, dilation=(1, 1))
    batch, out_h, out_w = cols.shape[:3]
    flat = cols.reshape(batch, out_h, out_w, window[0] * window[1], x.shape[3])
    return x, flat, window, strides, mode


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Largest value of each pool_size window, per channel (NHWC).

    y[n, i, j, c] = max_{a,b} x[n, i*sh + a, j*sw + b, c]
    Backward: g goes to the position of each window's maximum (shared evenly on ties).
    With padding="same" the padding is -inf, so it is never the maximum (Keras's behaviour).

    Args:
        pool_size: int or (ph, pw).
        strides: int or (sh, sw); default ``pool_size`` (non-overlapping windows).
        padding: "valid" or "same".
    """
    _, flat, _, _, _ = _pool_windows(x, pool_size, strides, padding, "max_pool2d", -np.inf)
    return flat.max(axis=3)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Mean of each pool_size window, per channel (NHWC).

    y[n, i, j, c] = mean_{a,b} x[n, i*sh + a, j*sw + b, c];   backward: g / window_count to
    every position of the window. With padding="same" the mean is over the window's positions
    inside the image only (Keras/TensorFlow; PyTorch's ``avg_pool2d`` counts the padding by
    default, ``count_include_pad=True``).
    """
    x, flat, window, strides, mode = _pool_windows(x, pool_size, strides, padding,
                                                   "avg_pool2d", 0.0)
    if mode == "valid":
        return flat.mean(axis=3)
    ones = np.ones((1,) + x.shape[1:3] + (1,), dtype=x.data.dtype)
    top_bottom = same_padding(x.shape[1], window[0], strides[0])
    left_right = same_padding(x.shape[2], window[1], strides[1])
    ones = np.pad(ones, ((0, 0), top_bottom, left_right, (0, 0)))
    counts = _im2col(ones, window, strides, (1, 1)).sum(axis=(3, 4))
    return flat.sum(axis=3) * Tensor._wrap((1.0 / counts).astype(x.data.dtype))
