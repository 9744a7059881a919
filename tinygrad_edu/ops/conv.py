"""2-D convolution of channels-last (NHWC) batches: one matrix product per pass.

Every output pixel is a dot product between the kernel and one window of the input. Copying
each window into a row of a matrix ("im2col", :mod:`tinygrad_edu.ops.windows`) turns the whole
convolution into a single matrix product, the fastest thing numpy does:

    rows[(n, i, j), (a, b, c)] = x[n, i*sh + a*dh, j*sw + b*dw, c]     (sh, sw strides;
    y[(n, i, j), o] = sum_{(a, b, c)} rows[(n, i, j), (a, b, c)] * k[(a, b, c), o] + bias[o]

(dh, dw dilation). With g = dL/dy as a (pixels, out_channels) matrix, the backward pass is two
more matrix products:

    dk = rows^T @ g                      (kernel gradient: ``ConvKernelGrad``)
    dx = add back, tap by tap, g @ k[a, b]^T                (input gradient: ``ConvInputGrad``)

All three are linear in each argument, and each one's backward is made of the other two:
writing T(x, k, g) = <g, conv(x, k)>, conv, ConvInputGrad and ConvKernelGrad are T's
gradients with respect to g, x and k. So convolution is differentiable to any order with no
special code, and each pass is one numpy routine tuned for it:

* forward: the GEMM ``rows @ k``; ``rows`` is a copy (the GEMM needs a matrix), made for a
  few images at a time (``windows.image_chunks``, about 512 KB of rows and outputs) so
  that the GEMM reads it from the cache, and each chunk's output gets its bias (and, in
  ``ConvolutionRelu``, its ReLU) while it is still there. With a single input channel the
  windows are copied tap by tap and ``rows`` is the transpose view of that (taps, pixels)
  copy: the copy then moves runs of whole output rows instead of single pixels, about 10x
  faster at batch 64 on 28x28x1 (0.1 ms instead of 1.1 ms).
* kernel gradient: ``rows^T @ g`` summed over the same chunks; numpy hands BLAS the
  transposed view as is. ``rows`` is copied again rather than kept from the forward pass:
  the copy (0.3 ms for the 13x13x32 layer at batch 64) goes into a reused scratch buffer
  (``windows.scratch``), which costs less than the page faults of a fresh 9 MB array, and
  the graph holds no window copy between the passes.
* input gradient: per tap, one GEMM ``g @ k[a, b]^T`` into a small reused buffer (it stays
  in the cache), added at once to the pixels that tap read: kh*kw GEMMs and strided
  slice-adds, no loop over the batch. Measured on the 13x13x32 -> 11x11x64 layer: 5.2 ms at
  batch 64 and 27 ms at batch 256, against 6.7 ms and 39 ms for one GEMM into window rows
  followed by the adds out of those rows (runs of one pixel's channels, 9 strided reads).

The large arrays each pass makes (the output, ``ConvolutionRelu``'s mask, the input gradient)
come from :mod:`tinygrad_edu.ops.buffers`, which hands the next step the memory of the
previous step's dead arrays instead of fresh, page-faulting pages. On the small CNN of
``bench/bench_cnn.py`` (with max pooling, which does the same) that removes 1,300-5,600 page
faults per step; the step takes 10-20% less (three runs each, 1 thread):

    batch   AVX-512 Xeon: pooled / not    AMD EPYC (AVX2): pooled / not
       32   8.4-8.6 / 9.2-9.9 ms          13.3-13.7 / 16.5-17.2 ms
       64   16.1-16.6 / 18.5-20.1 ms      26.7-32.1 / 35.2-37.7 ms
      256   75-82 / 84-87 ms              111-118 / 131-152 ms

Shapes follow Keras: input (batch, height, width, channels), kernel (kernel_height,
kernel_width, in_channels, out_channels). PyTorch uses NCHW input and (out, in, kh, kw)
kernels, and its ``padding="same"`` pads the extra pixel of an odd total on the other side.
Pooling lives in :mod:`tinygrad_edu.ops.pooling` (its ops are re-exported here).
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops import buffers
from tinygrad_edu.ops.elementwise import Mul
from tinygrad_edu.ops.grouped_conv import grouped_conv2d
from tinygrad_edu.ops.pooling import avg_pool2d, max_pool2d
from tinygrad_edu.ops.windows import (
    check_fits,
    check_images,
    conv_output_size,
    image_chunks,
    output_shape,
    pad_spatial,
    padding_mode,
    pair,
    same_padding,
    scratch,
    tap_slices,
    window_rows,
)
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["conv2d", "conv2d_relu", "max_pool2d", "avg_pool2d", "conv_output_size", "same_padding"]


class Convolution(Function):
    """y[n, i, j, o] = sum_{a,b,c} x[n, i*sh + a*dh, j*sw + b*dw, c] * k[a, b, c, o] (+ bias[o]).

    Backward:  dx = ConvInputGrad(g, k),  dk = ConvKernelGrad(x, g),  d(bias) = sum of g
    over (n, i, j).
    """

    saves_inputs = True
    hint = "conv2d needs an NHWC input at least as large as the (dilated) kernel"

    def forward(self, x, kernel, bias=None, strides=(1, 1), dilation=(1, 1)):
        self.strides, self.dilation = strides, dilation
        kh, kw, in_channels, out_channels = kernel.shape
        out_h, out_w = output_shape(x.shape, (kh, kw), strides, dilation)
        matrix = kernel.reshape(kh * kw * in_channels, out_channels)
        y = buffers.empty((x.shape[0], out_h, out_w, out_channels), np.result_type(x, kernel))
        # bias tiled over a whole output row: numpy's broadcasting over rows of out_channels
        # values is slow (0.45 against 0.25 ms on 64x26x26x32)
        row_bias = None if bias is None else np.tile(bias, out_w)
        # per image: its window rows and its output, which the GEMM reads and writes
        image_bytes = out_h * out_w * (matrix.shape[0] + out_channels) * y.itemsize
        for images in image_chunks(x.shape[0], image_bytes):  # a few images at a time
            rows = window_rows(x[images], (kh, kw), strides, dilation)
            np.matmul(rows, matrix, out=y[images].reshape(-1, out_channels))
            self.finish(y, images, row_bias)  # while the chunk is still in the cache
        return y

    def finish(self, y, images, row_bias):
        """The epilogue of the output images ``y[images]``, in place: y += bias."""
        if row_bias is not None:
            y[images].reshape(-1, row_bias.shape[0])[...] += row_bias

    def backward(self, g):
        x, kernel = self.inputs[:2]
        steps = {"strides": self.strides, "dilation": self.dilation}
        dx = dk = d_bias = None
        if x._requires_grad:
            dx = ConvInputGrad.apply(g, kernel, input_shape=x.shape, **steps)
        if kernel._requires_grad:
            dk = ConvKernelGrad.apply(x, g, window=kernel.shape[:2], **steps)
        if len(self.inputs) == 3 and self.inputs[2]._requires_grad:
            d_bias = g.sum(axis=(0, 1, 2))
        return dx, dk, d_bias


class ConvolutionRelu(Convolution):
    """y = max(z, 0) with z = conv2d(x, k) + bias: the convolution and a ReLU as one node.

    Backward:  g_z = g * [y > 0], then the convolution's rule with g_z in place of g.

    The ReLU runs in place on the convolution's fresh output, so the pair costs one output
    array instead of two: on the course's small CNN at batch 64 that is a 5.5 MB array fewer
    per step, with its page faults and one pass over it.
    """

    def forward(self, x, kernel, bias=None, strides=(1, 1), dilation=(1, 1)):
        y = super().forward(x, kernel, bias, strides, dilation)  # calls finish per chunk
        if len(y) == 0:  # an empty batch has no chunks
            self.mask = np.zeros(y.shape, dtype=bool)
        return y

    def finish(self, y, images, row_bias):
        """The epilogue of the output images ``y[images]``, in place: y = max(y + bias, 0),
        and the mask [y > 0] for the backward pass."""
        super().finish(y, images, row_bias)
        np.maximum(y[images], 0, out=y[images])
        if images.start == 0:  # the first chunk: one mask for the whole batch
            self.mask = buffers.empty(y.shape, bool)
        np.greater(y[images], 0, out=self.mask[images])

    def backward(self, g):
        return super().backward(Mul.apply(g, Tensor._wrap(self.mask)))


class ConvInputGrad(Function):
    """dx[n, i*sh + a*dh, j*sw + b*dw, c] += sum_o g[n, i, j, o] * k[a, b, c, o], tap by tap
    (the transpose of the convolution, in x).

    Backward (h = upstream, shaped like x):  dg = Convolution(h, k),  dk = ConvKernelGrad(h, g).
    """

    saves_inputs = True

    def forward(self, g, kernel, input_shape, strides, dilation):
        self.input_shape, self.strides, self.dilation = input_shape, strides, dilation
        kh, kw, in_channels, out_channels = kernel.shape
        batch, out_h, out_w, _ = g.shape
        rows = g.reshape(-1, out_channels)
        # k[a, b]^T for every tap, contiguous (a small copy: BLAS prefers it to a view)
        per_tap = np.ascontiguousarray(
            kernel.reshape(kh * kw, in_channels, out_channels).transpose(0, 2, 1))
        dx = buffers.zeros(input_shape, np.result_type(g, kernel))
        slab = scratch("slab", (batch, out_h, out_w, in_channels), dx.dtype)
        for tap, rows_read, columns_read in tap_slices((kh, kw), strides, dilation, out_h, out_w):
            np.matmul(rows, per_tap[tap], out=slab.reshape(-1, in_channels))  # g @ k[a, b]^T
            dx[:, rows_read, columns_read, :] += slab
        return dx

    def backward(self, h):
        g, kernel = self.inputs
        steps = {"strides": self.strides, "dilation": self.dilation}
        dg = Convolution.apply(h, kernel, **steps) if g._requires_grad else None
        dk = (ConvKernelGrad.apply(h, g, window=kernel.shape[:2], **steps)
              if kernel._requires_grad else None)
        return dg, dk


class ConvKernelGrad(Function):
    """dk[a, b, c, o] = sum_{n,i,j} x[n, i*sh + a*dh, j*sw + b*dw, c] * g[n, i, j, o]:
    one GEMM rows(x)^T @ g (the transpose of the convolution, in k).

    Backward (h = upstream, shaped like k):  dx = ConvInputGrad(g, h),  dg = Convolution(x, h).
    """

    saves_inputs = True

    def forward(self, x, g, window, strides, dilation):
        self.strides, self.dilation = strides, dilation
        out_h, out_w, out_channels = g.shape[1:]
        dk = np.zeros((window[0] * window[1] * x.shape[3], out_channels), np.result_type(x, g))
        image_bytes = out_h * out_w * (dk.shape[0] + out_channels) * dk.itemsize  # rows and g
        for images in image_chunks(x.shape[0], image_bytes):  # sum over chunks of rows^T @ g
            rows = window_rows(x[images], window, strides, dilation)
            dk += rows.T @ g[images].reshape(-1, out_channels)
        return dk.reshape(*window, x.shape[3], out_channels)

    def backward(self, h):
        x, g = self.inputs
        steps = {"strides": self.strides, "dilation": self.dilation}
        dx = ConvInputGrad.apply(g, h, input_shape=x.shape, **steps) if x._requires_grad else None
        dg = Convolution.apply(x, h, **steps) if g._requires_grad else None
        return dx, dg


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1):
    """2-D convolution (cross-correlation, like every framework) of an NHWC batch.

    y[n, i, j, o] = bias[o] + sum_{a,b,c} x_padded[n, i*sh + a*dh, j*sw + b*dw, c] * k[a, b, c, o]

    Backward (rows = the windows of x_padded as a matrix, g = dL/dy as (pixels, out)):
        d(kernel) = rows^T @ g     dx = each tap's g @ k[a, b]^T added back     d(bias) = sum g

    Args:
        x: input of shape (batch, height, width, in_channels).
        kernel: shape (kernel_height, kernel_width, in_channels, out_channels), as in Keras.
        bias: optional, shape (out_channels,).
        strides: int or (sh, sw).
        padding: "valid" (no padding: the output shrinks by kernel_size - 1) or "same"
            (zeros around the input so that the output is ceil(size / stride)).
        dilation_rate: int or (dh, dw): spacing between the kernel's taps.
        groups: channel blocks; with groups > 1 the kernel is (kh, kw, in_channels // groups,
            out_channels) and output block g sees only input block g
            (:func:`~tinygrad_edu.ops.grouped_conv.grouped_conv2d`; groups=1 is this path).

    Returns:
        Shape (batch, out_height, out_width, out_channels).

    >>> import tinygrad_edu as tg
    >>> conv2d(tg.ones(2, 5, 5, 1), tg.ones(3, 3, 1, 4), padding="same").shape
    (2, 5, 5, 4)
    """
    return _convolve(Convolution, "conv2d", x, kernel, bias, strides, padding, dilation_rate,
                     groups)


def conv2d_relu(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """``relu(conv2d(x, kernel, bias, ...))`` as one graph node: the convolution layer with
    ``activation="relu"`` that most CNNs stack.

    y = max(z, 0),  z[n, i, j, o] = bias[o] + sum_{a,b,c} x_padded[n, i*sh + a*dh, j*sw + b*dw, c]
    * k[a, b, c, o]

    Backward: g_z = g * [y > 0] (all of g where the output is positive, none elsewhere, the
    ReLU's rule), then :func:`conv2d`'s rule with g_z. The ReLU runs in place on the fresh
    output, chunk by chunk while it is in the cache, which saves an output-sized array per
    layer: 4-10% of a training step of the course's small CNN (``Conv2D`` uses this op when
    its activation is ReLU and ``groups=1``). The arguments are :func:`conv2d`'s.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor(np.arange(-4.0, 5.0).reshape(1, 3, 3, 1))
    >>> conv2d_relu(x, tg.ones(1, 1, 1, 1)).numpy().ravel()
    array([0., 0., 0., 0., 0., 1., 2., 3., 4.], dtype=float32)
    """
    return _convolve(ConvolutionRelu, "conv2d_relu", x, kernel, bias, strides, padding,
                     dilation_rate, 1)


def _convolve(op, who, x, kernel, bias, strides, padding, dilation_rate, groups):
    """Check the arguments of conv2d or conv2d_relu (clear errors), pad, and apply ``op``."""
    x = check_images(x, who)
    kernel = as_tensor(kernel)
    if kernel.ndim != 4:
        raise ValueError(
            f"{who}: kernel must have shape (kernel_height, kernel_width, in_channels, "
            f"out_channels), got {kernel.shape}"
        )
    if not (groups == 1 and not isinstance(groups, bool)):
        return grouped_conv2d(x, kernel, bias, strides, padding, dilation_rate, groups, who)
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
    strides = pair(strides, "strides", who)
    dilation = pair(dilation_rate, "dilation_rate", who)
    if dilation != (1, 1) and strides != (1, 1):
        raise ValueError(f"{who}: strides > 1 together with dilation_rate > 1 is not "
                         "supported (Keras refuses it too)")
    if padding_mode(padding, who) == "same":
        x = pad_spatial(x, (kh, kw), strides, dilation, 0.0)
    else:
        check_fits(x, (kh, kw), dilation, who, "kernel")
    if bias is None:
        return op.apply(x, kernel, strides=strides, dilation=dilation)
    bias = as_tensor(bias)
    if bias.shape != (out_channels,):
        raise ValueError(f"{who}: bias must have shape ({out_channels},), got {bias.shape}")
    if bias.data.dtype != x.data.dtype:
        bias = bias.astype(x.data.dtype)
    return op.apply(x, kernel, bias, strides=strides, dilation=dilation)
