"""Module: the base class of every layer and model.

A module owns weights (:class:`Parameter`), non-trainable state (buffers, e.g. the moving
mean of a batch normalization) and sub-modules. Assigning any of these to an attribute
registers it, so that ``parameters()``, ``state_dict()``, ``train()`` and ``summary()`` find
it without any bookkeeping by the author of the layer::

    class TwoLayer(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(32, activation="relu")
            self.out = Dense(10)

        def forward(self, x):
            return self.out(self.hidden(x))

Keras conventions: unique default names (``dense``, ``dense_1``...), lazy shapes (a layer
creates its weights in ``build(input_shape)`` at its first call, or at once when given
``input_shape=``/``input_dim=``), ``trainable`` to freeze, ``get_config()`` for saving.
PyTorch conventions: ``forward``, ``train()``/``eval()``, ``state_dict()``, forward hooks.

This file holds the module tree: registration on assignment, building and calling, hooks,
modes and config; walking the tree (``named_modules``, ``parameters``...) is in
``traversal.py``, how a module learns and checks its shapes in ``shapes.py``.
What is done with the weights the tree finds (``add_weight``, ``weights``, ``state_dict``,
``get_weights``, ``save``...) is inherited from :class:`~tinygrad_edu.nn.weights.ModuleWeights`;
``compile``/``fit``/``predict`` from :class:`~tinygrad_edu.nn.model_api.KerasModelAPI`.
"""

from __future__ import annotations

import functools
import inspect

from tinygrad_edu.autograd import RemovableHandle, state
from tinygrad_edu.nn.call_arguments import as_tensors, batch_free, shapes_of
from tinygrad_edu.nn.model_api import KerasModelAPI
from tinygrad_edu.nn.parameter import InputSpec, Parameter, reset_names, snake_case, unique_name
from tinygrad_edu.nn.shapes import ModuleShapes, _mode, _Probe
from tinygrad_edu.nn.symbolic import call_symbolic, is_symbolic, layer_end
from tinygrad_edu.nn.traversal import ModuleTraversal
from tinygrad_edu.nn.weights import ModuleWeights
from tinygrad_edu.tensor import Tensor

__all__ = ["Module", "module_registry", "Parameter", "InputSpec", "reset_names", "unique_name"]

_module_registry: dict[str, type] = {}


def module_registry() -> dict[str, type]:
    """Every Module subclass by class name (``load_model`` rebuilds layers from it)."""
    return dict(_module_registry)


