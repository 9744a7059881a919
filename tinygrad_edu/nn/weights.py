"""The weights of a module: creating them, listing them Keras-style, their state and files.

:class:`ModuleWeights` is a base class of :class:`~tinygrad_edu.nn.module.Module`. The module
tree (registration, calling, traversal) lives in ``module.py``; this file holds what is done
with the weights the tree finds: ``add_weight``, the Keras lists (``weights``,
``trainable_weights``, ``non_trainable_weights``, ``count_params``), their penalties
(``regularization_losses``), ``state_dict``/``load_state_dict``, ``get_weights``/``set_weights``
and ``save``/``save_weights``/``load_weights``.

The file format (:mod:`tinygrad_edu.serialization`) sits above ``nn``: it rebuilds layers from
their classes. So nothing here imports it; it plugs its functions into this file when it is
imported (:func:`register_file_format`), and the ``save`` methods reach them through that seam.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tinygrad_edu import constraints, regularizers
from tinygrad_edu import init as initializers
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.nn.parameter import Parameter, check_allocation

__all__ = ["ModuleWeights", "register_file_format"]

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

# ----- the seam to the file format ---------------------------------------------------------
_file_format: dict = {}  # "save_model" / "save_weights" / "load_weights" -> function


def register_file_format(save_model, save_weights, load_weights) -> None:
    """Plug in the functions that ``Module.save``, ``save_weights`` and ``load_weights`` call.

    :mod:`tinygrad_edu.serialization` calls this when it is imported (``import tinygrad_edu``
    imports it), so that the dependency points one way: the file format knows modules, the
    modules know only this seam.
    """
    _file_format.update(save_model=save_model, save_weights=save_weights,
                        load_weights=load_weights)


def _file_function(name: str, caller: str):
    function = _file_format.get(name)
    if function is None:
        raise RuntimeError(
            f"Module.{caller}: no file format is registered; import tinygrad_edu.serialization "
            "first (import tinygrad_edu does it)"
        )
    return function


class ModuleWeights:
    """Base class of :class:`~tinygrad_edu.nn.module.Module`: what is done with its weights.

    Its methods walk the module tree with ``Module``'s traversal (``named_modules``,
    ``named_weights``, ``parameters``).
    """

    def add_weight(self, name=None, shape=None, initializer="glorot_uniform", regularizer=None,
                   trainable=True, dtype="float32", constraint=None) -> Parameter:
        """Create, initialize and register a weight (Keras's ``add_weight``).

        Keras 3's own way of calling it works too: ``self.w = self.add_weight(shape=(3, 4),
        initializer="random_normal")`` (no name: the weight is registered as ``variable``,
        ``variable_1``... until it is assigned to an attribute, whose name it then takes),
        and a shape as the first argument, Keras 3's order.

        Args:
            name: attribute name (``"kernel"``, ``"bias"``...), or None.
            shape: the weight's shape; initializers read their fans from it.
            initializer: a name (``"he_normal"``), an initializer object or a callable
                ``(shape, dtype) -> array``.
            regularizer: a name (``"l2"``), a regularizer object or a callable
                ``weight -> scalar Tensor``; its penalty joins ``regularization_losses()``.
            trainable: ``False`` makes a frozen weight.
            constraint: a name (``"max_norm"``), a constraint object or a callable
                ``array -> array``, applied by the optimizer after each update.
        """
        if shape is None and isinstance(name, (tuple, list)):
            name, shape = None, name  # Keras 3's order: add_weight(shape, initializer, ...)
        if shape is None:
            raise TypeError(f"{self.name}.add_weight: give the weight's shape, e.g. "
                            "add_weight(shape=(3, 4))")
        if name is None:
            name = self._unnamed_weight()
        initializer = "glorot_uniform" if initializer is None else initializer  # Keras 3
        shape = tuple(int(n) for n in shape)
        check_allocation(f"{self.name}.{name}", shape)  # before the memory is taken
        values = initializers.get(initializer)(shape, dtype=dtype)
        param = Parameter(values, trainable=trainable and self._trainable,
                          name=f"{self.name}.{name}")
        param.constraint = constraints.get(constraint)
        setattr(self, name, param)
        if regularizer is not None:
            self._weight_regularizers[name] = regularizers.get(regularizer)
        return param

    def _unnamed_weight(self) -> str:
        """A free attribute name for a weight made without a name (Keras's ``variable``)."""
        taken = self.__dict__.setdefault("_unnamed_weights", set())
        count = 0
        while (name := "variable" if count == 0 else f"variable_{count}") in self.__dict__:
            count += 1
        taken.add(name)
        return name

    @property
    def weights(self) -> list:
        """All weights, Keras style: trainable ones, then non-trainable ones."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def variables(self) -> list:
        """Keras's other name for :attr:`weights`."""
        return self.weights

    @property
    def trainable_weights(self) -> list:
        return self.parameters()

    @property
    def non_trainable_weights(self) -> list:
        """Frozen parameters plus buffers (e.g. BatchNormalization's moving statistics)."""
        frozen = [p for _, p in self._named_tensors("_parameters") if not p.trainable]
        return frozen + self.buffers()

    def count_params(self) -> int:
        """Number of scalars in all weights, trainable and not (Keras's ``count_params``)."""
        return sum(w.size for w in self.weights)

    def astype(self, dtype):
        """Convert every parameter and buffer to ``dtype`` in place (e.g. float64 for a
        gradient check). Returns self."""
        for _, tensor in self.named_weights():
            tensor.data = tensor.data.astype(dtype)
            tensor.grad = None
        return self

    # ----- regularization ---------------------------------------------------------------
    def regularization_losses(self) -> list:
        """Penalties to add to the loss: weight regularizers on the current trainable
        weights, plus activity regularizers on the outputs of the latest forward pass."""
        losses = []
        for module in self.modules():
            for key, regularizer in module._weight_regularizers.items():
                weight = module._parameters.get(key)
                if weight is not None and weight.trainable:
                    losses.append(regularizer(weight))
            losses.extend(module._activity_losses)
        return losses

    # ----- state -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Every parameter and buffer as ``{dotted path: numpy copy}``."""
        return {key: tensor.data.copy() for key, tensor in self.named_weights()}

    def load_state_dict(self, state_dict: dict, strict: bool = True):
        """Copy values from ``state_dict`` into this module's weights (by dotted path).

        With ``strict=True`` the keys must match exactly. Shapes must always match.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        own = dict(self.named_weights())
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        if not own and state_dict:
            problems.append("the model has no weights yet: build it first (call it on a batch "
                            "or give input_shape= to its first layer)")
        for key, tensor in own.items():
            if key in state_dict:
                value = np.asarray(state_dict[key])
                if value.shape != tensor.shape:
                    problems.append(f"{key!r} has shape {value.shape} in the state but "
                                    f"{tensor.shape} in the model")
        if problems:
            raise ValueError(f"{self.name}.load_state_dict: " + "; ".join(problems))
        with no_grad():
            for key, tensor in own.items():
                if key in state_dict:
                    tensor.copy_(np.asarray(state_dict[key]).astype(tensor.dtype, copy=False))
        return IncompatibleKeys(missing, unexpected)

    def _layer_ordered_weights(self) -> list:
        """(path, tensor) layer by layer, each layer's parameters then its buffers: the
        order of Keras's ``get_weights`` (Dense: kernel, bias; BatchNormalization: gamma,
        beta, moving_mean, moving_variance)."""
        ordered, seen = [], set()
        for path, module in self.named_modules():
            for key, tensor in (*module._parameters.items(), *module._buffers.items()):
                if tensor is not None and id(tensor) not in seen:
                    seen.add(id(tensor))
                    ordered.append((f"{path}.{key}" if path else key, tensor))
        return ordered

    def get_weights(self) -> list:
        """Copies of every weight as numpy arrays, in Keras's order (layer by layer).

        >>> from tinygrad_edu import nn
        >>> [w.shape for w in nn.Dense(3, input_shape=(2,)).get_weights()]
        [(2, 3), (3,)]
        """
        return [tensor.data.copy() for _, tensor in self._layer_ordered_weights()]

    def set_weights(self, weights) -> None:
        """Load a list of arrays in the order of :meth:`get_weights` (Keras's order), e.g.
        the weights of another model with the same layers, or of a Keras model."""
        own = self._layer_ordered_weights()
        weights = [np.asarray(value) for value in weights]
        if len(weights) != len(own):
            names = ", ".join(path for path, _ in own) or "none yet: build it first"
            raise ValueError(
                f"{self.name}.set_weights: got {len(weights)} arrays but the model has "
                f"{len(own)} weights ({names}); pass the list that get_weights() of a "
                "same-shaped model returns"
            )
        for (path, tensor), value in zip(own, weights):
            if value.shape != tensor.shape:
                raise ValueError(
                    f"{self.name}.set_weights: {path!r} has shape {tensor.shape} but the array "
                    f"given for it has shape {value.shape}; the arrays must come in "
                    "get_weights() order"
                )
        with no_grad():
            for (_, tensor), value in zip(own, weights):
                tensor.copy_(value.astype(tensor.dtype, copy=False))

    # ----- saving (implemented in tinygrad_edu.serialization, reached through the seam) ----
    def save(self, path) -> None:
        """Save architecture and weights to ``path`` (see ``tinygrad_edu.serialization``)."""
        _file_function("save_model", "save")(self, path)

    def save_weights(self, path) -> None:
        """Save the weights only (no architecture) to ``path``."""
        _file_function("save_weights", "save_weights")(self, path)

    def load_weights(self, path) -> None:
        """Load weights saved by ``save_weights`` or ``save``."""
        _file_function("load_weights", "load_weights")(self, path)
