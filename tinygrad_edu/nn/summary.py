"""What a module says about itself: ``summary()`` (Keras's table), ``repr()`` and the HTML
a notebook shows.

``summary(model, line_length=None, show_trainable=False, expand_nested=False)`` prints one row
per layer (name and type, output shape, parameter count, and with ``show_trainable`` whether
it trains), the totals, and where the non-trainable parameters come from.
``expand_nested=True`` also lists the layers inside nested models, indented.

``layer_repr(layer)`` is ``Dense(units=8, activation='relu', name='dense')``: the
constructor arguments that differ from their defaults (required ones always), then the name.
A module with children shows them below, as a tree.
"""

from __future__ import annotations

import html
import inspect
import textwrap

__all__ = ["summary", "summary_rows", "summary_html", "layer_repr"]

HEADERS = ("Layer (type)", "Output Shape", "Param #", "Trainable")
TRAINABLE_WIDTH = 11


# ----- repr -----------------------------------------------------------------------------------
def _shown(value):
    """Config values as a user writes them: lists (JSON's tuples) back to tuples."""
    if isinstance(value, list):
        return tuple(_shown(item) for item in value)
    return value


def layer_repr(layer) -> str:
    """``Dense(units=8, activation='relu', name='dense')`` and, below, the children.

    >>> from tinygrad_edu.nn import Dense
    >>> layer_repr(Dense(8, activation="relu", name="hidden"))
    "Dense(units=8, activation='relu', name='hidden')"
    """
    try:
        config = layer.get_config()
    except Exception:  # a user's layer whose get_config needs its own arguments
        config = {"name": layer.name}
    parameters = inspect.signature(type(layer).__init__).parameters
    arguments = []
    for key, value in config.items():
        parameter = parameters.get(key)
        if key in ("name", "trainable", "layers") or parameter is None:
            continue
        default = parameter.default
        if default is inspect.Parameter.empty or _shown(value) != _shown(default):
            arguments.append(f"{key}={_shown(value)!r}")
    if not config.get("trainable", True):
        arguments.append("trainable=False")
    arguments.append(f"name={layer.name!r}")
    lines = [f"{type(layer).__name__}({', '.join(arguments)})"]
    for key, child in layer.named_children():
        child_lines = repr(child).splitlines()
        lines.append(f"  ({key}): {child_lines[0]}")
        lines.extend("  " + line for line in child_lines[1:])
    return "\n".join(lines)


# ----- the table ------------------------------------------------------------------------------
def _size(n_params: int, n_bytes: int) -> str:
    return f"{n_params:,} ({n_bytes / 1024:,.2f} KB)"


def _output_shape(layer):
    if layer.output_shape is not None:
        return layer.output_shape
    if layer.input_shape is None:
        return None
    try:  # built standalone (input_dim=...), never called
        return tuple(layer.compute_output_shape(layer.input_shape))
    except Exception:
        return None


def _row(layer, depth: int) -> tuple:
    shape = _output_shape(layer)
    shape = "?" if shape is None else str(shape)
    params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
    trainable = "Y" if layer.trainable else "N"
    return ("  " * depth + f"{layer.name} ({type(layer).__name__})", shape, params, trainable)


def summary_rows(model, expand_nested=False) -> list[tuple]:
    """``[(name (type), output shape, params, "Y"/"N")]``: the model's layers (its direct
    children, or the module itself when it has none), nested ones too if asked."""
    rows = []

    def visit(module, depth):
        for child in module.children():
            rows.append(_row(child, depth))
            if expand_nested:
                visit(child, depth + 1)

    visit(model, 0)
    return rows or [_row(model, 0)]


