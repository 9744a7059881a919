"""The tour: its files, and the vanishing gradient and its fix in the tracer's numbers."""

import argparse
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("graphviz")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu.datasets import make_spiral  # noqa: E402
from tinygrad_edu.trace import GradientTracer  # noqa: E402
from viz import tour as tour_module  # noqa: E402
from viz.tour import (  # noqa: E402
    add_tour_parser,
    first_to_last_ratio,
    relu_bn_mlp,
    run_tour,
    sigmoid_mlp,
    tour,
)

LAYERS = [f"dense_{i}" for i in range(1, 8)] + ["output"]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def short_tour(tmp_path_factory):
    """The tour with fewer training steps: the step-0 gradients do not depend on them."""
    out = tmp_path_factory.mktemp("tour")
    printed = []
    result = tour(out=out, epochs=20, print_fn=printed.append)
    return result, "\n".join(printed)


def test_sigmoid_net_vanishes_and_relu_bn_net_does_not(short_tour):
    result, _ = short_tour
    sigmoid, relu = result.tracers["sigmoid"], result.tracers["relu_bn"]
    assert sigmoid.layer_names == LAYERS
    assert [n for n in relu.layer_names if n.startswith(("dense", "output"))] == LAYERS
    assert first_to_last_ratio(sigmoid) >= 100
    assert 0.1 <= first_to_last_ratio(relu) <= 10
    # the same numbers, read directly
    first = sigmoid.series("grad_norm", "dense_1", "kernel")[0]
    last = sigmoid.series("grad_norm", "output", "kernel")[0]
    assert last / first >= 100
    assert "dense_1" in result.reports["sigmoid"].vanishing
    assert result.reports["relu_bn"].vanishing == []
    assert result.reports["relu_bn"].exploding == []


def test_relu_bn_net_learns_and_sigmoid_net_lags(short_tour):
    result, _ = short_tour
    relu = result.histories["relu_bn"].history
    sigmoid = result.histories["sigmoid"].history
    assert len(relu["loss"]) == 20
    assert relu["loss"][-1] < 0.5 * relu["loss"][0]
    assert relu["accuracy"][-1] > sigmoid["accuracy"][-1]


def test_printed_tables_show_every_layer(short_tour, tmp_path):
    result, printed = short_tour
    for label in ("sigmoid, N(0, 1)", "ReLU + He + BN"):
        assert f"== {label} ==" in printed
    table_rows = [line.split()[0] for line in printed.splitlines()
                  if line.split() and line.split()[0] in LAYERS]
    assert table_rows == LAYERS * 2
    assert printed.count("vanishing") >= 2
    saved = result.files["table"].read_text(encoding="utf-8")
    assert "== sigmoid, N(0, 1) ==" in saved and "dense_1" in saved


def test_graph_is_valid_svg_with_a_cluster_per_layer(short_tour):
    result, _ = short_tour
    path = result.files["graph"]
    assert path.name == "computation_graph.svg"
    root = ElementTree.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    clusters = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    tooltips = {a.get("{http://www.w3.org/1999/xlink}title")
                for g in clusters for a in g.iter(f"{SVG}a")}
    for layer in LAYERS:
        assert f"sigmoid_mlp/{layer}" in tooltips, layer
    text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Sigmoid" in text and "MatMul" in text and "grad" in text


def test_explorer_pages_of_the_step_and_of_both_traces(short_tour):
    from viz.explorer import embedded_data

    result, printed = short_tour
    step = embedded_data(result.files["explore_step"].read_text(encoding="utf-8"))
    assert len(step["backward"]) == len(step["forward"]) > 20
    kernels = {t["name"] for t in step["tensors"] if t["kind"] == "parameter"}
    assert {f"{layer}.kernel" for layer in LAYERS} <= kernels
    trace = embedded_data(result.files["explore_trace"].read_text(encoding="utf-8"))
    assert [run["label"] for run in trace["runs"]] == ["sigmoid, N(0, 1)", "ReLU + He + BN"]
    assert all(run["layers"] == LAYERS and len(run["steps"]) == 20 for run in trace["runs"])
    for key in ("explore_step", "explore_trace"):
        assert f"Open in a browser: {result.files[key].resolve()}" in printed


def test_pictures_are_not_blank(short_tour):
    image = pytest.importorskip("matplotlib.image")
    result, _ = short_tour
    for key in ("bars", "lines", "heatmap", "curves"):
        path = result.files[key]
        assert path.suffix == ".png" and path.stat().st_size > 10_000, key
        pixels = image.imread(path)[..., :3]
        assert pixels.shape[0] > 200 and pixels.shape[1] > 400
        assert pixels.std() > 0.05, key
        colours = np.unique((pixels[::3, ::3].reshape(-1, 3) * 255).astype(np.uint8), axis=0)
        assert len(colours) > 50, key


@pytest.mark.parametrize("seed", range(6))
def test_the_contrast_holds_across_seeds(seed):
    """The step-0 measurement of the tour, for other seeds of data and weights."""
    x, y = make_spiral(100, 3, seed=seed)
    ratios = {}
    for key, build in (("sigmoid", sigmoid_mlp), ("relu_bn", relu_bn_mlp)):
        tg.manual_seed(seed)
        model = build()
        tracer = GradientTracer(model)
        tour_module._compile(model, 0.1, 0.9)
        model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0,
                  callbacks=[tracer])
        ratios[key] = first_to_last_ratio(tracer)
    assert ratios["sigmoid"] >= 100, ratios
    assert 0.1 <= ratios["relu_bn"] <= 10, ratios


def test_command_line(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="tinygrad-edu")
    add_tour_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["tour", "--out", str(tmp_path / "out"), "--epochs", "3",
                              "--seed", "1"])
    assert args.run is run_tour
    assert run_tour(args) == 0
    printed = capsys.readouterr().out
    assert "dense_1" in printed and "Wrote computation_graph.svg" in printed
    assert (tmp_path / "out" / "gradient_bars.png").stat().st_size > 10_000
    defaults = parser.parse_args(["tour"])
    assert defaults.out == "tour-out" and defaults.epochs == 150 and defaults.seed == 0
    bad = parser.parse_args(["tour", "--epochs", "0"])
    assert run_tour(bad) == 2


def test_without_graphviz_the_dot_source_is_written(tmp_path, monkeypatch):
    from viz import graph_render

    def missing(graph, path, format=None):  # noqa: A002 - mirrors render_graph
        if str(path).endswith(".dot"):
            return original(graph, path, format)
        raise graph_render.GraphvizNotFoundError()

    original = graph_render.render_graph
    monkeypatch.setattr(graph_render, "render_graph", missing)
    printed = []
    result = tour(out=tmp_path, epochs=1, print_fn=printed.append)
    assert result.files["graph"].name == "computation_graph.dot"
    assert "digraph" in result.files["graph"].read_text(encoding="utf-8")
    assert any("not installed" in line for line in printed)


@pytest.mark.slow
def test_full_tour(tmp_path):
    result = tour(out=tmp_path, print_fn=None)
    assert first_to_last_ratio(result.tracers["sigmoid"]) >= 100
    assert 0.1 <= first_to_last_ratio(result.tracers["relu_bn"]) <= 10
    assert result.histories["relu_bn"].history["accuracy"][-1] > 0.9
