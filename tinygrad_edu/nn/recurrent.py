"""Recurrent layers with Keras's names, defaults and weight layout: SimpleRNN, LSTM, GRU.

Inputs are (batch, time, features); a Fashion-MNIST image read row by row is 28 steps of 28
pixels. Each layer owns three weights, in Keras's order (``get_weights``/``set_weights``
use it, so Keras weights can be copied in)::

    kernel            (features, gates * units)   the input's share of every gate
    recurrent_kernel  (units, gates * units)      the previous hidden state's share
    bias              (gates * units,)            GRU with reset_after: (2, 3 * units)

with gates = 1 (SimpleRNN), 4 (LSTM: i, f, c, o) or 3 (GRU: z, r, h). The time loop, masks,
dropout and the ``return_*`` options are in :mod:`tinygrad_edu.nn.recurrent_base`; the
equations of one step are in :mod:`tinygrad_edu.functional.recurrent`.

Parameter counts: ``gates * (units * (features + units) + units)``, e.g. ``LSTM(64)`` on 28
features has 4 * (64 * 92 + 64) = 23,808 (a GRU with reset_after has 3 more biases per unit).

PyTorch's ``nn.LSTM`` stores the kernels transposed, in the same gate order i, f, g, o, and
adds two bias vectors (``bias_ih + bias_hh``); its GRU orders the gates r, z, n and is the
reset_after variant.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu.functional.recurrent import gru_cell, lstm_cell, simple_rnn_cell
from tinygrad_edu.nn.recurrent_base import RecurrentLayer

__all__ = ["SimpleRNN", "LSTM", "GRU"]


class SimpleRNN(RecurrentLayer):
    """Fully connected recurrent layer: ``h_t = activation(x_t @ kernel + bias + h_prev @
    recurrent_kernel)`` (see :func:`~tinygrad_edu.functional.simple_rnn_cell`).

    Args:
        units: size of the hidden state (and of the output).
        activation: default ``"tanh"``.
        use_bias, kernel_initializer (``"glorot_uniform"``), recurrent_initializer
            (``"orthogonal"``), bias_initializer (``"zeros"``), kernel_regularizer,
            recurrent_regularizer, bias_regularizer, activity_regularizer: as in Keras.
        dropout: fraction of the input features dropped (one mask per sequence).
        recurrent_dropout: fraction of the hidden state dropped before the recurrent product.
        return_sequences: return every step's output (batch, time, units), not just the last.
        return_state: also return the final state: ``[output, h]``.
        go_backwards: read the sequence from its end.
        stateful: keep the final state as the next batch's initial state.
        zero_output_for_mask: masked steps output 0 instead of repeating the last output.
        unroll: accepted for Keras code; the steps always run as a Python loop whose ops
            the engine records, which is what Keras's unrolling does too.
        seed: seed of the dropout masks.

    Call as ``layer(x, mask=None, initial_state=None, training=None)``.

    >>> import tinygrad_edu as tg
    >>> layer = SimpleRNN(4, return_sequences=True)
    >>> layer(tg.ones(2, 5, 3)).shape, layer.count_params()
    ((2, 5, 4), 32)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", **options):
        super().__init__(units, activation=activation, recurrent_activation=None,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **options)

    def cell_step(self, x_proj, states, weights, recurrent_mask):
        return [simple_rnn_cell(x_proj[0], states[0], weights[0][0], self.activation,
                                recurrent_mask=recurrent_mask)]

    def get_config(self):
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class LSTM(RecurrentLayer):
    """Long short-term memory layer (see :func:`~tinygrad_edu.functional.lstm_cell`).

    Takes the arguments of :class:`SimpleRNN` and also ``recurrent_activation`` (default
    ``"sigmoid"``, for the gates) and ``unit_forget_bias`` (default True: the forget gate's
    bias starts at 1, so that f = sigmoid(1) = 0.73 lets the cell state and its gradient
    pass from the start; the other biases use ``bias_initializer``). The states are
    ``[h, c]``: ``return_state=True`` returns ``[output, h, c]`` and ``initial_state`` takes
    ``[h_0, c_0]``.

    >>> import tinygrad_edu as tg
    >>> layer = LSTM(64)
    >>> layer(tg.zeros(1, 28, 28)).shape, layer.count_params()
    ((1, 64), 23808)
    """

    gate_count = 4
    state_count = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, input_shape=None, **options):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, **options)
        self.unit_forget_bias = bool(unit_forget_bias)
        self._build_from_arguments(input_shape)  # after the option build() reads

    def bias_values(self, shape, dtype="float32"):
        if not self.unit_forget_bias:
            return self.bias_initializer(shape, dtype=dtype)
        units = self.units
        return np.concatenate([self.bias_initializer((units,), dtype=dtype),
                               np.ones(units, dtype=dtype),
                               self.bias_initializer((2 * units,), dtype=dtype)])

    def cell_step(self, x_proj, states, weights, recurrent_mask):
        h, c = lstm_cell(x_proj, states[0], states[1], weights[0], self.activation,
                         self.recurrent_activation, recurrent_mask=recurrent_mask)
        return [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(RecurrentLayer):
    """Gated recurrent unit layer (see :func:`~tinygrad_edu.functional.gru_cell`).

    Takes the arguments of :class:`LSTM` except ``unit_forget_bias``, and ``reset_after``
    (default True, Keras 3's default: the reset gate multiplies ``h_prev @ recurrent_kernel``
    plus a separate recurrent bias, so the bias has shape (2, 3 * units): row 0 is added to
    the input projection, row 1 to the recurrent one). ``reset_after=False`` is the original
    GRU with one bias of shape (3 * units,).

    >>> import tinygrad_edu as tg
    >>> layer = GRU(4)
    >>> layer(tg.ones(2, 5, 3)).shape, layer.bias.shape
    ((2, 4), (2, 12))
    """

    gate_count = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, input_shape=None, **options):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, **options)
        self.reset_after = bool(reset_after)
        self._build_from_arguments(input_shape)  # after the option build() reads

    def bias_shape(self):
        width = self.gate_count * self.units
        return (2, width) if self.reset_after else (width,)

    def input_projection(self, x, bias=None):
        if self.use_bias and self.reset_after:
            bias = self.bias[0]  # row 1 is added inside the step (see gru_cell)
        return super().input_projection(x, bias)

    def step_weights(self):
        recurrent_bias = None
        if self.use_bias and self.reset_after:
            recurrent_bias = self.gate_blocks(self.bias[1])
        return self.gate_blocks(self.recurrent_kernel), recurrent_bias

    def cell_step(self, x_proj, states, weights, recurrent_mask):
        recurrent_kernel, recurrent_bias = weights
        return [gru_cell(x_proj, states[0], recurrent_kernel, recurrent_bias, self.activation,
                         self.recurrent_activation, self.reset_after,
                         recurrent_mask=recurrent_mask)]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
