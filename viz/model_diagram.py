"""``plot_model``: a model's layers as boxes and arrows, as Keras's ``keras.utils.plot_model``.

Each layer is a box with its name and class (``dense_1 (Dense)``), and, when asked, its
input and output shapes, dtypes, activation and whether it is trainable, in a small table
below the name, as Keras 3 draws them. Arrows follow the data: from each layer to the next
(a Sequential model), or along the calls that made a functional model's outputs. Nested
models are one box, or, with ``expand_nested=True``, a frame holding their own layers.

Only the public API of the model is read (``layers`` or ``children()``, ``outputs`` and
their ``node.layer`` / ``node.inbound_tensors()``, ``name``, ``input_shape``,
``output_shape``, ``trainable``, ``get_config()``, ``weights``).

>>> from tinygrad_edu import nn
>>> model = nn.Sequential([nn.Dense(4, input_shape=(3,), activation="relu"), nn.Dense(2)])
>>> dot = model_to_dot(model, show_shapes=True)
>>> "Input shape: (None, 3)" in dot.source
True
"""

from __future__ import annotations

import html
from pathlib import Path

from .graph_render import GraphDiagram, render_graph

__all__ = ["plot_model", "model_to_dot"]

_HEADER_COLOUR = "#e8eef7"
_BORDER_COLOUR = "#4a6fa5"


def _layers(model) -> list:
    layers = getattr(model, "layers", None)
    if layers is None:
        layers = list(model.children()) if hasattr(model, "children") else []
    return list(layers)


def _is_nested(layer) -> bool:
    return bool(_layers(layer)) and hasattr(layer, "layers")


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):  # several inputs
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if n is None else str(n) for n in shape) + (
        ",)" if len(shape) == 1 else ")")


def _dtype(layer) -> str:
    weights = getattr(layer, "weights", None) or []
    return str(weights[0].dtype) if weights else "float32"


def _activation(layer):
    try:
        config = layer.get_config()
    except Exception:  # a custom layer without a config: nothing to show
        return None
    activation = config.get("activation") if isinstance(config, dict) else None
    return activation if isinstance(activation, str) else None


def _cell(text: str, bold: bool = False, colour: str | None = None, span: int = 1) -> str:
    text = html.escape(text)
    if bold:
        text = f"<B>{text}</B>"
    background = f' BGCOLOR="{colour}"' if colour else ""
    return f'<TD COLSPAN="{span}"{background}>{text}</TD>'


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations,
           show_trainable) -> str:
    class_name = type(layer).__name__
    title = f"{layer.name} ({class_name})" if show_layer_names else class_name
    rows = [f"<TR>{_cell(title, bold=True, colour=_HEADER_COLOUR, span=2)}</TR>"]
    if show_shapes:
        rows.append(f"<TR>{_cell('Input shape: ' + _shape_text(layer.input_shape))}"
                    f"{_cell('Output shape: ' + _shape_text(layer.output_shape))}</TR>")
    if show_dtype:
        dtype = _dtype(layer)
        rows.append(f"<TR>{_cell('Input dtype: ' + dtype)}{_cell('Output dtype: ' + dtype)}</TR>")
    activation = _activation(layer) if show_layer_activations else None
    if activation:
        rows.append(f"<TR>{_cell('Activation: ' + activation, span=2)}</TR>")
    if show_trainable:
        rows.append(f"<TR>{_cell('Trainable: ' + ('Y' if layer.trainable else 'N'), span=2)}"
                    "</TR>")
    return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="6">'
            + "".join(rows) + "</TABLE>>")


