"""FTRL-Proximal: the online-learning optimizer of large sparse linear models."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.optim.optimizer import Optimizer, check_number

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """FTRL-Proximal, "follow the regularized leader" (McMahan et al., 2013).

    Instead of stepping from the current weights, FTRL keeps a linear term ``z`` summarizing
    all past gradients and solves for the weights in closed form, which with an L1 penalty
    puts many weights at exactly zero.

    Update rule (Keras 3), with ``n`` the accumulator of squared gradients and
    ``power = -learning_rate_power`` (0.5 by default, an Adagrad-like step size)::

        g_shrunk = g + 2 * l2_shrinkage_regularization_strength * p
        n_new = n + g**2
        sigma = (n_new**power - n**power) / lr
        z = z + g_shrunk - sigma * p
        quadratic = n_new**power / lr + 2 * (l2_regularization_strength + beta / (2 * lr))
        p = (clip(z, -l1_regularization_strength, l1_regularization_strength) - z) / quadratic
        n = n_new

    ``n`` starts at ``initial_accumulator_value`` and ``z`` at zero. The new weight is zero
    wherever ``|z| <= l1_regularization_strength``. PyTorch has no FTRL.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: step size (default 0.001).
        learning_rate_power: <= 0; -0.5 gives Adagrad-like step sizes, 0 a fixed one.
        initial_accumulator_value: starting value of ``n`` (>= 0).
        l1_regularization_strength: L1 penalty (>= 0).
        l2_regularization_strength: L2 penalty (>= 0).
        l2_shrinkage_regularization_strength: L2 penalty applied through the gradient (>= 0).
        beta: smoothing term added to the L2 penalty as ``beta / (2 * lr)`` (>= 0).
        **options: see :class:`Optimizer`.
    """

    slot_names = ("n", "z")

    def __init__(self, params=None, learning_rate=0.001, *, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **options):
        self.learning_rate_power = check_number("Ftrl", "learning_rate_power",
                                                learning_rate_power, low=-float("inf"), high=0.0)
        for name, value in [("initial_accumulator_value", initial_accumulator_value),
                            ("l1_regularization_strength", l1_regularization_strength),
                            ("l2_regularization_strength", l2_regularization_strength),
                            ("l2_shrinkage_regularization_strength",
                             l2_shrinkage_regularization_strength),
                            ("beta", beta)]:
            setattr(self, name, check_number("Ftrl", name, value))
        super().__init__(params, learning_rate, **options)

    def make_slot(self, slot, param):
        if slot == "n":
            return np.full_like(param, self.initial_accumulator_value)
        return np.zeros_like(param)

    def update_step(self, i, p, g, lr, t):
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        n, z = self.n[i], self.z[i]
        g_shrunk = g + 2 * self.l2_shrinkage_regularization_strength * p
        n_new = n + g**2
        sigma = (n_new**power - n**power) / lr
        z = z + g_shrunk - sigma * p
        quadratic = n_new**power / lr + 2 * (self.l2_regularization_strength
                                              + self.beta / (2 * lr))
        p[...] = (np.clip(z, -l1, l1) - z) / quadratic
        self.n[i], self.z[i] = n_new, z
