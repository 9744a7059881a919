"""What the step-through page shows, as plain data: every tensor and op of a graph, the forward
steps in creation order and the backward steps in the engine's order.

The gradients are the engine's own: :func:`tinygrad_edu.grad` is asked for dL/dt of every
tensor of the graph (leaves and intermediates; nothing is written into ``.grad``). The
order is :func:`tinygrad_edu.autograd.backward_order`, the order ``backward()`` runs the
rules. What one rule sends to each input (the number in the side panel) is that node's
``backward`` called again on the gradient its output received, summed back to the input's
shape by :func:`tinygrad_edu.autograd.unbroadcast`, exactly as the engine does; a tensor
used twice receives two such contributions, and their sum is its gradient.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.autograd import backward_order, no_grad, unbroadcast
from tinygrad_edu.trace import EXPLODING_RATIO, VANISHING_RATIO
from viz.explorer.rules import SMALL_TENSOR, derivative, forward_text, rule_text, values_text
from viz.graph import walk_graph

__all__ = ["graph_data", "array_summary", "FULL_VALUES", "HISTOGRAM_BINS"]

#: tensors with at most this many elements embed every value (a table in the page)
FULL_VALUES = 64
#: bars of the histogram shown for larger tensors
HISTOGRAM_BINS = 20


def json_number(value):
    """A float for JSON (7 significant digits, float32's precision); NaN and inf as text."""
    value = float(value)
    if math.isfinite(value):
        return float(f"{value:.7g}")
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def array_summary(array) -> dict:
    """Shape, dtype, and every value (small arrays) or statistics and a histogram (large
    ones)."""
    values = np.asarray(array)
    summary = {"shape": list(values.shape), "dtype": str(values.dtype)}
    if values.dtype.kind not in "biuf" or values.size == 0:
        return summary
    wide = values.astype(np.float64)
    if values.size <= FULL_VALUES:  # the page computes the statistics of these itself
        summary["values"] = [json_number(v) for v in wide.ravel()]
        return summary
    finite = wide[np.isfinite(wide)]
    stats = {"nonfinite": int(values.size - finite.size)}
    if finite.size:
        stats.update(min=finite.min(), max=finite.max(), mean=finite.mean(), std=finite.std(),
                     mean_abs=np.abs(finite).mean(), norm=np.sqrt(np.sum(finite * finite)))
    summary["stats"] = {key: json_number(v) if key != "nonfinite" else v
                        for key, v in stats.items()}
    if finite.size:
        counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
        summary["histogram"] = {"counts": counts.tolist(),
                                "edges": [json_number(e) for e in edges]}
    return summary


def _kind(tensor, is_root: bool) -> str:
    if is_root:
        return "loss" if tensor.size == 1 else "output"
    if tensor.grad_fn is not None:
        return "intermediate"
    if getattr(tensor, "trainable", None) is not None:
        return "parameter"
    return "leaf" if tensor.requires_grad else "constant"


def engine_gradients(roots, tensors) -> dict:
    """dL/dt for every tensor that requires grad, L being the sum of the roots' elements."""
    wanted = [t for t in tensors if t.requires_grad]
    sources = [root for root in roots if root.requires_grad]
    if not wanted or not sources:
        return {}
    seeds = [tg.Tensor(np.ones(root.shape, dtype=root.dtype)) for root in sources]
    found = tg.grad(sources, wanted, grad_outputs=seeds, retain_graph=True, allow_unused=True)
    return {t: g for t, g in zip(wanted, found) if g is not None}


def _contributions(node, grad_out):
    """What ``node``'s backward rule sends to each input (None: that input takes none)."""
    with no_grad():
        sent = node.backward(grad_out)
    sent = sent if isinstance(sent, tuple) else (sent,)
    result = []
    for tensor, grad in zip(node.inputs, sent):
        if grad is None or not tensor.requires_grad:
            result.append(None)
        else:
            result.append(unbroadcast(grad, tensor.shape).data.astype(tensor.dtype, copy=False))
    return result


def _sum_text(symbol_name: str, parts) -> str:
    total = values_text(np.sum(parts, axis=0))
    head = f"{derivative(symbol_name)} = sum of its {len(parts)} contributions"
    if all(np.asarray(p).size <= SMALL_TENSOR for p in parts):
        terms = " + ".join(f"({t})" if t.startswith("-") else t for t in map(values_text, parts))
        return f"{head} = {terms} = {total}"
    return f"{head} = {total}"


def _flags(tensors, records, grads, order_position) -> None:
    """The vanishing/exploding flag of each tensor (the thresholds of GradientTracer)."""
    reference = {}  # parameter name suffix -> (first use in backward, gradient norm, name)
    for tensor, record in zip(tensors, records):
        grad = grads.get(tensor)
        if grad is None:
            continue
        values = grad.data.astype(np.float64)
        if not np.all(np.isfinite(values)):
            record["flag"] = "exploding: the gradient holds NaN or inf"
            continue
        if values.size and not np.any(values):
            record["flag"] = "zero: no gradient reaches this tensor (e.g. dead ReLUs)"
        if record["kind"] == "parameter":
            suffix = (tensor.name or "").rsplit(".", 1)[-1]
            first = order_position.get(tensor, math.inf)
            norm = float(np.sqrt(np.sum(values * values)))
            if suffix not in reference or first < reference[suffix][0]:
                reference[suffix] = (first, norm, tensor.name)
    for tensor, record in zip(tensors, records):
        grad = grads.get(tensor)
        if record["kind"] != "parameter" or grad is None or record["flag"]:
            continue
        _, ref_norm, ref_name = reference[(tensor.name or "").rsplit(".", 1)[-1]]
        if ref_name == tensor.name or ref_norm == 0:
            continue
        values = grad.data.astype(np.float64)
        ratio = float(np.sqrt(np.sum(values * values))) / ref_norm
        if ratio < VANISHING_RATIO:
            record["flag"] = (f"vanishing: ||g|| is {ratio:.2g} times that of {ref_name} "
                              f"(nearest the loss), below {VANISHING_RATIO:g}")
        elif ratio > EXPLODING_RATIO:
            record["flag"] = (f"exploding: ||g|| is {ratio:.2g} times that of {ref_name} "
                              f"(nearest the loss), above {EXPLODING_RATIO:g}")


def _consumers_module(consumers):
    """The module a leaf belongs to: the one all the ops that use it ran in (or None)."""
    paths = {node.module_path for node in consumers}
    return paths.pop() if len(paths) == 1 else None


def _doc(op_class) -> str:
    return inspect.cleandoc(op_class.__doc__ or "").split("\n\n")[0].replace("``", "")


def graph_data(roots, labels=None):
    """Everything the page needs about the graph behind ``roots``.

    Args:
        roots: the output tensors.
        labels: a title for each root (``"dy/dx"``), or None to use its name.

    Returns:
        ``(data, walk, gradients)``: the JSON-ready dict, the :class:`viz.graph.GraphWalk`
        and the engine's gradient of every tensor (a dict tensor -> Tensor).
    """
    walk = walk_graph(roots)
    order = backward_order(roots)  # raises a clear error when backward() freed the graph
    tensors = list(walk.tensors.values())
    grads = engine_gradients(roots, tensors)
    tensor_index = {id(t): k for k, t in enumerate(tensors)}
    op_list = list(walk.ops.values())
    op_index = {id(node): k for k, node in enumerate(op_list)}
    root_ids = {id(r): label for r, label in zip(roots, labels or [None] * len(roots))}

    records = []
    for tensor in tensors:
        is_root = id(tensor) in root_ids
        producer = tensor.grad_fn
        records.append({
            "name": root_ids.get(id(tensor)) or tensor.name or "",
            "kind": _kind(tensor, is_root),
            "module": (producer.module_path if producer is not None
                       else _consumers_module(walk.consumers.get(id(tensor), []))),
            "producer": op_index.get(id(producer)) if producer is not None else None,
            "value": array_summary(tensor.data),
            "grad": array_summary(grads[tensor].data) if tensor in grads else None,
            "value_step": 0, "grad_step": 0 if is_root and tensor in grads else None,
            "flag": ""})
    ops, docs = [], {}  # docs: one per kind of op
    for node in op_list:
        output = walk.op_output[id(node)]
        docs.setdefault(node.name, _doc(type(node)))
        ops.append({"name": node.name, "module": node.module_path,
                    "inputs": [tensor_index[id(t)] for t in node.inputs],
                    "output": tensor_index[id(output)], "text": forward_text(node, output)})
    forward = [op_index[id(node)] for node in reversed(order)]
    for step, k in enumerate(forward, start=1):
        records[ops[k]["output"]]["value_step"] = step

    received = {}  # tensor index -> contributions, in backward order
    backward, order_position = [], {}
    for step, node in enumerate(order, start=1):
        k = op_index[id(node)]
        output = walk.op_output[id(node)]
        entry = {"op": k, "grad_in": None, "rules": [], "sums": []}
        backward.append(entry)
        grad_out = grads.get(output)
        if grad_out is None:
            continue
        entry["grad_in"] = values_text(grad_out.data)
        for index, (tensor, sent) in enumerate(zip(node.inputs, _contributions(node, grad_out))):
            order_position.setdefault(tensor, step)
            text = rule_text(node, index, output, grad_out.data, sent)
            entry["rules"].append({"input": tensor_index[id(tensor)], "text": text})
            if sent is not None:
                received.setdefault(tensor_index[id(tensor)], []).append((step, sent))
    for t, parts in received.items():
        last_step = parts[-1][0]
        records[t]["grad_step"] = last_step
        if len(parts) > 1:
            producer = records[t]["producer"]
            name = records[t]["name"] or f"output of {ops[producer]['name']}"
            backward[last_step - 1]["sums"].append(
                {"tensor": t, "text": _sum_text(name, [p for _, p in parts])})
    _flags(tensors, records, grads, order_position)
    data = {"tensors": records, "ops": ops, "docs": docs, "forward": forward,
            "backward": backward}
    return data, walk, grads
