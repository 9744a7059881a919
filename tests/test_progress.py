"""Progress output of fit/evaluate/predict: Keras's line, in a log, a real terminal and tmux."""

import fcntl
import io
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import nn
from tinygrad_edu.progress import (
    ProgressBar,
    ProgressDisplay,
    format_logs,
    progress_line,
    summary_line,
)

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("accuracy", "loss", "val_accuracy", "val_loss")
KERAS_LINE = re.compile(r"^(?P<done>\d+)/(?P<total>\d+) ━{20} \d+s \d+(ms|us|s)/step"
                        r"(?P<metrics>( - \w+: \d+\.\d{4})*)$")

TRAINING_SCRIPT = textwrap.dedent("""
    import time
    import numpy as np
    from tinygrad_edu import nn
    from tinygrad_edu.callbacks import Callback

    class Slow(Callback):  # long enough batches for the bar to redraw while it runs
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.01)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((600, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Sequential([nn.Dense(8, activation="relu", input_dim=4),
                           nn.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=2, validation_split=0.2, callbacks=[Slow()])
    print("done")
""")


def small_model():
    model = nn.Sequential([nn.Dense(8, activation="relu", input_dim=4),
                           nn.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data(count=200):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((count, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def test_the_line_is_keras_s():
    line = progress_line(1688, 1688, 3.2, {"loss": 0.3084, "accuracy": 0.8865,
                                          "val_loss": 0.3183, "val_accuracy": 0.8812})
    assert line == ("1688/1688 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.8865 - "
                    "loss: 0.3084 - val_accuracy: 0.8812 - val_loss: 0.3183")
    # long passes still show seconds, never mm:ss; no stray separators
    long_pass = progress_line(10, 10, 125.0, {"loss": 1.0})
    assert " 125s " in long_pass and ":" not in long_pass.split(" - ")[0] and " , " not in long_pass
    # while running: the estimated time left
    assert progress_line(25, 100, 5.0).endswith(" 15s 200ms/step")
    assert progress_line(1, 1000, 0.0001).endswith("us/step")
    assert summary_line(4, 2.0, {"loss": 0.5}) == "4/4 - 2s - 500ms/step - loss: 0.5000"
    assert format_logs({"loss": 1, "flag": True, "name": "x"}) == "loss: 1.0000"


def test_verbose_values():
    from tinygrad_edu.training_checks import verbosity

    assert verbosity("fit", "auto") == 1
    assert [verbosity("fit", v) for v in (0, 1, 2)] == [0, 1, 2]
    for bad in (3, "yes", None):
        with pytest.raises(ValueError, match="fit: verbose must be"):
            verbosity("fit", bad)
    with pytest.raises(ValueError, match="evaluate: verbose"):
        small_model().evaluate(*data(), verbose=5)


def test_a_log_gets_one_line_per_epoch(capsys):
    model = small_model()
    model.fit(*data(), epochs=3, validation_split=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3, lines
    for epoch, line in enumerate(lines, start=1):
        prefix = f"Epoch {epoch}/3: "
        assert line.startswith(prefix)
        match = KERAS_LINE.match(line[len(prefix):])
        assert match and match["done"] == match["total"] == "5", line
        assert [m.split(":")[0] for m in match["metrics"].split(" - ")[1:]] == list(METRICS)
    assert "\r" not in "".join(lines)


def test_evaluate_and_predict_show_a_bar_by_default(capsys):
    model = small_model()
    x, y = data()
    model.evaluate(x, y, batch_size=50)
    model.predict(x, batch_size=50)
    evaluated, predicted = capsys.readouterr().out.splitlines()
    assert KERAS_LINE.match(evaluated) and evaluated.startswith("4/4 ")
    assert "accuracy: " in evaluated and "loss: " in evaluated
    assert KERAS_LINE.match(predicted) and predicted.startswith("4/4 ") and " - " not in predicted
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    model.evaluate(x, y, batch_size=50, verbose=2)
    assert capsys.readouterr().out.startswith("4/4 - ")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_live_line_is_cut_to_the_width_and_the_last_line_is_whole(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    stream = FakeTerminal()
    bar = ProgressBar(100, stream)
    assert bar.mode == "terminal"
    logs = {key: 0.5 for key in METRICS}
    bar.update(50, logs)
    final = bar.finish(logs)
    live, last = stream.getvalue().split("\r")[1], stream.getvalue().split("\r")[-1]
    assert len(live.replace("\x1b[K", "")) <= 39
    assert last == "\x1b[K" + final + "\n" and all(f"{key}: 0.5000" in final for key in METRICS)


def _run_in_pty(columns: int, env: dict) -> str:
    """Run the training script with a real pseudo-terminal of ``columns`` as its output."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    process = subprocess.Popen([sys.executable, "-c", TRAINING_SCRIPT], stdout=follower,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    os.close(leader)
    assert process.wait(timeout=30) == 0, process.stderr.read().decode()
    return b"".join(chunks).decode("utf-8")


def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", **extra)
    env.pop("COLUMNS", None)
    env.update(extra)
    return env


def _check_terminal_output(output: str, columns: int) -> None:
    lines = output.replace("\r\n", "\n").split("\n")
    assert [line for line in lines if line.startswith("Epoch")] == ["Epoch 1/2", "Epoch 2/2"]
    finals = []
    for line in lines:
        pieces = [piece.replace("\x1b[K", "") for piece in line.split("\r")]
        *live, final = pieces
        assert all(len(piece) <= columns - 1 for piece in live), (columns, live)
        if KERAS_LINE.match(final):
            finals.append(final)
    assert len(finals) == 2, output
    for final in finals:
        assert all(f"{key}: " in final for key in METRICS), final
    assert output.count("\r") > 4  # the bar was redrawn while it ran


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_real_terminal_of_each_width(columns):
    _check_terminal_output(_run_in_pty(columns, _env()), columns)


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_columns_variable_wins_over_the_terminal(columns):
    _check_terminal_output(_run_in_pty(300, _env(COLUMNS=str(columns))), columns)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("columns", [80, 120, 200])
def test_in_tmux_nothing_is_cut_or_repeated(columns, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAINING_SCRIPT, encoding="utf-8")
    socket = f"tinygrad-edu-test-{os.getpid()}-{columns}"
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    done = tmp_path / "exit_code"
    command = f"{sys.executable} {script}; echo $? > {done}; sleep 60"
    subprocess.run([*tmux, "new-session", "-d", "-x", str(columns), "-y", "60", command],
                   check=True, env=_env(TERM="xterm-256color"))
    try:
        deadline = time.monotonic() + 120
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.read_text().strip() == "0"
        screen = subprocess.run([*tmux, "capture-pane", "-p", "-J"], check=True,
                                capture_output=True, text=True).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    assert lines.count("Epoch 1/2") == 1 and lines.count("Epoch 2/2") == 1, screen
    finals = [line for line in lines if KERAS_LINE.match(line)]
    assert len(finals) == 2, screen  # no half-drawn line left over, none repeated
    for final in finals:
        assert all(f"{key}: " in final for key in METRICS), final
    assert lines[-1] == "done"


def test_fit_display_keeps_keras_epoch_headers():
    stream = FakeTerminal()
    display = ProgressDisplay("auto", epochs=2, steps=3, stream=stream)
    for epoch in range(2):
        display.epoch_begin(epoch)
        for batch in range(3):
            display.batch_end(batch, {"loss": 1.0})
        display.epoch_end({"loss": 1.0, "val_loss": 2.0})
    text = stream.getvalue()
    assert text.count("Epoch 1/2\n") == 1 and text.count("Epoch 2/2\n") == 1
    assert text.count("3/3 ━━━━━━━━━━━━━━━━━━━━ ") == 2
