"""The sliding windows of channels-last (NHWC) images, shared by convolution and pooling.

Window (i, j) of an image reads, for each kernel offset (a, b) (a "tap"), the pixel

    x[n, i*sh + a*dh, j*sw + b*dw, c]        (sh, sw strides; dh, dw dilation)

``as_strided`` shows all the windows as one array without copying anything; what a copy of
it costs depends on the order of its axes, because numpy copies fastest in long contiguous
runs. Two orders are used:

* rows, (batch, out_h, out_w, kh, kw, channels): one window per row, so that a convolution is
  one matrix product ``rows @ kernel``. Each copied run is one pixel's channels.
* taps, (kh, kw, batch, out_h, out_w, channels): one image-sized slab per tap. Each copied run
  is a whole output row of pixels (``out_w * channels`` values at stride 1), and the work per
  tap afterwards (pooling's comparisons) runs on contiguous slabs, where one comparison is
  about 5x faster than on a strided view (0.035 against 0.17 ms for a 2x2 pool's tap of a
  64x26x26x32 batch). With the copy paid, 2x2 max pooling of that batch takes 2.0 ms against
  2.2 ms on the strided views; at batch 256, whose data no longer fits in the cache, 9.7 ms
  against 14.5 ms (at batch 32 the views win slightly, 0.9 against 1.0 ms).

``add_taps`` goes the other way, the scatter-add behind every backward pass: each tap's slab
is added back to the pixels it was read from, one strided slice-add per tap (no loop over the
batch). ``Im2Col`` and ``Col2Im`` are the row copy and its scatter-add as graph nodes, each
other's transpose, which makes average pooling twice differentiable with no extra code.

The argument checks of convolution and pooling (Keras's rules) live here too.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from tinygrad_edu.autograd import Function, state
from tinygrad_edu.ops.shape import pad
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["conv_output_size", "same_padding", "image_chunks", "Im2Col", "Col2Im"]


def output_shape(shape, window, strides, dilation) -> tuple[int, int]:
    """(out_h, out_w) of the windows over an NHWC ``shape`` (no padding)."""
    (kh, kw), (sh, sw), (dh, dw) = window, strides, dilation
    out_h = (shape[1] - (kh - 1) * dh - 1) // sh + 1
    out_w = (shape[2] - (kw - 1) * dw - 1) // sw + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f"window {window} with dilation {dilation} is larger than the "
                         f"input's {shape[1]}x{shape[2]}")
    return out_h, out_w


def window_view(x: np.ndarray, window, strides, dilation, taps_first: bool = False):
    """Every window of x as a read-only view: (batch, out_h, out_w, kh, kw, channels), or
    (kh, kw, batch, out_h, out_w, channels) with ``taps_first``. No copy."""
    (kh, kw), (sh, sw), (dh, dw) = window, strides, dilation
    out_h, out_w = output_shape(x.shape, window, strides, dilation)
    s_n, s_h, s_w, s_c = x.strides
    batch, channels = x.shape[0], x.shape[3]
    if taps_first:
        shape = (kh, kw, batch, out_h, out_w, channels)
        steps = (s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw, s_c)
    else:
        shape = (batch, out_h, out_w, kh, kw, channels)
        steps = (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c)
    return np.lib.stride_tricks.as_strided(x, shape=shape, strides=steps, writeable=False)


_scratch = threading.local()


def scratch(name: str, shape, dtype) -> np.ndarray:
    """A reused buffer for a temporary that dies inside one op's forward (window copies).

    A fresh multi-megabyte array costs more than the copy into it: the operating system
    hands out its memory pages zeroed, one page fault each, on first touch. Measured on the
    batch-64 CNN step: about 4,700 page faults and 12 ms of system time per step, of a 45 ms
    step. Reusing one buffer per purpose (and per thread) takes those of the window copies
    away. Only for arrays that no graph node keeps.
    """
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = buffers[name] = np.empty(nbytes, dtype=np.uint8)
    return buffer[:nbytes].view(dtype).reshape(shape)


def tap_slabs(x: np.ndarray, window, strides, dilation, name: str = "taps") -> np.ndarray:
    """The windows copied tap by tap into the scratch buffer ``name``: contiguous, shape
    (kh*kw, batch, out_h, out_w, channels). Valid until the next copy into that buffer."""
    view = window_view(x, window, strides, dilation, taps_first=True)
    slabs = scratch(name, view.shape, x.dtype)
    np.copyto(slabs, view)
    return slabs.reshape(-1, *view.shape[2:])


def window_rows(x: np.ndarray, window, strides, dilation, name: str = "rows") -> np.ndarray:
    """The (pixels, kh*kw*channels) matrix of windows, one window per row, copied into the
    scratch buffer ``name`` (or the transpose view of a tap-by-tap copy, for one channel)."""
    if x.shape[3] == 1:  # one channel: copy tap by tap (long runs), use the transpose view
        return tap_slabs(x, window, strides, dilation, name).reshape(window[0] * window[1], -1).T
    view = window_view(x, window, strides, dilation)
    rows = scratch(name, view.shape, x.dtype)
    np.copyto(rows, view)
    return rows.reshape(-1, math.prod(view.shape[3:]))


#: The bytes a convolution or a max pooling works on per chunk of images (window copies and
#: outputs): a chunk this size stays in a core's L2 cache (2 MB here) from the copy to the
#: operations that read it (see image_chunks).
CHUNK_BYTES = 512 * 1024


def image_chunks(batch: int, bytes_per_image: int, budget: int | None = None) -> list[slice]:
    """Slices of the batch axis, each holding about ``budget`` bytes of work.

    Copying the windows of a whole large batch and then multiplying runs twice through memory
    that no longer fits in the cache; a chunk of a few images is read by the GEMM while its
    copy is still in the cache. ``bytes_per_image`` counts what the work on one image reads
    and writes: its window rows and its output for a convolution. Measured on the
    13x13x32 -> 11x11x64 layer at batch 256: the forward GEMM with its copy takes 11.6 ms in
    chunks of 3 images against 16.1 ms at once (at batch 64, where everything fits, 2.8
    against 2.9 ms); on the 28x28x1 -> 26x26x32 layer with its ReLU, whose output is 3.5x its
    rows, counting the output too makes the chunks smaller: 1.1 against 1.4 ms at batch 64.

    >>> image_chunks(10, 200_000, budget=500_000)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 6, None), slice(6, 8, None), slice(8, 10, None)]
    """
    budget = CHUNK_BYTES if budget is None else budget
    step = max(1, budget // max(1, bytes_per_image))
    return [slice(start, min(start + step, batch)) for start in range(0, batch, step)]


def tap_slices(window, strides, dilation, out_h: int, out_w: int):
    """(tap index, row slice, column slice): the input pixels that tap (a, b) reads."""
    (kh, kw), (sh, sw), (dh, dw) = window, strides, dilation
    for a in range(kh):
        rows = slice(a * dh, a * dh + sh * (out_h - 1) + 1, sh)
        for b in range(kw):
            yield a * kw + b, rows, slice(b * dw, b * dw + sw * (out_w - 1) + 1, sw)


def add_taps(slabs: np.ndarray, input_shape, window, strides, dilation) -> np.ndarray:
    """x = zeros(input_shape);  x[n, i*sh + a*dh, j*sw + b*dw, c] += slabs[a*kw + b, n, i, j, c].

    slabs: (kh*kw, batch, out_h, out_w, channels), any strides. One slice-add per tap.
    """
    _, _, out_h, out_w, _ = slabs.shape
    x = np.zeros(input_shape, dtype=slabs.dtype)
    for tap, rows, columns in tap_slices(window, strides, dilation, out_h, out_w):
        x[:, rows, columns, :] += slabs[tap]
    return x


class Im2Col(Function):
    """cols[n, i, j, a, b, c] = x[n, i*sh + a*dh, j*sw + b*dw, c]   (a contiguous copy).

    Backward:  dx = Col2Im(g): each window's gradient added back where the window was read.
    """

    hint = "Im2Col needs an NHWC input at least as large as the (dilated) window"

    def forward(self, x, window, strides, dilation):
        self.strides, self.dilation = strides, dilation
        return np.ascontiguousarray(window_view(x, window, strides, dilation))

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
        batch, out_h, out_w, kh, kw, channels = cols.shape
        slabs = cols.reshape(batch, out_h, out_w, kh * kw, channels).transpose(3, 0, 1, 2, 4)
        return add_taps(slabs, input_shape, (kh, kw), strides, dilation)

    def backward(self, g):
        window = self.inputs[0].shape[3:5]
        return Im2Col.apply(g, window=window, strides=self.strides, dilation=self.dilation)


# ----- argument checking (Keras's rules) ---------------------------------------------------------


def pair(value, name: str, who: str) -> tuple[int, int]:
    """An int or a pair of ints, as (height, width)."""
    both = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(both) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in both):
        raise ValueError(f"{who}: {name} must be a positive int or a pair of them, got {value!r}")
    return int(both[0]), int(both[1])


def padding_mode(padding, who: str) -> str:
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"{who}: padding must be 'valid' or 'same', got {padding!r}")
    return mode


def conv_output_size(size: int, window: int, stride: int, padding: str, dilation: int = 1) -> int:
    """Output length along one axis, Keras's rule.

    valid: floor((size - effective_window) / stride) + 1, effective_window = (window-1)*dilation+1
    same:  ceil(size / stride)

    >>> conv_output_size(28, 3, 1, "valid"), conv_output_size(28, 3, 2, "same")
    (26, 14)
    """
    if padding == "same":
        return math.ceil(size / stride)
    return (size - (window - 1) * dilation - 1) // stride + 1


def same_padding(size: int, window: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) zeros for padding="same": TensorFlow's rule, the odd pixel goes after.

    total = max((ceil(size / stride) - 1) * stride + effective_window - size, 0)

    >>> same_padding(28, 3, 1), same_padding(28, 2, 2), same_padding(7, 4, 1)
    ((1, 1), (0, 0), (1, 2))
    """
    effective = (window - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def check_images(x, who: str) -> Tensor:
    """x as a floating 4-D (batch, height, width, channels) Tensor, or a clear error."""
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


def pad_spatial(x: Tensor, window, strides, dilation, value: float) -> Tensor:
    """x padded for padding="same" (a graph op: its backward crops)."""
    (kh, kw), (sh, sw), (dh, dw) = window, strides, dilation
    top_bottom = same_padding(x.shape[1], kh, sh, dh)
    left_right = same_padding(x.shape[2], kw, sw, dw)
    if top_bottom == (0, 0) and left_right == (0, 0):
        return x
    return pad(x, ((0, 0), top_bottom, left_right, (0, 0)), value=value)


def check_fits(x: Tensor, window, dilation, who: str, what: str) -> None:
    effective = tuple((k - 1) * d + 1 for k, d in zip(window, dilation))
    if effective[0] > x.shape[1] or effective[1] > x.shape[2]:
        if state.module_path:
            who = f"{who} (in {state.module_path})"
        raise ValueError(
            f"{who}: the {effective[0]}x{effective[1]} {what} does not fit in the "
            f"{x.shape[1]}x{x.shape[2]} input (shape {x.shape}) with padding='valid'. Use "
            "padding='same', a smaller window, or fewer downsampling layers before this one."
        )
