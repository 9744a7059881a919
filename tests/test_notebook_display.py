"""What Jupyter shows: figures without ``%matplotlib inline``, HTML for tensors, models,
histories and gradient reports, the live training bar; with IPython's display formatter and
in a real kernel (nbclient)."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.trace import GradientTracer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shell():
    interactive = pytest.importorskip("IPython.core.interactiveshell")
    return interactive.InteractiveShell.instance()


def trained():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Sequential([nn.Dense(4, activation="sigmoid", input_dim=3),
                           nn.BatchNormalization(), nn.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    tracer = GradientTracer(model)
    history = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.25, verbose=0,
                        callbacks=[tracer])
    return model, history, tracer


def test_figures_show_as_pictures_without_matplotlib_inline(shell):
    import matplotlib

    matplotlib.use("Agg")  # the backend a student may well have; the picture still shows
    from tinygrad_edu import viz

    data, _ = shell.display_formatter.format(viz.plot_activation_functions())
    assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    from matplotlib.figure import Figure  # a figure the student makes directly, too

    figure = Figure()
    figure.subplots().plot([1, 2, 3])
    assert "image/png" in shell.display_formatter.format(figure)[0]


def test_show_in_a_script_saves_the_figure(tmp_path, capsys):
    from tinygrad_edu import viz

    path = viz.show(viz.plot_activation_functions(), tmp_path / "activations.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert f"saved the figure to {path}" in capsys.readouterr().out


def test_tensor_html(shell):
    x = tg.Tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True, name="x")
    y = (x * x).sum()
    y.backward()
    html = shell.display_formatter.format(x)[0]["text/html"]
    assert "<b>shape</b> (2, 2)" in html and "<b>dtype</b> float32" in html
    assert "<b>name</b> x" in html and "<b>grad</b>" in html and "-4." in html
    assert "<b>op</b>" in shell.display_formatter.format(x * 2)[0]["text/html"]


def test_model_history_and_report_html(shell):
    model, history, tracer = trained()
    table = shell.display_formatter.format(model)[0]["text/html"]
    assert "<table>" in table and "batch_normalization (BatchNormalization)" in table
    assert table.count("<tr>") == 1 + 3 and "Non-trainable params" in table
    assert "moving_mean" in table  # the note says where they come from
    curves = shell.display_formatter.format(history)[0]["text/html"]
    assert curves.count("<svg") == 2  # loss with val_loss, accuracy with val_accuracy
    assert curves.count("<polyline") == 4
    assert curves.count("<tr><td>") == 3 and "val_accuracy" in curves
    report = tracer.report()
    flagged = shell.display_formatter.format(report)[0]["text/html"]
    assert flagged.count("<tr") == 1 + len(report.rows)
    for row in report.rows:
        if row["flag"]:
            assert re.search(rf"<tr style='color:#\w+;font-weight:bold'><td>{row['layer']}<",
                             flagged)


def test_repr_says_what_each_layer_is():
    assert repr(nn.Dense(8, activation="relu", name="dense")) == (
        "Dense(units=8, activation='relu', name='dense')")
    assert repr(nn.Conv2D(32, 3, name="conv")).startswith(
        "Conv2D(filters=32, kernel_size=(3, 3), ")
    model = nn.Sequential([nn.Flatten(input_shape=(2, 2)), nn.Dropout(0.2, name="drop")],
                          name="net")
    assert repr(model).splitlines() == ["Sequential(name='net')",
                                        "  (flatten): Flatten(input_shape=(2, 2), name='flatten')",
                                        "  (drop): Dropout(rate=0.2, name='drop')"]


def test_summary_options():
    inner = nn.Sequential([nn.Dense(4, input_dim=3, name="inner_dense"),
                           nn.BatchNormalization(name="bn")], name="block")
    inner.layers[1].trainable = False
    model = nn.Sequential([inner, nn.Dense(2, name="head")], name="outer")
    lines = []
    model.summary(print_fn=lines.append)
    assert not any("inner_dense" in line for line in lines)
    lines = []
    model.summary(print_fn=lines.append, expand_nested=True, show_trainable=True,
                  line_length=70)
    assert all(len(line) <= 70 for line in lines)
    assert "Trainable" in lines[2]
    rows = {line.split()[0]: line for line in lines if line.startswith(("  ", " "))
            and "(" in line}
    assert rows["inner_dense"].rstrip().endswith("Y") and rows["bn"].rstrip().endswith("N")
    assert rows["inner_dense"].startswith("   inner_dense")  # indented under its block
    single = []
    nn.Dense(3, input_dim=2, name="alone").summary(print_fn=single.append)
    assert any("alone (Dense)" in line and "(None, 3)" in line and line.endswith("9")
               for line in single)
    with pytest.raises(ValueError, match="line_length=20 is too narrow"):
        model.summary(line_length=20)


def _run(cells, tmp_path, **environment):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    saved = dict(os.environ)
    os.environ.update(PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", **environment)
    try:
        nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return notebook


def test_in_a_real_kernel(tmp_path):
    notebook = _run([
        "from tinygrad_edu import viz\nviz.plot_activation_functions()",
        "import numpy as np\nfrom tinygrad_edu import nn\n"
        "model = nn.Sequential([nn.Dense(4, activation='relu', input_dim=3),\n"
        "                      nn.Dense(2, activation='softmax')])\n"
        "model",
        "x = np.random.default_rng(0).standard_normal((64, 3)).astype('float32')\n"
        "y = (x[:, 0] > 0).astype('int64')\n"
        "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
        "metrics=['accuracy'])\n"
        "history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25)",
        "history",
    ], tmp_path, MPLBACKEND="agg")
    figure, model, fit, history = (cell.outputs for cell in notebook.cells)
    assert [o["output_type"] for o in figure] == ["execute_result"]
    assert "image/png" in figure[0]["data"]  # the picture, not "<Figure size ...>"
    assert "<table>" in model[0]["data"]["text/html"]
    widgets = [o for o in fit if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == 2  # one live bar per epoch
    # tqdm's widget writes its text with figure spaces (U+2007)
    state = json.dumps(notebook.metadata["widgets"], ensure_ascii=False).replace("\u2007", " ")
    finals = re.findall(r"\"value\": \" ?(\d+s \d+[mu]?s/step - [^\"]+)\"", state)
    assert len(finals) == 2, state
    for final in finals:
        assert [part.split(":")[0] for part in final.split(" - ")[1:]] == [
            "accuracy", "loss", "val_accuracy", "val_loss"], final
    assert "<polyline" in history[0]["data"]["text/html"]
