"""Functional models (``Model(inputs, outputs)``) in Keras 3's ``config.json``, both ways.

Keras lists the layers in running order, ``InputLayer``s included; each entry carries its
``name`` and its ``inbound_nodes``: one ``{"args": [...], "kwargs": {...}}`` per call of the
layer, where each input is ``{"class_name": "__keras_tensor__", "config": {"shape": ...,
"keras_history": [layer name, node index, tensor index]}}``. A shared layer has one entry
and several nodes. ``input_layers`` and ``output_layers`` name the model's inputs and
outputs the same way (a list of ``[name, node, tensor]``, one such triple, or a dict).

Reading replays the calls on ``Input`` tensors, each as soon as the tensors it needs exist,
so a node may refer to a layer listed after it.

>>> from tinygrad_edu import nn
>>> x = nn.Input((3,), name="x")
>>> shared = nn.Dense(3, name="shared")
>>> model = nn.Model(x, nn.Add()([shared(x), shared(shared(x))]))
>>> entry = functional_config(model)
>>> [len(layer["inbound_nodes"]) for layer in entry["config"]["layers"]]
[0, 3, 1]
>>> twin = functional_from_config(entry, "example")
>>> [type(layer).__name__ for layer in twin.layers]
['InputLayer', 'Dense', 'Add']
"""

from __future__ import annotations

from tinygrad_edu.io.keras_config import keras_entry, layer_from_keras

__all__ = ["functional_config", "functional_from_config", "is_functional", "keras_layer_order"]

_TENSOR = "__keras_tensor__"


def is_functional(model) -> bool:
    return getattr(model, "_graph", None) is not None


def _parents(node, in_graph) -> list:
    return [tensor.node for tensor in node.inbound_tensors() if id(tensor.node) in in_graph]


def keras_layer_order(model) -> list:
    """The layers in the order of Keras's ``model.layers`` (which names the weights file's
    groups): by decreasing depth from the outputs, ties by first visit of a depth-first walk
    from the outputs (Keras's rule for functional graphs)."""
    graph = model._graph
    order, visit, finished = [], {}, set()
    for output in graph.outputs:
        stack = [(output.node, False)]
        while stack:
            node, done = stack.pop()
            if done:
                finished.add(id(node))
                order.append(node)
                continue
            if id(node) in finished:
                continue
            visit.setdefault(id(node.layer), len(visit))
            stack.append((node, True))
            stack.extend((tensor.node, False) for tensor in
                         reversed(node.inbound_tensors()) if id(tensor.node) not in finished)
    in_graph = {id(node) for node in order}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for parent in _parents(node, in_graph):
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in graph.inputs:  # an input no output needs still counts, at depth 0
        if id(tensor.node.layer) not in layer_depth:
            layer_depth[id(tensor.node.layer)], visit[id(tensor.node.layer)] = 0, -1
            layers[id(tensor.node.layer)] = tensor.node.layer
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)],
                                                       visit[id(layer)]))


def _tensor_entry(tensor, graph):
    return {"class_name": _TENSOR, "config": {
        "shape": list(tensor.shape), "dtype": getattr(tensor, "dtype", "float32"),
        "keras_history": [tensor.node.layer.name, graph.node_index(tensor.node), tensor.index]}}


def _serialized(value, graph):
    from tinygrad_edu.nn.symbolic import SymbolicTensor

    if isinstance(value, SymbolicTensor):
        return _tensor_entry(value, graph)
    if isinstance(value, (list, tuple)):
        return [_serialized(item, graph) for item in value]
    if isinstance(value, dict):
        return {key: _serialized(item, graph) for key, item in value.items()}
    return value


def _history(tensor, graph):
    return [tensor.node.layer.name, graph.node_index(tensor.node), tensor.index]


def _ends(structure, flat, graph):
    if isinstance(structure, dict):
        return {key: _history(tensor, graph) for key, tensor in structure.items()}
    return [_history(tensor, graph) for tensor in flat]


def _input_entry(layer):
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": list(layer.batch_shape), "dtype": layer.dtype,
                       "sparse": False, "ragged": False, "name": layer.name,
                       "optional": False}, "registered_name": None}


