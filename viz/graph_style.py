"""How a computation graph looks: node styles, labels, the gradient colour scale and its legend.

Colour encodes the *mean absolute gradient* ``mean(|g|)`` of a tensor on a log scale, one
colour per decade from below 1e-7 to above 1 (the viridis colour map: dark purple is tiny,
yellow is large). A layer whose gradients have vanished is dark next to bright neighbours;
exactly zero gradients (dead ReLUs) are black and NaN/inf are magenta. Tensors without a
gradient stay white.

Kinds of node, told apart by shape and border (colour is reserved for gradients):

====================  ===============================================
op                    grey ellipse with the op's name
leaf (requires grad)  rounded box
parameter             box with a double border, titled with its name (``dense_1.kernel``)
constant / input      dashed box, grey text (data that needs no gradient)
intermediate          plain box
output                box with a thick border
loss (scalar root)    double octagon
module (collapsed)    3-D box ("box3d") listing its in/out shapes and parameters
====================  ===============================================
"""

from __future__ import annotations

import html
import math

import numpy as np

#: decade boundaries (log10 of mean |g|) between the colour bins
DECADES = tuple(range(-7, 1))
#: one colour per bin: below 1e-7, each decade up to 1, and 1 or more (viridis, 9 samples)
GRADIENT_COLOURS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c",
                    "#28ae80", "#5ec962", "#addc30", "#fde725")
ZERO_COLOUR = "#000000"
NONFINITE_COLOUR = "#ff00ff"
NO_GRAD_COLOUR = "#ffffff"
OP_COLOUR = "#e8e8e8"
_DARK = set(GRADIENT_COLOURS[:5]) | {ZERO_COLOUR}

KIND_STYLES = {
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": OP_COLOUR},
    "leaf": {"shape": "box", "style": "rounded,filled"},
    "parameter": {"shape": "box", "style": "filled", "peripheries": "2"},
    "constant": {"shape": "box", "style": "dashed,filled", "fontcolor": "#555555"},
    "intermediate": {"shape": "box", "style": "filled"},
    "output": {"shape": "box", "style": "filled", "penwidth": "3"},
    "loss": {"shape": "doubleoctagon", "style": "filled", "penwidth": "2"},
    "module": {"shape": "box3d", "style": "filled"},
}
KIND_TITLES = {"leaf": "leaf", "parameter": "parameter", "constant": "constant",
               "intermediate": "", "output": "output", "loss": "loss"}


def gradient_magnitude(grad) -> float | None:
    """mean(|g|) of a gradient Tensor or array (NaN when any entry is NaN or inf)."""
    if grad is None:
        return None
    values = np.asarray(getattr(grad, "data", grad), dtype=np.float64)
    if values.size == 0:
        return 0.0
    if not np.all(np.isfinite(values)):
        return math.nan
    return float(np.mean(np.abs(values)))


def gradient_colour(magnitude: float | None) -> str:
    """The fill colour for a mean |g| (see the module docstring for the scale)."""
    if magnitude is None:
        return NO_GRAD_COLOUR
    if math.isnan(magnitude) or math.isinf(magnitude):
        return NONFINITE_COLOUR
    if magnitude == 0.0:
        return ZERO_COLOUR
    decade = math.log10(magnitude)
    index = sum(1 for edge in DECADES if decade >= edge)
    return GRADIENT_COLOURS[index]


def text_colour(fill: str) -> str:
    return "#ffffff" if fill in _DARK else "#000000"


def number(value) -> str:
    """A value in at most 4 significant digits."""
    return f"{float(value):.4g}"


def _values(array: np.ndarray, max_values: int) -> str:
    flat = np.asarray(array).ravel()
    shown = ", ".join(number(v) for v in flat[:max_values])
    if flat.size == 1 and np.asarray(array).ndim == 0:
        return shown
    return f"[{shown}]" if flat.size <= max_values else f"[{shown}, ...]"


def _summary(array: np.ndarray) -> str:
    values = np.asarray(array, dtype=np.float64)
    if values.size == 0:
        return "empty"
    return f"min {number(values.min())}, max {number(values.max())}"


def shape_text(shape) -> str:
    if len(shape) == 0:
        return "scalar"
    return "(" + ", ".join(str(n) for n in shape) + (",)" if len(shape) == 1 else ")")


