"""``viz.explore_trace(tracer)``: the per-layer gradient norms of training, step by step.

One bar per layer (input side at the top), on a log scale, for each recorded training step; a
slider and a play button move through the steps, so the vanishing gradient (bars that shrink
by orders of magnitude towards the input) and its fix can be watched as the network trains.
A bar is coloured by the flags of :mod:`tinygrad_edu.trace_report`: its norm over the output
layer's below ``VANISHING_RATIO`` is vanishing, above ``EXPLODING_RATIO`` exploding.
"""

from __future__ import annotations

import html

import numpy as np

from tinygrad_edu.trace import EXPLODING_RATIO, QUANTITIES, VANISHING_RATIO, GradientTracer
from viz.explorer.graph_data import json_number
from viz.explorer.page import Page

__all__ = ["explore_trace", "TraceExplorer"]

_CONTROLS = """
<header>
  <h1>{title}</h1>
  <button id="play">&#x25B6; play</button>
  <input id="step" type="range" min="0" value="0" aria-label="training step">
  <span id="step-label"></span>
  <label>speed <select id="speed">
    <option value="400">slow</option><option value="120" selected>normal</option>
    <option value="30">fast</option></select></label>
</header>
<main class="trace"><div id="runs"></div></main>
"""


class TraceExplorer(Page):
    """The gradient-trace page (see :func:`explore_trace`)."""


def _runs(tracer_or_runs) -> dict:
    if isinstance(tracer_or_runs, GradientTracer):
        return {"model": tracer_or_runs}
    if isinstance(tracer_or_runs, dict) and tracer_or_runs and all(
            isinstance(t, GradientTracer) for t in tracer_or_runs.values()):
        return {str(k): t for k, t in tracer_or_runs.items()}
    raise TypeError("explore_trace: expected a GradientTracer or a non-empty dict label -> "
                    f"GradientTracer, got {type(tracer_or_runs).__name__}")


def explore_trace(tracer_or_runs, parameter=None, quantity="grad_norm",
                  title=None) -> TraceExplorer:
    """A page with the per-layer gradient-norm bars of one or more traced trainings.

    Args:
        tracer_or_runs: a :class:`~tinygrad_edu.trace.GradientTracer` that recorded a
            training, or a dict ``{label: tracer}`` to compare runs side by side.
        parameter: which weights of each layer (``"kernel"``), or None for all of them.
        quantity: what the bars show, one of :data:`tinygrad_edu.trace.QUANTITIES`.
        title: the page title.

    Returns:
        A :class:`TraceExplorer`: shown inline in Jupyter; ``.save("trace.html")``.
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"explore_trace: unknown quantity {quantity!r}; choose one of "
                         f"{', '.join(QUANTITIES)}")
    runs = []
    for label, tracer in _runs(tracer_or_runs).items():
        if not tracer.steps:
            raise ValueError(f"explore_trace: the tracer of {label!r} recorded nothing yet; "
                             "train with it as a callback (model.fit(..., callbacks=[tracer]))")
        names, values = tracer.matrix(quantity, parameter)
        norms = tracer.matrix("grad_norm", parameter)[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = norms / norms[-1]
        runs.append({"label": label, "layers": names, "steps": list(tracer.steps),
                     "values": [[json_number(v) for v in row] for row in values.T],
                     "ratios": [[json_number(v) for v in row] for row in ratios.T]})
    what = quantity + (f" of {parameter}" if parameter else "")
    title = title or f"per-layer {what} over training"
    data = {"title": title, "quantity": what, "runs": runs,
            "vanishing_ratio": VANISHING_RATIO, "exploding_ratio": EXPLODING_RATIO}
    body = _CONTROLS.format(title=html.escape(title))
    return TraceExplorer(title, f'<div class="explorer">{body}</div>', data, ("trace_page.js",))
