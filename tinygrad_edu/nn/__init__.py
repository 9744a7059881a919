"""Layers and models: the Module system and the Keras-named layers built on it."""

from tinygrad_edu.nn.layers import (
    ELU,
    Activation,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
)
from tinygrad_edu.nn.module import (
    InputSpec,
    Module,
    ModuleList,
    Parameter,
    functional_call,
    module_registry,
    reset_names,
)
from tinygrad_edu.nn.sequential import Sequential, summary

__all__ = [
    "InputSpec", "Module", "ModuleList", "Parameter", "functional_call", "module_registry",
    "reset_names", "Sequential", "summary",
    "Dense", "Activation", "Flatten", "Dropout", "PReLU", "LeakyReLU", "ELU", "ReLU", "Softmax",
]


def _optional(module_name: str, names: list) -> None:
    """Re-export ``names`` from a layer file that may not exist yet in this tree."""
    import importlib

    try:
        module = importlib.import_module(f"tinygrad_edu.nn.{module_name}")
    except ModuleNotFoundError as error:
        if error.name != f"tinygrad_edu.nn.{module_name}":
            raise
        return
    for name in names:
        globals()[name] = getattr(module, name)
        __all__.append(name)


_optional("conv", ["Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D"])
_optional("normalization", ["BatchNormalization", "LayerNormalization",
                            "InstanceNormalization", "GroupNormalization"])
