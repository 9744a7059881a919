"""Pictures of what tinygrad_edu computes: computation graphs, training curves, activations,
optimizer paths, and pages that step through backpropagation (:func:`explore`) and through
the per-layer gradients of a training (:func:`explore_trace`).

Import it as ``from tinygrad_edu import viz`` (or ``import tinygrad_edu.viz as viz``). The
short ``import viz`` works too, but that name is common: an unrelated package on PyPI is
called ``viz``, and so is many a student's own ``viz.py``. If ``import viz`` gives you
something else (``viz.draw_graph`` missing), rename your file, or ``pip uninstall viz``, or
simply use the long spelling, which always finds these pictures.

Graphs are drawn with Graphviz (``graphviz`` package + the ``dot`` program); plots with
matplotlib; both come with the ``viz`` extra: ``pip install "tinygrad-edu[viz]"``. Plot
functions return a ``matplotlib.figure.Figure`` without touching pyplot's global state. In
Jupyter a cell ending in a figure shows it (no ``%matplotlib inline`` needed); in a script
``viz.show(figure)`` or ``figure.savefig("x.png")`` saves it. No display is needed.

Submodules are imported on first use, so ``import viz`` is quick.

>>> from tinygrad_edu import viz
>>> callable(viz.draw_graph)
True
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

_MISSING = [name for name in ("matplotlib", "graphviz") if importlib.util.find_spec(name) is None]
if _MISSING:
    raise ImportError(
        f"tinygrad_edu's pictures need {' and '.join(_MISSING)}, which come with the viz "
        'extra: pip install "tinygrad-edu[viz]" (Graphviz\'s dot program: apt-get install '
        "graphviz)")

_EXPORTS = {
    "draw_graph": "graph",
    "retain_grads": "graph",
    "walk_graph": "graph",
    "render_graph": "graph_render",
    "GraphvizNotFoundError": "graph_render",
    "plot_history": "training",
    "plot_confusion_matrix": "training",
    "plot_softmax": "training",
    "plot_activation_functions": "activations",
    "plot_activation_histograms": "activations",
    "plot_optimizer_paths": "optimizers",
    "optimizer_paths": "optimizers",
    "plot_gradient_trace": "gradients",
    "show": "figures",
    "explore": "explorer",
    "explore_trace": "explorer",
    "plot_time_gradients": "time_gradients",
    "plot_model": "model_diagram",
    "model_to_dot": "model_diagram",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


if "IPython" in sys.modules:  # in Jupyter: figures show themselves, whatever the backend
    importlib.import_module(".figures", __name__).enable_notebook_display()
