"""Layer configurations in Keras 3's form, both ways, and where each layer's weights live.

Keras 3 describes a layer as ``{"module": "keras.layers", "class_name": "Dense", "config":
{...}, "registered_name": null, "build_config": {"input_shape": [null, 4]}}``. The layers of
this project take Keras's names and Keras's arguments, so the translation is a rule, not a
table per layer:

* the class is looked up by name among this project's layers (an unknown class is a
  ValueError listing the supported ones);
* each config key the constructor takes is passed on; initializers, regularizers and
  constraints given
  as Keras objects (``{"class_name": "GlorotUniform", "config": {...}}``) are reduced to the
  keys this project's classes take;
* Keras-only keys are accepted when they hold the value that changes nothing
  (``kernel_constraint: null``, ``groups: 1``, ``renorm: false``...); any other value is a
  ValueError naming the layer, the key and the value, since dropping it would change
  the model's outputs;
* ``dtype`` must be float32 (the only policy this project computes in).

Weights. Keras stores a layer's own weights in the order it created them (trainable ones
first), which is the order of :meth:`~tinygrad_edu.nn.Module.get_weights`; a recurrent
layer keeps them in its ``cell``, Bidirectional in ``forward_layer``/``backward_layer``,
TimeDistributed in ``layer`` (:func:`weight_groups`).

>>> from tinygrad_edu import nn
>>> entry = keras_entry(nn.Dense(3, activation="relu", input_shape=(4,)))
>>> entry["class_name"], entry["build_config"], entry["config"]["units"]
('Dense', {'input_shape': [None, 4]}, 3)
>>> layer = layer_from_keras(entry, "example")
>>> type(layer).__name__, layer.kernel.shape
('Dense', (4, 3))
"""

from __future__ import annotations

import inspect

from tinygrad_edu import constraints, regularizers
from tinygrad_edu import init as initializers
from tinygrad_edu.nn.module import Module, module_registry
from tinygrad_edu.nn.parameter import snake_case

__all__ = ["keras_entry", "layer_from_keras", "supported_layers", "weight_groups",
           "layer_weights", "KERAS_ONLY_DEFAULTS"]

# Keras-only config keys and the value with which ignoring them changes nothing.
KERAS_ONLY_DEFAULTS = {
    "kernel_constraint": None, "bias_constraint": None, "recurrent_constraint": None,
    "embeddings_constraint": None, "beta_constraint": None, "gamma_constraint": None,
    "alpha_constraint": None, "depthwise_constraint": None, "pointwise_constraint": None,
    "quantization_config": None, "lora_rank": None, "lora_alpha": None, "groups": 1,
    "synchronized": False, "renorm": False, "renorm_clipping": None, "rms_scaling": False,
    "data_format": "channels_last", "sparse": False, "time_major": False,
    "implementation": 2, "input_axes": None, "output_axes": None, "input_length": None,
    "seed": None, "use_cudnn": "auto", "noise_shape": None, "pad_to_aspect_ratio": False,
    "fill_mode": "constant", "fill_value": 0.0, "antialias": False,
}
# Keys that mean nothing once another key has its neutral value (renorm is False), or that
# are read elsewhere (Keras 2's batch_input_shape on a first layer gives the model's input).
_IRRELEVANT = {"renorm_momentum", "batch_input_shape"}
# Layer classes that are containers or internals, not Keras layers.
_NOT_KERAS = {"Module", "ModuleList", "Sequential", "RecurrentLayer", "Model", "InputLayer"}
# Where Keras keeps the weights of a layer that holds sub-layers: attribute -> our attribute.
_SUBLAYERS = {
    "SimpleRNN": {"cell": None}, "LSTM": {"cell": None}, "GRU": {"cell": None},
    "Bidirectional": {"forward_layer": "forward_layer", "backward_layer": "backward_layer"},
    "TimeDistributed": {"layer": "layer"},
}
_LAYER_ENTRIES = {"Bidirectional": ("layer", "backward_layer"), "TimeDistributed": ("layer",)}


def supported_layers() -> list:
    """The class names that convert to and from Keras (this project's public layers)."""
    return sorted(name for name, cls in module_registry().items()
                  if not name.startswith("_") and name not in _NOT_KERAS
                  and "from_config" in dir(cls) and cls.__module__.startswith("tinygrad_edu.nn"))


def _constructor_keys(cls) -> set:
    keys = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            for name, parameter in inspect.signature(klass.__init__).parameters.items():
                if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                    keys.add(name)
    return keys - {"self"}


