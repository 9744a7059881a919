"""Sequential: a stack of layers, each feeding the next."""

from __future__ import annotations

import weakref

from tinygrad_edu.nn.module import Module, module_registry
from tinygrad_edu.nn.summary import summary

__all__ = ["Sequential", "summary"]


class Sequential(Module):
    """Layers applied one after the other: ``y = layer_n(... layer_2(layer_1(x)))``.

    The layers are registered under their names, so weights are listed as
    ``dense_1.kernel``. When the first layer knows its input shape (``input_shape=``), the
    whole model is built as layers are added and ``summary()`` shows every shape at once;
    otherwise the model is built by its first call.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu.nn import Dense, Flatten
    >>> model = Sequential([Flatten(input_shape=(2, 2)), Dense(3, activation="relu")])
    >>> model.add(Dense(1))
    >>> model(tg.ones(5, 2, 2)).shape, model.count_params()
    ((5, 1), 19)
    """

    def __init__(self, layers=None, *more_layers, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._layer_tuple = ()
        for layer in _layer_arguments(layers, more_layers):
            self.add(layer)

    # Layers may also be given one by one, as PyTorch's nn.Sequential takes them:
    # Sequential(Dense(4), Dense(1)) is Sequential([Dense(4), Dense(1)]).

    @property
    def layers(self) -> list:
        return list(self._layer_tuple)

    @property
    def input(self):
        """A symbolic input of the model's input shape; the layers' ``output`` follow from
        it, so ``Model(model.input, model.layers[2].output)`` reads an inner layer."""
        return self._symbolic_graph()[0]

    @property
    def output(self):
        return self._symbolic_graph()[1]

    @property
    def inputs(self) -> list:
        return [self.input]

    @property
    def outputs(self) -> list:
        return [self.output]

    def _symbolic_graph(self):
        """(input, output) of the layers called in turn on an ``Input`` of the model's
        input shape, made at the first use."""
        from tinygrad_edu.nn.input_layer import Input

        ends = getattr(self, "_symbolic_ends", None)
        if ends is None:
            if not self.built or self.input_shape is None:
                raise AttributeError(
                    f"{self.name} has no input yet: its input shape is unknown. Put "
                    "Input(shape=...) first in the list, or give input_shape= to the first "
                    "layer"
                )
            given = getattr(self, "_input_layer", None)
            x = y = (given.output if given is not None
                     else Input(batch_shape=(None, *self.input_shape[1:])))
            for layer in self._layer_tuple:
                y = layer(y)
            ends = (x, y)
            object.__setattr__(self, "_symbolic_ends", ends)
        return ends

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by ``index`` into ``layers`` (Keras's ``get_layer``)."""
        from tinygrad_edu.nn.model_api import find_layer

        return find_layer(self, self.layers, name, index)

    def add(self, layer: Module) -> None:
        """Append ``layer``; build it now if the model's input shape is known.

        An ``Input(shape=...)`` or ``InputLayer`` first (Keras 3's way to give the input
        shape) builds the model for that shape and is not kept as a layer."""
        from tinygrad_edu.nn.input_layer import InputLayer
        from tinygrad_edu.nn.symbolic import SymbolicTensor

        if isinstance(layer, SymbolicTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._layer_tuple:
                raise ValueError(f"{self.name}.add: an Input can only come first, before the "
                                 "layers")
            self._pending_input_shape = layer.batch_shape
            object.__setattr__(self, "_input_layer", layer)  # its tensor is model.input
            return
        if not isinstance(layer, Module):
            raise TypeError(f"{self.name}.add: expected a layer (a Module), got "
                            f"{type(layer).__name__}")
        if layer.name in self._modules:
            raise ValueError(
                f"{self.name}.add: a layer named {layer.name!r} is already in the model; "
                "layer names must be unique (pass name=... or use a new layer)"
            )
        self._modules[layer.name] = layer
        self._layer_tuple = (*self._layer_tuple, layer)
        object.__setattr__(layer, "_sequential_owner", weakref.ref(self))
        object.__setattr__(self, "_symbolic_ends", None)
        if self.built:
            self._output_shape = _build_layer(layer, self._output_shape)
        elif len(self._layer_tuple) == 1 and getattr(self, "_pending_input_shape", None):
            self._build((None, *self._pending_input_shape[1:]))
        elif len(self._layer_tuple) == 1 and layer.built:
            self._build(layer.input_shape)

    def pop(self) -> Module:
        """Remove and return the last layer."""
        if not self._layer_tuple:
            raise IndexError(f"{self.name}.pop: the model has no layers")
        layer = self._layer_tuple[-1]
        del self._modules[layer.name]
        self._layer_tuple = self._layer_tuple[:-1]
        object.__setattr__(self, "_symbolic_ends", None)
        if self._layer_tuple and self.built:
            self._output_shape = self._layer_tuple[-1].output_shape
        return layer

    def build(self, input_shape):
        if not self._layer_tuple:
            raise ValueError(f"{self.name}: the model has no layers yet; add some first")
        shape = tuple(input_shape)
        for layer in self._layer_tuple:
            shape = _build_layer(layer, shape)
        self._output_shape = shape

    def forward(self, x):
        for layer in self._layer_tuple:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layer_tuple:
            shape = layer.compute_output_shape(shape)
        return shape

    def __getitem__(self, index):
        return self._layer_tuple[index]

    def __len__(self):
        return len(self._layer_tuple)

    def __iter__(self):
        return iter(self._layer_tuple)

    def get_config(self):
        input_shape = None if self.input_shape is None else list(self.input_shape[1:])
        return {
            **super().get_config(),
            "input_shape": input_shape,
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                       for layer in self._layer_tuple],
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer_configs = config.pop("layers", [])
        input_shape = config.pop("input_shape", None)
        model = cls(name=config.get("name"))
        registry = module_registry()
        if not isinstance(layer_configs, list):
            raise ValueError(f"Sequential.from_config: 'layers' must be a list of layer "
                             f"entries, got {type(layer_configs).__name__}")
        for index, entry in enumerate(layer_configs):
            if (not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str)
                    or not isinstance(entry.get("config"), dict)):
                raise ValueError(f"Sequential.from_config: 'layers'[{index}] must be "
                                 '{"class_name": "...", "config": {...}}, got '
                                 f"{type(entry).__name__}")
            layer_class = registry.get(entry["class_name"])
            if layer_class is None:
                raise ValueError(
                    f"Sequential.from_config: unknown layer class {entry['class_name']!r}; "
                    "import the module that defines it before loading"
                )
            try:
                layer = layer_class.from_config(entry["config"])
            except TypeError as error:
                raise ValueError(f"Sequential.from_config: 'layers'[{index}] "
                                 f"({entry['class_name']}): invalid config ({error})") from None
            model.add(layer)
        if input_shape is not None and not model.built:
            model._build((None, *input_shape))
        if not config.get("trainable", True):
            model.trainable = False
        return model


def _layer_arguments(layers, more_layers) -> list:
    """The layers given as a list, or one by one as positional arguments."""
    if isinstance(layers, Module):
        layers = [layers]
    elif layers is not None and not isinstance(layers, (list, tuple)):
        raise TypeError(f"Sequential: expected a list of layers, got "
                        f"{type(layers).__name__}; write Sequential([layer_1, layer_2, ...])")
    extra = [item for item in more_layers if not isinstance(item, Module)]
    if extra:
        raise TypeError(
            f"Sequential: after the layers, got {extra[0]!r}; give the model's options by "
            "keyword (Sequential([...], name='net', trainable=True)) and layers either in one "
            "list or one by one"
        )
    if more_layers and not all(isinstance(item, Module) for item in layers or ()):
        raise TypeError("Sequential: give the layers either in one list or one by one, not both")
    return [*(layers or ()), *more_layers]


def _build_layer(layer: Module, input_shape: tuple) -> tuple:
    """Build ``layer`` for ``input_shape``; return (and remember) its output shape."""
    if not layer.built:
        layer._build(input_shape)
    output_shape = tuple(layer.compute_output_shape(input_shape))
    if layer._output_shape is None:
        layer._output_shape = (None, *output_shape[1:])
    return (input_shape[0], *output_shape[1:])