# ----- the module ----------------------------------------------------------------------------
@functools.cache
def _forward_signature(cls) -> tuple[frozenset, bool]:
    """(keyword names ``cls.forward`` takes, whether it takes ``**kwargs``)."""
    parameters = list(inspect.signature(cls.forward).parameters.values())[1:]
    if parameters and parameters[0].kind is parameters[0].POSITIONAL_OR_KEYWORD:
        parameters = parameters[1:]  # the input itself
    names = frozenset(p.name for p in parameters
                      if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    open_ended = any(p.kind is p.VAR_KEYWORD for p in parameters)
    return names, open_ended and cls.forward is not Module.forward


class Module(ModuleTraversal, ModuleShapes, ModuleWeights, KerasModelAPI):
    """Base class of layers and models.

    Subclasses implement ``forward(x)`` and, when their weights depend on the input size,
    ``build(input_shape)`` (which calls :meth:`add_weight`). ``__call__`` builds the module
    at the first call, records its name on every op it creates (``grad_fn.module_path``),
    runs ``forward`` and the forward hooks.

    Args:
        name: a unique name; default: the class name in snake_case with a counter
            (``dense``, ``dense_1``...). It may not contain ``.`` or ``/``.
        trainable: ``False`` creates the module frozen.

    Attributes:
        training: ``True`` in training mode (dropout active, batch statistics), ``False``
            after ``eval()``.
        built: whether the weights exist.
        activity_regularizer: a penalty on the output, added to the loss during training.
    """

    activity_regularizer = None
    input_spec = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _module_registry[cls.__name__] = cls
        if "call" in vars(cls) and "forward" not in vars(cls):
            cls.forward = vars(cls)["call"]  # Keras's call() is this project's forward()
        if "build" in vars(cls):  # a build() called by hand must mark the module built too
            cls.build = _marks_built(vars(cls)["build"])

    def __init__(self, name=None, trainable=True):
        if name is None:
            name = unique_name(snake_case(type(self).__name__))
        elif not isinstance(name, str) or not name or "." in name or "/" in name:
            raise ValueError(
                f"{type(self).__name__}: name must be a non-empty string without '.' or '/', "
                f"got {name!r}"
            )
        set_raw = object.__setattr__
        set_raw(self, "_parameters", {})
        set_raw(self, "_buffers", {})
        set_raw(self, "_modules", {})
        set_raw(self, "_forward_hooks", {})
        set_raw(self, "_weight_regularizers", {})
        set_raw(self, "_activity_losses", [])
        set_raw(self, "name", name)
        set_raw(self, "training", True)
        set_raw(self, "built", False)
        set_raw(self, "_trainable", bool(trainable))
        set_raw(self, "_build_input_shape", None)
        set_raw(self, "_output_shape", None)

    # ----- registration on attribute assignment ------------------------------------------
    def __setattr__(self, key, value):
        registries = self.__dict__.get("_parameters")
        if registries is None:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        if isinstance(value, (list, tuple)) and value and not key.startswith("_") and all(
                isinstance(item, Module) for item in value):
            from tinygrad_edu.nn.containers import ModuleList  # containers build on Module

            value = ModuleList(value)  # a plain list of layers would be invisible otherwise
        if key in self._buffers and isinstance(value, Tensor) and not isinstance(
                value, Parameter):
            self._buffers[key] = value  # a buffer replaced by a new tensor stays a buffer
            object.__setattr__(self, key, value)
            return
        self._forget(key)
        if isinstance(value, Parameter):
            self._adopt_unnamed_weight(key, value)
            if not value.name:
                value.name = f"{self.name}.{key}"
            self._parameters[key] = value
        elif isinstance(value, Module):
            self._modules[key] = value
        object.__setattr__(self, key, value)

    def _adopt_unnamed_weight(self, key, value) -> None:
        """``self.w = self.add_weight(shape=...)``: the weight registered as ``variable``
        moves to ``w`` (with its regularizer), so it is listed once, under its real name."""
        for old in self.__dict__.get("_unnamed_weights", set()) & set(self._parameters):
            if self._parameters[old] is value:
                self._unnamed_weights.discard(old)
                regularizer = self._weight_regularizers.pop(old, None)
                del self._parameters[old]
                object.__delattr__(self, old)
                if regularizer is not None:
                    self._weight_regularizers[key] = regularizer
                value.name = f"{self.name}.{key}"

    def _forget(self, key) -> None:
        """Drop ``key`` from the registries (it is being replaced or deleted)."""
        self._parameters.pop(key, None)
        self._modules.pop(key, None)
        self._buffers.pop(key, None)
        self._weight_regularizers.pop(key, None)

    def __delattr__(self, key):
        self._forget(key)
        object.__delattr__(self, key)

    def register_buffer(self, name: str, tensor) -> Tensor:
        """Register non-trainable state saved with the model (e.g. ``moving_mean``).

        A buffer is in ``state_dict()`` and counts as a non-trainable weight, but optimizers
        never see it; the module updates it itself (under ``no_grad``).
        """
        tensor = tensor if isinstance(tensor, Tensor) else Tensor(tensor)
        if tensor.requires_grad:
            raise ValueError(f"{self.name}: buffer {name!r} must not require grad")
        self._forget(name)
        object.__setattr__(self, name, tensor)
        self._buffers[name] = tensor
        if not tensor.name:
            tensor.name = f"{self.name}.{name}"
        return tensor

    # ----- building and calling --------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included, may be
        None). The default has nothing to create."""

    def _build(self, input_shape) -> None:
        several = isinstance(input_shape, dict) or isinstance(input_shape, (list, tuple)) and (
            bool(input_shape) and isinstance(input_shape[0], (list, tuple)))
        if several:  # a merge layer's or a multi-input model's: a list of shapes
            input_shape = (dict(input_shape) if isinstance(input_shape, dict)
                           else [tuple(shape) for shape in input_shape])
        self.build(input_shape if several else tuple(input_shape))
        self._mark_built(input_shape)

    def _mark_built(self, input_shape) -> None:
        self._build_input_shape = batch_free(input_shape)
        self.built = True

    def forward(self, *inputs, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, x, *args, **kwargs):
        if is_symbolic(x) or (args or kwargs) and is_symbolic((args, kwargs)):
            # Keras's functional API: record the call on placeholders, compute nothing
            return call_symbolic(self, x, args, kwargs)
        return self._call_eager(x, *args, **kwargs)

    def _call_eager(self, x, *args, **kwargs):
        if kwargs:
            kwargs, training = self._forward_keywords(kwargs)
            if training is not None:  # Keras's layer(x, training=...) on a plain layer
                with _mode(self, training):
                    return self._call_eager(x, *args, **kwargs)
        names, _ = _forward_signature(type(self))
        if "training" in names and "training" not in kwargs:
            # A call(x, training=False) written Keras's way learns the mode fit/predict set
            kwargs = {**kwargs, "training": self.training}
        x = as_tensors(x, getattr(self, "_takes_several_inputs", False))
        if not self.built:
            self._build(shapes_of(x))
        if self.input_spec is not None and isinstance(x, Tensor):
            self._check_input(x)
        previous = state.module_path
        state.module_path = self.name if previous is None else f"{previous}/{self.name}"
        try:
            out = self.forward(x, *args, **kwargs)
        finally:
            state.module_path = previous
        if self._output_shape is None and isinstance(out, Tensor):
            self._output_shape = (None, *out.shape[1:])
        if not _Probe.active:
            if self.activity_regularizer is not None:
                self._activity_losses = [self.activity_regularizer(out)]
            if self._forward_hooks:
                for hook in list(self._forward_hooks.values()):
                    replaced = hook(self, (x, *args), out)
                    if replaced is not None:
                        out = replaced
        return out

    def call(self, *inputs, **kwargs):
        """Keras's name for :meth:`forward`: a subclass may define either one."""
        return self.forward(*inputs, **kwargs)

    def _forward_keywords(self, kwargs: dict) -> tuple[dict, bool | None]:
        """(keyword arguments for ``forward``, training mode to set for this call or None).

        Unknown keywords are refused by name. ``training=`` is accepted by every layer: when
        ``forward`` does not take it itself, it sets the mode for this call."""
        names, open_ended = _forward_signature(type(self))
        if open_ended:
            return kwargs, None
        unknown = [key for key in kwargs if key not in names and key != "training"]
        if unknown:
            accepted = ", ".join(sorted(names | {"training"}))
            raise TypeError(f"{self.name} ({type(self).__name__}): unknown keyword argument "
                            f"{', '.join(unknown)}; a call accepts: {accepted}")
        if "training" in kwargs and "training" not in names:
            kwargs = dict(kwargs)
            return kwargs, kwargs.pop("training")
        return kwargs, None

    @property
    def input_shape(self):
        """The input shape the module was built for (batch axis None), or None."""
        return self._build_input_shape

    @property
    def input(self):
        """The symbolic tensor(s) this layer was called on (Keras's ``layer.input``), for a
        layer called once in a functional graph or sitting in a Sequential with a known
        input shape."""
        return layer_end(self, "input")

    @property
    def output(self):
        """The symbolic output of this layer's call (Keras's ``layer.output``), e.g. to make
        ``Model(model.input, [layer.output for layer in model.layers])``."""
        return layer_end(self, "output")

    @property
    def output_shape(self):
        """The output shape seen at the first call (batch axis None), or None."""
        return self._output_shape

    # ----- hooks ------------------------------------------------------------------------
    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a non-None result
        replaces the output. Returns a handle whose ``remove()`` unregisters it."""
        key = max(self._forward_hooks, default=-1) + 1
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    # ----- modes ----------------------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (``mode=True``) or inference mode, for this module and all below."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Inference mode: dropout is the identity, normalizations use moving statistics."""
        return self.train(False)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """``False`` freezes every weight of this module and its sub-modules."""
        for module in self.modules():
            object.__setattr__(module, "_trainable", bool(value))
            for param in module._parameters.values():
                param.trainable = bool(value)

    def zero_grad(self) -> None:
        """Forget the gradients of all parameters (trainable or not)."""
        for _, param in self._named_tensors("_parameters"):
            param.grad = None

    def get_config(self) -> dict:
        """JSON-able constructor arguments; ``type(self)(**config)`` makes a twin."""
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    # ----- what it says about itself (tinygrad_edu/nn/summary.py) ---------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False) -> None:
        """Print Keras's table of layers, output shapes and parameter counts.

        ``line_length`` sets the table's width, ``show_trainable`` adds a Trainable column,
        ``expand_nested`` lists the layers of nested models; ``positions`` is accepted for
        Keras's signature and ignored (the columns are sized from ``line_length``).
        """
        from tinygrad_edu.nn.summary import summary

        summary(self, print_fn or print, line_length, show_trainable, expand_nested)

    def _repr_html_(self) -> str:
        from tinygrad_edu.nn.summary import summary_html

        return summary_html(self)

    def __repr__(self):
        from tinygrad_edu.nn.summary import layer_repr

        return layer_repr(self)



def _marks_built(build):
    """Wrap a subclass's ``build`` so that calling it (by hand or from ``__call__``) leaves
    the module built: the first call must not create the weights a second time, losing what
    was set on them, or an optimizer made for them, in between."""

    @functools.wraps(build)
    def build_and_mark(self, input_shape):
        build(self, input_shape)
        self._mark_built(input_shape)

    return build_and_mark
