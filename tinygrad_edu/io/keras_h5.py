"""Keras's HDF5 files: ``.weights.h5`` (Keras 3, both ways) and legacy ``.h5`` (read).

``model.save_weights("x.weights.h5")`` writes the layout of Keras 3's ``save_weights`` (the
same as the ``model.weights.h5`` inside a ``.keras`` file), which Keras's ``load_weights``
reads, and :func:`load_weights_h5` reads the files Keras writes. It also reads Keras 2's
weights files (``layer_names``/``weight_names``, matched to the layers by name).

:func:`load_legacy_h5` reads a whole model from Keras 2's HDF5 format (``model.save("m.h5")``
in Keras 2, or in Keras 3, which still writes it): ``model_config`` and ``training_config``
are JSON attributes of the root, the weights are under ``model_weights``, the optimizer's
under ``optimizer_weights`` (listed by name, in Keras's order).

>>> import os, tempfile
>>> from tinygrad_edu import nn
>>> model = nn.Sequential([nn.Dense(2, input_shape=(3,))])
>>> path = os.path.join(tempfile.mkdtemp(), "model.weights.h5")
>>> save_weights_h5(model, path)
>>> twin = nn.Sequential([nn.Dense(2, input_shape=(3,))])
>>> load_weights_h5(twin, path)
>>> bool((twin.get_weights()[0] == model.get_weights()[0]).all())
True
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from tinygrad_edu.atomic_write import atomic_path, file_path
from tinygrad_edu.io import keras_optimizer
from tinygrad_edu.io.keras_config import _SUBLAYERS, layer_weights
from tinygrad_edu.io.weights_h5 import (
    H5_MAGIC,
    _assign,
    declared_values,
    legacy_layer_weights,
    open_h5,
    read_dataset,
    read_weights,
    write_weights,
)
from tinygrad_edu.nn.parameter import allocation_budget

__all__ = ["save_weights_h5", "load_weights_h5", "load_legacy_h5", "is_h5"]


def is_h5(path) -> bool:
    """Whether the file starts with HDF5's signature."""
    with open(path, "rb") as stream:
        return stream.read(8) == H5_MAGIC


def save_weights_h5(model, path) -> None:
    """Write the weights (no optimizer) in Keras 3's ``.weights.h5`` layout, atomically."""
    path = file_path(path, "save_weights")
    with atomic_path(path, "save_weights") as temporary:
        write_weights(temporary, model)


def _checked_file(path, who):
    path = file_path(path, who)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{who}: no such file: {path!r}")
    if not is_h5(path):
        raise ValueError(f"{who}: {path!r} is not an HDF5 file (no HDF5 signature)")
    return path


def load_weights_h5(model, path) -> None:
    """Load a Keras 3 ``.weights.h5`` file, or a Keras 2 ``.h5`` weights/model file, into
    a built ``model`` with the same layers."""
    path = _checked_file(path, "load_weights")
    with open_h5(path, "load_weights", path) as store:
        if "layer_names" in store.attrs or "model_weights" in store:
            _load_legacy_weights(store, model, "load_weights", path)
        else:
            read_weights(store, model, "load_weights", path)


def _model_layers(model) -> list:
    """Every layer with weights by name, nested models opened."""
    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(getattr(layer, "layers", None), list):
            found += _model_layers(layer)
        else:
            found.append(layer)
    return found


def _all_weights(layer) -> list:
    """A layer's weights and its sub-layers', in Keras's order."""
    weights = layer_weights(layer)
    for ours in _SUBLAYERS.get(type(layer).__name__, {}).values():
        if ours is not None:
            weights += _all_weights(getattr(layer, ours))
    return weights


def _load_legacy_weights(store, model, who, path) -> None:
    stored = legacy_layer_weights(store, who, path)
    stored = {name: entries for name, entries in stored.items() if entries}
    layers = [layer for layer in _model_layers(model) if _all_weights(layer)]
    by_name = {layer.name: layer for layer in layers}
    if set(stored) != set(by_name):
        if len(stored) != len(layers):
            raise ValueError(f"{who}: {path!r} holds weights for the layers "
                             f"{sorted(stored)} but the model's layers with weights are "
                             f"{sorted(by_name)}; the file was saved from another architecture")
        by_name = dict(zip(stored, layers))  # same layers in the same order, other names
    values = []
    for name, entries in stored.items():
        tensors = _all_weights(by_name[name])
        if len(entries) != len(tensors):
            raise ValueError(f"{who}: {path!r}: layer {name!r} has {len(entries)} weights in "
                             f"the file but {len(tensors)} in the model")
        for (node, weight_name), tensor in zip(entries, tensors):
            values.append((tensor, read_dataset(node, weight_name, who, path, tensor.shape)))
    _assign(values)


