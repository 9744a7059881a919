"""Regenerate the README's pictures: ``python -m viz.make_readme_images [--out docs/images]``.

* ``neuron.svg``: ``tanh(x*w + b)`` at x=2, w=-3, b=6.88, as ``tinygrad-edu graph`` draws it;
* ``computation_graph.svg``: one training step of a two-layer network on three samples
  (forward, mean squared error, backward), ops grouped by layer, values and gradients on the
  nodes, colours by gradient magnitude;
* ``gradient_bars.png``: the tour's per-layer kernel-gradient norms at the first and last
  step, for the 8-layer sigmoid net with N(0, 1) weights and the ReLU + He + BN net;
* ``explorer.png``: the step-through page of the neuron (:func:`viz.explore`) at the last
  backward step, photographed in headless Chromium (skipped, with a note, when Playwright or
  Chromium is missing).

Everything is seeded, so the pictures change only when the code does.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import Dense, Sequential

__all__ = ["make_readme_images", "small_step_graph", "explorer_picture"]


def small_step_graph():
    """The graph of one training step of a tiny model: Dense(3, tanh) -> Dense(1, sigmoid)."""
    from .graph import draw_graph, retain_grads

    tg.manual_seed(0)
    model = Sequential([Dense(3, activation="tanh", input_dim=2, name="hidden"),
                        Dense(1, activation="sigmoid", name="output")], name="model")
    x = tg.Tensor(np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]], dtype=np.float32),
                  name="x")
    y = tg.Tensor(np.array([[1.0], [0.0], [1.0]], dtype=np.float32), name="y")
    loss = tg.losses.get_loss("mse")(y, model(x))
    loss.name = "loss"
    retain_grads(loss)
    loss.backward(retain_graph=True)  # keep the graph: it is drawn afterwards
    return draw_graph(loss, max_values=3)


def make_readme_images(out="docs/images") -> list:
    """Write the README's pictures to ``out``; returns the paths written."""
    from .graph_render import render_graph
    from .tour import tour

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    from tinygrad_edu.cli import main as command_line

    neuron = out / "neuron.svg"
    command_line(["graph", "tanh(x*w + b)", "--set", "x=2.0", "--set", "w=-3.0", "--set",
                  "b=6.88", "-o", str(neuron)])
    written = [neuron, render_graph(small_step_graph(), out / "computation_graph.svg")]
    with tempfile.TemporaryDirectory() as scratch:
        result = tour(out=scratch, print_fn=None)
        written.append(Path(shutil.copyfile(result.files["bars"], out / "gradient_bars.png")))
        picture = explorer_picture(Path(scratch) / "neuron.html", out / "explorer.png")
        if picture is not None:
            written.append(picture)
    return written


def explorer_picture(page_path, png_path):
    """The neuron's step-through page at its last backward step, as a PNG (None, after a
    note on stderr, when no browser is available)."""
    from .explorer import explore
    from .explorer.browser import screenshot
    from .explorer.examples import neuron

    page = explore(neuron()[0])
    page.save(page_path)
    steps = len(page.data["forward"]) + len(page.data["backward"])
    try:
        return screenshot(page_path, png_path, keys=["ArrowRight"] * steps, width=1200,
                          height=560)
    except RuntimeError as error:
        print(f"make_readme_images: {error}; explorer.png not updated", file=sys.stderr)
        return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m viz.make_readme_images",
                                     description="Regenerate the README's pictures.")
    parser.add_argument("--out", default="docs/images", help="folder (default: docs/images)")
    args = parser.parse_args(argv)
    for path in make_readme_images(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
