"""Upsampling of NHWC images and (N, L, C) sequences: nearest neighbour and bilinear.

Nearest neighbour repeats every pixel ``size`` times along each axis (``repeat``; its
backward sums each block of g back into its pixel).

Bilinear interpolation is linear in x, one matrix per axis. With factor f, output row i
reads the input at the half-pixel position ``u = max((i + 0.5) / f - 0.5, 0)`` (the
convention of Keras 3, TensorFlow 2 and PyTorch's ``align_corners=False``), mixing rows
floor(u) and floor(u) + 1 (clamped to the last row) with weights 1 - frac(u) and frac(u)::

    y[n, i, j, c] = sum_{h,w} A_h[i, h] * A_w[j, w] * x[n, h, w, c]
    dx[n, h, w, c] = sum_{i,j} A_h[i, h] * A_w[j, w] * g[n, i, j, c]      (A transposed)

Both are einsums of the input with constant matrices, so both are twice differentiable.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.ops.einsum import einsum
from tinygrad_edu.ops.rearrange import repeat
from tinygrad_edu.ops.windows import check_images, pair
from tinygrad_edu.tensor import Tensor

__all__ = ["upsample2d", "bilinear_weights"]


def bilinear_weights(size: int, factor: int, dtype=np.float64) -> np.ndarray:
    """The (size * factor, size) matrix of half-pixel linear interpolation along one axis.

    >>> bilinear_weights(2, 2).tolist()
    [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    """
    positions = np.maximum((np.arange(size * factor) + 0.5) / factor - 0.5, 0.0)
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, size - 1)
    fraction = positions - lower
    weights = np.zeros((size * factor, size), dtype=dtype)
    rows = np.arange(size * factor)
    np.add.at(weights, (rows, lower), 1.0 - fraction)
    np.add.at(weights, (rows, upper), fraction)
    return weights


def upsample2d(x, size=(2, 2), interpolation="nearest"):
    """Enlarge NHWC images by integer factors (Keras's ``UpSampling2D``).

    Args:
        x: (batch, height, width, channels).
        size: int or (factor_h, factor_w).
        interpolation: "nearest" (repeat pixels) or "bilinear" (half-pixel centres).

    Returns:
        (batch, height * factor_h, width * factor_w, channels).

    >>> import tinygrad_edu as tg
    >>> upsample2d(tg.Tensor([[[[0.0], [1.0]]]]), (1, 2), "bilinear").numpy().ravel().tolist()
    [0.0, 0.25, 0.75, 1.0]
    """
    who = "upsample2d"
    x = check_images(x, who)
    factor_h, factor_w = pair(size, "size", who)
    mode = str(interpolation).lower()
    if mode == "nearest":
        return repeat(repeat(x, factor_h, axis=1), factor_w, axis=2)
    if mode != "bilinear":
        raise ValueError(f"{who}: interpolation must be 'nearest' or 'bilinear', got "
                         f"{interpolation!r}")
    dtype = x.data.dtype
    along_h = Tensor._wrap(bilinear_weights(x.shape[1], factor_h, dtype))
    along_w = Tensor._wrap(bilinear_weights(x.shape[2], factor_w, dtype))
    return einsum("jw,nhwc->nhjc", along_w, einsum("ih,nhwc->niwc", along_h, x))
