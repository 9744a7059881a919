"""Parameters (the trainable tensors of a module), input specs and Keras-style default names."""

from __future__ import annotations

import re
import threading
from collections import namedtuple
from contextlib import contextmanager

import numpy as np

from tinygrad_edu.tensor import Tensor

__all__ = ["Parameter", "InputSpec", "reset_names", "unique_name", "snake_case",
           "allocation_budget", "check_allocation"]

# ----- names -----------------------------------------------------------------------------
_name_counts: dict[str, int] = {}


def reset_names() -> None:
    """Restart the default-name counters: the next Dense is called ``dense`` again."""
    _name_counts.clear()


def snake_case(class_name: str) -> str:
    """``BatchNormalization`` -> ``batch_normalization``, ``PReLU`` -> ``p_re_lu`` (Keras)."""
    words = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


def unique_name(base: str) -> str:
    """``base`` the first time, then ``base_1``, ``base_2``... (Keras's numbering)."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


# ----- parameters --------------------------------------------------------------------------
class Parameter(Tensor):
    """A weight of a module: a float tensor that requires grad while it is trainable.

    Args:
        data: initial values (copied; float32 unless ``dtype`` says otherwise).
        trainable: optimizers see only trainable parameters. Setting ``trainable = False``
            also switches ``requires_grad`` off, so no gradient is computed for it (Keras's
            frozen weights; in PyTorch one writes ``p.requires_grad_(False)``).
        name: the weight's name, set on registration: ``"dense_1.kernel"``; ``path`` is
            Keras's spelling of it, ``"dense_1/kernel"``.

    Attributes:
        constraint: None, or a function ``array -> array`` (a
            :mod:`~tinygrad_edu.constraints` object) that the optimizer applies to the values
            after each update (Keras's ``kernel_constraint``).
    """

    constraint = None

    def __init__(self, data, trainable=True, name=None, dtype=None):
        super().__init__(data, dtype=dtype, name=name)
        if self.data.dtype.kind != "f":
            raise TypeError(f"Parameter: weights must be floating, got dtype {self.data.dtype}")
        self.trainable = trainable

    @property
    def path(self) -> str | None:
        """Keras's weight path, ``"dense_1/kernel"`` (layer name / weight name). ``name``
        keeps the dotted form graphs and files use (``"dense_1.kernel"``)."""
        return None if self.name is None else self.name.replace(".", "/")

    @property
    def trainable(self) -> bool:
        return self._requires_grad

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.requires_grad = bool(value)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Parameter(", threshold=20)
        frozen = "" if self.trainable else ", trainable=False"
        label = f", name={self.name!r}" if self.name else ""
        return f"Parameter({body}, dtype={self.data.dtype}{frozen}{label})"


InputSpec = namedtuple("InputSpec", ["min_ndim", "axes", "ndim"], defaults=(None, None, None))
InputSpec.__doc__ = """What a built layer accepts: exactly ``ndim`` or at least ``min_ndim``
axes and, for each ``axis: size`` in ``axes``, that size (e.g. a built Dense wants
``InputSpec(min_ndim=2, axes={-1: in_features})``)."""


# ----- allocation budget -----------------------------------------------------------------------
_budget = threading.local()


@contextmanager
def allocation_budget(values: int, source: str):
    """Within this block, weights created by ``add_weight`` may hold at most ``values``
    numbers in all. Loading a saved model uses it: an architecture that declares more
    weights than its file holds is damaged, and must fail before the memory is taken."""
    previous = getattr(_budget, "state", None)
    _budget.state = [int(values), source]
    try:
        yield
    finally:
        _budget.state = previous


def check_allocation(owner: str, shape) -> None:
    """Count a new weight of ``shape`` against the active :func:`allocation_budget`."""
    state = getattr(_budget, "state", None)
    if state is None:
        return
    count = 1
    for size in shape:
        count *= int(size)
    if count > state[0]:
        raise ValueError(
            f"{state[1]}: the architecture declares the weight {owner} of shape "
            f"{tuple(int(n) for n in shape)} ({count:,} values), more than the "
            f"{state[0]:,} values left in the file; the architecture is damaged (check "
            "sizes such as units, filters and input_shape)"
        )
    state[0] -= count
