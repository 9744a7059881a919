"""``keras.activations``: the activation functions of :mod:`tinygrad_edu.functional`.

``get`` is :func:`~tinygrad_edu.functional.get_activation` (a name, a function or None).

>>> from tinygrad_edu.keras import activations
>>> activations.get("relu") is activations.relu
True
"""

from tinygrad_edu.functional import activations as _activations
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names

globals().update(_keras_subset(_activations, "activations"))
get = _activations.get_activation
__all__ = sorted([*_keras_subset(_activations, "activations"), "get"])
__getattr__ = _missing_names(__name__, "activations")
