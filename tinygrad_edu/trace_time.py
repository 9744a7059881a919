"""The gradient through time: ``||dL/dh_t||`` for every time step t of a recurrent layer.

A recurrent layer run over T steps is a T-layer network with shared weights; its hidden
states h_0 .. h_T-1 play the part of the layers' outputs. :class:`TimeGradientTracer` puts a
gradient hook on every hidden state (through the layer's ``register_state_hook``), so that
after ``backward()`` it knows the norm of dL/dh_t for each t: one number per time step and
per recorded training step.

When only the last output feeds the loss (``return_sequences=False``), dL/dh_t reaches step
t only by travelling back through the steps after it, one Jacobian ``dh_t+1/dh_t`` per
step. For a tanh SimpleRNN that Jacobian is ``diag(1 - h_t+1**2) @ U^T``: the product of 27
of them usually shrinks by orders of magnitude, so ``ratio()`` (t = 0 over t = T-1) is tiny
and the first rows of an image barely influence learning. The LSTM's cell state is updated
by addition, gated by the forget gate, and keeps the ratio near 1.

The norm is the Frobenius norm over the batch and the units, ``sqrt(sum of g**2)``.
Step numbers t count the steps in the order the layer ran them (with ``go_backwards`` t = 0
read the last input).
"""

from __future__ import annotations

import numbers

import numpy as np

from tinygrad_edu.callbacks import Callback
from tinygrad_edu.nn.recurrent_base import RecurrentLayer

__all__ = ["TimeGradientTracer"]


