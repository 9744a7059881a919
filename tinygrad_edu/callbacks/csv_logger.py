"""CSVLogger: one row per epoch in a CSV file, as Keras writes it."""

from __future__ import annotations

import csv
import os

import numpy as np

from tinygrad_edu.callbacks.base import Callback

__all__ = ["CSVLogger"]


def _cell(value):
    """Numbers as they are; sequences as "[a, b]" (Keras's layout)."""
    if isinstance(value, str) or np.ndim(value) == 0:
        return value
    return f"[{', '.join(map(str, np.ravel(value)))}]"


class CSVLogger(Callback):
    """Write the epoch logs to a CSV file: a header ``epoch,<keys...>`` and one row per epoch.

    As in Keras: the epoch column is 0-based; the columns are the first epoch's keys,
    sorted; when that epoch has no ``val_`` keys, ``val_<key>`` columns are added anyway
    (filled with ``NA`` while absent) so that a later validation run still fits the header.
    The file is flushed after every row, so it can be watched during training.

    Args:
        filename: the CSV file.
        separator: the column separator (default ``","``).
        append: add to an existing file (no second header) instead of replacing it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None

    def on_train_begin(self, logs=None):
        write_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as existing:
                write_header = not existing.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, "a" if self.append else "w",
                             newline="", encoding="utf-8")
        self._write_header = write_header
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.csv_file is None:
            raise RuntimeError("CSVLogger: on_epoch_end before on_train_begin")
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys],
                                         delimiter=self.separator, lineterminator="\n")
            if self._write_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
