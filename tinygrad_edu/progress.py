"""Keras-style progress output for ``fit``, ``evaluate`` and ``predict``.

``verbose=1`` (what ``"auto"`` means) draws Keras's line for every pass over the data
(here folded in two)::

    1688/1688 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.8865 - loss: 0.3084 -
    val_accuracy: 0.8812 - val_loss: 0.3183

While the pass runs the time is the estimate of what is left; at the end it is the time the
pass took, in seconds. Where it is drawn decides how:

- in Jupyter, a live widget (tqdm's notebook bar, as ``tqdm.auto`` picks it);
- in a terminal, a line redrawn in place, cut to the terminal's width while it runs (so it
  never wraps and repeats) and printed whole when the pass ends;
- anywhere else (a log file, a pipe), one line per pass, written when it ends.

``verbose=2`` prints one short line per epoch (``1688/1688 - 3s - 2ms/step - loss: ...``);
``verbose=0`` prints nothing.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import time

__all__ = ["PassDisplay", "ProgressBar", "ProgressDisplay", "format_logs", "progress_line",
           "summary_line", "terminal_columns"]

BAR_WIDTH = 20
REFRESH_SECONDS = 0.1  # redraw at most ten times a second: drawing stays negligible


def _ordered(logs: dict) -> list[tuple[str, float]]:
    """Numbers only, in Keras's order: training values by name, then validation values."""
    numbers = [(key, value) for key, value in logs.items()
               if isinstance(value, (int, float)) and not isinstance(value, bool)]
    return sorted(numbers, key=lambda item: (item[0].startswith("val_"), item[0]))


def format_logs(logs: dict) -> str:
    """``accuracy: 0.8906 - loss: 0.3125`` (Keras's style and order).

    >>> format_logs({"loss": 0.3125, "accuracy": 0.890625, "val_loss": 0.5})
    'accuracy: 0.8906 - loss: 0.3125 - val_loss: 0.5000'
    """
    return " - ".join(f"{key}: {value:.4f}" for key, value in _ordered(logs))


