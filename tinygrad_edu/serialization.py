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
``__compile__`` and ``optimizer/<slot>/<i>`` (compiled models only)
    the compile settings and the optimizer's state (:mod:`tinygrad_edu.io.compiled_state`);
    ``load_model`` compiles the model with them unless ``compile=False``.

Keras's files are chosen by the name: ``model.save("m.keras")`` writes Keras 3's ``.keras``
format and ``model.save_weights("w.weights.h5")`` its weights file
(:mod:`tinygrad_edu.io`); every other name gets the format above. ``load_model`` and
``load_weights`` recognize the format from the file's first bytes: this project's archive,
a ``.keras`` archive, or HDF5 (Keras 3 weights, Keras 2 models and weights).

Nothing is pickled: files are read with ``numpy.load(..., allow_pickle=False)``, so a file
carrying pickled objects (which could run code when loaded) is refused with an error.

Writes are atomic (:mod:`tinygrad_edu.atomic_write`): the archive is written to a temporary
file in the same directory, flushed to disk, then moved over the target with ``os.replace``.
A crash leaves either the old file or the new one in place, never half of one, and the next
save into that folder removes the temporary file a killed save left behind.

Reading trusts nothing in the file (:mod:`tinygrad_edu.archive`): a damaged, truncated or
hostile file, a malformed header or architecture, a non-numeric weight or an architecture
that would allocate more weights than the file holds gives a ValueError naming the field.

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
import zipfile

import numpy as np

from tinygrad_edu.archive import read_archive
from tinygrad_edu.atomic_write import atomic_write, file_path
from tinygrad_edu.io import compiled_state, keras_file, keras_h5
from tinygrad_edu.nn.module import Module, module_registry
from tinygrad_edu.nn.parameter import allocation_budget
from tinygrad_edu.nn.weights import register_file_format

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_FORMAT_NAME = "tinygrad_edu"
_WEIGHT_PREFIX = "weights/"


# ----- writing --------------------------------------------------------------------------------
def _write_atomic(path, members: dict, who: str) -> None:
    """Write ``members`` as an .npz archive to ``path`` (see :mod:`tinygrad_edu.atomic_write`)."""
    atomic_write(path, lambda stream: np.savez(stream, allow_pickle=False, **members), who)


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


def _json_ready(config) -> bool:
    try:
        json.dumps(config)
    except (TypeError, ValueError):
        return False
    return True


def save_weights(module: Module, path) -> None:
    """Write ``module``'s parameters and buffers (no architecture) to ``path``; a name
    ending in ``.weights.h5`` gets Keras 3's weights file."""
    if os.fspath(file_path(path, "save_weights")).endswith(".weights.h5"):
        keras_h5.save_weights_h5(module, path)
        return
    members, names = _weight_members(module)
    members["__format__"] = _header("weights", names)
    _write_atomic(path, members, "save_weights")


def save_model(model: Module, path) -> None:
    """Write ``model``'s architecture (its ``get_config()``) and weights to ``path``.

    Reload it with :func:`load_model`. The model's class (and its layers' classes) must be
    importable when loading; models of the built-in layers always are. A compiled model's
    settings and optimizer state are saved too. A name ending in ``.keras`` gets Keras 3's
    format instead (:mod:`tinygrad_edu.io.keras_file`).
    """
    if os.fspath(file_path(path, "save_model")).endswith(".keras"):
        keras_file.save_keras(model, path)
        return
    architecture = {"class_name": type(model).__name__, "config": model.get_config()}
    if model.get_build_config() is not None:  # a subclassed model's config has no shape
        architecture["build_config"] = model.get_build_config()
    try:
        architecture_json = json.dumps(architecture)
    except (TypeError, ValueError) as error:
        culprit = next((f"{layer.name} ({type(layer).__name__})"  # the innermost one
                        for layer in reversed(list(model.modules()))
                        if not _json_ready(layer.get_config())), model.name)
        raise TypeError(
            f"save_model: the configuration of {culprit} cannot be written as JSON ({error}). "
            "A lambda or custom function as activation, or a custom layer object, cannot be "
            "saved with the architecture: give the activation by name (activation='relu'), "
            "or use model.save_weights(path) and rebuild the model in code."
        ) from None
    members, names = _weight_members(model)
    members["__format__"] = _header("model", names)
    members["__architecture__"] = np.array(architecture_json)
    members.update(compiled_state.compiled_members(model))
    _write_atomic(path, members, "save_model")