def _json_attribute(store, key, who, path):
    raw = store.attrs.get(key)
    if raw is None:
        return None
    try:
        return json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
    except (json.JSONDecodeError, RecursionError, UnicodeDecodeError):
        raise ValueError(f"{who}: {path!r}: the {key} attribute is not valid JSON") from None


# Keras 2's slot names -> ours, per optimizer (its files name every slot variable)
_KERAS2_SLOTS = {"m": "m", "v": "v", "vhat": "v_max", "momentum": "velocity", "rms": "v",
                 "mg": "g_avg", "accumulator": "accumulator", "accum_grad": "accumulated_grad",
                 "accum_var": "accumulated_delta"}
_KERAS2_SECOND = {"Adamax": {"v": "u"}}


def _keras2_optimizer(node, names, model, who, path) -> bool:
    """Restore Keras 2's optimizer variables by their names (``Adam/iter:0``,
    ``Adam/dense/kernel/m:0``); False (nothing changed) when a name does not fit."""
    optimizer = model.optimizer
    by_path = {f"{layer.name}/{key}": tensor for layer in _model_layers(model)
               for key, tensor in layer._parameters.items() if tensor is not None}
    position = {id(param): i for i, param in enumerate(optimizer.params)}
    aliases = {**_KERAS2_SLOTS, **_KERAS2_SECOND.get(type(optimizer).__name__, {})}
    slots = {slot: list(getattr(optimizer, slot)) for slot in optimizer.slot_names}
    iterations = None
    for name in names:
        parts = name.removesuffix(":0").split("/")
        if parts[-1] in ("iter", "iterations"):
            iterations = int(read_dataset(node, name, who, path, ()))
            continue
        if len(parts) < 4 or parts[-1] not in aliases:
            return False
        slot = aliases[parts[-1]]
        tensor = by_path.get(f"{parts[1]}/{parts[-2]}")
        if slot not in slots or tensor is None or id(tensor) not in position:
            return False
        value = read_dataset(node, name, who, path, tensor.shape)
        slots[slot][position[id(tensor)]] = value.astype(tensor.dtype)
    for slot, arrays in slots.items():
        setattr(optimizer, slot, arrays)
    if iterations is not None:
        optimizer.iterations = iterations
    return True


def _legacy_optimizer(store, model, who, path) -> None:
    """The optimizer state of a legacy HDF5 model file: Keras 3 writes it in its own flat
    order, Keras 2 by name."""
    node = store.get("optimizer_weights")
    if node is None:
        return
    names = [n.decode() if isinstance(n, bytes) else str(n)
             for n in np.asarray(node.attrs.get("weight_names", [])).ravel().tolist()]
    if any(name.endswith(":0") for name in names):
        if not _keras2_optimizer(node, names, model, who, path):
            warnings.warn(f"{who}: {path!r}: the optimizer variables ({names[:3]}...) do not "
                          "match this optimizer; it starts from a fresh state", stacklevel=3)
        return

    def read(index, shape):
        return read_dataset(node, names[index], who, path, shape)

    keras_optimizer.load_optimizer_arrays(model.optimizer, (len(names), read), who, path,
                                          model)


def load_legacy_h5(path, compile=True):  # noqa: A002 (Keras's argument name)
    """A model from a Keras 2 HDF5 model file: architecture, weights and, unless
    ``compile=False``, its compile settings and optimizer state."""
    from tinygrad_edu.io.keras_file import compile_from_config, model_from_config

    path = _checked_file(path, "load_model")
    where = f"load_model: {path!r}"
    with open_h5(path, "load_model", path) as store:
        config = _json_attribute(store, "model_config", "load_model", path)
        if config is None:
            raise ValueError(f"{where} holds weights only (no model_config); build the model "
                             "in code, then call model.load_weights(path)")
        with allocation_budget(declared_values(store, "load_model", path), where):
            model = model_from_config(config, where)
        _load_legacy_weights(store, model, "load_model", path)
        training = _json_attribute(store, "training_config", "load_model", path)
        if compile and isinstance(training, dict):
            compile_config = {**training, "optimizer": training.get("optimizer_config")}
            compile_from_config(model, compile_config, where, None)
            _legacy_optimizer(store, model, "load_model", path)
    return model
