"""ModelCheckpoint: templates, save_best_only, NaN never overwriting, atomic writes that
survive a failure half-way through a save."""

import math
import os
import re

import numpy as np
import pytest

from tinygrad_edu.callbacks import CallbackList, ModelCheckpoint, atomic_save


class SavingModel:
    """A fake model whose saves write a readable tag: which epoch's weights, which method."""

    def __init__(self):
        self.stop_training = False
        self.epoch = -1
        self.saves = []
        self.fail_on_epoch = None

    def _write(self, kind, path):
        with open(path, "w") as handle:
            handle.write(f"{kind}:epoch{self.epoch}:")
            if self.epoch == self.fail_on_epoch:
                handle.flush()
                raise OSError("disk full (simulated) half-way through the write")
            handle.write("complete")
        # The checkpoint writes to a temporary ".tmp-<random>-<name>" first; record <name>.
        self.saves.append((kind, re.sub(r"^\.tmp-\d+-[0-9a-f]+-", "", os.path.basename(path))))

    def save(self, path):
        self._write("model", path)

    def save_weights(self, path):
        self._write("weights", path)


def run(checkpoint, epoch_logs, model=None, batches=1):
    model = model or SavingModel()
    callbacks = CallbackList([checkpoint], model=model, epochs=len(epoch_logs), steps=batches)
    callbacks.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        model.epoch = epoch
        callbacks.on_epoch_begin(epoch)
        for batch in range(batches):
            callbacks.on_train_batch_begin(batch)
            callbacks.on_train_batch_end(batch, {"loss": logs.get("loss", 1.0)})
        callbacks.on_epoch_end(epoch, dict(logs))
    callbacks.on_train_end()
    return model


def val_losses(*values):
    return [{"loss": 1.0, "val_loss": value} for value in values]


def test_filepath_template_uses_one_based_epoch_and_logs(tmp_path):
    template = str(tmp_path / "best-{epoch:02d}-{val_loss:.2f}.weights.npz")
    model = run(ModelCheckpoint(template, save_weights_only=True), val_losses(0.5, 0.4251))
    assert sorted(os.listdir(tmp_path)) == ["best-01-0.50.weights.npz", "best-02-0.43.weights.npz"]
    assert [kind for kind, _ in model.saves] == ["weights", "weights"]
    full = run(ModelCheckpoint(str(tmp_path / "sub" / "dir" / "model-{epoch}.npz")),
               val_losses(0.3))
    assert full.saves == [("model", "model-1.npz")]  # folders are created


def test_save_best_only_writes_only_on_improvement(tmp_path, capsys):
    path = tmp_path / "best.npz"
    checkpoint = ModelCheckpoint(str(path), save_best_only=True, verbose=1)
    model = run(checkpoint, val_losses(0.5, 0.6, 0.4, 0.45, 0.4))
    assert [name for _, name in model.saves] == ["best.npz", "best.npz"]  # epochs 1 and 3
    assert path.read_text() == "model:epoch2:complete" and checkpoint.best == 0.4
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to 0.50000, saving model to" in out
    assert "Epoch 2: val_loss did not improve from 0.50000; not saved" in out
    accuracy = ModelCheckpoint(str(tmp_path / "acc.npz"), monitor="val_accuracy",
                               save_best_only=True)
    model = run(accuracy, [{"val_accuracy": v} for v in (0.5, 0.7, 0.6)])
    assert len(model.saves) == 2 and accuracy.best == 0.7  # "auto" maximizes accuracy


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_never_overwrite_a_good_checkpoint(tmp_path, capsys, bad):
    path = tmp_path / "best.npz"
    model = run(ModelCheckpoint(str(path), save_best_only=True, verbose=1),
                val_losses(0.5, bad, bad, 0.7))
    assert len(model.saves) == 1 and path.read_text() == "model:epoch0:complete"
    assert "val_loss is not finite; not saved" in capsys.readouterr().out
    first_nan = run(ModelCheckpoint(str(tmp_path / "n.npz"), save_best_only=True),
                    val_losses(bad, 0.9))
    assert first_nan.saves == [("model", "n.npz")] and \
        (tmp_path / "n.npz").read_text() == "model:epoch1:complete"
    maximize = run(ModelCheckpoint(str(tmp_path / "m.npz"), monitor="val_accuracy",
                                   save_best_only=True), [{"val_accuracy": v} for v in (0.6, bad)])
    assert len(maximize.saves) == 1


