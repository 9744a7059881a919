"""Realistic mistakes made with the public API, and how to tell a clear error from a raw one.

Each entry of :data:`MISTAKES` is ``(id, call, fragment)``: ``call(tmp_path)`` makes the
mistake; ``fragment`` is a piece of text the error message must contain (the function, layer
or argument it names), or ``None`` when the framework accepts the input instead (a single
metric string, layers as positional arguments, ``training=`` on any layer).

An error is *clear* when it is a ValueError/TypeError (or a subclass; RuntimeError for a
call out of order, FileNotFoundError/PermissionError for files, IndexError/KeyError for a
lookup) raised by a ``raise`` statement of the framework itself, with its own message.
Anything raised from inside numpy, the standard library or a Python built-in (``int('10')``,
``range(0, n, 32.5)``, ``dict[key]``) escaping the public API is raw. A command refusing its
input must print one line (no traceback) and exit with status 2.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import linecache
import os
import traceback
import zipfile
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import functional, losses, metrics, nn, optim
from tinygrad_edu.datasets import idx
from tinygrad_edu.expression import evaluate_expression

PACKAGE_ROOTS = tuple(str(Path(__file__).resolve().parents[1] / name) + os.sep
                      for name in ("tinygrad_edu", "viz"))
CLEAR_TYPES = (ValueError, TypeError, RuntimeError, FileNotFoundError, PermissionError,
               IndexError, KeyError)
RAW_TYPES = (AttributeError, ZeroDivisionError, RecursionError, UnicodeError, OverflowError,
             MemoryError, zipfile.BadZipFile, json.JSONDecodeError)


def raw_reason(error: BaseException) -> str | None:
    """Why ``error`` is a raw error escaping the API, or None when it is a clear one."""
    if isinstance(error, CommandRefusedError):
        text = str(error).removeprefix("status 2: ")
        lines = text.strip().splitlines()
        return None if len(lines) == 1 and "Traceback" not in text else f"stderr: {text}"
    if isinstance(error, RAW_TYPES) or not isinstance(error, CLEAR_TYPES):
        return f"raw {type(error).__name__}"
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "no traceback"
    innermost = frames[-1]
    if not innermost.filename.startswith(PACKAGE_ROOTS):
        return f"{type(error).__name__} raised inside {innermost.filename}:{innermost.lineno}"
    line = linecache.getline(innermost.filename, innermost.lineno).strip()
    if not line.startswith("raise"):
        return (f"{type(error).__name__} from a Python operation at "
                f"{innermost.filename}:{innermost.lineno}: {line}")
    return None


# ----- fixtures the mistakes use ----------------------------------------------------------
def model(compiled=True, **compile_args):
    net = nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,)), nn.Dense(2)])
    if compiled:
        net.compile(optimizer="sgd", loss=compile_args.pop("loss", "mse"), **compile_args)
    return net


X = np.ones((8, 3), dtype=np.float32)
Y = np.zeros((8, 2), dtype=np.float32)


def saved(tmp_path, name="m.npz"):
    path = tmp_path / name
    model(compiled=False).save(path)
    return path


def rewrite_member(path, member, text):
    """A copy of the model file with one JSON member replaced."""
    with np.load(path, allow_pickle=False) as archive:
        members = {name: archive[name] for name in archive.files}
    members[member] = np.array(text)
    with open(path, "wb") as stream:
        np.savez(stream, **members)
    return path


def with_architecture(tmp_path, architecture):
    path = saved(tmp_path)
    return rewrite_member(path, "__architecture__", json.dumps(architecture))


def dense_config(**changes):
    config = model(compiled=False).get_config()
    config["layers"][0]["config"].update(changes)
    return {"class_name": "Sequential", "config": config}


def with_weight(tmp_path, array):
    path = saved(tmp_path)
    with np.load(path, allow_pickle=False) as archive:
        members = {name: archive[name] for name in archive.files}
    key = next(name for name in members if name.startswith("weights/"))
    members[key] = array
    with open(path, "wb") as stream:
        np.savez(stream, **members)
    return path


def truncated(tmp_path):
    path = saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def bit_flipped(tmp_path):
    """A model file with one bit flipped inside the first weight's values."""
    path = saved(tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        first = archive.infolist()[0]
    data[first.header_offset + 30 + len(first.filename) + 128 + 5] ^= 0x10
    path.write_bytes(bytes(data))
    return path


def zip_bomb(tmp_path):
    """A 70 kB file whose one weight inflates to 64 MiB of zeros."""
    path = tmp_path / "bomb.npz"
    header = json.dumps({"format": "tinygrad_edu", "version": 1, "kind": "weights",
                         "weights": ["w"]})
    buffer = io.BytesIO()
    np.save(buffer, np.array(header))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__format__.npy", buffer.getvalue())
        with archive.open("weights/w.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "<f4", "fortran_order": False, "shape": (2**24,)})
            block = bytes(1 << 20)
            for _ in range(64):
                member.write(block)
    return path


def keras_file_with(tmp_path, change):
    """A .keras file of the small model whose config.json ``change`` rewrote."""
    path = tmp_path / "m.keras"
    model(compiled=False).save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    members["config.json"] = change(config) or json.dumps(config)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def idx_file(tmp_path, payload, name="data-idx1-ubyte"):
    path = tmp_path / name
    path.write_bytes(payload)
    return path


class CommandRefusedError(Exception):
    """The command printed an error and exited with status 2 (its clear way to fail)."""


def step_without_gradients():
    """``opt.step()`` before ``loss.backward()``: allowed, with a warning saying why nothing
    changed."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optim.SGD(model(False).parameters()).step()
    assert any("backward" in str(w.message) for w in caught)


def run_cli(*argv):
    """Run ``tinygrad-edu argv``; a refusal (status 2 and one line on stderr) is raised as
    CommandRefusedError with that line."""
    from tinygrad_edu.cli import main

    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        status = main(list(argv))
    if status == 2:
        raise CommandRefusedError(f"status 2: {errors.getvalue()}")
    return status


# ----- the list ---------------------------------------------------------------------------
def two_input_model():
    """A functional model with two inputs (of X's width and of 2) and one output "out"."""
    first, second = nn.Input(shape=(X.shape[1],)), nn.Input(shape=(2,))
    joined = nn.Concatenate()([first, second])
    return nn.Model([first, second], nn.Dense(1, name="out")(joined))


def _t(name, call, fragment):
    return (name, call, fragment)


MISTAKES = [
    # training API: compile
    _t("compile without loss", lambda p: model(False).compile(optimizer="sgd"), "loss"),
    _t("compile unknown optimizer", lambda p: model(False).compile("sgdd", "mse"), "sgd"),
    _t("compile unknown loss", lambda p: model(False).compile("sgd", "mse_loss"), "loss"),
    _t("compile loss as int", lambda p: model(False).compile("sgd", 3), "loss"),
    _t("compile optimizer as class", lambda p: model(False).compile(optim.SGD, "mse"), None),
    _t("compile unknown metric", lambda p: model(loss="mse", metrics=["acuracy"]).fit(
        X, Y, verbose=0), "acuracy"),
    _t("compile metrics as a single string", lambda p: model(
        metrics="accuracy").fit(X, Y, verbose=0), None),
    _t("compile metrics as int", lambda p: model(False).compile("sgd", "mse", metrics=5),
       "metrics"),
    # training API: fit
    _t("fit before compile", lambda p: model(False).fit(X, Y, verbose=0), "compile"),
    _t("fit batch_size float", lambda p: model().fit(X, Y, batch_size=32.5, verbose=0),
       "batch_size"),
    _t("fit batch_size string", lambda p: model().fit(X, Y, batch_size="32", verbose=0),
       "batch_size"),
    _t("fit batch_size zero", lambda p: model().fit(X, Y, batch_size=0, verbose=0),
       "batch_size"),
    _t("fit epochs string", lambda p: model().fit(X, Y, epochs="10", verbose=0), "epochs"),
    _t("fit epochs float", lambda p: model().fit(X, Y, epochs=2.5, verbose=0), "epochs"),
    _t("fit epochs negative", lambda p: model().fit(X, Y, epochs=-1, verbose=0), "epochs"),
    _t("fit validation_data array", lambda p: model().fit(
        X, Y, validation_data=X, verbose=0), "validation_data"),
    _t("fit validation_data 1-tuple", lambda p: model().fit(
        X, Y, validation_data=(X,), verbose=0), "validation_data"),
    _t("fit validation_data 4-tuple", lambda p: model().fit(
        X, Y, validation_data=(X, Y, None, None), verbose=0), "validation_data"),
    _t("fit validation_split string", lambda p: model().fit(
        X, Y, validation_split="0.2", verbose=0), "validation_split"),
    _t("fit validation_split 20", lambda p: model().fit(X, Y, validation_split=20, verbose=0),
       "validation_split"),
    _t("fit y missing", lambda p: model().fit(X, verbose=0), "y"),
    _t("fit x and y lengths", lambda p: model().fit(X, Y[:5], verbose=0), "samples"),
    _t("fit x strings", lambda p: model().fit(np.array([["a"] * 3] * 8), Y, verbose=0), "x"),
    _t("fit x ragged list", lambda p: model().fit([[1, 2, 3], [1, 2]], Y[:2], verbose=0),
       "ragged"),
    _t("fit x None", lambda p: model().fit(None, Y, verbose=0), "x"),
    _t("fit wrong feature count", lambda p: model().fit(np.ones((8, 5)), Y, verbose=0),
       "shape"),
    _t("fit wrong label width", lambda p: model().fit(X, np.ones((8, 3)), verbose=0), "shape"),
    _t("fit callbacks not a list", lambda p: model().fit(X, Y, callbacks=5, verbose=0),
       "callbacks"),
    _t("fit callback class not instance", lambda p: model().fit(
        X, Y, callbacks=[tg.callbacks.EarlyStopping], verbose=0), "callback"),
    _t("fit monitor never logged", lambda p: model().fit(X, Y, epochs=2, verbose=0, callbacks=[
        tg.callbacks.EarlyStopping(monitor="val_los")]), "monitor='val_los' is not logged"),
    _t("fit checkpoint monitor Keras 2 name", lambda p: model().fit(
        X, Y, epochs=2, verbose=0, validation_split=0.25, callbacks=[tg.callbacks.ModelCheckpoint(
            str(p / "m.weights.npz"), monitor="val_acc", save_best_only=True)]), "val_acc"),
    _t("Dense unknown constraint", lambda p: nn.Dense(2, kernel_constraint="maxnorm"),
       "max_norm"),
    _t("constraint axis out of range", lambda p: nn.Dense(
        2, input_shape=(3,), kernel_constraint=tg.constraints.MaxNorm(axis=3)).kernel.constraint(
        np.ones((3, 2))), "axis"),
    _t("fit class_weight list", lambda p: model().fit(X, Y, class_weight=[1, 2], verbose=0),
       "class_weight"),
    _t("fit sample_weight wrong length", lambda p: model().fit(
        X, Y, sample_weight=np.ones(3), verbose=0), "sample_weight"),
    _t("fit shuffle string", lambda p: model().fit(X, Y, shuffle="yes", verbose=0), "shuffle"),
    _t("fit initial_epoch string", lambda p: model().fit(X, Y, initial_epoch="1", verbose=0),
       "initial_epoch"),
    _t("fit verbose string", lambda p: model().fit(X, Y, verbose="loud"), "verbose"),
    _t("fit tensor input", lambda p: model().fit(tg.Tensor(X), tg.Tensor(Y), verbose=0), None),
    # training API: evaluate / predict
    _t("evaluate batch_size zero", lambda p: model().evaluate(X, Y, batch_size=0, verbose=0),
       "batch_size"),
    _t("evaluate batch_size float", lambda p: model().evaluate(
        X, Y, batch_size=2.5, verbose=0), "batch_size"),
    _t("evaluate before compile", lambda p: model(False).evaluate(X, Y, verbose=0), "compile"),
    _t("evaluate y missing", lambda p: model().evaluate(X, verbose=0), "y"),
    _t("predict batch_size zero", lambda p: model().predict(X, batch_size=0), "batch_size"),
    _t("predict batch_size negative", lambda p: model().predict(X, batch_size=-4),
       "batch_size"),
    _t("predict batch_size string", lambda p: model().predict(X, batch_size="8"),
       "batch_size"),
    _t("predict empty", lambda p: model().predict(np.ones((0, 3))), "predict"),
    _t("predict single sample without batch axis", lambda p: model().predict(
        np.ones(3)), "batch"),
    _t("train_on_batch lengths", lambda p: model().train_on_batch(X, Y[:3]), "samples"),
    # Sequential
    _t("Sequential layers positional", lambda p: nn.Sequential(nn.Dense(2), nn.Dense(1)),
       None),
    _t("Sequential of a non-layer", lambda p: nn.Sequential([nn.Dense(2), "relu"]), "layer"),
    _t("Sequential of a layer class", lambda p: nn.Sequential([nn.Dense]), "layer"),
    _t("Sequential duplicate layer", lambda p: (lambda d: nn.Sequential([d, d]))(nn.Dense(2)),
       "unique"),
    _t("Sequential pop empty", lambda p: nn.Sequential().pop(), "no layers"),
    _t("Sequential call empty", lambda p: nn.Sequential()(tg.ones(2, 3)), "no layers"),
    _t("Sequential name as second positional", lambda p: nn.Sequential([nn.Dense(2)], "net"),
       "name"),
    _t("Sequential add a number", lambda p: nn.Sequential().add(3), "layer"),
    _t("model called on a string", lambda p: model(False)("x"), "numeric"),
    _t("model called on None", lambda p: model(False)(None), "Tensor"),
    # optimizers
    _t("SGD(model.parameters) not called", lambda p: optim.SGD(model(False).parameters),
       "parameters()"),
    _t("Adam params a model", lambda p: optim.Adam(model(False)), "parameters()"),
    _t("SGD params list of arrays", lambda p: optim.SGD([np.ones(3)]), "Tensor"),
    _t("SGD lr negative", lambda p: optim.SGD(model(False).parameters(), lr=-0.1),
       "learning_rate"),
    _t("SGD lr string", lambda p: optim.SGD(model(False).parameters(), lr="0.1"),
       "learning_rate"),
    _t("Adam beta_1 above 1", lambda p: optim.Adam(model(False).parameters(), beta_1=1.5),
       "beta_1"),
    _t("SGD unknown keyword", lambda p: optim.SGD(model(False).parameters(), lrate=0.1),
       "lrate"),
    _t("step before backward", lambda p: step_without_gradients(), None),
    # layers
    _t("Dense units float", lambda p: nn.Dense(3.5), "units"),
    _t("Dense units zero", lambda p: nn.Dense(0), "units"),
    _t("Dense units string", lambda p: nn.Dense("3"), "units"),
    _t("Dense callable activation", lambda p: nn.Dense(3, activation=functional.relu)(
        tg.ones(2, 4)), None),
    _t("Dense lambda activation", lambda p: nn.Dense(3, activation=lambda t: t * 2)(
        tg.ones(2, 4)), None),
    _t("Dense unknown activation", lambda p: nn.Dense(3, activation="rleu"), "relu"),
    _t("Dense activation int", lambda p: nn.Dense(3, activation=1), "activation"),
    _t("Dense unknown initializer", lambda p: nn.Dense(3, kernel_initializer="glorot"),
       "initializer"),
    _t("Dense unknown regularizer", lambda p: nn.Dense(3, kernel_regularizer="l3"), "l3"),
    _t("Dense wrong feature count", lambda p: nn.Dense(3, input_shape=(4,))(tg.ones(2, 5)),
       "shape"),
    _t("Dense input_shape int", lambda p: nn.Dense(3, input_shape=4), None),
    _t("Dense training keyword", lambda p: nn.Dense(3)(tg.ones(2, 4), training=True), None),
    _t("Dropout training keyword", lambda p: nn.Dropout(0.5)(tg.ones(2, 4), training=False),
       None),
    _t("Sequential training keyword", lambda p: model(False)(tg.ones(2, 3), training=True),
       None),
    _t("layer unknown keyword", lambda p: nn.Dense(3)(tg.ones(2, 4), mask=None), "mask"),
    _t("Dropout rate above 1", lambda p: nn.Dropout(1.5), "rate"),
    _t("Conv2D strides 0", lambda p: nn.Conv2D(2, 3, strides=0), "strides"),
    _t("MaxPooling2D pool_size 0", lambda p: nn.MaxPooling2D(pool_size=0), "pool_size"),
    _t("BatchNormalization axis out of range", lambda p: nn.BatchNormalization(axis=5)(
        tg.ones(2, 3)), "axis"),
    _t("Dense input_dim float", lambda p: nn.Dense(3, input_dim=4.5), "input_dim"),
    _t("Flatten negative input_shape", lambda p: nn.Flatten(input_shape=(-1, 8)),
       "input_shape"),
    _t("Dropout rate string", lambda p: nn.Dropout("0.5"), "rate"),
    _t("RandomRotation factor in degrees", lambda p: nn.RandomRotation(15), "factor"),
    _t("RandomFlip grayscale input_shape", lambda p: nn.RandomFlip(input_shape=(28, 28)),
       "channels"),
    _t("RandomZoom flattened images", lambda p: nn.RandomZoom(0.1)(tg.ones(2, 784)),
       "channels"),
    _t("Normalization mean without variance", lambda p: nn.Normalization(mean=0.5),
       "variance"),
    _t("Activation callable", lambda p: nn.Activation(functional.tanh)(tg.ones(2, 2)), None),
    _t("Activation unknown", lambda p: nn.Activation("softmaxx"), "softmax"),
    _t("Flatten input_shape with None", lambda p: nn.Flatten(input_shape=(None, 8, 8)),
       "None"),
    _t("Flatten input_shape string", lambda p: nn.Flatten(input_shape="28x28"),
       "input_shape"),
    _t("Conv2D NCHW image", lambda p: nn.Conv2D(4, 3, input_shape=(28, 28, 1))(
        tg.ones(2, 1, 28, 28)), "transpose"),
    _t("Conv2D on flat input", lambda p: nn.Conv2D(4, 3)(tg.ones(2, 784)), "Conv2D"),
    _t("Conv2D kernel too large", lambda p: nn.Conv2D(4, 9)(tg.ones(1, 4, 4, 1)), "kernel"),
    _t("Conv2D filters float", lambda p: nn.Conv2D(4.5, 3), "filters"),
    _t("Conv2D padding unknown", lambda p: nn.Conv2D(4, 3, padding="full"), "padding"),
    _t("Conv2D lambda activation", lambda p: nn.Conv2D(2, 3, activation=lambda t: t.tanh())(
        tg.ones(1, 5, 5, 1)), None),
    _t("MaxPooling2D on flat input", lambda p: nn.MaxPooling2D()(tg.ones(2, 16)),
       "MaxPooling2D"),
    _t("Conv1D on images", lambda p: nn.Conv1D(4, 3)(tg.ones(2, 8, 8, 1)), "Conv2D"),
    _t("Conv1D on steps without a channel axis", lambda p: nn.Conv1D(4, 3)(tg.ones(2, 10)),
       "channel axis"),
    _t("Conv1D groups not dividing the channels", lambda p: nn.Conv1D(4, 3, groups=2)(
        tg.ones(2, 10, 3)), "groups=2"),
    _t("Conv1D padding unknown", lambda p: nn.Conv1D(4, 3, padding="full"), "causal"),
    _t("DepthwiseConv2D on flat input", lambda p: nn.DepthwiseConv2D(3)(tg.ones(2, 16)),
       "DepthwiseConv2D"),
    _t("Conv2DTranspose output_padding not below strides", lambda p: nn.Conv2DTranspose(
        4, 3, strides=2, output_padding=2), "output_padding"),
    _t("UpSampling2D unknown interpolation", lambda p: nn.UpSampling2D(
        interpolation="bicubic"), "interpolation"),
    _t("ZeroPadding2D negative", lambda p: nn.ZeroPadding2D(-1), "padding"),
    _t("Cropping2D larger than the image", lambda p: nn.Cropping2D(3)(tg.ones(1, 4, 4, 1)),
       "Cropping2D"),
    _t("BatchNormalization momentum above 1", lambda p: nn.BatchNormalization(momentum=1.5),
       "momentum"),
    _t("layer on a string", lambda p: nn.Dense(3)("abc"), "numeric"),
    _t("layer on a ragged list", lambda p: nn.Dense(3)([[1.0, 2.0], [1.0]]), "ragged"),
    _t("load_weights other architecture", lambda p: nn.Sequential(
        [nn.Dense(5, input_shape=(3,)), nn.Dense(2)]).load_weights(saved(p)), "differs"),
    _t("load_weights unbuilt", lambda p: nn.Sequential([nn.Dense(4), nn.Dense(2)]).load_weights(
        saved(p)), "build"),
    _t("set_weights wrong count", lambda p: model(False).set_weights([np.ones(3)]),
       "set_weights"),
    _t("save lambda activation", lambda p: nn.Sequential(
        [nn.Dense(2, activation=lambda t: t, input_shape=(3,))]).save(p / "m.npz"), "JSON"),
    # tensors and numpy
    _t("np.exp(tensor)", lambda p: np.exp(tg.ones(3)), "exp()"),
    _t("np.log(tensor)", lambda p: np.log(tg.ones(3)), ".log()"),
    _t("np.maximum(tensor, 0)", lambda p: np.maximum(tg.ones(3), 0), "maximum"),
    _t("array times tensor", lambda p: np.ones(3) * tg.ones(3), None),
    _t("array minus tensor", lambda p: np.ones(3) - tg.ones(3), None),
    _t("Tensor of strings", lambda p: tg.Tensor(["a", "b"]), "numeric"),
    _t("Tensor of ragged list", lambda p: tg.Tensor([[1, 2], [3]]), "ragged"),
    _t("Tensor of dict", lambda p: tg.Tensor({"a": 1}), "Tensor"),
    _t("Tensor of None", lambda p: tg.Tensor(None), "Tensor"),
    _t("matmul shapes", lambda p: tg.ones(2, 3) @ tg.ones(2, 3), "matmul"),
    _t("add shapes", lambda p: tg.ones(2, 3) + tg.ones(4), "shape"),
    _t("reshape wrong size", lambda p: tg.ones(2, 3).reshape(4, 2), "reshape"),
    _t("sum axis out of range", lambda p: tg.ones(2, 3).sum(axis=5), "axis"),
    _t("backward of a non-scalar", lambda p: (tg.ones(2, 3, requires_grad=True) * 2).backward(),
       "backward"),
    _t("int tensor requires grad", lambda p: tg.Tensor([1, 2], requires_grad=True), "grad"),
    _t("item of a vector", lambda p: tg.ones(3).item(), "item"),
    _t("bool of a vector", lambda p: bool(tg.ones(3)), "ambiguous"),
    _t("index out of range", lambda p: tg.ones(3)[5], "index"),
    _t("Tensor unknown dtype", lambda p: tg.Tensor([1.0], dtype="float33"), "float33"),
    _t("astype unknown dtype", lambda p: tg.ones(3).astype("float33"), "astype"),
    _t("backward twice", lambda p: (lambda y: (y.backward(), y.backward()))(
        (tg.ones(2, requires_grad=True) * 2).sum()), "backward"),
    _t("reshape with two -1", lambda p: tg.ones(4).reshape(-1, -1), "reshape"),
    # losses and metrics
    _t("loss arguments swapped (categorical)", lambda p: losses.categorical_crossentropy(
        np.array([[0.7, 0.2, 0.1]], np.float32), np.array([[0.0, 1.0, 0.0]], np.float32)),
       "(y_true, y_pred)"),
    _t("loss arguments swapped (binary)", lambda p: losses.binary_crossentropy(
        np.array([[0.8], [0.3]], np.float32), np.array([[1.0], [0.0]], np.float32)),
       "(y_true, y_pred)"),
    _t("loss arguments swapped (logits)", lambda p: losses.categorical_crossentropy(
        np.array([[2.5, -1.0, 0.3]], np.float32), np.array([[0.0, 1.0, 0.0]], np.float32),
        from_logits=True), "(y_true, y_pred)"),
    _t("loss arguments swapped (sparse)", lambda p: losses.sparse_categorical_crossentropy(
        np.array([[0.7, 0.2, 0.1]], np.float32), np.array([1])), "(y_true, y_pred)"),
    _t("sparse loss with one-hot labels", lambda p: losses.sparse_categorical_crossentropy(
        np.eye(3, dtype=np.float32), np.full((3, 3), 1 / 3, np.float32)), "one-hot"),
    _t("categorical loss with integer labels", lambda p: losses.categorical_crossentropy(
        np.array([0, 2]), np.full((2, 3), 1 / 3, np.float32)), "sparse"),
    _t("sparse label out of range", lambda p: losses.sparse_categorical_crossentropy(
        np.array([5]), np.full((1, 3), 1 / 3, np.float32)), "label"),
    _t("mse shapes", lambda p: losses.mean_squared_error(np.ones((4, 2)), np.ones((4, 3))),
       "shape"),
    _t("loss label_smoothing 2", lambda p: losses.categorical_crossentropy(
        np.eye(2), np.eye(2) * 0.9 + 0.05, label_smoothing=2), "label_smoothing"),
    _t("unknown metric object", lambda p: metrics.get("accuracyy"), "accuracy"),
    _t("to_categorical too few classes", lambda p: tg.to_categorical([0, 5], 3), "classes"),
    _t("to_categorical negative labels", lambda p: tg.to_categorical([-1, 2]), "label"),
    _t("DataLoader batch_size zero", lambda p: tg.DataLoader(X, Y, batch_size=0), "batch_size"),
    _t("DataLoader lengths", lambda p: tg.DataLoader(X, Y[:3]), "samples"),
    _t("to_categorical float labels", lambda p: tg.to_categorical([0.5, 1.2]), "whole numbers"),
    _t("fit y of strings", lambda p: model().fit(X, np.array([["a", "b"]] * 8), verbose=0),
       "numeric"),
    _t("fit a 1-D x", lambda p: model().fit(np.ones(8), Y, verbose=0), "shape"),
    # files
    _t("load missing file", lambda p: tg.load_model(p / "nope.npz"), "no such file"),
    _t("load truncated file", lambda p: tg.load_model(truncated(p)), "tinygrad_edu"),
    _t("load bit-flipped file", lambda p: tg.load_model(bit_flipped(p)), "load"),
    _t("load a text file", lambda p: tg.load_model(idx_file(p, b"hello", "a.txt")), "load"),
    _t("load an empty file", lambda p: tg.load_model(idx_file(p, b"", "e.npz")), "load"),
    _t("load a folder", lambda p: tg.load_model(p), "load"),
    _t("load a pickle", lambda p: tg.load_model(idx_file(p, b"\x80\x04K\x01.", "p.pkl")),
       "pickle"),
    _t("load string weights", lambda p: tg.load_model(with_weight(
        p, np.array(["1e309"] * 12).reshape(3, 4))), "dtype"),
    _t("load complex weights", lambda p: tg.load_model(with_weight(
        p, np.ones((3, 4), np.complex64))), "dtype"),
    _t("load datetime weights", lambda p: tg.load_model(with_weight(
        p, np.zeros((3, 4), "datetime64[s]"))), "dtype"),
    _t("load structured weights", lambda p: tg.load_model(with_weight(
        p, np.zeros((3, 4), [("a", "f4"), ("b", "f4")]))), "dtype"),
    _t("load header not JSON", lambda p: tg.load_model(rewrite_member(
        saved(p), "__format__", "{nope")), "__format__"),
    _t("load header a list", lambda p: tg.load_model(rewrite_member(
        saved(p), "__format__", "[1, 2]")), "__format__"),
    _t("load header version string", lambda p: tg.load_model(rewrite_member(
        saved(p), "__format__", json.dumps({"format": "tinygrad_edu", "version": "1",
                                            "kind": "model", "weights": []}))), "version"),
    _t("load header weights not a list", lambda p: tg.load_model(rewrite_member(
        saved(p), "__format__", json.dumps({"format": "tinygrad_edu", "version": 1,
                                            "kind": "model", "weights": 7}))), "weights"),
    _t("load header weight names not strings", lambda p: tg.load_model(rewrite_member(
        saved(p), "__format__", json.dumps({"format": "tinygrad_edu", "version": 1,
                                            "kind": "model", "weights": [[1]]}))), "weights"),
    _t("load architecture not JSON", lambda p: tg.load_model(rewrite_member(
        saved(p), "__architecture__", "{")), "__architecture__"),
    _t("load architecture a list", lambda p: tg.load_model(with_architecture(p, [1])),
       "__architecture__"),
    _t("load architecture deeply nested", lambda p: tg.load_model(rewrite_member(
        saved(p), "__architecture__", "[" * 100000 + "]" * 100000)), "__architecture__"),
    _t("load class_name unknown", lambda p: tg.load_model(with_architecture(
        p, {"class_name": "Sequentiall", "config": {}})), "class"),
    _t("load class_name a list", lambda p: tg.load_model(with_architecture(
        p, {"class_name": ["Sequential"], "config": {}})), "class_name"),
    _t("load config a string", lambda p: tg.load_model(with_architecture(
        p, {"class_name": "Sequential", "config": "x"})), "config"),
    _t("load layers not a list", lambda p: tg.load_model(with_architecture(
        p, {"class_name": "Sequential", "config": {"name": "s", "layers": 3}})), "layers"),
    _t("load layer entry a string", lambda p: tg.load_model(with_architecture(
        p, {"class_name": "Sequential", "config": {"name": "s", "layers": ["Dense"]}})),
       "layers"),
    _t("load layer unknown keyword", lambda p: tg.load_model(with_architecture(
        p, dense_config(colour="red"))), "colour"),
    _t("load units huge", lambda p: tg.load_model(with_architecture(p, dense_config(
        units=30_000_000))), "units"),
    _t("load units a string", lambda p: tg.load_model(with_architecture(
        p, dense_config(units="4"))), "units"),
    _t("load input_shape huge", lambda p: tg.load_model(with_architecture(
        p, dense_config(input_shape=[10**12]))), "input_shape"),
    _t("load zip bomb", lambda p: tg.load_weights(model(False), zip_bomb(p))
       if hasattr(tg, "load_weights") else model(False).load_weights(zip_bomb(p)), "limit"),
    _t("load_model of a weights file", lambda p: (lambda path: (
        model(False).save_weights(path), tg.load_model(path)))(p / "w.npz"), "weights only"),
    _t("save into a missing folder", lambda p: model(False).save(p / "no" / "such" / "m.npz"),
       "folder"),
    # Keras files
    _t("load .keras with an unknown layer", lambda p: tg.load_model(keras_file_with(
        p, lambda c: c["config"]["layers"][1].update(class_name="Dense2"))),
       "unknown layer class 'Dense2'"),
    _t("load .keras with a float16 layer", lambda p: tg.load_model(keras_file_with(
        p, lambda c: c["config"]["layers"][1]["config"].update(dtype="float16"))), "float32"),
    _t("load .keras whose config is not JSON", lambda p: tg.load_model(keras_file_with(
        p, lambda c: "{oops")), "not valid JSON"),
    _t("load .keras as Functional without input_layers", lambda p: tg.load_model(
        keras_file_with(p, lambda c: c.update(class_name="Functional"))), "input_layers"),
    _t("save_weights .weights.h5 into a missing folder", lambda p: model(False).save_weights(
        p / "no" / "w.weights.h5"), "folder"),
    _t("TensorBoard update_freq a word", lambda p: tg.callbacks.TensorBoard(
        p, update_freq="often"), "update_freq"),
    _t("save into a file as folder", lambda p: model(False).save(
        idx_file(p, b"x", "f") / "m.npz"), "folder"),
    _t("save to a number", lambda p: model(False).save(123), "file path"),
    _t("save to an empty name", lambda p: model(False).save(""), "file name"),
    _t("load None", lambda p: tg.load_model(None), "file path"),
    _t("load a damaged HDF5 file",
       lambda p: tg.load_model(idx_file(p, b"\x89HDF\r\n\x1a\n", "m.h5")),
       "damaged or not an HDF5 file"),
    _t("set_weights wrong shapes", lambda p: model(False).set_weights([np.ones((2, 2))] * 4),
       "shape"),
    _t("load_state_dict of a list", lambda p: model(False).load_state_dict([1, 2]),
       "load_state_dict"),
    # the functional API
    _t("functional concatenate mismatched shapes", lambda p: nn.Concatenate()(
        [nn.Input(shape=(4, 3)), nn.Input(shape=(5, 3))]), "axis 1"),
    _t("functional merge on one tensor", lambda p: nn.Add()(nn.Input(shape=(3,))), "list"),
    _t("functional output from another input", lambda p: nn.Model(
        nn.Input(shape=(2,)), nn.Dense(1)(nn.Input(shape=(2,)))), "inputs"),
    _t("functional model given too few inputs", lambda p: two_input_model().predict(
        X, verbose=0), "2 input"),
    _t("functional model input of the wrong size", lambda p: two_input_model().predict(
        [X, X], verbose=0), "expects shape"),
    _t("functional loss dict with an unknown output", lambda p: two_input_model().compile(
        "sgd", loss={"out": "mse", "typo": "mse"}), "typo"),
    _t("functional arithmetic with a number", lambda p: nn.Input(shape=(2,)) * 2,
       "wrap the computation in a layer"),
    _t("functional sum of two symbolic tensors", lambda p: nn.Input(shape=(2,)) + nn.Input(
        shape=(2,)), None),
    _t("functional numpy on a symbolic tensor", lambda p: np.exp(nn.Input(shape=(2,))),
       "no values"),
    _t("functional inputs and outputs as Keras 2 keywords", lambda p: nn.Model(
        input=(x := nn.Input(shape=(2,))), output=nn.Dense(1)(x)), None),
    _t("subclassed model without call", lambda p: nn.Model()(tg.ones(1, 2)), "call"),
    # data sets
    _t("idx truncated", lambda p: idx.read_idx(idx_file(p, b"\0\0\x08\x01\0\0\0\x09abc")),
       "truncated"),
    _t("idx wrong magic", lambda p: idx.read_idx(idx_file(p, b"<html>")), "magic"),
    _t("idx dims overflow", lambda p: idx.read_idx(idx_file(
        p, b"\0\0\x08\x04" + b"\xff\xff\xff\xff" * 4)), "elements"),
    _t("idx bad gzip", lambda p: idx.read_idx(idx_file(p, gzip.compress(b"x" * 99)[:20])),
       "gzip"),
    _t("fashion-mnist path wrong", lambda p: tg.load_fashion_mnist(path=p / "none"),
       "path="),
    # expressions and the command line
    _t("expression matmul of scalars", lambda p: evaluate_expression(
        "x @ w", {"x": 1.0, "w": 2.0}), "matmul"),
    _t("expression huge literal", lambda p: evaluate_expression("9" * 990, {}), "number"),
    _t("expression attribute", lambda p: evaluate_expression("x.data", {"x": 1.0}),
       "attribute"),
    _t("expression not a string", lambda p: evaluate_expression(3, {}), "str"),
    _t("expression unknown function", lambda p: evaluate_expression("tan(x)", {"x": 1.0}),
       "tan"),
    _t("cli graph matmul of scalars", lambda p: run_cli(
        "graph", "x @ w", "--set", "x=1", "--set", "w=2", "-o", str(p / "g.dot")), "status 2"),
    _t("cli graph expression starting with minus", lambda p: run_cli(
        "graph", "-x*2", "--set", "x=3", "-o", str(p / "g.dot")), None),
    _t("cli graph output folder is a file", lambda p: run_cli(
        "graph", "x*2", "--set", "x=1", "-o", str(idx_file(p, b"", "f") / "g.dot")),
       "status 2"),
    _t("cli gradcheck unknown op", lambda p: run_cli("gradcheck", "--op", "nope"), "status 2"),
]