# ----- reading --------------------------------------------------------------------------------
_TEXT_MEMBERS = ("__format__", "__architecture__", compiled_state.COMPILE_MEMBER)


def _json_member(members, name, path, who):
    array = members.pop(name, None)
    if array is None:
        return None
    try:
        return json.loads(str(array))
    except (json.JSONDecodeError, RecursionError) as error:
        detail = "nested too deeply" if isinstance(error, RecursionError) else error
        raise ValueError(f"{who}: {path!r}: the {name} entry is not valid JSON ({detail})"
                         ) from None


def _checked_header(header, path, who) -> dict:
    if not isinstance(header, dict) or header.get("format") != _FORMAT_NAME:
        raise ValueError(f"{who}: {path!r} is not a tinygrad_edu file (no valid __format__ "
                         "entry)")
    version = header.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{who}: {path!r}: __format__ field 'version' must be a positive "
                         f"integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(f"{who}: {path!r} uses format version {version}; this version of "
                         f"tinygrad_edu reads up to {FORMAT_VERSION}. Upgrade it.")
    if header.get("kind") not in ("model", "weights"):
        raise ValueError(f"{who}: {path!r}: __format__ field 'kind' must be 'model' or "
                         f"'weights', got {header.get('kind')!r}")
    names = header.get("weights")
    if (not isinstance(names, list) or not all(isinstance(n, str) for n in names)
            or len(set(names)) != len(names)):
        raise ValueError(f"{who}: {path!r}: __format__ field 'weights' must be a list of "
                         "distinct weight names (strings)")
    return header


def _checked_architecture(architecture, path, who):
    if architecture is None:
        return None
    if (not isinstance(architecture, dict) or not isinstance(architecture.get("class_name"), str)
            or not isinstance(architecture.get("config", {}), dict)):
        raise ValueError(f"{who}: {path!r}: the __architecture__ entry must be an object "
                         '{"class_name": "<a string>", "config": {...}}, got '
                         f"{json.dumps(architecture)[:80]}")
    return architecture


def _file_kind(path, who) -> str:
    """"npz", "keras" or "h5", from the file's content; pickles are refused."""
    path = file_path(path, who)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{who}: no such file: {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{who}: {path!r} is a folder; give the path of a saved file")
    with open(path, "rb") as stream:
        magic = stream.read(8)
    if magic == keras_h5.H5_MAGIC:
        return "h5"
    if magic[:2] == b"PK":
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, EOFError):
            return "npz"  # the archive reader gives the detailed error
        if "config.json" in names and "__format__.npy" not in names:
            return "keras"
    return "npz"


