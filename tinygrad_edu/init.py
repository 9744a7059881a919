"""Weight initializers with Keras's names, defaults and formulas.

An initializer is an object called as ``init(shape, dtype="float32")`` that returns a numpy
array; layers take it by name (``kernel_initializer="he_normal"``) or as an object
(``HeNormal(seed=1)``).

Fans (Keras's rule). For a Dense kernel of shape ``(fan_in, fan_out)`` the fans are the two
axes. For a convolution kernel ``(kh, kw, in_ch, out_ch)`` every output unit sees a
``kh x kw`` window of ``in_ch`` channels, so with ``receptive_field = kh * kw``::

    fan_in  = receptive_field * in_ch
    fan_out = receptive_field * out_ch

Variance scaling (Glorot, He and LeCun are special cases): with ``n`` = fan_in, fan_out or
their average ``(fan_in + fan_out) / 2``, the target variance is ``scale / n``:

* uniform: U(-limit, limit) with ``limit = sqrt(3 * scale / n)`` (the variance of U(-a, a)
  is a**2 / 3);
* truncated_normal: a normal cut at two standard deviations and redrawn there. Cutting
  shrinks the standard deviation by the factor 0.87962566, so the normal is drawn with
  ``stddev = sqrt(scale / n) / 0.87962566`` to keep the variance ``scale / n``;
* untruncated_normal: N(0, scale / n).

=============  =====  ========  ==============================================
name           scale  mode      distribution
=============  =====  ========  ==============================================
glorot_*       1      fan_avg   uniform / truncated normal (Keras's default)
he_*           2      fan_in    uniform / truncated normal (for ReLU)
lecun_*        1      fan_in    uniform / truncated normal (for SELU)
=============  =====  ========  ==============================================

Randomness: an initializer without ``seed`` draws from the framework's generator, so
``tinygrad_edu.manual_seed(n)`` reproduces a whole model. An initializer with ``seed``
returns the same values at every call (Keras 3's rule).

PyTorch: ``nn.Linear`` uses a scaled uniform (kaiming_uniform with a=sqrt(5)) instead of
Glorot, and stores the kernel transposed as ``(out, in)``.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.lookup import unknown_name
from tinygrad_edu.random import make_generator

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
    "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "Identity", "compute_fans",
    "get", "serialize",
]

# std of a standard normal truncated to [-2, 2]; dividing by it restores the target std.
TRUNCATION_STD_CORRECTION = 0.87962566103423978


def compute_fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` (see the module docstring)."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _truncated_normal(rng, shape, mean, stddev) -> np.ndarray:
    """Normal samples; any beyond two standard deviations is drawn again until inside."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return mean + stddev * values


class Initializer:
    """Base class: ``__call__(shape, dtype)`` returns an array; ``get_config()`` the args."""

    def __call__(self, shape, dtype="float32") -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Constant(Initializer):
    """Every element equal to ``value``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    """All zeros (Keras's default for biases)."""

    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    """All ones (e.g. the scale gamma of a normalization)."""

    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class _Random(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"{type(self).__name__}: seed must be a non-negative int or None, "
                             f"got {seed!r}")
        self.seed = seed

    def _rng(self):
        return make_generator(self.seed)


class RandomNormal(_Random):
    """N(mean, stddev**2); Keras default stddev 0.05 (old name ``"normal"``)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype="float32"):
        return (self.mean + self.stddev * self._rng().standard_normal(shape)).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Random):
    """U(minval, maxval); Keras default [-0.05, 0.05] (old name ``"uniform"``)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype="float32"):
        return self._rng().uniform(self.minval, self.maxval, shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(_Random):
    """N(mean, stddev**2) with values beyond two standard deviations redrawn.

    The stddev of the result is about 0.88 * ``stddev``: unlike ``variance_scaling``, this
    initializer does not correct for the cut (as in Keras).
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype="float32"):
        return _truncated_normal(self._rng(), shape, self.mean, self.stddev).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(_Random):
    """Samples with variance ``scale / n`` (n from ``mode``); see the module docstring.

    Args:
        scale: positive factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (also ``"normal"``), ``"untruncated_normal"``
            or ``"uniform"``.
        seed: fixed seed (same values at every call) or None (the framework's generator).
    """

    _modes = ("fan_in", "fan_out", "fan_avg")
    _distributions = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        if mode not in self._modes:
            raise ValueError(f"VarianceScaling: mode must be one of {self._modes}, got {mode!r}")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._distributions:
            raise ValueError(f"VarianceScaling: distribution must be one of "
                             f"{self._distributions}, got {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        elif self.distribution == "untruncated_normal":
            values = math.sqrt(variance) * rng.standard_normal(shape)
        else:
            stddev = math.sqrt(variance) / TRUNCATION_STD_CORRECTION
            values = _truncated_normal(rng, shape, 0.0, stddev)
        return values.astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _Preset(VarianceScaling):
    """A named special case of VarianceScaling: only ``seed`` is configurable."""

    preset = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None):
        scale, mode, distribution = self.preset
        super().__init__(scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)) (Xavier; Keras's default)."""

    preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Truncated normal with variance 2 / (fan_in + fan_out)."""

    preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_Preset):
    """U(-limit, limit), limit = sqrt(6 / fan_in)."""

    preset = (2.0, "fan_in", "uniform")


class HeNormal(_Preset):
    """Truncated normal with variance 2 / fan_in (for ReLU-like activations)."""

    preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """U(-limit, limit), limit = sqrt(3 / fan_in)."""

    preset = (1.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """Truncated normal with variance 1 / fan_in (for SELU)."""

    preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(_Random):
    """A (semi-)orthogonal matrix times ``gain``.

    The weight is seen as a matrix of ``prod(shape[:-1])`` rows and ``shape[-1]`` columns.
    The Q factor of the QR decomposition of a standard normal matrix, with its columns'
    signs fixed by the diagonal of R (so the result is uniformly distributed), gives
    orthonormal columns (or rows, for a wide matrix).
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape needs at least 2 axes, got {tuple(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        normal = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(normal)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; rectangular allowed)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 2:
            raise ValueError(f"Identity: only 2-D shapes are supported, got {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


_by_name = {
    "zeros": Zeros, "ones": Ones, "constant": Constant,
    "random_normal": RandomNormal, "normal": RandomNormal,
    "random_uniform": RandomUniform, "uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal, "identity": Identity,
}
_by_class = {cls.__name__: cls for cls in _by_name.values()}


def get(identifier):
    """An initializer from a name (``"he_normal"``, also the class name ``"HeNormal"``),
    a config dict ``{"class_name": ..., "config": {...}}``, an object or a callable."""
    if isinstance(identifier, dict):
        cls = get(identifier.get("class_name", ""))
        return type(cls)(**identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _by_name.get(identifier) or _by_class.get(identifier)
        if cls is None:
            raise unknown_name("initializer", identifier, sorted(_by_name))
        return cls()
    if isinstance(identifier, Initializer) or callable(identifier):
        return identifier
    raise TypeError(f"initializer must be a name, an Initializer or a callable, "
                    f"got {type(identifier).__name__}")


def serialize(initializer):
    """JSON-able description that :func:`get` turns back into the initializer."""
    if not isinstance(initializer, Initializer) or type(initializer) not in _by_class.values():
        raise TypeError(f"cannot serialize initializer {initializer!r}: only the built-in "
                        "initializers can be saved with a model's architecture")
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
