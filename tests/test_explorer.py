"""The step-through page's data: what it embeds is the graph, in the engine's order."""

import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import backward_order
from tinygrad_edu.cli import main
from tinygrad_edu.trace import GradientTracer
from viz.explorer import embedded_data, explore, explore_trace
from viz.explorer.examples import mlp_step, neuron
from viz.explorer.rules import rule_text
from viz.graph import walk_graph


def _page_data(tmp_path, page, name="page.html"):
    """The data parsed back out of the saved file, as a browser would get it."""
    path = page.save(tmp_path / name)
    return embedded_data(path.read_text(encoding="utf-8")), path


def _values(summary):
    return np.asarray(summary["values"], dtype=np.float64).reshape(summary["shape"])


def _rules(data, op_name):
    return [rule["text"] for step in data["backward"] for rule in step["rules"]
            if data["ops"][step["op"]]["name"] == op_name]


def test_neuron_page_embeds_exactly_the_graph(tmp_path):
    y, variables = neuron()
    page = explore(y)
    data, _ = _page_data(tmp_path, page)
    walk = walk_graph(y)
    assert len(data["tensors"]) == len(walk.tensors) and len(data["ops"]) == len(walk.ops)
    y.backward(retain_graph=True)
    by_name = {t["name"]: t for t in data["tensors"] if t["name"]}
    assert set(by_name) == {"x", "w", "b", "y"}
    for name, tensor in variables.items():
        assert _values(by_name[name]["value"]) == pytest.approx(tensor.data)
        assert _values(by_name[name]["grad"]) == pytest.approx(tensor.grad.data, rel=1e-6)
    assert _values(by_name["y"]["value"]) == pytest.approx(y.data)
    for record, tensor in zip(data["tensors"], walk.tensors.values()):  # every value
        assert _values(record["value"]) == pytest.approx(tensor.data)
        assert record["value"]["dtype"] == "float32"
    assert [op["name"] for op in data["ops"]] == [node.name for node in walk.ops.values()]


def test_mlp_step_page_matches_tensors_and_gradients(tmp_path):
    loss, model = mlp_step()
    data, _ = _page_data(tmp_path, explore(loss))
    loss.backward(retain_graph=True)
    walk = walk_graph(loss)
    records = dict(zip(walk.tensors, data["tensors"]))
    parameters = list(model.parameters())
    assert len(parameters) == 4
    for parameter in parameters:
        record = records[id(parameter)]
        assert record["kind"] == "parameter" and record["name"] == parameter.name
        assert _values(record["grad"]) == pytest.approx(parameter.grad.data, rel=1e-5,
                                                          abs=1e-7)
        assert _values(record["value"]) == pytest.approx(parameter.data)
    assert {op["module"] for op in data["ops"]} >= {"model/hidden", "model/output"}
    assert records[id(loss)]["kind"] == "loss"


def test_intermediate_gradients_equal_retained_ones():
    loss, _ = mlp_step()
    walk = walk_graph(loss)
    for tensor in walk.tensors.values():
        if tensor.grad_fn is not None:
            tensor.retain_grad()
    page = explore(loss)
    loss.backward(retain_graph=True)
    for record, tensor in zip(page.data["tensors"], walk.tensors.values()):
        if tensor.requires_grad:
            assert _values(record["grad"]) == pytest.approx(tensor.grad.data, rel=1e-5,
                                                              abs=1e-7)
        else:
            assert record["grad"] is None


def test_explore_leaves_the_tensors_untouched():
    loss, model = mlp_step()
    names = {id(t): t.name for t in walk_graph(loss).tensors.values()}
    explore({"the loss": loss})
    assert all(p.grad is None for p in model.parameters())
    assert loss.name == "loss"
    assert {id(t): t.name for t in walk_graph(loss).tensors.values()} == names
    loss.backward()  # the graph is still whole


def test_backward_order_is_the_engines_order():
    loss, _ = mlp_step()
    walk = walk_graph(loss)
    seen = []
    for tensor in walk.tensors.values():
        if tensor.grad_fn is not None:  # a hook runs just before its op's backward rule
            tensor.register_hook(lambda grad, node=tensor.grad_fn: seen.append(node))
    page = explore(loss)
    ops = list(walk.ops.values())
    order = [ops[step["op"]] for step in page.data["backward"]]
    assert order == backward_order(loss)
    seen.clear()
    loss.backward(retain_graph=True)
    assert seen == order and len(order) == len(ops)
    assert [ops[k] for k in page.data["forward"]] == order[::-1]


