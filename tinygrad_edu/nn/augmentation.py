"""Data augmentation layers: random flips, translations, rotations, zooms, contrast
changes and crops of channels-last images, with Keras's names, arguments and defaults.

Augmentation fights overfitting by showing the network a slightly different version of
each training image at every epoch: the labels stay, so the network must learn what
does not change under the transformation. The layers act only in training mode
(``fit``, ``model.train()``, ``layer(x, training=True)``); at inference they return their
input (as float), except RandomCrop, which then crops the centre (see there).

Inputs are a batch (batch, height, width, channels) or one image (height, width,
channels). Each image of a batch gets its own random transformation (RandomCrop: one
window per batch, as Keras). Randomness: with ``seed=`` a layer draws from a generator of
its own (the same sequence of transformations for the same seed); without it, from the
framework's generator (``tinygrad_edu.manual_seed``). The exact numbers drawn differ from
Keras's (another generator); the ranges, the matrices and the sampling are Keras's.

Gradients flow to the image through every layer: flips and crops pick pixels,
contrast is arithmetic, the warps mix pixels with constant weights
(:mod:`tinygrad_edu.functional.image_transform`, which states the matrix and the
interpolation).
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.functional import image_transform as warp
from tinygrad_edu.nn.module import Module
from tinygrad_edu.nn.preprocessing import as_float, check_size
from tinygrad_edu.ops.elementwise import where
from tinygrad_edu.random import make_generator
from tinygrad_edu.tensor import Tensor

__all__ = ["RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom",
           "RandomContrast", "RandomCrop"]

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def parse_factor(layer: str, argument: str, factor, low=-1.0, high=1.0,
                 low_open=False) -> tuple:
    """Keras's factor rule: a number f means the range [-|f|, |f|], a pair (a, b) the range
    [min, max]; every number must lie in [low, high] (or (low, high] if ``low_open``)."""
    bounds = f"{'(' if low_open else '['}{low:g}, {high:g}]"
    number = "a number f (the range [-f, f])" if low < 0 else "a number"
    fix = (f"{layer}: {argument} must be {number} or a pair (lower, upper) of numbers in "
           f"{bounds}, got {factor!r}")
    values = factor if isinstance(factor, (tuple, list)) else (factor,)
    if len(values) not in (1, 2) or (isinstance(factor, (tuple, list)) and len(values) != 2):
        raise ValueError(fix)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                             np.floating)):
            raise ValueError(fix)
        if not (low < value if low_open else low <= value) or value > high:
            raise ValueError(fix)
    if len(values) == 1:
        return -abs(float(factor)), abs(float(factor))
    return float(min(values)), float(max(values))


class _RandomImageLayer(Module):
    """Shared parts: the seed, the training switch, NHWC/HWC and float conversion."""

    def __init__(self, seed, input_shape, name, trainable):
        super().__init__(name=name, trainable=trainable)
        self.seed = seed
        self._private_generator = None if seed is None else make_generator(seed)

    def build(self, input_shape):
        # input_shape= leaves the batch out: a grayscale (28, 28) needs its channel axis.
        if input_shape[0] is None and len(input_shape) != 4:
            raise ValueError(
                f"{self.name} ({type(self).__name__}): input_shape must be (height, width, "
                f"channels), got {tuple(input_shape)[1:]}. Grayscale images need a channel "
                "axis: input_shape=(28, 28, 1), with x.reshape(n, 28, 28, 1)")

    def _generator(self) -> np.random.Generator:
        # The shared generator is looked up at each call: manual_seed replaces it.
        return self._private_generator or make_generator(None)

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(
                f"{self.name} ({type(self).__name__}): expects channels-last images of shape "
                f"(batch, height, width, channels) or (height, width, channels), got shape "
                f"{x.shape}. Grayscale images need a channel axis: x.reshape(n, 28, 28, 1)")
        x = as_float(x)
        if not self.training:
            return self._inference(x)
        single = x.ndim == 3
        out = self._augment(x.reshape(1, *x.shape) if single else x, self._generator())
        return out.reshape(out.shape[1:]) if single else out

    def _inference(self, x):
        return x

    def _augment(self, images: Tensor, rng: np.random.Generator) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(_RandomImageLayer):
    """Flip each image with probability 1/2: left-right (``"horizontal"``), upside-down
    (``"vertical"``) or, by default, both at once (``"horizontal_and_vertical"``: Keras 3
    draws one coin per image for both, so an image is either kept or turned by 180°).

    >>> import tinygrad_edu as tg
    >>> layer = RandomFlip("horizontal", seed=0)
    >>> out = layer(tg.Tensor([[[[1.0], [2.0]]]] * 8)).numpy()[:, 0, :, 0]
    >>> sorted(set(map(tuple, out.tolist())))
    [(1.0, 2.0), (2.0, 1.0)]
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(seed, input_shape, name, trainable)
        self.mode = warp.check_choice(mode, FLIP_MODES, "mode", "RandomFlip")
        self._build_from_arguments(input_shape)

    def _augment(self, images, rng):
        flips = rng.random(images.shape[0]) <= 0.5
        return self.flip(images, flips)

    def flip(self, images: Tensor, flips) -> Tensor:
        """Flip the images where ``flips`` (one bool per image) is True, as ``mode`` says."""
        chosen = Tensor._wrap(np.asarray(flips, dtype=bool).reshape(-1, 1, 1, 1))
        axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}
        return where(chosen, images.flip(axes[self.mode]), images)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(_RandomImageLayer):
    """A layer whose transformation is an affine matrix per image (see image_transform)."""

    def __init__(self, fill_mode, interpolation, seed, fill_value, input_shape, name,
                 trainable):
        super().__init__(seed, input_shape, name, trainable)
        where_ = type(self).__name__
        self.fill_mode = warp.check_choice(fill_mode, warp.FILL_MODES, "fill_mode", where_)
        self.interpolation = warp.check_choice(interpolation, warp.INTERPOLATIONS,
                                               "interpolation", where_)
        self.fill_value = float(fill_value)

    def _augment(self, images, rng):
        batch, height, width, _ = images.shape
        return self.transform(images, self._matrices(rng, batch, height, width))

    def transform(self, images: Tensor, matrices) -> Tensor:
        """Warp ``images`` by the given (batch, 2, 3) matrices with this layer's sampling."""
        return warp.affine_transform(images, matrices, self.interpolation, self.fill_mode,
                                     self.fill_value)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomTranslation(_AffineLayer):
    """Shift each image by a random fraction of its size: down by dy = u * height with u
    uniform in the ``height_factor`` range, right by dx = v * width (``width_factor``);
    negative values shift up / left. The matrix: x_in = x - dx, y_in = y - dy.
    ``height_factor=0.2`` means shifts in [-20%, +20%] of the height.

    >>> import tinygrad_edu as tg
    >>> layer = RandomTranslation(0.0, (0.5, 0.5), fill_mode="constant")
    >>> layer(tg.Tensor([[[1.0], [2.0], [3.0], [4.0]]])).numpy().ravel().tolist()
    [0.0, 0.0, 1.0, 2.0]
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, input_shape=None,
                 name=None, trainable=True):
        super().__init__(fill_mode, interpolation, seed, fill_value, input_shape, name,
                         trainable)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = parse_factor("RandomTranslation", "height_factor", height_factor)
        self._width_range = parse_factor("RandomTranslation", "width_factor", width_factor)
        self._build_from_arguments(input_shape)

    def _matrices(self, rng, batch, height, width):
        shift_y = rng.uniform(*self._height_range, size=batch) * height
        shift_x = rng.uniform(*self._width_range, size=batch) * width
        return warp.translation_matrix(shift_x, shift_y)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomRotation(_AffineLayer):
    """Rotate each image about its centre by a random angle 2π u, u uniform in the
    ``factor`` range (fractions of a full turn): ``factor=0.1`` means angles in
    [-36°, 36°], ``(-0.2, 0.3)`` in [-72°, 108°]; positive turns counter-clockwise.
    The matrix (t the angle, (cx, cy) = ((W - 1)/2, (H - 1)/2))::

        [[cos t, -sin t, cx - cx cos t + cy sin t],
         [sin t,  cos t, cy - cx sin t - cy cos t]]

    >>> import numpy as np, tinygrad_edu as tg
    >>> quarter = RandomRotation((0.25, 0.25), interpolation="nearest")
    >>> quarter(tg.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]])[..., None])).numpy()[..., 0]
    array([[2., 4.],
           [1., 3.]], dtype=float32)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, input_shape=None, name=None, trainable=True):
        super().__init__(fill_mode, interpolation, seed, fill_value, input_shape, name,
                         trainable)
        self.factor = factor
        self._range = parse_factor("RandomRotation", "factor", factor)
        self._build_from_arguments(input_shape)

    def _matrices(self, rng, batch, height, width):
        angles = rng.uniform(*self._range, size=batch) * 2.0 * np.pi
        return warp.rotation_matrix(angles, height, width)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_AffineLayer):
    """Zoom each image about its centre: the output shows a region z times the image's
    size, z = 1 + u with u uniform in the factor range; positive u zooms out (a larger
    region, shrunk), negative zooms in. ``width_factor=None`` uses the height's z for
    both axes (the aspect ratio kept). Factors lie in (-1, 1]. The matrix:
    x_in = z_x (x - cx) + cx, y_in = z_y (y - cy) + cy.

    >>> import tinygrad_edu as tg
    >>> zoom_in = RandomZoom((-0.5, -0.5), fill_mode="constant")
    >>> zoom_in(tg.Tensor([[[0.0], [4.0], [8.0]]])).numpy().ravel().tolist()
    [2.0, 4.0, 6.0]
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, input_shape=None,
                 name=None, trainable=True):
        super().__init__(fill_mode, interpolation, seed, fill_value, input_shape, name,
                         trainable)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = parse_factor("RandomZoom", "height_factor", height_factor,
                                          low_open=True)
        self._width_range = None if width_factor is None else parse_factor(
            "RandomZoom", "width_factor", width_factor, low_open=True)
        self._build_from_arguments(input_shape)

    def _matrices(self, rng, batch, height, width):
        zoom_y = 1.0 + rng.uniform(*self._height_range, size=batch)
        zoom_x = zoom_y if self._width_range is None else (
            1.0 + rng.uniform(*self._width_range, size=batch))
        return warp.zoom_matrix(zoom_x, zoom_y, height, width)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomContrast(_RandomImageLayer):
    """Scale each image's deviations from its mean: with m the mean of each channel over
    the image's pixels and c uniform in [1 - lower, 1 + upper],

        y = clip((x - m) * c + m, *value_range)

    A number f means lower = upper = f (c in [1 - f, 1 + f]); a pair gives (lower, upper)
    (sorted, as Keras); both in [0, 1]. ``value_range`` is the range of the pixel values
    (default 0..255; pass ``(0, 1)`` for rescaled images). Backward, with g' the upstream
    gradient set to 0 where the output was clipped: dx = c g' + (1 - c) mean(g'), the
    mean over the image's pixels per channel.

    Keras 3 documents this range; its 3.15 code draws c from [1, 1 + f] for a single
    number f (only ever raising the contrast). The documented rule is followed here.

    >>> import tinygrad_edu as tg
    >>> layer = RandomContrast(0.5, value_range=(0, 1), seed=0)
    >>> layer.adjust(tg.Tensor([[[[0.25], [0.75]]]]), [1.5]).numpy().ravel().tolist()
    [0.125, 0.875]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, input_shape=None, name=None,
                 trainable=True):
        super().__init__(seed, input_shape, name, trainable)
        self.factor = factor
        lower, upper = parse_factor("RandomContrast", "factor", factor, low=0.0)
        # A single number f gives (-f, f) above; its lower bound is the magnitude f here.
        self._range = (abs(lower), upper)
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not value_range[0] < value_range[1]):
            raise ValueError(f"RandomContrast: value_range must be a pair (low, high) with "
                             f"low < high, e.g. (0, 255) or (0, 1), got {value_range!r}")
        self.value_range = tuple(float(v) for v in value_range)
        self._build_from_arguments(input_shape)

    def _augment(self, images, rng):
        lower, upper = self._range
        return self.adjust(images, rng.uniform(1.0 - lower, 1.0 + upper, images.shape[0]))

    def adjust(self, images: Tensor, contrast) -> Tensor:
        """Apply the contrast factors ``contrast`` (one per image) and clip."""
        mean = images.mean(axis=(1, 2), keepdims=True)
        factor = Tensor._wrap(np.asarray(contrast, dtype=images.data.dtype).reshape(-1, 1, 1, 1))
        return ((images - mean) * factor + mean).clip(*self.value_range)

    def get_config(self):
        factor = list(self.factor) if isinstance(self.factor, (tuple, list)) else self.factor
        return {**super().get_config(), "factor": factor, "value_range": list(self.value_range)}


