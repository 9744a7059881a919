"""``keras.models``: ``Sequential``, ``Model``, ``load_model``, ``save_model``, ``clone_model``.

The same objects as :mod:`tinygrad_edu.nn` and :mod:`tinygrad_edu` (``load_model`` reads
every file format the framework reads).

>>> from tinygrad_edu.keras.models import Sequential
>>> import tinygrad_edu
>>> Sequential is tinygrad_edu.nn.Sequential
True
"""

from tinygrad_edu import nn as _nn
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names
from tinygrad_edu.serialization import load_model, save_model

globals().update(_keras_subset(_nn, "models"))
__all__ = ["load_model", "save_model"]
__all__ += sorted(_keras_subset(_nn, "models"))
__getattr__ = _missing_names(__name__, "models")
