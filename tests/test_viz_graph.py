"""Graph drawings: their DOT content, module clusters, collapsing, colours, rendering."""

import re
import shutil
import time

import numpy as np
import pytest

pytest.importorskip("graphviz")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu.nn import Dense, Module, Sequential  # noqa: E402
from viz import graph_style  # noqa: E402
from viz.graph import GraphWalk, draw_graph, retain_grads, walk_graph  # noqa: E402
from viz.graph_render import GraphvizNotFoundError, render_graph  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")

_NODE = re.compile(r"^(n\d+|m\d+|legend_\w+) \[(.*)\]$")
_EDGE = re.compile(r"^(\S+) -> (\S+)(?: \[(.*)\])?$")


def parse_dot(source):
    """Nodes (id -> attribute text), their cluster (id -> label path), clusters, edges."""
    nodes, where, clusters, edges = {}, {}, {}, []
    stack = []
    for line in source.splitlines():
        text = line.strip()
        if text.startswith("subgraph"):
            parent = stack[-1]["label"] if stack else None
            if text.startswith("subgraph cluster"):
                stack.append({"label": None, "parent": parent, "cluster": True})
            else:  # a plain subgraph (e.g. rank=same) is not a box: keep the parent's label
                stack.append({"label": parent, "parent": parent, "cluster": False})
        elif text == "}":
            if stack:
                frame = stack.pop()
                if frame["cluster"]:
                    clusters[frame["label"]] = frame["parent"]
        elif _NODE.match(text):
            node_id, attributes = _NODE.match(text).groups()
            nodes[node_id] = attributes
            where[node_id] = stack[-1]["label"] if stack else None
        elif _EDGE.match(text):
            source_id, target_id, attributes = _EDGE.match(text).groups()
            edges.append((source_id, target_id, attributes or ""))
        elif stack and stack[-1]["cluster"] and stack[-1]["label"] is None:
            found = re.search(r'\blabel=(?:"([^"]*)"|(\S+))', text)
            if found:
                stack[-1]["label"] = found.group(1) or found.group(2)
    return nodes, where, clusters, edges


def legend_of(source):
    """The legend: the graph's own label (an HTML-like table under the picture)."""
    found = re.search(r"^\tlabel=<(<TABLE.*</TABLE>)>", source, re.M) or re.search(
        r"label=<(<TABLE.*</TABLE>)> labeljust=l labelloc=b", source)
    return found.group(1) if found else ""


def op_nodes(nodes):
    """The op names of op nodes (grey ellipses), in order."""
    return [re.search(r"<B>(\w+)</B>", a).group(1) for a in nodes.values()
            if "shape=ellipse" in a and "fillcolor=\"#e8e8e8\"" in a and a.startswith("label=<")]


def node_with(nodes, text):
    matches = [node_id for node_id, attributes in nodes.items()
               if text in attributes and not node_id.startswith("legend")]
    assert len(matches) == 1, (text, matches)
    return matches[0]


def neuron():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    w = tg.Tensor(-3.0, requires_grad=True, name="w")
    b = tg.Tensor(6.88, requires_grad=True, name="b")
    out = (x * w + b).tanh()
    return out, (x, w, b)


def test_neuron_graph_has_a_node_per_tensor_and_op_with_values_and_grads():
    out, (x, w, b) = neuron()
    assert retain_grads(out) == 3  # x*w, x*w + b, tanh
    out.backward(retain_graph=True)
    source = draw_graph(out).source
    nodes, _, _, edges = parse_dot(source)
    assert sorted(op_nodes(nodes)) == ["Add", "Mul", "Tanh"]
    tensor_nodes = [n for n in nodes if n.startswith("n") and "shape=ellipse" not in nodes[n]]
    assert len(tensor_nodes) == 6  # x, w, b, x*w, x*w+b, tanh
    x_node = nodes[node_with(nodes, "<B>x</B>")]
    assert "data 2" in x_node and f"grad {x.grad.item():.4g}" in x_node
    assert "grad -1.503" in x_node
    assert "data 0.88" in nodes[node_with(nodes, "data 0.88")]  # the intermediate x*w + b
    assert len(edges) - sum("style=invis" in e[2] for e in edges) == 8  # 6 into ops, 3 out - 1
    legend = legend_of(source)
    assert "mean |grad|" in legend and "ellipse: op" in legend and "rounded: leaf" in legend