class TimeGradientTracer(Callback):
    """Records ``||dL/dh_t||`` per time step of every recurrent layer, per training step.

    Args:
        model: a model containing recurrent layers, or a recurrent layer (optional when
            passed to ``fit``, which attaches it).
        every: record every ``every``-th training step (steps 0, k, 2k, ...).
        layers: the recurrent layers (modules or names) to trace; default: all of them.

    In ``fit``: ``model.fit(x, y, callbacks=[tracer])``. In a loop: ``loss.backward();
    tracer.record(); opt.step()``. Forward passes without recording (``no_grad``, e.g.
    validation) are not traced.

    Results: :attr:`steps` (the recorded training steps), :attr:`layer_names`,
    :meth:`norms` (recorded steps x time steps), :meth:`ratio`.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> model = nn.Sequential([nn.SimpleRNN(4, input_shape=(6, 2)), nn.Dense(1)])
    >>> tracer = TimeGradientTracer(model)
    >>> (model(tg.ones(3, 6, 2)) ** 2).sum().backward(); tracer.record()
    >>> tracer.norms().shape, tracer.steps
    ((1, 6), [0])
    """

    def __init__(self, model=None, every=1, layers=None):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"TimeGradientTracer: every must be an int >= 1, got {every!r}")
        self.every = int(every)
        self.steps = []
        self.model = None
        self._layer_choice = layers
        self._layers = []  # [(name, layer)]
        self._handles = []
        self._current = {}  # layer name -> {time step: sum of squares} for this training step
        self._rows = {}  # layer name -> list of per-time-step norm arrays, one per record
        self._step = 0
        if model is not None:
            self._attach(model)

    # ----- attaching ---------------------------------------------------------------------
    def _attach(self, model) -> None:
        if not hasattr(model, "named_modules"):
            raise TypeError(f"TimeGradientTracer: expected a model or a recurrent layer (a "
                            f"Module), got {type(model).__name__}")
        named = list(model.named_modules())
        if self._layer_choice is None:
            chosen = [m for _, m in named if isinstance(m, RecurrentLayer)]
        else:
            by_name = {m.name: m for _, m in named}
            chosen = []
            for layer in self._layer_choice:
                module = by_name.get(layer) if isinstance(layer, str) else layer
                if not isinstance(module, RecurrentLayer):
                    names = ", ".join(m.name for _, m in named if isinstance(m, RecurrentLayer))
                    raise ValueError(f"TimeGradientTracer: {layer!r} is not a recurrent layer "
                                     f"of the model; its recurrent layers: {names or 'none'}")
                chosen.append(module)
        if not chosen:
            raise ValueError(f"TimeGradientTracer: {getattr(model, 'name', model)!r} has no "
                             "recurrent layer (SimpleRNN, LSTM, GRU) to trace")
        self.model = model
        self._layers = [(layer.name, layer) for layer in chosen]
        self._handles = [layer.register_state_hook(self._state_hook) for layer in chosen]

    def set_model(self, model) -> None:
        """Called by ``fit``: attaches to ``model`` (which must be the traced one, if any)."""
        if self.model is None:
            self._attach(model)
        elif model is not self.model:
            raise ValueError(f"TimeGradientTracer: traces {self.model.name!r}, but fit is "
                             f"training {getattr(model, 'name', model)!r}; make one tracer "
                             "per model")

    def remove(self) -> None:
        """Remove the hooks (the recorded numbers stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _state_hook(self, layer, step, h) -> None:
        if not h.requires_grad or self._step % self.every:
            return
        sums = self._current.setdefault(layer.name, {})

        def catch(grad):
            value = float(np.sum(np.square(grad.data, dtype=np.float64)))
            sums[step] = sums.get(step, 0.0) + value

        h.register_hook(catch)

    # ----- recording ---------------------------------------------------------------------
    def record(self) -> None:
        """Call after ``loss.backward()``: stores this step's norms and counts the step."""
        if self.model is None:
            raise RuntimeError("TimeGradientTracer.record: no model; pass one: "
                               "TimeGradientTracer(model) or fit(..., callbacks=[tracer])")
        if self._step % self.every == 0:
            if not self._current:
                raise RuntimeError(
                    "TimeGradientTracer.record: no gradient reached the hidden states since "
                    "the last record; call it after loss.backward() of a recorded forward pass")
            self.steps.append(self._step)
            for name, _ in self._layers:
                sums = self._current.get(name, {})
                length = max(sums, default=-1) + 1
                norms = np.full(length, np.nan)
                for step, value in sums.items():
                    norms[step] = np.sqrt(value)
                self._rows.setdefault(name, []).append(norms)
        self._current = {}
        self._step += 1

    def on_train_batch_end(self, batch, logs=None):
        self.record()

    # ----- reading ------------------------------------------------------------------------
    @property
    def layer_names(self) -> list:
        return [name for name, _ in self._layers]

    def _name(self, layer, who) -> str:
        if layer is None:
            return self._layers[0][0] if self._layers else ""
        name = layer if isinstance(layer, str) else getattr(layer, "name", None)
        if name not in self.layer_names:
            raise ValueError(f"TimeGradientTracer.{who}: no traced layer {layer!r}; traced: "
                             f"{', '.join(self.layer_names) or 'none'}")
        return name

    def norms(self, layer=None) -> np.ndarray:
        """||dL/dh_t||: an array of (recorded steps, time steps) for ``layer`` (default: the
        first traced one). Time steps no gradient reached are NaN."""
        name = self._name(layer, "norms")
        rows = self._rows.get(name, [])
        if not rows:
            raise ValueError("TimeGradientTracer.norms: nothing recorded yet; train first "
                             "(fit(..., callbacks=[tracer]) or loss.backward(); "
                             "tracer.record())")
        length = max(len(row) for row in rows)
        table = np.full((len(rows), length), np.nan)
        for index, row in enumerate(rows):
            table[index, :len(row)] = row
        return table

    def ratio(self, layer=None, record=0, first=0, last=-1) -> float:
        """``||dL/dh_first|| / ||dL/dh_last||`` at the ``record``-th recorded step (default:
        t = 0 over the final time step, at the first recorded step)."""
        row = self.norms(layer)[record]
        return float(row[first] / row[last])
