"""The engine: walking the graph backwards from the outputs to the leaves.

:func:`run_backward` is the loop behind ``Tensor.backward()`` and :func:`grad`. It orders the
graph iteratively (no recursion, so a 100,000-op chain is fine), sums the gradients of tensors
used more than once, reduces broadcast gradients back to each input's shape in one place
(:func:`unbroadcast`), checks saved values for in-place changes (and, under
``detect_anomaly``, every gradient for NaN and inf), and frees the graph unless asked to keep it.
"""

from __future__ import annotations

import re
from heapq import heappop, heappush

import numpy as np

from tinygrad_edu.autograd.grad_mode import state
from tinygrad_edu.autograd.hooks import _deliver, _run_hooks

__all__ = ["run_backward", "unbroadcast", "grad", "backward_order", "derivative_name"]

_make_tensor = None  # set by tensor.py: fast constructor for a graph-free Tensor
_tensor_class = None  # set by tensor.py
_sum_op = None  # the Sum op, set by tensor.py once the ops exist (they sit above the engine)


def unbroadcast(grad_tensor, shape: tuple):
    """Sum a gradient back to the shape of the input it belongs to.

    Forward broadcasting copies an input along new leading axes and along axes of size 1; the
    chain rule then *adds* the gradients of all the copies. This is the one place where that
    rule lives: the engine calls it for every op, so no backward rule repeats it.

    Written with Tensor ops (``sum``, ``reshape``), so it is itself differentiable.
    """
    if grad_tensor.shape == shape:
        return grad_tensor
    extra = grad_tensor.ndim - len(shape)
    if extra:  # new leading axes: sum them away
        grad_tensor = _sum_op.apply(grad_tensor, axis=tuple(range(extra)), keepdims=False)
        if grad_tensor.data.shape == shape:  # the usual case, a bias: nothing else to do
            return grad_tensor
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad_tensor.shape[i] != 1)
    if stretched:  # axes of size 1 that were repeated: sum, keeping them
        grad_tensor = _sum_op.apply(grad_tensor, axis=stretched, keepdims=True)
    return grad_tensor


def _freed_error(node) -> RuntimeError:
    return RuntimeError(
        f"backward: the graph through {node.name} was already freed by an earlier backward(). "
        "Pass retain_graph=True to the first backward() to run it again, or recompute the "
        "forward pass."
    )


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, capture=None):
    """The engine: propagate ``root_grads`` from ``roots`` to every tensor that needs one.

    Order: ops run their backward in reverse order of creation (each node's ``_seq``).
    Creation order is a topological order (an op's inputs exist before it), so when an op's
    turn comes, every op that used its output has already sent its gradient: the gradient is
    complete. A heap holds the ops that have received a gradient and are waiting; the graph is
    never walked recursively, so a 100,000-op chain is fine. Leaves come last.

    Args:
        roots: output tensors.
        root_grads: dL/d(root) for each root, as Tensors of the roots' shapes.
        retain_graph: keep the graph so backward can run through it again.
        create_graph: record the backward ops themselves (for higher-order gradients).
        capture: for :func:`grad`: a set of tensors whose gradient is returned instead of being
            accumulated into ``.grad``. ``None`` means: accumulate into leaves' ``.grad``.

    Returns:
        dict tensor -> gradient Tensor for the captured tensors (empty when ``capture`` is None).
    """
    # Keyed by the tensor itself: a Tensor hashes by identity (its == builds a boolean tensor,
    # but a dict compares keys by identity first, and distinct tensors never share a hash).
    grads: dict = {}  # tensor -> its gradient so far
    # Heap of (-node._seq, tensor): the newest op first. Every node has its own _seq, so two
    # entries never tie and the tensors themselves are never compared.
    waiting: list = []
    leaves: list = []
    # A gradient object handed to a leaf's .grad must not be handed to another one too.
    handed_out = set(root_grads)  # tensors, by identity like the keys of `grads`
    captured = {}
    saved_mode = state.grad_enabled
    state.grad_enabled = create_graph
    anomaly = state.anomaly  # set by a context manager around the whole backward call
    try:
        incoming = zip(roots, root_grads)  # (tensor, a gradient contribution) pairs to take in
        while True:
            for parent, parent_grad in incoming:
                if parent_grad is None or not parent._requires_grad:
                    continue
                parent_data = parent.data
                grad_data = parent_grad.data
                if grad_data.shape != parent_data.shape:
                    parent_grad = unbroadcast(parent_grad, parent_data.shape)
                dtype = parent_data.dtype
                # `is not` first: arrays of one dtype almost always share one dtype object.
                if grad_data.dtype is not dtype and grad_data.dtype != dtype:
                    parent_grad = parent_grad.astype(dtype)
                previous = grads.get(parent)
                if previous is not None:  # used more than once: the contributions add up
                    grads[parent] = previous + parent_grad
                    continue
                grads[parent] = parent_grad  # its first contribution: queue its op (or the leaf)
                parent_node = parent._ctx
                if parent_node is None:
                    leaves.append(parent)
                elif parent_node.inputs is None:  # released by an earlier backward
                    raise _freed_error(parent_node)
                else:
                    heappush(waiting, (-parent_node._seq, parent))
            if not waiting:
                break
            tensor = heappop(waiting)[1]
            grad_out = grads.pop(tensor)  # complete: every op that used this tensor has run
            # Rare cases, tested here so that the common path makes no extra call.
            if tensor._hooks or tensor._retains_grad or capture is not None:
                grad_out = _deliver(tensor, grad_out, capture, captured)
            node = tensor._ctx
            if create_graph and not node.differentiable_twice:
                raise RuntimeError(
                    f"{node.name}: this fused op computes its backward with raw numpy and "
                    "cannot be differentiated twice. Use the unfused composition instead."
                )
            if node._stamp != state.version_clock:
                _check_versions(node)
            input_grads = node.backward(grad_out)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if anomaly:
                _check_finite(node, input_grads)
            incoming = zip(node.inputs, input_grads)
            if not retain_graph:
                node._release()
        for leaf in leaves:
            grad_out = grads.pop(leaf)
            if leaf._hooks:
                grad_out = _run_hooks(leaf, grad_out)
            if capture is not None:
                if leaf in capture:
                    captured[leaf] = grad_out
                continue
            if grad_out in handed_out:
                grad_out = _make_tensor(grad_out.data.copy())
            handed_out.add(grad_out)
            leaf.grad = grad_out if leaf.grad is None else leaf.grad + grad_out
    finally:
        state.grad_enabled = saved_mode
    return captured


