"""get_config/from_config of Sequential, functional and subclassed models, and clone_model:
same architecture, fresh weights; the functional config's graph is laid out as Keras 3's."""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

RNG = np.random.default_rng(3)


def shared_two_in_two_out():
    a, b = nn.Input(shape=(3,), name="a"), nn.Input(shape=(3,), name="b")
    shared = nn.Dense(4, activation="tanh", name="shared")
    merged = nn.Concatenate(name="join")([shared(a), shared(b)])
    return nn.Model([a, b], {"kind": nn.Dense(2, activation="softmax", name="kind")(merged),
                             "diff": nn.Subtract(name="diff")([shared(a), shared(b)])},
                    name="pair")


def graph_layout(config):
    """(layer name, class, the [layer, call, output] of each call's tensor arguments)."""
    def histories(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return [list(value["config"]["keras_history"])]
        if isinstance(value, dict):
            return [h for item in value.values() for h in histories(item)]
        if isinstance(value, (list, tuple)):
            return [h for item in value for h in histories(item)]
        return []

    return [(entry["name"], entry["class_name"],
             [histories(node["args"]) for node in entry["inbound_nodes"]])
            for entry in config["layers"]]


def test_functional_config_round_trips_with_shared_layers_and_dict_outputs():
    model = shared_two_in_two_out()
    config = model.get_config()
    twin = nn.Model.from_config(config)
    assert graph_layout(twin.get_config()) == graph_layout(config)
    assert twin.output_names == ["diff", "kind"] and twin.name == "pair"  # sorted keys
    assert len(twin.weights) == len(model.weights) == 4
    twin.set_weights(model.get_weights())
    x = [RNG.normal(size=(5, 3)).astype(np.float32) for _ in range(2)]
    mine, theirs = model.predict(x, verbose=0), twin.predict(x, verbose=0)
    for key in ("kind", "diff"):
        np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-6)


def test_the_config_graph_is_laid_out_as_keras_3s():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    a, b = keras.Input(shape=(3,), name="a"), keras.Input(shape=(3,), name="b")
    shared = keras.layers.Dense(4, activation="tanh", name="shared")
    merged = keras.layers.Concatenate(name="join")([shared(a), shared(b)])
    theirs = keras.Model([a, b], {
        "kind": keras.layers.Dense(2, activation="softmax", name="kind")(merged),
        "diff": keras.layers.Subtract(name="diff")([shared(a), shared(b)])})
    keras_config, config = theirs.get_config(), shared_two_in_two_out().get_config()
    assert graph_layout(config) == graph_layout(keras_config)
    assert config["input_layers"] == [list(item) for item in keras_config["input_layers"]]
    assert {key: list(value) for key, value in config["output_layers"].items()} == {
        key: list(value) for key, value in keras_config["output_layers"].items()}


def test_clone_model_gives_the_same_architecture_with_fresh_weights_like_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = keras.Input(shape=(4,), name="x")
    hidden = keras.layers.Dense(3, activation="relu", name="hidden")(x)
    theirs = keras.Model(x, keras.layers.Dense(1, name="out")(hidden))
    keras_clone = keras.models.clone_model(theirs)
    inputs = nn.Input(shape=(4,), name="x")
    model = nn.Model(inputs, nn.Dense(1, name="out")(nn.Dense(3, activation="relu",
                                                               name="hidden")(inputs)))
    clone = nn.clone_model(model)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in keras_clone.layers]
    assert clone.output_shape == tuple(keras_clone.output_shape)
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    for layer in keras_clone.layers[1:]:
        clone.get_layer(layer.name).set_weights(layer.get_weights())
    data = RNG.normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_allclose(clone.predict(data, verbose=0),
                               keras_clone.predict(data, verbose=0), rtol=1e-6, atol=1e-6)


def test_clone_model_of_a_sequential_and_a_shared_layer_graph():
    model = nn.Sequential([nn.Input(shape=(3,)), nn.Dense(4, name="h"),
                           nn.BatchNormalization(name="bn"), nn.Dense(1, name="o")])
    clone = nn.clone_model(model)
    assert clone.built and [layer.name for layer in clone.layers] == ["h", "bn", "o"]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    twin = nn.Sequential.from_config(model.get_config())
    assert twin.input_shape == (None, 3)
    functional_clone = nn.clone_model(shared_two_in_two_out())
    shared = functional_clone.get_layer("shared")
    assert len(shared._inbound_nodes) == 4 and len(functional_clone.weights) == 4
    kept = nn.clone_model(model, clone_function=lambda layer: layer if layer.name == "h"
                          else type(layer).from_config(layer.get_config()))
    assert kept.get_layer("h") is model.get_layer("h")


class Plain(nn.Model):
    def __init__(self, units=2, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = nn.Dense(units, activation=activation)

    def call(self, x):
        return self.dense(x)


class Wrapping(nn.Model):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def call(self, x):
        return self.layer(x)


def test_a_subclassed_model_clones_from_the_arguments_it_was_made_with():
    model = Plain(units=5, activation="tanh", name="plain")
    model(tg.ones(2, 3))
    assert model.get_config() == {"units": 5, "activation": "tanh", "name": "plain",
                                  "trainable": True}
    clone = nn.clone_model(model)
    assert isinstance(clone, Plain) and clone.units == 5 and clone.name == "plain"
    assert clone.built and clone.dense.kernel.shape == (3, 5)
    assert not np.array_equal(clone.dense.kernel.numpy(), model.dense.kernel.numpy())


def test_a_subclassed_model_made_from_objects_says_to_write_get_config():
    model = Wrapping(nn.Dense(2))
    with pytest.raises(NotImplementedError,
                       match=r"clone_model: Wrapping is a subclassed model that cannot be "
                             r"rebuilt from its config \(Wrapping was created with layer= a "
                             r"Dense, which a config cannot hold; override get_config\(\)"):
        nn.clone_model(model)
    with pytest.raises(ValueError, match=r"input_tensors and clone_function work for "
                                         r"Sequential and functional models only"):
        nn.clone_model(Plain(), clone_function=lambda layer: layer)
