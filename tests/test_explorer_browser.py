"""The step-through pages in a real browser: headless Chromium driven by Playwright.

Skipped, with the reason, where Playwright or the Debian ``chromium`` package is missing.
Every test saves screenshots of the states it checks under its temporary folder and checks
that they are not blank.
"""

import re
import time
from pathlib import Path

import numpy as np
import pytest

from viz.explorer import explore, explore_trace
from viz.explorer.browser import CHROMIUM_FLAGS, chromium_path
from viz.explorer.examples import deep_graph, mlp_step, neuron
from viz.graph import walk_graph

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install playwright)")

CHROMIUM = chromium_path()
if CHROMIUM is None:
    pytest.skip("no Chromium browser (apt-get install chromium chromium-driver)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.on("request", lambda request: None if request.url.startswith(("file:", "data:", "about:"))
           else tab.errors.append(f"network request to {request.url}"))
    yield tab
    assert tab.errors == []  # no script error, no network request
    context.close()


def _open(tab, path):
    start = time.perf_counter()
    tab.goto(path.resolve().as_uri())
    tab.wait_for_selector("body[data-ready=true]")
    return time.perf_counter() - start


def _wait_for(tab, script: str, timeout=10.0):
    """Poll a JavaScript expression until it is true (the page's CSP forbids the eval that
    Playwright's wait_for_function uses)."""
    deadline = time.perf_counter() + timeout
    while not tab.evaluate(f"() => Boolean({script})"):
        assert time.perf_counter() < deadline, f"timed out waiting for {script}"
        time.sleep(0.05)


def _shot(tab, folder: Path, name: str) -> Path:
    """A screenshot, checked not to be blank (a page of one colour)."""
    import matplotlib.image

    path = folder / f"{name}.png"
    tab.screenshot(path=str(path))
    pixels = matplotlib.image.imread(str(path))
    assert pixels.std() > 0.02, f"screenshot {name} is blank"
    return path


def _node_of(page_data, name):
    return next(t["node"] for t in page_data["tensors"] if t["name"] == name)


def _panel_gradient(tab):
    cells = tab.locator("#panel table.grad-table td")
    return np.array([float(v) for v in cells.evaluate_all(
        "cells => cells.map(c => c.dataset.value)")])


def _step_through(tab, explorer, folder, prefix):
    forward, backward = len(explorer.data["forward"]), len(explorer.data["backward"])
    names = [explorer.data["ops"][k]["name"] for k in explorer.data["forward"]]
    backward_names = [explorer.data["ops"][s["op"]]["name"] for s in explorer.data["backward"]]
    assert "start" in tab.inner_text("#progress")
    for step in range(1, forward + 1):
        tab.keyboard.press("ArrowRight")
        assert tab.inner_text("#progress") == f"forward {step} / {forward}: {names[step - 1]}"
    _shot(tab, folder, f"{prefix}_forward_done")
    for step in range(1, backward + 1):
        tab.keyboard.press("ArrowRight")
        text = f"backward {step} / {backward}: {backward_names[step - 1]}"
        assert tab.inner_text("#progress") == text
        assert tab.inner_text("#panel h2") == text
        if step == 1:
            _shot(tab, folder, f"{prefix}_backward_1")
    _shot(tab, folder, f"{prefix}_backward_done")
    assert "Backward pass done" in tab.inner_text("#panel")


def test_neuron_step_through_shows_the_engines_gradients(page, tmp_path):
    y, variables = neuron()
    explorer = explore(y)
    path = explorer.save(tmp_path / "neuron.html")
    y.backward(retain_graph=True)
    _open(page, path)
    _shot(page, tmp_path, "neuron_start")
    # values appear only when their op runs; gradient lines only during the backward pass
    grad_lines = page.locator("g.node text", has_text=re.compile("^grad "))
    assert grad_lines.count() >= 4
    assert all(v == "hidden" for v in grad_lines.evaluate_all(
        "lines => lines.map(l => l.style.visibility)"))
    _step_through(page, explorer, tmp_path, "neuron")
    assert all(v == "" for v in grad_lines.evaluate_all(
        "lines => lines.map(l => l.style.visibility)"))
    first = page.inner_text("#progress")
    assert first == "backward 3 / 3: Mul"
    rules = page.inner_text("#panel")
    assert "Mul: dL/da = g * b = 0.501 * (-3) = -1.503" in rules
    page.locator(f"g.node:has(title:text-is('{_node_of(explorer.data, 'w')}'))").click()
    assert page.inner_text("#panel h3") == "w"
    assert _panel_gradient(page) == pytest.approx(variables["w"].grad.data.ravel(), rel=1e-6)
    _shot(page, tmp_path, "neuron_w_details")
    # back to the start with Home, and one step back from the end with the button
    page.keyboard.press("Home")
    assert "start" in page.inner_text("#progress")
    page.click("#to-end")
    page.click("#step-back")
    assert page.inner_text("#progress") == "backward 2 / 3: Add"
    page.click("#to-forward-end")
    assert page.inner_text("#progress") == "forward 3 / 3: Tanh"


