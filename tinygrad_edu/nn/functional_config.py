"""A functional model's architecture as a config (Keras 3's layout) and back.

Each layer is listed once with the calls made of it (``inbound_nodes``); a call's arguments
name the tensors they take as ``{"class_name": "__keras_tensor__", "config": {"shape",
"dtype", "keras_history": [layer name, call index, output index]}}``. ``input_layers`` and
``output_layers`` name the model's ends the same way, as ``[layer, call, output]``.

>>> from tinygrad_edu.nn import Add, Dense, Input, Model
>>> x = Input(shape=(2,), name="x")
>>> dense = Dense(2, name="d")
>>> model = Model(x, Add(name="sum")([dense(x), dense(dense(x))]), name="m")
>>> config = model.get_config()
>>> [entry["name"] for entry in config["layers"]], config["output_layers"]
(['x', 'd', 'sum'], ['sum', 0, 0])
>>> twin = Model.from_config(config)
>>> len(twin.weights), twin.get_layer("d") is not dense
(2, True)
"""

from __future__ import annotations

from tinygrad_edu.nn.symbolic import SymbolicTensor, flatten, map_structure

__all__ = ["functional_config", "functional_from_config"]

TENSOR = "__keras_tensor__"


def functional_config(model) -> dict:
    graph = model._graph

    def history(tensor):
        return [tensor.node.layer.name, graph.node_index(tensor.node), tensor.index]

    def encoded(leaf):
        if isinstance(leaf, SymbolicTensor):
            return {"class_name": TENSOR, "config": {"shape": list(leaf.shape),
                                                     "dtype": leaf.dtype,
                                                     "keras_history": history(leaf)}}
        return leaf

    layers = []
    for layer in graph.layers:
        nodes = []
        for node in graph.nodes:
            if node.layer is layer and node.arguments is not None:
                x, args, kwargs = node.arguments
                nodes.append({"args": map_structure(encoded, [x, *args]),
                              "kwargs": map_structure(encoded, kwargs)})
        layers.append({"module": type(layer).__module__, "class_name": type(layer).__name__,
                       "config": layer.get_config(), "name": layer.name,
                       "inbound_nodes": nodes})

    def ends(structure):
        if isinstance(structure, SymbolicTensor):
            return history(structure)
        if isinstance(structure, dict):
            return {key: history(value) for key, value in structure.items()}
        return [history(value) for value in structure]

    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": ends(graph.input_structure),
            "output_layers": ends(graph.output_structure)}


def _is_history(value) -> bool:
    return isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)


def functional_from_config(config: dict, custom_objects=None, model_class=None):
    """Rebuild the functional model ``config`` describes, with fresh weights."""
    from tinygrad_edu.nn.functional_model import Model
    from tinygrad_edu.nn.input_layer import InputLayer
    from tinygrad_edu.nn.module import module_registry

    who = f"Model.from_config ({config.get('name', 'model')})"
    registry = {**module_registry(), **(custom_objects or {})}
    layers, pending = {}, []
    for index, entry in enumerate(config["layers"]):
        class_name = entry.get("class_name")
        layer_class = registry.get(class_name)
        if layer_class is None:
            raise ValueError(f"{who}: unknown layer class {class_name!r} (layers[{index}]); "
                             "import the module that defines it, or pass custom_objects="
                             f"{{{class_name!r}: TheClass}}")
        try:
            layer = layer_class.from_config(entry["config"])
        except TypeError as error:
            raise ValueError(f"{who}: layers[{index}] ({class_name}): invalid config "
                             f"({error})") from None
        layers[entry["name"]] = layer
        pending.extend((entry["name"], call, node)
                       for call, node in enumerate(entry.get("inbound_nodes", [])))
    made = {}  # (layer name, call index) -> the call's outputs
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            made[(name, 0)] = layer.output  # an InputLayer

    def tensor(history):
        layer_name, call, output = history
        return flatten(made[(layer_name, call)])[output]

    def ready(node) -> bool:
        leaves = flatten([node["args"], node["kwargs"]])
        return all((leaf["config"]["keras_history"][0], leaf["config"]["keras_history"][1])
                   in made for leaf in leaves
                   if isinstance(leaf, dict) and leaf.get("class_name") == TENSOR)

    def decoded(value):
        if isinstance(value, dict) and value.get("class_name") == TENSOR:
            return tensor(value["config"]["keras_history"])
        if isinstance(value, dict):
            return {key: decoded(item) for key, item in value.items()}
        if isinstance(value, list):
            return [decoded(item) for item in value]
        return value

    while pending:
        waiting = [item for item in pending if not ready(item[2])]
        if len(waiting) == len(pending):
            raise ValueError(f"{who}: the config is damaged: the calls of "
                             f"{sorted({item[0] for item in pending})} take tensors that no "
                             "layer makes")
        for name, call, node in pending:
            if ready(node):
                args = decoded(node["args"])
                made[(name, call)] = layers[name](args[0], *args[1:], **decoded(node["kwargs"]))
        pending = waiting

    def ends(value):
        if _is_history(value):
            return tensor(value)
        if isinstance(value, dict):
            return {key: tensor(item) for key, item in value.items()}
        return [tensor(item) for item in value]

    model_class = model_class or Model
    model = model_class(inputs=ends(config["input_layers"]),
                        outputs=ends(config["output_layers"]), name=config.get("name"))
    if not config.get("trainable", True):
        model.trainable = False
    return model
