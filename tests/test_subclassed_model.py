"""Subclassed models: ``class M(Model)`` with layers as attributes and ``call(x, training)``
trains, evaluates, predicts and saves like Keras 3's, and gets the mode fit/predict set."""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

RNG = np.random.default_rng(2)
X = RNG.normal(size=(16, 4)).astype(np.float32)
Y = RNG.normal(size=(16, 1)).astype(np.float32)


class TwoDenseModel(tg.nn.Model):
    def __init__(self, units=5, **kwargs):
        super().__init__(**kwargs)
        self.hidden = nn.Dense(units, activation="tanh")
        self.out = nn.Dense(1)

    def call(self, x, training=False):
        return self.out(self.hidden(x))


class Spy(nn.Module):
    """Remembers the training flag of each call."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x, training=None):
        self.seen.append(training)
        return x


class WithDropout(tg.Model):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(3)
        self.dropout = nn.Dropout(0.5)
        self.spy = Spy()

    def call(self, x, training=False):
        return self.spy(self.dropout(self.dense(x), training=training), training=training)


def test_call_and_forward_are_the_same_and_layers_are_tracked():
    model = TwoDenseModel(name="two_dense_model")
    assert model.name == "two_dense_model" and not model.built
    out = model(tg.Tensor(X))
    assert out.shape == (16, 1) and model.built
    assert [layer.name for layer in model.layers] == [model.hidden.name, model.out.name]
    assert len(model.weights) == 4 and model.count_params() == 4 * 5 + 5 + 5 + 1
    np.testing.assert_array_equal(model.forward(tg.Tensor(X)).numpy(), out.numpy())
    assert TwoDenseModel().name.startswith("two_dense_model")
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(Dense)" in line and "(None, 5)" in line for line in lines)


def test_fit_and_predict_pass_the_mode_to_call():
    model = WithDropout()
    model.compile("sgd", "mse")
    model.fit(X, np.zeros((16, 3), np.float32), batch_size=8, epochs=1, verbose=0)
    assert model.spy.seen == [True, True]
    model.spy.seen.clear()
    first = model.predict(X, verbose=0)
    np.testing.assert_array_equal(first, model.predict(X, verbose=0))  # no dropout
    model.evaluate(X, np.zeros((16, 3)), verbose=0)
    assert set(model.spy.seen) == {False}
    model.spy.seen.clear()
    model(tg.Tensor(X), training=True)
    assert model.spy.seen == [True]


def test_save_weights_and_load_weights_round_trip(tmp_path):
    model = TwoDenseModel()
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "two.weights.npz")
    twin = TwoDenseModel()
    twin(tg.Tensor(X[:1]))
    twin.load_weights(tmp_path / "two.weights.npz")
    np.testing.assert_array_equal(twin.predict(X, verbose=0), model.predict(X, verbose=0))


def test_a_subclassed_model_with_two_inputs_and_two_outputs():
    class Pair(nn.Model):
        def __init__(self):
            super().__init__()
            self.join = nn.Concatenate()
            self.first = nn.Dense(2)
            self.second = nn.Dense(1)

        def call(self, inputs):
            joined = self.join(inputs)
            return [self.first(joined), self.second(joined)]

    model = Pair()
    model.compile("sgd", loss=["mse", "mae"])
    history = model.fit([X, X[:, :2]], [X[:, :2], Y], epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "output_1_loss", "output_2_loss"]
    predicted = model.predict([X, X[:, :2]], verbose=0)
    assert [p.shape for p in predicted] == [(16, 2), (16, 1)]


def test_training_matches_keras_3_subclassed_model():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")

    class KerasTwoLayer(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(5, activation="tanh")
            self.out = keras.layers.Dense(1)

        def call(self, x, training=False):
            return self.out(self.hidden(x))

    theirs = KerasTwoLayer()
    theirs(X[:1])
    model = TwoDenseModel()
    model(tg.Tensor(X[:1]))
    model.hidden.set_weights(theirs.hidden.get_weights())
    model.out.set_weights(theirs.out.get_weights())
    np.testing.assert_allclose(model.predict(X, verbose=0), theirs.predict(X, verbose=0),
                               rtol=1e-6, atol=1e-6)
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse",
                   metrics=["mae"])
    model.compile(optimizer=tg.optim.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    fit = dict(batch_size=4, epochs=2, shuffle=False, verbose=0)
    mine, reference = model.fit(X, Y, **fit).history, theirs.fit(X, Y, **fit).history
    assert sorted(mine) == sorted(reference)
    for key in reference:
        np.testing.assert_allclose(mine[key], reference[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.out.kernel.numpy(), theirs.out.get_weights()[0],
                               rtol=1e-5, atol=1e-6)


def test_weights_have_keras_paths_and_variables():
    model = TwoDenseModel()
    model(tg.Tensor(X[:1]))
    hidden = model.hidden
    assert [w.path for w in hidden.weights] == [f"{hidden.name}/kernel", f"{hidden.name}/bias"]
    assert hidden.kernel.name == f"{hidden.name}.kernel"  # the tensor name graphs show
    assert [w.path for w in model.variables] == [w.path for w in model.weights]
    hidden.trainable = False
    assert not hidden.kernel.trainable and len(model.trainable_weights) == 2
    assert [w.path for w in model.non_trainable_weights][0].endswith("/kernel")


def test_save_and_load_model_rebuild_a_subclassed_model_from_its_arguments(tmp_path):
    model = TwoDenseModel(units=7)
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "two.npz")
    loaded = tg.load_model(tmp_path / "two.npz")
    assert isinstance(loaded, TwoDenseModel) and loaded.hidden.units == 7
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    with pytest.raises(ValueError, match=r"build_from_config: input_shape must be a list"):
        TwoDenseModel().build_from_config({"input_shape": "abc"})
