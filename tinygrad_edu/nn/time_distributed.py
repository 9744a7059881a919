"""TimeDistributed: the same layer applied to every time step."""

from __future__ import annotations

from tinygrad_edu.nn.masking import attach_mask, mask_of
from tinygrad_edu.nn.module import Module

__all__ = ["TimeDistributed"]


class TimeDistributed(Module):
    """Applies ``layer`` to each time step of a (batch, time, ...) input, with one set of
    weights for all steps: ``y[:, t] = layer(x[:, t])``.

    The steps are folded into the batch, (batch * time, ...), for one call of the layer, and
    unfolded after; the gradient of the shared weights is the sum over the steps. A mask on
    the input is passed on to the output.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu.nn import Dense
    >>> TimeDistributed(Dense(2))(tg.ones(4, 3, 5)).shape
    (4, 3, 2)
    """

    def __init__(self, layer, input_shape=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        if not isinstance(layer, Module):
            raise TypeError(f"TimeDistributed: needs a layer (a Module), got "
                            f"{type(layer).__name__}")
        self.layer = layer
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"{self.name} (TimeDistributed): expects inputs of shape (batch, "
                             f"time, ...), got {tuple(input_shape)}")
        if not self.layer.built:
            self.layer._build((None, *tuple(input_shape)[2:]))

    def forward(self, x):
        if x.ndim < 3:
            raise ValueError(f"{self.name} (TimeDistributed): expects inputs of shape (batch, "
                             f"time, ...), got {x.shape}")
        batch, steps = x.shape[:2]
        out = self.layer(x.reshape(batch * steps, *x.shape[2:]))
        return attach_mask(out.reshape(batch, steps, *out.shape[1:]), mask_of(x))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None, *tuple(input_shape)[2:]))
        return (input_shape[0], input_shape[1], *tuple(inner)[1:])

    def get_config(self):
        return {**super().get_config(), "layer": {"class_name": type(self.layer).__name__,
                                                  "config": self.layer.get_config()}}

    @classmethod
    def from_config(cls, config):
        from tinygrad_edu.nn.module import module_registry

        config = dict(config)
        entry = config.pop("layer")
        return cls(module_registry()[entry["class_name"]].from_config(entry["config"]),
                   **config)
