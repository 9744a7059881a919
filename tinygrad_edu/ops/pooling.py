"""Max and average pooling of channels-last (NHWC) batches.

Pooling reduces each window (:mod:`tinygrad_edu.ops.windows`) to one number per channel.

Max pooling keeps, for every window and channel, the index of the tap that holds the
maximum (``first_maximum``): the forward pass is "pick that element", the backward pass "put
the gradient back at that element" (``MaxPoolScatter``), and the backward of that is picking
again (``MaxPoolGather``). Picking and putting back are linear and each other's transpose, so
max pooling is twice differentiable; the indices are constants of the graph (a small change
of x does not move a strict maximum), which is why the second derivative is zero.

Ties: when several taps of a window hold the maximum, the gradient goes to the first of them
in the window's row-major order (a, then b), all of it. PyTorch's ``max_pool2d`` and Keras 3
(its torch backend calls it) do the same; splitting the gradient among the tied taps would be
another valid subgradient, but not theirs.

Average pooling is linear in x: ``AvgPool`` sums each window's taps (strided views, no copy)
and scales them; its backward ``AvgPoolScatter`` adds the scaled gradient back to every tap;
each is the other's transpose.

The max-pooling windows are copied once tap by tap (contiguous slabs, ``windows.tap_slabs``):
the comparisons then run on contiguous memory; the module docstring of
:mod:`tinygrad_edu.ops.windows` has the measurements. The copy and the comparisons go a few
images at a time (``windows.image_chunks``), so that the comparisons read the slabs from the
cache: 2x2 pooling of a 64x26x26x32 batch takes 0.92 ms in chunks against 1.49 ms at once, of
a 256x26x26x32 batch 3.7 against 6.2 ms. The pooled output and the gradient scatter take
their memory from :mod:`tinygrad_edu.ops.buffers`, like convolution (the gain on a training
step is measured there, in :mod:`tinygrad_edu.ops.conv`).
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops import buffers
from tinygrad_edu.ops.windows import (
    check_fits,
    check_images,
    image_chunks,
    output_shape,
    pad_spatial,
    padding_mode,
    pair,
    same_padding,
    scratch,
    tap_slabs,
    tap_slices,
    window_view,
)

__all__ = ["max_pool2d", "avg_pool2d"]


def first_maximum(slabs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The maximum over the first axis and the index of its first occurrence.

    slabs: (taps, ...). Returns (slabs.max(axis=0), index) with index the smallest t such that
    slabs[t] equals the maximum: it counts the leading taps that are not the maximum.

    >>> first_maximum(np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 2.0]]))
    (array([3., 5., 2.]), array([1, 0, 0], dtype=uint8))
    """
    taps = slabs.shape[0]
    y = slabs.max(axis=0)
    index = np.zeros(y.shape, dtype=np.min_scalar_type(taps - 1))
    if taps == 1:
        return y, index
    not_yet, differs = scratch("not_yet", y.shape, bool), scratch("differs", y.shape, bool)
    np.not_equal(slabs[0], y, out=not_yet)
    index += not_yet
    for t in range(1, taps - 1):
        not_yet &= np.not_equal(slabs[t], y, out=differs)
        index += not_yet
    return y, index


class MaxPool(Function):
    """y[n, i, j, c] = max_{a,b} x[n, i*sh + a*dh, j*sw + b*dw, c];  index = the first such
    (a, b).

    Backward:  dx = MaxPoolScatter(g): g back at the position of each window's first maximum.
    """

    hint = "max_pool2d needs an NHWC input at least as large as the window"

    def forward(self, x, window, strides, dilation=(1, 1)):
        self.window, self.strides, self.dilation = window, strides, dilation
        out_h, out_w = output_shape(x.shape, window, strides, dilation)
        y = buffers.empty((x.shape[0], out_h, out_w, x.shape[3]), x.dtype)
        self.index = np.empty(y.shape, dtype=np.min_scalar_type(window[0] * window[1] - 1))
        slab_bytes = window[0] * window[1] * out_h * out_w * x.shape[3] * x.itemsize
        for images in image_chunks(x.shape[0], slab_bytes):  # copy and compare in the cache
            slabs = tap_slabs(x[images], window, strides, dilation)
            y[images], self.index[images] = first_maximum(slabs)
        return y

    def backward(self, g):
        return MaxPoolScatter.apply(g, index=self.index, input_shape=self.inputs[0].shape,
                                    window=self.window, strides=self.strides,
                                    dilation=self.dilation)


