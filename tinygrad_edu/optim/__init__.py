"""Optimizers, learning-rate schedules and gradient clipping.

Every optimizer follows Keras 3's formulas and defaults; each docstring gives the update
rule in the symbols its code uses and says where PyTorch differs. Two ways to use them::

    opt = optim.Adam(model.parameters(), lr=1e-3)        # explicit loop
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    model.compile(optimizer="nadam", loss="categorical_crossentropy")   # by name

The course's picture of optimizer paths, minimizing ``f = x0**2 / 20 + x1**2``:

>>> from tinygrad_edu import Tensor
>>> x = Tensor([-7.0, 2.0], requires_grad=True)
>>> opt = Adam([x], lr=0.3)
>>> for _ in range(30):
...     opt.zero_grad()
...     (x[0] ** 2 / 20 + x[1] ** 2).backward()
...     opt.step()
>>> bool(abs(x.data).max() < 7.0)
True
"""

from tinygrad_edu.optim.adadelta import Adadelta
from tinygrad_edu.optim.adafactor import Adafactor
from tinygrad_edu.optim.adagrad import Adagrad
from tinygrad_edu.optim.adam import Adam, Adamax, AdamW
from tinygrad_edu.optim.clipping import clip_grad_norm, clip_grad_value
from tinygrad_edu.optim.ftrl import Ftrl
from tinygrad_edu.optim.lamb import Lamb
from tinygrad_edu.optim.lion import Lion
from tinygrad_edu.optim.nadam import Nadam
from tinygrad_edu.optim.optimizer import Optimizer
from tinygrad_edu.optim.radam import RAdam
from tinygrad_edu.optim.registry import OPTIMIZERS, get, get_optimizer
from tinygrad_edu.optim.rmsprop import RMSprop
from tinygrad_edu.optim.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)
from tinygrad_edu.optim.sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam",
    "Lion", "Ftrl", "Lamb", "Adafactor", "RAdam",
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
    "clip_grad_norm", "clip_grad_value", "get", "get_optimizer", "OPTIMIZERS",
]
