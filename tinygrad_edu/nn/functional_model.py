"""``Model``: Keras's functional models, and the base class of subclassed models.

Functional: call layers on ``Input`` tensors, then ``Model(inputs, outputs)`` runs the
recorded graph. Several inputs and outputs are lists or dicts; a layer called twice shares
its weights::

    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    hidden = Dense(8, activation="relu")(Concatenate()([a, b]))
    model = Model(inputs=[a, b], outputs=[Dense(1, name="price")(hidden),
                                          Dense(3, activation="softmax", name="kind")(hidden)])

Subclassed: ``Model()`` with no inputs is a base class, as in Keras; ``call`` (or
``forward``) says what it computes, and its ``training`` argument receives the mode that
``fit``/``predict`` set::

    class TwoLayer(Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(16, activation="relu")
            self.dropout = Dropout(0.5)
            self.out = Dense(1)

        def call(self, x, training=False):
            return self.out(self.dropout(self.hidden(x), training=training))

>>> import numpy as np
>>> from tinygrad_edu.nn import Add, Dense, Input, Model
>>> x = Input(shape=(4,), name="x")
>>> shared = Dense(4, name="shared")
>>> y = Add()([shared(x), shared(shared(x))])
>>> model = Model(x, y)
>>> model.predict(np.ones((2, 4)), verbose=0).shape, len(model.weights)
((2, 4), 2)
"""

from __future__ import annotations

import inspect

from tinygrad_edu.nn.functional_graph import FunctionalGraph
from tinygrad_edu.nn.module import Module
from tinygrad_edu.nn.parameter import unique_name
from tinygrad_edu.tensor import Tensor

__all__ = ["Model"]


def _shape_text(shape) -> str:
    return str(tuple(shape))


