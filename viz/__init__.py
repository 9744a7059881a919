"""Pictures of what tinygrad_edu computes: computation graphs, training curves, activations,
optimizer paths, and pages that step through backpropagation (:func:`explore`) and through
the per-layer gradients of a training (:func:`explore_trace`).

Graphs are drawn with Graphviz (``graphviz`` package + the ``dot`` program); plots with
matplotlib. Plot functions return a ``matplotlib.figure.Figure`` without touching pyplot's
global state: in Jupyter the figure shows itself, in a script call ``fig.savefig("x.png")``.
No display is needed.

Submodules are imported on first use, so ``import viz`` is quick and drawing graphs does not
need matplotlib (nor plotting need Graphviz).

>>> import viz
>>> callable(viz.draw_graph)
True
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "draw_graph": "viz.graph",
    "retain_grads": "viz.graph",
    "walk_graph": "viz.graph",
    "render_graph": "viz.graph_render",
    "GraphvizNotFoundError": "viz.graph_render",
    "plot_history": "viz.training",
    "plot_confusion_matrix": "viz.training",
    "plot_softmax": "viz.training",
    "plot_activation_functions": "viz.activations",
    "plot_activation_histograms": "viz.activations",
    "plot_optimizer_paths": "viz.optimizers",
    "optimizer_paths": "viz.optimizers",
    "plot_gradient_trace": "viz.gradients",
    "explore": "viz.explorer",
    "explore_trace": "viz.explorer",
    "plot_time_gradients": "viz.time_gradients",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
