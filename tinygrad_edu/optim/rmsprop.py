"""RMSprop: divide each step by a moving root-mean-square of recent gradients."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.optim.optimizer import Optimizer, check_number

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture notes, 2012): like Adagrad, but the squared gradients are
    averaged with exponential forgetting, so old gradients stop counting.

    Update rule (Keras 3)::

        v = rho * v + (1 - rho) * g**2
        denominator = v + epsilon                          # centered=False
        g_avg = rho * g_avg + (1 - rho) * g                # centered=True:
        denominator = v - g_avg**2 + epsilon               #   variance instead of mean square
        increment = lr * g / sqrt(denominator)
        p -= increment                                     # momentum = 0
        velocity = momentum * velocity + increment         # momentum > 0
        p -= velocity

    ``v``, ``g_avg`` and ``velocity`` start at zero.

    PyTorch calls ``rho`` ``alpha`` (default 0.99), defaults to ``lr=0.01`` and ``eps=1e-8``,
    and adds ``eps`` outside the square root: ``g / (sqrt(v) + eps)``; its momentum buffer
    holds ``g / (sqrt(v) + eps)`` and is multiplied by ``lr`` afterwards.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: step size (default 0.001).
        rho: forgetting factor of the moving averages, in [0, 1).
        momentum: in [0, 1]; 0 for none.
        epsilon: small constant (> 0) inside the square root.
        centered: divide by the estimated variance of the gradient rather than its mean
            square (more stable, a little more work).
        **options: see :class:`Optimizer`.
    """

    def __init__(self, params=None, learning_rate=0.001, *, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **options):
        self.rho = check_number("RMSprop", "rho", rho, high=1.0, high_open=True)
        self.momentum = check_number("RMSprop", "momentum", momentum, high=1.0)
        self.epsilon = check_number("RMSprop", "epsilon", epsilon, low_open=True)
        self.centered = bool(centered)
        self.slot_names = ("v",) + ("g_avg",) * self.centered + ("velocity",) * (momentum > 0)
        super().__init__(params, learning_rate, **options)

    def update_step(self, i, p, g, lr, t):
        rho = self.rho
        v = self.v[i]
        v *= rho
        v += (1 - rho) * g**2
        if self.centered:
            g_avg = self.g_avg[i]
            g_avg *= rho
            g_avg += (1 - rho) * g
            denominator = v - g_avg**2 + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = lr * g / np.sqrt(denominator)
        if self.momentum > 0:
            velocity = self.velocity[i]
            velocity *= self.momentum
            velocity += increment
            p -= velocity
        else:
            p -= increment
