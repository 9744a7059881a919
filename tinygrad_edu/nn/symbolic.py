"""Symbolic tensors: what ``Input(...)`` returns and what a layer returns when called on one.

A symbolic tensor has a shape (batch axis ``None``) and a dtype, but no values. Calling a
layer on it computes nothing: the layer is built for the shape, a :class:`Node` records
"this layer was called on these tensors", and new symbolic tensors stand for its outputs.
``Model(inputs, outputs)`` then walks the nodes back from the outputs to find the graph it
runs on real data (``tinygrad_edu/nn/functional_model.py``).

The output shape is learned by running the layer once on a tiny batch of zeros, in
inference mode, without recording a graph or firing hooks: every layer then has a correct
shape without writing a ``compute_output_shape``. Axes given as ``None`` (any length) are
probed with two lengths; an output axis that follows them is ``None`` too.

>>> from tinygrad_edu.nn import Dense, Input
>>> x = Input(shape=(3,), name="features")
>>> y = Dense(4, name="hidden")(x)
>>> y
<SymbolicTensor shape=(None, 4) dtype=float32 from hidden (Dense)>
>>> y.node.layer.built, y.node.inbound_tensors()[0] is x
(True, True)
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.autograd import no_grad

__all__ = ["SymbolicTensor", "Node", "is_symbolic", "map_structure", "flatten", "call_symbolic",
           "layer_end"]


class SymbolicTensor:
    """A placeholder for a batch of values of ``shape`` (batch axis first, ``None``).

    Attributes:
        shape: the shape, batch axis included (``None`` where any size fits).
        dtype: the dtype name of the values (``"float32"``).
        node: the :class:`Node` that made it (an ``InputLayer``'s for an ``Input``).
        index: which output of that node it is.
    """

    def __init__(self, shape, dtype="float32", node=None, index=0):
        self.shape = tuple(None if n is None else int(n) for n in shape)
        self.dtype = str(np.dtype(dtype))
        self.node = node
        self.index = index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def name(self) -> str:
        return self.node.layer.name if self.node is not None else "symbolic"

    def __repr__(self):
        source = ""
        if self.node is not None:
            source = f" from {self.node.layer.name} ({type(self.node.layer).__name__})"
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype}{source}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self!r} has no values: it stands for the data a model will get. Build the "
            "model with Model(inputs, outputs) and call it (or predict) on real arrays"
        )

    def _refuse_operator(self, *args):
        raise TypeError(
            f"{self!r}: arithmetic on symbolic tensors is done by layers here; a + b, a - b "
            "and a * b of two symbolic tensors work (as Add, Subtract and Multiply layers); "
            "for anything else (a number, a division) wrap the computation in a layer"
        )

    def _merged(self, other, layer_name, reflected=False):
        """``a + b`` etc. of two symbolic tensors, recorded as the matching merge layer."""
        if not isinstance(other, SymbolicTensor):
            self._refuse_operator()
        from tinygrad_edu.nn import merge  # merge layers are Modules, built on this file

        pair = [other, self] if reflected else [self, other]
        return getattr(merge, layer_name)()(pair)

    def __add__(self, other):
        return self._merged(other, "Add")

    def __sub__(self, other):
        return self._merged(other, "Subtract")

    def __mul__(self, other):
        return self._merged(other, "Multiply")

    def __radd__(self, other):
        return self._merged(other, "Add", reflected=True)

    def __rsub__(self, other):
        return self._merged(other, "Subtract", reflected=True)

    def __rmul__(self, other):
        return self._merged(other, "Multiply", reflected=True)

    __truediv__ = __rtruediv__ = __matmul__ = __neg__ = __pow__ = _refuse_operator
    __getitem__ = _refuse_operator
    __bool__ = _refuse_operator  # `if x:` on a placeholder is a mistake, not a test


class Node:
    """One call of a layer in a symbolic graph: the arguments (with symbolic tensors in
    them) and the symbolic outputs. A layer called twice has two nodes, and shares its
    weights between them."""

    def __init__(self, layer, arguments, outputs):
        self.layer = layer
        self.arguments = arguments  # (x, args, kwargs), with SymbolicTensors inside
        self.outputs = outputs      # a SymbolicTensor, or a list/tuple of them

    @property
    def index(self) -> int:
        """Position of this node among the layer's calls (Keras's node index)."""
        return self.layer._inbound_nodes.index(self)

    def inbound_tensors(self) -> list:
        return [item for item in flatten(self.arguments) if isinstance(item, SymbolicTensor)]

    def output_tensors(self) -> list:
        return flatten(self.outputs)


# ----- nested structures (a tensor, or lists/tuples/dicts of them) ---------------------------
def flatten(structure) -> list:
    """The leaves of nested lists, tuples and dicts, in order; a dict's in the order of its
    sorted keys, as Keras 3 orders them (``{"kind": k, "diff": d}`` gives ``[d, k]``)."""
    leaves, stack = [], [structure]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(item[key] for key in reversed(sorted(item)))
        else:
            leaves.append(item)
    return leaves


def map_structure(function, structure):
    """``structure`` with every leaf replaced by ``function(leaf)``, leaves visited in the
    order of :func:`flatten`."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(function, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(function, structure[key]) for key in sorted(structure)}
    return function(structure)


