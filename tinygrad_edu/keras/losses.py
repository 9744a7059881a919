"""``keras.losses``: :mod:`tinygrad_edu.losses` under Keras's names (functions, classes, ``get``).

>>> from tinygrad_edu.keras import losses
>>> losses.get("categorical_crossentropy") is losses.categorical_crossentropy
True
"""

from tinygrad_edu import losses as _losses
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names

globals().update(_keras_subset(_losses, "losses"))
__all__ = sorted(_keras_subset(_losses, "losses"))
__getattr__ = _missing_names(__name__, "losses")