class MaxPoolScatter(Function):
    """x = zeros(input_shape);  x[n, i*sh + a*dh, j*sw + b*dw, c] += g[n, i, j, c] where
    index[n, i, j, c] == a*kw + b.   Backward:  dg = MaxPoolGather(h), picking h at the same
    places.

    Non-overlapping windows (strides >= the dilated window, the default) each receive their
    slice once, written in place; overlapping ones add up.
    """

    def forward(self, g, index, input_shape, window, strides, dilation=(1, 1)):
        self.index, self.window, self.strides, self.dilation = index, window, strides, dilation
        x = buffers.zeros(input_shape, g.dtype)
        overlapping = any(s < (k - 1) * d + 1 for s, k, d in zip(strides, window, dilation))
        here, picked = scratch("here", g.shape, bool), scratch("picked", g.shape, g.dtype)
        for tap, rows, columns in tap_slices(window, strides, dilation, *g.shape[1:3]):
            np.equal(index, tap, out=here)
            if overlapping:
                x[:, rows, columns, :] += np.multiply(g, here, out=picked)
            else:
                np.multiply(g, here, out=x[:, rows, columns, :])
        return x

    def backward(self, h):
        return MaxPoolGather.apply(h, index=self.index, window=self.window,
                                   strides=self.strides, dilation=self.dilation)


class MaxPoolGather(Function):
    """y[n, i, j, c] = h[n, i*sh + a*dh, j*sw + b*dw, c] with a*kw + b = index[n, i, j, c].

    Backward:  dh = MaxPoolScatter(g), putting g back at the same places.
    """

    def forward(self, h, index, window, strides, dilation=(1, 1)):
        self.index, self.window, self.strides, self.dilation = index, window, strides, dilation
        y = np.zeros(index.shape, dtype=h.dtype)
        for tap, rows, columns in tap_slices(window, strides, dilation, *index.shape[1:3]):
            y += h[:, rows, columns, :] * (index == tap)
        return y

    def backward(self, g):
        return MaxPoolScatter.apply(g, index=self.index, input_shape=self.inputs[0].shape,
                                    window=self.window, strides=self.strides,
                                    dilation=self.dilation)


def _prepare(x, pool_size, strides, padding, who, pad_value, dilation=(1, 1)):
    x = check_images(x, who)
    window = pair(pool_size, "pool_size", who)
    strides = window if strides is None else pair(strides, "strides", who)
    mode = padding_mode(padding, who)
    if mode == "same":
        padded = pad_spatial(x, window, strides, dilation, pad_value)
    else:
        check_fits(x, window, dilation, who, "pooling window")
        padded = x
    return x, padded, window, strides, mode


