"""Adadelta: steps whose size comes from the history of past steps."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.optim.optimizer import Optimizer, check_number

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): RMSprop whose numerator is the RMS of recent *updates*
    instead of a fixed learning rate, so the step has the units of the weights.

    Update rule (Keras 3)::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g**2
        delta = -sqrt(accumulated_delta + epsilon) / sqrt(accumulated_grad + epsilon) * g
        accumulated_delta = rho * accumulated_delta + (1 - rho) * delta**2
        p += lr * delta

    Both accumulators start at zero. Zeiler's paper has no learning rate (``lr = 1``); Keras
    keeps one and defaults it to 0.001, which makes Adadelta very slow unless it is raised
    (``Adadelta(lr=1.0)`` is the paper's method).

    PyTorch: the same rule with defaults ``lr=1.0``, ``rho=0.9``, ``eps=1e-6``.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: multiplies the step (default 0.001).
        rho: forgetting factor, in [0, 1) (default 0.95).
        epsilon: small constant (> 0) inside both square roots (default 1e-7).
        **options: see :class:`Optimizer`.
    """

    slot_names = ("accumulated_grad", "accumulated_delta")

    def __init__(self, params=None, learning_rate=0.001, *, rho=0.95, epsilon=1e-7, **options):
        self.rho = check_number("Adadelta", "rho", rho, high=1.0, high_open=True)
        self.epsilon = check_number("Adadelta", "epsilon", epsilon, low_open=True)
        super().__init__(params, learning_rate, **options)

    def update_step(self, i, p, g, lr, t):
        rho, epsilon = self.rho, self.epsilon
        accumulated_grad, accumulated_delta = self.accumulated_grad[i], self.accumulated_delta[i]
        accumulated_grad *= rho
        accumulated_grad += (1 - rho) * g**2
        delta = -np.sqrt(accumulated_delta + epsilon) / np.sqrt(accumulated_grad + epsilon) * g
        accumulated_delta *= rho
        accumulated_delta += (1 - rho) * delta**2
        p += lr * delta
