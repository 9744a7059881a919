"""Graphs worth stepping through, ready-made: the neuron, one training step of a 2-layer MLP,
and a 10,000-op graph (how a big page behaves). The README picture, the tutorials and the
tests use them.

>>> from viz.explorer.examples import neuron
>>> y, variables = neuron()
>>> round(float(y.item()), 4), sorted(variables)
(0.7064, ['b', 'w', 'x'])
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import Dense, Module, Sequential

__all__ = ["neuron", "mlp_step", "RepeatedTanh", "deep_graph"]


def neuron(x=2.0, w=-3.0, b=6.88):
    """``y = tanh(x*w + b)`` with named leaves: ``(y, {"x": x, "w": w, "b": b})``."""
    variables = {name: tg.Tensor(value, requires_grad=True, name=name)
                 for name, value in (("x", x), ("w", w), ("b", b))}
    y = (variables["x"] * variables["w"] + variables["b"]).tanh()
    y.name = "y"
    return y, variables


def mlp_step(seed=0):
    """The loss of one training step of Dense(3, tanh) -> Dense(1, sigmoid) on three samples
    (mean squared error): ``(loss, model)``. Call ``loss.backward()`` for the gradients."""
    tg.manual_seed(seed)
    model = Sequential([Dense(3, activation="tanh", input_dim=2, name="hidden"),
                        Dense(1, activation="sigmoid", name="output")], name="model")
    x = tg.Tensor(np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]], dtype=np.float32), name="x")
    y = tg.Tensor(np.array([[1.0], [0.0], [1.0]], dtype=np.float32), name="y")
    loss = tg.losses.get_loss("mse")(y, model(x))
    loss.name = "loss"
    return loss, model


class RepeatedTanh(Module):
    """``x <- tanh(x * w + b)``, ``repeats`` times with the same weights: 3 ops a round."""

    def __init__(self, width=4, repeats=33, name=None):
        super().__init__(name=name)
        self.repeats = repeats
        self.add_weight("kernel", (width,), initializer="ones")
        self.add_weight("bias", (width,), initializer="zeros")

    def forward(self, x):
        for _ in range(self.repeats):
            x = (x * self.kernel + self.bias).tanh()
        return x


def deep_graph(ops=10_000, width=4, ops_per_block=99):
    """A scalar loss over about ``ops`` ops: blocks of :class:`RepeatedTanh`, then a mean."""
    blocks = max(1, round(ops / ops_per_block))
    repeats = max(1, ops_per_block // 3)
    model = Sequential([RepeatedTanh(width, repeats, name=f"block_{k + 1}")
                        for k in range(blocks)], name="deep")
    x = tg.Tensor(np.linspace(-1.0, 1.0, 2 * width, dtype=np.float32).reshape(2, width),
                  name="x")
    loss = model(x).mean()
    loss.name = "loss"
    return loss