def test_failure_during_write_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "checkpoint.weights.npz"
    model = SavingModel()
    model.fail_on_epoch = 2
    with pytest.raises(OSError, match="disk full"):
        run(ModelCheckpoint(str(path), save_weights_only=True), val_losses(0.9, 0.8, 0.7),
            model=model)
    assert path.read_text() == "weights:epoch1:complete"
    assert os.listdir(tmp_path) == ["checkpoint.weights.npz"]  # no temporary file left


def test_atomic_save_refuses_an_empty_write_and_keeps_the_extension(tmp_path):
    path = tmp_path / "model.weights.npz"
    path.write_text("good")
    seen = []
    with pytest.raises(RuntimeError, match="wrote nothing; the previous file is kept"):
        atomic_save(seen.append, path)
    assert path.read_text() == "good" and os.listdir(tmp_path) == ["model.weights.npz"]
    assert seen[0].endswith("model.weights.npz") and os.path.dirname(seen[0]) == str(tmp_path)


def test_real_model_survives_a_crash_inside_numpy_savez(tmp_path, monkeypatch):
    nn = pytest.importorskip("tinygrad_edu.nn")
    serialization = pytest.importorskip("tinygrad_edu.serialization")
    model = nn.Sequential([nn.Dense(3, input_dim=2, name="dense")])
    path = tmp_path / "best.weights.npz"
    checkpoint = ModelCheckpoint(str(path), save_best_only=True, save_weights_only=True)
    callbacks = CallbackList([checkpoint], model=model)
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"val_loss": 0.5})
    good = {key: value.copy() for key, value in model.state_dict().items()}

    real_savez = np.savez

    def savez_then_crash(stream, **members):
        real_savez(stream, **members)  # a whole archive reaches the temporary file ...
        raise KeyboardInterrupt("killed while saving")  # ... but the save never completes

    for weight in model.parameters():
        weight.data[...] += 1.0
    monkeypatch.setattr(serialization.np, "savez", savez_then_crash)
    with pytest.raises(KeyboardInterrupt):
        callbacks.on_epoch_end(1, {"val_loss": 0.1})
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["best.weights.npz"]
    restored = nn.Sequential([nn.Dense(3, input_dim=2, name="dense")])
    restored.load_weights(str(path))
    for key, value in restored.state_dict().items():
        np.testing.assert_array_equal(value, good[key])


def test_missing_monitor_raises_naming_the_logged_keys(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m.npz"), save_best_only=True)
    with pytest.raises(ValueError, match="monitor='val_loss' is not logged; the logged keys are "
                                         "loss"):
        run(checkpoint, [{"loss": 0.3}])
    assert os.listdir(tmp_path) == []
    every_batch = ModelCheckpoint(str(tmp_path / "b.npz"), save_best_only=True, save_freq=1)
    with pytest.raises(ValueError, match="validation values exist only at the end of an epoch"):
        run(every_batch, [{"loss": 0.3}])


def test_initial_value_threshold_and_mode(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m.npz"), save_best_only=True,
                                 initial_value_threshold=0.45)
    model = run(checkpoint, val_losses(0.5, 0.46, 0.44))
    assert (tmp_path / "m.npz").read_text() == "model:epoch2:complete"
    assert len(model.saves) == 1
    maximize = ModelCheckpoint(str(tmp_path / "x.npz"), save_best_only=True, mode="max")
    assert len(run(maximize, val_losses(0.1, 0.2, 0.15)).saves) == 2


def test_save_freq_in_batches(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.npz"), save_freq=3)
    model = run(checkpoint, val_losses(1, 1), batches=4)
    # Batches seen: 4 in epoch 1, 4 in epoch 2 -> saves after the 3rd and 6th.
    assert [name for _, name in model.saves] == ["e1-b3.npz", "e2-b2.npz"]
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("x.npz", save_freq="batch")


def test_template_errors_name_the_missing_field(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc:.2f}.npz"))
    with pytest.raises(KeyError, match="cannot fill the filepath template.*'val_acc'"):
        run(checkpoint, val_losses(0.5))
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        run(ModelCheckpoint(str(tmp_path / "folder")), val_losses(0.5))
