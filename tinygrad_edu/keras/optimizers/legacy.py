"""``tf.keras.optimizers.legacy`` (TensorFlow 2.11+): the same optimizers as
:mod:`tinygrad_edu.keras.optimizers` (Keras 2's formulas are the ones implemented there)."""

from tinygrad_edu.keras._namespace import missing_names as _missing_names
from tinygrad_edu.keras.optimizers import *  # noqa: F403 - the one list of optimizers
from tinygrad_edu.keras.optimizers import __all__  # noqa: F401

__getattr__ = _missing_names(__name__, "optimizers")
