"""Keras 2's ``keras.utils.np_utils`` path (``np_utils.to_categorical``)."""

from tinygrad_edu.datasets import to_categorical
from tinygrad_edu.keras._namespace import missing_names as _missing_names

__all__ = ["to_categorical"]
__getattr__ = _missing_names(__name__, "utils")
