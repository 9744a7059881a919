"""Keras files both ways: .keras, .weights.h5 and legacy .h5, compared with Keras 3 itself;
load_model's compile semantics (optimizer state restored, training resumes exactly);
damaged and hostile files."""

import io
import json
import os
import zipfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
h5py = pytest.importorskip("h5py")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.io.keras_config import supported_layers  # noqa: E402

L = keras.layers
RNG = np.random.default_rng(0)


def keras_models():
    """name -> (builder of a Keras model, input batch)."""
    image = RNG.random((4, 8, 8, 2)).astype("float32")
    vector = RNG.random((4, 6)).astype("float32")
    sequence = RNG.random((4, 5, 3)).astype("float32")
    tokens = RNG.integers(0, 10, (4, 7)).astype("float32")
    return {
        "dense": (lambda: keras.Sequential([
            keras.Input((6,)), L.Dense(5, activation="relu", kernel_regularizer="l2"),
            L.Dropout(0.3), L.BatchNormalization(), L.Dense(3, activation="softmax")]), vector),
        "conv": (lambda: keras.Sequential([
            keras.Input((8, 8, 2)), L.Conv2D(4, 3, padding="same", activation="relu"),
            L.MaxPooling2D(), L.Conv2D(3, (2, 2), strides=2), L.AveragePooling2D(1),
            L.GlobalAveragePooling2D(), L.Dense(2)]), image),
        "flatten": (lambda: keras.Sequential([
            keras.Input((8, 8, 2)), L.Conv2D(2, 3, kernel_initializer="he_normal"),
            L.Flatten(), L.LayerNormalization(), L.Dense(2, activation="sigmoid")]), image),
        "recurrent": (lambda: keras.Sequential([
            keras.Input((5, 3)), L.LSTM(4, return_sequences=True),
            L.GRU(3, return_sequences=True), L.SimpleRNN(2)]), sequence),
        "wrappers": (lambda: keras.Sequential([
            keras.Input((5, 3)), L.Bidirectional(L.LSTM(2, return_sequences=True)),
            L.TimeDistributed(L.Dense(3)), L.GRU(2, reset_after=True)]), sequence),
        "embedding": (lambda: keras.Sequential([
            keras.Input((7,)), L.Embedding(10, 4), L.Flatten(), L.Dense(2)]), tokens),
        "shapes": (lambda: keras.Sequential([
            keras.Input((6,)), L.Reshape((2, 3)), L.Permute((2, 1)), L.Flatten(),
            L.RepeatVector(2), L.Flatten(), L.Activation("tanh"), L.LeakyReLU(0.2),
            L.ReLU(), L.ELU(), L.PReLU(), L.Softmax()]), vector),
    }


@pytest.mark.parametrize("name", sorted(keras_models()))
def test_a_model_saved_by_keras_predicts_the_same_here(tmp_path, name):
    build, x = keras_models()[name]
    original = build()
    for weight in original.weights:  # non-trivial statistics and biases
        weight.assign(RNG.normal(0, 0.3, weight.shape).astype("float32") + (
            1.0 if "variance" in weight.path else 0.0))
    path = tmp_path / "model.keras"
    original.save(path)
    model = tg.load_model(path)
    np.testing.assert_allclose(model.predict(x, verbose=0), original.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    # ... and back: our file loads in Keras with the same predictions
    back = tmp_path / "back.keras"
    model.save(back)
    twin = keras.models.load_model(back)
    np.testing.assert_allclose(twin.predict(x, verbose=0), original.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def our_model():
    return nn.Sequential([
        nn.Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)), nn.MaxPooling2D(),
        nn.BatchNormalization(), nn.Flatten(), nn.Dense(4, activation="tanh"),
        nn.Dense(2, activation="softmax")])


