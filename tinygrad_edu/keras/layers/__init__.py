"""``keras.layers``: every layer of :mod:`tinygrad_edu.nn`, under its Keras name.

The list is read from ``tinygrad_edu.nn.__all__``: every Module subclass there, and every
other name Keras's ``keras.layers`` also has (``Input``, ``InputSpec``...), so a layer added
to ``tinygrad_edu.nn`` appears here by itself. ``Layer`` is :class:`~tinygrad_edu.nn.Module`
(the base class for your own layers), and Keras's short aliases (``Convolution2D``,
``MaxPool2D``, ``AvgPool2D``...) name the same classes. Keras 2's sub-module paths
(``keras.layers.core.Dense``...) lead to the same objects.

>>> from tinygrad_edu.keras.layers import Dense
>>> import tinygrad_edu
>>> Dense is tinygrad_edu.nn.Dense
True
"""

from tinygrad_edu import nn as _nn
from tinygrad_edu.keras._keras_names import keras_names as _keras_names
from tinygrad_edu.keras._namespace import missing_names as _missing_names

# Keras's second names for the same layer (short forms kept from older Keras versions).
_ALIASES = {
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "Convolution1DTranspose": "Conv1DTranspose", "Convolution2DTranspose": "Conv2DTranspose",
    "SeparableConvolution1D": "SeparableConv1D", "SeparableConvolution2D": "SeparableConv2D",
    "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D", "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D", "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
}
# tinygrad_edu.nn names that are not layers (containers and helpers of the module system).
_NOT_LAYERS = {"Module", "ModuleList", "Sequential", "Model", "RecurrentLayer"}
# Keras's functional forms of the merge layers: ``add([a, b])`` is ``Add()([a, b])``.
_MERGE_FUNCTIONS = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply",
                    "average": "Average", "maximum": "Maximum", "minimum": "Minimum",
                    "concatenate": "Concatenate"}


def _merge_function(name: str, layer_class: type):
    def call_layer(inputs, **kwargs):
        return layer_class(**kwargs)(inputs)

    call_layer.__name__ = call_layer.__qualname__ = name
    call_layer.__doc__ = (f"``{name}(inputs, **kwargs)`` is "
                          f"``{layer_class.__name__}(**kwargs)(inputs)``, as in Keras.")
    return call_layer


def _layer_names() -> dict:
    found = {"Layer": _nn.Module}
    for name in _nn.__all__:
        value = getattr(_nn, name)
        is_layer = isinstance(value, type) and issubclass(value, _nn.Module)
        if (is_layer and name not in _NOT_LAYERS) or name in _keras_names("layers"):
            found[name] = value
    for alias, target in _ALIASES.items():
        if target in found:
            found[alias] = found[target]
    for name, target in _MERGE_FUNCTIONS.items():
        if target in found and name not in found:
            found[name] = _merge_function(name, found[target])
    return found


_NAMES = _layer_names()
globals().update(_NAMES)
__all__ = sorted(_NAMES)
__getattr__ = _missing_names(__name__, "layers")

# Keras 2's paths, imported after the names exist (they read them from this module).
from tinygrad_edu.keras.layers import (  # noqa: E402, F401
    advanced_activations,
    convolutional,
    core,
    embeddings,
    merge,
    normalization,
    pooling,
    recurrent,
)
