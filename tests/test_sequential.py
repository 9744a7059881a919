import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import (
    Dense,
    Dropout,
    Flatten,
    Module,
    Sequential,
    functional_call,
    summary,
)


def course_model(with_batch_norm=False):
    """The Fashion-MNIST network of the course (BatchNormalization optional)."""
    layers = [Flatten(input_shape=(28, 28)),
              Dense(256, activation="elu", kernel_initializer="he_normal")]
    if with_batch_norm:
        from tinygrad_edu.nn import BatchNormalization
        layers.append(BatchNormalization(momentum=0.9))
    layers += [Dense(128, activation="selu", kernel_initializer="lecun_normal"),
               Dense(128, activation="selu", kernel_initializer="lecun_normal"),
               Dense(10, activation="softmax")]
    return Sequential(layers)


def summary_lines(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def test_layers_run_in_order_and_are_indexable():
    model = Sequential([Dense(4, activation="relu", input_dim=3), Dense(2)])
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    expected = model[1](model[0](x)).numpy()
    np.testing.assert_allclose(model(x).numpy(), expected)
    assert len(model) == 2 and [layer.name for layer in model] == ["dense", "dense_1"]
    assert model.layers[-1] is model[-1]
    assert [n for n, _ in model.named_parameters()] == [
        "dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias"]


def test_add_builds_when_the_input_shape_is_known():
    model = Sequential()
    model.add(Flatten(input_shape=(4, 4)))
    model.add(Dense(8))
    assert model.built and model[1].built and model[1].kernel.shape == (16, 8)
    assert model.output_shape == (None, 8) and model.input_shape == (None, 4, 4)
    model.add(Dropout(0.5))
    model.add(Dense(3))
    assert model[-1].kernel.shape == (8, 3) and model.output_shape == (None, 3)
    removed = model.pop()
    assert removed.name == "dense_1" and model.output_shape == (None, 8)


def test_lazy_model_builds_at_first_call():
    model = Sequential([Dense(8, activation="relu"), Dense(2)])
    assert not model.built and model.count_params() == 0
    model(tg.ones(3, 5))
    assert model.built and model.count_params() == 5 * 8 + 8 + 8 * 2 + 2
    assert [layer.output_shape for layer in model] == [(None, 8), (None, 2)]


def test_add_rejects_non_layers_and_duplicate_names():
    model = Sequential([Dense(2, name="out")])
    with pytest.raises(TypeError, match="expected a layer"):
        model.add("dense")
    with pytest.raises(ValueError, match="'out' is already in the model"):
        model.add(Dense(3, name="out"))
    with pytest.raises(ValueError, match="no layers yet"):
        Sequential()(tg.ones(1, 2))


def test_wrong_input_size_names_the_layer():
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(10)])
    with pytest.raises(ValueError, match=r"flatten \(Flatten\).*\(None, 28, 28\).*\(2, 784\)"):
        model(tg.ones(2, 784))


def test_dense_only_course_model_counts():
    model = course_model()
    assert model.count_params() == 200_960 + 32_896 + 16_512 + 1_290
    assert sum(p.size for p in model.parameters()) == 251_658


def test_course_model_counts_with_batch_normalization():
    pytest.importorskip("tinygrad_edu.nn.normalization")
    model = course_model(with_batch_norm=True)
    trainable = sum(w.size for w in model.trainable_weights)
    non_trainable = sum(w.size for w in model.non_trainable_weights)
    assert (model.count_params(), trainable, non_trainable) == (252_682, 252_170, 512)
    text = " ".join(summary_lines(model))  # the notes are wrapped
    assert "Total params: 252,682" in text
    assert "Trainable params: 252,170" in text
    assert "Non-trainable params: 512" in text
    assert "batch_normalization (BatchNormalization) keeps 512" in text


def test_summary_table_has_keras_columns_and_counts():
    lines = summary_lines(course_model())
    assert lines[0] == 'Model: "sequential"'
    header = lines[2]
    assert "Layer (type)" in header and "Output Shape" in header and "Param #" in header
    rows = [line for line in lines if "(Dense)" in line or "(Flatten)" in line]
    assert rows[0].split() == ["flatten", "(Flatten)", "(None,", "784)", "0"]
    assert rows[1].split() == ["dense", "(Dense)", "(None,", "256)", "200,960"]
    assert rows[-1].split() == ["dense_3", "(Dense)", "(None,", "10)", "1,290"]
    assert "Total params: 251,658 (983.04 KB)" in lines
    assert "Trainable params: 251,658 (983.04 KB)" in lines
    assert "Non-trainable params: 0 (0.00 KB)" in lines
    assert "BatchNormalization's moving mean/variance" in " ".join(lines)


def test_summary_explains_frozen_layers():
    model = course_model()
    model[1].trainable = False
    text = " ".join(summary_lines(model))  # the notes are wrapped
    assert "Trainable params: 50,698" in text and "Non-trainable params: 200,960" in text
    assert "dense (Dense) has 200,960 frozen weights (kernel, bias; trainable=False)" in text


def test_summary_of_an_unbuilt_model_and_of_any_module():
    lines = summary_lines(Sequential([Dense(3)]))
    assert any("0 (unbuilt)" in line and "?" in line for line in lines)
    assert any("not built yet" in line for line in lines)

    class Custom(Module):
        def __init__(self):
            super().__init__()
            self.body = Dense(2, input_dim=3)

        def forward(self, x):
            return self.body(x)

    lines = []
    summary(Custom(), print_fn=lines.append)
    assert "Total params: 8 (0.03 KB)" in lines


def test_training_mode_reaches_every_layer():
    model = Sequential([Dense(4, input_dim=3), Dropout(0.9)])
    model.eval()
    x = tg.ones(2, 3)
    np.testing.assert_array_equal(model(x).numpy(), model[0](x).numpy())
    model.train()
    assert (model(tg.ones(200, 3)).numpy() == 0).mean() > 0.8


def test_gradcheck_through_a_model_and_its_weights():
    model = Sequential([Dense(4, activation="tanh", input_dim=3), Dense(2, activation="softmax")])
    x = tg.Tensor(np.random.default_rng(1).standard_normal((3, 3)), requires_grad=True,
                  dtype=np.float64)
    weights = {name: tg.Tensor(p.numpy(), requires_grad=True, dtype=np.float64)
               for name, p in model.named_parameters()}
    names = list(weights)

    def run(x, *tensors):
        return functional_call(model, dict(zip(names, tensors)), x)

    assert gradcheck(run, [x, *weights.values()])


def test_config_round_trip_rebuilds_the_architecture():
    model = course_model()
    model[2].trainable = False
    config = model.get_config()
    twin = Sequential.from_config(config)
    assert twin.get_config() == config
    assert [layer.name for layer in twin] == [layer.name for layer in model]
    assert twin.built and twin.count_params() == model.count_params()
    assert twin[2].trainable is False and twin[1].trainable is True
    with pytest.raises(ValueError, match="unknown layer class 'Mystery'"):
        Sequential.from_config({"name": "m", "layers": [{"class_name": "Mystery",
                                                         "config": {}}]})


def test_nested_sequential():
    inner = Sequential([Dense(3, activation="relu")], name="block")
    model = Sequential([Dense(4, input_dim=2), inner, Dense(1)])
    out = model(tg.ones(5, 2))
    assert out.shape == (5, 1)
    assert "block.dense.kernel" in model.state_dict()
    assert inner.output_shape == (None, 3)
