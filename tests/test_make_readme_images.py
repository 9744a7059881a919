"""The README's pictures: the small step graph and the command that writes both files."""

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("graphviz")

from viz import make_readme_images as readme  # noqa: E402
from viz import tour as tour_module  # noqa: E402


def test_small_step_graph_groups_ops_by_layer_with_gradients():
    source = readme.small_step_graph().source
    for label in ("label=model", "label=hidden", "label=output"):
        assert label in source
    for text in ("MatMul", "Tanh", "Sigmoid", "hidden.kernel", "output.bias", "grad", "loss",
                 "mean |grad|"):
        assert text in source, text


def test_command_writes_the_svg_and_the_png(tmp_path, monkeypatch, capsys):
    real_tour = tour_module.tour
    monkeypatch.setattr(tour_module, "tour", lambda **kwargs: real_tour(epochs=2, **kwargs))
    assert readme.main(["--out", str(tmp_path)]) == 0
    svg, png = tmp_path / "computation_graph.svg", tmp_path / "gradient_bars.png"
    assert ElementTree.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert f"wrote {svg}" in capsys.readouterr().out


def test_explorer_picture_is_a_screenshot_of_the_page(tmp_path):
    from viz.explorer.browser import chromium_path

    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    if chromium_path() is None:
        pytest.skip("no Chromium browser (apt-get install chromium)")
    import matplotlib.image

    png = readme.explorer_picture(tmp_path / "neuron.html", tmp_path / "explorer.png")
    pixels = matplotlib.image.imread(str(png))
    assert pixels.shape[:2] == (560, 1200) and pixels.std() > 0.05  # not blank


def _texts(svg_path):
    """The words of a picture, in drawing order (what changes when the content does)."""
    root = ElementTree.parse(svg_path).getroot()
    return [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]


def test_the_committed_readme_images_are_up_to_date(tmp_path):
    """Regenerate the pictures and compare: the SVGs' text, the PNG's pixels."""
    matplotlib_image = pytest.importorskip("matplotlib.image")
    readme.make_readme_images(tmp_path)
    committed = Path(__file__).resolve().parents[1] / "docs" / "images"
    stale = "out of date: run python -m viz.make_readme_images"
    for name in ("neuron.svg", "computation_graph.svg"):
        assert _texts(tmp_path / name) == _texts(committed / name), f"{name} is {stale}"
    fresh = matplotlib_image.imread(tmp_path / "gradient_bars.png")
    old = matplotlib_image.imread(committed / "gradient_bars.png")
    assert fresh.shape == old.shape, f"gradient_bars.png is {stale}"
    # The ReLU + BN net's last-step bars are not reproducible between CPUs: near convergence
    # its gradient norms are chaotic in float32 (inputs scaled by 1 + 1e-7 move them 2-10x),
    # and BLAS kernels round differently, which also moves the shared log axis. Between
    # machines that changes 1.2% of the picture on average; another chart of the same size
    # (gradient_lines.png) differs by 12%, a blank one by 11%.
    assert abs(fresh - old).mean() < 0.04, f"gradient_bars.png is {stale}"