def test_a_model_saved_here_loads_in_keras_with_the_same_predictions(tmp_path):
    model = our_model()
    x = RNG.random((5, 6, 6, 1)).astype("float32")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, np.eye(2, dtype="float32")[[0, 1, 0, 1, 1]], epochs=2, verbose=0)
    path = tmp_path / "ours.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json",
                                              "model.weights.h5"]
    twin = keras.models.load_model(path)
    np.testing.assert_allclose(twin.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    assert type(twin.optimizer).__name__ == "Adam"
    assert int(twin.optimizer.iterations) == model.optimizer.iterations == 2
    for ours, theirs in zip(model.optimizer.m, twin.optimizer._momentums):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_weights_h5_both_ways(tmp_path):
    build, x = keras_models()["conv"]
    original = build()
    original.save_weights(tmp_path / "k.weights.h5")
    model = tg.load_model(_saved(original, tmp_path))
    for weight in model.weights:
        weight.data[...] = 0.0
    model.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0), original.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    ours = our_model()
    ours.save_weights(tmp_path / "ours.weights.h5")
    twin = keras.Sequential([
        keras.Input((6, 6, 1)), L.Conv2D(3, 3, activation="relu"), L.MaxPooling2D(),
        L.BatchNormalization(), L.Flatten(), L.Dense(4, activation="tanh"),
        L.Dense(2, activation="softmax")])
    twin.load_weights(tmp_path / "ours.weights.h5")
    x = RNG.random((3, 6, 6, 1)).astype("float32")
    np.testing.assert_allclose(twin.predict(x, verbose=0), ours.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def _saved(keras_model, tmp_path, name="saved.keras"):
    path = tmp_path / name
    keras_model.save(path)
    return path


def test_legacy_h5_model_and_weights_are_read(tmp_path):
    build, x = keras_models()["recurrent"]
    original = build()
    original.compile(optimizer="adam", loss="mse")
    original.fit(x, np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    original.save(tmp_path / "legacy.h5")  # Keras 3 still writes Keras 2's HDF5 format
    model = tg.load_model(tmp_path / "legacy.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0), original.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    assert model.optimizer.iterations == 1
    np.testing.assert_allclose(model.optimizer.v[0],
                               original.optimizer._velocities[0].numpy(), rtol=1e-6)
    fresh = tg.load_model(_saved(build(), tmp_path), compile=False)
    fresh.load_weights(tmp_path / "legacy.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), original.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(0.01),
    "amsgrad": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    "sgd": lambda: keras.optimizers.SGD(0.1),
    "momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: keras.optimizers.Adagrad(0.1),
    "nadam": lambda: keras.optimizers.Nadam(0.01),
    "adamax": lambda: keras.optimizers.Adamax(0.01),
    "adadelta": lambda: keras.optimizers.Adadelta(1.0),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_training_resumes_from_a_keras_file_as_keras_resumes(tmp_path, optimizer):
    x = RNG.random((32, 4)).astype("float32")
    y = RNG.random((32, 2)).astype("float32")
    original = keras.Sequential([keras.Input((4,)), L.Dense(8, activation="tanh"),
                                 L.BatchNormalization(), L.Dense(2)])
    original.compile(optimizer=OPTIMIZERS[optimizer](), loss="mse", metrics=["mae"])
    original.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = _saved(original, tmp_path)
    model = tg.load_model(path)
    assert model.optimizer.iterations == 8
    ours = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    theirs = original.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=2e-5)
    np.testing.assert_allclose(ours["mae"], theirs["mae"], rtol=2e-5)


@pytest.mark.parametrize("suffix", [".keras", ".npz"])
@pytest.mark.parametrize("optimizer", ["adam", "nadam", "rmsprop", "momentum", "lion"])
def test_load_model_continues_training_like_an_uninterrupted_run(tmp_path, suffix, optimizer):
    if suffix == ".keras" and optimizer == "lion":
        pytest.skip("Lion has no Keras file layout here")
    x = RNG.random((24, 5)).astype("float32")
    y = RNG.random((24, 1)).astype("float32")

    def fresh():
        tg.manual_seed(3)
        model = nn.Sequential([nn.Dense(6, activation="relu", input_shape=(5,)),
                               nn.Dense(1)])
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
        return model

    uninterrupted = fresh().fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0)
    first = fresh()
    first.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    first.save(tmp_path / f"m{suffix}")
    resumed = tg.load_model(tmp_path / f"m{suffix}")
    rest = resumed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(rest.history["loss"], uninterrupted.history["loss"][2:],
                               rtol=1e-6)
    assert getattr(tg.load_model(tmp_path / f"m{suffix}", compile=False), "_compiled",
                   None) is None


def test_every_layer_class_converts_or_is_refused_by_name():
    supported = supported_layers()
    for name in ("Dense", "Conv2D", "LSTM", "GRU", "SimpleRNN", "BatchNormalization",
                 "LayerNormalization", "Embedding", "Bidirectional", "TimeDistributed"):
        assert name in supported


# ----- damaged and hostile files ---------------------------------------------------------
def _rewritten(path, target, member, data):
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            out.writestr(info.filename, data if info.filename == member
                         else source.read(info.filename))
    return target


def _config_with(path, tmp_path, change):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    change(config)
    return _rewritten(path, tmp_path / "changed.keras", "config.json", json.dumps(config))


def test_an_unknown_layer_class_names_the_class_and_the_supported_ones(tmp_path):
    path = _saved(keras_models()["dense"][0](), tmp_path)
    changed = _config_with(path, tmp_path, lambda c: c["config"]["layers"][1].update(
        class_name="MyFancyLayer"))
    with pytest.raises(ValueError, match="unknown layer class 'MyFancyLayer'.*Dense"):
        tg.load_model(changed)


def test_a_keras_option_that_would_change_outputs_is_refused(tmp_path):
    path = _saved(keras_models()["dense"][0](), tmp_path)
    changed = _config_with(path, tmp_path, lambda c: c["config"]["layers"][3]["config"].update(
        renorm=True))
    with pytest.raises(ValueError, match=r"\(BatchNormalization\).*renorm=True.*not supported"):
        tg.load_model(changed)


def test_damaged_keras_files_give_clear_errors(tmp_path):
    path = _saved(keras_models()["dense"][0](), tmp_path)
    data = path.read_bytes()
    for length in range(0, len(data), max(1, len(data) // 40)):
        cut = tmp_path / "cut.keras"
        cut.write_bytes(data[:length])
        with pytest.raises(ValueError, match="load_model: .*(damaged|not)"):
            tg.load_model(cut)
    bad_json = _rewritten(path, tmp_path / "json.keras", "config.json", "{not json")
    with pytest.raises(ValueError, match="config.json is not valid JSON"):
        tg.load_model(bad_json)
    bad_h5 = _rewritten(path, tmp_path / "h5.keras", "model.weights.h5", b"garbage" * 10)
    with pytest.raises(ValueError, match="damaged or not an HDF5 file"):
        tg.load_model(bad_h5)
    garbage = tmp_path / "garbage.weights.h5"
    garbage.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 50)
    with pytest.raises(ValueError, match="garbage.weights.h5.*damaged"):
        our_model().load_weights(garbage)


def test_hostile_weights_files_are_refused_before_reading(tmp_path):
    model = our_model()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as other:
        other["secret"] = np.zeros((3, 3, 1, 3), "float32")
    with h5py.File(path, "a") as store:
        del store["layers/conv2d/vars/0"]
        store["layers/conv2d/vars/0"] = h5py.ExternalLink(str(outside), "secret")
    with pytest.raises(ValueError, match="link to another place"):
        model.load_weights(path)
    model.save_weights(path)
    with h5py.File(path, "a") as store:
        del store["layers/dense/vars/0"]
        store.create_dataset("layers/dense/vars/0", shape=(10**6, 10**6), dtype="float32")
    with pytest.raises(ValueError, match="shape .*1000000.*another architecture"):
        model.load_weights(path)
    model.save_weights(path)
    with h5py.File(path, "a") as store:
        del store["layers/dense/vars/1"]
        store["layers/dense/vars/1"] = np.array(["a", "b", "c", "d"], dtype=object)
    with pytest.raises(ValueError, match="must be numbers"):
        model.load_weights(path)


def test_weights_of_another_architecture_are_refused(tmp_path):
    path = tmp_path / "w.weights.h5"
    our_model().save_weights(path)
    other = nn.Sequential([nn.Dense(3, input_shape=(4,))])
    with pytest.raises(ValueError, match="another architecture"):
        other.load_weights(path)


def test_saved_keras_file_is_a_stored_zip_readable_as_bytes(tmp_path):
    model = our_model()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
        with h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as store:
            assert store["vars"].attrs["name"] == model.name
            assert store["layers/dense_1/vars/0"].shape == (4, 2)


# ----- functional models -----------------------------------------------------------------
def keras_functional():
    """Two inputs, two outputs, a layer shared by two calls, a nested Sequential."""
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    shared = L.Dense(4, activation="tanh", name="shared")
    tower = keras.Sequential([keras.Input((2,)), L.Dense(4), L.BatchNormalization()],
                             name="tower")
    joined = L.Concatenate()([shared(a), tower(b)])
    price = L.Dense(1, name="price")(joined)
    kind = L.Dense(3, activation="softmax", name="kind")(
        L.Add()([shared(a), L.Dense(4)(joined)]))
    return keras.Model([a, b], [price, kind])


def functional_data():
    x = [RNG.random((16, 3)).astype("float32"), RNG.random((16, 2)).astype("float32")]
    y = [RNG.random((16, 1)).astype("float32"),
         np.eye(3, dtype="float32")[RNG.integers(0, 3, 16)]]
    return x, y


def test_a_functional_keras_model_loads_here_and_back(tmp_path):
    original = keras_functional()
    x, y = functional_data()
    original.compile(optimizer=keras.optimizers.Adam(0.01),
                     loss=["mse", "categorical_crossentropy"])
    original.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model = tg.load_model(_saved(original, tmp_path))
    assert [type(layer).__name__ for layer in model.layers].count("InputLayer") == 2
    for ours, theirs in zip(model.predict(x, verbose=0), original.predict(x, verbose=0)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    assert model.optimizer.iterations == 4
    model.save(tmp_path / "back.keras")
    twin = keras.models.load_model(tmp_path / "back.keras")
    for ours, theirs in zip(twin.predict(x, verbose=0), original.predict(x, verbose=0)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    ours = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    theirs = original.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=2e-5)


def test_a_functional_model_built_here_loads_in_keras(tmp_path):
    a, b = nn.Input((3,), name="a"), nn.Input((2,), name="b")
    shared = nn.Dense(4, activation="relu", name="shared")
    hidden = nn.Concatenate()([shared(a), nn.Dense(4, name="side")(b)])
    out = nn.Dense(2, name="out")(nn.Add()([shared(a),
                                            nn.Dense(4, name="mix")(hidden)]))
    model = nn.Model([a, b], [out, nn.Dense(1, name="second")(hidden)])
    x, _ = functional_data()
    path = tmp_path / "ours.keras"
    model.save(path)
    twin = keras.models.load_model(path)
    for ours, theirs in zip(model.predict(x, verbose=0), twin.predict(x, verbose=0)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    assert [layer.name for layer in twin.layers][:2] == ["a", "b"]
    model.save_weights(tmp_path / "w.weights.h5")
    twin_weights = keras.models.load_model(path)
    for weight in twin_weights.weights:
        weight.assign(np.zeros(weight.shape, "float32"))
    twin_weights.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_allclose(twin_weights.predict(x, verbose=0)[0],
                               model.predict(x, verbose=0)[0], rtol=1e-6, atol=1e-6)


def test_initializers_regularizers_and_constraints_travel_both_ways(tmp_path):
    original = keras.Sequential([keras.Input((4,)), L.Dense(
        3, kernel_initializer=keras.initializers.RandomNormal(0.0, 0.2, seed=1),
        kernel_regularizer=keras.regularizers.L1L2(0.01, 0.02),
        kernel_constraint=keras.constraints.MaxNorm(2.0, axis=0))])
    model = tg.load_model(_saved(original, tmp_path))
    dense = model.layers[0]
    assert type(dense.kernel_initializer).__name__ == "RandomNormal"
    assert dense.kernel_initializer.get_config()["stddev"] == pytest.approx(0.2)
    assert dense.kernel_regularizer.get_config() == pytest.approx({"l1": 0.01, "l2": 0.02})
    assert type(dense.kernel_constraint).__name__ == "MaxNorm"
    model.save(tmp_path / "back.keras")
    twin = keras.models.load_model(tmp_path / "back.keras").layers[0]
    assert type(twin.kernel_initializer).__name__ == "RandomNormal"
    assert float(twin.kernel_regularizer.l1) == pytest.approx(0.01)
    assert float(twin.kernel_constraint.max_value) == pytest.approx(2.0)


def keras2_file(path, weights):
    """A model file in Keras 2's HDF5 layout (tf.keras ``model.save("m.h5")``), written
    field by field as Keras 2 lays it out: configs as JSON attributes, weights named
    ``layer/weight:0`` and listed per layer, optimizer slots named after their weights."""
    dense = {"trainable": True, "dtype": "float32", "use_bias": True,
             "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
             "bias_initializer": {"class_name": "Zeros", "config": {}},
             "kernel_regularizer": None, "bias_regularizer": None,
             "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4],
                                                "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "dense_input"}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "relu",
                                           "batch_input_shape": [None, 4], **dense}},
        {"class_name": "BatchNormalization", "config": {
            "name": "batch_normalization", "trainable": True, "dtype": "float32",
            "axis": [1], "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
            "beta_initializer": {"class_name": "Zeros", "config": {}},
            "gamma_initializer": {"class_name": "Ones", "config": {}},
            "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
            "moving_variance_initializer": {"class_name": "Ones", "config": {}},
            "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
            "gamma_constraint": None}},
        {"class_name": "Dense", "config": {"name": "dense_1", "units": 2,
                                           "activation": "softmax", **dense}}]
    model_config = {"class_name": "Sequential", "config": {"name": "sequential",
                                                           "layers": layers}}
    training = {"loss": "categorical_crossentropy", "loss_weights": None,
                "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
                    "name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}}]],
                "weighted_metrics": None,
                "optimizer_config": {"class_name": "Adam", "config": {
                    "name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9,
                    "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}
    names = {"dense": ["kernel", "bias"], "dense_1": ["kernel", "bias"],
             "batch_normalization": ["gamma", "beta", "moving_mean", "moving_variance"]}
    with h5py.File(path, "w") as store:
        store.attrs["keras_version"] = b"2.10.0"
        store.attrs["backend"] = b"tensorflow"
        store.attrs["model_config"] = json.dumps(model_config).encode()
        store.attrs["training_config"] = json.dumps(training).encode()
        group = store.create_group("model_weights")
        group.attrs["layer_names"] = np.array([b"dense", b"batch_normalization", b"dense_1"])
        for layer, keys in names.items():
            node = group.create_group(layer)
            node.attrs["weight_names"] = np.array([f"{layer}/{k}:0".encode() for k in keys])
            for key in keys:
                node.create_dataset(f"{layer}/{key}:0", data=weights[f"{layer}/{key}"])
        optimizer = store.create_group("optimizer_weights")
        trainable = [f"{layer}/{k}" for layer, keys in names.items() for k in keys
                     if "moving" not in k]
        slot_names = ["Adam/iter:0"] + [f"Adam/{w}/{slot}:0" for slot in ("m", "v")
                                        for w in trainable]
        optimizer.attrs["weight_names"] = np.array([name.encode() for name in slot_names])
        optimizer.create_dataset("Adam/iter:0", data=np.int64(7))
        for name in slot_names[1:]:
            weight = name.split("/", 1)[1].rsplit("/", 1)[0]
            scale = 1.0 if name.endswith("/m:0") else 2.0
            optimizer.create_dataset(name, data=scale * weights[weight] ** 2)


def test_a_keras_2_hdf5_model_file_is_read_with_its_optimizer_state(tmp_path):
    reference = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="relu"),
                                  L.BatchNormalization(), L.Dense(2, activation="softmax")])
    values = [RNG.normal(0, 0.5, w.shape).astype("float32") + (1.0 if "variance" in w.path
                                                                 else 0.0)
              for w in reference.weights]
    reference.set_weights(values)
    keys = ["dense/kernel", "dense/bias", "batch_normalization/gamma",
            "batch_normalization/beta", "batch_normalization/moving_mean",
            "batch_normalization/moving_variance", "dense_1/kernel", "dense_1/bias"]
    weights = dict(zip(keys, values))
    keras2_file(tmp_path / "keras2.h5", weights)
    model = tg.load_model(tmp_path / "keras2.h5")
    x = RNG.random((5, 4)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    assert model.optimizer.iterations == 7
    np.testing.assert_allclose(model.optimizer.m[0], weights["dense/kernel"] ** 2)
    np.testing.assert_allclose(model.optimizer.v[3], 2 * weights["batch_normalization/beta"] ** 2)
    history = model.fit(x, np.eye(2, dtype="float32")[[0, 1, 0, 1, 1]], verbose=0).history
    assert set(history) == {"loss", "accuracy"}
    twin = nn.Sequential([nn.Dense(3, activation="relu", input_shape=(4,)),
                          nn.BatchNormalization(), nn.Dense(2, activation="softmax")])
    twin.load_weights(tmp_path / "keras2.h5")  # by layer name, as Keras 2 does
    np.testing.assert_allclose(twin.predict(x, verbose=0), reference.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_a_hostile_size_fails_before_the_memory_is_taken(tmp_path):
    path = _saved(keras_models()["dense"][0](), tmp_path)
    changed = _config_with(path, tmp_path, lambda c: c["config"]["layers"][1]["config"].update(
        units=30_000_000))
    with pytest.raises(ValueError, match="more than the .* values left in the file"):
        tg.load_model(changed)


IMAGE, SEQUENCE = (8, 8, 3), (6, 3)
MORE_LAYERS = {
    "Conv1D": (lambda: L.Conv1D(4, 3, padding="causal"), SEQUENCE),
    "MaxPooling1D": (lambda: L.MaxPooling1D(2), SEQUENCE),
    "AveragePooling1D": (lambda: L.AveragePooling1D(2), SEQUENCE),
    "GlobalMaxPooling1D": (lambda: L.GlobalMaxPooling1D(), SEQUENCE),
    "GlobalAveragePooling1D": (lambda: L.GlobalAveragePooling1D(), SEQUENCE),
    "GlobalMaxPooling2D": (lambda: L.GlobalMaxPooling2D(), IMAGE),
    "DepthwiseConv2D": (lambda: L.DepthwiseConv2D(3, depth_multiplier=2), IMAGE),
    "SeparableConv2D": (lambda: L.SeparableConv2D(4, 3, padding="same"), IMAGE),
    "Conv2DTranspose": (lambda: L.Conv2DTranspose(2, 3, strides=2, padding="same"), IMAGE),
    "Conv2D groups": (lambda: L.Conv2D(6, 3, groups=3), IMAGE),
    "UpSampling2D": (lambda: L.UpSampling2D(2), IMAGE),
    "UpSampling1D": (lambda: L.UpSampling1D(2), SEQUENCE),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D(((1, 2), (0, 1))), IMAGE),
    "Cropping2D": (lambda: L.Cropping2D(1), IMAGE),
    "Cropping1D": (lambda: L.Cropping1D(1), SEQUENCE),
    "Rescaling": (lambda: L.Rescaling(1 / 255.0, offset=0.5), IMAGE),
    "Normalization": (lambda: L.Normalization(mean=[0.1, 0.2, 0.3], variance=[1, 2, 3]), IMAGE),
    "Resizing": (lambda: L.Resizing(4, 4), IMAGE),
    "CenterCrop": (lambda: L.CenterCrop(4, 4), IMAGE),
    "RandomFlip": (lambda: L.RandomFlip(), IMAGE),
    "RandomRotation": (lambda: L.RandomRotation(0.1), IMAGE),
    "GroupNormalization": (lambda: L.GroupNormalization(3), IMAGE),
    "Masking": (lambda: L.Masking(), SEQUENCE),
    "ReLU max_value": (lambda: L.ReLU(max_value=6.0), SEQUENCE),
}


@pytest.mark.parametrize("name", sorted(MORE_LAYERS))
def test_more_layer_classes_round_trip_with_keras(tmp_path, name):
    make, shape = MORE_LAYERS[name]
    original = keras.Sequential([keras.Input(shape), make()])
    for weight in original.weights:
        weight.assign(RNG.normal(0, 0.3, weight.shape).astype("float32"))
    x = RNG.random((2, *shape)).astype("float32")
    model = tg.load_model(_saved(original, tmp_path))
    np.testing.assert_allclose(model.predict(x, verbose=0), original.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "back.keras")
    twin = keras.models.load_model(tmp_path / "back.keras")
    np.testing.assert_allclose(twin.predict(x, verbose=0), original.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer, message", [
    (lambda: L.GaussianNoise(0.1), "unknown layer class 'GaussianNoise'"),
    (lambda: L.Lambda(lambda t: t * 2), "Lambda layer holds Python code")])
def test_layers_this_project_lacks_are_named(tmp_path, layer, message):
    path = _saved(keras.Sequential([keras.Input((4,)), layer()]), tmp_path)
    with pytest.raises(ValueError, match=message):
        tg.load_model(path)


def test_model_checkpoint_writes_keras_files_keras_reads(tmp_path):
    model = our_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x = RNG.random((6, 6, 6, 1)).astype("float32")
    y = np.eye(2, dtype="float32")[[0, 1, 0, 1, 1, 0]]
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[
        tg.callbacks.ModelCheckpoint(tmp_path / "best.keras", save_best_only=True),
        tg.callbacks.ModelCheckpoint(tmp_path / "last.weights.h5", save_weights_only=True)])
    twin = keras.models.load_model(tmp_path / "best.keras")
    assert int(twin.optimizer.iterations) in (1, 2)
    twin.load_weights(tmp_path / "last.weights.h5")
    np.testing.assert_allclose(twin.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.keras", "last.weights.h5"]


def test_every_truncation_of_a_weights_file_gives_a_value_error(tmp_path):
    model = our_model()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    data = path.read_bytes()
    for length in range(0, len(data), max(1, len(data) // 60)):
        cut = tmp_path / "cut.weights.h5"
        cut.write_bytes(data[:length])
        with pytest.raises(ValueError, match="load_weights: .*cut.weights.h5"):
            model.load_weights(cut)
