"""LAMB: Adam with a per-layer trust ratio, for very large batches."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.optim.adam import _check_betas
from tinygrad_edu.optim.clipping import l2_norm
from tinygrad_edu.optim.optimizer import Optimizer, check_number

__all__ = ["Lamb"]


class Lamb(Optimizer):
    """LAMB, layer-wise adaptive moments (You et al., 2020): an Adam step rescaled, per
    weight tensor, so that its size is proportional to the size of the weights.

    Update rule (Keras 3)::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = m / (1 - beta_1**t)
        v_hat = v / (1 - beta_2**t)
        update = m_hat / (sqrt(v_hat) + epsilon)
        ratio = norm(p) / norm(update)             # 1 when either norm is 0
        p -= ratio * lr * update

    ``norm`` is the L2 norm of the whole tensor. ``m`` and ``v`` start at zero. The paper adds
    ``weight_decay * p`` to ``update`` before taking the ratio; here (as in Keras) the
    ``weight_decay`` option shrinks the weights before the step instead. PyTorch has no LAMB.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: step size (default 0.001).
        beta_1: forgetting factor of ``m``, in [0, 1).
        beta_2: forgetting factor of ``v``, in [0, 1).
        epsilon: small constant (> 0) added to ``sqrt(v_hat)``.
        **options: see :class:`Optimizer`.
    """

    slot_names = ("m", "v")

    def __init__(self, params=None, learning_rate=0.001, *, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, **options):
        self.beta_1, self.beta_2 = _check_betas("Lamb", beta_1, beta_2)
        self.epsilon = check_number("Lamb", "epsilon", epsilon, low_open=True)
        super().__init__(params, learning_rate, **options)

    def update_step(self, i, p, g, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        m, v = self.m[i], self.v[i]
        m *= beta_1
        m += (1 - beta_1) * g
        v *= beta_2
        v += (1 - beta_2) * g**2
        m_hat = m / (1 - beta_1**t)
        v_hat = v / (1 - beta_2**t)
        update = m_hat / (np.sqrt(v_hat) + self.epsilon)
        p_norm, update_norm = l2_norm(p), l2_norm(update)
        ratio = p_norm / update_norm if p_norm > 0 and update_norm > 0 else 1.0
        p -= ratio * lr * update

