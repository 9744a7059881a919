"""Nadam: Adam with Nesterov momentum."""

from __future__ import annotations

from tinygrad_edu.optim.adam import apply_adam_update
from tinygrad_edu.optim.optimizer import Optimizer, cache_blocks, check_number

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Nadam (Dozat, 2016): Adam whose momentum looks one step ahead, like Nesterov's.

    The momentum factor follows a warm-up schedule ``u_t`` and the bias correction of ``m``
    uses the running product of those factors. Update rule (Keras 3), ``t`` the step number::

        u_t = beta_1 * (1 - 0.5 * 0.96**t)               # momentum factor of this step
        u_next = beta_1 * (1 - 0.5 * 0.96**(t + 1))      # ... and of the next step
        u_product = u_product * u_t                      # u_1 * u_2 * ... * u_t (once per step)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = u_next / (1 - u_product * u_next) * m + (1 - u_t) / (1 - u_product) * g
        v_hat = v / (1 - beta_2**t)
        p -= lr * m_hat / (sqrt(v_hat) + epsilon)

    ``m`` and ``v`` start at zero and ``u_product`` at 1. ``m_hat`` mixes the look-ahead
    momentum (first term) with the current gradient (second term).

    PyTorch's ``NAdam`` uses the same structure with a much slower warm-up,
    ``u_t = beta_1 * (1 - 0.5 * 0.96**(0.004 * t))`` (its ``momentum_decay=0.004``, the
    schedule of old Keras 2), and defaults to ``lr=0.002`` and ``eps=1e-8``.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: step size (default 0.001).
        beta_1: momentum factor before the warm-up schedule, in [0, 1).
        beta_2: forgetting factor of ``v``, in [0, 1).
        epsilon: small constant (> 0) added to ``sqrt(v_hat)``.
        **options: see :class:`Optimizer`.
    """

    slot_names = ("m", "v")
    scalar_names = ("u_product",)

    def __init__(self, params=None, learning_rate=0.001, *, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, **options):
        self.beta_1 = check_number("Nadam", "beta_1", beta_1, high=1.0, high_open=True)
        self.beta_2 = check_number("Nadam", "beta_2", beta_2, high=1.0, high_open=True)
        self.epsilon = check_number("Nadam", "epsilon", epsilon, low_open=True)
        super().__init__(params, learning_rate, **options)

    def init_scalars(self):
        self.u_product = 1.0

    def prepare_step(self, lr, t):
        beta_1 = self.beta_1
        self.u_t = beta_1 * (1 - 0.5 * 0.96**t)
        self.u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        self.u_product = self.u_product * self.u_t

    def update_step(self, i, param, grad, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        u_t, u_next, u_product = self.u_t, self.u_next, self.u_product
        for p, g, m, v in cache_blocks(param, grad, self.m[i], self.v[i]):
            m *= beta_1
            m += (1 - beta_1) * g
            v *= beta_2
            v += (1 - beta_2) * g**2
            # Numbers first: each array is multiplied once (three passes instead of five).
            m_hat = u_next / (1 - u_product * u_next) * m + (1 - u_t) / (1 - u_product) * g
            v_hat = v / (1 - beta_2**t)
            apply_adam_update(p, lr, m_hat, v_hat, self.epsilon)  # p -= lr*m_hat/(sqrt(v_hat)+e)