def test_mlp_step_through_and_node_details(page, tmp_path):
    loss, model = mlp_step()
    explorer = explore(loss)
    path = explorer.save(tmp_path / "mlp.html")
    loss.backward(retain_graph=True)
    _open(page, path)
    _step_through(page, explorer, tmp_path, "mlp")
    kernel = model.layers[0].kernel
    node = _node_of(explorer.data, kernel.name)
    page.locator(f"g.node:has(title:text-is('{node}'))").click()
    panel = page.inner_text("#panel")
    assert "hidden.kernel" in panel and "parameter" in panel and "model/hidden" in panel
    assert "(2, 3) float32" in panel
    assert _panel_gradient(page) == pytest.approx(kernel.grad.data.ravel(), rel=1e-5, abs=1e-7)
    # an op: its docstring formula
    tanh = next(op["node"] for op in explorer.data["ops"] if op["name"] == "Tanh")
    page.locator(f"g.node:has(title:text-is('{tanh}'))").click()
    assert "y = tanh(a).   da = g * (1 - y**2)." in page.inner_text("#panel .doc") or \
        "da = g * (1 - y**2)" in page.inner_text("#panel")
    _shot(page, tmp_path, "mlp_tanh_details")


def test_collapse_and_expand_a_layer(page, tmp_path):
    loss, _ = mlp_step()
    explorer = explore(loss)
    _open(page, explorer.save(tmp_path / "mlp.html"))
    hidden_ops = [op["node"] for op in explorer.data["ops"] if op["module"] == "model/hidden"]
    visible = "nodes => nodes.filter(n => getComputedStyle(n).display !== 'none').length"
    members = page.locator("g.node").filter(
        has=page.locator("title", has_text=re.compile("^(" + "|".join(hidden_ops) + ")$")))
    assert members.evaluate_all(visible) == len(hidden_ops)
    cluster = page.locator("g.cluster", has=page.locator("a[*|title='model/hidden']"))
    cluster.locator("text").first.click()
    assert members.evaluate_all(visible) == 0
    assert "hidden: " in cluster.locator(".collapsed-label").text_content()
    _shot(page, tmp_path, "mlp_hidden_collapsed")
    page.click("#step-forward")  # the current op is inside: the collapsed box lights up
    assert "current" in (cluster.get_attribute("class") or "")
    cluster.locator(".collapsed-label").click()
    assert members.evaluate_all(visible) == len(hidden_ops)
    page.click("#collapse-all")  # the layers, not the model around them
    assert page.locator("g.cluster.collapsed").count() == 2
    assert members.evaluate_all(visible) == 0
    page.locator("g.cluster", has=page.locator("a[*|title='model']")).locator(
        "text").first.click()  # the model itself: it covers both
    assert page.locator("g.cluster.collapsed").count() == 1
    page.click("#expand-all")
    assert page.locator("g.cluster.collapsed").count() == 0


def test_a_graph_over_the_threshold_opens_with_layers_collapsed(page, tmp_path):
    from viz.explorer.explorer import COLLAPSE_AT_START, FULL_LAYOUT_LIMIT

    loss = deep_graph(ops=300, ops_per_block=30)
    walk = walk_graph(loss)
    assert COLLAPSE_AT_START < len(walk.ops) + len(walk.tensors) <= FULL_LAYOUT_LIMIT
    explorer = explore(loss)
    assert explorer.data["layout"] == "full" and explorer.data["collapsed_at_start"]
    _open(page, explorer.save(tmp_path / "medium.html"))
    assert page.locator("g.cluster.collapsed").count() == 10  # every block, inside "deep"
    assert page.locator("g.node.hidden").count() > 500
    page.click("#expand-all")
    assert page.locator("g.node.hidden").count() == 0
    page.keyboard.press("End")
    last = explorer.data["ops"][explorer.data["backward"][-1]["op"]]["name"]
    assert page.inner_text("#progress") == f"backward {len(walk.ops)} / {len(walk.ops)}: {last}"
    _shot(page, tmp_path, "medium_expanded_end")


