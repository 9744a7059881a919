"""Inverted dropout."""

from __future__ import annotations

import numpy as np

from tinygrad_edu.random import make_generator
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["dropout"]


def dropout(x, rate, training=True, seed=None, noise_shape=None):
    """Zero each element with probability ``rate`` and scale the survivors by 1 / (1 - rate).

    y = x * m / (1 - rate),  m_i ~ Bernoulli(1 - rate);   dx = g * m / (1 - rate).

    This is "inverted" dropout, as in Keras and PyTorch: the scaling happens at training
    time, so that E[y] = x and inference needs no change at all (``training=False`` returns
    ``x``). The classic form instead keeps x unscaled during training and multiplies by
    (1 - rate) at test time; both give the next layer the same expected input, and the
    inverted form keeps the trained weights usable as they are.

    Args:
        x: input tensor.
        rate: fraction of elements to drop, in [0, 1).
        training: apply dropout (True) or return ``x`` unchanged (False).
        seed: seed of a private generator (the same mask on every call); None draws from the
            framework's generator (see ``tinygrad_edu.manual_seed``).
        noise_shape: shape of the mask, broadcast against x (e.g. ``(batch, 1, 1, channels)``
            drops whole feature maps); default: x's shape.

    >>> import tinygrad_edu as tg
    >>> y = dropout(tg.ones(4, 1000), 0.25, seed=0)
    >>> sorted(round(v, 4) for v in set(y.numpy().ravel().tolist()))
    [0.0, 1.3333]
    """
    x = as_tensor(x)
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating, np.integer)):
        raise TypeError(f"dropout: rate must be a number in [0, 1), got {rate!r}")
    if not 0 <= rate < 1:
        raise ValueError(
            f"dropout: rate is the fraction of units to DROP and must be in [0, 1), got {rate}. "
            "(Keras's rate is the drop probability; if you meant a keep probability p, "
            "pass rate = 1 - p.)"
        )
    if not training or rate == 0:
        return x
    if x.data.dtype.kind != "f":
        raise TypeError(f"dropout: expected a floating tensor, got dtype {x.data.dtype}")
    shape = x.shape if noise_shape is None else tuple(
        x.shape[i] if n is None else n for i, n in enumerate(noise_shape))
    try:
        np.broadcast_shapes(shape, x.shape)
    except ValueError:
        raise ValueError(
            f"dropout: noise_shape {tuple(noise_shape)} does not broadcast against input shape "
            f"{x.shape}; use 1 for the axes that share one mask value"
        ) from None
    keep = make_generator(seed).random(shape) >= rate
    mask = keep.astype(x.data.dtype) * x.data.dtype.type(1.0 / (1.0 - rate))
    return x * Tensor._wrap(mask)
