"""``keras.regularizers``: :mod:`tinygrad_edu.regularizers` (``l1``, ``l2``, ``l1_l2``, ...).

>>> from tinygrad_edu.keras import regularizers
>>> regularizers.l2(0.001).l2
0.001
"""

from tinygrad_edu import regularizers as _regularizers
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names

globals().update(_keras_subset(_regularizers, "regularizers"))
__all__ = sorted(_keras_subset(_regularizers, "regularizers"))
__getattr__ = _missing_names(__name__, "regularizers")
