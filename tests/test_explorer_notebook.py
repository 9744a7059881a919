"""The explorer inline in a notebook: a real Jupyter kernel displays it as an iframe whose
srcdoc holds the whole page, and the page works inside that iframe in a real browser."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def notebook_html():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {str(ROOT)!r})  # this checkout, not an install\n"
        "import viz\nfrom viz.explorer.examples import neuron\n"
        "y, variables = neuron()\nviz.explore(y)")]
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    (output,) = notebook.cells[0].outputs
    return output["data"]["text/html"]


def test_kernel_displays_an_iframe_with_the_page(notebook_html):
    assert notebook_html.startswith("<iframe srcdoc=")
    assert "&lt;!DOCTYPE html&gt;" in notebook_html and "<script" not in notebook_html


def test_page_works_inside_the_notebook_iframe(notebook_html, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is not installed")
    from viz.explorer.browser import CHROMIUM_FLAGS, chromium_path

    if chromium_path() is None:
        pytest.skip("no Chromium browser (apt-get install chromium)")
    cell = tmp_path / "cell.html"
    cell.write_text(f"<!DOCTYPE html><html><body>{notebook_html}</body></html>",
                    encoding="utf-8")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=list(CHROMIUM_FLAGS))
        try:
            tab = browser.new_page()
            tab.goto(cell.as_uri())
            frame = tab.frame_locator("iframe")
            frame.locator("body[data-ready=true]").wait_for()
            frame.locator("#to-end").click()
            assert frame.locator("#progress").inner_text() == "backward 3 / 3: Mul"
            assert "0.501 * (-3) = -1.503" in frame.locator("#panel").inner_text()
        finally:
            browser.close()