def _totals(model) -> list[tuple[str, str]]:
    trainable, frozen = model.trainable_weights, model.non_trainable_weights
    n_trainable, n_frozen = sum(w.size for w in trainable), sum(w.size for w in frozen)
    b_trainable = sum(w.data.nbytes for w in trainable)
    b_frozen = sum(w.data.nbytes for w in frozen)
    return [("Total params", _size(n_trainable + n_frozen, b_trainable + b_frozen)),
            ("Trainable params", _size(n_trainable, b_trainable)),
            ("Non-trainable params", _size(n_frozen, b_frozen))]


def _non_trainable_sources(model) -> list[str]:
    """One phrase per module that holds non-trainable weights, saying why they are."""
    phrases = []
    for _, module in model.named_modules():
        buffers = list(module._buffers.items())
        frozen = [(k, p) for k, p in module._parameters.items() if not p.trainable]
        if buffers:
            names = ", ".join(key for key, _ in buffers)
            count = sum(t.size for _, t in buffers)
            why = getattr(module, "buffer_note", None) or (
                "statistics the layer updates itself during training (running averages used "
                "at inference), not by gradient descent")
            phrases.append(f"{module.name} ({type(module).__name__}) keeps {count:,} in "
                           f"{names}: {why}")
        if frozen:
            names = ", ".join(key for key, _ in frozen)
            count = sum(p.size for _, p in frozen)
            phrases.append(f"{module.name} ({type(module).__name__}) has {count:,} frozen "
                           f"weights ({names}; trainable=False)")
    return phrases


def _notes(model) -> list[str]:
    notes = []
    if not model.built:
        notes.append("The model is not built yet: call it on a batch, or give input_shape= "
                     "to its first layer, to see shapes and counts.")
    sources = _non_trainable_sources(model)
    if sources:
        notes.append("Non-trainable params are not changed by the optimizer: "
                     + "; ".join(sources) + ".")
    else:
        notes.append("All params are trainable. Non-trainable params would come from "
                     "BatchNormalization's moving mean/variance or from layers frozen with "
                     "trainable=False.")
    return notes


def _connected_to(model) -> list[str] | None:
    """Keras's "Connected to" cells of a functional model's rows (None for other models)."""
    graph = getattr(model, "_graph", None)
    if graph is None:
        return None
    return [", ".join(graph.inbound_layers(layer)) or "-" for layer in model.children()]


def _columns(show_trainable, connected) -> list[tuple[str, float, int, str]]:
    """(header, share of the width, minimum width, alignment) of each column shown."""
    columns = [(HEADERS[0], 0.45, 33, "<"), (HEADERS[1], 0.35, 26, "<"),
               (HEADERS[2], 0.20, 12, ">")]
    if connected:
        columns = [(HEADERS[0], 0.32, 29, "<"), (HEADERS[1], 0.24, 22, "<"),
                   (HEADERS[2], 0.14, 11, ">"), ("Connected to", 0.30, 26, "<")]
    if show_trainable:
        columns.append((HEADERS[3], 0.0, TRAINABLE_WIDTH, ">"))
    return columns


def _widths(rows, line_length, columns) -> list[int]:
    if line_length is None:
        gaps = [0] + [2 if align == "<" and before[3] == ">" else 0
                      for before, (_, _, _, align) in zip(columns, columns[1:])]
        widths = [max(minimum, *(len(row[i]) + 2 + gap for row in rows))
                  for i, ((_, _, minimum, _), gap) in enumerate(zip(columns, gaps))]
        headers = [header for header, _, _, _ in columns]
        if "Connected to" in headers:
            # several inputs go one under the other, as Keras lists them, not in one long line
            index = headers.index("Connected to")
            longest_entry = max((len(entry) for row in rows[1:] for entry in row[index].split()),
                                default=0)
            widths[index] = max(columns[index][2], longest_entry + 4)
        return widths
    line_length = int(line_length)
    fixed = sum(minimum for _, share, minimum, _ in columns if not share)
    room = line_length - 1 - fixed
    shared = sum(1 for _, share, _, _ in columns if share)
    if room < 10 * shared:
        raise ValueError(f"summary: line_length={line_length} is too narrow for the table; "
                         f"use at least {10 * shared + 1 + fixed}")
    widths = [int(room * share) if share else minimum for _, share, minimum, _ in columns]
    widths[0] += room - sum(w for w, (_, share, _, _) in zip(widths, columns) if share)
    return widths


