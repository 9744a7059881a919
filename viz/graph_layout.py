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

__all__ = ["AUTO_COLLAPSE", "LONG_CHAIN", "loss_ops", "ranks", "wrap_columns", "rows"]

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
