"""What the Keras-shaped modules share: the answer to a name they do not have.

Each module of :mod:`tinygrad_edu.keras` sets ``__getattr__ = missing_names(__name__,
"layers")``. Python calls it only for a name the module lacks, and it raises an
AttributeError that says what happened: a name Keras has is a Keras feature tinygrad_edu does
not implement; any other name is probably a typo, and the closest names are suggested.
``lazy`` names are imported on first use (``plot_model`` needs Graphviz, the scikit-learn
wrappers need scikit-learn: neither is needed to import the namespace).
"""

from __future__ import annotations

import importlib
import sys

from tinygrad_edu.keras._keras_names import FEATURE_KIND, keras_names
from tinygrad_edu.lookup import did_you_mean

__all__ = ["missing_names", "public_names", "keras_subset"]


def public_names(module_name: str) -> list:
    """The names a namespace module offers (its ``__all__``)."""
    return list(getattr(sys.modules[module_name], "__all__", ()))


def missing_names(module_name: str, keras_module: str, lazy=None):
    """A module ``__getattr__`` for the namespace module ``module_name`` (``keras_module``
    is its Keras path, e.g. ``"layers"``).

    Args:
        lazy: ``{name: "package.module:attribute"}``, imported on first access.
    """
    lazy = dict(lazy or {})
    keras_path = "keras" + (f".{keras_module}" if keras_module else "")

    def __getattr__(name: str):  # noqa: N807 - the module hook's own name
        if name in lazy:
            target, _, attribute = lazy[name].partition(":")
            value = getattr(importlib.import_module(target), attribute or name)
            setattr(sys.modules[module_name], name, value)
            return value
        if name.startswith("__"):  # asked by import machinery, inspect, doctest...
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        offered = sorted(set(public_names(module_name)) | set(lazy))
        if name in keras_names(keras_module):
            hint = did_you_mean(name, offered, cutoff=0.85)  # only a near-certain neighbour
            kind = FEATURE_KIND.get(keras_module, "name")
            raise AttributeError(
                f"{keras_path}.{name} is a Keras {kind} that tinygrad_edu does not have: "
                f"{module_name} has no {name!r}.{hint} The README's Keras section lists what "
                f"is supported; {module_name} offers: {', '.join(offered)}"
            )
        hint = did_you_mean(name, offered)
        raise AttributeError(
            f"module {module_name!r} has no attribute {name!r}, and Keras's {keras_path} has "
            f"no such name either.{hint or ' Check the spelling.'}"
        )

    return __getattr__


def keras_subset(source, keras_module: str, extra=()) -> dict:
    """The names of ``source.__all__`` that Keras's ``keras_module`` also has, plus ``extra``
    (names of ``source`` kept although Keras spells them differently)."""
    wanted = keras_names(keras_module)
    return {name: getattr(source, name) for name in source.__all__
            if name in wanted or name in extra}