def max_pool2d(x, pool_size=2, strides=None, padding="valid", dilation=1):
    """Largest value of each pool_size window, per channel (NHWC).

    y[n, i, j, c] = max_{a,b} x[n, i*sh + a*dh, j*sw + b*dw, c]
    Backward: all of g goes to the window's maximum; on a tie, to the first maximum in the
    window's row-major order (PyTorch's and Keras's rule). With padding="same" the padding is
    -inf, so it is never the maximum (Keras's behaviour).

    Args:
        pool_size: int or (ph, pw).
        strides: int or (sh, sw); default ``pool_size`` (non-overlapping windows).
        padding: "valid" or "same".
        dilation: int or (dh, dw): gaps between the window's taps, as PyTorch's
            ``max_pool2d(dilation=...)`` (Keras's MaxPooling2D has none); default 1.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor(np.array([1.0, 3.0, 3.0, 2.0]).reshape(1, 2, 2, 1), requires_grad=True)
    >>> max_pool2d(x).sum().backward()
    >>> x.grad.numpy().ravel()  # the tie goes to the first 3
    array([0., 1., 0., 0.], dtype=float32)
    """
    taps_apart = pair(dilation, "dilation", "max_pool2d")
    _, padded, window, strides, _ = _prepare(x, pool_size, strides, padding, "max_pool2d",
                                             -np.inf, taps_apart)
    return MaxPool.apply(padded, window=window, strides=strides, dilation=taps_apart)


class AvgPool(Function):
    """y[n, i, j, c] = scale[i, j] * sum_{a,b} x[n, i*sh + a, j*sw + b, c]  (scale = 1 / count).

    Backward:  dx = AvgPoolScatter(g): g * scale added to every position of the window.
    """

    hint = "avg_pool2d needs an NHWC input at least as large as the window"

    def forward(self, x, window, strides, scale):
        self.window, self.strides, self.scale = window, strides, scale
        out_h, out_w = output_shape(x.shape, window, strides, (1, 1))
        y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]), dtype=x.dtype)
        for _, rows, columns in tap_slices(window, strides, (1, 1), out_h, out_w):
            y += x[:, rows, columns, :]
        y *= scale
        return y

    def backward(self, g):
        return AvgPoolScatter.apply(g, input_shape=self.inputs[0].shape, window=self.window,
                                    strides=self.strides, scale=self.scale)


class AvgPoolScatter(Function):
    """x = zeros(input_shape);  x[n, i*sh + a, j*sw + b, c] += scale[i, j] * g[n, i, j, c].

    Backward:  dg = AvgPool(h) with the same scale (each is the other's transpose).
    """

    def forward(self, g, input_shape, window, strides, scale):
        self.window, self.strides, self.scale = window, strides, scale
        share = g * scale
        x = np.zeros(input_shape, dtype=share.dtype)
        for _, rows, columns in tap_slices(window, strides, (1, 1), *g.shape[1:3]):
            x[:, rows, columns, :] += share
        return x

    def backward(self, h):
        return AvgPool.apply(h, window=self.window, strides=self.strides, scale=self.scale)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Mean of each pool_size window, per channel (NHWC).

    y[n, i, j, c] = mean_{a,b} x[n, i*sh + a, j*sw + b, c];   backward: g / window_count to
    every position of the window. With padding="same" the mean is over the window's positions
    inside the image only (Keras/TensorFlow; PyTorch's ``avg_pool2d`` counts the padding by
    default, ``count_include_pad=True``).

    >>> import tinygrad_edu as tg
    >>> avg_pool2d(tg.Tensor(np.arange(16.0).reshape(1, 4, 4, 1))).numpy().ravel()
    array([ 2.5,  4.5, 10.5, 12.5], dtype=float32)
    """
    x, padded, window, strides, mode = _prepare(x, pool_size, strides, padding, "avg_pool2d",
                                                0.0)
    dtype = x.data.dtype
    if mode == "valid":
        scale = np.array(1.0 / (window[0] * window[1]), dtype=dtype)
    else:  # count the window's pixels inside the image: pool a padded image of ones
        top_bottom = same_padding(x.shape[1], window[0], strides[0])
        left_right = same_padding(x.shape[2], window[1], strides[1])
        ones = np.pad(np.ones((1,) + x.shape[1:3] + (1,), dtype=dtype),
                      ((0, 0), top_bottom, left_right, (0, 0)))
        counts = window_view(ones, window, strides, (1, 1)).sum(axis=(3, 4))
        scale = (1.0 / counts).astype(dtype)
    return AvgPool.apply(padded, window=window, strides=strides, scale=scale)
