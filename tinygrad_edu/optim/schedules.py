"""Learning-rate schedules: the learning rate as a function of the step count.

Pass one as the learning rate of any optimizer (``Adam(lr=ExponentialDecay(1e-3, 1000, 0.9))``).
Before each update the optimizer asks the schedule for ``lr = schedule(step)``, where ``step``
is the number of updates already made (0 for the first update), as Keras does.

The formulas are Keras 3's. PyTorch's ``torch.optim.lr_scheduler`` objects are called once
per epoch (``scheduler.step()``) and change the optimizer's ``lr`` themselves; these are pure
functions of the step, evaluated by the optimizer at every update.

>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> schedule(0), schedule(10), schedule(20)
(0.1, 0.05, 0.025)
"""

from __future__ import annotations

import bisect
import inspect
import math
import numbers

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
]


def _check_number(owner, name, value, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {value!r}")
    if not positive and value < 0:
        raise ValueError(f"{owner}: {name} must be >= 0, got {value!r}")
    return value


class LearningRateSchedule:
    """Base class: a subclass writes ``__call__(step) -> float`` and keeps its arguments as
    attributes of the same names (that is all :meth:`get_config` needs)."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must define __call__(step)")

    def get_config(self) -> dict:
        """The constructor arguments, for saving and for ``repr``."""
        names = inspect.signature(type(self)).parameters
        return {name: getattr(self, name) for name in names}

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class _StepwiseDecay(LearningRateSchedule):
    """The arguments and the progress ``p`` shared by ExponentialDecay and InverseTimeDecay:
    ``p = step / decay_steps``, floored with ``staircase=True``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
        name = type(self).__name__
        self.initial_learning_rate = _check_number(name, "initial_learning_rate",
                                                   initial_learning_rate)
        self.decay_steps = _check_number(name, "decay_steps", decay_steps, positive=True)
        self.decay_rate = _check_number(name, "decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def _progress(self, step) -> float:
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p


class ExponentialDecay(_StepwiseDecay):
    """Multiply the learning rate by ``decay_rate`` every ``decay_steps`` steps.

    ``lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)``; with
    ``staircase=True`` the exponent is ``floor(step / decay_steps)`` (a staircase).
    PyTorch's ``ExponentialLR(gamma)`` is ``decay_steps=1`` applied per epoch.
    """

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate on each interval between ``boundaries``.

    ``lr = values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the last boundary.
    PyTorch's ``MultiStepLR`` multiplies by ``gamma`` at milestones instead of listing values.

    >>> PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])(15)
    0.5
    """

    def __init__(self, boundaries, values):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"PiecewiseConstantDecay: needs one value more than boundaries, got "
                f"{len(boundaries)} boundaries and {len(values)} values"
            )
        if any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:])):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must increase, got {boundaries}")
        for value in values:
            _check_number("PiecewiseConstantDecay", "each value", value)
        self.boundaries = boundaries
        self.values = values

    def __call__(self, step):
        # the number of boundaries strictly below step is the index of the interval
        return self.values[bisect.bisect_left(self.boundaries, step)]


class PolynomialDecay(LearningRateSchedule):
    """Go from ``initial_learning_rate`` to ``end_learning_rate`` along a polynomial.

    ``p = min(step, decay_steps) / decay_steps`` and
    ``lr = (initial_learning_rate - end_learning_rate) * (1 - p) ** power + end_learning_rate``.
    With ``cycle=True`` the horizon grows instead of stopping: ``decay_steps`` is multiplied by
    ``ceil(step / decay_steps)`` (1 at step 0). ``power=1`` is a straight line (PyTorch's
    ``LinearLR``/``PolynomialLR`` decay to zero, not to an end value).
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False):
        name = "PolynomialDecay"
        self.initial_learning_rate = _check_number(name, "initial_learning_rate",
                                                   initial_learning_rate)
        self.decay_steps = _check_number(name, "decay_steps", decay_steps, positive=True)
        self.end_learning_rate = _check_number(name, "end_learning_rate", end_learning_rate)
        self.power = _check_number(name, "power", power)
        self.cycle = bool(cycle)

    def __call__(self, step):
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps = decay_steps * (1 if step == 0 else math.ceil(step / decay_steps))
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1 - p) ** self.power + self.end_learning_rate


