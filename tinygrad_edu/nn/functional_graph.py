"""The graph of a functional model: which layer calls lead from its inputs to its outputs,
in an order that runs each one after the calls it depends on.

``Model(inputs, outputs)`` (``functional_model.py``) makes one :class:`FunctionalGraph`; this
file only finds and checks the graph, and runs it on real tensors. The order is found
without recursion (a deep network must not hit Python's recursion limit).
"""

from __future__ import annotations

from tinygrad_edu.nn.symbolic import SymbolicTensor, flatten, map_structure

__all__ = ["FunctionalGraph"]


def _describe(tensors) -> str:
    return ", ".join(f"{t.name} {t.shape}" for t in tensors)


def _check_symbolic(structure, who: str, what: str) -> list:
    leaves = flatten(structure)
    if not leaves:
        raise ValueError(f"{who}: {what} is empty; give at least one tensor")
    for leaf in leaves:
        if not isinstance(leaf, SymbolicTensor):
            raise TypeError(
                f"{who}: {what} must hold tensors made by Input(...) and layers called on "
                f"them, got {type(leaf).__name__}; e.g. x = Input(shape=(4,)); "
                "y = Dense(1)(x); Model(inputs=x, outputs=y)"
            )
    return leaves


class FunctionalGraph:
    """The nodes between ``inputs`` and ``outputs`` (each a tensor, a list or a dict), in
    running order.

    Attributes:
        inputs / outputs: the flat lists of symbolic tensors.
        input_structure / output_structure: as given (a tensor, a list or a dict).
        nodes: every layer call needed, inputs' first, each after what it needs.
        layers: the layers of those nodes, each once, in the same order.
    """

    def __init__(self, inputs, outputs, who: str):
        from tinygrad_edu.nn.input_layer import InputLayer

        self.input_structure, self.output_structure = inputs, outputs
        self.inputs = _check_symbolic(inputs, who, "inputs")
        self.outputs = _check_symbolic(outputs, who, "outputs")
        for tensor in self.inputs:
            if not isinstance(tensor.node.layer, InputLayer):
                raise ValueError(
                    f"{who}: every input must be a tensor returned by Input(...); "
                    f"{tensor!r} is the output of a layer. Pass the Input it was computed "
                    "from instead"
                )
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise ValueError(f"{who}: the same Input is given twice in inputs "
                             f"({_describe(self.inputs)})")
        self.nodes = [t.node for t in self.inputs] + self._running_order(who)
        self.layers = self._keras_layer_order()
        names = {}
        for layer in self.layers:
            other = names.setdefault(layer.name, layer)
            if other is not layer:
                raise ValueError(
                    f"{who}: two different layers are named {layer.name!r}; layer names in a "
                    "model must be unique (pass name=... to one of them)"
                )

    def _running_order(self, who: str) -> list:
        """Post-order walk back from the outputs, stopping at the model's inputs."""
        from tinygrad_edu.nn.input_layer import InputLayer

        input_ids = {id(t) for t in self.inputs}
        order, seen = [], set()
        stack = [(t, None) for t in reversed(self.outputs) if id(t) not in input_ids]
        while stack:
            tensor, finished = stack.pop()
            if finished is not None:
                order.append(finished)
                continue
            node = tensor.node
            if id(node) in seen:
                continue
            if isinstance(node.layer, InputLayer):
                raise ValueError(
                    f"{who}: the outputs cannot be computed from the inputs: they depend on "
                    f"the Input {tensor.name!r} {tensor.shape}, which is not among "
                    f"inputs=[{_describe(self.inputs)}]. Add it to inputs, or compute the "
                    "outputs from the given inputs"
                )
            seen.add(id(node))
            stack.append((None, node))
            for inbound in reversed(node.inbound_tensors()):
                if id(inbound) not in input_ids and id(inbound.node) not in seen:
                    stack.append((inbound, None))
        return order

    def _first_visits(self) -> dict:
        """id(layer) -> when a depth-first walk back from the outputs first reaches it."""
        input_ids = {id(t) for t in self.inputs}
        visits, seen = {}, set()
        stack = list(reversed(self.outputs))
        while stack:
            tensor = stack.pop()
            node = tensor.node
            if id(node) in seen:
                continue
            seen.add(id(node))
            visits.setdefault(id(node.layer), len(visits))
            if id(tensor) not in input_ids:
                stack.extend(reversed(node.inbound_tensors()))
        return visits

    def _keras_layer_order(self) -> list:
        """The layers as Keras orders ``model.layers`` (and so ``get_weights``): deepest
        first, the depth of a call being the longest path from it to an output (a shared
        layer takes its deepest call's); ties in the order a walk back from the outputs
        first meets them. Inputs no output uses come with depth 0."""
        visits = self._first_visits()
        node_depth, layer_depth, layers = {}, {}, {}
        for node in reversed(self.nodes):  # each node after every node that uses it
            depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
            layer_depth[id(node.layer)] = node_depth[id(node)] = depth
            layers[id(node.layer)] = node.layer
            if node.arguments is not None:
                for tensor in node.inbound_tensors():
                    parent = id(tensor.node)
                    node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
        return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)],
                                                          visits.get(id(layer), -1)))

    def node_index(self, node) -> int:
        """The node's position among its layer's calls inside this graph."""
        own = [n for n in node.layer._inbound_nodes if any(n is m for m in self.nodes)]
        return next(index for index, n in enumerate(own) if n is node)

    def inbound_layers(self, layer) -> list[str]:
        """``["dense[0][0]", ...]``: Keras's "Connected to" entries of ``layer`` here."""
        entries = []
        for node in self.nodes:
            if node.layer is layer and node.arguments is not None:
                for tensor in node.inbound_tensors():
                    if any(tensor.node is n for n in self.nodes):
                        entries.append(f"{tensor.node.layer.name}"
                                       f"[{self.node_index(tensor.node)}][{tensor.index}]")
        return entries

    def run(self, values: list):
        """The outputs (as structured) for ``values``, one tensor per input."""
        computed = {id(symbol): value for symbol, value in zip(self.inputs, values)}

        def value_of(leaf):
            return computed[id(leaf)] if isinstance(leaf, SymbolicTensor) else leaf

        for node in self.nodes:
            if node.arguments is None:  # an InputLayer: its value was given
                continue
            x, args, kwargs = map_structure(value_of, node.arguments)
            out = node.layer(x, *args, **kwargs)
            for symbol, value in zip(node.output_tensors(), flatten(out)):
                computed[id(symbol)] = value
        return map_structure(value_of, self.output_structure)
