"""Adam and its close relatives: AdamW (decoupled weight decay) and Adamax (infinity norm)."""

from __future__ import annotations

import math

import numpy as np

from tinygrad_edu.optim.optimizer import Optimizer, cache_blocks, check_number

__all__ = ["Adam", "AdamW", "Adamax", "apply_adam_update"]


def apply_adam_update(p, step_size, m, v, epsilon) -> None:
    """``p -= step_size * m / (sqrt(v) + epsilon)``: the last line of the Adam family.

    It is computed inside one new array instead of four (``m`` and ``v`` are left as they
    are): with numpy, fewer new large arrays per step makes this line about twice as fast on
    big weights.
    """
    update = np.sqrt(v)
    if type(update) is not np.ndarray:  # a 0-d parameter gives numpy scalars
        p -= step_size * m / (update + epsilon)
        return
    update += epsilon
    np.divide(m, update, out=update)
    update *= step_size
    p -= update


def _check_betas(owner, beta_1, beta_2):
    check_number(owner, "beta_1", beta_1, high=1.0, high_open=True)
    check_number(owner, "beta_2", beta_2, high=1.0, high_open=True)
    return beta_1, beta_2


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): momentum (``m``) and RMSprop (``v``) together, each
    corrected for starting at zero.

    Update rule (Keras 3), with ``t`` the step number (1 for the first update)::

        m = beta_1 * m + (1 - beta_1) * g                     # moving mean of g
        v = beta_2 * v + (1 - beta_2) * g**2                  # moving mean of g**2
        v_max = maximum(v_max, v)                             # amsgrad=True only; then v = v_max
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)    # bias corrections, see below
        p -= alpha * m / (sqrt(v) + epsilon)

    ``m``, ``v`` and ``v_max`` start at zero, so early on they are too small: after one step
    ``m = (1 - beta_1) * g = 0.1 * g``. The corrected estimates are ``m_hat = m / (1 -
    beta_1**t)`` (after one step exactly ``g``) and ``v_hat = v / (1 - beta_2**t)``, and the
    last two lines are the textbook rule ``p -= lr * m_hat / (sqrt(v_hat) + epsilon_hat)``
    with ``epsilon_hat = epsilon / sqrt(1 - beta_2**t)``, rearranged as the paper suggests
    (and Keras computes it) so that the corrections cost two numbers instead of two passes
    over every weight.

    Epsilon: Keras adds ``epsilon`` to ``sqrt(v)``, which is adding ``epsilon_hat`` to
    ``sqrt(v_hat)``. PyTorch adds its ``eps`` (default 1e-8) to ``sqrt(v_hat)`` itself. The two
    differ only while ``v`` is tiny. PyTorch's ``weight_decay`` adds ``weight_decay * p`` to
    ``g`` (L2); the ``weight_decay`` option here is decoupled, as in :class:`AdamW`.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: step size (default 0.001).
        beta_1: forgetting factor of ``m``, in [0, 1).
        beta_2: forgetting factor of ``v``, in [0, 1).
        epsilon: small constant (> 0) that keeps the division finite.
        amsgrad: divide by the largest ``v`` seen so far (Reddi et al., 2018), so that the
            effective step size never grows.
        **options: see :class:`Optimizer`.
    """

    def __init__(self, params=None, learning_rate=0.001, *, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **options):
        owner = type(self).__name__
        self.beta_1, self.beta_2 = _check_betas(owner, beta_1, beta_2)
        self.epsilon = check_number(owner, "epsilon", epsilon, low_open=True)
        self.amsgrad = bool(amsgrad)
        self.slot_names = ("m", "v", "v_max") if self.amsgrad else ("m", "v")
        super().__init__(params, learning_rate, **options)

    def update_step(self, i, param, grad, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        slots = (self.m[i], self.v[i], self.v_max[i]) if self.amsgrad else (self.m[i], self.v[i])
        for p, g, m, v, *v_max in cache_blocks(param, grad, *slots):  # v_max: [] without amsgrad
            m *= beta_1
            m += (1 - beta_1) * g
            v *= beta_2
            v += (1 - beta_2) * g**2
            if v_max:
                v = np.maximum(v_max[0], v, out=v_max[0])
            apply_adam_update(p, alpha, m, v, self.epsilon)  # p -= alpha*m / (sqrt(v) + eps)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

    Before each Adam step (the rule of :class:`Adam`) the weights shrink::

        p = p - lr * weight_decay * p

    Adding ``weight_decay * p`` to the gradient instead (L2 regularization, PyTorch's
    ``Adam(weight_decay=...)``) would let Adam's division by ``sqrt(v_hat)`` weaken the decay of
    weights with large gradients; decoupling keeps it uniform.

    Keras's default ``weight_decay`` is 0.004; PyTorch's ``AdamW`` uses 0.01 and ``eps=1e-8``
    (added to ``sqrt(v_hat)``, see :class:`Adam`).

    Args:
        weight_decay: the decay rate (a number >= 0, default 0.004).
        The other arguments are :class:`Adam`'s.
    """

    def __init__(self, params=None, learning_rate=0.001, *, weight_decay=0.004, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-7, amsgrad=False, **options):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number >= 0, got None")
        super().__init__(params, learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **options)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2015, section 7): Adam with the infinity norm in place of the
    root mean square, ``u`` being a decaying maximum of ``|g|``.

    Update rule (Keras 3)::

        m = beta_1 * m + (1 - beta_1) * g
        u = maximum(beta_2 * u, abs(g))
        m_hat = m / (1 - beta_1**t)
        p -= lr * m_hat / (u + epsilon)

    ``m`` and ``u`` start at zero; ``u`` needs no bias correction.

    PyTorch folds its ``eps`` (1e-8) into the maximum, ``u = maximum(beta_2 * u, abs(g) + eps)``
    and ``p -= lr * m_hat / u``, and defaults to ``lr=0.002``.

    Args:
        params: the tensors to optimize, or None to bind them later.
        learning_rate: step size (default 0.001).
        beta_1: forgetting factor of ``m``, in [0, 1).
        beta_2: forgetting factor of ``u``, in [0, 1).
        epsilon: small constant (> 0).
        **options: see :class:`Optimizer`.
    """

    slot_names = ("m", "u")

    def __init__(self, params=None, learning_rate=0.001, *, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, **options):
        self.beta_1, self.beta_2 = _check_betas("Adamax", beta_1, beta_2)
        self.epsilon = check_number("Adamax", "epsilon", epsilon, low_open=True)
        super().__init__(params, learning_rate, **options)

    def update_step(self, i, param, grad, lr, t):
        beta_1 = self.beta_1
        for p, g, m, u in cache_blocks(param, grad, self.m[i], self.u[i]):
            m *= beta_1
            m += (1 - beta_1) * g
            u *= self.beta_2
            u = np.maximum(u, np.abs(g), out=u)
            m_hat = m / (1 - beta_1**t)
            p -= lr * m_hat / (u + self.epsilon)
