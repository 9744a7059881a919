"""Weight penalties with Keras's definitions.

A regularizer maps a weight ``w`` to a scalar penalty that training adds to the loss:

* ``L1(l1)``:        penalty = l1 * sum(|w|)          d/dw = l1 * sign(w)
* ``L2(l2)``:        penalty = l2 * sum(w ** 2)       d/dw = 2 * l2 * w
* ``L1L2(l1, l2)``:  the sum of both.

Keras writes L2 without a 1/2. Textbooks (e.g. "Deep Learning from Scratch") often write
weight decay as ``(1/2) * lambda * sum(w ** 2)``, whose gradient is ``lambda * w``; the same
penalty here is ``L2(lambda / 2)``. PyTorch's ``weight_decay=lambda`` in SGD adds
``lambda * w`` to the gradient, i.e. it matches the textbook form, so it equals ``L2(lambda/2)``.

Layers accept regularizers by name (``kernel_regularizer="l2"``, factor 0.01 as in Keras 3)
or as objects (``kernel_regularizer=L2(1e-4)``); a layer's penalties are collected by
``Module.regularization_losses()``.

>>> import numpy as np
>>> from tinygrad_edu import Tensor
>>> float(L2(0.1)(Tensor(np.array([1.0, -2.0]))).item())   # 0.1 * (1 + 4)
0.5
"""

from __future__ import annotations

from tinygrad_edu.lookup import unknown_name

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize"]


def _check_factor(owner: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(
            value, "__float__"):
        raise TypeError(f"{owner}: {name} must be a number >= 0, got {value!r}")
    value = float(value)
    if not value >= 0:
        raise ValueError(f"{owner}: {name} must be >= 0, got {value}")
    return value


class Regularizer:
    """Base class: ``__call__(weight) -> scalar Tensor``; ``get_config()`` its factors."""

    def __call__(self, weight):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """penalty = l1 * sum(|w|): pushes weights to exactly zero (sparse weights)."""

    def __init__(self, l1=0.01):
        self.l1 = _check_factor("L1", "l1", l1)

    def __call__(self, weight):
        return weight.abs().sum() * self.l1

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """penalty = l2 * sum(w ** 2) (no 1/2, as in Keras): shrinks weights ("weight decay")."""

    def __init__(self, l2=0.01):
        self.l2 = _check_factor("L2", "l2", l2)

    def __call__(self, weight):
        return (weight * weight).sum() * self.l2

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """penalty = l1 * sum(|w|) + l2 * sum(w ** 2). Class defaults are 0 (Keras 3); the
    function ``l1_l2()`` and the name ``"l1_l2"`` use 0.01 for both."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor("L1L2", "l1", l1)
        self.l2 = _check_factor("L1L2", "l2", l2)

    def __call__(self, weight):
        penalty = None
        if self.l1:
            penalty = weight.abs().sum() * self.l1
        if self.l2 or penalty is None:
            squares = (weight * weight).sum() * self.l2
            penalty = squares if penalty is None else penalty + squares
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


def l1(l1=0.01) -> L1:
    """``L1(l1)``."""
    return L1(l1)


def l2(l2=0.01) -> L2:
    """``L2(l2)``."""
    return L2(l2)


def l1_l2(l1=0.01, l2=0.01) -> L1L2:
    """``L1L2(l1, l2)`` with 0.01 for both by default."""
    return L1L2(l1, l2)


_by_name = {"l1": l1, "l2": l2, "l1_l2": l1_l2}
_by_class = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    """A regularizer from a name (``"l2"``), a config dict, an object or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls = _by_class.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown regularizer config {identifier!r}")
        return cls(**identifier.get("config", {}))
    if isinstance(identifier, str):
        factory = _by_name.get(identifier.lower()) or _by_class.get(identifier)
        if factory is None:
            raise unknown_name("regularizer", identifier, _by_name)
        return factory()
    if callable(identifier):
        return identifier
    raise TypeError(f"regularizer must be a name, a Regularizer or a callable, "
                    f"got {type(identifier).__name__}")


def serialize(regularizer):
    """JSON-able description that :func:`get` turns back into the regularizer (or None)."""
    if regularizer is None:
        return None
    if type(regularizer) not in _by_class.values():
        raise TypeError(f"cannot serialize regularizer {regularizer!r}: only L1, L2 and L1L2 "
                        "can be saved with a model's architecture")
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
