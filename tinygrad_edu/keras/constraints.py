"""``keras.constraints``: :mod:`tinygrad_edu.constraints` (``MaxNorm``, ``NonNeg``, ...).

>>> from tinygrad_edu.keras.constraints import MaxNorm
>>> MaxNorm()
MaxNorm(max_value=2, axis=0)
"""

from tinygrad_edu import constraints as _constraints
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names

globals().update(_keras_subset(_constraints, "constraints"))
__all__ = sorted(_keras_subset(_constraints, "constraints"))
__getattr__ = _missing_names(__name__, "constraints")
