"""Reshape, Permute and RepeatVector: shapes, values against Keras 3, gradients, configs."""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.nn import Dense, Permute, RepeatVector, Reshape, Sequential

X = np.random.default_rng(2).normal(size=(2, 3, 4)).astype(np.float32)
LAYERS = [
    (lambda: Reshape((4, 3)), "Reshape", {"target_shape": (4, 3)}, X),
    (lambda: Reshape((-1, 2)), "Reshape", {"target_shape": (-1, 2)}, X),
    (lambda: Reshape((12,)), "Reshape", {"target_shape": (12,)}, X),
    (lambda: Permute((2, 1)), "Permute", {"dims": (2, 1)}, X),
    (lambda: Permute((3, 1, 2)), "Permute", {"dims": (3, 1, 2)}, X.reshape(2, 3, 2, 2)),
    (lambda: RepeatVector(3), "RepeatVector", {"n": 3}, X[:, 0]),
]
IDS = ["reshape", "reshape-infer", "reshape-flat", "permute", "permute-3d", "repeat-vector"]


@pytest.mark.parametrize("make, keras_name, keras_args, x", LAYERS, ids=IDS)
def test_values_match_keras(make, keras_name, keras_args, x):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    ours = make()(tg.Tensor(x)).numpy()
    theirs = getattr(keras.layers, keras_name)(**keras_args)(x)
    theirs = theirs.detach().cpu().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("make, keras_name, keras_args, x", LAYERS, ids=IDS)
def test_output_shapes_follow_the_layers(make, keras_name, keras_args, x):
    layer = make()
    out = layer(tg.Tensor(x))
    assert layer.compute_output_shape((None, *x.shape[1:])) == (None, *out.shape[1:])


@pytest.mark.parametrize("make, keras_name, keras_args, x", LAYERS, ids=IDS)
def test_gradients_flow_back_unchanged_or_summed(make, keras_name, keras_args, x):
    layer = make()
    inputs = [tg.Tensor(x, requires_grad=True, dtype="float64")]
    assert gradcheck(layer, inputs)
    assert gradgradcheck(lambda t: layer(t) * layer(t), inputs)


def test_repeat_vector_gradient_sums_the_copies():
    x = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    RepeatVector(4)(x).sum().backward()
    assert x.grad.tolist() == [[4.0, 4.0]]


def test_config_round_trip_and_save_load(tmp_path):
    model = Sequential([Reshape((2, 6), input_shape=(12,)), Permute((2, 1)),
                        Reshape((-1,)), Dense(3), RepeatVector(2)])
    x = tg.randn(5, 12)
    expected = model(x).numpy()
    path = tmp_path / "model.npz"
    tg.save_model(model, path)
    restored = tg.load_model(path)
    np.testing.assert_allclose(restored(x).numpy(), expected, rtol=1e-6)
    assert [type(layer).__name__ for layer in restored.layers] == [
        "Reshape", "Permute", "Reshape", "Dense", "RepeatVector"]
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 2, 6)" in text and "(None, 6, 2)" in text and "(None, 2, 3)" in text


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="Reshape.*-1"):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"reshape.*\(3, 4\).*12 values.*\(5, 2\)"):
        Reshape((5, 2))(tg.ones(2, 3, 4))
    with pytest.raises(ValueError, match="Permute.*permutation of 1..2"):
        Permute((0, 1))
    with pytest.raises(ValueError, match="Permute.*2 axes"):
        Permute((2, 1))(tg.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="RepeatVector.*positive"):
        RepeatVector(0)
    with pytest.raises(ValueError, match="repeat_vector.*2 axes"):
        RepeatVector(2)(tg.ones(2, 3, 4))
