"""Adafactor: Adam-like steps with factored second moments (little memory)."""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.optim.clipping import l2_norm
from tinygrad_edu.optim.optimizer import Optimizer, check_number

__all__ = ["Adafactor"]


def rms(array: np.ndarray) -> float:
    """Root mean square, ``sqrt(mean(array**2))``, as a Python float."""
    return l2_norm(array) / math.sqrt(array.size) if array.size else 0.0


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018): for a matrix of shape (rows, cols) it keeps only
    the row means ``r`` and the column means ``c`` of the squared gradients (rows + cols
    numbers instead of rows * cols) and rebuilds ``v`` from them. Tensors with fewer than two
    axes keep a full ``v``. The step is relative to the size of the weights.

    Update rule (Keras 3), ``t`` the step number and ``mean(..., axis)`` over the last axes::

        rho_t = min(lr, 1 / sqrt(t))
        alpha_t = max(epsilon_2, rms(p)) * rho_t
        g2 = g**2 + epsilon_1
        beta_2_t = 1 - t**beta_2_decay
        r = beta_2_t * r + (1 - beta_2_t) * mean(g2, axis=-1)     # p.ndim >= 2
        c = beta_2_t * c + (1 - beta_2_t) * mean(g2, axis=-2)
        v = (r / mean(r, axis=-1))[..., :, None] * c[..., None, :]
        v = beta_2_t * v + (1 - beta_2_t) * g2                    # p.ndim < 2
        u = g / sqrt(v)
        u_hat = u / max(1, rms(u) / clip_threshold)
        p -= alpha_t * u_hat

    ``rms(x) = sqrt(mean(x**2))`` over the whole tensor; ``r``, ``c`` and ``v`` start at zero.
    There is no first moment (no momentum). Keras's ``relative_step`` argument is not taken:
    its update uses ``min(lr, 1 / sqrt(t))`` whatever its value.

    PyTorch's ``Adafactor`` (default ``lr=0.01``) uses the same ``rho_t``, ``alpha_t``,
    ``beta_2_t`` and clipping of ``u`` (its ``d``), but adds nothing to ``g**2``: it bounds the
    rebuilt ``v`` from below by ``eps1**2`` instead (``eps1`` defaults to the machine epsilon
    of the dtype), and it measures ``rms(p)`` before its weight decay, not after.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: upper limit of ``rho_t`` (default 0.001).
        beta_2_decay: exponent of the decay schedule ``1 - t**beta_2_decay`` (< 0).
        epsilon_1: small constant (> 0) added to the squared gradients.
        epsilon_2: the smallest weight scale used in ``alpha_t`` (> 0).
        clip_threshold: largest allowed ``rms(u)`` (> 0).
        **options: see :class:`Optimizer`.
    """

    slot_names = ("r", "c", "v")

    def __init__(self, params=None, learning_rate=0.001, *, beta_2_decay=-0.8, epsilon_1=1e-30,
                 epsilon_2=1e-3, clip_threshold=1.0, **options):
        owner = "Adafactor"
        self.beta_2_decay = check_number(owner, "beta_2_decay", beta_2_decay,
                                         low=-float("inf"), high=0.0, high_open=True)
        self.epsilon_1 = check_number(owner, "epsilon_1", epsilon_1, low_open=True)
        self.epsilon_2 = check_number(owner, "epsilon_2", epsilon_2, low_open=True)
        self.clip_threshold = check_number(owner, "clip_threshold", clip_threshold,
                                           low_open=True)
        super().__init__(params, learning_rate, **options)

    def make_slot(self, slot, param):
        factored = param.ndim >= 2
        shape = param.shape
        if slot == "r":
            return np.zeros(shape[:-1], param.dtype) if factored else None
        if slot == "c":
            return np.zeros(shape[:-2] + shape[-1:], param.dtype) if factored else None
        return None if factored else np.zeros_like(param)

    def update_step(self, i, p, g, lr, t):
        rho_t = min(lr, 1 / math.sqrt(t))
        alpha_t = max(self.epsilon_2, rms(p)) * rho_t
        g2 = g**2 + self.epsilon_1
        beta_2_t = 1 - t**self.beta_2_decay
        if p.ndim >= 2:
            r = beta_2_t * self.r[i] + (1 - beta_2_t) * np.mean(g2, axis=-1)
            c = beta_2_t * self.c[i] + (1 - beta_2_t) * np.mean(g2, axis=-2)
            self.r[i], self.c[i] = r, c
            v = (r / np.mean(r, axis=-1, keepdims=True))[..., :, None] * c[..., None, :]
        else:
            v = beta_2_t * self.v[i] + (1 - beta_2_t) * g2
            self.v[i] = v
        u = g / np.sqrt(v)
        u_hat = u / max(1.0, rms(u) / self.clip_threshold)
        p -= alpha_t * u_hat
