"""Callbacks: code that runs at fixed points of training, as in Keras.

Available: :class:`Callback` (the base), :class:`CallbackList`, :class:`History`,
:class:`EarlyStopping`, :class:`ModelCheckpoint`, :class:`LearningRateScheduler`,
:class:`ReduceLROnPlateau`, :class:`CSVLogger`, :class:`TerminateOnNaN`,
:class:`LambdaCallback`, :class:`TensorBoard` (needs tensorboardX).

The protocol
============

**When the hooks run.** ``fit`` drives the callbacks like this (epoch and batch numbers are
0-based in every hook; messages and file names show ``epoch + 1``, like Keras)::

    callbacks = CallbackList(user_callbacks, add_history=True, model=model,
                             verbose=verbose, epochs=epochs, steps=steps_per_epoch)
    model.stop_training = False
    callbacks.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        callbacks.on_epoch_begin(epoch)
        for batch in range(steps_per_epoch):
            callbacks.on_train_batch_begin(batch)
            ...                                        # one optimizer step
            callbacks.on_train_batch_end(batch, logs)  # running epoch means so far:
                                                       # {"loss": .., "accuracy": ..}
            if model.stop_training: break
        if validating:                                 # same hooks as evaluate():
            callbacks.on_test_begin()
            ... on_test_batch_begin(b) / on_test_batch_end(b, running val logs) ...
            callbacks.on_test_end(val_logs)            # {"loss": .., "accuracy": ..}
        callbacks.on_epoch_end(epoch, logs)            # {"loss", "accuracy",
                                                       #  "val_loss", "val_accuracy", ...}
        if model.stop_training: break
    callbacks.on_train_end(logs)                       # the last epoch's logs

``evaluate`` calls ``on_test_begin``, ``on_test_batch_begin/end`` and ``on_test_end``;
``predict`` calls ``on_predict_begin``, ``on_predict_batch_begin/end(batch,
{"outputs": array})`` and ``on_predict_end``. Log values are Python floats, keyed by the
loss (``loss``) and each metric's name, validation values prefixed ``val_``.

:class:`CallbackList` gives each hook call a fresh copy of the logs shared by the callbacks
of that call: a callback may add keys (ReduceLROnPlateau and LearningRateScheduler add
``learning_rate``), and History, placed last, records them.

**What a callback may use on the model** (the model side implements exactly this):

- ``model.stop_training`` (bool): set True to stop after the current batch/epoch;
- ``model.optimizer.learning_rate``: a float to read and assign (LR callbacks);
- ``model.state_dict()`` -> dict of numpy arrays, and ``model.load_state_dict(state)``
  (EarlyStopping copies the arrays when it takes a snapshot, so training cannot change it);
- ``model.save(path)`` and ``model.save_weights(path)`` (ModelCheckpoint; it adds its own
  atomic rename on top);
- ``model.history``: History sets it to itself;
- optionally ``model.metrics``: Metric objects with ``name`` and ``direction``
  (``"up"``/``"down"``), which ``mode="auto"`` consults before the built-in names.

A callback also gets ``self.params = {"verbose": .., "epochs": .., "steps": ..}``.

>>> from tinygrad_edu.callbacks import EarlyStopping
>>> stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
"""

from tinygrad_edu.callbacks.base import (
    HOOKS,
    Callback,
    CallbackList,
    History,
    LambdaCallback,
    TerminateOnNaN,
)
from tinygrad_edu.callbacks.checkpoint import ModelCheckpoint, atomic_save
from tinygrad_edu.callbacks.csv_logger import CSVLogger
from tinygrad_edu.callbacks.monitor import EarlyStopping, MonitorCallback, ReduceLROnPlateau
from tinygrad_edu.callbacks.schedule import LearningRateScheduler
from tinygrad_edu.callbacks.tensorboard import TensorBoard

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "EarlyStopping",
    "ModelCheckpoint",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "CSVLogger",
    "TerminateOnNaN",
    "LambdaCallback",
    "TensorBoard",
    "MonitorCallback",
    "atomic_save",
    "HOOKS",
]
