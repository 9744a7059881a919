"""plot_model: a real picture (PNG/SVG) whose boxes carry the layers' names and shapes."""

import pytest

pytest.importorskip("graphviz")

import tinygrad_edu.keras as keras  # noqa: E402
from tinygrad_edu import nn  # noqa: E402


def _model():
    keras.backend.clear_session()
    return keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(256, activation="elu", kernel_initializer="he_normal"),
        keras.layers.BatchNormalization(momentum=0.9),
        keras.layers.Dense(10, activation="softmax"),
    ])


def test_png_is_a_real_picture_with_names_and_shapes(tmp_path):
    path = tmp_path / "model.png"
    dot = keras.utils.plot_model(_model(), to_file=str(path), show_shapes=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000
    for text in ("flatten (Flatten)", "dense (Dense)", "batch_normalization (BatchNormalization)",
                 "dense_1 (Dense)", "Input shape: (None, 28, 28)", "Output shape: (None, 784)",
                 "Output shape: (None, 10)"):
        assert text in dot.source, text
    assert dot.source.count("->") == 3  # one arrow between each pair of layers


def test_svg_and_the_options(tmp_path):
    path = tmp_path / "model.svg"
    keras.utils.plot_model(_model(), to_file=str(path), show_shapes=True, show_dtype=True,
                           show_layer_names=False, rankdir="LR", show_layer_activations=True,
                           show_trainable=True)
    svg = path.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("Flatten", "Input dtype: float32", "Activation: elu", "Trainable: Y",
                 "(None, 256)"):
        assert text in svg, text
    assert "dense_1 (Dense)" not in svg  # show_layer_names=False: the class only
    dot = keras.utils.model_to_dot(_model(), rankdir="LR")
    assert "rankdir=LR" in dot.source and "Input shape" not in dot.source


def test_nested_models_are_one_box_or_a_frame(tmp_path):
    inner = nn.Sequential([nn.Dense(4, input_shape=(3,)), nn.Dense(2)], name="block")
    outer = nn.Sequential([inner, nn.Dense(1)], name="outer")
    closed = keras.utils.model_to_dot(outer)
    assert "block (Sequential)" in closed.source and "cluster_block" not in closed.source
    opened = keras.utils.model_to_dot(outer, expand_nested=True)
    assert "cluster_block" in opened.source and opened.source.count("->") == 2
    keras.utils.plot_model(outer, to_file=str(tmp_path / "nested.png"), expand_nested=True)


def test_bad_arguments_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="rankdir must be 'TB'"):
        keras.utils.plot_model(_model(), to_file=str(tmp_path / "m.png"), rankdir="BT")
    with pytest.raises(TypeError, match="layer_range is not supported"):
        keras.utils.plot_model(_model(), to_file=str(tmp_path / "m.png"), layer_range=["a", "b"])
    with pytest.raises(ValueError, match="has no layers to draw"):
        keras.utils.plot_model(keras.Sequential(), to_file=str(tmp_path / "m.png"))


def test_a_functional_model_is_drawn_along_its_calls(tmp_path):
    if not hasattr(nn, "Model"):
        pytest.skip("tinygrad_edu.nn has no functional Model")
    keras.backend.clear_session()
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    total = keras.layers.Add(name="total")([keras.layers.Dense(5, name="left")(a),
                                            keras.layers.Dense(5, name="right")(b)])
    model = keras.Model([a, b], keras.layers.Dense(1, name="score")(total))
    path = tmp_path / "functional.svg"
    dot = keras.utils.plot_model(model, to_file=str(path), show_shapes=True)
    edges = {line.strip() for line in dot.source.splitlines() if "->" in line}
    named = {tuple(part.strip().strip('"').split("/")[-1] for part in edge.split("->"))
             for edge in edges}
    assert named == {("a", "left"), ("b", "right"), ("left", "total"), ("right", "total"),
                     ("total", "score")}
    assert "a (InputLayer)" in path.read_text() and "(None, 5), (None, 5)" in dot.source


def test_keras_2_vis_utils_path(tmp_path):
    from tinygrad_edu.keras.utils.vis_utils import plot_model

    plot_model(_model(), to_file=str(tmp_path / "m.svg"))
    assert "dense_1 (Dense)" in (tmp_path / "m.svg").read_text()


def test_no_lazy_viz_name_is_also_a_submodule_name():
    """Importing a submodule sets it as an attribute of the package: a function exported
    lazily under the same name would then be shadowed by its own module."""
    import pkgutil

    import viz

    submodules = {info.name for info in pkgutil.iter_modules(viz.__path__)}
    assert not submodules & set(viz.__all__)
    assert callable(viz.plot_model)
