"""Reverse-mode automatic differentiation: the graph nodes and the engine that walks them.

Every differentiable op is a subclass of :class:`Function` with two methods side by side:

* ``forward(self, *arrays, **params)`` computes the result on plain numpy arrays and keeps on
  ``self`` whatever the backward rule needs;
* ``backward(self, grad_out)`` receives dL/d(output) as a :class:`~tinygrad_edu.tensor.Tensor`
  and returns dL/d(input) for each input, written with Tensor ops.

Because backward rules are Tensor ops, running them while recording (``create_graph=True``)
builds a graph of the gradient itself: that is where second derivatives come from.

Where each part lives (``docs/how_autodiff_works.md`` reads them in this order):

* :mod:`~tinygrad_edu.autograd.function`: :class:`Function`, the graph node, and
  ``Function.apply``, which runs an op and records its node;
* :mod:`~tinygrad_edu.autograd.engine`: ``run_backward``, the loop behind ``backward()``;
  :func:`grad`; :func:`backward_order`, the engine's order made public; :func:`unbroadcast`,
  the broadcasting rule in one place; the checks for in-place changes and (under
  ``detect_anomaly``) NaN and inf;
* :mod:`~tinygrad_edu.autograd.grad_mode`: the switches every op reads (``state``),
  :class:`no_grad`, :class:`enable_grad`, :func:`is_grad_enabled`, :class:`detect_anomaly`;
* :mod:`~tinygrad_edu.autograd.hooks`: :class:`RemovableHandle` and what meets a finished
  gradient (hooks, ``retain_grad``, ``grad()``'s capture).
"""

from tinygrad_edu.autograd.engine import backward_order, derivative_name, grad, unbroadcast
from tinygrad_edu.autograd.engine import run_backward as run_backward  # the engine's entry
from tinygrad_edu.autograd.function import Function
from tinygrad_edu.autograd.grad_mode import (
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
)
from tinygrad_edu.autograd.grad_mode import state as state  # the switches every op reads
from tinygrad_edu.autograd.hooks import RemovableHandle

__all__ = [
    "Function",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "grad",
    "backward_order",
    "derivative_name",
    "unbroadcast",
    "RemovableHandle",
]
