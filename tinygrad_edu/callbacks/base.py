"""Callback, CallbackList, History, LambdaCallback and TerminateOnNaN.

See :mod:`tinygrad_edu.callbacks` for the order in which training calls the hooks and for
what a callback may expect of the model.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["Callback", "CallbackList", "History", "HistoryDict", "LambdaCallback",
           "TerminateOnNaN", "HOOKS", "KERAS_2_KEYS"]

# Every hook a callback may implement, with its arguments (batch/epoch numbers are 0-based).
HOOKS = {
    "on_train_begin": "logs", "on_train_end": "logs",
    "on_epoch_begin": "epoch, logs", "on_epoch_end": "epoch, logs",
    "on_train_batch_begin": "batch, logs", "on_train_batch_end": "batch, logs",
    "on_batch_begin": "batch, logs", "on_batch_end": "batch, logs",
    "on_test_begin": "logs", "on_test_end": "logs",
    "on_test_batch_begin": "batch, logs", "on_test_batch_end": "batch, logs",
    "on_predict_begin": "logs", "on_predict_end": "logs",
    "on_predict_batch_begin": "batch, logs", "on_predict_batch_end": "batch, logs",
}


class Callback:
    """Base class: override the hooks you need; the others do nothing.

    Attributes:
        model: the model being trained (set by ``set_model``).
        params: ``{"verbose": int, "epochs": int, "steps": int}`` (set by ``set_params``).

    ``on_train_batch_begin/end`` call ``on_batch_begin/end`` unless overridden, as in Keras
    (the old names still work).
    """

    def __init__(self):
        self.params = None
        self.model = None

    def set_params(self, params) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs=None): ...

    def on_train_end(self, logs=None): ...

    def on_epoch_begin(self, epoch, logs=None): ...

    def on_epoch_end(self, epoch, logs=None): ...

    def on_batch_begin(self, batch, logs=None): ...

    def on_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): ...

    def on_test_end(self, logs=None): ...

    def on_test_batch_begin(self, batch, logs=None): ...

    def on_test_batch_end(self, batch, logs=None): ...

    def on_predict_begin(self, logs=None): ...

    def on_predict_end(self, logs=None): ...

    def on_predict_batch_begin(self, batch, logs=None): ...

    def on_predict_batch_end(self, batch, logs=None): ...


def _plain_logs(logs) -> dict:
    """A fresh dict with numpy scalars turned into Python numbers.

    Fresh, so that a callback adding a key (``learning_rate``) changes the logs that the
    later callbacks of the same call see, but never the caller's own dict.
    """
    if not logs:
        return {}
    plain = {}
    for key, value in logs.items():
        if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
            value = value.item()
        plain[key] = value
    return plain


def _flatten(callbacks) -> list:
    flat = []
    for item in callbacks or []:
        if isinstance(item, (list, tuple)):
            flat.extend(_flatten(item))
        elif isinstance(item, Callback):
            flat.append(item)
        else:
            hint = " (pass an instance, e.g. EarlyStopping(), not the class)" \
                if isinstance(item, type) else ""
            raise TypeError(f"callbacks: expected Callback objects, got {item!r}{hint}")
    return flat


class CallbackList(Callback):
    """Several callbacks called as one, in order.

    Args:
        callbacks: Callback objects (nested lists are flattened).
        add_history: append a :class:`History` unless the list has one. It goes *last*, so
            it records keys that other callbacks add to the epoch logs (``learning_rate``).
        model: passed to every callback's ``set_model``.
        **params: passed to every callback's ``set_params`` (``verbose``, ``epochs``,
            ``steps``).
    """

    def __init__(self, callbacks=None, add_history=False, model=None, **params):
        super().__init__()
        single = isinstance(callbacks, Callback)
        self.callbacks = _flatten([callbacks] if single else callbacks)
        self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if self.history is None and add_history:
            self.history = History()
            self.callbacks.append(self.history)
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    def append(self, callback: Callback) -> None:
        self.callbacks.extend(_flatten([callback]))

    def set_model(self, model) -> None:
        super().set_model(model)
        if self.history is not None:
            model.history = self.history
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def _dispatch(self, hook: str, *args, logs=None) -> None:
        logs = _plain_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_train_begin(self, logs=None):
        self._dispatch("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._dispatch("on_train_end", logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._dispatch("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        # Keras 3's order: the logged values sorted by name; keys a callback adds come after.
        self._dispatch("on_epoch_end", epoch, logs=dict(sorted(_plain_logs(logs).items())))

    def on_batch_begin(self, batch, logs=None):
        self._dispatch("on_batch_begin", batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        self._dispatch("on_batch_end", batch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._dispatch("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self._dispatch("on_train_batch_end", batch, logs=logs)

    def on_test_begin(self, logs=None):
        self._dispatch("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._dispatch("on_test_end", logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._dispatch("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        self._dispatch("on_test_batch_end", batch, logs=logs)

    def on_predict_begin(self, logs=None):
        self._dispatch("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._dispatch("on_predict_end", logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._dispatch("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._dispatch("on_predict_batch_end", batch, logs=logs)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)


# Keras 2 logged metrics=["accuracy"] as "acc"; Keras 3 as "accuracy".
KERAS_2_KEYS = {"acc": "accuracy", "val_acc": "val_accuracy"}


class HistoryDict(dict):
    """The dict of :attr:`History.history`, which also answers Keras 2's keys.

    ``history["acc"]`` and ``history["val_acc"]`` give the ``accuracy`` and ``val_accuracy``
    lists (with a one-time note) when the model logged those names, as Keras 2 code expects.
    The keys themselves, their order and ``in`` are Keras 3's: the old names are answered, not
    stored.

    >>> history = HistoryDict(loss=[0.5], accuracy=[0.75])
    >>> history["acc"], list(history), "acc" in history
    ([0.75], ['loss', 'accuracy'], False)
    """

    def __missing__(self, key):
        new = KERAS_2_KEYS.get(key)
        if new is None or not dict.__contains__(self, new):
            hint = f"; Keras 3 calls {key!r} {new!r}" if new else ""
            raise KeyError(f"{key!r} was not logged (logged: {', '.join(self) or 'nothing'})"
                           f"{hint}")
        from tinygrad_edu.notes import note_once

        note_once(f"history {key}", f"history[{key!r}]: Keras 3 calls this key {new!r} "
                  f"(the value logged for metrics=['accuracy']); {key!r} is answered too")
        return dict.__getitem__(self, new)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class History(Callback):
    """Records the epoch logs: ``history.history["val_loss"][k]`` is epoch k's value.

    Attributes:
        history: dict of lists, one list per log key (``loss``, ``accuracy``,
            ``val_loss``, ``val_accuracy``, ...), as Keras's ``History.history``; the keys
            in Keras 3's order (sorted by name, then keys that callbacks add such as
            ``learning_rate``). Keras 2's ``history["acc"]`` / ``["val_acc"]`` are answered
            too (:class:`HistoryDict`).
        epoch: the epoch numbers recorded (0-based, as Keras).
        params, model: as for every callback. ``model.history`` is set to this object.
    """

    def __init__(self):
        super().__init__()
        self.history = HistoryDict()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def _repr_html_(self) -> str:
        from tinygrad_edu.rich_display import history_html

        return history_html(self)


class LambdaCallback(Callback):
    """A callback from plain functions, as Keras's ``LambdaCallback``.

    ``on_epoch_begin/on_epoch_end(epoch, logs)``, ``on_train_begin/on_train_end(logs)``,
    ``on_train_batch_begin/on_train_batch_end(batch, logs)``; any other hook by its name as a
    keyword (``on_test_end=...``).

    >>> seen = []
    >>> callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["loss"]))
    >>> callback.on_epoch_end(0, {"loss": 0.5}); seen
    [0.5]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **other_hooks):
        super().__init__()
        unknown = sorted(set(other_hooks) - set(HOOKS))
        if unknown:
            raise ValueError(f"LambdaCallback: unknown hooks {unknown}; hooks are {sorted(HOOKS)}")
        hooks = dict(other_hooks, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for hook, function in hooks.items():
            if function is not None:
                if not callable(function):
                    raise TypeError(f"LambdaCallback: {hook} must be callable, got {function!r}")
                setattr(self, hook, function)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    Args:
        raise_error: raise RuntimeError instead of setting ``model.stop_training``.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or not isinstance(loss, numbers.Real) or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"TerminateOnNaN: loss is {loss} at batch {batch}; stopping")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