# ----- Keras -> this project ---------------------------------------------------------------
def _check_dtype(value, where):
    name = value.get("config", {}).get("name") if isinstance(value, dict) else value
    if name not in (None, "float32"):
        raise ValueError(f"{where}: dtype {name!r} is not supported; tinygrad_edu computes in "
                         "float32 (save the Keras model with dtype='float32')")


def _plain_object(value, kind, known, where):
    """A Keras initializer/regularizer object as ``{"class_name", "config"}`` of ours."""
    if not isinstance(value, dict):
        return value
    class_name, config = value.get("class_name"), value.get("config") or {}
    cls = known.get(class_name)
    if cls is None or not isinstance(config, dict):
        raise ValueError(f"{where}: {kind} {class_name!r} is not supported; supported: "
                         f"{', '.join(sorted(known))}")
    accepted = _constructor_keys(cls)
    for key, item in config.items():
        if key not in accepted and item != KERAS_ONLY_DEFAULTS.get(key, object()):
            raise ValueError(f"{where}: {kind} {class_name} option {key}={item!r} is not "
                             "supported by tinygrad_edu")
    return {"class_name": class_name,
            "config": {key: item for key, item in config.items() if key in accepted}}


def _initializer_value(value, where):
    """An initializer object with its default options becomes its name (``"zeros"``), as a
    layer's default is written; others stay ``{"class_name", "config"}``."""
    plain = _plain_object(value, "initializer", initializers._by_class, where)
    if not isinstance(plain, dict):
        return plain
    cls = initializers._by_class[plain["class_name"]]
    if plain["config"] == {key: item for key, item in cls().get_config().items()
                           if key in plain["config"]}:
        return next((name for name, known in initializers._by_name.items()
                     if known is cls), plain)  # the first name is the Keras one
    return plain


def _converted_value(key, value, class_name, where):
    if key.endswith("_initializer"):
        return _initializer_value(value, where)
    if key.endswith("_regularizer"):
        return _plain_object(value, "regularizer", regularizers._by_class, where)
    if key.endswith("_constraint"):
        return _plain_object(value, "constraint", constraints._by_class, where)
    if key.endswith("activation") and isinstance(value, dict):
        raise ValueError(f"{where}: the activation {value.get('class_name')!r} is a custom "
                         "object; only activations given by name can be loaded")
    if key in _LAYER_ENTRIES.get(class_name, ()):
        return _our_entry(value, where)
    return value


def _our_entry(entry, where) -> dict:
    """A nested Keras layer entry (Bidirectional's ``layer``) in this project's form."""
    cls = _checked_class(entry, where)
    return {"class_name": cls.__name__, "config": _our_config(cls, entry, where)}


def _checked_class(entry, where):
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) or (
            not isinstance(entry.get("config"), dict)):
        raise ValueError(f"{where}: a layer entry must be an object "
                         '{"class_name": "...", "config": {...}}')
    class_name = entry["class_name"]
    if class_name == "Lambda":
        raise ValueError(f"{where}: a Lambda layer holds Python code, which Keras files "
                         "store as bytecode; tinygrad_edu never runs code from a file. "
                         "Rewrite it as a layer class, or rebuild the model in code and load "
                         "only the weights")
    if class_name not in supported_layers():
        raise ValueError(f"{where}: unknown layer class {class_name!r}; the layers that "
                         f"tinygrad_edu reads from Keras files are: "
                         f"{', '.join(supported_layers())}")
    return module_registry()[class_name]


def _our_config(cls, entry, where) -> dict:
    config = entry["config"]
    name = config.get("name", "?")
    here = f"{where}: layer {name!r} ({cls.__name__})"
    accepted = _constructor_keys(cls)
    converted = {}
    for key, value in config.items():
        if key == "dtype":
            _check_dtype(value, here)
        elif key in accepted:
            converted[key] = _converted_value(key, value, cls.__name__, here)
        elif key not in _IRRELEVANT and value != KERAS_ONLY_DEFAULTS.get(key, object()):
            raise ValueError(f"{here}: the Keras option {key}={value!r} is not supported by "
                             "tinygrad_edu; the model cannot be loaded without changing "
                             "its outputs")
    return converted


def _build_shape(entry):
    shape = (entry.get("build_config") or {}).get("input_shape")
    if isinstance(shape, list) and shape and not isinstance(shape[0], list):
        return tuple(shape)
    return None


