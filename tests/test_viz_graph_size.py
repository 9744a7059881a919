"""Big and small computation graphs stay readable: render time and picture size at 10, 100,
1,000 and 10,000 nodes, wrapped rows, a legend smaller than the graph, the loss grouped, the
roots of a second-order graph titled and colours that mean something on scalar graphs.

``python bench/bench_graph.py`` prints the same measurements as a table.
"""

import re
import shutil
import time

import numpy as np
import pytest

pytest.importorskip("graphviz")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import losses, nn  # noqa: E402
from viz import graph_layout, graph_style  # noqa: E402
from viz.graph import draw_graph, walk_graph  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")

# nodes in the graph -> (layers of the MLP, seconds to draw and render, largest side in points)
LIMITS = {10: (1, 3.0, 1000), 100: (12, 4.0, 1200), 1_000: (125, 8.0, 2500),
          10_000: (1250, 30.0, 7000)}


def mlp_loss(layers, width=8):
    """The cross-entropy of an MLP of ``layers`` Dense layers, after backward()."""
    tg.manual_seed(0)
    sizes = [width] * (layers - 1) + [3]
    model = nn.Sequential([nn.Dense(units, activation="relu" if index < layers - 1 else None)
                           for index, units in enumerate(sizes)])
    x = tg.Tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    labels = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1]]
    loss = losses.categorical_crossentropy(labels, model(x), from_logits=True).mean()
    loss.backward(retain_graph=True)
    return loss


def picture_size(dot) -> tuple[float, float]:
    svg = dot.pipe(format="svg").decode()
    found = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return float(found[1]), float(found[2])


def measure(layers):
    loss = mlp_loss(layers)
    walk = walk_graph(loss)
    start = time.perf_counter()
    dot = draw_graph(loss)
    size = picture_size(dot)
    return len(walk.tensors) + len(walk.ops), time.perf_counter() - start, size, dot


@needs_dot
@pytest.mark.parametrize("nodes", sorted(LIMITS))
def test_render_time_and_size(nodes):
    layers, seconds_limit, side_limit = LIMITS[nodes]
    count, seconds, (width, height), dot = measure(layers)
    assert 0.9 * nodes <= count <= 1.25 * nodes
    assert seconds < seconds_limit, f"{count} nodes took {seconds:.2f} s"
    assert max(width, height) <= side_limit, (width, height)
    if nodes >= 100:  # collapsed and wrapped: a grid, neither one long row nor one column
        assert "ops shown as one box per module" in dot.source
        assert 1 / 3 <= width / height <= 3, (width, height)
        assert "rank_row_1" in dot.source
    print(f"{count} nodes: {seconds:.2f} s, {width:.0f} x {height:.0f} pt")


@needs_dot
@pytest.mark.parametrize("make", ["tiny", "neuron", "apples", "mlp3", "mlp125"])
def test_the_legend_is_never_larger_than_the_graph(make):
    loss = {"tiny": lambda: tg.Tensor(2.0, requires_grad=True) * 3,
            "neuron": lambda: scalar_neuron(), "apples": lambda: apples()[0],
            "mlp3": lambda: mlp_loss(3), "mlp125": lambda: mlp_loss(125)}[make]()
    with_legend = picture_size(draw_graph(loss))
    without = picture_size(draw_graph(loss, legend=False))
    assert with_legend[0] <= without[0] + 1  # no wider
    assert with_legend[1] - without[1] <= without[1]  # adds less height than the graph has


def scalar_neuron():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    out = (x * tg.Tensor(-3.0, requires_grad=True, name="w") + 6.88).tanh()
    out.backward(retain_graph=True)
    return out


def apples():
    names = ("apple", "apple_num", "orange", "orange_num", "tax")
    values = (100.0, 2.0, 150.0, 3.0, 1.1)
    apple, count, orange, orange_count, tax = (
        tg.Tensor(v, requires_grad=True, name=n) for v, n in zip(values, names))
    total = (apple * count + orange * orange_count) * tax
    total.backward(retain_graph=True)
    return total, (apple, count, orange, orange_count, tax)


def test_small_models_are_drawn_in_full_and_compact():
    source = draw_graph(mlp_loss(3)).source
    assert "one box per module" not in source and "<B>MatMul</B>" in source
    assert "rankdir=TB" in source  # long but narrow: a notebook scrolls it
    assert source.count("rank=same") == 6  # each kernel and bias beside its op
    short = draw_graph(scalar_neuron()).source
    assert "rankdir=LR" in short


def test_auto_collapse_only_above_the_threshold_and_only_with_modules():
    loss = mlp_loss(12)
    walk = walk_graph(loss)
    assert len(walk.tensors) + len(walk.ops) > graph_layout.AUTO_COLLAPSE
    assert "one box per module" in draw_graph(loss).source
    assert "<B>MatMul</B>" in draw_graph(loss, collapse_modules=False).source
    x = tg.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100):  # no modules: nothing to collapse, every op is drawn
        y = y * 1.01
    assert draw_graph(y).source.count("<B>Mul</B>") == 100


def test_the_loss_ops_are_grouped():
    source = draw_graph(mlp_loss(3)).source
    cluster = re.search(r"subgraph cluster_\d+ \{\n[^\n]* label=loss .*?\n\t\}", source, re.S)
    assert cluster and "SoftmaxCrossEntropy" in cluster.group(0) and "Mean" in cluster.group(0)
    collapsed = draw_graph(mlp_loss(3), collapse_modules=True).source
    assert re.search(r"<B>loss</B><BR/>2 ops", collapsed)


def test_roots_of_a_second_order_graph_are_titled():
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    y = x ** 3
    (dy,) = tg.grad(y, x, create_graph=True)
    (d2y,) = tg.grad(dy, x, create_graph=True)
    source = draw_graph({"y": y, "dy/dx": dy, "d2y/dx2": d2y}).source
    for title, value in (("y", 27), ("dy/dx", 27), ("d2y/dx2", 18)):
        assert re.search(rf"<B>{re.escape(title)}</B><BR/>scalar float32<BR/>data {value}",
                         source), title
    assert "doubleoctagon" not in source  # results, not losses
    assert "octagon: loss" not in source


def test_colour_on_a_scalar_graph_spans_its_own_range():
    total, leaves = apples()
    source = draw_graph(total).source
    fills = {t.name: re.search(rf'<B>{t.name}</B>.*?fillcolor="(#\w+)"', source).group(1)
             for t in leaves}
    # gradients 2.2 (apple) ... 650 (tax): all above 1, yet not all one colour
    assert len(set(fills.values())) >= 4
    assert fills["apple"] == graph_style.GRADIENT_COLOURS[0]
    assert fills["tax"] == graph_style.GRADIENT_COLOURS[-1]
    assert "log scale over this graph" in source and ">2.2<" in source and ">650<" in source
    decades = draw_graph(mlp_loss(3)).source  # gradients of different sizes: by decade
    assert "mean |grad| by decade" in decades