def _per_step(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def _tail(done: int, total: int, seconds: float, logs: dict | None, finished: bool) -> str:
    """``3s 2ms/step - accuracy: ... - loss: ...``: time left (or taken), speed, metrics."""
    per_step = seconds / max(done, 1)
    shown = seconds if finished else per_step * max(total - done, 0)
    metrics = format_logs(logs or {})
    return f"{math.floor(shown + 0.5):.0f}s {_per_step(per_step)}" + (
        f" - {metrics}" if metrics else "")


def progress_line(done: int, total: int, seconds: float, logs: dict | None = None,
                  finished: bool | None = None) -> str:
    """One progress line; ``seconds`` is the time spent so far.

    Until the pass is finished the time shown is the estimated time left, then the time
    spent.

    >>> progress_line(1688, 1688, 3.2, {"loss": 0.3084, "accuracy": 0.8865})
    '1688/1688 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.8865 - loss: 0.3084'
    >>> progress_line(422, 1688, 1.0)
    ' 422/1688 ━━━━━                3s 2ms/step'
    """
    finished = done >= total if finished is None else finished
    filled = BAR_WIDTH if finished else int(BAR_WIDTH * done / max(total, 1))
    counter = f"{done:>{len(str(total))}}/{total}"
    bar = "━" * filled + " " * (BAR_WIDTH - filled)
    return f"{counter} {bar} {_tail(done, total, seconds, logs, finished)}"


def summary_line(steps: int, seconds: float, logs: dict | None = None) -> str:
    """The ``verbose=2`` line: ``1688/1688 - 3s - 2ms/step - loss: 0.3084``.

    >>> summary_line(10, 0.02, {"loss": 0.5})
    '10/10 - 0s - 2ms/step - loss: 0.5000'
    """
    metrics = format_logs(logs or {})
    return (f"{steps}/{steps} - {seconds:.0f}s - {_per_step(seconds / max(steps, 1))}"
            + (f" - {metrics}" if metrics else ""))


def _notebook_bar_class():
    """tqdm's notebook bar when running in a Jupyter kernel with widgets, else ``None``."""
    try:
        from tqdm import auto, notebook
    except ImportError:
        return None
    return auto.tqdm if issubclass(auto.tqdm, notebook.tqdm) else None


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def terminal_columns(stream=None) -> int:
    """The width to draw in: ``COLUMNS`` if set, else the terminal's, else 80."""
    stream = sys.stdout if stream is None else stream
    try:
        own = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        own = 0
    columns = shutil.get_terminal_size((own or 80, 24)).columns
    return columns if columns > 0 else (own or 80)


class ProgressBar:
    """One pass over the data (an epoch, an evaluation, a prediction), drawn as Keras does.

    Args:
        steps: batches in the pass.
        stream: where to write (default ``sys.stdout``).
        header: a line printed above the bar (``"Epoch 3/10"``); in a log, where each pass is
            one line, it starts that line instead (``"Epoch 3/10: 1688/1688 ..."``).
    """

    def __init__(self, steps: int, stream=None, header: str | None = None):
        self.steps = max(int(steps), 0)
        self.stream = sys.stdout if stream is None else stream
        self.prefix = ""
        self.start = time.perf_counter()
        self.done = 0
        self._last_draw = -math.inf
        self._widget = None
        notebook_bar = _notebook_bar_class() if stream is None else None
        live = notebook_bar is not None or _is_terminal(self.stream)
        if header is not None and live:
            print(header, file=self.stream, flush=True)
        elif header is not None:
            self.prefix = header + ": "
        if notebook_bar is not None:
            try:
                self._widget = notebook_bar(total=self.steps, leave=True,
                                            bar_format="{n_fmt}/{total_fmt} {bar} {desc}")
            except ImportError:  # no ipywidgets: a log line per pass instead
                self._widget = None
        self.mode = ("notebook" if self._widget is not None
                     else "terminal" if _is_terminal(self.stream) else "log")

    def update(self, done: int, logs: dict | None = None) -> None:
        """``done`` batches are finished; redraws at most ten times a second."""
        self.done = done
        now = time.perf_counter()
        if now - self._last_draw < REFRESH_SECONDS or self.mode == "log":
            return
        self._last_draw = now
        if self.mode == "notebook":
            self._widget.n = done
            self._widget.set_description_str(
                _tail(done, self.steps, now - self.start, logs, False), refresh=True)
        else:
            line = progress_line(done, self.steps, now - self.start, logs, finished=False)
            width = max(terminal_columns(self.stream) - 1, 10)
            self.stream.write("\r" + line[:width] + "\x1b[K")
            self.stream.flush()

    def finish(self, logs: dict | None = None) -> str:
        """Draws the final line, whole, and returns it."""
        seconds = time.perf_counter() - self.start
        line = progress_line(self.steps, self.steps, seconds, logs, finished=True)
        if self.mode == "notebook":
            self._widget.n = self.steps
            self._widget.set_description_str(_tail(self.steps, self.steps, seconds, logs, True),
                                             refresh=True)
            self._widget.close()
        elif self.mode == "terminal":
            self.stream.write("\r\x1b[K" + line + "\n")
        else:
            self.stream.write(self.prefix + line + "\n")
        self.stream.flush()
        return line


class PassDisplay:
    """What ``evaluate`` and ``predict`` print for their one pass (``verbose`` resolved)."""

    def __init__(self, verbose: int, steps: int, stream=None):
        self.verbose, self.steps, self.stream = verbose, steps, stream
        self.start = time.perf_counter()
        self._bar = ProgressBar(steps, stream) if verbose == 1 else None

    def update(self, done: int, logs: dict | None = None) -> None:
        if self._bar is not None:
            self._bar.update(done, logs)

    def finish(self, logs: dict | None = None) -> None:
        if self._bar is not None:
            self._bar.finish(logs)
        elif self.verbose == 2:
            print(summary_line(self.steps, time.perf_counter() - self.start, logs),
                  file=sys.stdout if self.stream is None else self.stream)


class ProgressDisplay:
    """What ``fit`` prints, epoch by epoch, at the chosen verbosity."""

    def __init__(self, verbose, epochs: int, steps: int, stream=None):
        self.verbose = 1 if verbose == "auto" else int(verbose)  # fit has checked it
        self.epochs = epochs
        self.steps = steps
        self.stream = stream
        self._bar = None
        self._epoch_start = 0.0

    @property
    def _out(self):
        return sys.stdout if self.stream is None else self.stream

    def epoch_begin(self, epoch: int) -> None:
        self._epoch_start = time.perf_counter()
        header = f"Epoch {epoch + 1}/{self.epochs}"
        if self.verbose == 1:
            self._bar = ProgressBar(self.steps, self.stream, header=header)
        elif self.verbose == 2:
            print(header, file=self._out)

    def batch_end(self, batch: int, logs: dict) -> None:
        if self._bar is not None:
            self._bar.update(batch + 1, logs)

    def epoch_end(self, logs: dict) -> None:
        if self._bar is not None:
            self._bar.finish(logs)
            self._bar = None
        elif self.verbose == 2:
            print(summary_line(self.steps, time.perf_counter() - self._epoch_start, logs),
                  file=self._out)
