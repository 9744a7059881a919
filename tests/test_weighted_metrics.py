"""``compile(weighted_metrics=...)``: sample_weight and class_weight weight the loss and the
weighted metrics, not ``metrics`` (Keras 3's rule), with Keras 3's log names; the same
weights give the same logged values as Keras 3."""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

RNG = np.random.default_rng(1)
X = RNG.normal(size=(20, 4)).astype(np.float32)
LABELS = RNG.integers(0, 3, 20)
Y = np.eye(3, dtype=np.float32)[LABELS]
WEIGHTS = RNG.uniform(0.0, 3.0, 20).astype(np.float32)
FIT = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)


def ours():
    return nn.Sequential([nn.Input(shape=(4,)), nn.Dense(5, activation="relu", name="hidden"),
                          nn.Dense(3, activation="softmax", name="out")])


def keras_twin(model):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    twin = keras.Sequential([keras.Input(shape=(4,)),
                             keras.layers.Dense(5, activation="relu", name="hidden"),
                             keras.layers.Dense(3, activation="softmax", name="out")])
    twin.set_weights(model.get_weights())
    return keras, twin


def compare(mine: dict, theirs: dict):
    assert sorted(mine) == sorted(theirs)
    for key in theirs:
        np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("weighting", ["sample_weight", "class_weight"])
def test_sample_and_class_weights_weight_the_loss_and_weighted_metrics_like_keras(weighting):
    model = ours()
    keras, twin = keras_twin(model)
    options = dict(loss="categorical_crossentropy", metrics=["accuracy", "mae"],
                   weighted_metrics=["accuracy", "mse"])
    model.compile(optimizer=tg.optim.SGD(learning_rate=0.1), **options)
    twin.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), **options)
    weights = ({"sample_weight": WEIGHTS} if weighting == "sample_weight"
               else {"class_weight": {0: 0.5, 1: 2.0, 2: 1.0}})
    mine = model.fit(X, Y, validation_data=(X, Y, WEIGHTS), **weights, **FIT).history
    theirs = keras_twin_fit(twin, weights)
    assert {"accuracy", "weighted_accuracy", "mse", "mae", "val_weighted_accuracy"} <= set(mine)
    compare(mine, theirs)
    mine_eval = model.evaluate(X, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True)
    theirs_eval = twin.evaluate(X, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True)
    compare(mine_eval, theirs_eval)


def keras_twin_fit(twin, weights):
    return twin.fit(X, Y, validation_data=(X, Y, WEIGHTS), **weights, **FIT).history


def test_metrics_ignore_the_weights_and_weighted_metrics_use_them():
    model = ours()
    model.compile("sgd", loss="categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    logs = model.evaluate(X, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True)
    hits = (model.predict(X, verbose=0).argmax(1) == LABELS).astype(np.float64)
    assert logs["accuracy"] == pytest.approx(hits.mean())
    assert logs["weighted_accuracy"] == pytest.approx((hits * WEIGHTS).sum() / WEIGHTS.sum(),
                                                      rel=1e-6)
    model.compile("sgd", loss="categorical_crossentropy", weighted_metrics=["accuracy"])
    logs = model.evaluate(X, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"]  # no clash: the weighted one keeps its name
    assert logs["accuracy"] == pytest.approx((hits * WEIGHTS).sum() / WEIGHTS.sum(), rel=1e-6)


def test_weighted_metrics_per_output_are_named_like_keras():
    a = nn.Input(shape=(4,), name="a")
    hidden = nn.Dense(4, activation="tanh", name="hidden")(a)
    model = nn.Model(a, [nn.Dense(3, activation="softmax", name="kind")(hidden),
                         nn.Dense(1, name="price")(hidden)])
    price = RNG.normal(size=(20, 1)).astype(np.float32)
    options = dict(loss=["categorical_crossentropy", "mse"],
                   metrics=[["accuracy"], ["mae"]], weighted_metrics=[["accuracy"], ["mse"]])
    model.compile(optimizer=tg.optim.SGD(learning_rate=0.1), **options)
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    ka = keras.Input(shape=(4,), name="a")
    khidden = keras.layers.Dense(4, activation="tanh", name="hidden")(ka)
    twin = keras.Model(ka, [keras.layers.Dense(3, activation="softmax", name="kind")(khidden),
                            keras.layers.Dense(1, name="price")(khidden)])
    for layer in twin.layers[1:]:
        layer.set_weights(model.get_layer(layer.name).get_weights())
    twin.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), **options)
    mine = model.fit(X, [Y, price], sample_weight=WEIGHTS, **FIT).history
    theirs = twin.fit(X, [Y, price], sample_weight=WEIGHTS, **FIT).history
    assert "kind_weighted_accuracy" in mine and "price_mse" in mine
    compare(mine, theirs)