def is_symbolic(structure) -> bool:
    """Whether any leaf of ``structure`` is a :class:`SymbolicTensor`."""
    if isinstance(structure, SymbolicTensor):
        return True
    if isinstance(structure, (list, tuple, dict)):
        return any(isinstance(leaf, SymbolicTensor) for leaf in flatten(structure))
    return False


# ----- calling a layer on symbolic tensors ---------------------------------------------------
def _shape_of(x):
    return map_structure(lambda t: t.shape if isinstance(t, SymbolicTensor) else None, x)


def _probe(layer, arguments, size: int):
    """Run ``layer`` on zeros shaped like the symbolic arguments (None axes -> ``size``)."""
    from tinygrad_edu.nn.shapes import _mode, _Probe  # shapes.py needs no symbolic calls
    from tinygrad_edu.tensor import Tensor

    def zeros(leaf):
        if not isinstance(leaf, SymbolicTensor):
            return leaf
        shape = [1 if axis == 0 and n is None else (size if n is None else n)
                 for axis, n in enumerate(leaf.shape)]
        return Tensor._wrap(np.zeros(shape, dtype=leaf.dtype))

    x, args, kwargs = map_structure(zeros, arguments)
    # what a stateful recurrent layer keeps between batches must not come from the probe
    kept = [(m, m.__dict__["_kept_states"]) for m in layer.modules() if "_kept_states" in
            m.__dict__]
    _Probe.active, was_probing = True, _Probe.active
    try:
        with no_grad(), _mode(layer, False):
            return layer._call_eager(x, *args, **kwargs)
    finally:
        _Probe.active = was_probing
        for module, states in kept:
            object.__setattr__(module, "_kept_states", states)


def _output_shapes(layer, arguments):
    """The shapes of the layer's outputs (batch None), as a structure like its outputs."""
    first = _probe(layer, arguments, 1)
    has_free_axes = any(None in leaf.shape[1:] for leaf in flatten(arguments)
                        if isinstance(leaf, SymbolicTensor))
    second = _probe(layer, arguments, 2) if has_free_axes else first
    leaves_first, leaves_second = flatten(first), flatten(second)
    described = [
        ((None, *(a if a == b else None for a, b in zip(one.shape[1:], two.shape[1:]))),
         str(one.data.dtype))
        for one, two in zip(leaves_first, leaves_second)
    ]
    return first, described


def call_symbolic(layer, x, args, kwargs):
    """``layer(x, *args, **kwargs)`` where ``x`` (or an argument) holds symbolic tensors:
    build the layer, record a :class:`Node`, return symbolic outputs."""
    arguments = (x, tuple(args), dict(kwargs))
    for leaf in flatten(arguments):
        if not isinstance(leaf, SymbolicTensor) and hasattr(leaf, "shape") and not isinstance(
                leaf, (int, float, bool)):
            raise TypeError(
                f"{layer.name} ({type(layer).__name__}): called on a mix of symbolic tensors "
                f"and arrays ({type(leaf).__name__} of shape {leaf.shape}); in a functional "
                "model every tensor input must come from Input(...) or another layer"
            )
    if not layer.built:
        layer._build(_shape_of(x))
    if layer.input_spec is not None and isinstance(x, SymbolicTensor):
        layer._check_input(x)
    probed, described = _output_shapes(layer, arguments)
    if not hasattr(layer, "_inbound_nodes"):
        object.__setattr__(layer, "_inbound_nodes", [])
    node = Node(layer, arguments, None)
    counter = iter(range(len(described)))

    def placeholder(_):
        index = next(counter)
        return SymbolicTensor(described[index][0], described[index][1], node, index)

    node.outputs = map_structure(placeholder, probed)
    layer._inbound_nodes.append(node)
    if layer._output_shape is None or len(layer._inbound_nodes) == 1:
        shapes = map_structure(lambda t: t.shape, node.outputs)
        object.__setattr__(layer, "_output_shape", shapes)
    return node.outputs


def layer_end(layer, which: str):
    """``layer.input`` / ``layer.output``: the symbolic tensors of the layer's one call."""
    nodes = getattr(layer, "_inbound_nodes", None)
    owner = getattr(layer, "_sequential_owner", None)
    if not nodes and owner is not None and owner() is not None:
        owner()._symbolic_graph()  # a Sequential with a known input shape makes its graph
        nodes = getattr(layer, "_inbound_nodes", None)
    who = f"{layer.name} ({type(layer).__name__})"
    if not nodes:
        raise AttributeError(
            f"{who} has no {which} yet: it was never called on a symbolic tensor. Call it on "
            "Input(...) (the functional API), or give the Sequential it is in an input shape "
            "(Input(shape=...) as its first entry)"
        )
    if len(nodes) > 1:
        raise AttributeError(
            f"{who} was called {len(nodes)} times, so its {which} is not one tensor; use the "
            "tensor each call returned"
        )
    node = nodes[0]
    if which == "output" or node.arguments is None:
        return node.outputs
    return node.arguments[0]
