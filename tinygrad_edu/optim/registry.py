"""Optimizers by name, as ``compile(optimizer="adam")`` writes them."""

from __future__ import annotations

import difflib

from tinygrad_edu.optim.adadelta import Adadelta
from tinygrad_edu.optim.adafactor import Adafactor
from tinygrad_edu.optim.adagrad import Adagrad
from tinygrad_edu.optim.adam import Adam, Adamax, AdamW
from tinygrad_edu.optim.ftrl import Ftrl
from tinygrad_edu.optim.lamb import Lamb
from tinygrad_edu.optim.lion import Lion
from tinygrad_edu.optim.nadam import Nadam
from tinygrad_edu.optim.optimizer import Optimizer
from tinygrad_edu.optim.radam import RAdam
from tinygrad_edu.optim.rmsprop import RMSprop
from tinygrad_edu.optim.sgd import SGD

__all__ = ["get", "get_optimizer", "OPTIMIZERS"]

# name -> (class, keyword arguments); the course's names for configured optimizers included
OPTIMIZERS = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adadelta": (Adadelta, {}),
    "adam": (Adam, {}),
    "amsgrad": (Adam, {"amsgrad": True}),
    "adamw": (AdamW, {}),
    "adamax": (Adamax, {}),
    "nadam": (Nadam, {}),
    "lion": (Lion, {}),
    "ftrl": (Ftrl, {}),
    "lamb": (Lamb, {}),
    "adafactor": (Adafactor, {}),
    "radam": (RAdam, {}),
}


def get(identifier, **kwargs) -> Optimizer:
    """An optimizer from a name (``"adam"``, ``"Nadam"``, ``"momentum"``...), an optimizer
    (returned as it is), an optimizer class, or a ``{"class_name", "config"}`` dict.

    Names are case-insensitive; ``kwargs`` are passed to the constructor, e.g.
    ``get("sgd", lr=0.1)``. Each name makes a new optimizer with Keras's defaults.

    >>> get("nesterov")
    SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    """
    if isinstance(identifier, Optimizer):
        if kwargs:
            raise TypeError("get: keyword arguments apply only to a name or a class")
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier(**kwargs)
    if isinstance(identifier, dict):
        name = identifier.get("class_name", "")
        cls = OPTIMIZERS.get(str(name).lower(), (None,))[0]
        if cls is None:
            raise _unknown(name)
        return cls.from_config({**identifier.get("config", {}), **kwargs})
    if isinstance(identifier, str):
        key = identifier.strip().lower()
        if key not in OPTIMIZERS:
            raise _unknown(identifier)
        cls, defaults = OPTIMIZERS[key]
        return cls(**{**defaults, **kwargs})
    raise TypeError(f"get: expected an optimizer name, an Optimizer or an Optimizer class, "
                    f"got {type(identifier).__name__}")


get_optimizer = get


def _unknown(name) -> ValueError:
    close = difflib.get_close_matches(str(name).lower(), list(OPTIMIZERS), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Unknown optimizer {name!r}.{hint} Valid names: {', '.join(OPTIMIZERS)}")