def tensor_label(tensor, kind: str, show_values: bool, show_grads: bool, max_values: int,
                 name: str | None = None) -> str:
    """An HTML-like label: title, shape and dtype, values, gradient summary."""
    title = name or getattr(tensor, "name", None) or KIND_TITLES.get(kind, "")
    if kind == "parameter" and not getattr(tensor, "trainable", True):
        title += " (frozen)"
    data = tensor.data
    lines = []
    if title:
        lines.append(f"<B>{html.escape(str(title))}</B>")
    lines.append(html.escape(f"{shape_text(data.shape)} {data.dtype}"))
    if show_values and data.dtype.kind in "biuf":
        text = _values(data, max_values) if data.size <= max_values else _summary(data)
        lines.append("data " + html.escape(text))
    grad = getattr(tensor, "grad", None)
    if show_grads and grad is not None:
        g = np.asarray(grad.data)
        if g.size <= max_values:
            lines.append("grad " + html.escape(_values(g, max_values)))
        else:
            magnitude = gradient_magnitude(grad)
            lines.append(html.escape(f"grad mean|g| {number(magnitude)}"))
    return "<" + "<BR/>".join(lines) + ">"


def op_label(node, freed: bool) -> str:
    text = f"<B>{html.escape(node.name)}</B>"
    if freed:
        text += "<BR/><I>graph freed by backward()</I>"
    return "<" + text + ">"


def module_label(path: str, op_count: int, in_shapes, out_shapes, parameters,
                 magnitude: float | None, show_grads: bool) -> str:
    """Label of a collapsed module: its name, op count, in/out shapes and parameters."""
    lines = [f"<B>{html.escape(path)}</B>", f"{op_count} op{'s' * (op_count != 1)}"]
    if in_shapes:
        lines.append("in " + html.escape(", ".join(shape_text(s) for s in in_shapes)))
    if out_shapes:
        lines.append("out " + html.escape(", ".join(shape_text(s) for s in out_shapes)))
    for tensor in parameters[:4]:
        name = getattr(tensor, "name", None) or "parameter"
        lines.append(html.escape(f"{name} {shape_text(tensor.shape)}"))
    if len(parameters) > 4:
        lines.append(f"... {len(parameters) - 4} more parameters")
    if show_grads and magnitude is not None:
        lines.append(html.escape(f"params mean|g| {number(magnitude)}"))
    return "<" + "<BR/>".join(lines) + ">"


def node_attributes(kind: str, fill: str = NO_GRAD_COLOUR) -> dict:
    attributes = dict(KIND_STYLES[kind])
    if kind != "op":
        attributes["fillcolor"] = fill
        if kind != "constant" or fill != NO_GRAD_COLOUR:
            attributes["fontcolor"] = text_colour(fill)
    return attributes


def add_legend(graph, kinds, show_grads: bool) -> None:
    """A legend cluster: the gradient colour table and a sample node of each kind drawn."""
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="dashed", color="#999999", fontsize="10")
        if show_grads:
            rows = ['<TR><TD COLSPAN="2"><B>gradient colour: mean |grad|</B></TD></TR>']
            edges = [f"1e{d}" for d in DECADES]
            ranges = [f"&lt; {edges[0]}"]
            ranges += [f"{low} ... {high}" for low, high in zip(edges, edges[1:])]
            ranges.append(f"&#8805; {edges[-1]}")  # >= 1e0
            entries = list(zip(GRADIENT_COLOURS, ranges))
            entries += [(ZERO_COLOUR, "exactly 0"), (NONFINITE_COLOUR, "NaN or inf"),
                        (NO_GRAD_COLOUR, "no gradient")]
            for colour, text in entries:
                rows.append(f'<TR><TD BGCOLOR="{colour}" WIDTH="24"> </TD>'
                            f'<TD ALIGN="LEFT">{text}</TD></TR>')
            table = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
                     + "".join(rows) + "</TABLE>>")
            legend.node("legend_colours", label=table, shape="plaintext")
        with legend.subgraph(name="legend_kinds") as samples:
            samples.attr(rank="same")  # one column (LR) or row (TB) of sample nodes
            for kind in KIND_STYLES:
                if kind in kinds:
                    samples.node(f"legend_{kind}", label="loss (scalar output)" if kind == "loss"
                                 else kind, **node_attributes(kind))
        first = next((kind for kind in KIND_STYLES if kind in kinds), None)
        if show_grads and first is not None:
            legend.edge("legend_colours", f"legend_{first}", style="invis")
