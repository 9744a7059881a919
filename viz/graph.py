"""Draw the computation graph behind a tensor with Graphviz.

Every tensor made by an op keeps a link to that op (``tensor.grad_fn``), and every op keeps its
input tensors (``grad_fn.inputs``). Following these links backwards from the output visits the
whole graph; :func:`draw_graph` does that (iteratively: deep graphs are fine) and turns each
tensor and each op into a node.

Grouping. Every op remembers the module whose forward created it (``grad_fn.module_path``,
e.g. ``"sequential/dense_1"``). With ``group_by_module=True`` the ops of a module are drawn
inside a box (a Graphviz *cluster*) titled with the module's name, and clusters are nested
like the modules: ``dense_1`` sits inside ``sequential``. An op's output tensor sits with its
op; a parameter (or a constant) sits with the ops that use it when they all belong to one
module. With ``collapse_modules=True`` every module becomes a single node listing its input
and output shapes and its parameters, so a deep model stays readable (and Graphviz stays fast:
it only sees the modules, not their thousands of ops). ``collapse_modules=k`` (an int)
collapses at the k-th level of nesting instead, e.g. ``1`` turns a whole ``sequential`` into
one node.

Gradients. Only leaves keep ``.grad`` after ``backward()``; call :func:`retain_grads` on the
output *before* ``backward()`` to see the gradient of every intermediate tensor too. Colours
encode the mean absolute gradient on a log scale (see :mod:`viz.graph_style` and the legend).
``backward()`` frees the graph unless ``retain_graph=True``; freed ops are drawn dashed.

>>> import tinygrad_edu as tg
>>> from viz import draw_graph, retain_grads
>>> x = tg.Tensor(2.0, requires_grad=True, name="x")
>>> y = (x * 3).tanh()
>>> _ = retain_grads(y)
>>> y.backward(retain_graph=True)
>>> dot = draw_graph(y)
>>> "Tanh" in dot.source and "grad" in dot.source
True
"""

from __future__ import annotations

import warnings

import graphviz

from tinygrad_edu.tensor import Tensor

from . import graph_layout
from . import graph_style as style
from .graph_render import GraphDiagram

__all__ = ["draw_graph", "retain_grads", "walk_graph", "GraphWalk"]

#: drawing more nodes than this without collapsing gets a warning: ``dot`` becomes very slow
LARGE_GRAPH = 3000
#: the pseudo-module of the ops after the model (the loss function)
LOSS_GROUP = "loss"


class GraphWalk:
    """Everything reachable from some output tensors (plain containers, discovery order).

    Attributes:
        roots: the output tensors.
        tensors: id -> Tensor.
        ops: id -> graph node (``Function``).
        op_output: id(op) -> the tensor it produced.
        op_inputs: id(op) -> its input tensors (empty for a node freed by ``backward()``).
        consumers: id(tensor) -> the ops that take it as an input.
        freed: ids of ops whose graph was freed by ``backward()``.
    """

    def __init__(self, roots):
        self.roots = list(roots)
        self.tensors, self.ops, self.op_output, self.op_inputs = {}, {}, {}, {}
        self.consumers, self.freed = {}, set()
        stack = list(reversed(self.roots))
        while stack:
            tensor = stack.pop()
            if id(tensor) in self.tensors:
                continue
            self.tensors[id(tensor)] = tensor
            node = tensor.grad_fn
            if node is None or id(node) in self.ops:
                continue
            self.ops[id(node)] = node
            self.op_output[id(node)] = tensor
            inputs = list(node.inputs) if node.inputs is not None else []
            if node.inputs is None:
                self.freed.add(id(node))
            self.op_inputs[id(node)] = inputs
            for parent in inputs:
                self.consumers.setdefault(id(parent), []).append(node)
            stack.extend(reversed(inputs))


def _as_roots(tensor_or_tensors) -> list:
    if isinstance(tensor_or_tensors, Tensor):
        return [tensor_or_tensors]
    if isinstance(tensor_or_tensors, dict) and tensor_or_tensors:
        return _as_roots(list(tensor_or_tensors.values()))
    roots = list(tensor_or_tensors) if isinstance(tensor_or_tensors, (list, tuple)) else None
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError(
            "draw_graph: expected a Tensor or a non-empty list/tuple of Tensors, got "
            f"{type(tensor_or_tensors).__name__}"
        )
    return roots


def walk_graph(tensor_or_tensors) -> GraphWalk:
    """The tensors and ops reachable from one or more output tensors (no recursion)."""
    return GraphWalk(_as_roots(tensor_or_tensors))


