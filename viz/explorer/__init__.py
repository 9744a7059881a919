"""The step-through backprop page: watch the forward pass fill in values op by op, then the
backward pass send gradients back, each op applying its rule to the gradient it receives.

* :func:`explore` builds the page of a graph (:mod:`viz.explorer.explorer`);
* :func:`explore_trace` the page of a :class:`~tinygrad_edu.trace.GradientTracer`'s per-layer
  gradient norms over training (:mod:`viz.explorer.trace_page`).

Both pages are single HTML files with everything inlined (the JavaScript and CSS in
``viz/explorer/static`` ship as package data): no server, no CDN, no network request.
"""

from viz.explorer.explorer import Explorer, explore
from viz.explorer.page import embedded_data
from viz.explorer.trace_page import TraceExplorer, explore_trace

__all__ = ["explore", "Explorer", "explore_trace", "TraceExplorer", "embedded_data"]
