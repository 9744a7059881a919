"""Saving and loading models and weights, without pickle.

File format (version 1). A file is a ZIP archive of ``.npy`` arrays as written by
``numpy.savez`` (an ``.npz`` file; any file name may be used). Its members:

``__format__``
    a 0-d unicode array holding JSON:
    ``{"format": "tinygrad_edu", "version": 1, "kind": "model" | "weights",
    "weights": [dotted names in order]}``.
``__architecture__`` (model files only)
    a 0-d unicode array holding JSON: ``{"class_name": "Sequential", "config": {...}}``,
    the output of ``get_config()``; layers are rebuilt from their class names.
``weights/<dotted name>``
    one numeric array per parameter and buffer, e.g. ``weights/dense_1.kernel``, the keys of
    ``model.state_dict()``.

Nothing is pickled: files are read with ``numpy.load(..., allow_pickle=False)``, so a file
carrying pickled objects (which could run code when loaded) is refused with an error.

Writes are atomic: the archive is written to a temporary file in the same directory,
flushed to disk, then moved over the target with ``os.replace``. A crash leaves either the old
file or the new one in place, never half of one.

>>> import os, tempfile
>>> import tinygrad_edu as tg
>>> from tinygrad_edu.nn import Dense, Sequential
>>> model = Sequential([Dense(2, input_dim=3, name="hidden")])
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> model.save(path)
>>> twin = load_model(path)
>>> bool((twin(tg.ones(1, 3)).numpy() == model(tg.ones(1, 3)).numpy()).all())
True
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from tinygrad_edu.nn.module import Module, module_registry
from tinygrad_edu.nn.weights import register_file_format

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_FORMAT_NAME = "tinygrad_edu"
_WEIGHT_PREFIX = "weights/"


# ----- writing --------------------------------------------------------------------------------
def _write_atomic(path, members: dict) -> None:
    """Write ``members`` as an .npz archive to ``path`` via a temporary file + os.replace."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-",
                                         suffix=os.path.basename(path))
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, allow_pickle=False, **members)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _weight_members(module: Module) -> tuple[dict, list]:
    state = module.state_dict()
    members = {}
    for key, array in state.items():
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save: weight {key!r} has dtype {array.dtype}; only numeric "
                            "arrays can be saved")
        members[_WEIGHT_PREFIX + key] = array
    return members, list(state)


def _header(kind: str, names: list) -> np.ndarray:
    return np.array(json.dumps({"format": _FORMAT_NAME, "version": FORMAT_VERSION,
                                "kind": kind, "weights": names}))


def save_weights(module: Module, path) -> None:
    """Write ``module``'s parameters and buffers (no architecture) to ``path``."""
    members, names = _weight_members(module)
    members["__format__"] = _header("weights", names)
    _write_atomic(path, members)


def save_model(model: Module, path) -> None:
    """Write ``model``'s architecture (its ``get_config()``) and weights to ``path``.

    Reload it with :func:`load_model`. The model's class (and its layers' classes) must be
    importable when loading; models of the built-in layers always are.
    """
    architecture = {"class_name": type(model).__name__, "config": model.get_config()}
    try:
        architecture_json = json.dumps(architecture)
    except TypeError as error:
        raise TypeError(
            f"save: the configuration of {model.name} cannot be written as JSON ({error}). "
            "A custom layer or activation object cannot be saved with the architecture; "
            "use model.save_weights(path) and rebuild the model in code instead."
        ) from None
    members, names = _weight_members(model)
    members["__format__"] = _header("model", names)
    members["__architecture__"] = np.array(architecture_json)
    _write_atomic(path, members)


# ----- reading --------------------------------------------------------------------------------
def _read(path) -> tuple[dict, dict, dict | None]:
    """(header, weights by name, architecture or None) from a file, refusing pickles."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path!r}")
    with open(path, "rb") as stream:
        magic = stream.read(2)
    if magic[:1] == b"\x80":  # the first byte of every pickle since protocol 2
        raise ValueError(
            f"load: {path!r} is a pickle. Pickles are refused because unpickling can run "
            "arbitrary code; tinygrad_edu files hold plain arrays only."
        )
    if magic != b"PK":
        raise ValueError(f"load: {path!r} is not a tinygrad_edu file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not hasattr(archive, "files"):
                raise ValueError("the file holds a single array, not a saved model")
            members = {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise ValueError(
                f"load: {path!r} contains pickled Python objects. They are refused because "
                "unpickling can run arbitrary code; tinygrad_edu files hold plain arrays only."
            ) from None
        raise ValueError(f"load: {path!r} is not a tinygrad_edu file ({error})") from None
    except OSError as error:
        raise ValueError(f"load: {path!r} is not a tinygrad_edu file ({error})") from None
    header_array = members.pop("__format__", None)
    header = None
    if header_array is not None and header_array.dtype.kind == "U":
        try:
            header = json.loads(str(header_array))
        except json.JSONDecodeError:
            header = None
    if not isinstance(header, dict) or header.get("format") != _FORMAT_NAME:
        raise ValueError(f"load: {path!r} is not a tinygrad_edu file (no valid __format__ entry)")
    if header.get("version", 0) > FORMAT_VERSION:
        raise ValueError(f"load: {path!r} uses format version {header['version']}; this "
                         f"version of tinygrad_edu reads up to {FORMAT_VERSION}. Upgrade it.")
    architecture_array = members.pop("__architecture__", None)
    architecture = None if architecture_array is None else json.loads(str(architecture_array))
    order = header.get("weights", [])
    weights = {}
    for name in order:
        array = members.get(_WEIGHT_PREFIX + name)
        if array is None:
            raise ValueError(f"load: {path!r} is damaged: weight {name!r} is listed but missing")
        weights[name] = array
    return header, weights, architecture


def load_model(path) -> Module:
    """Rebuild a model saved by ``model.save(path)``: architecture, then weights."""
    header, weights, architecture = _read(path)
    if architecture is None:
        raise ValueError(
            f"load_model: {os.fspath(path)!r} holds weights only (written by save_weights). "
            "Build the model in code, then call model.load_weights(path)."
        )
    class_name = architecture.get("class_name")
    model_class = module_registry().get(class_name)
    if model_class is None:
        raise ValueError(f"load_model: unknown model class {class_name!r}; import the module "
                         "that defines it before loading")
    model = model_class.from_config(architecture.get("config", {}))
    if weights and not model.built:
        raise ValueError(f"load_model: the rebuilt {class_name} has no weights yet (its "
                         "input shape is unknown), so the saved weights cannot be placed")
    model.load_state_dict(weights, strict=True)
    return model


def load_weights(module: Module, path) -> None:
    """Load weights saved by ``save_weights`` or ``save`` into ``module``.

    Weights are matched by name. When the names differ but the file has the same number of
    weights with the same shapes in the same order (the same architecture built with other
    default names, e.g. ``dense_4`` instead of ``dense``), they are matched by position,
    as Keras does.
    """
    _, weights, _ = _read(path)
    own = dict(module.named_weights())
    if not own and weights:
        raise ValueError(f"load_weights: {module.name} has no weights yet; build it first "
                         "(call it on a batch, or give input_shape= to its first layer)")
    if set(own) != set(weights) and len(own) == len(weights) and all(
            tensor.shape == array.shape
            for tensor, array in zip(own.values(), weights.values())):
        weights = dict(zip(own, weights.values()))
    module.load_state_dict(weights, strict=True)


# The seam: Module.save(), save_weights() and load_weights() reach these functions through it,
# so the module tree never imports this file.
register_file_format(save_model, save_weights, load_weights)