def test_kinds_are_visually_distinct():
    tg.manual_seed(0)
    model = Sequential([Dense(3, activation="sigmoid"), Dense(2)])
    x = tg.randn(4, 5)
    loss = ((model(x) - 1.0) ** 2).mean()
    loss.backward(retain_graph=True)
    source = draw_graph(loss).source
    nodes, _, _, _ = parse_dot(source)
    kernel = nodes[node_with(nodes, "<B>dense.kernel</B>")]
    assert "peripheries=2" in kernel and "(5, 3) float32" in kernel
    assert "shape=doubleoctagon" in nodes[node_with(nodes, "<B>loss</B>")]
    assert "dashed" in nodes[node_with(nodes, "(4, 5) float32")]  # the input data: a constant
    assert all(graph_style.KIND_WORDS[kind] in legend_of(source)
               for kind in ("op", "parameter", "constant", "loss"))
    leaf = tg.Tensor([1.0, 2.0], requires_grad=True, name="v")
    outputs = draw_graph([leaf * 2, (leaf * 3).sum()]).source
    nodes, _, _, _ = parse_dot(outputs)
    assert "rounded" in nodes[node_with(nodes, "<B>v</B>")]
    assert "penwidth=3" in nodes[node_with(nodes, "<B>output</B>")]


def test_one_cluster_per_module_nested_like_the_modules():
    tg.manual_seed(0)
    model = Sequential([Dense(4, activation="relu"), Dense(4, activation="relu"), Dense(1)])
    loss = model(tg.randn(8, 3)).mean()
    loss.backward(retain_graph=True)
    nodes, where, clusters, _ = parse_dot(draw_graph(loss).source)
    assert clusters == {"sequential": None, "dense": "sequential", "dense_1": "sequential",
                        "dense_2": "sequential", "loss": None}  # the loss ops: their own box
    for layer in ("dense", "dense_1", "dense_2"):
        assert where[node_with(nodes, f"<B>{layer}.kernel</B>")] == layer
        assert where[node_with(nodes, f"<B>{layer}.bias</B>")] == layer
    matmuls = [n for n, a in nodes.items() if "<B>MatMul</B>" in a]
    assert sorted(where[n] for n in matmuls) == ["dense", "dense_1", "dense_2"]
    assert where[node_with(nodes, "<B>loss</B>")] == "loss"
    assert where[node_with(nodes, "<B>Mean</B>")] == "loss"
    flat_nodes, flat_where, flat_clusters, _ = parse_dot(
        draw_graph(loss, group_by_module=False).source)
    assert set(flat_clusters) == set() and len(flat_nodes) == len(nodes)


def test_collapsed_modules_show_shapes_and_parameters():
    tg.manual_seed(0)
    model = Sequential([Dense(4, activation="tanh"), Dense(4, activation="tanh"), Dense(2)])
    loss = model(tg.randn(8, 3)).sum()
    loss.backward(retain_graph=True)
    nodes, where, clusters, edges = parse_dot(draw_graph(loss, collapse_modules=True).source)
    modules = {n: a for n, a in nodes.items() if n.startswith("m")}
    assert len(modules) == 4  # three layers and the loss
    assert "<B>loss</B><BR/>1 op" in modules[node_with(nodes, "<B>loss</B><BR/>1 op")]
    modules = {n: a for n, a in modules.items() if "<B>loss</B>" not in a}
    first = modules[node_with(nodes, "<B>dense</B>")]
    assert "in (8, 3)" in first and "out (8, 4)" in first
    assert "dense.kernel (3, 4)" in first and "dense.bias (4,)" in first
    assert "shape=box3d" in first and "params mean|g|" in first
    assert all(where[m] == "sequential" for m in modules)
    assert "MatMul" not in " ".join(nodes.values())  # the ops are inside the module nodes
    labels = [a for s, t, a in edges if s.startswith("m") and t.startswith("m")]
    assert sorted(labels) == ['label="(8, 2)"', 'label="(8, 4)"', 'label="(8, 4)"']  # + loss
    whole, _, _, _ = parse_dot(draw_graph(loss, collapse_modules=1).source)
    assert len([n for n in whole if n.startswith("m")]) == 2  # the model and the loss
    model_node = whole[node_with(whole, "<B>sequential</B>")]
    assert "8 ops" in model_node and "... 2 more parameters" in model_node


class StackBlock(Module):
    """A layer with many ops (to make a big graph quickly)."""

    def __init__(self, repeats, **kwargs):
        super().__init__(**kwargs)
        self.repeats = repeats

    def build(self, input_shape):
        self.add_weight("kernel", (input_shape[-1], input_shape[-1]))

    def forward(self, x):
        y = x @ self.kernel
        for _ in range(self.repeats):
            y = (y * 0.5).tanh() + y * 0.5
        return y


