"""Keras 3's ``.keras`` model files, both ways.

A ``.keras`` file is a ZIP archive (members stored uncompressed) of three members:

``metadata.json``
    ``{"keras_version": "3.x", "date_saved": "..."}``;
``config.json``
    the model: ``{"module": "keras", "class_name": "Sequential", "config": {"name": ...,
    "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4]}}, <layer
    entries>]}, "build_config": {...}, "compile_config": {"optimizer": {...}, "loss":
    "mse", "metrics": [...]}}`` (the layer entries: :mod:`tinygrad_edu.io.keras_config`);
``model.weights.h5``
    the weights and the optimizer's variables (:mod:`tinygrad_edu.io.weights_h5`).

:func:`load_keras` returns the model compiled, with the optimizer's state restored, when the
file has a ``compile_config`` (as Keras's ``load_model`` does); ``compile=False`` skips it.
Saving writes the compile config when the model is compiled with a loss given by name or as
a built-in loss object, and the optimizer's variables once it has taken steps.

>>> import os, tempfile
>>> import numpy as np
>>> from tinygrad_edu import nn
>>> model = nn.Sequential([nn.Dense(2, input_shape=(3,))])
>>> model.compile(optimizer="adam", loss="mse")
>>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
>>> save_keras(model, path)
>>> twin = load_keras(path)
>>> x = np.ones((1, 3), dtype="float32")
>>> bool((twin.predict(x, verbose=0) == model.predict(x, verbose=0)).all()), twin.optimizer
(True, Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False))
"""

from __future__ import annotations

import datetime
import io
import json
import os
import warnings
import zipfile
import zlib

from tinygrad_edu.archive import MAX_ARCHIVE_BYTES, MAX_TEXT_BYTES, check_sizes
from tinygrad_edu.atomic_write import atomic_write, file_path
from tinygrad_edu.io import keras_optimizer
from tinygrad_edu.io.keras_config import keras_entry, layer_from_keras
from tinygrad_edu.io.weights_h5 import declared_values, open_h5, read_weights, write_weights
from tinygrad_edu.nn.parameter import allocation_budget, snake_case

__all__ = ["save_keras", "load_keras", "load_keras_weights", "model_config",
           "model_from_config", "compile_config", "compile_from_config", "KERAS_VERSION"]

KERAS_VERSION = "3.5.0"  # the oldest Keras 3 whose files have this layout
_MEMBERS = ("metadata.json", "config.json", "model.weights.h5")


# ----- the model's config ----------------------------------------------------------------
def model_config(model) -> dict:
    """Keras 3's config entry of a Sequential or functional model (nested ones included)."""
    from tinygrad_edu.io.keras_functional import functional_config, is_functional
    from tinygrad_edu.nn import Sequential

    if is_functional(model):
        return functional_config(model)
    if not isinstance(model, Sequential):
        raise ValueError(f"save (Keras format): {model.name} is a {type(model).__name__}; "
                         "Keras files hold Sequential and functional models")
    if model.input_shape is None:
        raise ValueError(f"save (Keras format): {model.name} is not built yet; call it on a "
                         "batch or give input_shape= to its first layer")
    shape = [None, *list(model.input_shape)[1:]]
    layers = [{"module": "keras.layers", "class_name": "InputLayer",
               "config": {"batch_shape": shape, "dtype": "float32", "sparse": False,
                          "ragged": False, "name": f"{model.name}_input", "optional": False},
               "registered_name": None}]
    for layer in model.layers:
        nested = isinstance(layer, Sequential) or is_functional(layer)
        layers.append(model_config(layer) if nested else keras_entry(layer))
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": model.name, "trainable": model.trainable,
                       "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                 "config": {"name": "float32"}, "registered_name": None},
                       "layers": layers, "build_input_shape": shape},
            "registered_name": None, "build_config": {"input_shape": shape}}


def _input_shape(entry):
    config = entry.get("config") or {}
    shape = config.get("batch_shape", config.get("batch_input_shape"))
    return tuple(shape) if isinstance(shape, list) else None


