"""Callbacks that watch one logged value: EarlyStopping and ReduceLROnPlateau (and the
shared rule that ModelCheckpoint uses too).

The improvement rule, with ``d = abs(min_delta)``::

    mode "min":  current + d < best          mode "max":  current - d > best

The first finite value is always an improvement. A NaN or infinite value never is (Keras
would take a NaN on the first epoch as its best value; here a NaN loss can never become the
best epoch, the weights restored, or the checkpoint kept). ``mode="auto"`` reads the
direction from ``model.metrics`` (each metric's ``direction``) when the model has them,
else from the name: ``loss`` -> min, accuracy/auc/precision/recall -> max, mse/mae -> min.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from tinygrad_edu.callbacks.base import KERAS_2_KEYS, Callback

__all__ = ["MonitorCallback", "EarlyStopping", "ReduceLROnPlateau", "copy_state", "optimizer_of"]


def copy_state(model) -> dict:
    """A deep copy of ``model.state_dict()`` (arrays copied, so later training steps cannot
    change the snapshot)."""
    return {key: np.array(value, copy=True) for key, value in model.state_dict().items()}


def optimizer_of(model, who: str):
    """``model.optimizer``, or a clear error when the model has none."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{who}: the model has no optimizer with a learning_rate; compile the model first "
            "(model.compile(optimizer=..., loss=...))"
        )
    return optimizer


class MonitorCallback(Callback):
    """Base for callbacks that track the best value of ``logs[monitor]``.

    Args:
        monitor: the log key, e.g. ``"val_loss"``, ``"val_accuracy"``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (see the module docstring).
        min_delta: smallest change that counts as an improvement.
        baseline: the value ``best`` starts from (ModelCheckpoint's initial threshold), or
            None.
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0, baseline=None):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(
                f"{type(self).__name__}: mode must be 'auto', 'min' or 'max', got {mode!r}"
            )
        if not isinstance(min_delta, numbers.Real):
            raise TypeError(f"{type(self).__name__}: min_delta must be a number, got {min_delta!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))
        self.best = baseline
        self._minimize = None if mode == "auto" else mode == "min"

    def _resolve_mode(self) -> bool:
        """True when the monitored value should go down."""
        if self._minimize is not None:
            return self._minimize
        from tinygrad_edu.metrics import metric_direction  # metrics sit beside callbacks

        name = self.monitor.removeprefix("val_")
        direction = None
        for metric in getattr(self.model, "metrics", None) or []:
            if getattr(metric, "name", None) == name and hasattr(metric, "direction"):
                direction = metric.direction
        direction = direction or metric_direction(self.monitor)
        if direction is None:
            raise ValueError(
                f"{type(self).__name__}: cannot tell whether {self.monitor!r} should be "
                "minimized or maximized; pass mode='min' or mode='max'"
            )
        self._minimize = direction == "down"
        return self._minimize

    def _is_improvement(self, current, reference) -> bool:
        minimize = self._resolve_mode()  # first, so a bad monitor name fails at once
        if not math.isfinite(current):
            return False
        if reference is None:
            return True
        if minimize:
            return current + self.min_delta < reference
        return current - self.min_delta > reference

    def _current(self, logs):
        """``logs[monitor]`` as a float.

        Raises:
            ValueError: ``monitor`` is not logged, naming the keys that are (a callback that
                watches nothing would silently never stop, reduce or save).
        """
        value = (logs or {}).get(self.monitor)
        if value is None:
            who = type(self).__name__
            old = {old: new for old, new in KERAS_2_KEYS.items() if self.monitor == old}
            hint = (f"; Keras 3 logs {old[self.monitor]!r} where Keras 2 logged "
                    f"{self.monitor!r}" if old else "")
            validation = ("; a 'val_' value is logged only when fit has validation_data or "
                          "validation_split" if self.monitor.startswith("val_") else "")
            raise ValueError(
                f"{who}: monitor={self.monitor!r} is not logged; the logged keys are "
                f"{', '.join(logs or {}) or 'none'}{hint}{validation}. Pass one of the logged "
                "keys as monitor"
            )
        return float(value)


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has stopped improving (Keras 3's rules).

    After each epoch ``e >= start_from_epoch``: ``wait += 1``; an improvement on ``best``
    sets ``best`` (and snapshots the weights) and resets ``wait = 0`` - but only when it also
    beats ``baseline``, if one is given. Training stops when ``wait >= patience`` (never after
    the first epoch). With ``restore_best_weights=True`` the weights of the best epoch are put
    back at the end of training, whether training stopped early or ran all its epochs, as in
    Keras 3 (Keras 2 restored only after an early stop); if no epoch improved, the weights of
    the first monitored epoch are restored.

    Args:
        monitor, mode, min_delta: see :class:`MonitorCallback`. Default ``"val_loss"``.
        patience: epochs without improvement to wait before stopping.
        verbose: 1 prints when stopping and restoring.
        baseline: a value to beat; until it is beaten, ``wait`` keeps growing.
        restore_best_weights: restore the best epoch's weights at the end (uses
            ``model.state_dict()`` / ``model.load_state_dict()``).
        start_from_epoch: ignore epochs before this one (warm-up).

    Attributes:
        best, best_epoch (0-based), wait, stopped_epoch (0-based; 0 if never stopped).
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._current(logs)
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until some epoch improves, the first monitored epoch is the best there is.
            self.best_weights = copy_state(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = copy_state(self.model)
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving (Keras 3).

    After each epoch (``logs["learning_rate"]`` is set to the current rate first, so it is
    recorded): during a cooldown, count it down and keep ``wait = 0``; on an improvement set
    ``best`` and ``wait = 0``; otherwise, outside a cooldown, ``wait += 1`` and when
    ``wait >= patience`` and ``lr > min_lr``: ``lr = max(lr * factor, min_lr)``, start a
    cooldown of ``cooldown`` epochs and reset ``wait``.

    Args:
        monitor, mode, min_delta: see :class:`MonitorCallback` (min_delta default 1e-4).
        factor: multiplier in (0, 1) (default 0.1).
        patience: epochs without improvement before reducing (default 10).
        verbose: 1 prints each reduction.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound on the learning rate.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta)
        if not 0.0 < factor < 1.0:
            raise ValueError(
                f"ReduceLROnPlateau: factor must be in (0, 1) (the rate is multiplied by it), "
                f"got {factor}"
            )
        self.factor = float(factor)
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = float(min_lr)
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        optimizer = optimizer_of(self.model, "ReduceLROnPlateau")
        if logs is not None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        current = self._current(logs)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            old_lr = float(optimizer.learning_rate)
            # float32 comparison as Keras: a rate stored in float32 never quite equals min_lr
            if self.wait >= self.patience and old_lr > np.float32(self.min_lr):
                new_lr = max(old_lr * self.factor, self.min_lr)
                optimizer.learning_rate = new_lr
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                          f"{new_lr}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0
