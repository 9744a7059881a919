"""Masks of padded time steps, and the Masking layer that makes them.

Sequences of different lengths are padded to one length to share a batch. A mask says, per
sample and time step, which steps are real: a (batch, time) boolean array, True = keep.
Like Keras, the mask travels with the tensor: ``Masking`` (or ``Embedding(mask_zero=True)``)
attaches it to its output, and the recurrent layers read it from their input (or take an
explicit ``mask=`` argument). ``TimeDistributed`` and ``Bidirectional`` pass it on.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.nn.module import Module
from tinygrad_edu.tensor import Tensor

__all__ = ["Masking", "attach_mask", "mask_of"]


def attach_mask(tensor: Tensor, mask) -> Tensor:
    """Attach the (batch, time) boolean ``mask`` to ``tensor`` (returned) for the next layer."""
    tensor._keras_mask = None if mask is None else np.asarray(mask, dtype=bool)
    return tensor


def mask_of(tensor) -> np.ndarray | None:
    """The mask attached to ``tensor`` by a masking layer, or None."""
    return getattr(tensor, "_keras_mask", None)


class Masking(Module):
    """Marks the time steps whose features all equal ``mask_value`` as padding.

    For x of shape (batch, time, features): ``mask[b, t] = any(x[b, t] != mask_value)``;
    the output is ``x`` with the masked steps set to 0 (as in Keras) and carries the mask, so
    that a following recurrent layer skips those steps: its state passes through them
    unchanged. Backward: ``dx = g * mask`` (the masked steps get no gradient).

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
    >>> mask_of(Masking()(x)).tolist()
    [[True, False, True]]
    """

    def __init__(self, mask_value=0.0, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self.mask_value = float(mask_value)
        self._build_from_arguments(input_shape)

    def forward(self, x):
        if x.ndim < 3:
            raise ValueError(f"{self.name} (Masking): expected (batch, time, features), got "
                             f"shape {x.shape}")
        keep = np.any(x.data != self.mask_value, axis=-1)
        out = x * Tensor._wrap(keep[..., None].astype(x.dtype))
        return attach_mask(out, keep)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