def functional_config(model) -> dict:
    """Keras 3's ``Functional`` entry of one of our functional models."""
    from tinygrad_edu.io.keras_file import model_config

    graph = model._graph
    layers = []
    for layer in keras_layer_order(model):
        nodes = [node for node in graph.nodes if node.layer is layer]
        if type(layer).__name__ == "InputLayer":
            entry = _input_entry(layer)
        elif isinstance(getattr(layer, "layers", None), list):
            entry = model_config(layer)
        else:
            entry = keras_entry(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": _serialized([node.arguments[0], *node.arguments[1]], graph),
             "kwargs": _serialized(node.arguments[2], graph)}
            for node in nodes if node.arguments is not None]
        layers.append(entry)
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": model.name, "trainable": model.trainable, "layers": layers,
                       "input_layers": _ends(graph.input_structure, graph.inputs, graph),
                       "output_layers": _ends(graph.output_structure, graph.outputs, graph)},
            "registered_name": "Functional", "build_config": {"input_shape": None}}


# ----- Keras -> this project ---------------------------------------------------------------
def _triples(value, where, what):
    """A list of ``(name, node, tensor)`` and the structure (list, one, or dict keys)."""
    if isinstance(value, dict):
        return [tuple(item) for item in value.values()], list(value)
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [tuple(value)], None
    if isinstance(value, list) and all(isinstance(item, list) and len(item) == 3
                                       for item in value):
        return [tuple(item) for item in value], "list"
    raise ValueError(f"{where}: the functional config's {what} are malformed")


def _resolve(value, tensors):
    """The value with every Keras tensor replaced by ours; None when one is not made yet."""
    if isinstance(value, dict) and value.get("class_name") == _TENSOR:
        history = tuple((value.get("config") or {}).get("keras_history") or ())
        return tensors.get(history, _MISSING)
    if isinstance(value, list):
        items = [_resolve(item, tensors) for item in value]
        return _MISSING if any(item is _MISSING for item in items) else items
    if isinstance(value, dict):
        items = {key: _resolve(item, tensors) for key, item in value.items()}
        return _MISSING if any(item is _MISSING for item in items.values()) else items
    return value


_MISSING = object()


def _layer_of(entry, where):
    from tinygrad_edu.io.keras_file import model_from_config
    from tinygrad_edu.nn.input_layer import InputLayer

    class_name = entry.get("class_name")
    if class_name == "InputLayer":
        config = entry.get("config") or {}
        shape = config.get("batch_shape", config.get("batch_input_shape"))
        return InputLayer(batch_shape=tuple(shape), name=config.get("name", entry.get("name")))
    if class_name in ("Sequential", "Functional", "Model"):
        return model_from_config(entry, where)
    return layer_from_keras(entry, where)


def functional_from_config(entry, where: str):
    """One of our functional models from Keras's ``Functional`` entry."""
    from tinygrad_edu.nn import Model
    from tinygrad_edu.nn.symbolic import flatten

    config = entry.get("config") or {}
    entries = config.get("layers")
    if not isinstance(entries, list) or not all(isinstance(item, dict) for item in entries):
        raise ValueError(f"{where}: the functional config has no list of 'layers'")
    tensors, pending = {}, []
    for layer_entry in entries:
        layer = _layer_of(layer_entry, where)
        name = layer_entry.get("name", layer.name)
        if type(layer).__name__ == "InputLayer":
            tensors[(name, 0, 0)] = layer.output
        nodes = layer_entry.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise ValueError(f"{where}: layer {name!r}: inbound_nodes must be a list")
        pending += [(layer, name, index, node) for index, node in enumerate(nodes)]
    while pending:
        waiting = []
        for layer, name, index, node in pending:
            if not isinstance(node, dict):
                raise ValueError(f"{where}: layer {name!r}: node {index} is malformed")
            args = _resolve(node.get("args", []), tensors)
            kwargs = _resolve(node.get("kwargs", {}), tensors)
            if args is _MISSING or kwargs is _MISSING:
                waiting.append((layer, name, index, node))
                continue
            # Keras records the defaults it passed (mask=None): they mean "not given"
            kwargs = {key: value for key, value in kwargs.items()
                      if not (key in ("mask", "training") and value is None)}
            for position, tensor in enumerate(flatten(layer(*args, **kwargs))):
                tensors[(name, index, position)] = tensor
        if len(waiting) == len(pending):
            raise ValueError(f"{where}: layer {waiting[0][1]!r} needs a tensor that no layer "
                             "of the config makes")
        pending = waiting
    ends = {}
    for what in ("input_layers", "output_layers"):
        triples, structure = _triples(config.get(what), where, what)
        found = [tensors.get(triple) for triple in triples]
        if any(tensor is None for tensor in found):
            raise ValueError(f"{where}: {what} names a tensor that no layer makes")
        ends[what] = (dict(zip(structure, found)) if isinstance(structure, list)
                      else found if structure == "list" else found[0])
    return Model(ends["input_layers"], ends["output_layers"], name=config.get("name"),
                 trainable=config.get("trainable", True))
