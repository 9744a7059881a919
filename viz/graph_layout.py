"""How a computation graph is arranged on the page, before Graphviz places the nodes.

Graphviz's ``dot`` puts every node on a *rank* (a column when the flow goes left to right)
and never wraps: a chain of 130 layers becomes one row 30,000 points long, and a small MLP
drawn left to right becomes a wide staircase. The choices made here keep pictures readable:

- **Auto-collapse.** Above :data:`AUTO_COLLAPSE` drawn nodes, a graph that has modules is
  drawn one node per module (``draw_graph`` says so under the picture).
- **Direction.** Short graphs flow left to right; graphs with more than
  :data:`LONG_CHAIN` ranks flow top to bottom, which a notebook scrolls instead of shrinking.
- **Wrapping.** A collapsed graph longer than :data:`LONG_CHAIN` ranks is cut into rows of
  ``columns`` ranks each (``rank=same`` groups), read like text: a grid about as wide as tall.
- **Parameters beside their op.** A weight or bias is put on the same rank as the op that
  uses it, so each layer takes 3 ranks instead of 5 and the main path stays straight.
- **The loss.** Ops outside every module that come after the model (the loss function) are
  grouped as a pseudo-module ``loss``.
"""

from __future__ import annotations

import math

__all__ = ["AUTO_COLLAPSE", "LONG_CHAIN", "loss_ops", "module_members",
           "parameters_beside_their_ops", "ranks", "rows", "wrap_columns", "wrap_into_rows"]

#: more drawn nodes than this (with modules in the graph): collapse modules by default
AUTO_COLLAPSE = 60
#: more ranks than this: flow top to bottom, and wrap a collapsed chain into rows
LONG_CHAIN = 8
#: the page space one collapsed module takes, in points (label of ~5 lines + spacing)
MODULE_WIDTH, MODULE_HEIGHT = 190.0, 120.0


def loss_ops(walk) -> set:
    """Ids of the ops outside every module computed from a module's output (the loss)."""
    in_module = {key for key, node in walk.ops.items() if node.module_path}
    if not in_module:
        return set()
    after_model, found = set(in_module), set()
    for key in _topological(walk):
        if key in in_module:
            continue
        if any(id(parent.grad_fn) in after_model for parent in walk.op_inputs[key]
               if parent.grad_fn is not None):
            after_model.add(key)
            found.add(key)
    return found


def _topological(walk) -> list:
    """Op ids, every op after the ops that made its inputs (iterative Kahn's algorithm)."""
    waiting = {key: 0 for key in walk.ops}
    users = {key: [] for key in walk.ops}
    for key in walk.ops:
        for parent in walk.op_inputs[key]:
            producer = parent.grad_fn
            if producer is not None and id(producer) in waiting:
                waiting[key] += 1
                users[id(producer)].append(key)
    ready = [key for key, count in waiting.items() if count == 0]
    order = []
    while ready:
        key = ready.pop()
        order.append(key)
        for user in users[key]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return order


def ranks(nodes, edges) -> dict:
    """The rank of each drawn node: the longest path to it from a source, with sources
    placed just before their first consumer (data and labels sit where they are used)."""
    incoming = {node: [] for node in nodes}
    outgoing = {node: [] for node in nodes}
    for source, destination in edges:
        if source in incoming and destination in incoming:
            incoming[destination].append(source)
            outgoing[source].append(destination)
    waiting = {node: len(incoming[node]) for node in nodes}
    ready = [node for node in nodes if waiting[node] == 0]
    rank = dict.fromkeys(ready, 0)
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for user in outgoing[node]:
            rank[user] = max(rank.get(user, 0), rank[node] + 1)
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    for node in nodes:
        rank.setdefault(node, 0)  # on a cycle (cannot happen in an autograd graph)
        if not incoming[node] and outgoing[node]:
            rank[node] = max(min(rank[user] for user in outgoing[node]) - 1, 0)
    return rank


def wrap_columns(rank_count: int) -> int:
    """Ranks per row so that the wrapped grid of modules is about as wide as it is tall."""
    return max(int(math.ceil(math.sqrt(rank_count * MODULE_HEIGHT / MODULE_WIDTH))), 2)


def rows(rank: dict, columns: int) -> list[list]:
    """The drawn nodes cut into rows of ``columns`` consecutive ranks."""
    grouped = {}
    for node, value in rank.items():
        grouped.setdefault(value // columns, []).append(node)
    return [grouped[index] for index in sorted(grouped)]


def wrap_into_rows(dot, rank: dict, edges: list) -> None:
    """Rows of consecutive ranks, one under the other, each read left to right: an edge from
    one row to the next does not pull the rows into a staircase (``constraint=false``); an
    invisible edge between the rows' first nodes keeps them stacked and left-aligned."""
    columns = wrap_columns(max(rank.values()) + 1)
    grid = rows(rank, columns)
    row_of = {node: index for index, row in enumerate(grid) for node in row}
    for index, row in enumerate(grid):
        with dot.subgraph(name=f"rank_row_{index}") as same:
            same.attr(rank="same")
            for node_id in sorted(row, key=rank.get):
                same.node(node_id)
    for source, destination, attributes in edges:
        if row_of[source] != row_of[destination]:
            attributes["constraint"] = "false"
    firsts = [min(row, key=rank.get) for row in grid]
    for upper, lower in zip(firsts, firsts[1:]):
        dot.edge(upper, lower, style="invis", weight="10")


def parameters_beside_their_ops(walk, layout, target) -> None:
    """Put each weight on the rank of the one op that uses it: the main path stays straight
    and every layer takes two ranks fewer."""
    for key in walk.tensors:
        consumers = walk.consumers.get(key, [])
        if layout.kind[key] != "parameter" or len(consumers) != 1:
            continue
        op_key = id(consumers[0])
        if layout.cluster(op_key) != layout.cluster(key):
            continue
        with target(layout.cluster(key)).subgraph(name=f"rank_{layout.node_id[key]}") as same:
            same.attr(rank="same")
            same.node(layout.node_id[key])
            same.node(layout.node_id[op_key])


def module_members(walk, layout) -> dict:
    """Per collapsed module: op count, in/out shapes and parameters."""
    members = {group: {"ops": 0, "in": [], "out": [], "params": []} for group in layout.group_id}
    for key in walk.ops:
        group = layout.group.get(key)
        if group is None:
            continue
        info = members[group]
        info["ops"] += 1
        for parent in walk.op_inputs[key]:
            if layout.group.get(id(parent)) != group and parent.shape not in info["in"]:
                info["in"].append(parent.shape)
    for key, tensor in walk.tensors.items():
        group = layout.group.get(key)
        if group is None:
            producer = tensor.grad_fn
            source = layout.group.get(id(producer)) if producer is not None else None
            if source is not None and tensor.shape not in members[source]["out"]:
                members[source]["out"].append(tensor.shape)  # a root made inside a module
            continue
        if layout.kind[key] == "parameter":
            members[group]["params"].append(tensor)
        outside = any(layout.group.get(id(op)) != group for op in walk.consumers.get(key, []))
        if outside and tensor.shape not in members[group]["out"]:
            members[group]["out"].append(tensor.shape)
    return members
