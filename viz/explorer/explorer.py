"""``viz.explore(tensor)``: a page that steps through the forward and the backward pass.

The graph is drawn by :func:`viz.draw_graph` (Graphviz ``dot``: the same node styles, module
clusters and gradient colours with their legend as the static pictures), and the page's
script adds the interaction: forward steps in creation order, backward steps in the engine's
order, each rule written out with its numbers, details of any clicked node, pan and zoom,
collapsible layers and search.

Large graphs. Graphviz needs minutes for tens of thousands of nodes, so above
``FULL_LAYOUT_LIMIT`` drawn nodes the layout is one node per module (``collapse_modules``);
stepping still goes op by op, lighting the module of each op, and clicking a module lists its
ops and tensors. Above ``COLLAPSE_AT_START`` the page opens with the layers collapsed.
"""

from __future__ import annotations

import html

from tinygrad_edu.tensor import Tensor
from viz.explorer.graph_data import graph_data
from viz.explorer.page import Page, inline_svg
from viz.graph import draw_graph

__all__ = ["explore", "Explorer", "FULL_LAYOUT_LIMIT", "COLLAPSE_AT_START"]

#: above this many tensors + ops the layout shows one node per module
FULL_LAYOUT_LIMIT = 1500
#: above this many tensors + ops the page opens with every layer collapsed
COLLAPSE_AT_START = 300

#: the page's script, in the order it runs (see the files' first lines)
_SCRIPTS = ("explorer_graph.js", "explorer_panel.js", "explorer_controls.js")

_CONTROLS = """
<header>
  <h1>{title}</h1>
  <button id="to-start" title="start of the forward pass (Home)">|&#x25C0; start</button>
  <button id="step-back" title="one op back (&larr;)">&#x25C0; back</button>
  <button id="play" title="play / pause (Space)">&#x25B6; play</button>
  <button id="step-forward" title="one op forward (&rarr;)">step &#x25B6;</button>
  <button id="to-forward-end" title="end of the forward pass = start of the backward pass">
    forward end</button>
  <button id="to-end" title="end of the backward pass (End)">backward end &#x25B6;|</button>
  <label>speed <select id="speed">
    <option value="1500">slow</option><option value="700" selected>normal</option>
    <option value="250">fast</option><option value="60">very fast</option></select></label>
  <input id="position" type="range" min="0" value="0" aria-label="position">
  <span id="progress"></span>
  <button id="collapse-all">collapse layers</button>
  <button id="expand-all">expand layers</button>
  <button id="fit" title="fit the graph">fit</button>
  <label title="keep the current op in view">
    <input id="follow" type="checkbox" checked> follow</label>
  <input id="search" type="text" placeholder="search a node, Enter" size="16">
  <span id="found"></span>
</header>
"""


def _roots_and_labels(tensor_or_tensors):
    if isinstance(tensor_or_tensors, Tensor):
        return [tensor_or_tensors], [None]
    if isinstance(tensor_or_tensors, dict):
        pairs = list(tensor_or_tensors.items())
        labels, roots = [str(k) for k, _ in pairs], [v for _, v in pairs]
    elif isinstance(tensor_or_tensors, (list, tuple)):
        roots = list(tensor_or_tensors)
        labels = [None] * len(roots)
    else:
        roots = None
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError(
            "explore: expected a Tensor, a non-empty list/tuple of Tensors or a dict "
            f"label -> Tensor, got {type(tensor_or_tensors).__name__}")
    return roots, labels


def _draw(roots, labels, grads, modules, rankdir, max_values):
    """draw_graph with the engine's gradients on every tensor and the roots' labels as their
    names, both put back as they were afterwards (nothing of the user's graph changes)."""
    saved_grads = {t: t.grad for t in grads}
    saved_names = [root.name for root in roots]
    try:
        for tensor, grad in grads.items():
            tensor.grad = grad
        for root, label in zip(roots, labels):
            if label is not None:
                root.name = label
        return draw_graph(roots, collapse_modules=modules, rankdir=rankdir,
                          max_values=max_values, group_loss=False)  # boxes = the modules
    finally:
        for tensor, grad in saved_grads.items():
            tensor.grad = grad
        for root, name in zip(roots, saved_names):
            root.name = name


class Explorer(Page):
    """The step-through page of a graph (see :func:`explore`)."""


def explore(tensor_or_tensors, title=None, layout="auto", rankdir="LR",
            max_values=4) -> Explorer:
    """A page that steps through the forward and backward pass of the graph behind a tensor.

    Nothing is written into the tensors: the gradients shown are computed with
    :func:`tinygrad_edu.grad` (of the sum of the roots' elements), and the graph must still
    exist (explore before ``backward()``, or after ``backward(retain_graph=True)``).

    Args:
        tensor_or_tensors: the output Tensor (e.g. the loss), a list of them, or a dict
            ``{label: tensor}`` to title the roots (``{"dy/dx": dy}``). A gradient computed
            with ``create_graph=True`` can be explored like any tensor: its ops are the
            backward rules, and :func:`tinygrad_edu.grad` names it ``dy/dx``.
        title: the page title (default: the roots' labels).
        layout: ``"auto"``, ``"full"`` (every op drawn) or ``"modules"`` (one node per
            module; the default for graphs over ``FULL_LAYOUT_LIMIT`` nodes).
        rankdir: direction of the drawing: ``"LR"``, ``"TB"``, ``"RL"``, ``"BT"``.
        max_values: values printed on a node (the panel shows them all).

    Returns:
        An :class:`Explorer`: shown inline in Jupyter; ``.save("step.html")`` writes the page.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor(2.0, requires_grad=True, name="x")
    >>> page = explore((x * -3.0).tanh())
    >>> [step["op"] for step in page.data["backward"]] == page.data["forward"][::-1]
    True
    """
    if layout not in ("auto", "full", "modules"):
        raise ValueError(f"explore: layout must be 'auto', 'full' or 'modules', got {layout!r}")
    roots, labels = _roots_and_labels(tensor_or_tensors)
    try:
        data, walk, grads = graph_data(roots, labels)
    except RuntimeError as error:
        raise RuntimeError(f"explore: {error}") from None
    size = len(walk.tensors) + len(walk.ops)
    has_modules = any(node.module_path for node in walk.ops.values())
    modules = layout == "modules" or (layout == "auto" and size > FULL_LAYOUT_LIMIT
                                      and has_modules)
    dot = _draw(roots, labels, grads, modules, rankdir, max_values)
    for record, key in zip(data["tensors"], walk.tensors):
        record["node"] = dot.node_names[key]
    for record, key in zip(data["ops"], walk.ops):
        record["node"] = dot.node_names[key]
    data["layout"] = "modules" if modules else "full"
    data["collapsed_at_start"] = not modules and size > COLLAPSE_AT_START and has_modules
    names = [label or root.name or "output" for root, label in zip(roots, labels)]
    title = title or "backprop step by step: " + ", ".join(names)
    data["title"] = title
    body = (_CONTROLS.format(title=html.escape(title))
            + f'<main><div id="canvas">{inline_svg(dot.pipe(format="svg"))}</div>'
            '<aside id="panel"></aside></main>')
    return Explorer(title, f'<div class="explorer">{body}</div>', data, _SCRIPTS)
