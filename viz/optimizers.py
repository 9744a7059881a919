"""Optimizer paths on a 2-D function: how SGD, Momentum, AdaGrad, Adam... walk downhill.

The course's example is ``f(x, y) = x**2 / 20 + y**2`` from ``(-7, 2)``: steep along y,
nearly flat along x. Plain SGD zig-zags across the valley; momentum and the adaptive methods
head for the minimum at (0, 0) more directly.

>>> from tinygrad_edu import optim
>>> def f(x, y):
...     return x ** 2 / 20 + y ** 2
>>> paths = optimizer_paths(f, (-7.0, 2.0), {"SGD": lambda p: optim.SGD(p, lr=0.95)}, steps=30)
>>> paths["SGD"].shape
(31, 2)
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg

from .figures import new_figure

__all__ = ["optimizer_paths", "plot_optimizer_paths"]


def _make_optimizer(label, spec, params):
    """An optimizer over ``params`` from a factory/class or an unbound optimizer instance."""
    if hasattr(spec, "step") and not isinstance(spec, type):
        if not hasattr(spec, "bind"):
            raise TypeError(
                f"plot_optimizer_paths: the optimizer for {label!r} is an instance without "
                "bind(params); pass a factory instead, e.g. lambda params: optim.SGD(params, "
                "lr=0.95)"
            )
        return spec.bind(params) or spec
    if callable(spec):
        return spec(params)
    raise TypeError(
        f"plot_optimizer_paths: the optimizer for {label!r} must be a factory "
        "(lambda params: optim.SGD(params, lr=0.95)), an optimizer class, or an unbound "
        f"optimizer such as optim.SGD(lr=0.95); got {type(spec).__name__}"
    )


def optimizer_paths(f, start, optimizers, steps=30, dtype="float32") -> dict:
    """The points each optimizer visits while minimizing ``f(x, y)``.

    Each optimizer gets two fresh scalar parameters ``x`` and ``y`` set to ``start`` and
    takes ``steps`` steps of ``zero_grad(); f(x, y).backward(); step()``.

    Args:
        f: a function of two scalar Tensors returning a scalar Tensor, written with Tensor
            operators and methods (``x ** 2 / 20 + y ** 2``).
        start: the starting point ``(x0, y0)``.
        optimizers: a dict label -> optimizer: a factory ``lambda params: optim.SGD(params,
            lr=0.95)``, an optimizer class (called with the params and its defaults), or an
            optimizer built without parameters (``optim.SGD(lr=0.95)``), which is bound to
            fresh ones.
        steps: the number of updates.

    Returns:
        A dict label -> array of shape (steps + 1, 2): the start and each point after a
        step. A path that overflows stops at the last finite point.
    """
    if not isinstance(optimizers, dict) or not optimizers:
        raise TypeError("optimizer_paths: optimizers must be a non-empty dict label -> "
                        "optimizer factory (e.g. {'SGD': lambda p: optim.SGD(p, lr=0.95)})")
    x0, y0 = (float(v) for v in start)
    paths = {}
    for label, spec in optimizers.items():
        x = tg.Tensor(x0, requires_grad=True, dtype=dtype, name="x")
        y = tg.Tensor(y0, requires_grad=True, dtype=dtype, name="y")
        optimizer = _make_optimizer(label, spec, [x, y])
        points = [(x0, y0)]
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
            _walk(f, optimizer, x, y, int(steps), points)
        paths[label] = np.array(points)
    return paths


def _walk(f, optimizer, x, y, steps, points) -> None:
    """Take ``steps`` optimizer steps, appending each finite point."""
    for _ in range(steps):
        optimizer.zero_grad()
        value = f(x, y)
        if value.size != 1:
            raise ValueError(f"optimizer_paths: f(x, y) must return a scalar, got shape "
                             f"{value.shape}")
        value.backward()
        optimizer.step()
        point = (float(x.item()), float(y.item()))
        if not np.all(np.isfinite(point)):
            break
        points.append(point)


def _surface(f, xlim, ylim, resolution):
    xs = np.linspace(xlim[0], xlim[1], resolution, dtype=np.float64)
    ys = np.linspace(ylim[0], ylim[1], resolution, dtype=np.float64)
    grid_x, grid_y = np.meshgrid(xs, ys)
    with tg.no_grad():
        values = f(tg.Tensor(grid_x, dtype="float64"), tg.Tensor(grid_y, dtype="float64"))
    return grid_x, grid_y, np.asarray(values.data, dtype=np.float64)


def _start_point(start):
    return float(start[0]), float(start[1])


def _limits(paths, start, margin=0.15):
    points = np.concatenate([np.asarray([start], dtype=np.float64), *paths.values()])
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.maximum(high - low, 1.0)
    low, high = low - margin * span, high + margin * span
    return (low[0], high[0]), (low[1], high[1])


def plot_optimizer_paths(f, start, optimizers, steps=30, xlim=None, ylim=None, levels=20,
                         resolution=200, overlay=False, columns=None, title=None):
    """Contour lines of ``f`` with the path of each optimizer, one panel per optimizer.

    Args:
        f, start, optimizers, steps: as for :func:`optimizer_paths`.
        xlim, ylim: the drawn area; default: around all the paths.
        levels: number of contour levels.
        resolution: grid points per axis for the contours.
        overlay: draw every path on one panel (with a legend) instead of one panel each.
        columns: panels per row (default: up to 4).
        title: a title over the whole figure.

    Returns:
        The Figure: each panel is titled with the optimizer's label, its number of steps and
        its final point (with ``overlay``, one panel whose legend names the optimizers);
        axes "x" and "y"; the start marked by a star and the lowest grid point by a plus.

    >>> from tinygrad_edu import optim
    >>> fig = plot_optimizer_paths(lambda x, y: x ** 2 / 20 + y ** 2, (-7.0, 2.0),
    ...                            {"SGD": lambda p: optim.SGD(p, lr=0.95)},
    ...                            xlim=(-10, 10), ylim=(-5, 5))
    >>> fig.axes[0].get_title()
    'SGD (30 steps) -> (-0.35, 0.0848)'
    """
    paths = optimizer_paths(f, start, optimizers, steps)
    default_x, default_y = _limits(paths, start)
    xlim, ylim = xlim or default_x, ylim or default_y
    grid_x, grid_y, values = _surface(f, xlim, ylim, resolution)
    lowest = np.unravel_index(np.argmin(values), values.shape)
    panels = 1 if overlay else len(paths)
    figure, axes = new_figure(panels, columns=columns or min(panels, 4),
                              panel_size=(5.5, 4.2) if overlay else (4.2, 3.4))
    for ax in axes:
        ax.contour(grid_x, grid_y, values, levels=levels, cmap="Greys", linewidths=0.8)
        ax.plot(*_start_point(start), "*", color="black", markersize=10, label="start")
        ax.plot(grid_x[lowest], grid_y[lowest], "+", color="red", markersize=12, mew=2,
                label="minimum")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    for index, (label, path) in enumerate(paths.items()):
        ax = axes[0 if overlay else index]
        taken = len(path) - 1
        summary = f"{label} ({taken} steps{'' if taken == steps else ', diverged'})"
        ax.plot(path[:, 0], path[:, 1], "o-", color=f"C{index % 10}", markersize=3,
                linewidth=1.2, label=summary if overlay else label)
        if not overlay:
            ax.set_title(f"{summary} -> ({path[-1, 0]:.3g}, {path[-1, 1]:.3g})",
                         fontsize="medium")
    if overlay:
        axes[0].set_title("optimizer paths")
    for ax in axes:
        ax.legend(fontsize="x-small", loc="lower right")
    if title:
        figure.suptitle(title)
    return figure
