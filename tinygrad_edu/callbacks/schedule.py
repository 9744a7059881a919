"""LearningRateScheduler: set the learning rate at the start of every epoch."""

from __future__ import annotations

import inspect
import math
import numbers

from tinygrad_edu.callbacks.base import Callback
from tinygrad_edu.callbacks.monitor import optimizer_of

__all__ = ["LearningRateScheduler"]


def _takes_current_rate(schedule) -> bool:
    """True for ``schedule(epoch, lr)``, False for the old one-argument ``schedule(epoch)``.

    Decided from the signature, not by calling and catching TypeError (which would also
    swallow a TypeError raised inside a two-argument schedule).
    """
    try:
        parameters = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: assume the new form
        return True
    positional = [p for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


class LearningRateScheduler(Callback):
    """At the start of epoch ``e`` (0-based): ``lr = schedule(e, lr)``, as Keras.

    ``schedule(epoch)`` with one argument is accepted too (Keras's old form). At the end of
    each epoch ``logs["learning_rate"]`` records the rate used, so History keeps it.

    Args:
        schedule: ``(epoch, lr) -> new lr`` (a number >= 0).
        verbose: 1 prints the rate set each epoch.

    >>> def halve_every_10(epoch, lr):
    ...     return lr * 0.5 if epoch > 0 and epoch % 10 == 0 else lr
    >>> callback = LearningRateScheduler(halve_every_10)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be callable, got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._two_arguments = _takes_current_rate(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = optimizer_of(self.model, "LearningRateScheduler")
        current = float(optimizer.learning_rate)
        new_lr = self.schedule(epoch, current) if self._two_arguments else self.schedule(epoch)
        if isinstance(new_lr, bool) or not isinstance(new_lr, numbers.Real) \
                or not math.isfinite(new_lr) or new_lr < 0:
            raise ValueError(
                f"LearningRateScheduler: schedule({epoch}) must return a finite number >= 0, "
                f"got {new_lr!r}"
            )
        optimizer.learning_rate = float(new_lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(new_lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(optimizer_of(self.model, "LearningRateScheduler")
                                          .learning_rate)
