"""``keras.optimizers.schedules``: :mod:`tinygrad_edu.optim.schedules` under Keras's path."""

from tinygrad_edu.keras._namespace import missing_names as _missing_names
from tinygrad_edu.optim.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
    deserialize,
    serialize,
)

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]
__getattr__ = _missing_names(__name__, "optimizers.schedules")