def model_from_config(entry, where: str):
    """One of our models from Keras's model entry (Sequential or functional)."""
    from tinygrad_edu.io.keras_functional import functional_from_config
    from tinygrad_edu.nn import Sequential

    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise ValueError(f"{where}: the model config must be an object "
                         '{"class_name": "...", "config": {...}}')
    class_name = entry.get("class_name")
    if class_name in ("Functional", "Model"):
        return functional_from_config(entry, where)
    if class_name != "Sequential":
        raise ValueError(f"{where}: unknown model class {class_name!r}; tinygrad_edu reads "
                         "Sequential and functional models (Functional) from Keras files")
    config = entry["config"]
    layers = config.get("layers")
    if not isinstance(layers, list):
        raise ValueError(f"{where}: the Sequential config has no list of 'layers'")
    model = Sequential(name=config.get("name"))
    shape = None
    for index, layer_entry in enumerate(layers):
        if not isinstance(layer_entry, dict):
            raise ValueError(f"{where}: 'layers'[{index}] is not a layer entry")
        if layer_entry.get("class_name") == "InputLayer":
            shape = _input_shape(layer_entry)
        elif layer_entry.get("class_name") in ("Sequential", "Functional", "Model"):
            model.add(model_from_config(layer_entry, where))
        else:
            if index == 0:
                shape = _input_shape(layer_entry)  # Keras 2: batch_input_shape on the layer
            model.add(layer_from_keras(layer_entry, where))
    shape = shape or config.get("build_input_shape") or (
        entry.get("build_config") or {}).get("input_shape")
    if shape is not None and not model.built and model.layers:
        model._build(tuple(shape))
    if not config.get("trainable", True):
        model.trainable = False
    return model


# ----- the compile config ----------------------------------------------------------------
def _loss_entry(compiled):
    from tinygrad_edu.losses import objects

    loss = compiled.loss_spec if hasattr(compiled, "loss_spec") else compiled.loss
    if isinstance(loss, dict):
        return {key: _loss_entry_of(item, objects) for key, item in loss.items()}
    if isinstance(loss, (list, tuple)):
        return [_loss_entry_of(item, objects) for item in loss]
    return _loss_entry_of(loss, objects)


def _metric_names(spec):
    """Metrics as written: names, in lists or dicts per output; custom ones refused."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_metric_names(item) for item in spec] or None
    if isinstance(spec, dict):
        return {key: _metric_names(item) for key, item in spec.items()}
    raise ValueError(f"the metric {spec!r} is not given by name")


def _metrics_read(spec):
    """Metrics as Keras wrote them: names, or objects (``{"class_name", "config"}``)."""
    if isinstance(spec, dict) and "class_name" in spec:
        return (spec.get("config") or {}).get("name") or snake_case(str(spec["class_name"]))
    if isinstance(spec, list):
        return [_metrics_read(item) for item in spec] or None
    if isinstance(spec, dict):
        return {key: _metrics_read(item) for key, item in spec.items()}
    return spec


def _loss_entry_of(loss, objects):
    if isinstance(loss, str):
        return loss
    if type(loss).__name__ in objects._CLASSES and isinstance(loss, objects.Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    raise ValueError(f"a custom loss ({loss!r}) cannot be written to a Keras file")


def compile_config(model, who="save", keras_optimizer_entry=True):
    """Keras 3's ``compile_config`` of a compiled model, or None (with a warning) when its
    loss or metrics are custom functions that a file cannot name. Without
    ``keras_optimizer_entry`` the optimizer is left out (this project's files store it)."""
    compiled = getattr(model, "_compiled", None)
    if compiled is None:
        return None
    try:
        loss = _loss_entry(compiled)
        metrics = _metric_names(compiled.metric_specs)
        weighted = _metric_names(getattr(compiled, "weighted_metric_specs", None))
        optimizer = (keras_optimizer.keras_optimizer_entry(compiled.optimizer, who)
                     if keras_optimizer_entry else None)
    except ValueError as error:
        warnings.warn(f"{who}: the model is saved without its compile settings ({error}); "
                      "compile it again after loading", stacklevel=3)
        return None
    return {"optimizer": optimizer, "loss": loss, "loss_weights": compiled.loss_weights,
            "metrics": metrics, "weighted_metrics": weighted, "run_eagerly": False,
            "steps_per_execution": 1, "jit_compile": False}


def _loss_from_keras(entry, where):
    from tinygrad_edu.io.keras_config import _constructor_keys
    from tinygrad_edu.losses import get_loss, objects

    if isinstance(entry, list):
        return [_loss_from_keras(item, where) for item in entry]
    if isinstance(entry, dict) and "class_name" not in entry:
        return {key: _loss_from_keras(item, where) for key, item in entry.items()}
    if isinstance(entry, str):
        return entry
    if not isinstance(entry, dict) or entry.get("class_name") not in objects._CLASSES:
        name = entry.get("class_name") if isinstance(entry, dict) else entry
        raise ValueError(f"{where}: unknown loss {name!r}; supported: "
                         f"{', '.join(sorted(objects._CLASSES))} (or load with compile=False)")
    cls = objects._CLASSES[entry["class_name"]]
    accepted = _constructor_keys(cls)
    config = {key: value for key, value in (entry.get("config") or {}).items()
              if key in accepted}
    return get_loss(cls(**config))


def compile_from_config(model, config, where: str, optimizer_vars=None) -> None:
    """Compile ``model`` as ``compile_config`` says and restore the optimizer's variables
    (``optimizer_vars``: the ``(count, read)`` pair of
    :func:`~tinygrad_edu.io.keras_optimizer.load_optimizer_arrays`, or None)."""
    if not isinstance(config, dict):
        raise ValueError(f"{where}: compile_config must be an object")
    optimizer = keras_optimizer.optimizer_from_keras(config.get("optimizer"), where)
    if config.get("steps_per_execution", 1) != 1:
        warnings.warn(f"{where}: compile option steps_per_execution="
                      f"{config['steps_per_execution']!r} is ignored", stacklevel=3)
    metrics = _metrics_read(config.get("metrics"))
    single = len(getattr(model, "output_names", None) or [None]) == 1
    if single and isinstance(metrics, list) and len(metrics) == 1 and isinstance(
            metrics[0], list):
        metrics = metrics[0]  # Keras 2 lists a single output's metrics in a list of their own
    model.compile(optimizer=optimizer, loss=_loss_from_keras(config.get("loss"), where),
                  metrics=metrics,
                  loss_weights=config.get("loss_weights"),
                  weighted_metrics=_metrics_read(config.get("weighted_metrics")))
    if optimizer_vars is not None:
        keras_optimizer.load_optimizer_arrays(optimizer, optimizer_vars, where, where, model)


# ----- the file ----------------------------------------------------------------------------
def save_keras(model, path) -> None:
    """Write ``model`` (Sequential) as a Keras 3 ``.keras`` file that Keras can load."""
    path = file_path(path, "save")
    entry = model_config(model)
    compile_entry = compile_config(model)
    optimizer = model._compiled.optimizer if compile_entry is not None else None
    if compile_entry is not None:
        entry["compile_config"] = compile_entry
    weights = io.BytesIO()
    arrays = None if optimizer is None or optimizer.params is None else (
        keras_optimizer.optimizer_arrays(optimizer, "save", model))
    write_weights(weights, model, arrays, getattr(optimizer, "name", "optimizer"))
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}

    def write(stream):
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("metadata.json", json.dumps(metadata))
            archive.writestr("config.json", json.dumps(entry))
            archive.writestr("model.weights.h5", weights.getvalue())

    atomic_write(path, write, "save")