def retain_grads(tensor_or_tensors) -> int:
    """Make every intermediate tensor of the graph keep its ``.grad`` after ``backward()``.

    Call it on the output before ``backward()``; the drawing then shows (and colours) the
    gradient of every tensor, not only of the leaves. Returns how many tensors it marked.
    """
    walk = walk_graph(tensor_or_tensors)
    marked = 0
    for tensor in walk.tensors.values():
        if tensor.grad_fn is not None and tensor.requires_grad:
            tensor.retain_grad()
            marked += 1
    return marked


def _kind(tensor, root_ids) -> str:
    if id(tensor) in root_ids:
        return "loss" if tensor.size == 1 else "output"
    if hasattr(tensor, "trainable"):
        return "parameter"
    if tensor.grad_fn is not None:
        return "intermediate"
    return "leaf" if tensor.requires_grad else "constant"


def _parent_path(path):
    return path.rsplit("/", 1)[0] if path and "/" in path else None


class _Layout:
    """Decides, for each tensor and op, its node id, its module and whether it is hidden."""

    def __init__(self, walk: GraphWalk, group_by_module: bool, collapse, group_loss=True):
        self.walk = walk
        root_ids = {id(t) for t in walk.roots}
        self.kind = {key: _kind(t, root_ids) for key, t in walk.tensors.items()}
        self.path = {}  # id -> module path of each tensor and op (None: outside modules)
        for key, node in walk.ops.items():
            self.path[key] = node.module_path if (group_by_module or collapse) else None
        if group_loss and (group_by_module or collapse):
            for key in graph_layout.loss_ops(walk):
                self.path[key] = LOSS_GROUP
        for key, tensor in walk.tensors.items():
            self.path[key] = self._tensor_path(key, tensor)
        self.group = {}  # id -> collapsed module key, for the hidden members of a module
        if collapse:
            for key in walk.ops:
                self._hide(key, collapse)
            for key in walk.tensors:
                if self.kind[key] not in ("loss", "output", "leaf"):
                    self._hide(key, collapse)
        self.node_id = {}
        for number, key in enumerate(list(walk.tensors) + list(walk.ops)):
            self.node_id[key] = f"n{number}"
        groups = dict.fromkeys(self.group.values())  # distinct, in discovery order
        self.group_id = {key: f"m{number}" for number, key in enumerate(groups)}
        self.clustered = group_by_module

    def _tensor_path(self, key, tensor):
        node = tensor.grad_fn
        if node is not None:
            return self.path.get(id(node))
        kind = self.kind[key]
        if kind not in ("parameter", "constant"):
            return None
        paths = {self.path[id(op)] for op in self.walk.consumers.get(key, [])}
        if len(paths) != 1 or None in paths:
            return None
        path = paths.pop()
        if kind == "constant" and tensor.size != 1:
            # Data entering a module (the input batch) is not part of it; its own buffers
            # (named "<module>.<buffer>") and scalar literals are.
            owner = path.rsplit("/", 1)[-1]
            if not (tensor.name or "").startswith(owner + "."):
                return None
        return path

    def _hide(self, key, collapse) -> None:
        path = self.path[key]
        if path is None:
            return
        self.group[key] = path if collapse is True else "/".join(path.split("/")[:collapse])

    def display(self, key) -> str:
        """The node that stands for a tensor or op: its own, or its collapsed module's."""
        group = self.group.get(key)
        return self.group_id[group] if group is not None else self.node_id[key]

    def cluster(self, key):
        """The module box a visible tensor or op is drawn in."""
        path = self.path[key] if self.clustered else None
        if self.group and path is not None and key not in self.group:
            return _parent_path(path)  # a visible tensor made inside a collapsed module
        return path


def _check_arguments(collapse_modules, rankdir, max_values) -> None:
    if collapse_modules != "auto" and not isinstance(collapse_modules, bool) and (
        not isinstance(collapse_modules, int) or collapse_modules < 1
    ):
        raise ValueError(
            f"draw_graph: collapse_modules must be 'auto', True/False or a nesting depth >= 1, "
            f"got {collapse_modules!r}"
        )
    if rankdir not in ("auto", "LR", "RL", "TB", "BT"):
        raise ValueError(
            f"draw_graph: rankdir must be one of auto, LR, RL, TB, BT, got {rankdir!r}")
    if not isinstance(max_values, int) or max_values < 0:
        raise ValueError(f"draw_graph: max_values must be an int >= 0, got {max_values!r}")


