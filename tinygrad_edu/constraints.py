"""Weight constraints with Keras's definitions: applied to a weight after every optimizer step.

A constraint maps the weight array ``w`` to the array that replaces it, with
``norms = sqrt(sum(w ** 2, axis, keepdims=True))`` and ``epsilon = 1e-7`` (Keras's)::

    MaxNorm(max_value, axis):   w * clip(norms, 0, max_value) / (epsilon + norms)
    MinMaxNorm(min, max, rate): w * (rate * clip(norms, min, max) + (1 - rate) * norms)
                                  / (epsilon + norms)
    UnitNorm(axis):             w / (epsilon + norms)
    NonNeg():                   w * (w >= 0)

``axis=0`` (Keras's default) takes each column of a Dense kernel ``(inputs, units)``, i.e.
the incoming weights of one unit; for a Conv2D kernel ``(rows, cols, in_channels,
filters)`` pass ``axis=[0, 1, 2]`` to constrain each filter. Layers take them as
``kernel_constraint=`` / ``bias_constraint=`` (an object or a name such as ``"max_norm"``);
the weight remembers its constraint (``Parameter.constraint``) and the optimizer applies it
after each update, which is the one place constraints are applied.

>>> import numpy as np
>>> MaxNorm(1.0)(np.array([[3.0], [4.0]])).round(3).tolist()   # norm 5 -> norm 1
[[0.6], [0.8]]
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.lookup import unknown_name

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm",
           "max_norm", "min_max_norm", "non_neg", "unit_norm", "get", "serialize"]

EPSILON = 1e-7  # Keras's backend epsilon


class Constraint:
    """Base class: ``constraint(w)`` returns the constrained copy of the array ``w``."""

    def __call__(self, w):
        return np.asarray(w)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def _axis(owner: str, axis):
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{owner}: axis must be an int or a list of ints, got {axis!r}")
    return int(axis)


def _norms(w: np.ndarray, axis) -> np.ndarray:
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


def _check_weight(owner: str, w, axis) -> np.ndarray:
    w = np.asarray(w)
    axes = axis if isinstance(axis, tuple) else (axis,)
    if any(not -w.ndim <= a < w.ndim for a in axes):
        raise ValueError(f"{owner}: axis {axis} does not exist for a weight of shape {w.shape}; "
                         "for a Conv2D kernel use axis=[0, 1, 2]")
    return w


class MaxNorm(Constraint):
    """Scale down each slice along ``axis`` whose L2 norm exceeds ``max_value`` (Keras default
    ``max_value=2``, ``axis=0``)."""

    def __init__(self, max_value=2, axis=0):
        if not max_value >= 0:
            raise ValueError(f"MaxNorm: max_value must be >= 0, got {max_value!r}")
        self.max_value = max_value
        self.axis = _axis("MaxNorm", axis)

    def __call__(self, w):
        w = _check_weight("MaxNorm", w, self.axis)
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return (w * (desired / (EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each slice's L2 norm into ``[min_value, max_value]``; ``rate`` in (0, 1] moves it
    only part of the way (Keras defaults 0, 1, 1, axis 0)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        if not 0 <= min_value <= max_value:
            raise ValueError(f"MinMaxNorm: need 0 <= min_value <= max_value, got {min_value!r} "
                             f"and {max_value!r}")
        self.min_value, self.max_value, self.rate = min_value, max_value, rate
        self.axis = _axis("MinMaxNorm", axis)

    def __call__(self, w):
        w = _check_weight("MinMaxNorm", w, self.axis)
        norms = _norms(w, self.axis)
        desired = (self.rate * np.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return (w * (desired / (EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class NonNeg(Constraint):
    """Set the negative entries to zero."""

    def __call__(self, w):
        w = np.asarray(w)
        return (w * (w >= 0)).astype(w.dtype, copy=False)


class UnitNorm(Constraint):
    """Divide each slice along ``axis`` by its L2 norm (Keras default ``axis=0``)."""

    def __init__(self, axis=0):
        self.axis = _axis("UnitNorm", axis)

    def __call__(self, w):
        w = _check_weight("UnitNorm", w, self.axis)
        return (w / (EPSILON + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {"axis": self.axis}


# Keras's snake-case names for the same classes
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

_by_class = {cls.__name__: cls for cls in (MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_by_name = {"max_norm": MaxNorm, "min_max_norm": MinMaxNorm, "non_neg": NonNeg,
            "unit_norm": UnitNorm}


def get(identifier):
    """A constraint from a name (``"max_norm"``, ``"MaxNorm"``), a config dict, an object, a
    callable ``w -> w`` or None."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls = _by_class.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown constraint config {identifier!r}; known classes: "
                             f"{', '.join(_by_class)}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _by_name.get(identifier.lower()) or _by_class.get(identifier)
        if cls is None:
            raise unknown_name("constraint", identifier, _by_name)
        return cls()
    if callable(identifier):
        return identifier
    raise TypeError(f"constraint must be a name, a Constraint or a callable, "
                    f"got {type(identifier).__name__}")


def serialize(constraint):
    """JSON-able description that :func:`get` turns back into the constraint (or None)."""
    if constraint is None:
        return None
    if type(constraint) not in _by_class.values():
        raise TypeError(f"cannot serialize constraint {constraint!r}: only MaxNorm, MinMaxNorm, "
                        "NonNeg and UnitNorm can be saved with a model's architecture")
    config = constraint.get_config()
    if isinstance(config.get("axis"), tuple):
        config["axis"] = list(config["axis"])
    return {"class_name": type(constraint).__name__, "config": config}
