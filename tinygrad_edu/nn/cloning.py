"""``clone_model``: the same architecture with fresh weights (Keras's ``clone_model``).

A Sequential is rebuilt layer by layer, a functional model call by call (a shared layer
stays shared in the copy); each layer is copied by ``clone_function(layer)``, by default
``type(layer).from_config(layer.get_config())``, which keeps the names and draws new
weights. A subclassed model is copied through its config, as Keras does: the constructor
arguments it was given (when they are plain values) or what its own ``get_config`` says.

>>> import numpy as np
>>> from tinygrad_edu.nn import Dense, Sequential
>>> model = Sequential([Dense(3, input_shape=(2,), name="hidden")])
>>> twin = clone_model(model)
>>> twin.layers[0].name, twin.built, np.array_equal(twin.get_weights()[0], model.get_weights()[0])
('hidden', True, False)
"""

from __future__ import annotations

from tinygrad_edu.nn.symbolic import SymbolicTensor, flatten, map_structure

__all__ = ["clone_model"]


def _clone_layer(layer):
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model of the same architecture as ``model``, with freshly initialized weights.

    Args:
        model: a Sequential, a functional ``Model`` or a subclassed ``Model``.
        input_tensors: for a functional model, new ``Input`` tensors to build the copy on
            (same structure as ``model.inputs``).
        clone_function: ``layer -> new layer`` (e.g. to keep a layer, or change it); default
            ``type(layer).from_config(layer.get_config())``.
    """
    from tinygrad_edu.nn.functional_model import Model
    from tinygrad_edu.nn.module import Module
    from tinygrad_edu.nn.sequential import Sequential

    if not isinstance(model, Module):
        raise TypeError(f"clone_model: expected a model, got {type(model).__name__}")
    clone = clone_function or _clone_layer
    if isinstance(model, Sequential):
        copy = Sequential([clone(layer) for layer in model.layers], name=model.name)
        if model.built and not copy.built:
            copy._build(model.input_shape)
        return copy
    if isinstance(model, Model) and model._graph is not None:
        return _clone_functional(model, input_tensors, clone)
    if input_tensors is not None or clone_function is not None:
        raise ValueError(
            f"clone_model: input_tensors and clone_function work for Sequential and "
            f"functional models only; {model.name} is a subclassed {type(model).__name__}, "
            "copied through its config"
        )
    try:
        config = model.get_config()
        copy = type(model).from_config(config)
    except (TypeError, NotImplementedError) as error:
        raise NotImplementedError(
            f"clone_model: {type(model).__name__} is a subclassed model that cannot be rebuilt "
            f"from its config ({error}). Define get_config() returning its constructor "
            "arguments (and from_config if they need converting), or make the copy by "
            f"calling {type(model).__name__}(...) yourself"
        ) from None
    if not copy.built and model.get_build_config() is not None:
        copy.build_from_config(model.get_build_config())
    return copy


def _clone_functional(model, input_tensors, clone):
    from tinygrad_edu.nn.functional_model import Model
    from tinygrad_edu.nn.input_layer import Input

    graph = model._graph
    new_tensors = {}
    if input_tensors is not None:
        given = input_tensors if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if isinstance(input_tensors, dict):
            given = [input_tensors[key] for key in graph.input_structure]
        if len(given) != len(graph.inputs):
            raise ValueError(f"clone_model: {model.name} has {len(graph.inputs)} inputs but "
                             f"input_tensors has {len(given)}")
        for old, new in zip(graph.inputs, given):
            if not isinstance(new, SymbolicTensor):
                raise TypeError("clone_model: input_tensors must be Input(...) tensors")
            new_tensors[id(old)] = new
    else:
        for old in graph.inputs:
            layer = old.node.layer
            new_tensors[id(old)] = Input(batch_shape=layer.batch_shape, dtype=layer.dtype,
                                         name=layer.name)
    new_layers = {}

    def new_of(leaf):
        return new_tensors[id(leaf)] if isinstance(leaf, SymbolicTensor) else leaf

    for node in graph.nodes:
        if node.arguments is None:
            continue
        layer = new_layers.get(id(node.layer))
        if layer is None:
            layer = new_layers[id(node.layer)] = clone(node.layer)
        x, args, kwargs = map_structure(new_of, node.arguments)
        outputs = layer(x, *args, **kwargs)
        for old, new in zip(node.output_tensors(), flatten(outputs)):
            new_tensors[id(old)] = new
    return Model(map_structure(new_of, graph.input_structure),
                 map_structure(new_of, graph.output_structure), name=model.name)