def draw_graph(tensor_or_tensors, show_values=True, show_grads=True, group_by_module=True,
               collapse_modules="auto", rankdir="auto", max_values=4,
               legend=True, group_loss=True) -> GraphDiagram:
    """The computation graph that produced one or more tensors, as a Graphviz diagram.

    Args:
        tensor_or_tensors: the output Tensor (e.g. the loss), a list of them, or a dict
            ``{title: tensor}`` that titles each output (``{"dy/dx": g1, "d2y/dx2": g2}``).
            Several outputs share the nodes they have in common. The graph of a gradient
            computed with ``create_graph=True`` (``x.grad`` or the result of
            ``tinygrad_edu.grad``) can be drawn like any other tensor: its ops are the
            backward rules.
        show_values: print the values of tensors with at most ``max_values`` elements (a
            min/max summary for larger ones).
        show_grads: print gradient summaries and colour tensors by gradient magnitude.
        group_by_module: draw each module's ops inside a box titled with the module's name;
            the ops of the loss (after the model, outside every module) get a ``loss`` box.
        collapse_modules: ``"auto"`` (default) collapses when the graph has more than
            ``graph_layout.AUTO_COLLAPSE`` nodes and modules to collapse, and says so under
            the picture; ``True`` draws each (innermost) module as one node with its in/out
            shapes and parameters; an int k collapses at nesting depth k; ``False`` never.
        rankdir: direction of the flow: ``"auto"`` (left to right for short graphs, top to
            bottom for long ones, wrapped into rows when collapsed), ``"LR"``, ``"TB"``,
            ``"RL"``, ``"BT"``.
        max_values: the most values printed per tensor.
        legend: put the legend (colours used, kinds of node) under the picture.
        group_loss: give the ops after the model (the loss) a box, or a node when collapsed,
            of their own (``False``: they stay loose, as ops outside any module).

    Returns:
        A :class:`~viz.graph_render.GraphDiagram` (a ``graphviz.Digraph``): shown inline in
        Jupyter; ``.source`` is the DOT text; ``viz.render_graph(dot, "graph.svg")``,
        ``.render()`` or ``.pipe(format="svg")`` draw it. ``.node_names`` maps the key of
        each tensor and op in :func:`walk_graph` (``id(obj)``) to the name of the DOT node
        that shows it (a collapsed module's node for its hidden members).
    """
    _check_arguments(collapse_modules, rankdir, max_values)
    roots = _as_roots(tensor_or_tensors)
    titles = ({id(t): str(title) for title, t in tensor_or_tensors.items()}
              if isinstance(tensor_or_tensors, dict) else {})
    walk = GraphWalk(roots)
    notes = []
    if collapse_modules == "auto":
        size = len(walk.tensors) + len(walk.ops)
        modular = any(node.module_path for node in walk.ops.values())
        collapse_modules = size > graph_layout.AUTO_COLLAPSE and modular
        if collapse_modules:
            notes.append(f"{len(walk.ops)} ops shown as one box per module")
            notes.append("(collapse_modules=False: every op)")
    layout = _Layout(walk, group_by_module, collapse_modules, group_loss)
    for key in titles:  # a titled result (dy/dx, d2y/dx2) is an output, not a loss
        layout.kind[key] = "output"
    members = graph_layout.module_members(walk, layout)
    edges = _edges(walk, layout)
    drawn = ([layout.node_id[k] for k in walk.tensors if k not in layout.group]
             + [layout.node_id[k] for k in walk.ops if k not in layout.group]
             + list(layout.group_id.values()))
    rank = graph_layout.ranks(drawn, [(a, b) for a, b, _ in edges])
    long_graph = max(rank.values(), default=0) + 1 > graph_layout.LONG_CHAIN
    wrap = rankdir == "auto" and long_graph and bool(layout.group)
    if wrap:
        layout.clustered = False  # rows of modules, read like text; no boxes across rows
    if rankdir == "auto":
        rankdir = "TB" if long_graph else "LR"
    dot = GraphDiagram(name="computation_graph", graph_attr={
        "rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11", "compound": "true",
        "nodesep": "0.25", "ranksep": "0.35"})
    dot.attr("node", fontname="Helvetica", fontsize="10", margin="0.08,0.04")
    dot.attr("edge", arrowsize="0.6", fontname="Helvetica", fontsize="9")
    clusters = {}
    kinds_drawn = set()

    def target(path):
        if path is None:
            return dot
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix not in clusters:
                cluster = graphviz.Digraph(name=f"cluster_{len(clusters)}")
                cluster.attr(label=parts[depth - 1], tooltip=prefix, style="rounded",
                             color="#7f7f7f", fontsize="11", labeljust="l")
                clusters[prefix] = cluster
        return clusters[path]

    tensor_magnitudes = {key: style.gradient_magnitude(t.grad) if show_grads else None
                         for key, t in walk.tensors.items() if key not in layout.group}
    module_magnitudes = {group: _parameter_magnitude(info["params"]) if show_grads else None
                         for group, info in members.items()}
    scale = style.ColourScale(list(tensor_magnitudes.values())
                              + list(module_magnitudes.values())) if show_grads else None
    for key, tensor in walk.tensors.items():
        if key in layout.group:
            continue
        kind = layout.kind[key]
        fill = scale.colour(tensor_magnitudes[key]) if scale else style.NO_GRAD_COLOUR
        label = style.tensor_label(tensor, kind, show_values, show_grads, max_values,
                                   name=titles.get(key))
        target(layout.cluster(key)).node(layout.node_id[key], label=label,
                                         **style.node_attributes(kind, fill))
        kinds_drawn.add(kind)
    for key, node in walk.ops.items():
        if key in layout.group:
            continue
        freed = key in walk.freed
        attributes = style.node_attributes("op")
        if freed:
            attributes["style"] = "dashed,filled"
        target(layout.cluster(key)).node(layout.node_id[key],
                                         label=style.op_label(node, freed), **attributes)
        kinds_drawn.add("op")
    if layout.group:
        _draw_modules(members, layout, target, module_magnitudes, scale, show_grads)
        kinds_drawn.add("module")
    if wrap:
        graph_layout.wrap_into_rows(dot, rank, edges)
    elif not layout.group:
        graph_layout.parameters_beside_their_ops(walk, layout, target)
    # Innermost boxes first: a subgraph is copied into its parent when attached.
    for path in sorted(clusters, key=lambda p: -p.count("/")):
        parent = _parent_path(path)
        (clusters[parent] if parent is not None else dot).subgraph(clusters[path])
    for source, destination, attributes in edges:
        dot.edge(source, destination, **attributes)
    if walk.freed:
        notes.append("Dashed ops were freed by backward();")
        notes.append("call backward(retain_graph=True) before drawing")
    label = style.legend_label(kinds_drawn if legend else (), scale if legend else None, notes)
    if label:
        dot.attr(label=label, labelloc="b", labeljust="l")
    if len(drawn) > LARGE_GRAPH:
        warnings.warn(
            f"draw_graph: {len(drawn)} nodes and {len(edges)} edges; Graphviz may take minutes "
            "to lay this out. Pass collapse_modules=True to draw one node per module.",
            stacklevel=2,
        )
    # Which drawn node shows each tensor and op (its own, or its collapsed module's), by the
    # keys of walk_graph(): lets a page built on the drawing find the objects in it.
    dot.node_names = {key: layout.display(key) for key in layout.node_id}
    return dot