def _format_row(row, widths, columns) -> list[str]:
    """One table row, wrapped over several lines when a cell is wider than its column. A
    left-aligned column after a right-aligned one starts two spaces in, to keep them apart."""
    gaps = [0] + [2 if align == "<" and before == ">" else 0
                  for (_, _, _, before), (_, _, _, align) in zip(columns, columns[1:])]
    cells = [textwrap.wrap(cell, width - 1 - gap, break_on_hyphens=False) or [""]
             for cell, width, gap in zip(row, widths, gaps)]
    lines = []
    for index in range(max(len(cell) for cell in cells)):
        parts = [cell[index] if index < len(cell) else "" for cell in cells]
        text = f" {parts[0]:<{widths[0] - 1}}"
        for part, width, gap, (_, _, _, align) in zip(parts[1:], widths[1:], gaps[1:],
                                                       columns[1:]):
            text += " " * gap + f"{part:{align}{width - gap}}"
        lines.append(text)
    return lines


def summary(model, print_fn=print, line_length=None, show_trainable=False,
            expand_nested=False) -> None:
    """Print a Keras-style summary of ``model``'s layers.

    A functional model gets Keras's "Connected to" column: the inputs of each layer, as
    ``layer[node][tensor]``.

    Args:
        print_fn: called with each line (default ``print``).
        line_length: total width of the table; default: as wide as the longest cell needs.
        show_trainable: add a column saying whether each layer trains (``Y``/``N``).
        expand_nested: list the layers inside nested models too, indented.
    """
    connected = None if expand_nested else _connected_to(model)
    columns = _columns(show_trainable, connected)
    rows = [tuple(header for header, _, _, _ in columns)]
    for index, (name, shape, params, trainable) in enumerate(summary_rows(model, expand_nested)):
        cells = (name, shape, params) + ((connected[index],) if connected else ())
        rows.append(cells + ((trainable,) if show_trainable else ()))
    widths = _widths(rows, line_length, columns)
    width = sum(widths) + 1
    lines = [f'Model: "{model.name}"', "_" * width, *_format_row(rows[0], widths, columns),
             "=" * width]
    for index, row in enumerate(rows[1:]):
        lines += _format_row(row, widths, columns)
        lines.append("_" * width if index < len(rows) - 2 else "=" * width)
    lines += [f"{label}: {value}" for label, value in _totals(model)] + ["_" * width]
    for note in _notes(model):
        lines += textwrap.wrap(note, width)
    for line in lines:
        print_fn(line)


def summary_html(model, expand_nested=True) -> str:
    """The summary as an HTML table (what a notebook shows for a model)."""
    escape = html.escape
    head = "".join(f"<th style='text-align:left'>{escape(h)}</th>" for h in HEADERS)
    body = []
    for name, shape, params, trainable in summary_rows(model, expand_nested):
        indent = len(name) - len(name.lstrip(" "))
        body.append(f"<tr><td style='text-align:left;padding-left:{indent * 0.6 + 0.3}em'>"
                    f"<code>{escape(name.strip())}</code></td><td style='text-align:left'>"
                    f"<code>{escape(shape)}</code></td><td style='text-align:right'>"
                    f"{escape(params)}</td><td>{trainable}</td></tr>")
    totals = "<br>".join(f"<b>{escape(label)}:</b> {escape(value)}"
                         for label, value in _totals(model))
    notes = "".join(f"<p style='font-size:smaller'>{escape(note)}</p>" for note in _notes(model))
    return (f"<div><b>Model: \"{escape(model.name)}\"</b><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table><p>{totals}</p>{notes}</div>")