def layer_from_keras(entry, where: str) -> Module:
    """A built layer of ours from a Keras layer entry (built when it has ``build_config``).

    Raises:
        ValueError: an unknown class, an option this project lacks, or a malformed config;
            the message names ``where`` (the file), the layer and the key.
    """
    cls = _checked_class(entry, where)
    config = _our_config(cls, entry, where)
    try:
        layer = cls.from_config(config)
    except TypeError as error:
        raise ValueError(f"{where}: layer {config.get('name')!r} ({cls.__name__}): invalid "
                         f"config ({error})") from None
    shape = _build_shape(entry)
    if shape is not None and not layer.built:
        layer._build(shape)
    return layer


# ----- this project -> Keras ---------------------------------------------------------------
def _keras_object(value, module):
    if isinstance(value, dict) and "class_name" in value:
        return {"module": module, "class_name": value["class_name"],
                "config": value.get("config", {}), "registered_name": None}
    return value


def _keras_config(layer: Module) -> dict:
    config = {}
    for key, value in layer.get_config().items():
        if key in ("input_shape", "input_length"):
            continue  # the shape travels in build_config; Keras 3 has no input_length
        if key.endswith("_initializer"):
            value = _keras_object(value, "keras.initializers")
        elif key.endswith("_regularizer"):
            value = _keras_object(value, "keras.regularizers")
        elif key.endswith("_constraint"):
            value = _keras_object(value, "keras.constraints")
        elif key in _LAYER_ENTRIES.get(type(layer).__name__, ()):
            value = keras_entry(_sublayer(layer, key))
        config[key] = value
    config["dtype"] = {"module": "keras", "class_name": "DTypePolicy",
                       "config": {"name": "float32"}, "registered_name": None}
    return config


def _sublayer(layer, key):
    if type(layer).__name__ == "Bidirectional":
        return layer.forward_layer if key == "layer" else layer.backward_layer
    return getattr(layer, key)


def keras_entry(layer: Module, input_shape=None) -> dict:
    """The Keras 3 entry of one of our layers (``class_name``, ``config``, ``build_config``).

    Raises:
        ValueError: the layer's class has no Keras counterpart.
    """
    class_name = type(layer).__name__
    if class_name not in supported_layers():
        raise ValueError(f"save (Keras format): {layer.name} is a {class_name}, which has no "
                         f"Keras counterpart; supported layers: {', '.join(supported_layers())}")
    entry = {"module": "keras.layers", "class_name": class_name,
             "config": _keras_config(layer), "registered_name": None}
    shape = input_shape if input_shape is not None else layer.input_shape
    if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)):
        entry["build_config"] = {"input_shape": [[None, *list(one)[1:]] for one in shape]}
    elif shape is not None and not isinstance(shape, dict):
        entry["build_config"] = {"input_shape": [None, *list(shape)[1:]]}
    return entry


# ----- weights -----------------------------------------------------------------------------
def layer_weights(layer: Module) -> list:
    """The layer's own weights (not its sub-layers'), in Keras's order: trainable first."""
    tensors = [*layer._parameters.values(), *layer._buffers.values()]
    tensors = [tensor for tensor in tensors if tensor is not None]
    return [t for t in tensors if getattr(t, "trainable", False)] + [
        t for t in tensors if not getattr(t, "trainable", False)]


def weight_groups(layer: Module, prefix: str):
    """``(h5 group, layer name, [weight tensors])`` of a layer and the sub-layers holding its
    weights, under ``prefix`` (e.g. ``layers/lstm``), as Keras 3 lays them out."""
    sublayers = _SUBLAYERS.get(type(layer).__name__, {})
    if "cell" in sublayers:
        yield f"{prefix}/vars", layer.name, []
        yield f"{prefix}/cell/vars", f"{snake_case(type(layer).__name__)}_cell", \
            layer_weights(layer)
        return
    yield f"{prefix}/vars", layer.name, layer_weights(layer)
    for keras_name, our_name in sublayers.items():
        yield from weight_groups(getattr(layer, our_name), f"{prefix}/{keras_name}")


def container_names(layers) -> list:
    """Keras's group names for a list of layers: the snake-cased class name, numbered
    ``_1``, ``_2``... when it repeats (``dense``, ``dense_1``), whatever the layers' names.

    >>> from tinygrad_edu import nn
    >>> container_names([nn.Dense(1), nn.Dense(2), nn.PReLU()])
    ['dense', 'dense_1', 'p_re_lu']
    """
    used, names = {}, []
    for layer in layers:
        class_name = type(layer).__name__
        if getattr(layer, "_graph", None) is not None:
            class_name = "Functional"  # Keras's class for Model(inputs, outputs)
        base = snake_case(class_name)
        count = used.get(base)
        used[base] = 0 if count is None else count + 1
        names.append(base if count is None else f"{base}_{count + 1}")
    return names
