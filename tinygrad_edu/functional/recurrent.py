"""One time step of the recurrent cells, written with the framework's own ops.

Each function maps the state at time t-1 to the state at time t. Its input ``x_proj`` is the
input's share of the pre-activations, ``x_proj = x_t @ kernel + bias``: the recurrent
layers compute it for every time step with one matrix product before the loop (as Keras and
PyTorch do), so a step only adds the recurrent part ``h_prev @ recurrent_kernel``.

The functions are compositions of matmul, slicing, sigmoid and tanh: their backward pass
(backpropagation through time, once the layer chains the steps) and their second
derivatives come from the engine. Gates come in Keras's order (LSTM: i, f, c, o; GRU: z,
r, h), so weights copied from Keras give the same numbers.

Shapes: ``x_proj`` is (batch, gates * units), ``h_prev`` and ``c_prev`` are (batch, units),
``recurrent_kernel`` is (units, gates * units). ``x_proj``, ``recurrent_kernel`` (and the
GRU's ``recurrent_bias``) may also be given already split into their gate blocks, a
sequence of one (batch, units) or (units, units) block per gate: the layers split them once
per call rather than at every step (each gate then has its own product ``h_prev @ u_gate``;
taking gate columns out of one wide product at every step made an LSTM(128) training step
on 28 steps about 12% slower, because the backward of each slice is a full-width array).
"""

from __future__ import annotations

from tinygrad_edu.functional.activations import sigmoid, tanh
from tinygrad_edu.tensor import as_tensor

__all__ = ["simple_rnn_cell", "lstm_cell", "gru_cell", "split_gates"]


def _blocks(value, count: int, who: str) -> list:
    """``value``'s gate blocks: a sequence of ``count`` blocks as given, or a tensor split."""
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{who}: expected {count} gate blocks, got {len(value)}")
        return list(value)
    return split_gates(value, count)


def split_gates(z, count: int) -> list:
    """The ``count`` equal blocks of ``z``'s last axis, in order (``i, f, g, o = ...``).

    >>> import tinygrad_edu as tg
    >>> [block.shape for block in split_gates(tg.zeros(2, 6), 3)]
    [(2, 2), (2, 2), (2, 2)]
    """
    z = as_tensor(z)
    size, remainder = divmod(z.shape[-1], count)
    if remainder:
        raise ValueError(f"split_gates: the last axis of shape {z.shape} does not split into "
                         f"{count} equal gate blocks; it must be {count} * units")
    return [z[..., k * size:(k + 1) * size] for k in range(count)]


def simple_rnn_cell(x_proj, h_prev, recurrent_kernel, activation=tanh, recurrent_mask=None):
    """Elman's recurrent unit::

        h_t = activation(x_proj + h_prev @ recurrent_kernel)

    where ``x_proj = x_t @ kernel + bias``. Backward, with ``a = x_proj + h_prev @ U``
    (U = recurrent_kernel) and ``g = dL/dh_t``: ``da = g * activation'(a)``, then
    ``dx_proj = da``, ``dh_prev = da @ U^T``, ``dU = h_prev^T @ da``. Through T steps the
    gradient reaching h_0 is a product of T factors ``diag(activation'(a_t)) @ U^T``:
    it vanishes when they are small (tanh saturates) and explodes when U is large.

    ``recurrent_mask`` (recurrent dropout, in every cell): the recurrent kernel sees
    ``h_prev * recurrent_mask`` instead of ``h_prev``.

    Returns:
        h_t, shape (batch, units).

    >>> import tinygrad_edu as tg
    >>> simple_rnn_cell(tg.zeros(1, 2), tg.ones(1, 2), tg.eye(2) * 0.5).numpy().round(4)
    array([[0.4621, 0.4621]], dtype=float32)
    """
    h_seen = h_prev if recurrent_mask is None else h_prev * recurrent_mask
    return activation(x_proj + h_seen @ recurrent_kernel)