def backward_order(outputs) -> list:
    """The graph's nodes in the order ``backward()`` runs their rules: the newest op first.

    This is the engine's own order (:func:`run_backward` takes the node created last from
    its heap each time), so a step-by-step view of backpropagation can follow it exactly.
    Reversed, it is the order in which the forward pass created the ops.

    Args:
        outputs: a Tensor or a sequence of Tensors (the roots of the graph).

    Returns:
        The :class:`Function` nodes reachable from the outputs, newest first.

    >>> from tinygrad_edu import Tensor
    >>> x = Tensor(2.0, requires_grad=True)
    >>> y = (x * 3).exp()
    >>> [node.name for node in backward_order(y)]
    ['Exp', 'Mul']
    """
    stack = [outputs] if isinstance(outputs, _tensor_class) else list(outputs)
    seen, nodes = set(), []
    while stack:  # iterative: a 100,000-op chain is fine
        node = stack.pop()._ctx
        if node is None or node in seen:
            continue
        if node.inputs is None:
            raise _freed_error(node)
        seen.add(node)
        nodes.append(node)
        stack.extend(node.inputs)
    nodes.sort(key=lambda node: -node._seq)
    return nodes


def derivative_name(output_name, input_name):
    """The name of d(output)/d(input): ``dy/dx``, and ``d2y/dx2`` for the derivative of
    ``dy/dx`` by ``x`` again. None when either name is missing.

    >>> derivative_name("y", "x"), derivative_name("dy/dx", "x"), derivative_name("dy/dx", "w")
    ('dy/dx', 'd2y/dx2', 'd(dy/dx)/dw')
    """
    if not output_name or not input_name:
        return None
    match = re.fullmatch(r"d(\d*)(.+)/d(.+?)(\d*)", output_name)
    if match and match.group(3) == input_name and match.group(1) == match.group(4):
        order = int(match.group(1) or 1) + 1
        return f"d{order}{match.group(2)}/d{input_name}{order}"
    if "/" in output_name or " " in output_name:
        output_name = f"({output_name})"  # d(dy/dx)/dw, not ddy/dx/dw
    return f"d{output_name}/d{input_name}"


