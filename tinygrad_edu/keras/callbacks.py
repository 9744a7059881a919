"""``keras.callbacks``: the callbacks of :mod:`tinygrad_edu.callbacks`, under Keras's names.

>>> from tinygrad_edu.keras.callbacks import EarlyStopping
>>> EarlyStopping(patience=2).monitor
'val_loss'
"""

from tinygrad_edu import callbacks as _callbacks
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names

globals().update(_keras_subset(_callbacks, "callbacks"))
__all__ = sorted(_keras_subset(_callbacks, "callbacks"))
__getattr__ = _missing_names(__name__, "callbacks")
