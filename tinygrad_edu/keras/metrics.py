"""``keras.metrics``: :mod:`tinygrad_edu.metrics` under Keras's names.

>>> from tinygrad_edu.keras import metrics
>>> metrics.CategoricalAccuracy().name
'categorical_accuracy'
"""

from tinygrad_edu import metrics as _metrics
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names

globals().update(_keras_subset(_metrics, "metrics"))
__all__ = sorted(_keras_subset(_metrics, "metrics"))
__getattr__ = _missing_names(__name__, "metrics")
