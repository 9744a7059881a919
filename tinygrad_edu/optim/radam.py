"""RAdam: Adam with a rectified (warm-up free) adaptive learning rate."""

from __future__ import annotations

import math

from tinygrad_edu.optim.adam import _check_betas, apply_adam_update
from tinygrad_edu.optim.optimizer import Optimizer, cache_blocks, check_number

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, rectified Adam (Liu et al., 2020): while too few gradients have been seen for
    ``v`` to be a trustworthy estimate, take plain momentum steps; afterwards, take Adam steps
    scaled by a rectification factor ``r_t`` that grows towards 1.

    Update rule (PyTorch's; Keras has no RAdam), ``t`` the step number::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = m / (1 - beta_1**t)
        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)   # length of the moving average
        p -= lr * m_hat                                        # while rho_t <= 5
        v_hat = v / (1 - beta_2**t)                            # once rho_t > 5:
        epsilon_hat = epsilon / sqrt(1 - beta_2**t)
        r_t = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        p -= lr * r_t * m_hat / (sqrt(v_hat) + epsilon_hat)

    With the default ``beta_2 = 0.999`` the first 5 steps are momentum steps. The defaults
    are PyTorch's (``epsilon=1e-8``, added to ``sqrt(v)`` before the bias correction as in
    :class:`Adam`). PyTorch's ``weight_decay`` adds ``weight_decay * p`` to ``g`` unless
    ``decoupled_weight_decay=True``; the ``weight_decay`` option here is the decoupled one.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: step size (default 0.001).
        beta_1: forgetting factor of ``m``, in [0, 1).
        beta_2: forgetting factor of ``v``, in [0, 1).
        epsilon: small constant (> 0).
        **options: see :class:`Optimizer`.
    """

    slot_names = ("m", "v")

    def __init__(self, params=None, learning_rate=0.001, *, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, **options):
        self.beta_1, self.beta_2 = _check_betas("RAdam", beta_1, beta_2)
        self.epsilon = check_number("RAdam", "epsilon", epsilon, low_open=True)
        super().__init__(params, learning_rate, **options)

    def update_step(self, i, param, grad, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
        rectified = rho_t > 5  # else v is too young an estimate to divide by
        if rectified:
            epsilon_hat = self.epsilon / math.sqrt(1 - beta_2**t)
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        for p, g, m, v in cache_blocks(param, grad, self.m[i], self.v[i]):
            m *= beta_1
            m += (1 - beta_1) * g
            v *= beta_2
            v += (1 - beta_2) * g**2
            m_hat = m / (1 - beta_1**t)
            if not rectified:
                p -= lr * m_hat
                continue
            v_hat = v / (1 - beta_2**t)
            apply_adam_update(p, lr * r_t, m_hat, v_hat, epsilon_hat)  # p -= lr*r_t*m_hat/(...)