class BlockStack(Module):
    def __init__(self, depth, repeats):
        super().__init__(name="model")
        self.blocks = [StackBlock(repeats) for _ in range(depth)]

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


def test_a_10000_node_graph_collapses_to_one_node_per_module():
    model = BlockStack(depth=20, repeats=62)
    loss = (model(tg.randn(4, 8)) ** 2).mean()
    walk = walk_graph(loss)
    assert len(walk.tensors) + len(walk.ops) > 10_000
    dot = draw_graph(loss, collapse_modules=True)
    nodes, _, _, edges = parse_dot(dot.source)
    graph_nodes = list(nodes)
    blocks = [n for n in graph_nodes if n.startswith("m") and "<B>loss</B>" not in nodes[n]]
    assert len(blocks) == 20
    assert len(graph_nodes) < 40 and len(edges) < 60  # what dot has to lay out
    assert all("249 ops" in nodes[m] for m in blocks)  # 1 + 62 * 4


@needs_dot
def test_collapsed_big_graph_renders(tmp_path):
    model = BlockStack(depth=20, repeats=62)
    loss = (model(tg.randn(4, 8)) ** 2).mean()
    start = time.perf_counter()
    path = render_graph(draw_graph(loss, collapse_modules=True), tmp_path / "big.svg")
    elapsed = time.perf_counter() - start
    svg = path.read_text()
    assert svg.count("block_19") >= 1 and "3&#45;D box: module" in svg
    print(f"collapsed 10k-node graph drawn and rendered in {elapsed:.2f} s")


def test_colour_encodes_gradient_magnitude_by_decade():
    assert graph_style.gradient_colour(None) == graph_style.NO_GRAD_COLOUR
    assert graph_style.gradient_colour(0.0) == graph_style.ZERO_COLOUR
    assert graph_style.gradient_colour(float("nan")) == graph_style.NONFINITE_COLOUR
    colours = graph_style.GRADIENT_COLOURS
    assert graph_style.gradient_colour(1e-9) == colours[0]
    assert graph_style.gradient_colour(3e-5) == colours[3]
    assert graph_style.gradient_colour(0.5) == colours[7]
    assert graph_style.gradient_colour(20.0) == colours[8]
    small = tg.Tensor(np.ones(3), requires_grad=True, name="small")
    large = tg.Tensor(np.ones(3), requires_grad=True, name="large")
    dead = tg.Tensor(np.ones(3), requires_grad=True, name="dead")
    loss = (small * 3e-5).sum() + (large * 2.0).sum() + (dead * 0.0).sum()
    loss.backward(retain_graph=True)
    source = draw_graph(loss).source
    nodes, _, _, _ = parse_dot(source)
    assert f'fillcolor="{colours[3]}"' in nodes[node_with(nodes, "<B>small</B>")]
    assert f'fillcolor="{colours[8]}"' in nodes[node_with(nodes, "<B>large</B>")]
    assert 'fillcolor="#000000"' in nodes[node_with(nodes, "<B>dead</B>")]
    legend = legend_of(source)  # the decades this graph spans (3 to 8), zero, no gradient
    assert "mean |grad| by decade" in legend
    assert all(c in legend for c in colours[3:]) and not any(c in legend for c in colours[:3])
    assert "#000000" in legend and ">0<" in legend


def test_vanishing_gradients_show_as_darker_layers():
    tg.manual_seed(0)
    model = Sequential([Dense(30, activation="sigmoid", kernel_initializer="random_normal")
                        for _ in range(6)] + [Dense(1)])
    loss = (model(tg.randn(16, 30)) ** 2).mean()
    loss.backward(retain_graph=True)
    nodes, _, _, _ = parse_dot(draw_graph(loss, collapse_modules=True).source)
    bins = []
    for layer in model.layers:
        attributes = nodes[node_with(nodes, f"<B>{layer.name}</B>")]
        colour = re.search(r'fillcolor="(#\w+)"', attributes).group(1)
        bins.append(graph_style.GRADIENT_COLOURS.index(colour))
        total = np.abs(layer.kernel.grad.numpy()).sum() + np.abs(layer.bias.grad.numpy()).sum()
        expected = total / (layer.kernel.size + layer.bias.size)
        assert f"params mean|g| {graph_style.number(expected)}" in attributes
    assert bins == sorted(bins) and bins[-1] - bins[0] >= 4  # four decades darker at the input


