"""The argument checks of ``compile``/``fit``/``evaluate``/``predict``: each bad argument gets
one clear error naming the function, the argument, what was given and what to write instead.

>>> positive_int("fit", "batch_size", 32.5)
Traceback (most recent call last):
...
TypeError: fit: batch_size must be a positive int, got 32.5 (float); e.g. batch_size=32
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["positive_int", "non_negative_int", "flag", "verbosity", "fraction",
           "validation_tuple", "metric_list", "class_weights", "callback_list"]


def _given(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def positive_int(who: str, name: str, value, example: int = 32) -> int:
    """``value`` as an int >= 1 (numpy integers accepted; floats, strings and bools refused)."""
    if not _is_int(value):
        raise TypeError(f"{who}: {name} must be a positive int, got {_given(value)}; "
                        f"e.g. {name}={example}")
    if value < 1:
        raise ValueError(f"{who}: {name} must be a positive int, got {value}; "
                         f"e.g. {name}={example}")
    return int(value)


def non_negative_int(who: str, name: str, value) -> int:
    if not _is_int(value) or value < 0:
        raise (TypeError if not _is_int(value) else ValueError)(
            f"{who}: {name} must be an int >= 0, got {_given(value)}")
    return int(value)


def flag(who: str, name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {name} must be True or False, got {_given(value)}")
    return bool(value)


def verbosity(who: str, value) -> int:
    """Keras's ``verbose``: 0 (silent), 1 (progress bar), 2 (one line per epoch) or "auto"."""
    if value == "auto" and isinstance(value, str):
        return 1
    if isinstance(value, (bool, np.bool_)) or (_is_int(value) and value in (0, 1, 2)):
        return int(value)
    raise ValueError(f"{who}: verbose must be 0 (silent), 1 (progress bar), 2 (one line per "
                     f"epoch) or 'auto', got {_given(value)}")


def fraction(who: str, name: str, value) -> float:
    """A float in [0, 1)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{who}: {name} must be a number in [0, 1), got {_given(value)}; "
                        f"e.g. {name}=0.2")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{who}: {name} must be in [0, 1) (a fraction of the samples), got "
                         f"{value}; e.g. {name}=0.2")
    return float(value)


def validation_tuple(who: str, value):
    """``validation_data`` as ``(x, y)`` or ``(x, y, sample_weight)``."""
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or not 2 <= len(value) <= 3:
        got = (f"a {type(value).__name__} of length {len(value)}"
               if isinstance(value, (tuple, list)) else f"a {type(value).__name__}")
        raise TypeError(f"{who}: validation_data must be a tuple (x_val, y_val) or (x_val, "
                        f"y_val, sample_weight_val), got {got}; write "
                        "validation_data=(x_val, y_val)")
    return tuple(value)


def metric_list(value, name: str = "metrics") -> list:
    """``compile``'s ``metrics`` (or ``weighted_metrics``): a list, or one metric given alone
    (``"accuracy"``)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str) or callable(value):
        return [value]
    raise TypeError(f"compile: {name} must be a list of names or metric objects, got "
                    f"{_given(value)}; e.g. {name}=['accuracy']")


def class_weights(value):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"fit: class_weight must be a dict {{class index: weight}}, got "
                        f"{_given(value)}; e.g. class_weight={{0: 1.0, 1: 5.0}}")
    for label, weight in value.items():
        if not _is_int(label) or label < 0:
            raise ValueError(f"fit: class_weight keys must be class indices (ints >= 0), got "
                             f"{label!r}")
        if not isinstance(weight, numbers.Real) or isinstance(weight, bool) or weight < 0:
            raise ValueError(f"fit: class_weight[{label}] must be a number >= 0, got "
                             f"{weight!r}")
    return value


def callback_list(who: str, value):
    """``callbacks``: None, one callback, or a list of callback objects (not classes)."""
    from tinygrad_edu.callbacks import Callback

    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if isinstance(item, type):
            raise TypeError(f"{who}: callbacks must hold callback objects, got the class "
                            f"{item.__name__}; write {item.__name__}(...) to make one")
        if not isinstance(item, Callback):
            raise TypeError(f"{who}: callbacks must be a list of Callback objects, got "
                            f"{_given(item)}")
    return value