def test_search_pan_zoom_and_play(page, tmp_path):
    loss, _ = mlp_step()
    explorer = explore(loss)
    _open(page, explorer.save(tmp_path / "mlp.html"))
    page.fill("#search", "output.bias")
    page.press("#search", "Enter")
    assert page.inner_text("#found") == "1 / 1"
    assert page.inner_text("#panel h3") == "output.bias"
    box = page.locator("#canvas svg").get_attribute("viewBox")
    page.mouse.move(400, 400)
    page.mouse.wheel(0, -300)
    assert page.locator("#canvas svg").get_attribute("viewBox") != box
    page.click("#fit")
    box = page.locator("#canvas svg").get_attribute("viewBox")
    page.mouse.move(300, 300)
    page.mouse.down()
    page.mouse.move(380, 340, steps=4)
    page.mouse.up()
    assert page.locator("#canvas svg").get_attribute("viewBox") != box  # panned
    assert page.locator("g.cluster.collapsed").count() == 0  # a drag is not a click
    page.click("#fit")
    page.click("#close-details")
    page.select_option("#speed", "60")
    page.keyboard.press("Space")
    end = len(explorer.data["forward"]) + len(explorer.data["backward"])
    _wait_for(page, f"window.explorer.position === {end}")
    assert page.inner_text("#play").endswith("play")  # stopped by itself at the end
    _shot(page, tmp_path, "mlp_played")


def test_ten_thousand_op_graph_loads_in_under_3_seconds(page, tmp_path):
    loss = deep_graph(10_000)
    assert len(walk_graph(loss).ops) >= 10_000
    path = explore(loss).save(tmp_path / "deep.html")
    seconds = _open(page, path)
    print(f"10,000-op page: {path.stat().st_size / 1024:.0f} kB, loaded in {seconds:.2f} s")
    assert seconds < 3.0
    assert page.inner_text("#progress") == "start: inputs only (forward 0 / 10000)"
    start = time.perf_counter()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    page.click("#to-end")
    page.keyboard.press("ArrowLeft")
    elapsed = time.perf_counter() - start
    assert page.inner_text("#progress").startswith("backward 9999 / 10000")
    assert elapsed < 3.0, f"22 steps took {elapsed:.2f} s"
    page.locator("g.node", has=page.locator("title", has_text="m0")).first.click()
    assert "ops," in page.inner_text("#panel")
    _shot(page, tmp_path, "deep_end")


def test_trace_page_slider_and_play(page, tmp_path):
    from viz.tour import tour

    result = tour(out=tmp_path / "tour", epochs=6, print_fn=None)
    path = result.files["explore_trace"]
    _open(page, path)
    bars = page.locator(".run").first.locator(".bar")
    assert bars.count() == 8
    widths = bars.evaluate_all("bars => bars.map(b => b.style.width)")
    assert page.locator(".bar.vanishing").count() >= 1  # the sigmoid net's first layers
    _shot(page, tmp_path, "trace_step0")
    page.locator("#step").fill("5")
    assert page.inner_text("#step-label").startswith("step 5")
    assert bars.evaluate_all("bars => bars.map(b => b.style.width)") != widths
    page.click("#play")
    _wait_for(page, "document.getElementById('play').textContent.includes('play')")
    _shot(page, tmp_path, "trace_played")
    # and the tour's step page opens too, with the first kernel flagged
    _open(page, result.files["explore_step"])
    assert "forward 0 /" in page.inner_text("#progress")
    page.fill("#search", "dense_1.kernel")
    page.press("#search", "Enter")
    assert page.inner_text("#panel h3") == "dense_1.kernel"
    assert page.inner_text("#panel .flag").startswith("vanishing: ||g|| is")
    assert page.locator("#panel table.grad-table td").count() == 16  # 2x8: every value
    _shot(page, tmp_path, "tour_step_dense_1_kernel")
    big = page.evaluate("() => window.explorer.data.tensors.find("
                        "t => t.value.shape.join() === '300,8').node")
    page.click("#fit")
    page.locator(f"g.node:has(title:text-is('{big}'))").click()
    assert page.locator("#panel svg.histogram").count() == 2  # value and gradient
    assert page.locator("#panel svg.histogram rect").count() == 40
    assert "mean |.|" in page.inner_text("#panel .value-table-stats")


def test_trace_explorer_of_a_single_tracer(page, tmp_path):
    import tinygrad_edu as tg
    from tinygrad_edu.datasets import make_spiral
    from tinygrad_edu.trace import GradientTracer
    from viz.tour import sigmoid_mlp

    tg.manual_seed(0)
    model = sigmoid_mlp(depth=3)
    tracer = GradientTracer(model)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = make_spiral(10, 3, seed=0)
    model.fit(x, y, batch_size=len(x), epochs=3, verbose=0, callbacks=[tracer])
    _open(page, explore_trace(tracer).save(tmp_path / "trace.html"))
    assert page.locator(".bar").count() == 3
    assert "step 0 (1 / 3)" == page.inner_text("#step-label")
