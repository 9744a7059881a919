"""ModelCheckpoint: save the model (or its weights) during training, safely.

Every save is atomic (:mod:`tinygrad_edu.atomic_write`): the model writes to a temporary file
in the target's folder, which is then renamed over the target with ``os.replace`` (a single
step on every operating system). If the process dies or the save raises half-way, the
previous checkpoint is untouched and the temporary file is removed (after a hard kill it is
a hidden ``.tmp-*`` file, never mistaken for a checkpoint, that the next save removes).
"""

from __future__ import annotations

import math
import os

from tinygrad_edu.atomic_write import atomic_path
from tinygrad_edu.callbacks.monitor import MonitorCallback

__all__ = ["ModelCheckpoint", "atomic_save"]


def atomic_save(save, path) -> None:
    """Call ``save(temporary_path)``, then move the result to ``path`` in one step.

    The temporary name ends with the target's own name, so a save function that picks the
    format from the extension (``.weights.npz``) sees the same extension.

    Raises:
        RuntimeError: ``save`` returned without writing anything (an empty file must never
            replace a good checkpoint).
    """
    with atomic_path(path, "ModelCheckpoint") as temporary:
        save(temporary)
        if os.path.getsize(temporary) == 0:
            raise RuntimeError(f"saving {os.fspath(path)} wrote nothing; the previous file "
                               "is kept")


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights after every epoch (or every ``save_freq`` batches).

    ``filepath`` may hold ``str.format`` fields filled from the epoch's logs, with the epoch
    counted from 1 (as Keras prints it): ``"best-{epoch:02d}-{val_loss:.2f}.weights.npz"``
    gives ``best-03-0.42.weights.npz``. With ``save_freq`` a number, ``{batch}`` is also
    available (from 1).

    With ``save_best_only=True`` the file is written only when ``monitor`` improves on the
    best value so far (see :mod:`.monitor` for the rule: a NaN or infinite value is never an
    improvement, so a diverged epoch never overwrites a good checkpoint). When ``monitor``
    is missing from the logs a ValueError names the keys that are logged (Keras 3 warns and
    skips the save, so a misspelt name silently saves nothing).

    Args:
        filepath: target path or template.
        monitor: log key to watch for ``save_best_only`` (default ``"val_loss"``).
        verbose: 1 prints a line per decision.
        save_best_only: only keep improvements.
        save_weights_only: ``model.save_weights(path)`` instead of ``model.save(path)``.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"``, or an int: save every that many training batches.
        initial_value_threshold: the value to beat before the first save (best starts
            there); kept across several ``fit`` calls, as in Keras.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, 0.0, baseline=initial_value_threshold)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(
                f"ModelCheckpoint: save_freq must be 'epoch' or an int >= 1, got {save_freq!r}"
            )
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._current_epoch = 0
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def format_path(self, epoch, batch=None, logs=None) -> str:
        """The file path for 0-based ``epoch`` (and ``batch``) and these logs."""
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError, ValueError) as error:
            raise KeyError(
                f"ModelCheckpoint: cannot fill the filepath template {self.filepath!r}: "
                f"{type(error).__name__}: {error}; available fields: {', '.join(fields)}"
            ) from None

    def _should_save(self, epoch, batch, logs, path) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        if batch is not None and self.monitor.startswith("val_") and self.monitor not in logs:
            raise ValueError(
                f"ModelCheckpoint: monitor={self.monitor!r} with save_freq={self.save_freq}: "
                "validation values exist only at the end of an epoch, not after a batch; use "
                "save_freq='epoch' or monitor one of the batch logs "
                f"({', '.join(logs or {}) or 'none'})"
            )
        current = self._current(logs)
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
            return True
        if self.verbose > 0:
            why = "is not finite" if not math.isfinite(current) else f"did not improve from {best}"
            print(f"\nEpoch {epoch + 1}: {self.monitor} {why}; not saved")
        return False

    def _save(self, epoch, batch, logs) -> None:
        path = self.format_path(epoch, batch, logs)
        if not self._should_save(epoch, batch, logs or {}, path):
            return
        if os.path.isdir(path):
            raise IsADirectoryError(
                f"ModelCheckpoint: {path} is a folder; give a file path such as "
                f"{os.path.join(path, 'model.weights.npz')}"
            )
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        save = self.model.save_weights if self.save_weights_only else self.model.save
        atomic_save(save, path)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {path}")
