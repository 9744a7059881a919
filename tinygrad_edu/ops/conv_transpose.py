"""Transposed 2-D convolution (NHWC), the layer that upsamples in decoders and GANs.

A transposed convolution is the backward pass of a convolution with respect to its input,
run forward: every input pixel spreads a kernel-weighted copy of itself over a kh x kw patch
of the output, patches ``strides`` apart, adding where they overlap. With the kernel k of
shape (kh, kw, out_channels, in_channels), as Keras's ``Conv2DTranspose`` stores it::

    full[n, i*sh + a*dh, j*sw + b*dw, o] += sum_c x[n, i, j, c] * k[a, b, o, c]
    y = full cropped (or extended with zeros) to Keras's output size, + bias

That is exactly ``ConvInputGrad`` of :mod:`tinygrad_edu.ops.conv` (conv2d's input gradient)
with x in the place of the output gradient and k as a (kh, kw, in, out) convolution kernel,
so this op is that node plus a crop. Backward, with g_full = dL/dy padded back to the full
size:

    dx[n, i, j, c] = sum_{a,b,o} g_full[n, i*sh + a*dh, j*sw + b*dw, o] * k[a, b, o, c]
                                                          (the convolution of g_full by k)
    dk[a, b, o, c] = sum_{n,i,j} g_full[n, i*sh + a*dh, j*sw + b*dw, o] * x[n, i, j, c]

Both are again the convolution's own nodes, so every derivative order is there.

Output size (Keras's rule, with the effective window K = (k - 1) * d + 1):

    valid: (size - 1) * s + K + p, p = output_padding or max(s - K, 0)
    same:  size * s without output_padding, else (size - 1) * s + K % 2 + p

PyTorch's ``conv_transpose2d`` takes NCHW input and an (in, out, kh, kw) weight, and removes
``padding`` pixels from both sides; Keras's "same" crops the odd pixel on the right.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.ops.conv import ConvInputGrad
from tinygrad_edu.ops.conv1d import check_sequences
from tinygrad_edu.ops.shape import pad
from tinygrad_edu.ops.windows import check_images, padding_mode, pair
from tinygrad_edu.tensor import as_tensor

__all__ = ["conv_transpose2d", "conv_transpose1d", "conv_transpose_output_size",
           "conv_transpose_crops", "check_output_padding"]


def conv_transpose_output_size(size: int, window: int, stride: int, padding: str,
                               output_padding: int | None = None, dilation: int = 1) -> int:
    """Output length along one axis of a transposed convolution (Keras's rule).

    >>> conv_transpose_output_size(7, 3, 2, "same"), conv_transpose_output_size(7, 3, 2, "valid")
    (14, 15)
    """
    effective = (window - 1) * dilation + 1
    if padding == "valid":
        extra = max(stride - effective, 0) if output_padding is None else output_padding
        return (size - 1) * stride + effective + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + effective % 2 + output_padding


def conv_transpose_crops(window: int, stride: int, padding: str,
                         output_padding: int | None = None, dilation: int = 1) -> tuple[int, int]:
    """(before, after) pixels cut from the full (size - 1) * s + K result; negative "after"
    means zeros appended. The odd pixel of "same" is cut after, as TensorFlow and Keras do.

    >>> conv_transpose_crops(3, 2, "same"), conv_transpose_crops(4, 2, "same")
    ((0, 1), (1, 1))
    """
    effective = (window - 1) * dilation + 1
    if padding == "valid":
        extra = max(stride - effective, 0) if output_padding is None else output_padding
        return 0, -extra
    if output_padding is None:
        total = effective - stride  # full - size * s
    else:
        total = effective - effective % 2 - output_padding
    before = max(total // 2, 0)
    return before, total - before


def conv_transpose2d(x, kernel, bias=None, strides=1, padding="valid", output_padding=None,
                     dilation_rate=1):
    """Transposed convolution of an NHWC batch with Keras's kernel layout and output size.

    Args:
        x: (batch, height, width, in_channels).
        kernel: (kernel_height, kernel_width, out_channels, in_channels): Keras's
            ``Conv2DTranspose`` layout (out before in, the reverse of ``conv2d``'s).
        bias: optional (out_channels,).
        strides: int or (sh, sw): the upsampling factor.
        padding: "valid" or "same" (output size * stride).
        output_padding: None, an int or a pair, each < its stride: extra rows/columns at the
            bottom/right, to pick one of the sizes a strided convolution maps to the same size.
        dilation_rate: int or (dh, dw).

    Returns:
        (batch, out_height, out_width, out_channels), sizes by
        :func:`conv_transpose_output_size`.

    >>> import tinygrad_edu as tg
    >>> conv_transpose2d(tg.ones(1, 4, 4, 3), tg.ones(3, 3, 2, 3), strides=2,
    ...                  padding="same").shape
    (1, 8, 8, 2)
    """
    who = "conv_transpose2d"
    x = check_images(x, who)
    kernel = as_tensor(kernel)
    if kernel.ndim != 4:
        raise ValueError(f"{who}: kernel must have shape (kernel_height, kernel_width, "
                         f"out_channels, in_channels), got {kernel.shape}")
    kh, kw, out_channels, in_channels = kernel.shape
    if x.shape[3] != in_channels:
        raise ValueError(
            f"{who}: the input has {x.shape[3]} channels (shape {x.shape}, NHWC) but the kernel "
            f"{kernel.shape} expects {in_channels}: its layout is (kh, kw, out_channels, "
            "in_channels), the last axis is the input's"
        )
    if kernel.data.dtype != x.data.dtype:
        kernel = kernel.astype(x.data.dtype)
    strides = pair(strides, "strides", who)
    dilation = pair(dilation_rate, "dilation_rate", who)
    mode = padding_mode(padding, who)
    if dilation != (1, 1) and strides != (1, 1):
        raise ValueError(f"{who}: strides > 1 together with dilation_rate > 1 is not "
                         "supported (Keras refuses it too)")
    extra = (None, None)
    if output_padding is not None:
        extra = check_output_padding(output_padding, strides, who)
    batch, height, width, _ = x.shape
    full_h = (height - 1) * strides[0] + (kh - 1) * dilation[0] + 1
    full_w = (width - 1) * strides[1] + (kw - 1) * dilation[1] + 1
    # conv2d's input gradient, with x as the output gradient of a convolution whose kernel
    # (kh, kw, in=out_channels, out=in_channels) is exactly this kernel
    y = ConvInputGrad.apply(x, kernel, input_shape=(batch, full_h, full_w, out_channels),
                            strides=strides, dilation=dilation)
    crops = [conv_transpose_crops(k, s, mode, p, d)
             for k, s, p, d in zip((kh, kw), strides, extra, dilation)]
    y = _crop_or_extend(y, crops)
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (out_channels,):
            raise ValueError(f"{who}: bias must have shape ({out_channels},), got {bias.shape}")
        if bias.data.dtype != y.data.dtype:
            bias = bias.astype(y.data.dtype)
        y = y + bias
    return y


def conv_transpose1d(x, kernel, bias=None, strides=1, padding="valid", output_padding=None,
                     dilation_rate=1):
    """Transposed convolution of (batch, steps, in_channels) sequences (Keras's
    ``Conv1DTranspose``): :func:`conv_transpose2d` on images of height 1, same rules.

    y[n, t*s + a*d, o] += sum_c x[n, t, c] * k[a, o, c], then cropped to Keras's length;
    backward: dx[n, t, c] = sum_{a,o} g[n, t*s + a*d, o] k[a, o, c] (a 1-D convolution of g),
    dk[a, o, c] = sum_{n,t} g[n, t*s + a*d, o] x[n, t, c].

    Args:
        x: (batch, steps, in_channels).
        kernel: (kernel_size, out_channels, in_channels).
        bias: optional (out_channels,).
        strides, output_padding (< strides), dilation_rate: ints; padding "valid" or "same".

    >>> import tinygrad_edu as tg
    >>> conv_transpose1d(tg.ones(2, 5, 3), tg.ones(4, 2, 3), strides=2, padding="same").shape
    (2, 10, 2)
    """
    who = "conv_transpose1d"
    x = check_sequences(x, who)
    kernel = as_tensor(kernel)
    if kernel.ndim != 3:
        raise ValueError(f"{who}: kernel must have shape (kernel_size, out_channels, "
                         f"in_channels), got {kernel.shape}")
    steps = []
    for name, value in (("strides", strides), ("dilation_rate", dilation_rate)):
        if isinstance(value, (tuple, list)) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
        steps.append(int(value))
    if isinstance(output_padding, (tuple, list)) and len(output_padding) == 1:
        output_padding = output_padding[0]
    extra = None
    if output_padding is not None:
        if (isinstance(output_padding, bool) or not isinstance(output_padding, (int, np.integer))
                or not 0 <= output_padding < steps[0]):
            raise ValueError(f"{who}: output_padding must be None or an int >= 0 and smaller "
                             f"than strides={steps[0]}, got {output_padding!r}")
        extra = (0, int(output_padding))
    y = conv_transpose2d(x.reshape(x.shape[0], 1, *x.shape[1:]), kernel.reshape(1, *kernel.shape),
                         bias, strides=(1, steps[0]), padding=padding, output_padding=extra,
                         dilation_rate=(1, steps[1]))
    return y.reshape(y.shape[0], *y.shape[2:])


def check_output_padding(output_padding, strides, who: str) -> tuple[int, int]:
    """``output_padding`` as a pair of ints, each in [0, stride), or a ValueError."""
    if isinstance(output_padding, (int, np.integer)) and not isinstance(output_padding, bool):
        output_padding = (output_padding, output_padding)
    pair = tuple(output_padding)
    if len(pair) != 2 or not all(isinstance(p, (int, np.integer)) and 0 <= p < s
                                 for p, s in zip(pair, strides)):
        raise ValueError(f"{who}: output_padding must be None or ints >= 0 and smaller than "
                         f"the strides {strides}, got {output_padding!r}")
    return int(pair[0]), int(pair[1])


def _crop_or_extend(y, crops):
    """Cut the positive crops off the spatial axes, append zeros for the negative ones."""
    (top, bottom), (left, right) = crops
    rows = slice(top, y.shape[1] - max(bottom, 0))
    columns = slice(left, y.shape[2] - max(right, 0))
    if max(top, bottom, left, right) > 0:
        y = y[:, rows, columns, :]
    if bottom < 0 or right < 0:
        y = pad(y, ((0, 0), (0, max(-bottom, 0)), (0, max(-right, 0)), (0, 0)))
    return y
