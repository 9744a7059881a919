"""``keras.initializers``: :mod:`tinygrad_edu.init` under Keras's names.

The classes (``HeNormal``) and, as in Keras, their snake-case names (``he_normal``) for the
same classes; ``get`` takes the strings that ``kernel_initializer=`` takes.

>>> from tinygrad_edu.keras import initializers
>>> initializers.he_normal is initializers.HeNormal
True
"""

from tinygrad_edu import init as _init
from tinygrad_edu.keras._keras_names import keras_names as _keras_names
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names
from tinygrad_edu.nn.parameter import snake_case as _snake_case


def _names() -> dict:
    found = _keras_subset(_init, "initializers")
    for name, value in list(found.items()):
        snake = _snake_case(name)
        if isinstance(value, type) and snake in _keras_names("initializers"):
            found.setdefault(snake, value)
    return found


globals().update(_names())
__all__ = sorted(_names())
__getattr__ = _missing_names(__name__, "initializers")
