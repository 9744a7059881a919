"""Bidirectional: one recurrent layer reading forwards, a twin reading backwards, merged."""

from __future__ import annotations

from tinygrad_edu.nn.module import Module
from tinygrad_edu.nn.recurrent_base import RecurrentLayer
from tinygrad_edu.ops.shape import concatenate

__all__ = ["Bidirectional"]

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Module):
    """Runs ``layer`` over the sequence and a copy of it over the reversed sequence.

    At step t the forward layer has read x_0 .. x_t and the backward one x_T-1 .. x_t, so
    together they see the whole sequence. With ``return_sequences`` the backward outputs are
    put back in time order before merging, so that position t of the result describes x_t
    from both sides; masked steps then output 0 (as in Keras).

    Args:
        layer: a recurrent layer (SimpleRNN, LSTM, GRU); its twin is made from its config
            with ``go_backwards`` flipped (and its own new weights).
        merge_mode: ``"concat"`` (default: 2 * units features), ``"sum"``, ``"mul"``,
            ``"ave"`` or None (a list ``[forward, backward]``).
        backward_layer: a ready-made backward layer instead of the copy (it must read the
            sequence the other way than ``layer``).

    Weights, in Keras's order: the forward layer's, then the backward layer's.
    ``return_state=True`` returns ``[output, *forward_states, *backward_states]``.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu.nn import LSTM
    >>> layer = Bidirectional(LSTM(3, return_sequences=True))
    >>> layer(tg.ones(2, 5, 4)).shape
    (2, 5, 6)
    """

    def __init__(self, layer, merge_mode="concat", backward_layer=None, input_shape=None,
                 name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        if not isinstance(layer, RecurrentLayer):
            raise TypeError(f"Bidirectional: needs a recurrent layer (SimpleRNN, LSTM, GRU), "
                            f"got {type(layer).__name__}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {_MERGE_MODES}, got "
                             f"{merge_mode!r}")
        if backward_layer is None:
            config = {**layer.get_config(), "go_backwards": not layer.go_backwards,
                      "name": f"backward_{layer.name}"}
            backward_layer = type(layer).from_config(config)
        elif backward_layer.go_backwards == layer.go_backwards:
            raise ValueError("Bidirectional: backward_layer must read the sequence in the "
                             "other direction (go_backwards differs from layer's)")
        if backward_layer.return_sequences != layer.return_sequences or (
                backward_layer.return_state != layer.return_state):
            raise ValueError("Bidirectional: both layers need the same return_sequences and "
                             "return_state")
        for part in (layer, backward_layer):
            part.zero_output_for_mask = layer.return_sequences
        self.forward_layer = layer
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self._build_from_arguments(input_shape)

    def build(self, input_shape):
        for part in (self.forward_layer, self.backward_layer):
            if not part.built:
                part._build(input_shape)

    def forward(self, x, mask=None, initial_state=None, training=None):
        forward_initial = backward_initial = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_initial, backward_initial = initial_state[:half], initial_state[half:]
        forward_out = self.forward_layer(x, mask=mask, initial_state=forward_initial,
                                         training=training)
        backward_out = self.backward_layer(x, mask=mask, initial_state=backward_initial,
                                           training=training)
        forward_states = backward_states = []
        if self.return_state:
            forward_out, *forward_states = forward_out
            backward_out, *backward_states = backward_out
        if self.return_sequences:
            backward_out = backward_out[:, ::-1]  # back in time order
        merged = self._merge(forward_out, backward_out)
        if self.return_state:
            merged = merged if isinstance(merged, list) else [merged]
            return [*merged, *forward_states, *backward_states]
        return merged

    def _merge(self, forward_out, backward_out):
        if self.merge_mode == "concat":
            return concatenate([forward_out, backward_out], axis=-1)
        if self.merge_mode == "sum":
            return forward_out + backward_out
        if self.merge_mode == "mul":
            return forward_out * backward_out
        if self.merge_mode == "ave":
            return (forward_out + backward_out) * 0.5
        return [forward_out, backward_out]

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        shape = shape[0] if self.return_state else shape
        if self.merge_mode == "concat":
            shape = (*shape[:-1], 2 * shape[-1])
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": {"class_name": type(self.forward_layer).__name__,
                          "config": self.forward_layer.get_config()},
                "backward_layer": {"class_name": type(self.backward_layer).__name__,
                                   "config": self.backward_layer.get_config()}}

    @classmethod
    def from_config(cls, config):
        from tinygrad_edu.nn.module import module_registry

        config = dict(config)
        registry = module_registry()
        parts = [registry[entry["class_name"]].from_config(entry["config"])
                 for entry in (config.pop("layer"), config.pop("backward_layer"))]
        return cls(parts[0], backward_layer=parts[1], **config)