def lstm_cell(x_proj, h_prev, c_prev, recurrent_kernel, activation=tanh,
              recurrent_activation=sigmoid, recurrent_mask=None):
    """Long short-term memory (Hochreiter & Schmidhuber), with a forget gate::

        x_i, x_f, x_g, x_o = split(x_proj, 4)
        u_i, u_f, u_g, u_o = split(recurrent_kernel, 4)
        i = recurrent_activation(x_i + h_prev @ u_i)     # input gate
        f = recurrent_activation(x_f + h_prev @ u_f)     # forget gate
        g = activation(x_g + h_prev @ u_g)               # candidate cell value
        o = recurrent_activation(x_o + h_prev @ u_o)     # output gate
        c_t = f * c_prev + i * g
        h_t = o * activation(c_t)

    The cell state is updated by addition: ``dc_prev = dc_t * f``, with no weight matrix
    and no squashing on the way, so while the forget gate stays near 1 the gradient flows
    back through many steps undiminished (the constant error carousel).

    Returns:
        (h_t, c_t), each (batch, units).

    >>> import tinygrad_edu as tg
    >>> h, c = lstm_cell(tg.ones(1, 4), tg.zeros(1, 1), tg.zeros(1, 1), tg.zeros(1, 4))
    >>> round(c.item(), 4), round(h.item(), 4)
    (0.5568, 0.3696)
    """
    x_i, x_f, x_g, x_o = _blocks(x_proj, 4, "lstm_cell")
    u_i, u_f, u_g, u_o = _blocks(recurrent_kernel, 4, "lstm_cell")
    h_seen = h_prev if recurrent_mask is None else h_prev * recurrent_mask
    i = recurrent_activation(x_i + h_seen @ u_i)
    f = recurrent_activation(x_f + h_seen @ u_f)
    g = activation(x_g + h_seen @ u_g)
    o = recurrent_activation(x_o + h_seen @ u_o)
    c_t = f * c_prev + i * g
    h_t = o * activation(c_t)
    return h_t, c_t


def gru_cell(x_proj, h_prev, recurrent_kernel, recurrent_bias=None, activation=tanh,
             recurrent_activation=sigmoid, reset_after=True, recurrent_mask=None):
    """Gated recurrent unit (Cho et al.), in Keras's two variants. With
    ``x_z, x_r, x_h = split(x_proj, 3)`` and ``u_z, u_r, u_h = split(recurrent_kernel, 3)``:

    ``reset_after=True`` (Keras 3's default, the cuDNN variant; ``x_proj`` holds the input
    bias, ``recurrent_bias`` = ``b_z, b_r, b_h`` is the second row of the layer's
    (2, 3 * units) bias)::

        z = recurrent_activation(x_z + h_prev @ u_z + b_z)     # update gate
        r = recurrent_activation(x_r + h_prev @ u_r + b_r)     # reset gate
        hh = activation(x_h + r * (h_prev @ u_h + b_h))        # reset after the product
        h_t = z * h_prev + (1 - z) * hh

    ``reset_after=False`` (the original paper's order; one bias, inside ``x_proj``)::

        z = recurrent_activation(x_z + h_prev @ u_z)
        r = recurrent_activation(x_r + h_prev @ u_r)
        hh = activation(x_h + (r * h_prev) @ u_h)
        h_t = z * h_prev + (1 - z) * hh

    ``h_t`` interpolates between the old state and the candidate; ``dh_prev`` gets ``z``
    times the incoming gradient directly, the GRU's version of the LSTM's additive path.
    (With recurrent dropout the products see ``h_prev * recurrent_mask``; the last line
    mixes in the undropped ``h_prev``, as in Keras.)

    Returns:
        h_t, shape (batch, units).

    >>> import tinygrad_edu as tg
    >>> gru_cell(tg.zeros(1, 3), tg.ones(1, 1), tg.zeros(1, 3)).tolist()
    [[0.5]]
    """
    x_z, x_r, x_h = _blocks(x_proj, 3, "gru_cell")
    u_z, u_r, u_h = _blocks(recurrent_kernel, 3, "gru_cell")
    h_seen = h_prev if recurrent_mask is None else h_prev * recurrent_mask
    if reset_after:
        z_in, r_in, h_in = h_seen @ u_z, h_seen @ u_r, h_seen @ u_h
        if recurrent_bias is not None:
            b_z, b_r, b_h = _blocks(recurrent_bias, 3, "gru_cell")
            z_in, r_in, h_in = z_in + b_z, r_in + b_r, h_in + b_h
        z = recurrent_activation(x_z + z_in)
        r = recurrent_activation(x_r + r_in)
        hh = activation(x_h + r * h_in)
    else:
        z = recurrent_activation(x_z + h_seen @ u_z)
        r = recurrent_activation(x_r + h_seen @ u_r)
        hh = activation(x_h + (r * h_seen) @ u_h)
    return z * h_prev + (1.0 - z) * hh