class InverseTimeDecay(_StepwiseDecay):
    """``lr = initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True`` the fraction is floored. ``decay_steps=1`` is old Keras's
    ``decay`` argument, ``lr / (1 + decay * iterations)``.
    """

    def __call__(self, step):
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


def _cosine(fraction):
    """Half a cosine wave: 1 at fraction 0, 0 at fraction 1."""
    return 0.5 * (1 + math.cos(math.pi * fraction))


class CosineDecay(LearningRateSchedule):
    """Cosine decay (SGDR without restarts), optionally after a linear warmup.

    Without warmup: ``lr = initial_learning_rate * ((1 - alpha) * c + alpha)`` with
    ``c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))``, so the rate ends at
    ``alpha * initial_learning_rate``.

    With ``warmup_target`` set: for ``step < warmup_steps`` the rate rises linearly,
    ``lr = initial_learning_rate + (warmup_target - initial_learning_rate) * step / warmup_steps``,
    then decays as above from ``warmup_target`` over the next ``decay_steps`` steps
    (Keras 3's warmup). PyTorch's ``CosineAnnealingLR(T_max, eta_min)`` is the decay part with
    ``eta_min = alpha * initial_learning_rate``.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None,
                 warmup_steps=0):
        name = "CosineDecay"
        self.initial_learning_rate = _check_number(name, "initial_learning_rate",
                                                   initial_learning_rate)
        self.decay_steps = _check_number(name, "decay_steps", decay_steps, positive=True)
        self.alpha = _check_number(name, "alpha", alpha)
        if warmup_target is not None:
            _check_number(name, "warmup_target", warmup_target)
            _check_number(name, "warmup_steps", warmup_steps)
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, start):
        fraction = min(step, self.decay_steps) / self.decay_steps
        return start * ((1 - self.alpha) * _cosine(fraction) + self.alpha)

    def __call__(self, step):
        if self.warmup_target is None:
            return self._decay(step, self.initial_learning_rate)
        if step < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return self.initial_learning_rate + rise * step / self.warmup_steps
        return self._decay(step - self.warmup_steps, self.warmup_target)


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter).

    Cycle ``i`` lasts ``first_decay_steps * t_mul**i`` steps and starts from
    ``initial_learning_rate * m_mul**i``. Inside a cycle, with ``fraction`` the part of the cycle
    done, ``lr = initial_learning_rate * ((1 - alpha) * m_mul**i * c + alpha)`` with
    ``c = 0.5 * (1 + cos(pi * fraction))``. PyTorch's ``CosineAnnealingWarmRestarts(T_0,
    T_mult)`` is the same curve without ``m_mul`` (and with an absolute ``eta_min``).
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
        name = "CosineDecayRestarts"
        self.initial_learning_rate = _check_number(name, "initial_learning_rate",
                                                   initial_learning_rate)
        self.first_decay_steps = _check_number(name, "first_decay_steps", first_decay_steps,
                                               positive=True)
        self.t_mul = _check_number(name, "t_mul", t_mul, positive=True)
        self.m_mul = _check_number(name, "m_mul", m_mul)
        self.alpha = _check_number(name, "alpha", alpha)

    def __call__(self, step):
        fraction = step / self.first_decay_steps
        t_mul = self.t_mul
        if t_mul == 1.0:
            i = math.floor(fraction)
            fraction -= i
        else:
            # cycles before cycle i cover (1 - t_mul**i) / (1 - t_mul) first-cycle lengths
            i = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul))
            cycles_done = (1 - t_mul**i) / (1 - t_mul)
            fraction = (fraction - cycles_done) / t_mul**i
        decayed = (1 - self.alpha) * self.m_mul**i * _cosine(fraction) + self.alpha
        return self.initial_learning_rate * decayed


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{"class_name": ..., "config": {...}}``: plain data for saving."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(data: dict) -> LearningRateSchedule:
    """The schedule that :func:`serialize` described."""
    classes = {name: globals()[name] for name in __all__[1:7]}
    class_name = data.get("class_name")
    if class_name not in classes:
        raise ValueError(
            f"unknown learning-rate schedule {class_name!r}; known: {', '.join(classes)}"
        )
    return classes[class_name](**data["config"])
