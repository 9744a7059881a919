"""How a computation graph looks: node styles, labels, the gradient colour scale and its legend.

Colour encodes the *mean absolute gradient* ``mean(|g|)`` of a tensor on a log scale, one
colour per decade from below 1e-7 to above 1 (the viridis colour map: dark purple is tiny,
yellow is large). A layer whose gradients have vanished is dark next to bright neighbours;
exactly zero gradients (dead ReLUs) are black and NaN/inf are magenta. Tensors without a
gradient stay white. When all gradients of a drawing fall in one decade, the colours span the
drawing's own range instead (:class:`ColourScale`). The legend is the graph's label: the
colours used, the kinds of node drawn.

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


def _bin(magnitude: float) -> int:
    return sum(1 for edge in DECADES if math.log10(magnitude) >= edge)


class ColourScale:
    """The colours of one drawing: by decade (the default), or over the actual range.

    When every gradient of the drawing falls in the same decade bin (a scalar graph whose
    gradients are all between 1 and 1,000, say) the decade scale would paint them all one
    colour; the scale then spans the drawing's own smallest to largest mean |g| on a log
    scale, and the legend says so with the actual numbers.

    >>> ColourScale([2.0, 650.0]).relative, ColourScale([0.02, 0.05]).relative
    (True, False)
    """

    def __init__(self, magnitudes):
        present = [m for m in magnitudes if m is not None]
        self.specials = [colour for colour, test in (
            (ZERO_COLOUR, lambda m: m == 0.0),
            (NONFINITE_COLOUR, lambda m: not math.isfinite(m))) if any(map(test, present))]
        if len(present) < len(list(magnitudes)):
            self.specials.append(NO_GRAD_COLOUR)
        finite = [m for m in present if math.isfinite(m) and m > 0]
        self.low, self.high = (min(finite), max(finite)) if finite else (None, None)
        self.bins = sorted({_bin(m) for m in finite})
        # only the open-ended bins (>= 1, < 1e-7) can hold values a decade or more apart
        self.relative = len(self.bins) == 1 and self.high >= 10 * self.low

    def colour(self, magnitude: float | None) -> str:
        if not self.relative or magnitude is None or not math.isfinite(magnitude) \
                or magnitude <= 0:
            return gradient_colour(magnitude)
        position = math.log(magnitude / self.low) / math.log(self.high / self.low)
        return GRADIENT_COLOURS[round(min(max(position, 0.0), 1.0) * 8)]

    def cells(self) -> list[tuple[str, str]]:
        """(colour, text) swatches for the legend: only the range this drawing uses. A decade
        swatch is named by its lower edge (``1e-3``: from 1e-3 to 1e-2)."""
        cells = []
        if self.relative:
            for index in (0, 2, 4, 6, 8):
                value = self.low * (self.high / self.low) ** (index / 8)
                cells.append((GRADIENT_COLOURS[index], number(value)))
        elif self.bins:
            for index in range(self.bins[0], self.bins[-1] + 1):
                text = f"&lt;1e{DECADES[0]}" if index == 0 else f"1e{DECADES[index - 1]}"
                cells.append((GRADIENT_COLOURS[index], text))
        names = {ZERO_COLOUR: "0", NONFINITE_COLOUR: "NaN", NO_GRAD_COLOUR: "none"}
        return cells + [(colour, names[colour]) for colour in self.specials]


KIND_WORDS = {"op": "ellipse: op", "leaf": "rounded: leaf", "parameter": "double: parameter",
              "constant": "dashed: constant", "intermediate": "box: tensor",
              "output": "thick: output", "loss": "octagon: loss", "module": "3-D box: module"}


def legend_label(kinds, scale: ColourScale | None, notes=()) -> str:
    """The legend, as the graph's own label under the picture (an HTML-like table): the
    colours this drawing uses, the kinds of node it has, and notes (collapsing, freed ops).

    Being a label it takes no place in the layout; it is kept narrow (short swatch names,
    two kinds of node per line) so that it is never wider than the drawing above it."""
    rows = []
    cells = scale.cells() if scale is not None else []
    if all(colour == NO_GRAD_COLOUR for colour, _ in cells):
        cells = []  # nothing has a gradient: no colour to explain
    span = max(len(cells), 2)
    if cells:
        title = ("mean |grad|, log scale over this graph" if scale.relative
                 else "mean |grad| by decade")
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="{span}"><B>colour</B>: {title}</TD></TR>')
        rows.append("<TR>" + "".join(
            f'<TD BGCOLOR="{colour}"><FONT COLOR="{text_colour(colour)}" POINT-SIZE="9">'
            f"{text}</FONT></TD>" for colour, text in cells) + "</TR>")
    words = [KIND_WORDS[kind] for kind in KIND_STYLES if kind in kinds]
    for index in range(0, len(words), 2):
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="{span}"><FONT POINT-SIZE="9">'
                    f'{" &#183; ".join(words[index:index + 2])}</FONT></TD></TR>')
    for note in notes:
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="{span}"><FONT POINT-SIZE="9"><I>'
                    f"{html.escape(note)}</I></FONT></TD></TR>")
    if not rows:
        return ""
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1">'
            + "".join(rows) + "</TABLE>>")