def _functional_links(model) -> list | None:
    """(source, target) layer pairs of a functional model, read back from its outputs
    (each symbolic tensor's ``node.layer`` and ``node.inbound_tensors()``), or None for a
    model without symbolic outputs."""
    outputs = getattr(model, "outputs", None)
    if not outputs or not all(hasattr(t, "node") for t in outputs):
        return None
    links, seen_links, seen_nodes = [], set(), set()
    pending = [t.node for t in outputs]
    while pending:  # a loop, not recursion: a deep model must not hit the recursion limit
        node = pending.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        for tensor in node.inbound_tensors():
            link = (tensor.node.layer, node.layer)
            if (id(link[0]), id(link[1])) not in seen_links:
                seen_links.add((id(link[0]), id(link[1])))
                links.append(link)
            pending.append(tensor.node)
    return links[::-1]


def _links(model, layers) -> list:
    """(source, target) pairs of layers: along the data for a functional model, else a
    chain in order (a Sequential model)."""
    links = _functional_links(model)
    if links is None:
        return list(zip(layers, layers[1:]))
    known = {id(layer) for layer in layers}
    return [(s, t) for s, t in links if id(s) in known and id(t) in known]


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False,
                 show_trainable=False, subgraph=False) -> GraphDiagram:
    """The drawing of ``model`` as a Graphviz graph (arguments as :func:`plot_model`)."""
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' (top to bottom) or 'LR' (left to "
                         f"right), got {rankdir!r}")
    layers = _layers(model)
    if not layers:
        raise ValueError(f"plot_model: {model.name} ({type(model).__name__}) has no layers to "
                         "draw; add layers first")
    graph = GraphDiagram(name=f"cluster_{model.name}" if subgraph else model.name)
    graph.attr(rankdir=rankdir, dpi=str(dpi), concentrate="true")
    if subgraph:
        graph.attr(label=f"{model.name} ({type(model).__name__})", style="dashed")
    graph.attr("node", shape="plaintext", fontname="Helvetica", fontsize="11",
               color=_BORDER_COLOUR)
    options = (show_shapes, show_dtype, show_layer_names, show_layer_activations,
               show_trainable)
    entry, exit_ = {}, {}  # a nested model is entered at its first layer, left at its last
    for layer in layers:
        if expand_nested and _is_nested(layer):
            inner = model_to_dot(layer, *options[:3], rankdir, True, dpi, *options[3:],
                                 subgraph=True)
            graph.subgraph(inner)
            entry[id(layer)] = inner.first_node
            exit_[id(layer)] = inner.last_node
            continue
        node = f"{model.name}/{layer.name}"  # names are unique within a model
        graph.node(node, label=_label(layer, *options))
        entry[id(layer)] = exit_[id(layer)] = node
    for source, target in _links(model, layers):
        graph.edge(exit_[id(source)], entry[id(target)])
    graph.first_node, graph.last_node = entry[id(layers[0])], exit_[id(layers[-1])]
    return graph


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **options):
    """Draw ``model`` into ``to_file`` (``.png``, ``.svg``, ``.pdf`` or ``.dot``), as Keras.

    Args:
        model: a Sequential (or any model with ``layers``).
        to_file: the picture's path; its extension picks the format.
        show_shapes: add each layer's input and output shapes (``(None, 784)``).
        show_dtype: add the dtypes.
        show_layer_names: the box says ``dense (Dense)`` instead of ``Dense``.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        expand_nested: draw a nested model's layers inside a frame.
        dpi: resolution of a PNG.
        show_layer_activations: add the activation of layers that have one.
        show_trainable: add whether each layer is trainable.
        **options: Keras's ``layer_range`` is not supported (a clear error says so).

    Returns:
        The :class:`~viz.graph_render.GraphDiagram`, which Jupyter shows inline.

    Raises:
        GraphvizNotFoundError: the Graphviz program ``dot`` is not installed.
    """
    unknown = sorted(set(options) - {"show_layer_activations", "show_trainable"})
    if unknown:
        raise TypeError(f"plot_model: unsupported arguments {unknown} (tinygrad_edu draws the "
                        "whole model; layer_range is not supported)")
    graph = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir,
                         expand_nested, dpi, show_layer_activations, show_trainable)
    render_graph(graph, Path(to_file))
    return graph