class Model(Module):
    """A functional model (``Model(inputs, outputs)``) or, without them, the base class of
    a subclassed model.

    Args:
        inputs: a tensor from ``Input(...)``, or a list or dict of them.
        outputs: tensors computed from the inputs by layers, as a tensor, list or dict.
        name: default ``functional`` (numbered) for a functional model, the class name in
            snake_case for a subclass.
        trainable: ``False`` creates it frozen.
    """

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        if cls is not Model:  # a subclass: its config is what it was made with (Keras 3)
            object.__setattr__(instance, "_constructor_arguments",
                               _plain_arguments(cls, args, kwargs))
        return instance

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if kwargs:  # Keras 2's spellings
            inputs = kwargs.pop("input", inputs)
            outputs = kwargs.pop("output", outputs)
        if kwargs:
            raise TypeError(f"Model: unknown argument(s) {', '.join(sorted(kwargs))}")
        if inputs is None and outputs is None:
            super().__init__(name=name, trainable=trainable)
            object.__setattr__(self, "_graph", None)
            return
        if inputs is None or outputs is None:
            raise ValueError("Model: give both inputs and outputs (Model(inputs=x, "
                             "outputs=y)), or neither for a subclassed model")
        if name is None and type(self) is Model:
            name = unique_name("functional")
        super().__init__(name=name, trainable=trainable)
        graph = FunctionalGraph(inputs, outputs, f"Model {self.name!r}")
        object.__setattr__(self, "_graph", graph)
        object.__setattr__(self, "_takes_several_inputs", len(graph.inputs) > 1 or isinstance(
            inputs, (list, tuple, dict)))
        for layer in graph.layers:
            self._modules[layer.name] = layer
        shapes = [t.shape for t in graph.inputs]
        self._mark_built(shapes[0] if len(shapes) == 1 else shapes)
        self._output_shape = (graph.outputs[0].shape if len(graph.outputs) == 1
                              else [t.shape for t in graph.outputs])
        if not trainable:
            self.trainable = False

    # ----- what a functional model is made of ---------------------------------------------
    @property
    def is_functional(self) -> bool:
        return self._graph is not None

    @property
    def layers(self) -> list:
        """The layers, in running order (``InputLayer``s first) for a functional model; the
        layers assigned as attributes for a subclassed one."""
        if self._graph is not None:
            return list(self._graph.layers)
        return self.children()

    @property
    def inputs(self):
        """The symbolic input tensors (a list), or None for a subclassed model."""
        return None if self._graph is None else list(self._graph.inputs)

    @property
    def outputs(self):
        """The symbolic output tensors (a list), or None for a subclassed model."""
        return None if self._graph is None else list(self._graph.outputs)

    @property
    def input(self):
        """The inputs as given to ``Model(inputs, ...)``: a tensor, a list or a dict."""
        return super().input if self._graph is None else self._graph.input_structure

    @property
    def output(self):
        """The outputs as given to ``Model(..., outputs)``: a tensor, a list or a dict."""
        return super().output if self._graph is None else self._graph.output_structure

    @property
    def input_names(self) -> list:
        return [t.name for t in self._graph.inputs] if self._graph is not None else []

    @property
    def output_names(self) -> list:
        """The outputs' names: the dict keys (sorted) for dict outputs, else the output
        layers' names (what ``compile``'s loss dict and History's ``<name>_loss`` use)."""
        if self._graph is None:
            return []
        if isinstance(self._graph.output_structure, dict):
            return sorted(self._graph.output_structure)  # Keras 3's order of a dict
        return [t.name for t in self._graph.outputs]

    # ----- running ---------------------------------------------------------------------------
    def forward(self, inputs):
        if self._graph is None:
            raise NotImplementedError(
                f"{type(self).__name__}: a subclassed Model must define call(self, x) (or "
                "forward); a functional one is made with Model(inputs, outputs)"
            )
        return self._graph.run(self._input_list(inputs))

    def _input_list(self, given) -> list:
        """The model's inputs as a list in ``self.inputs`` order, checked."""
        graph = self._graph
        expected = graph.inputs
        names = [t.name for t in expected]
        keys = (sorted(graph.input_structure) if isinstance(graph.input_structure, dict)
                else names)
        wanted = ", ".join(f"{name} {t.shape}" for name, t in zip(keys, expected))
        if isinstance(given, dict):
            missing = [key for key in keys if key not in given]
            unknown = [key for key in given if key not in keys]
            if missing or unknown:
                raise ValueError(
                    f"{self.name}: the input dict has keys {sorted(given)} but the model's "
                    f"inputs are {keys} ({wanted}); "
                    + (f"missing {missing}" if missing else f"unknown {unknown}")
                )
            values = [given[key] for key in keys]
        elif isinstance(given, (list, tuple)):
            values = list(given)
        else:
            values = [given]
        if len(values) != len(expected):
            got = ", ".join(_shape_text(getattr(v, "shape", ())) for v in values)
            raise ValueError(
                f"{self.name}: the model has {len(expected)} input(s) ({wanted}) but was "
                f"given {len(values)} ({got}); pass a list in this order or a dict keyed by "
                "the input names"
            )
        values = [v if isinstance(v, Tensor) else Tensor(v) for v in values]
        for name, symbol, value in zip(keys, expected, values):
            fits = len(value.shape) == len(symbol.shape) and all(
                want is None or want == have
                for want, have in zip(symbol.shape[1:], value.shape[1:]))
            if not fits:
                raise ValueError(
                    f"{self.name}: input {name!r} expects shape {symbol.shape} (batch first) "
                    f"but got {value.shape}; reshape the data or change Input(shape=...)"
                )
        return values

    def compute_output_shape(self, input_shape):
        if self._graph is not None:
            return self.output_shape
        return super().compute_output_shape(input_shape)

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by ``index`` into ``layers`` (Keras's ``get_layer``)."""
        from tinygrad_edu.nn.model_api import find_layer

        return find_layer(self, self.layers, name, index)

    # ----- config ---------------------------------------------------------------------------
    def get_config(self) -> dict:
        """A functional model's architecture in Keras's layout (layers with their
        ``inbound_nodes``, ``input_layers``, ``output_layers``). A subclassed model's is
        the constructor arguments it was made with, when they are plain values (numbers,
        strings, lists...), as in Keras 3; otherwise override ``get_config``."""
        if self._graph is not None:
            from tinygrad_edu.nn.functional_config import functional_config

            return functional_config(self)
        captured = getattr(self, "_constructor_arguments", {})
        if not isinstance(captured, dict):
            raise NotImplementedError(
                f"{type(self).__name__} was created with {captured[0]}= a "
                f"{captured[1]}, which a config cannot hold; override get_config() to return "
                "the constructor arguments as plain values (and from_config to rebuild "
                "them)"
            )
        return {**captured, **super().get_config()}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            from tinygrad_edu.nn.functional_config import functional_from_config

            return functional_from_config(config, custom_objects, cls)
        parameters = inspect.signature(cls.__init__).parameters
        open_ended = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        accepted = {key: value for key, value in config.items()
                    if open_ended or key in parameters}
        model = cls(**accepted)
        if "name" in config and "name" not in accepted:
            object.__setattr__(model, "name", config["name"])
        if not config.get("trainable", True):
            model.trainable = False
        return model


def _is_plain(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_plain(item) for key, item in value.items())
    return False


def _plain_arguments(cls, args, kwargs):
    """The constructor arguments as a dict when all are plain values; else (name, type) of
    the first one that is not."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except TypeError:
        return {}  # __init__ itself will say what is wrong
    arguments = dict(list(bound.arguments.items())[1:])
    for key, parameter in inspect.signature(cls.__init__).parameters.items():
        if parameter.kind is parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(key, {}))
        elif parameter.kind is parameter.VAR_POSITIONAL and arguments.pop(key, ()):
            return (f"*{key}", "positional list")
    for key, value in arguments.items():
        if not _is_plain(value):
            return (key, type(value).__name__)
    arguments.pop("name", None)
    arguments.pop("trainable", None)
    return arguments
