"""The layer graph of a model as a TensorBoard ``GraphDef`` (the Graphs tab).

One node per layer, named ``<model>/<layer>`` (so TensorBoard groups them under the model),
with the layer's class as its op, the layer before it as its input and attributes for the
output shape and the number of weights; a Sequential inside a Sequential becomes a group of
its own. A functional model's edges are its layer calls (a shared layer is one node with
every layer that feeds it as input); a subclassed model lists its layers without edges.

>>> from tinygrad_edu import nn
>>> graph = layer_graph(nn.Sequential([nn.Dense(2, input_shape=(3,), name="hidden")],
...                                   name="net"))
>>> [(node.name, node.op, list(node.input)) for node in graph.node]
[('net/input', 'Placeholder', []), ('net/hidden', 'Dense', ['net/input'])]
"""

from __future__ import annotations

__all__ = ["layer_graph"]


def _shape_attribute(shape):
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    dims = [TensorShapeProto.Dim(size=-1 if size is None else int(size)) for size in shape]
    return AttrValue(list=AttrValue.ListValue(shape=[TensorShapeProto(dim=dims)]))


def _nodes(model, prefix, previous):
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.node_def_pb2 import NodeDef

    nodes = []
    chained = hasattr(model, "add") and hasattr(model, "pop")  # a Sequential's layers chain
    feeds = _functional_inputs(model, prefix)
    for layer in getattr(model, "layers", []):
        name = f"{prefix}/{layer.name}"
        if isinstance(getattr(layer, "layers", None), list):
            inner = _nodes(layer, name, previous if chained else None)
            nodes += inner
            if chained and inner:
                previous = inner[-1].name
            continue
        attributes = {"parameters": AttrValue(i=int(layer.count_params()))}
        if layer.output_shape is not None and not isinstance(layer.output_shape, list):
            attributes["_output_shapes"] = _shape_attribute(layer.output_shape)
        inputs = [previous] if chained and previous else feeds.get(layer.name, [])
        nodes.append(NodeDef(name=name, op=type(layer).__name__, input=inputs,
                             attr=attributes))
        previous = name if chained else None
    return nodes


def _functional_inputs(model, prefix) -> dict:
    """``{layer name: [node names of the layers it is called on]}`` of a functional model."""
    graph = getattr(model, "_graph", None)
    feeds = {}
    for node in graph.nodes if graph is not None else []:
        for tensor in node.inbound_tensors():
            source = f"{prefix}/{tensor.node.layer.name}"
            names = feeds.setdefault(node.layer.name, [])
            if source not in names:
                names.append(source)
    return feeds


def layer_graph(model):
    """The ``GraphDef`` of ``model``'s layers (needs tensorboardX)."""
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef
    from tensorboardX.proto.versions_pb2 import VersionDef

    if getattr(model, "_graph", None) is not None:  # its InputLayers are the inputs
        return GraphDef(node=_nodes(model, model.name, None), versions=VersionDef(producer=22))
    start = NodeDef(name=f"{model.name}/input", op="Placeholder")
    if isinstance(model.input_shape, tuple):
        start.attr["_output_shapes"].CopyFrom(_shape_attribute(model.input_shape))
    return GraphDef(node=[start, *_nodes(model, model.name, start.name)],
                    versions=VersionDef(producer=22))