def test_rule_text_of_each_op_kind():
    a = tg.Tensor(2.0, requires_grad=True, name="a")
    b = tg.Tensor(-3.0, requires_grad=True, name="b")
    data = explore([a * b, a + b, a - b, a / b, (a * 0.25).exp(), a.tanh(), a.sigmoid(),
                    b.relu(), a ** 3.0, a.log()]).data
    assert "Mul: dL/da = g * b = 1 * (-3) = -3" in _rules(data, "Mul")
    assert "Mul: dL/db = g * a = 1 * 2 = 2" in _rules(data, "Mul")
    assert _rules(data, "Add") == ["Add: dL/da = g = 1", "Add: dL/db = g = 1"]
    assert _rules(data, "Sub") == ["Sub: dL/da = g = 1", "Sub: dL/db = -g = -1"]
    assert _rules(data, "Div") == ["Div: dL/da = g / b = 1 / (-3) = -0.3333",
                                   "Div: dL/db = -g * a / b**2 = -1 * 2 / (-3)**2 = -0.2222"]
    assert "Exp: dL/da = g * y = 1 * 1.649 = 1.649" in _rules(data, "Exp")
    assert _rules(data, "Tanh") == ["Tanh: dL/da = g * (1 - y**2) = 1 * (1 - 0.964**2) = 0.07065"]
    assert _rules(data, "Sigmoid") == [
        "Sigmoid: dL/da = g * y * (1 - y) = 1 * 0.8808 * (1 - 0.8808) = 0.105"]
    assert _rules(data, "Relu") == ["Relu: dL/da = g * [a > 0] = 1 * [(-3) > 0] = 0"]
    assert _rules(data, "Pow")[0] == "Pow: dL/da = g * b * a**(b - 1) = 1 * 3 * 2**(3 - 1) = 12"
    assert _rules(data, "Pow")[1] == "Pow: dL/db: none (this input needs no gradient)"
    assert _rules(data, "Log") == ["Log: dL/da = g / a = 1 / 2 = 0.5"]


def test_rule_text_of_large_tensors_and_prose_rules():
    x = tg.Tensor(np.ones((3, 4), np.float32), requires_grad=True, name="x")
    w = tg.Tensor(np.full((4, 2), 0.5, np.float32), requires_grad=True, name="w")
    data = explore((x @ w).sum()).data
    matmul = _rules(data, "MatMul")
    assert matmul[0] == "MatMul: dL/da = g @ b^T = (3x4 values, mean |.| 1)"
    assert matmul[1] == "MatMul: dL/db = a^T @ g = (4x2 values, mean |.| 3)"
    assert _rules(data, "Sum") == ["Sum: dL/da = g broadcast back over axis = "
                                   "(3x2 values, mean |.| 1)"]


def test_rule_text_with_broadcasting_sums_back_to_the_input():
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    b = tg.Tensor(0.5, requires_grad=True, name="b")
    data = explore((x * b).sum()).data
    assert _rules(data, "Mul") == ["Mul: dL/da = g * b = [1, 1] * 0.5 = [0.5, 0.5]",
                                   "Mul: dL/db = g * a = [1, 1] * [1, 2] = 3"]


def test_a_tensor_used_twice_shows_the_sum_of_its_contributions():
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    y = x * x + x
    data = explore(y).data
    sums = [s["text"] for step in data["backward"] for s in step["sums"]]
    assert sums == ["dL/dx = sum of its 3 contributions = 1 + 3 + 3 = 7"]
    x_record = next(t for t in data["tensors"] if t["name"] == "x")
    assert x_record["grad"]["values"] == [7.0]
    assert x_record["grad_step"] == len(data["backward"])


def test_rule_text_needs_the_graph(tmp_path):
    y, variables = neuron()
    node = y.grad_fn
    text = rule_text(node, 0, y, np.float32(2.0), np.float32(0.5))
    assert text.startswith("Tanh: dL/da = g * (1 - y**2) = 2 * (1 - 0.7064**2) = 0.5")
    y.backward()  # frees the graph
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        explore(y)


def test_second_order_roots_are_labelled_and_show_the_backward_rules():
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    y = x ** 3
    y.name = "y"
    (dy,) = tg.grad(y, x, create_graph=True)
    (d2y,) = tg.grad(dy, x, create_graph=True)
    assert (dy.name, d2y.name) == ("dy/dx", "d2y/dx2")
    data = explore([dy, d2y]).data
    roots = [t for t in data["tensors"] if t["kind"] in ("loss", "output")]
    assert sorted(t["name"] for t in roots) == ["d2y/dx2", "dy/dx"]
    assert {op["name"] for op in data["ops"]} >= {"Mul", "Pow"}  # the rule g * b * a**(b-1)
    assert next(t for t in roots if t["name"] == "dy/dx")["value"]["values"] == [27.0]
    assert next(t for t in roots if t["name"] == "d2y/dx2")["value"]["values"] == [18.0]
    labelled = explore({"slope": dy}).data
    assert any(t["name"] == "slope" and t["kind"] == "loss" for t in labelled["tensors"])


