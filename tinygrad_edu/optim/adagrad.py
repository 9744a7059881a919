"""Adagrad: a learning rate per weight that shrinks with the gradients it has seen."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.optim.optimizer import Optimizer, check_number

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): divide each step by the root of the summed squared
    gradients, so that weights with large gradients take smaller steps.

    Update rule (Keras 3)::

        accumulator = accumulator + g**2
        p -= lr * g / sqrt(accumulator + epsilon)

    ``accumulator`` starts at ``initial_accumulator_value`` (0.1). Because it only grows, the
    steps shrink for ever: Adagrad can stop learning too early (RMSprop's motivation).

    PyTorch starts the accumulator at 0, adds its ``eps`` (1e-10) outside the square root,
    ``p -= lr * g / (sqrt(accumulator) + eps)``, and defaults to ``lr=0.01``.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: step size (default 0.001).
        initial_accumulator_value: the accumulator's starting value (>= 0).
        epsilon: small constant (> 0) inside the square root.
        **options: see :class:`Optimizer`.
    """

    slot_names = ("accumulator",)

    def __init__(self, params=None, learning_rate=0.001, *, initial_accumulator_value=0.1,
                 epsilon=1e-7, **options):
        self.initial_accumulator_value = check_number("Adagrad", "initial_accumulator_value",
                                                      initial_accumulator_value)
        self.epsilon = check_number("Adagrad", "epsilon", epsilon, low_open=True)
        super().__init__(params, learning_rate, **options)

    def make_slot(self, slot, param):
        return np.full_like(param, self.initial_accumulator_value)

    def update_step(self, i, p, g, lr, t):
        accumulator = self.accumulator[i]
        accumulator += g**2
        p -= lr * g / np.sqrt(accumulator + self.epsilon)
