"""Keras 3's weights file (``model.weights.h5``) and Keras 2's HDF5 files, through h5py.

Layout written and read (Keras 3, the ``model.weights.h5`` of a ``.keras`` file or the file
``save_weights("x.weights.h5")`` writes)::

    vars                     (attribute name = the model's name; no datasets)
    layers/dense/vars/0      the first layer's kernel   (group names: snake-cased class
    layers/dense/vars/1      ... and bias                 names, numbered dense, dense_1...)
    layers/lstm/cell/vars/0  a recurrent layer keeps its weights in its cell
    optimizer/vars/0, 1, ... iterations, learning rate, then the optimizer's slots

Keras 2's HDF5 files (``model.save("m.h5")``, also written by Keras 3's legacy saver) list
``layer_names`` in the attributes of the root (weights files) or of ``model_weights`` (model
files), and each layer's ``weight_names`` in order; weights are matched to layers by name.

Reading trusts nothing: h5py's errors on a damaged or foreign file become a ValueError naming
the file; a link or a dataset stored outside the file (which would read other files) is
refused; every dataset must be numeric and have the shape of the weight it is loaded into
before any of it is read, so a hostile size cannot allocate memory.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.io.keras_config import container_names, weight_groups
from tinygrad_edu.nn.module import Module

__all__ = ["require_h5py", "open_h5", "declared_values", "model_groups", "write_weights",
           "read_weights", "read_dataset", "legacy_layer_weights", "H5_MAGIC"]

H5_MAGIC = b"\x89HDF\r\n\x1a\n"


def require_h5py():
    """The h5py module, or an ImportError saying how to install it."""
    try:
        import h5py
    except ImportError:
        raise ImportError("Keras files (.keras, .weights.h5, .h5) need h5py: "
                          "pip install 'tinygrad-edu[keras-files]' (or pip install h5py)"
                          ) from None
    return h5py


def open_h5(source, who: str, path: str, mode: str = "r"):
    """``h5py.File`` on a path or a binary stream; a damaged file is a ValueError."""
    h5py = require_h5py()
    try:
        return h5py.File(source, mode)
    except OSError as error:
        raise ValueError(f"{who}: {path!r} is damaged or not an HDF5 file ({error})") from None


def declared_values(store, who: str, path: str) -> int:
    """How many numbers the file's weight datasets declare (the optimizer's left out): what
    the architecture may allocate while it is rebuilt. Over the archive limit is an error."""
    from tinygrad_edu.archive import MAX_ARCHIVE_BYTES

    h5py = require_h5py()
    sizes = []

    def count(name, item):
        if isinstance(item, h5py.Dataset) and not name.startswith(("optimizer",
                                                                   "optimizer_weights")):
            sizes.append((int(item.size), item.dtype.itemsize))

    store.visititems(count)
    total = sum(size * width for size, width in sizes)
    if total > MAX_ARCHIVE_BYTES:
        raise ValueError(f"{who}: {path!r} declares {total:,} bytes of weights, more than the "
                         f"limit of {MAX_ARCHIVE_BYTES:,} (tinygrad_edu.archive."
                         "MAX_ARCHIVE_BYTES); refusing to load it")
    return sum(size for size, _ in sizes)


def _is_model(layer) -> bool:
    return isinstance(getattr(layer, "layers", None), list) and isinstance(layer, Module)


def model_groups(model: Module, prefix: str = ""):
    """``(group, name, [tensors])`` for every group of a model's weights file, in order."""
    layers = _saved_layers(model)
    yield f"{prefix}vars", model.name, []
    for group, layer in zip(container_names(layers), layers):
        if _is_model(layer):
            yield from model_groups(layer, f"{prefix}layers/{group}/")
        else:
            yield from weight_groups(layer, f"{prefix}layers/{group}")


def _saved_layers(model) -> list:
    """The layers Keras lists in ``layers``, in its order (a functional model's inputs
    included)."""
    from tinygrad_edu.io.keras_functional import is_functional, keras_layer_order

    seen, layers = set(), []
    for layer in keras_layer_order(model) if is_functional(model) else model.layers:
        if id(layer) not in seen:
            seen.add(id(layer))
            layers.append(layer)
    return layers


