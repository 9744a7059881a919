"""Lion: a sign-based optimizer found by program search."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.optim.optimizer import Optimizer, check_number

__all__ = ["Lion"]


class Lion(Optimizer):
    """Lion, "evolved sign momentum" (Chen et al., 2023): every weight moves by exactly
    ``lr`` per step, in the direction of the sign of an interpolated momentum.

    Update rule (Keras 3)::

        c = beta_1 * m + (1 - beta_1) * g      # direction of this step
        p -= lr * sign(c)
        m = beta_2 * m + (1 - beta_2) * g      # momentum, updated after the step

    ``m`` starts at zero. Since every step has the same size, Lion wants a learning rate
    3-10 times smaller than Adam's (and a larger weight decay). PyTorch has no Lion.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: the size of every step (default 0.001).
        beta_1: interpolation factor of the step direction, in (0, 1].
        beta_2: forgetting factor of the momentum, in [0, 1).
        **options: see :class:`Optimizer`.
    """

    slot_names = ("m",)

    def __init__(self, params=None, learning_rate=0.001, *, beta_1=0.9, beta_2=0.99, **options):
        # beta_1 = 0 would ignore the momentum altogether: plain sign descent (Keras refuses it)
        self.beta_1 = check_number("Lion", "beta_1", beta_1, high=1.0, low_open=True)
        self.beta_2 = check_number("Lion", "beta_2", beta_2, high=1.0, high_open=True)
        super().__init__(params, learning_rate, **options)

    def update_step(self, i, p, g, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        m = self.m[i]
        c = beta_1 * m + (1 - beta_1) * g
        p -= lr * np.sign(c)
        m *= beta_2
        m += (1 - beta_2) * g