def _read(path, who="load") -> tuple[dict, dict, dict | None, dict]:
    """(header, weights by name, architecture or None, other members) from a file,
    refusing pickles."""
    path = file_path(path, who)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{who}: no such file: {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{who}: {path!r} is a folder; give the path of a saved file")
    with open(path, "rb") as stream:
        magic = stream.read(2)
    if magic[:1] == b"\x80":  # the first byte of every pickle since protocol 2
        raise ValueError(
            f"{who}: {path!r} is a pickle. Pickles are refused because unpickling can run "
            "arbitrary code; tinygrad_edu files hold plain arrays only."
        )
    if magic != b"PK":
        raise ValueError(f"{who}: {path!r} is not a tinygrad_edu file (not an .npz archive)")
    members = read_archive(path, who, text_members=_TEXT_MEMBERS)
    header = _checked_header(_json_member(members, "__format__", path, who), path, who)
    architecture = _checked_architecture(
        _json_member(members, "__architecture__", path, who), path, who)
    weights = {}
    for name in header["weights"]:
        array = members.get(_WEIGHT_PREFIX + name)
        if array is None:
            raise ValueError(f"{who}: {path!r} is damaged: weight {name!r} is listed but missing")
        weights[name] = array
    return header, weights, architecture, members


def load_model(path, custom_objects=None, compile=True, safe_mode=True) -> Module:  # noqa: A002
    """Rebuild a model saved by ``model.save(path)``: architecture, then weights, then (unless
    ``compile=False``) its compile settings and optimizer state, as Keras's ``load_model``.

    Reads this project's files, Keras 3's ``.keras`` files and Keras 2's HDF5 model files,
    whatever their names. ``custom_objects`` and ``safe_mode`` are Keras's arguments: custom
    layers here are found by their class name once their module is imported, and nothing
    is ever unpickled, so both are accepted and not needed.

    The architecture may not create more weight values than the file holds: a damaged or
    hostile size (``"units": 30000000``) fails before anything that large is allocated.
    """
    kind = _file_kind(path, "load_model")
    if kind == "keras":
        return keras_file.load_keras(path, compile=compile)
    if kind == "h5":
        return keras_h5.load_legacy_h5(path, compile=compile)
    header, weights, architecture, members = _read(path, "load_model")
    if architecture is None:
        raise ValueError(
            f"load_model: {os.fspath(path)!r} holds weights only (written by save_weights). "
            "Build the model in code, then call model.load_weights(path)."
        )
    class_name = architecture["class_name"]
    model_class = module_registry().get(class_name)
    if model_class is None:
        raise ValueError(f"load_model: unknown model class {class_name!r}; import the module "
                         "that defines it before loading")
    stored_values = sum(array.size for array in weights.values())
    with allocation_budget(stored_values, f"load_model: {os.fspath(path)!r}"):
        try:
            model = model_class.from_config(architecture.get("config", {}))
        except TypeError as error:
            raise ValueError(f"load_model: {os.fspath(path)!r}: the architecture's config "
                             f"for {class_name} is malformed ({error})") from None
    if weights and not model.built and isinstance(architecture.get("build_config"), dict):
        with allocation_budget(stored_values, f"load_model: {os.fspath(path)!r}"):
            model.build_from_config(architecture["build_config"])
    if weights and not model.built:
        raise ValueError(f"load_model: the rebuilt {class_name} has no weights yet (its "
                         "input shape is unknown), so the saved weights cannot be placed")
    model.load_state_dict(weights, strict=True)
    document = _json_member(members, compiled_state.COMPILE_MEMBER, path, "load_model")
    if compile and document is not None:
        compiled_state.restore_compiled(model, document, members,
                                        f"load_model: {os.fspath(path)!r}")
    return model


def _shape_table(own: dict, weights: dict) -> str:
    """The model's weights next to the file's (by name when the names agree, else position by
    position), differences marked."""
    mine = [(key, tuple(tensor.shape)) for key, tensor in own.items()]
    order = list(own) if set(own) == set(weights) else list(weights)
    theirs = [(key, tuple(weights[key].shape)) for key in order]
    rows = []
    for index in range(max(len(mine), len(theirs))):
        left = mine[index] if index < len(mine) else None
        right = theirs[index] if index < len(theirs) else None
        mark = "" if left and right and left[1] == right[1] else "   <- differs"
        left_text = f"{left[0]} {left[1]}" if left else "(none)"
        right_text = f"{right[0]} {right[1]}" if right else "(none)"
        rows.append(f"  {index}: model {left_text:<36} file {right_text}{mark}")
    return "\n".join(rows)


def load_weights(module: Module, path) -> None:
    """Load weights saved by ``save_weights`` or ``save`` into ``module``.

    Weights are matched by name. When the names differ but the file has the same number of
    weights with the same shapes in the same order (the same architecture built with other
    default names, e.g. ``dense_4`` instead of ``dense``), they are matched by position,
    as Keras does. Otherwise the error lists both sets of shapes side by side. Keras's
    ``.weights.h5``, ``.keras`` and Keras 2 ``.h5`` files are read too.
    """
    kind = _file_kind(path, "load_weights")
    if kind == "h5":
        keras_h5.load_weights_h5(module, path)
        return
    if kind == "keras":
        keras_file.load_keras_weights(module, path)
        return
    _, weights, _, _ = _read(path, "load_weights")
    own = dict(module.named_weights())
    if not own and weights:
        raise ValueError(f"load_weights: {module.name} has no weights yet; build it first "
                         "(call it on a batch, or give input_shape= to its first layer)")
    if set(own) == set(weights):
        fits = all(tensor.shape == weights[key].shape for key, tensor in own.items())
    else:
        fits = len(own) == len(weights) and all(
            tensor.shape == array.shape for tensor, array in zip(own.values(), weights.values()))
        if fits:
            weights = dict(zip(own, weights.values()))
    if not fits:
        raise ValueError(
            f"load_weights: the weights in {os.fspath(path)!r} do not fit {module.name} "
            f"({type(module).__name__}): the file was saved from another architecture.\n"
            f"{_shape_table(own, weights)}\n"
            "Build the model with the same layers and sizes as the saved one, then load."
        )
    module.load_state_dict(weights, strict=True)


# The seam: Module.save(), save_weights() and load_weights() reach these functions through it,
# so the module tree never imports this file.
register_file_format(save_model, save_weights, load_weights)