def write_weights(target, model: Module, optimizer_arrays=None, optimizer_name="optimizer"):
    """Write ``model``'s weights file (Keras 3 layout) to a path or binary stream ``target``."""
    with open_h5(target, "save", str(target), "w") as store:
        for group, name, tensors in model_groups(model):
            node = store.require_group(group)
            node.attrs["name"] = name
            for index, tensor in enumerate(tensors):
                node.create_dataset(str(index), data=np.asarray(tensor.data))
        if optimizer_arrays is not None:
            node = store.require_group("optimizer/vars")
            node.attrs["name"] = optimizer_name
            for index, array in enumerate(optimizer_arrays):
                node.create_dataset(str(index), data=np.asarray(array))


def read_dataset(node, key, who, path, shape=None):
    """One numeric array, after checking it lives in the file and (optionally) its shape."""
    h5py = require_h5py()
    link = node.get(key, getlink=True)
    if link is None:
        raise ValueError(f"{who}: {path!r}: {node.name}/{key} is missing")
    if not isinstance(link, h5py.HardLink):
        raise ValueError(f"{who}: {path!r}: {node.name}/{key} is a link to another place "
                         "or file; refusing it")
    dataset = node[key]
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"{who}: {path!r}: {dataset.name} is not an array")
    if dataset.is_virtual or dataset.external:
        raise ValueError(f"{who}: {path!r}: {dataset.name} is stored outside the file; "
                         "refusing it")
    if dataset.dtype.kind not in "biuf" or dataset.dtype.fields is not None:
        raise ValueError(f"{who}: {path!r}: {dataset.name} has dtype {dataset.dtype}; weights "
                         "must be numbers")
    if shape is not None and tuple(dataset.shape) != tuple(shape):
        raise ValueError(f"{who}: {path!r}: {dataset.name} has shape {tuple(dataset.shape)} "
                         f"but the weight it belongs to has shape {tuple(shape)}; the file "
                         "was saved from another architecture")
    try:
        return np.asarray(dataset[()])
    except OSError as error:
        raise ValueError(f"{who}: {path!r}: {dataset.name} cannot be read ({error}); the file "
                         "is damaged") from None


def _group(store, key, who, path):
    h5py = require_h5py()
    node = store.get(key)
    if node is None:
        return None
    if not isinstance(node, h5py.Group):
        raise ValueError(f"{who}: {path!r}: {key} is not a group")
    return node


def read_weights(store, model: Module, who: str, path: str):
    """Load the weights of an open Keras 3 weights file into ``model``; returns the group of
    the optimizer's variables (``optimizer/vars``), or None when the file has none."""
    values = []
    for group, name, tensors in model_groups(model):
        node = _group(store, group, who, path)
        if node is None:
            if tensors:
                raise ValueError(f"{who}: {path!r} has no weights for layer {name!r} (group "
                                 f"{group!r}); the file was saved from another architecture")
            continue
        count = len(node.keys())
        if count != len(tensors):
            raise ValueError(f"{who}: {path!r}: layer {name!r} expects {len(tensors)} weights "
                             f"but the file holds {count} in {group!r}; the file was saved "
                             "from another architecture")
        for index, tensor in enumerate(tensors):
            values.append((tensor, read_dataset(node, str(index), who, path, tensor.shape)))
    _assign(values)
    return _group(store, "optimizer/vars", who, path)


def _assign(values) -> None:
    from tinygrad_edu.autograd import no_grad

    with no_grad():
        for tensor, value in values:
            tensor.copy_(value.astype(tensor.dtype, copy=False))


def _names(node, key, who, path) -> list:
    raw = node.attrs.get(key)
    if raw is None:
        raise ValueError(f"{who}: {path!r} is not a Keras HDF5 file (no {key!r} attribute)")
    names = [item.decode() if isinstance(item, bytes) else str(item)
             for item in np.asarray(raw).ravel().tolist()]
    return names


def legacy_layer_weights(store, who: str, path: str) -> dict:
    """``{layer name: [h5py datasets in Keras order]}`` of a Keras 2 HDF5 file (model file or
    weights file); the datasets are read later, once their shapes are checked."""
    h5py = require_h5py()
    root = store["model_weights"] if "model_weights" in store else store
    if not isinstance(root, h5py.Group):
        raise ValueError(f"{who}: {path!r}: model_weights is not a group")
    layers = {}
    for layer_name in _names(root, "layer_names", who, path):
        node = _group(root, layer_name, who, path)
        if node is None:
            raise ValueError(f"{who}: {path!r}: layer {layer_name!r} is listed but missing")
        layers[layer_name] = [(node, weight_name) for weight_name in
                              _names(node, "weight_names", who, path)]
    return layers
