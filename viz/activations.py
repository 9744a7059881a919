"""Pictures of activation functions and of the activations inside a network.

* :func:`plot_activation_functions`: each function and its derivative. The derivative is
  not written by hand: it is what tinygrad_edu's autograd computes, so the picture also
  shows what backpropagation will multiply by (the sigmoid's at most 0.25, ReLU's 0 or 1).
* :func:`plot_activation_histograms`: one histogram per layer of the values it outputs, the
  weight-initialization experiment of the course (with std 1 the sigmoid outputs pile up at
  0 and 1; with std 0.01 they all sit at 0.5; Xavier/He keep them spread through the layers).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.functional import get_activation
from tinygrad_edu.functional.activations import activation_name

from .figures import as_array, new_figure

__all__ = ["plot_activation_functions", "plot_activation_histograms", "activation_derivative"]

DEFAULT_FUNCTIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu")
_NOT_ELEMENTWISE = ("softmax", "log_softmax")


def activation_derivative(function, x) -> tuple[np.ndarray, np.ndarray]:
    """``(f(x), f'(x))`` for an elementwise activation, the derivative by autograd.

    Because ``f`` acts on each element separately, backpropagating a gradient of ones gives
    ``d f(x_i) / d x_i`` at every point at once.
    """
    point = tg.Tensor(np.asarray(x, dtype=np.float32), requires_grad=True)
    value = function(point)
    (slope,) = tg.grad(value, point, grad_outputs=tg.ones(*value.shape))
    return value.numpy().copy(), slope.numpy().copy()


def _resolve(item):
    """(label, function) for a Keras activation name or a callable."""
    if callable(item):
        return activation_name(item) or getattr(item, "__name__", "activation"), item
    if isinstance(item, str) and item.strip().lower() in _NOT_ELEMENTWISE:
        raise ValueError(f"plot_activation_functions: {item!r} is not elementwise (each output "
                         "depends on the whole row), so it has no single derivative curve")
    return item, get_activation(item)


def plot_activation_functions(names=None, x_range=(-5.0, 5.0), points=401, columns=3):
    """Each activation function (solid) and its derivative by autograd (dashed).

    Args:
        names: Keras activation names (``"sigmoid"``, ``"relu"``...) or callables taking a
            Tensor; default: sigmoid, tanh, relu, leaky_relu, elu, gelu.
        x_range: the interval of x drawn.
        points: how many x values.
        columns: panels per row.

    Returns:
        A Figure with one panel per function, titled with its name; legend
        ``f(x)`` / ``f'(x)``.
    """
    functions = [_resolve(item) for item in (names or DEFAULT_FUNCTIONS)]
    if not functions:
        raise ValueError("plot_activation_functions: no functions given")
    x = np.linspace(float(x_range[0]), float(x_range[1]), int(points), dtype=np.float32)
    figure, axes = new_figure(len(functions), columns=columns, panel_size=(3.6, 2.8))
    for ax, (label, function) in zip(axes, functions):
        value, slope = activation_derivative(function, x)
        ax.axhline(0.0, color="#bbbbbb", linewidth=0.8)
        ax.axvline(0.0, color="#bbbbbb", linewidth=0.8)
        ax.plot(x, value, color="C0", label="f(x)")
        ax.plot(x, slope, "--", color="C1", label="f'(x)")
        ax.set_title(label)
        ax.set_xlabel("x")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    return figure


def _is_model(obj) -> bool:
    return hasattr(obj, "register_forward_hook") and callable(obj)


def _record(model, x, layers) -> dict:
    """Run ``model(x)`` once (no graph) and keep the output of each chosen layer."""
    if x is None:
        raise ValueError("plot_activation_histograms: pass the input batch x to run the model on")
    if layers is None:
        layers = model.children() or [model]
    else:
        by_path = dict(model.named_modules())
        by_name = {module.name: module for module in by_path.values()}
        chosen = []
        for layer in layers:
            if isinstance(layer, str):
                if layer not in by_path and layer not in by_name:
                    raise ValueError(f"plot_activation_histograms: no layer named {layer!r}; "
                                     f"layers: {', '.join(by_name)}")
                layer = by_path.get(layer) or by_name[layer]
            chosen.append(layer)
        layers = chosen
    captured = {}

    def keep(module, inputs, output):
        captured[module.name] = np.array(output.data, dtype=np.float64)  # last call wins

    handles = [layer.register_forward_hook(keep) for layer in layers]
    try:
        with tg.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return {layer.name: captured[layer.name] for layer in layers if layer.name in captured}


def _activations(model_or_activations, x, layers) -> dict:
    if _is_model(model_or_activations):
        return _record(model_or_activations, x, layers)
    if isinstance(model_or_activations, Mapping):
        items = list(model_or_activations.items())
    elif isinstance(model_or_activations, (list, tuple)):
        items = [(f"layer {i + 1}", a) for i, a in enumerate(model_or_activations)]
    else:
        raise TypeError(
            "plot_activation_histograms: expected a model (a Module), a list of arrays or a "
            f"dict name -> array, got {type(model_or_activations).__name__}"
        )
    return {str(name): as_array(a, "plot_activation_histograms") for name, a in items}


def plot_activation_histograms(model_or_activations, x=None, layers=None, bins=30,
                               value_range=None, columns=5, title=None):
    """Histograms of the values each layer outputs, side by side, on a shared x range.

    Args:
        model_or_activations: a model (a ``tinygrad_edu.nn.Module``), run once on ``x``
            without recording a graph, in its current train/eval mode; or the activations
            themselves: a list of arrays/Tensors (titled "layer 1", "layer 2"...) or a dict
            name -> array.
        x: the input batch, when a model is given.
        layers: with a model: the layers (modules or names) whose outputs are drawn;
            default: the model's direct sub-layers (a Sequential's layers).
        bins: histogram bins.
        value_range: ``(low, high)`` of the x axis; default: the range of all values, so the
            panels can be compared.
        columns: panels per row.
        title: a title over the whole figure (e.g. ``"sigmoid, std 0.01"``).

    Returns:
        The Figure: one panel per layer, titled with its name and, on a second line, the
        mean and standard deviation (above the panel, never over the bars).
    """
    activations = _activations(model_or_activations, x, layers)
    if not activations:
        raise ValueError("plot_activation_histograms: no activations to draw")
    if value_range is None:
        finite = [a[np.isfinite(a)] for a in activations.values()]
        low = min((float(a.min()) for a in finite if a.size), default=0.0)
        high = max((float(a.max()) for a in finite if a.size), default=1.0)
        value_range = (low - 0.5, high + 0.5) if low == high else (low, high)
    figure, axes = new_figure(len(activations), columns=columns, panel_size=(2.8, 2.4),
                              sharey=True)
    for index, (ax, (name, values)) in enumerate(zip(axes, activations.items())):
        flat = values.ravel()
        flat = flat[np.isfinite(flat)]
        ax.hist(flat, bins=bins, range=value_range, color="C0")
        stats = f"\nmean {flat.mean():.2g}, std {flat.std():.2g}" if flat.size else ""
        ax.set_title(name + stats, fontsize="medium")
        ax.set_xlabel("activation")
        if index % columns == 0:
            ax.set_ylabel("count")
    if title:
        figure.suptitle(title)
    return figure
