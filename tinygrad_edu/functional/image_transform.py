"""Geometric image transforms for channels-last images: affine warps and resizing.

Both sample the input at computed coordinates. The coordinates and interpolation weights
are constants (numpy); the image values are picked with Tensor indexing and mixed with
Tensor products, so the gradient flows back to the image: each input pixel receives
the upstream gradient of every output pixel it contributed to, times the weight it
contributed with.

Conventions (those of Keras 3): pixel (row y, column x) has its centre at integer
coordinates (x, y); an affine transform is given as the 2 x 3 matrix that maps an
*output* pixel to the point of the *input* it is read from::

    x_in = a0 * x + a1 * y + a2
    y_in = b0 * x + b1 * y + b2            matrix = [[a0, a1, a2], [b0, b1, b2]]

Bilinear interpolation reads the four pixels around (x_in, y_in): with
x0 = floor(x_in), fx = x_in - x0 (and y0, fy likewise)::

    out = (1-fy)(1-fx) I[y0, x0] + (1-fy) fx I[y0, x0+1] + fy (1-fx) I[y0+1, x0]
          + fy fx I[y0+1, x0+1]

Nearest interpolation reads the one pixel at (round(y_in), round(x_in)) (halves to even).
A neighbour outside the image is replaced according to ``fill_mode`` (for a row of four
pixels ``a b c d``):

- ``"reflect"``:  ``d c b a | a b c d | d c b a`` (mirrored about the outer pixel edge)
- ``"wrap"``:     ``a b c d | a b c d | a b c d``
- ``"nearest"``:  ``a a a a | a b c d | d d d d``
- ``"constant"``: ``k k k k | a b c d | k k k k`` with k = ``fill_value``
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.ops.shape import pad
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["affine_transform", "resize", "rotation_matrix", "translation_matrix",
           "zoom_matrix", "FILL_MODES", "INTERPOLATIONS"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def check_choice(value, choices, argument: str, where: str) -> str:
    """``value`` if it is one of ``choices``, else a ValueError naming ``where``."""
    if value not in choices:
        raise ValueError(f"{where}: {argument} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r}")
    return value


def _fix_index(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Integer indices mapped into [0, size) as ``fill_mode`` extends the image (constant
    mode clips; its out-of-range neighbours are masked by the caller)."""
    if fill_mode == "reflect":  # period 2 * size: a b c d d c b a
        folded = np.mod(index, 2 * size)
        return np.where(folded < size, folded, 2 * size - 1 - folded)
    if fill_mode == "wrap":
        return np.mod(index, size)
    return np.clip(index, 0, size - 1)


def _neighbours(coordinate: np.ndarray, size: int, interpolation: str, fill_mode: str):
    """[(index mapped into [0, size), weight), ...] of the 1-D interpolation at
    ``coordinate``; in constant mode a neighbour outside the image gets weight 0."""
    if interpolation == "nearest":
        nodes = [(np.round(coordinate).astype(np.int64), np.ones_like(coordinate))]
    else:
        lower = np.floor(coordinate)
        upper_weight = coordinate - lower
        lower = lower.astype(np.int64)
        nodes = [(lower, 1.0 - upper_weight), (lower + 1, upper_weight)]
    if fill_mode == "constant":
        nodes = [(index, weight * ((index >= 0) & (index < size))) for index, weight in nodes]
    return [(_fix_index(index, size, fill_mode), weight) for index, weight in nodes]


def _sample(images: Tensor, rows: np.ndarray, cols: np.ndarray, interpolation: str,
            fill_mode: str, fill_value: float) -> Tensor:
    """images[b, rows, cols, :] interpolated; rows and cols are (batch, H', W') float
    coordinates. A 2-D neighbour's weight is the product of its row's and its column's."""
    batch, height, width, channels = images.shape
    dtype = images.data.dtype
    # One flat index per pixel: a single integer-array index is much faster than three.
    pixels = images.reshape(batch * height * width, channels)
    batch_offset = (np.arange(batch) * height).reshape(batch, 1, 1)
    row_nodes = [((batch_offset + index) * width, weight)
                 for index, weight in _neighbours(rows, height, interpolation, fill_mode)]
    col_nodes = _neighbours(cols, width, interpolation, fill_mode)
    out, inside_weight = None, 0.0
    for row_start, row_weight in row_nodes:
        for col, col_weight in col_nodes:
            weight = (row_weight * col_weight)[..., None]
            term = pixels[row_start + col] * Tensor._wrap(weight.astype(dtype))
            out = term if out is None else out + term
            inside_weight = inside_weight + weight
    if fill_mode == "constant" and fill_value != 0:
        # The weights of all neighbours sum to 1; those outside the image read fill_value.
        out = out + Tensor._wrap(((1.0 - inside_weight) * fill_value).astype(dtype))
    return out