def _draw_modules(members, layout: _Layout, target, magnitudes, scale, show_grads) -> None:
    """One node per collapsed module: op count, in/out shapes, parameters, gradient colour."""
    short = [group.rsplit("/", 1)[-1] for group in members]
    unique = len(set(short)) == len(short)  # else the full paths tell the modules apart
    for group, info in members.items():
        magnitude = magnitudes[group]
        title = group.rsplit("/", 1)[-1] if layout.clustered or unique else group
        label = style.module_label(title, info["ops"], info["in"], info["out"], info["params"],
                                   magnitude, show_grads)
        fill = scale.colour(magnitude) if scale else style.NO_GRAD_COLOUR
        box = _parent_path(group) if layout.clustered else None
        target(box).node(layout.group_id[group], label=label, tooltip=group,
                         **style.node_attributes("module", fill))


def _parameter_magnitude(parameters):
    """mean |g| over all elements of the parameters that have a gradient (None if none)."""
    total, count = 0.0, 0
    for tensor in parameters:
        magnitude = style.gradient_magnitude(tensor.grad)
        if magnitude is None:
            continue
        total += magnitude * tensor.size
        count += tensor.size
    return total / count if count else None


def _edges(walk: GraphWalk, layout: _Layout) -> list:
    """``(source, destination, attributes)``: tensor -> op for each input, op -> tensor for
    each output (deduplicated when collapsed)."""
    seen = set()
    collapsed = bool(layout.group)
    module_nodes = set(layout.group_id.values())
    edges = []
    for key in walk.ops:
        op_node = layout.display(key)
        output = walk.op_output[key]
        links = [(parent, layout.display(id(parent)), op_node) for parent in walk.op_inputs[key]]
        links.append((output, op_node, layout.display(id(output))))
        for tensor, source, destination in links:
            if source == destination:
                continue
            if collapsed:
                if (source, destination) in seen:
                    continue
                seen.add((source, destination))
            attributes = {}
            if source in module_nodes:  # out of a collapsed module: the tensor is hidden
                attributes["label"] = style.shape_text(tensor.shape)
            edges.append((source, destination, attributes))
    return edges