class RandomCrop(_RandomImageLayer):
    """Cut a random (height, width) window out of the images (one window per batch, as
    Keras): top row uniform in 0..H - height, left column in 0..W - width.

    At inference, and in training when an image is not larger than the target along both
    axes, the largest centred window with the target's aspect ratio is cut out and
    resized (bilinear) to (height, width): the output shape never depends on the mode.
    That is Keras 3's documented rule, the one its ``Resizing(crop_to_aspect_ratio=True)``
    implements. (The RandomCrop code of Keras 3.15 differs: it returns the input unchanged
    at inference, which would give a following Dense layer another shape, and for a small
    training image stretches a target-sized slice.)

    >>> import tinygrad_edu as tg
    >>> layer = RandomCrop(24, 24, seed=0)
    >>> layer(tg.zeros(2, 28, 28, 1)).shape, layer(tg.zeros(2, 28, 28, 1), training=False).shape
    ((2, 24, 24, 1), (2, 24, 24, 1))
    """

    def __init__(self, height, width, seed=None, input_shape=None, name=None, trainable=True):
        super().__init__(seed, input_shape, name, trainable)
        self.height = check_size("RandomCrop", "height", height)
        self.width = check_size("RandomCrop", "width", width)
        self._build_from_arguments(input_shape)

    def _inference(self, x):
        return warp.resize(x, self.height, self.width, crop_to_aspect_ratio=True)

    def _augment(self, images, rng):
        _, in_height, in_width, _ = images.shape
        if in_height <= self.height or in_width <= self.width:
            return self._inference(images)
        top = int(rng.integers(0, in_height - self.height + 1))
        left = int(rng.integers(0, in_width - self.width + 1))
        return self.crop(images, top, left)

    def crop(self, images: Tensor, top: int, left: int) -> Tensor:
        """The (height, width) window whose top-left pixel is (top, left)."""
        return images[:, top:top + self.height, left:left + self.width]

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-3], self.height, self.width, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