def test_graph_of_a_gradient_second_derivatives():
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    y = x**3
    (dy,) = tg.grad(y, x, create_graph=True)
    dy.name = "dy/dx"
    (d2y,) = tg.grad(dy, x, create_graph=True)
    d2y.name = "d2y/dx2"
    nodes, _, _, _ = parse_dot(draw_graph([y, dy, d2y]).source)
    assert "data 27" in nodes[node_with(nodes, "<B>dy/dx</B>")]
    assert "data 18" in nodes[node_with(nodes, "<B>d2y/dx2</B>")]
    assert len([n for n, a in nodes.items() if "<B>x</B>" in a]) == 1  # shared, drawn once
    assert op_nodes(nodes).count("Mul") >= 2


def test_a_freed_graph_is_drawn_dashed_with_a_hint():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * 2).exp().sum()
    loss.backward()
    source = draw_graph(loss).source
    assert "graph freed by backward()" in source and "retain_graph=True" in source


def test_values_grads_and_max_values_options():
    small = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="small")
    big = tg.Tensor(np.arange(10.0), requires_grad=True, name="big")
    loss = (small * 2).sum() + big.sum()
    loss.backward(retain_graph=True)
    nodes, _, _, _ = parse_dot(draw_graph(loss).source)
    assert "data [1, 2, 3]" in nodes[node_with(nodes, "<B>small</B>")]
    assert "grad [2, 2, 2]" in nodes[node_with(nodes, "<B>small</B>")]
    assert "data min 0, max 9" in nodes[node_with(nodes, "<B>big</B>")]
    assert "grad mean|g| 1" in nodes[node_with(nodes, "<B>big</B>")]
    nodes, _, _, _ = parse_dot(draw_graph(loss, max_values=2).source)
    assert "data min 1, max 3" in nodes[node_with(nodes, "<B>small</B>")]
    plain = draw_graph(loss, show_values=False, show_grads=False).source
    assert "data " not in plain and "grad " not in plain and "mean |grad|" not in plain
    assert "ellipse: op" in legend_of(plain)
    assert "rankdir=TB" in draw_graph(loss, rankdir="TB").source


def test_deep_chain_is_walked_without_recursion():
    x = tg.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1.0
    walk = GraphWalk([y])
    assert len(walk.ops) == 5000
    with pytest.warns(UserWarning, match="collapse_modules=True"):
        source = draw_graph(y, show_grads=False).source
    assert source.count("<B>Add</B>") == 5000


def test_bad_arguments_are_refused():
    x = tg.Tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="expected a Tensor"):
        draw_graph(np.ones(3))
    with pytest.raises(TypeError, match="expected a Tensor"):
        draw_graph([])
    with pytest.raises(ValueError, match="collapse_modules"):
        draw_graph(x * 2, collapse_modules=0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(x * 2, rankdir="sideways")


@needs_dot
def test_svg_and_png_rendering(tmp_path):
    out, _ = neuron()
    out.backward(retain_graph=True)
    dot = draw_graph(out)
    svg = render_graph(dot, tmp_path / "neuron.svg").read_text()
    assert "<svg" in svg and "Tanh" in svg and "mean |grad|" in svg
    assert "grad &#45;1.503" in svg  # dot writes "-" as an entity
    assert (render_graph(dot, tmp_path / "neuron.png").read_bytes()[:8]
            == b"\x89PNG\r\n\x1a\n")
    assert render_graph(dot, tmp_path / "x.out", format="pdf").read_bytes()[:4] == b"%PDF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron.png", "neuron.svg", "x.out"]
    with pytest.raises(ValueError, match="cannot tell the format"):
        render_graph(dot, tmp_path / "neuron.jpeg")


def test_missing_dot_program_still_gives_source_and_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out, _ = neuron()
    dot = draw_graph(out)
    assert "Tanh" in dot.source
    target = tmp_path / "neuron.svg"
    target.write_text("old picture")
    with pytest.raises(GraphvizNotFoundError) as caught:
        render_graph(dot, target)
    message = str(caught.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert "conda install" in message
    assert target.read_text() == "old picture"  # untouched: the write is atomic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron.svg"]
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        dot.pipe(format="svg")
    with pytest.raises(GraphvizNotFoundError):
        dot.render(tmp_path / "direct", format="svg")
    assert "Tanh" in render_graph(dot, tmp_path / "neuron.dot").read_text()
