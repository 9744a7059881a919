"""Keras 2's ``keras.layers.embeddings`` path: the same layers as
:mod:`tinygrad_edu.keras.layers`."""

from tinygrad_edu.keras._namespace import missing_names as _missing_names
from tinygrad_edu.keras.layers import *  # noqa: F403 - the one list of layers
from tinygrad_edu.keras.layers import __all__  # noqa: F401

__getattr__ = _missing_names(__name__, "layers")