def _read_member(archive, name, where, limit):
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise ValueError(f"{where}: member {name!r} holds {info.file_size:,} bytes, more than "
                         f"the limit of {limit:,}")
    return archive.read(info)


def _json(data, name, where):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"{where}: {name} is not valid JSON ({type(error).__name__})"
                         ) from None


def read_keras_zip(path, who):
    """``(config dict, weights file bytes)`` of a ``.keras`` archive, checked."""
    where = f"{who}: {path!r}"
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            check_sizes(who, path, infos, MAX_ARCHIVE_BYTES)
            names = {info.filename for info in infos}
            missing = [name for name in ("config.json", "model.weights.h5") if name not in names]
            if missing:
                raise ValueError(f"{where} is not a Keras model file (no {', '.join(missing)})")
            config = _json(_read_member(archive, "config.json", where, MAX_TEXT_BYTES),
                           "config.json", where)
            weights = _read_member(archive, "model.weights.h5", where, MAX_ARCHIVE_BYTES)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise ValueError(f"{where} is damaged or not a Keras file ({type(error).__name__}: "
                         f"{error})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{where}: config.json must hold an object")
    return config, weights


def load_keras(path, compile=True):  # noqa: A002 (Keras's argument name)
    """Load a Keras 3 ``.keras`` file: architecture, weights and, unless ``compile=False``,
    the compile settings and the optimizer's state.

    Raises:
        ValueError: a damaged file, a layer or option this project lacks (named), weights
            that do not fit the architecture.
    """
    path = file_path(path, "load_model")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_model: no such file: {path!r}")
    where = f"load_model: {path!r}"
    config, weights = read_keras_zip(path, "load_model")
    with open_h5(io.BytesIO(weights), "load_model", path) as store:
        with allocation_budget(declared_values(store, "load_model", path), where):
            model = model_from_config(config, where)
        optimizer_vars = read_weights(store, model, "load_model", path)
        if compile and config.get("compile_config"):
            source = None if optimizer_vars is None else keras_optimizer.h5_reader(
                optimizer_vars, "load_model", path)
            compile_from_config(model, config["compile_config"], where, source)
    return model


def load_keras_weights(model, path) -> None:
    """Load only the weights of a ``.keras`` file into a built ``model`` (Keras's
    ``model.load_weights("m.keras")``)."""
    path = file_path(path, "load_weights")
    _, weights = read_keras_zip(path, "load_weights")
    with open_h5(io.BytesIO(weights), "load_weights", path) as store:
        read_weights(store, model, "load_weights", path)
