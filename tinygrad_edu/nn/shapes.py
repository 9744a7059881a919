"""How a module learns and checks its shapes: building at construction from ``input_shape=``
/ ``input_dim=`` (Keras), checking a call's input against the built shape, the output shape
of an input shape, and the build shape a file keeps (``get_build_config``).

:class:`ModuleShapes` is a base class of :class:`~tinygrad_edu.nn.module.Module`; ``_Probe``
and ``_mode`` are the run-a-zero-batch machinery shared with the symbolic calls.

>>> from tinygrad_edu.nn import Dense
>>> Dense(4, input_dim=3).compute_output_shape((None, 3)), Dense(4).get_build_config()
((None, 4), None)
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from tinygrad_edu.autograd import no_grad
from tinygrad_edu.tensor import Tensor

__all__ = ["ModuleShapes"]


class _Probe:
    """Set while a module is run on a dummy batch only to learn shapes: no hooks fire."""

    active = False


@contextmanager
def _mode(module, training):
    """Run a block with ``module`` (and its sub-modules) in training mode or not; ``None``
    keeps the current mode. The previous modes are restored afterwards."""
    modes = [(m, m.training) for m in module.modules()]
    if training is not None:
        module.train(bool(training))
    try:
        yield
    finally:
        for m, was_training in modes:
            object.__setattr__(m, "training", was_training)


class ModuleShapes:
    """Base class of :class:`~tinygrad_edu.nn.module.Module`: its shapes."""

    def _build_from_arguments(self, input_shape=None, input_dim=None) -> None:
        """Build at construction when ``input_shape=`` (no batch axis) or ``input_dim=``
        is given, as Keras does. Layers call this at the end of their ``__init__``."""
        if input_dim is not None:
            input_shape, argument = (input_dim,), "input_dim"
        else:
            argument = "input_shape"
        if input_shape is None:
            return
        if isinstance(input_shape, (int, np.integer)):
            input_shape = (input_shape,)
        if not isinstance(input_shape, (tuple, list)) or not all(
                size is None or (isinstance(size, (int, np.integer)) and not isinstance(size, bool)
                                 and size >= 1) for size in input_shape):
            raise ValueError(f"{type(self).__name__}: {argument} must be sizes >= 1 (ints) "
                             f"without the batch axis, e.g. input_shape=(28, 28), got "
                             f"{input_dim if argument == 'input_dim' else input_shape!r}")
        self._build((None, *(None if size is None else int(size) for size in input_shape)))

    def _check_input(self, x) -> None:
        spec = self.input_spec
        shape = x.shape
        expected = self._build_input_shape
        rank_ok = len(shape) == spec.ndim if spec.ndim is not None else (
            spec.min_ndim is None or len(shape) >= spec.min_ndim)
        if not rank_ok:
            wanted = spec.ndim if spec.ndim is not None else f"at least {spec.min_ndim}"
            raise ValueError(
                f"{self.name} ({type(self).__name__}): expected an input with {wanted} axes "
                f"(batch first, shape {expected}), got shape {shape}. A single sample needs "
                "a batch axis: x.reshape(1, ...)."
            )
        for axis, size in (spec.axes or {}).items():
            if shape[axis] != size:
                fix = "Reshape the input, or make a new layer for this input size."
                if len(shape) == 4 and shape[1] == size and axis in (-1, 3):
                    fix = ("The images look channels-first (NCHW); layers here take channels-"
                           "last (NHWC) images, as Keras does. Use x.transpose(0, 2, 3, 1), "
                           "not reshape (which would scramble the pixels).")
                raise ValueError(
                    f"{self.name} ({type(self).__name__}): was built for inputs of shape "
                    f"{expected} but got shape {shape} (axis {axis} must be {size}). {fix}"
                )

    def compute_output_shape(self, input_shape) -> tuple:
        """The output shape for ``input_shape`` (batch axis may be None).

        The default runs a batch of one zero sample through the module in inference mode,
        without recording and without firing hooks; it builds the module if needed.
        """
        probe_shape = tuple(1 if n is None else int(n) for n in input_shape)
        modes = {id(m): m.training for m in self.modules()}
        self.eval()
        _Probe.active, was_probing = True, _Probe.active
        try:
            with no_grad():
                out = self(Tensor._wrap(np.zeros(probe_shape, dtype=np.float32)))
        finally:
            _Probe.active = was_probing
            for m in self.modules():
                m.training = modes.get(id(m), m.training)
        return (input_shape[0], *out.shape[1:])

    def get_build_config(self):
        """``{"input_shape": [...]}`` once built (Keras 3's name), else None: what a file
        keeps so that a model whose config has no shape (a subclassed one) can be rebuilt."""
        shape = self._build_input_shape
        if not self.built or not isinstance(shape, tuple):
            return None
        return {"input_shape": list(shape)}

    def build_from_config(self, config: dict) -> None:
        """Build for ``config["input_shape"]``: a module with its own ``build`` builds
        directly; one made of sub-layers (a subclassed model) runs a probe batch, which
        builds each of them."""
        shape = config.get("input_shape") if isinstance(config, dict) else None
        if not isinstance(shape, (list, tuple)) or not shape or not all(
                size is None or (isinstance(size, int) and not isinstance(size, bool)
                                 and size >= 1) for size in shape):
            raise ValueError(f"{self.name}.build_from_config: input_shape must be a list of "
                             f"sizes (batch axis first, may be None), got {shape!r}")
        shape = tuple(shape)
        from tinygrad_edu.nn.module import Module  # module.py builds on this file

        if type(self).build is Module.build and self._modules:
            self.compute_output_shape(shape)
        else:
            self._build(shape)