def _batched(images, where: str) -> tuple[Tensor, bool]:
    """(NHWC float tensor, whether a batch axis was added to an HWC image)."""
    images = as_tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"{where}: expects channels-last images of shape (batch, height, "
                         f"width, channels) or (height, width, channels), got shape "
                         f"{images.shape}. A grayscale batch (n, 28, 28) needs a channel axis: "
                         "x.reshape(n, 28, 28, 1)")
    if images.data.dtype.kind != "f":
        images = Tensor._wrap(images.data.astype(np.float32))
    if images.ndim == 3:
        return images.reshape(1, *images.shape), True
    return images, False


def affine_transform(images, matrices, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0):
    """Warp each image by its affine matrix (output pixel -> input point, see the module).

    Args:
        images: (batch, height, width, channels) or (height, width, channels).
        matrices: (batch, 2, 3) or (2, 3) (one matrix for every image).
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: the constant of ``fill_mode="constant"``.

    Returns:
        The warped images, same shape (and float dtype; integer images become float32).

    >>> import numpy as np, tinygrad_edu as tg
    >>> image = tg.Tensor(np.arange(4.0).reshape(1, 4, 1))          # one row: 0 1 2 3
    >>> shift_right = np.array([[1.0, 0.0, -1.5], [0.0, 1.0, 0.0]])  # x_in = x - 1.5
    >>> affine_transform(image, shift_right, fill_mode="reflect").numpy().ravel().tolist()
    [0.5, 0.0, 0.5, 1.5]
    """
    where = "affine_transform"
    check_choice(interpolation, INTERPOLATIONS, "interpolation", where)
    check_choice(fill_mode, FILL_MODES, "fill_mode", where)
    batch_images, added = _batched(images, where)
    batch, height, width, _ = batch_images.shape
    matrices = np.asarray(matrices, dtype=np.float64)
    if matrices.shape == (2, 3):
        matrices = np.broadcast_to(matrices, (batch, 2, 3))
    if matrices.shape != (batch, 2, 3):
        raise ValueError(f"{where}: needs one 2 x 3 matrix per image, shape ({batch}, 2, 3) "
                         f"or (2, 3), got {matrices.shape}")
    x = np.arange(width, dtype=np.float64).reshape(1, 1, width)
    y = np.arange(height, dtype=np.float64).reshape(1, height, 1)
    a = matrices[:, :, :, None, None]
    # (batch, 1, W) + (batch, H, 1): the terms in x and in y are summed once, at full size.
    cols = a[:, 0, 0] * x + (a[:, 0, 1] * y + a[:, 0, 2])
    rows = a[:, 1, 0] * x + (a[:, 1, 1] * y + a[:, 1, 2])
    out = _sample(batch_images, rows, cols, interpolation, fill_mode, float(fill_value))
    return out.reshape(out.shape[1:]) if added else out


def _resize_coordinates(in_size: int, out_size: int, interpolation: str) -> np.ndarray:
    """Source coordinates of the output pixels, pixel centres aligned (half-pixel rule)."""
    scale = in_size / out_size
    centres = (np.arange(out_size, dtype=np.float64) + 0.5) * scale
    if interpolation == "nearest":
        return np.minimum(np.floor(centres), in_size - 1)
    return np.maximum(centres - 0.5, 0.0)