def test_page_makes_no_network_request(tmp_path):
    loss, _ = mlp_step()
    text = explore(loss).save(tmp_path / "mlp.html").read_text(encoding="utf-8")
    addresses = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", text, re.I)
    assert not [a for a in addresses if re.match(r"(?i)(https?:)?//", a)]
    assert "default-src 'none'" in text  # and the browser is told to refuse any request
    assert "<link" not in text and "@import" not in text and "url(" not in text


def test_notebook_view_is_an_iframe_with_the_page_in_srcdoc():
    y, _ = neuron()
    page = explore(y)
    view = page._repr_html_()
    assert view.startswith("<iframe srcdoc=") and "&lt;svg" in view and "<svg" not in view
    assert page.size_kb > 10


def test_explore_checks_its_arguments():
    with pytest.raises(TypeError, match="explore: expected a Tensor"):
        explore(np.ones(3))
    with pytest.raises(ValueError, match="layout must be"):
        explore(tg.Tensor(1.0), layout="sideways")


def test_flags_follow_the_tracers_thresholds():
    from tinygrad_edu.datasets import make_spiral
    from viz.tour import sigmoid_mlp

    tg.manual_seed(0)
    model = sigmoid_mlp()
    x, y = make_spiral(30, 3, seed=0)
    loss = tg.losses.get_loss("sparse_categorical_crossentropy")(tg.Tensor(y),
                                                                  model(tg.Tensor(x)))
    data = explore(loss).data
    flags = {t["name"]: t["flag"] for t in data["tensors"] if t["kind"] == "parameter"}
    assert flags["dense_1.kernel"].startswith("vanishing")
    assert flags["output.kernel"] == ""


def test_large_graph_uses_module_layout():
    from viz.explorer.examples import deep_graph

    loss = deep_graph(ops=2000)
    data = explore(loss).data
    assert data["layout"] == "modules" and len(data["ops"]) >= 1980
    assert len({op["node"] for op in data["ops"]}) < 30  # one drawn node per block


def test_cli_explore_writes_the_page(tmp_path, capsys):
    out = tmp_path / "neuron.html"
    assert main(["explore", "tanh(x*w + b)", "--set", "x=2.0", "--set", "w=-3.0",
                 "--set", "b=6.88", "-o", str(out)]) == 0
    data = embedded_data(out.read_text(encoding="utf-8"))
    w = next(t for t in data["tensors"] if t["name"] == "w")
    assert w["grad"]["values"] == [pytest.approx(1.001943, rel=1e-6)]
    assert "wrote" in capsys.readouterr().out
    assert main(["explore", "tanh(x*w)", "--set", "x=2.0", "-o", str(out)]) == 2
    assert "no value for w" in capsys.readouterr().err


def test_trace_page_embeds_the_tracers_numbers():
    from tinygrad_edu.datasets import make_spiral
    from viz.tour import relu_bn_mlp

    tg.manual_seed(0)
    model = relu_bn_mlp(depth=3)
    tracer = GradientTracer(model)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = make_spiral(20, 3, seed=0)
    model.fit(x, y, batch_size=len(x), epochs=4, verbose=0, callbacks=[tracer])
    page = explore_trace({"relu": tracer}, parameter="kernel")
    (run,) = embedded_data(page.html)["runs"]
    names, norms = tracer.matrix("grad_norm", "kernel")
    assert run["layers"] == names and run["steps"] == tracer.steps == [0, 1, 2, 3]
    assert np.asarray(run["values"]).T == pytest.approx(norms, rel=1e-6)
    assert np.asarray(run["ratios"])[:, -1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="recorded nothing"):
        explore_trace(GradientTracer(model))
    with pytest.raises(TypeError, match="GradientTracer"):
        explore_trace([tracer])


def test_non_finite_gradients_are_flagged_and_the_page_stays_valid_json(tmp_path):
    x = tg.Tensor([0.0, 1.0], requires_grad=True, name="x")
    with np.errstate(divide="ignore"):  # what the math gives: log 0 = -inf, 1/0 = inf
        y = x.log().sum()
        data, _ = _page_data(tmp_path, explore(y))
    record = next(t for t in data["tensors"] if t["name"] == "x")
    assert record["grad"]["values"] == ["Infinity", 1.0]
    assert record["flag"].startswith("exploding")
    assert next(t for t in data["tensors"] if t["producer"] is not None and
                t["kind"] == "intermediate")["value"]["values"] == ["-Infinity", 0.0]


def test_large_tensors_embed_statistics_and_a_histogram():
    x = tg.Tensor(np.arange(200, dtype=np.float32).reshape(20, 10), requires_grad=True,
                  name="x")
    data = explore((x * 2.0).sum()).data
    record = next(t for t in data["tensors"] if t["name"] == "x")
    assert "values" not in record["value"]
    stats, histogram = record["value"]["stats"], record["value"]["histogram"]
    assert (stats["min"], stats["max"], stats["mean"]) == (0.0, 199.0, 99.5)
    assert sum(histogram["counts"]) == 200 and len(histogram["edges"]) == 21
    assert record["grad"]["stats"]["mean"] == 2.0
