"""The Keras-shaped namespace: Keras programs run here with their imports changed.

``import keras`` / ``from tensorflow import keras`` / ``from tensorflow.keras.layers import
Dense`` become ``import tinygrad_edu.keras as keras`` / ``from tinygrad_edu.keras.layers import
Dense``, and the rest of the program stays as it is. Every name here is the framework's own
object (``tinygrad_edu.keras.layers.Dense is tinygrad_edu.nn.Dense``): this package only
arranges them in Keras's modules, never copies them.

Modules: ``models``, ``layers``, ``optimizers`` (and ``optimizers.schedules``), ``losses``,
``metrics``, ``callbacks``, ``initializers``, ``regularizers``, ``activations``,
``constraints``, ``utils``, ``datasets``, ``backend``, ``wrappers``; Keras 2's paths
``layers.core`` (and ``convolutional``, ``pooling``, ``normalization``, ``recurrent``,
``advanced_activations``, ``merge``, ``embeddings``), ``utils.np_utils``, ``utils.vis_utils``,
``optimizers.legacy``. A name that Keras has and tinygrad_edu does not raises
an AttributeError saying so; a misspelt one suggests the closest name.

>>> import tinygrad_edu.keras as keras
>>> model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,), activation="softmax")])
>>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
...               loss="categorical_crossentropy", metrics=["accuracy"])
>>> model.output_shape
(None, 2)
"""

from tinygrad_edu import nn as _nn
from tinygrad_edu.keras import (
    activations,
    backend,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    utils,
    wrappers,
)
from tinygrad_edu.keras._namespace import keras_subset as _keras_subset
from tinygrad_edu.keras._namespace import missing_names as _missing_names

_TOP = {**_keras_subset(_nn, ""), "Layer": _nn.Module, "Loss": losses.Loss,
        "Metric": metrics.Metric, "Optimizer": optimizers.Optimizer,
        "Regularizer": regularizers.Regularizer, "Initializer": initializers.Initializer}
globals().update(_TOP)

__version__ = "3"  # the Keras API generation this namespace follows
__all__ = ["activations", "backend", "callbacks", "constraints", "datasets", "initializers",
           "layers", "losses", "metrics", "models", "optimizers", "regularizers", "utils",
           "wrappers"]
__all__ += sorted(_TOP)
__getattr__ = _missing_names(__name__, "")
