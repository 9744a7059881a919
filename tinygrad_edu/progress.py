"""Keras-like progress output for ``fit`` and ``evaluate``.

``verbose=1``: ``Epoch 3/10`` and then a tqdm bar with steps, elapsed time, ms/step and the
running metrics. ``verbose=2``: one line per epoch. ``verbose=0``: nothing.
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

__all__ = ["ProgressDisplay", "format_logs"]


def format_logs(logs: dict) -> str:
    """``loss: 0.3125 - accuracy: 0.8906`` (Keras's style)."""
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items()
                      if isinstance(value, (int, float)))


class ProgressDisplay:
    """Prints what ``fit`` is doing, at the chosen verbosity.

    The bar refreshes at most ten times a second, so that drawing costs nothing measurable
    next to a training step.
    """

    def __init__(self, verbose: int, epochs: int, steps: int, stream=None):
        self.verbose = verbose
        self.epochs = epochs
        self.steps = steps
        self.stream = stream if stream is not None else sys.stdout
        self._bar = None
        self._epoch_start = 0.0
        self._last_refresh = 0.0

    def epoch_begin(self, epoch: int) -> None:
        self._epoch_start = time.perf_counter()
        if self.verbose in (1, 2):
            print(f"Epoch {epoch + 1}/{self.epochs}", file=self.stream)
        if self.verbose == 1:
            self._bar = tqdm(total=self.steps, file=self.stream, unit="step", mininterval=0.1,
                             bar_format="{n_fmt}/{total_fmt} {bar:20} {elapsed} {postfix}",
                             dynamic_ncols=False, ncols=120, leave=True)

    def batch_end(self, batch: int, logs: dict) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        now = time.perf_counter()
        if now - self._last_refresh >= 0.1 or batch + 1 == self.steps:
            self._last_refresh = now
            per_step = (now - self._epoch_start) / (batch + 1) * 1e3
            self._bar.set_postfix_str(f"{per_step:.0f}ms/step - {format_logs(logs)}",
                                      refresh=False)

    def epoch_end(self, logs: dict) -> None:
        elapsed = time.perf_counter() - self._epoch_start
        if self._bar is not None:
            per_step = elapsed / max(self.steps, 1) * 1e3
            self._bar.set_postfix_str(f"{per_step:.0f}ms/step - {format_logs(logs)}",
                                      refresh=True)
            self._bar.close()
            self._bar = None
        elif self.verbose == 2:
            per_step = elapsed / max(self.steps, 1) * 1e3
            print(f"{self.steps}/{self.steps} - {elapsed:.0f}s - {per_step:.0f}ms/step - "
                  f"{format_logs(logs)}", file=self.stream)
