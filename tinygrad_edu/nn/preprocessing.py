"""Preprocessing layers: Rescaling, Normalization, Resizing and CenterCrop.

They belong inside the model, so that the model takes raw inputs (pixel values 0..255,
unscaled features) at training and at inference alike. They act the same in both modes
and have nothing to learn by gradient descent; Normalization's statistics come from
:meth:`Normalization.adapt`. Integer inputs (e.g. uint8 images) come out float32.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.functional import image_transform
from tinygrad_edu.nn.module import Module
from tinygrad_edu.tensor import Tensor

__all__ = ["Rescaling", "Normalization", "Resizing", "CenterCrop"]

EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest standard deviation divided by


def as_float(x: Tensor) -> Tensor:
    """``x`` itself if it is floating point, else a float32 copy (uint8 pixels)."""
    return x if x.data.dtype.kind == "f" else Tensor._wrap(x.data.astype(np.float32))


def check_size(layer: str, name: str, size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{layer}: {name} must be a positive integer (pixels), got {size!r}")
    return int(size)


class Rescaling(Module):
    """y = x * scale + offset, e.g. ``Rescaling(1 / 255)`` maps pixels to [0, 1] and
    ``Rescaling(1 / 127.5, offset=-1)`` to [-1, 1]. ``scale`` and ``offset`` may be
    per-channel lists (broadcast against the last axis). Backward: dx = g * scale.

    >>> import tinygrad_edu as tg
    >>> Rescaling(1 / 127.5, offset=-1)(tg.Tensor([[0.0, 127.5, 255.0]])).tolist()
    [[-1.0, 0.0, 1.0]]
    """

    def __init__(self, scale, offset=0.0, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        for argument, value in (("scale", scale), ("offset", offset)):
            array = np.asarray(value)
            if array.dtype.kind not in "iuf" or array.ndim > 1:
                raise TypeError(f"Rescaling: {argument} must be a number or a list of numbers "
                                f"(one per channel), got {value!r}")
        self.scale, self.offset = scale, offset
        self._build_from_arguments(input_shape)

    def forward(self, x):
        x = as_float(x)
        dtype = x.data.dtype
        return (x * Tensor._wrap(np.asarray(self.scale, dtype=dtype))
                + Tensor._wrap(np.asarray(self.offset, dtype=dtype)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        def plain(value):
            return np.asarray(value).tolist()
        return {**super().get_config(), "scale": plain(self.scale), "offset": plain(self.offset)}


class Normalization(Module):
    """Standardize features with a mean and variance known before training:

        y = (x - mean) / max(sqrt(variance), 1e-7)        (invert=True: x * sd + mean)

    There is one mean and variance per position of the kept ``axis`` (default -1: one per
    feature or channel; a tuple keeps several axes; None one scalar for everything).
    Either pass ``mean`` and ``variance``, or call :meth:`adapt` on the training data,
    which computes them over every other axis, the *population* variance
    ``mean((x - mean)^2)`` (divided by n, not n - 1). Adapted statistics are non-trainable
    weights (``mean``, ``variance`` and ``count``, the number of values each statistic
    summarizes): ``summary()`` counts them, ``save_weights`` stores them, the optimizer
    never changes them. (Keras has the same three weights; its 3.15 ``adapt`` leaves
    ``count`` at 0.) An un-adapted layer holds mean 0 and
    variance 1 (the identity), as in Keras. Backward: dx = g / sd.

    >>> import numpy as np, tinygrad_edu as tg
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> layer.mean.tolist(), layer.variance.tolist()
    ([1.0, 20.0], [1.0, 100.0])
    >>> layer(tg.Tensor([[1.0, 40.0]])).tolist()
    [[0.0, 2.0]]
    """

    buffer_note = "statistics of the data computed once by adapt(), not by gradient descent"

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, input_shape=None,
                 name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        elif isinstance(axis, (tuple, list)) and all(isinstance(a, (int, np.integer))
                                                     for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(f"Normalization: axis must be an int, a tuple of ints or None, "
                            f"got {axis!r}")
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither (and "
                             "call adapt(data) to compute them)")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"Normalization: mean and variance need one shape, got "
                                 f"{np.shape(mean)} and {np.shape(variance)}")
            if np.ndim(mean) > len(axis):
                raise ValueError(f"Normalization: mean of shape {np.shape(mean)} has more axes "
                                 f"than the kept axis {axis}")
            if np.any(np.asarray(variance) < 0):
                raise ValueError("Normalization: variance must be >= 0")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"{self.name} (Normalization): axis {self.axis} is out of range "
                             f"for inputs of shape {tuple(input_shape)}")
        self._keep_axes = tuple(sorted(a % ndim for a in self.axis))
        if any(input_shape[a] is None for a in self._keep_axes):
            raise ValueError(f"{self.name} (Normalization): the kept axis {self.axis} needs a "
                             f"known size, got input shape {tuple(input_shape)}")
        self._reduce_axes = tuple(a for a in range(ndim) if a not in self._keep_axes)
        self._broadcast_shape = tuple(input_shape[a] if a in self._keep_axes else 1
                                      for a in range(ndim))
        shape = tuple(input_shape[a] for a in self._keep_axes)
        if self.input_mean is None:
            self.register_buffer("mean", np.zeros(shape, np.float32))
            self.register_buffer("variance", np.ones(shape, np.float32))
            self.register_buffer("count", np.zeros((), np.int64))  # Keras keeps it too
        else:
            self._fixed = [self._expand(value) for value in (self.input_mean,
                                                              self.input_variance)]

    def _expand(self, value) -> np.ndarray:
        """A given mean or variance, its axes matched to the last kept axes, broadcast."""
        value = np.asarray(value, dtype=np.float32)
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, value.ndim + 1):
            expanded[self._keep_axes[-i]] = value.shape[-i]
        return np.broadcast_to(value.reshape(expanded), self._broadcast_shape)

    def adapt(self, data) -> None:
        """Compute ``mean`` and ``variance`` from ``data``: an array or Tensor, or an
        iterable of batches (whose statistics are merged exactly, as if concatenated)."""
        if isinstance(data, Tensor):
            data = data.data
        batches = [data] if isinstance(data, np.ndarray) else [
            b.data if isinstance(b, Tensor) else np.asarray(b) for b in data]
        if not batches:
            raise ValueError(f"{self.name} (Normalization): adapt() got no data")
        if self.input_mean is not None:
            raise ValueError(f"{self.name} (Normalization): mean and variance were given to "
                             "the constructor; adapt() would ignore them. Leave them out to "
                             "adapt")
        if not self.built:
            self._build(batches[0].shape)
        total, mean, variance = 0, 0.0, 0.0
        for batch in batches:
            batch = np.asarray(batch, dtype=np.float64)
            if batch.ndim != len(self._broadcast_shape) or any(
                    batch.shape[a] != self._broadcast_shape[a] for a in self._keep_axes):
                raise ValueError(f"{self.name} (Normalization): adapt() got data of shape "
                                 f"{batch.shape}, but the layer keeps axis {self.axis} with "
                                 f"sizes {self.mean.shape}")
            count = int(np.prod([batch.shape[a] for a in self._reduce_axes]))
            batch_mean = batch.mean(axis=self._reduce_axes)
            batch_variance = batch.var(axis=self._reduce_axes)
            new_total = total + count
            new_mean = mean + (batch_mean - mean) * (count / new_total)
            # Chan's rule: the spread of each part about the new mean, weighted by its size.
            variance = ((variance + (mean - new_mean) ** 2) * (total / new_total)
                        + (batch_variance + (batch_mean - new_mean) ** 2) * (count / new_total))
            total, mean = new_total, new_mean
        self.mean.copy_(np.asarray(mean, dtype=np.float32).reshape(self.mean.shape))
        self.variance.copy_(np.asarray(variance, dtype=np.float32).reshape(self.variance.shape))
        self.count.copy_(np.asarray(total, dtype=self.count.data.dtype))

    def forward(self, x):
        x = as_float(x)
        if self.input_mean is None:
            mean = self.mean.data.reshape(self._broadcast_shape)
            variance = self.variance.data.reshape(self._broadcast_shape)
        else:
            mean, variance = self._fixed
        dtype = x.data.dtype
        deviation = Tensor._wrap(np.maximum(np.sqrt(variance), EPSILON).astype(dtype))
        mean = Tensor._wrap(np.asarray(mean, dtype=dtype))
        return x * deviation + mean if self.invert else (x - mean) / deviation

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        def plain(value):
            return None if value is None else np.asarray(value).tolist()
        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": plain(self.input_mean), "variance": plain(self.input_variance)}


class Resizing(Module):
    """Resize images (NHWC or HWC) to (height, width), bilinear by default; see
    :func:`tinygrad_edu.functional.image_transform.resize` for the sampling rule.
    ``crop_to_aspect_ratio=True`` first cuts the largest centred window of the target
    aspect ratio, so that nothing is stretched; ``pad_to_aspect_ratio=True`` instead pads
    the image with ``fill_value`` to that ratio (``fill_mode`` is ``"constant"``, the only
    Keras mode). No antialiasing (Keras's default ``antialias=False``).

    >>> import tinygrad_edu as tg
    >>> Resizing(14, 14)(tg.zeros(2, 28, 28, 1)).shape
    (2, 14, 14, 1)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        where = type(self).__name__
        self.height = check_size(where, "height", height)
        self.width = check_size(where, "width", width)
        self.interpolation = image_transform.check_choice(
            interpolation, image_transform.INTERPOLATIONS, "interpolation", where)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"{where}: choose crop_to_aspect_ratio or pad_to_aspect_ratio, "
                             "not both")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = image_transform.check_choice(fill_mode, ("constant",), "fill_mode",
                                                      where)
        self.fill_value = float(fill_value)
        if antialias:
            raise ValueError(f"{where}: antialias=True is not supported; resize without it, "
                             "or blur the images first (e.g. AveragePooling2D)")
        self.antialias = False
        self._build_from_arguments(input_shape)

    def forward(self, x):
        return image_transform.resize(x, self.height, self.width, self.interpolation,
                                      self.crop_to_aspect_ratio, self.pad_to_aspect_ratio,
                                      self.fill_value)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-3], self.height, self.width, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(Resizing):
    """Cut the centred (height, width) window out of each image (top row
    ``(H - height) // 2``). An image smaller than the target along an axis is instead
    cropped to the target's aspect ratio and resized (bilinear), as Keras does.

    >>> import numpy as np, tinygrad_edu as tg
    >>> CenterCrop(1, 2)(tg.Tensor(np.arange(9.0).reshape(3, 3, 1))).numpy().ravel().tolist()
    [3.0, 4.0]
    """

    def __init__(self, height, width, input_shape=None, name=None, trainable=True):
        super().__init__(height, width, "bilinear", True, input_shape=input_shape, name=name,
                         trainable=trainable)

    def forward(self, x):
        in_height, in_width = x.shape[-3:-1] if x.ndim >= 3 else (None, None)
        if x.ndim in (3, 4) and in_height >= self.height and in_width >= self.width:
            top, left = (in_height - self.height) // 2, (in_width - self.width) // 2
            window = (Ellipsis, slice(top, top + self.height), slice(left, left + self.width),
                      slice(None))
            return as_float(x)[window]
        return super().forward(x)

    def get_config(self):
        return {key: value for key, value in super().get_config().items()
                if key in ("name", "trainable", "height", "width")}