def resize(images, height: int, width: int, interpolation="bilinear",
           crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_value=0.0):
    """Resize images to (height, width).

    With ``crop_to_aspect_ratio=True`` the largest centred window of the target's aspect
    ratio is cut out first (``crop_h = min(H, int(W * height / width))``, likewise the
    width, each at least 1, starting at ``int((H - crop_h) / 2)``), so nothing is
    stretched. ``pad_to_aspect_ratio=True`` instead adds ``int((pad_h - H) / 2)`` rows of
    ``fill_value`` above and below, ``pad_h = max(H, int(W * height / width))`` (and
    columns likewise), as Keras does.

    Output pixel i of n covers the input span [i * s, (i + 1) * s), s = in_size / n; its
    centre (i + 0.5) * s - 0.5 (in input pixel coordinates) is interpolated bilinearly,
    edges repeated (or, for ``"nearest"``, the pixel floor((i + 0.5) * s) is taken). This
    is ``torch.nn.functional.interpolate(align_corners=False)``, which Keras uses on the
    torch backend; no antialiasing.

    >>> import numpy as np, tinygrad_edu as tg
    >>> resize(tg.Tensor(np.array([[[0.0], [4.0]]])), 1, 4).numpy().ravel().tolist()
    [0.0, 1.0, 3.0, 4.0]
    """
    where = "resize"
    check_choice(interpolation, INTERPOLATIONS, "interpolation", where)
    batch_images, added = _batched(images, where)
    for name, size in (("height", height), ("width", width)):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"{where}: {name} must be a positive integer, got {size!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{where}: choose crop_to_aspect_ratio or pad_to_aspect_ratio, not "
                         "both")
    if crop_to_aspect_ratio:
        batch_images = _crop_to_aspect(batch_images, int(height), int(width))
    if pad_to_aspect_ratio:
        in_height, in_width = batch_images.shape[1:3]
        top = int(float(max(in_height, int(float(in_width * height) / width)) - in_height) / 2)
        left = int(float(max(in_width, int(float(in_height * width) / height)) - in_width) / 2)
        batch_images = pad(batch_images, [(0, 0), (top, top), (left, left), (0, 0)],
                           float(fill_value))
    batch, in_height, in_width, _ = batch_images.shape
    rows = _resize_coordinates(in_height, int(height), interpolation)
    cols = _resize_coordinates(in_width, int(width), interpolation)
    rows, cols = np.broadcast_to(rows[None, :, None], (batch, int(height), int(width))), \
        np.broadcast_to(cols[None, None, :], (batch, int(height), int(width)))
    out = _sample(batch_images, rows, cols, interpolation, "nearest", 0.0)
    return out.reshape(out.shape[1:]) if added else out


def _crop_to_aspect(images: Tensor, height: int, width: int) -> Tensor:
    """The largest centred window of ``images`` with the aspect ratio height : width."""
    in_height, in_width = images.shape[1:3]
    crop_height = max(min(in_height, int(float(in_width * height) / width)), 1)
    crop_width = max(min(in_width, int(float(in_height * width) / height)), 1)
    top = int(float(in_height - crop_height) / 2)
    left = int(float(in_width - crop_width) / 2)
    return images[:, top:top + crop_height, left:left + crop_width]


def rotation_matrix(angles, height: int, width: int) -> np.ndarray:
    """(batch, 2, 3) matrices rotating by ``angles`` (radians) about the image centre
    (cx, cy) = ((width - 1) / 2, (height - 1) / 2)::

        x_in = cos(t) (x - cx) - sin(t) (y - cy) + cx
        y_in = sin(t) (x - cx) + cos(t) (y - cy) + cy

    With rows growing downwards, a positive angle turns the picture counter-clockwise.

    >>> (rotation_matrix([np.pi / 2], 3, 3).round(6) + 0.0).tolist()
    [[[0.0, -1.0, 2.0], [1.0, 0.0, 0.0]]]
    """
    angles = np.asarray(angles, dtype=np.float64)
    cos, sin = np.cos(angles), np.sin(angles)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    return np.stack([np.stack([cos, -sin, cx - cos * cx + sin * cy], -1),
                     np.stack([sin, cos, cy - sin * cx - cos * cy], -1)], axis=1)


def translation_matrix(shift_x, shift_y) -> np.ndarray:
    """(batch, 2, 3) matrices moving the picture right by ``shift_x`` and down by
    ``shift_y`` pixels: x_in = x - shift_x, y_in = y - shift_y."""
    shift_x, shift_y = np.asarray(shift_x, np.float64), np.asarray(shift_y, np.float64)
    one, zero = np.ones_like(shift_x), np.zeros_like(shift_x)
    return np.stack([np.stack([one, zero, -shift_x], -1),
                     np.stack([zero, one, -shift_y], -1)], axis=1)


def zoom_matrix(zoom_x, zoom_y, height: int, width: int) -> np.ndarray:
    """(batch, 2, 3) matrices scaling about the image centre: x_in = z_x (x - cx) + cx,
    y_in = z_y (y - cy) + cy. A factor z > 1 reads a larger region (zooms out), z < 1 a
    smaller one (zooms in)."""
    zoom_x, zoom_y = np.asarray(zoom_x, np.float64), np.asarray(zoom_y, np.float64)
    zero = np.zeros_like(zoom_x)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    return np.stack([np.stack([zoom_x, zero, cx * (1.0 - zoom_x)], -1),
                     np.stack([zero, zoom_y, cy * (1.0 - zoom_y)], -1)], axis=1)
