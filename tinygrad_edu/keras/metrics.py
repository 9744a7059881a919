"""``keras.metrics``: :mod:`tinygrad_edu.metrics` under Keras's names, and, as in Keras, the
loss functions of :mod:`tinygrad_edu.losses` (``categorical_crossentropy``...) as metrics.

>>> from tinygrad_edu.keras import metrics
>>> metrics.CategoricalAccuracy().name
'categorical_accuracy'
"""

from tinygrad_edu import losses as _losses
from tinygrad_edu import metrics as _metrics
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names


def _names() -> dict:
    found = _keras_subset(_metrics, "metrics")
    # Keras's metrics module also offers the per-sample loss functions as metrics.
    for name, value in _keras_subset(_losses, "metrics").items():
        if name.islower() and callable(value):
            found.setdefault(name, value)
    return found


globals().update(_names())
__all__ = sorted(_names())
__getattr__ = _missing_names(__name__, "metrics")
