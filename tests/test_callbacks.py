"""Callbacks driven by hand with a small fake model: hook order, History, EarlyStopping,
ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, LambdaCallback.
EarlyStopping, ReduceLROnPlateau and CSVLogger are also compared with Keras's own
callbacks driven by the same logs. ModelCheckpoint is in test_callbacks_checkpoint.py."""

import csv
import math
import os

import numpy as np
import pytest

from tinygrad_edu.callbacks import (
    HOOKS,
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from tinygrad_edu.metrics import BinaryAccuracy


class FakeOptimizer:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate


class FakeModel:
    """What callbacks may use: stop_training, optimizer.learning_rate, state_dict /
    load_state_dict (plus Keras's get_weights / set_weights for the Keras comparisons)."""

    def __init__(self):
        self.weights = {"dense.kernel": np.zeros((2, 2), np.float32),
                        "dense.bias": np.zeros(2, np.float32)}
        self.stop_training = False
        self.optimizer = FakeOptimizer()

    def train_one_epoch(self, epoch):
        # In place, as an optimizer step is: a snapshot that did not copy would change too.
        for array in self.weights.values():
            array[...] = epoch

    def state_dict(self):
        return self.weights  # the live arrays, not copies

    def load_state_dict(self, state):
        for key, value in state.items():
            self.weights[key][...] = value

    def get_weights(self):
        return [array.copy() for array in self.weights.values()]

    def set_weights(self, arrays):
        for array, value in zip(self.weights.values(), arrays):
            array[...] = value

    def current_epoch_tag(self):
        return int(self.weights["dense.bias"][0])


def run(callbacks, epoch_logs, model=None, batches=2):
    """Drive callbacks as fit does; return (model, epochs actually run, CallbackList)."""
    model = model or FakeModel()
    callback_list = CallbackList(callbacks, add_history=True, model=model,
                                 verbose=0, epochs=len(epoch_logs), steps=batches)
    model.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    ran = 0
    for epoch, logs in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(batches):
            callback_list.on_train_batch_begin(batch)
            model.train_one_epoch(epoch)
            callback_list.on_train_batch_end(batch, {"loss": logs.get("loss", 1.0)})
        callback_list.on_epoch_end(epoch, dict(logs))
        ran += 1
        if model.stop_training:
            break
    callback_list.on_train_end(dict(logs))
    return model, ran, callback_list


def val_losses(*values):
    return [{"loss": 1.0, "val_loss": value} for value in values]


# ---------------------------------------------------------------- protocol and History


class Recorder(Callback):
    """Records every hook call as (hook, epoch-or-batch number...)."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _recording_hook(name):
    def hook(self, *args, logs=None):
        self.calls.append((name, *[arg for arg in args if not isinstance(arg, dict)]))
    return hook


for _hook in HOOKS:
    if _hook not in ("on_train_batch_begin", "on_train_batch_end"):  # keep the base aliases
        setattr(Recorder, _hook, _recording_hook(_hook))


def test_hook_order_in_a_run():
    recorder = Recorder()
    run([recorder], val_losses(0.5, 0.4), batches=1)
    names = [call[0] for call in recorder.calls]
    assert names == ["on_train_begin", "on_epoch_begin", "on_batch_begin", "on_batch_end",
                     "on_epoch_end", "on_epoch_begin", "on_batch_begin", "on_batch_end",
                     "on_epoch_end", "on_train_end"]  # train-batch hooks reach the old names
    assert recorder.calls[-2] == ("on_epoch_end", 1)
    assert recorder.params == {"verbose": 0, "epochs": 2, "steps": 1}


def test_every_hook_is_dispatched():
    recorder = Recorder()
    callbacks = CallbackList([recorder])
    for hook, arguments in HOOKS.items():
        numbers = [3] if arguments.startswith(("epoch", "batch")) else []
        getattr(callbacks, hook)(*numbers, {"x": 1})
    names = [call[0] for call in recorder.calls]
    # on_train_batch_* reach the recorder through the on_batch_* aliases of the base class.
    assert set(names) == set(HOOKS) - {"on_train_batch_begin", "on_train_batch_end"}
    assert names.count("on_batch_begin") == 2 and names.count("on_batch_end") == 2
    assert ("on_epoch_end", 3) in recorder.calls and ("on_test_batch_end", 3) in recorder.calls


def test_history_records_keras_keys_and_sets_model_history():
    logs = [{"loss": 0.9, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.4},
            {"loss": 0.5, "accuracy": 0.8, "val_loss": 0.7, "val_accuracy": 0.6}]
    model, _, callbacks = run([], logs)
    history = callbacks.history
    assert isinstance(history, History) and model.history is history
    assert history.history == {"loss": [0.9, 0.5], "accuracy": [0.5, 0.8],
                               "val_loss": [1.0, 0.7], "val_accuracy": [0.4, 0.6]}
    assert history.epoch == [0, 1] and history.params["epochs"] == 2


def test_logs_are_copied_per_call_and_numpy_scalars_become_floats():
    seen = []

    class AddKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 1.0

    callbacks = CallbackList([AddKey(), LambdaCallback(on_epoch_end=lambda e, l: seen.append(l))])
    caller_logs = {"loss": np.float32(0.25), "acc": np.array(0.5)}
    callbacks.on_epoch_end(0, caller_logs)
    assert seen[0] == {"loss": 0.25, "acc": 0.5, "extra": 1.0}
    assert type(seen[0]["loss"]) is float and "extra" not in caller_logs


def test_history_goes_last_and_records_learning_rate():
    history_first = History()
    _, _, callbacks = run([LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))],
                          val_losses(1, 1, 1))
    assert callbacks.callbacks[-1] is callbacks.history
    assert callbacks.history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    explicit = CallbackList([history_first], add_history=True)
    assert explicit.history is history_first and len(explicit) == 1


def test_callback_list_rejects_classes_and_flattens():
    with pytest.raises(TypeError, match=r"pass an instance, e.g. EarlyStopping\(\)"):
        CallbackList([EarlyStopping])
    assert len(CallbackList([[History()], (TerminateOnNaN(),)])) == 2
    assert len(CallbackList(TerminateOnNaN())) == 1


# ---------------------------------------------------------------- EarlyStopping


def test_early_stopping_patience():
    stopper = EarlyStopping(patience=2)
    _, ran, _ = run([stopper], val_losses(1.0, 0.9, 0.95, 0.96, 0.5, 0.4))
    assert ran == 4 and stopper.stopped_epoch == 3 and stopper.best == 0.9
    zero = EarlyStopping(patience=0)
    _, ran, _ = run([zero], val_losses(1.0, 1.0, 0.5))
    assert ran == 2  # the first epoch without improvement stops


def test_early_stopping_restores_the_best_epochs_weights_after_a_stop(capsys):
    stopper = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    model, ran, _ = run([stopper], val_losses(1.0, 0.6, 0.8, 0.9, 0.1))
    assert ran == 4 and stopper.best_epoch == 1
    assert model.current_epoch_tag() == 1  # weights of epoch 1, although epoch 3 ran last
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out and "best epoch: 2." in out


def test_early_stopping_restores_also_without_stopping_as_keras_3():
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    model, ran, _ = run([stopper], val_losses(0.9, 0.3, 0.5, 0.6))
    assert ran == 4 and stopper.stopped_epoch == 0 and model.current_epoch_tag() == 1
    untouched, _, _ = run([EarlyStopping(patience=10)], val_losses(0.9, 0.3, 0.5))
    assert untouched.current_epoch_tag() == 2


def test_early_stopping_nan_is_never_the_best():
    stopper = EarlyStopping(patience=5, restore_best_weights=True)
    model, _, _ = run([stopper], val_losses(math.nan, 0.5, math.nan, math.inf, 0.7))
    assert stopper.best == 0.5 and model.current_epoch_tag() == 1
    nan_only = EarlyStopping(patience=1)
    _, ran, _ = run([nan_only], val_losses(math.nan, math.nan, math.nan))
    assert ran == 2 and nan_only.best is None


def test_early_stopping_baseline_start_epoch_and_min_delta():
    # Improvements that do not beat the baseline do not reset the wait (Keras's rule), so
    # the first flat epoch already ends the patience.
    _, ran, _ = run([EarlyStopping(patience=2, baseline=0.5)], val_losses(0.9, 0.8, 0.8, 0.8))
    assert ran == 3
    _, ran, _ = run([EarlyStopping(patience=2)], val_losses(0.9, 0.8, 0.8, 0.8, 0.8))
    assert ran == 4
    warm = EarlyStopping(patience=1, start_from_epoch=3)
    _, ran, _ = run([warm], val_losses(1, 2, 3, 4, 5, 6))
    assert ran == 5
    delta = EarlyStopping(patience=1, min_delta=0.1)
    _, ran, _ = run([delta], val_losses(1.0, 0.95, 0.92))
    assert ran == 2  # 0.95 is not 0.1 better than 1.0


def test_early_stopping_mode_auto_and_errors():
    accuracy = EarlyStopping(monitor="val_accuracy", patience=0)
    logs = [{"val_accuracy": value} for value in (0.5, 0.6, 0.55)]
    _, ran, _ = run([accuracy], logs)
    assert ran == 3 and accuracy.best == 0.6
    model = FakeModel()
    model.metrics = [BinaryAccuracy(name="hit_rate")]
    custom = EarlyStopping(monitor="val_hit_rate", patience=0)
    run([custom], [{"val_hit_rate": v} for v in (0.5, 0.7)], model=model)
    assert custom.best == 0.7
    with pytest.raises(ValueError, match="pass mode='min' or mode='max'"):
        run([EarlyStopping(monitor="val_mystery")], [{"val_mystery": 1.0}])
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="minimum")


def test_early_stopping_rejects_a_monitor_that_is_never_logged():
    stopper = EarlyStopping(monitor="val_loss")
    with pytest.raises(ValueError, match=r"monitor='val_loss' is not logged; the logged keys are "
                                         r"loss; a 'val_' value is logged only when fit has"):
        run([stopper], [{"loss": 1.0}, {"loss": 2.0}])
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: monitor='val_acc' .* Keras 3 logs "
                                         r"'val_accuracy' where Keras 2 logged 'val_acc'"):
        run([ReduceLROnPlateau(monitor="val_acc")], [{"loss": 1.0, "val_accuracy": 0.5}])


def _keras_sequences(seed, count=12):
    rng = np.random.default_rng(seed)
    steps = rng.choice([-0.2, -0.05, 0.0, 0.03, 0.1], size=count)
    return list(np.round(1.0 + np.cumsum(steps), 4))


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("options", [
    {"patience": 2}, {"patience": 0}, {"patience": 3, "min_delta": 0.04},
    {"patience": 2, "baseline": 0.9}, {"patience": 1, "start_from_epoch": 4},
    {"patience": 3, "restore_best_weights": True}, {"patience": 2, "mode": "max"},
])
def test_early_stopping_matches_keras(keras, seed, options):
    values = _keras_sequences(seed)
    ours = EarlyStopping(**options)
    theirs = keras.callbacks.EarlyStopping(**options)
    model_ours, ran_ours, _ = run([ours], val_losses(*values))
    model_theirs, ran_theirs, _ = run([_KerasAdapter(theirs)], val_losses(*values))
    assert ran_ours == ran_theirs
    assert (ours.best, ours.best_epoch, ours.stopped_epoch) == \
        (theirs.best, theirs.best_epoch, theirs.stopped_epoch)
    assert model_ours.current_epoch_tag() == model_theirs.current_epoch_tag()


class _KerasAdapter(Callback):
    """Lets a Keras callback run inside our CallbackList (its model is our fake model)."""

    def __init__(self, keras_callback):
        super().__init__()
        self.inner = keras_callback

    def set_model(self, model):
        super().set_model(model)
        self.inner.set_model(model)

    def on_train_begin(self, logs=None):
        self.inner.on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        self.inner.on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        self.inner.on_train_end(logs)


# ---------------------------------------------------------------- learning-rate callbacks


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("options", [
    {"patience": 2}, {"patience": 1, "cooldown": 2}, {"patience": 1, "min_lr": 5e-4},
    {"patience": 2, "factor": 0.5, "min_delta": 0.05}, {"patience": 1, "mode": "max"},
])
def test_reduce_lr_on_plateau_matches_keras(keras, seed, options):
    values = _keras_sequences(seed, count=15)
    ours = ReduceLROnPlateau(**options)
    theirs = keras.callbacks.ReduceLROnPlateau(**options)
    model_ours, _, callbacks_ours = run([ours], val_losses(*values))
    model_theirs, _, callbacks_theirs = run([_KerasAdapter(theirs)], val_losses(*values))
    assert model_ours.optimizer.learning_rate == pytest.approx(
        model_theirs.optimizer.learning_rate, rel=1e-12)
    assert callbacks_ours.history.history["learning_rate"] == pytest.approx(
        callbacks_theirs.history.history["learning_rate"], rel=1e-12)


def test_reduce_lr_on_plateau_by_hand(capsys):
    reducer = ReduceLROnPlateau(patience=2, factor=0.5, verbose=1, min_lr=0.004)
    model, _, callbacks = run([reducer], val_losses(1.0, 1.0, 1.0, 1.0, 1.0, 1.0))
    assert callbacks.history.history["learning_rate"] == pytest.approx(
        [0.01, 0.01, 0.01, 0.005, 0.005, 0.004])
    assert model.optimizer.learning_rate == pytest.approx(0.004)  # floored at min_lr
    assert "Epoch 3: ReduceLROnPlateau reducing learning rate to 0.005" in capsys.readouterr().out
    with pytest.raises(ValueError, match=r"factor must be in \(0, 1\)"):
        ReduceLROnPlateau(factor=1.0)


def test_learning_rate_scheduler_forms_and_errors():
    model, _, _ = run([LearningRateScheduler(lambda epoch, lr: lr * 0.5)], val_losses(1, 1, 1))
    assert model.optimizer.learning_rate == pytest.approx(0.01 / 8)
    model, _, callbacks = run([LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))],
                              val_losses(1, 1))
    assert callbacks.history.history["learning_rate"] == pytest.approx([0.1, 0.2])
    with pytest.raises(ValueError, match=r"schedule\(0\) must return a finite number"):
        run([LearningRateScheduler(lambda epoch, lr: None)], val_losses(1))

    def broken(epoch, lr):
        raise TypeError("bug inside the schedule")

    with pytest.raises(TypeError, match="bug inside the schedule"):  # not swallowed
        run([LearningRateScheduler(broken)], val_losses(1))

    uncompiled = FakeModel()
    uncompiled.optimizer = None
    with pytest.raises(ValueError, match="compile the model first"):
        run([LearningRateScheduler(lambda e, lr: lr)], val_losses(1), model=uncompiled)


# ---------------------------------------------------------------- CSVLogger


def _read_rows(path, separator=","):
    with open(path, newline="") as handle:
        return list(csv.reader(handle, delimiter=separator))


def test_csv_logger_rows_header_and_append(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "accuracy": 0.8}, {"loss": 0.25, "accuracy": 0.9}]
    run([CSVLogger(path)], logs)
    rows = _read_rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1:] == [["0", "0.8", "0.5", "NA", "NA"], ["1", "0.9", "0.25", "NA", "NA"]]
    run([CSVLogger(path, append=True)], logs[:1])
    assert len(_read_rows(path)) == 4 and _read_rows(path)[3][0] == "0"  # no second header
    run([CSVLogger(path, separator=";")], [{"loss": 1.5, "val_loss": 2.0}])
    assert _read_rows(path, ";") == [["epoch", "loss", "val_loss"], ["0", "1.5", "2.0"]]


def test_csv_logger_matches_keras(keras, tmp_path):
    logs = [{"loss": 0.5, "accuracy": 0.75, "val_loss": 0.6},
            {"loss": 0.25, "accuracy": 0.875}]
    run([CSVLogger(tmp_path / "ours.csv")], logs)
    run([_KerasAdapter(keras.callbacks.CSVLogger(str(tmp_path / "keras.csv")))], logs)
    assert _read_rows(tmp_path / "ours.csv") == _read_rows(tmp_path / "keras.csv")


# ---------------------------------------------------------------- small callbacks


def test_terminate_on_nan(capsys):
    model, ran, _ = run([TerminateOnNaN()], [{"loss": 1.0}, {"loss": math.nan}, {"loss": 1.0}])
    assert ran == 2 and model.stop_training
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out
    _, ran, _ = run([TerminateOnNaN()], [{"loss": 1.0}] * 3)
    assert ran == 3
    with pytest.raises(RuntimeError, match="loss is inf"):
        run([TerminateOnNaN(raise_error=True)], [{"loss": math.inf}])


def test_lambda_callback():
    events = []
    callback = LambdaCallback(on_train_begin=lambda logs: events.append("begin"),
                              on_epoch_end=lambda epoch, logs: events.append(epoch),
                              on_train_batch_end=lambda batch, logs: events.append("b"),
                              on_test_end=lambda logs: events.append("test"))
    run([callback], val_losses(1, 1), batches=1)
    callback.on_test_end({})
    assert events == ["begin", "b", 0, "b", 1, "test"]
    with pytest.raises(ValueError, match="unknown hooks"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="must be callable"):
        LambdaCallback(on_epoch_end=3)