def _check_versions(node) -> None:
    """Refuse to run a backward rule whose saved values were changed in place since forward."""
    changed = None
    if node.saves_inputs:
        for index, t in enumerate(node.inputs):
            if t._version > node._stamp:
                changed = f"input {index} (shape {t.shape})"
    output = node.output
    if output is not None and output._version > node._stamp:
        changed = f"its output (shape {output.shape})"
    if changed:
        raise RuntimeError(
            f"backward: {changed} of {node.name} was modified in place after the forward pass, "
            "but its backward rule needs the original values. Modify a copy instead "
            "(x = x + 1 rather than x += 1), or do the in-place change after backward()."
        )


def _check_finite(node, input_grads) -> None:
    for index, g in enumerate(input_grads):
        if g is not None and not np.all(np.isfinite(g.data)):
            bad = "NaN" if np.isnan(g.data).any() else "inf"
            where = ""
            if node.created_at:
                frames = [f for f in node.created_at if "tinygrad_edu" not in f.filename]
                frame = (frames or node.created_at)[-1]
                where = (f"\nThe forward op was created at {frame.filename}:{frame.lineno}\n"
                         f"    {frame.line}")
            module = f" in {node.module_path}" if node.module_path else ""
            raise FloatingPointError(
                f"detect_anomaly: the backward of {node.name}{module} returned {bad} in its "
                f"gradient for input {index}.{where}"
            )


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of stored.

    Unlike ``backward()``, nothing is accumulated into ``.grad``.

    Args:
        outputs: a Tensor or a sequence of Tensors.
        inputs: a Tensor or a sequence of Tensors that require grad.
        grad_outputs: upstream gradients (default: ones, only for scalar outputs).
        retain_graph: keep the graph (defaults to ``create_graph``).
        create_graph: record the gradient computation so it can be differentiated again.
        allow_unused: return ``None`` for an input the outputs do not depend on, instead of
            raising.

    Returns:
        A tuple with one gradient Tensor (or None) per input. When the output and an input
        have names, the gradient is named after them (:func:`derivative_name`: ``dy/dx``).

    >>> from tinygrad_edu import Tensor, grad
    >>> x = Tensor(3.0, requires_grad=True)
    >>> (dy,) = grad(x ** 3, x, create_graph=True)   # 3 x^2 = 27
    >>> (d2y,) = grad(dy, x)                          # 6 x = 18
    >>> float(dy.item()), float(d2y.item())
    (27.0, 18.0)
    """
    outputs = [outputs] if isinstance(outputs, _tensor_class) else list(outputs)
    single_input = isinstance(inputs, _tensor_class)
    inputs = [inputs] if single_input else list(inputs)
    for index, t in enumerate(inputs):
        if not t.requires_grad:
            raise ValueError(f"grad: input {index} (shape {t.shape}) does not require grad")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, _tensor_class):
        grad_outputs = [grad_outputs]
    root_grads = [_root_grad(out, g, "grad") for out, g in zip(outputs, grad_outputs)]
    if retain_graph is None:
        retain_graph = create_graph
    roots = [out for out in outputs if out.requires_grad]
    root_grads = [g for out, g in zip(outputs, root_grads) if out.requires_grad]
    captured = run_backward(roots, root_grads, retain_graph, create_graph,
                            capture=set(inputs))
    results = []
    for index, t in enumerate(inputs):
        g = captured.get(t)
        if g is None and not allow_unused:
            raise ValueError(
                f"grad: input {index} (shape {t.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        if g is not None and g.name is None and len(outputs) == 1:
            g.name = derivative_name(outputs[0].name, t.name)  # e.g. "dy/dx"
        results.append(g)
    return tuple(results)


def _root_grad(output, given, who: str):
    """The starting gradient dL/d(output): ones for a scalar, else it must be given."""
    if given is None:
        if output.size != 1:
            raise ValueError(
                f"{who}: output has shape {output.shape}; a gradient can only be created "
                "implicitly for a single-element output. Pass the upstream gradient "
                "(e.g. out.backward(Tensor(np.ones(out.shape))) or reduce with .sum()/.mean())."
            )
        # dL/dL = 1. np.array and a reshape cost a third of np.ones, a Python function.
        return _make_tensor(np.array(1, dtype=output.data.dtype).reshape(output.data.shape))
    if not isinstance(given, _tensor_class):
        given = _tensor_class(given, dtype=output.data.dtype)
    if given.shape != output.shape:
        raise ValueError(
            f"{who}: the upstream gradient has shape {given.shape} but the output has shape "
            f"{output.shape}; they must match"
        )
    return given
