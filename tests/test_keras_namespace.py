"""The Keras-shaped namespace: its modules, its names (the framework's own objects), Keras 2's
paths and names, and the errors for what it lacks; compared with Keras 3 where both exist."""

import hashlib
import importlib
import sys
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.keras as keras
from tinygrad_edu.keras._keras_names import KERAS_NAMES
from tinygrad_edu.notes import KerasNameNote, forget_notes

MODULES = ["models", "layers", "optimizers", "optimizers.schedules", "losses", "metrics",
           "callbacks", "initializers", "regularizers", "activations", "constraints", "utils",
           "datasets", "backend", "wrappers"]


def _module(path):
    return importlib.import_module("tinygrad_edu.keras" + (f".{path}" if path else ""))


@pytest.fixture
def notes():
    """Every one-time note shown again, and caught."""
    forget_notes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    forget_notes()


# ------------------------------------------------------------------------- the three imports
def test_the_three_import_forms_reach_the_same_objects():
    from tinygrad_edu.keras import layers
    from tinygrad_edu.keras.layers import Dense

    assert Dense is layers.Dense is keras.layers.Dense is tg.nn.Dense
    assert keras.models.Sequential is keras.Sequential is tg.nn.Sequential
    for path in MODULES:
        assert f"tinygrad_edu.keras.{path}" in sys.modules  # a real sub-module, importable


def test_keras_2_paths_lead_to_the_same_objects(notes):
    from tinygrad_edu.keras.layers.core import Dense
    from tinygrad_edu.keras.utils import np_utils

    assert Dense is tg.nn.Dense
    assert np_utils.to_categorical is tg.to_categorical
    for path in ("convolutional", "pooling", "normalization", "recurrent",
                 "advanced_activations", "merge", "embeddings"):
        module = importlib.import_module(f"tinygrad_edu.keras.layers.{path}")
        assert module.__all__ == keras.layers.__all__ and module.Dense is tg.nn.Dense
    assert importlib.import_module("tinygrad_edu.keras.optimizers.legacy").Adam \
        is keras.optimizers.Adam
    optimizer = keras.optimizers.SGD(lr=0.2)
    assert isinstance(optimizer, tg.optim.SGD) and optimizer.learning_rate == pytest.approx(0.2)
    keras.optimizers.Adam(lr=0.1)
    lr_notes = [n for n in notes if issubclass(n.category, KerasNameNote)]
    assert len(lr_notes) == 1 and "learning_rate" in str(lr_notes[0].message)  # once only


def test_every_layer_of_nn_appears_in_keras_layers():
    for name in tg.nn.__all__:
        value = getattr(tg.nn, name)
        if isinstance(value, type) and issubclass(value, tg.nn.Module) and name not in (
                "Module", "ModuleList", "Sequential", "Model", "RecurrentLayer"):
            assert getattr(keras.layers, name) is value, name
    assert keras.layers.Layer is tg.nn.Module
    assert keras.layers.MaxPool2D is tg.nn.MaxPooling2D  # Keras's short alias


@pytest.mark.parametrize("path", ["", *MODULES])
def test_every_offered_name_resolves_and_is_a_keras_name(path):
    if path == "wrappers":
        pytest.importorskip("sklearn")
    module = _module(path)
    keras_names = KERAS_NAMES.get(path, frozenset())
    extras = {"layers": {"InstanceNormalization"}, "utils": {"np_utils"},
              "optimizers": {"RAdam"}}.get(path, set())  # the framework's own additions
    for name in module.__all__:
        assert getattr(module, name) is not None
        if not (path == "layers" and name in tg.nn.__all__):  # nn's own layers are kept
            assert name in keras_names or name in extras, f"{path}.{name} is not a Keras name"


# ------------------------------------------------------------------- what the namespace lacks
@pytest.mark.parametrize("path, name, kind", [
    ("layers", "Conv3D", "layer"), ("models", "model_from_json", "model function"),
    ("optimizers", "LossScaleOptimizer", "optimizer"), ("losses", "Poisson", "loss"),
    ("metrics", "F1Score", "metric"), ("callbacks", "BackupAndRestore", "callback"),
    ("initializers", "STFT", "initializer"), ("regularizers", "OrthogonalRegularizer",
                                              "regularizer"),
    ("activations", "celu", "activation function"), ("utils", "pad_sequences", "utility"),
    ("datasets", "cifar10", "data set"), ("backend", "set_floatx", "backend function"),
    ("wrappers", "SKLearnTransformer", "scikit-learn wrapper"),
    ("constraints", "deserialize", "weight constraint"), ("", "applications", "module"),
])
def test_a_keras_name_that_is_missing_says_which_keras_feature_it_is(path, name, kind):
    module = _module(path)
    with pytest.raises(AttributeError) as error:
        getattr(module, name)
    message = str(error.value)
    assert f"keras{'.' + path if path else ''}.{name} is a Keras {kind}" in message
    assert "tinygrad_edu does not have" in message and "offers:" in message


def test_a_typo_gets_a_suggestion_and_dunder_lookups_stay_plain():
    with pytest.raises(AttributeError, match=r"Keras's keras.layers has no such name either. "
                                             r"Did you mean 'Dense'\?"):
        _ = keras.layers.Dnese
    with pytest.raises(AttributeError, match="Did you mean 'SGD'"):
        _ = keras.optimizers.SDG
    assert not hasattr(keras.layers, "__wrapped__")
    with pytest.raises(ImportError):
        exec("from tinygrad_edu.keras.layers import Conv3D", {})


# ------------------------------------------------------------------------------ the modules
def test_losses_get_answers_like_keras():
    assert keras.losses.get("mse") is tg.losses.mean_squared_error
    assert isinstance(keras.losses.get("CategoricalCrossentropy"),
                      tg.losses.CategoricalCrossentropy)
    loss = keras.losses.get({"class_name": "Huber", "config": {"delta": 2.0}})
    assert isinstance(loss, tg.losses.Huber) and loss.get_config()["delta"] == 2.0
    with pytest.raises(ValueError, match="Did you mean"):
        keras.losses.get("mean_squared_eror")
    keras_ = pytest.importorskip("keras")
    for name in ("mse", "categorical_crossentropy", "binary_crossentropy"):
        assert keras.losses.get(name).__name__ == keras_.losses.get(name).__name__


def test_backend_clear_session_restarts_the_layer_names():
    tg.nn.Dense(2), tg.nn.Dense(2)
    keras.backend.clear_session()
    assert tg.nn.Dense(2).name == "dense"
    keras.utils.clear_session()
    assert keras.layers.Dense(2).name == "dense"
    assert keras.backend.image_data_format() == "channels_last"


def test_set_random_seed_repeats_every_stream():
    def draw():
        model = keras.layers.Dense(3, input_shape=(4,))
        return model.kernel.numpy(), np.random.rand(), __import__("random").random()

    keras.utils.set_random_seed(5)
    first = draw()
    keras.utils.set_random_seed(5)
    second = draw()
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1:] == second[1:]


def test_to_categorical_matches_keras():
    keras_ = pytest.importorskip("keras")
    for labels, classes in (([0, 2, 1, 2], None), ([[1], [0]], 3), (np.arange(6), 6)):
        np.testing.assert_array_equal(keras.utils.to_categorical(labels, classes),
                                      keras_.utils.to_categorical(labels, classes))


def test_fashion_mnist_load_data_returns_uint8_like_keras():
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except tg.datasets.DatasetNotFoundError:
        pytest.skip("Fashion-MNIST is not on this machine")
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,))
    assert x_train.dtype == y_train.dtype == np.uint8 and int(y_train.max()) == 9


def test_mnist_load_data_is_the_real_loader(monkeypatch):
    seen = []
    monkeypatch.setattr(sys.modules["tinygrad_edu.keras.datasets.mnist"], "load_mnist",
                        lambda path=None: seen.append(path) or "arrays")
    assert keras.datasets.mnist.load_data() == "arrays" and seen == [None]
    assert sys.modules["tinygrad_edu.datasets"].load_mnist is tg.datasets.mnist.load_mnist


def test_get_file_downloads_once_and_checks_the_hash(tmp_path):
    source = tmp_path / "data.bin"
    source.write_bytes(b"numbers")
    sha = hashlib.sha256(b"numbers").hexdigest()
    cache = tmp_path / "cache"
    path = keras.utils.get_file("d.bin", source.as_uri(), file_hash=sha, cache_dir=cache)
    assert open(path, "rb").read() == b"numbers" and path.endswith("datasets/d.bin")
    source.write_bytes(b"changed")  # cached: not downloaded again
    assert open(keras.utils.get_file("d.bin", source.as_uri(), cache_dir=cache), "rb").read() \
        == b"numbers"
    with pytest.raises(tg.datasets.ChecksumError, match="expected"):
        keras.utils.get_file("e.bin", source.as_uri(), file_hash=sha, cache_dir=cache)
    assert not (cache / "datasets" / "e.bin").exists()
    with pytest.raises(ValueError, match="only https"):
        keras.utils.get_file("f.bin", "http://example.com/f.bin", cache_dir=cache)


def test_wrappers_are_the_sklearn_estimators():
    pytest.importorskip("sklearn")
    from tinygrad_edu.keras.wrappers import SKLearnClassifier

    assert SKLearnClassifier is tg.sklearn.SKLearnClassifier
    assert keras.wrappers.SKLearnRegressor is tg.sklearn.SKLearnRegressor


# ----------------------------------------------------------------------- history and monitors
def _fit(metrics, epochs=2, **options):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, 40), 3)
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=metrics)
    return model.fit(x, y, epochs=epochs, verbose=0, **options)


def test_history_answers_keras_2_keys_once_noted_without_extra_keys(notes):
    history = _fit(["accuracy"], validation_split=0.25)
    assert history.history["acc"] is history.history["accuracy"]
    assert history.history["val_acc"] == history.history["val_accuracy"]
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert "acc" not in history.history and len(history.history) == 4
    assert len([n for n in notes if "Keras 3 calls this key 'accuracy'" in str(n.message)]) == 1
    with pytest.raises(KeyError, match="'val_mae' was not logged"):
        history.history["val_mae"]


def test_history_keys_in_keras_3_order():
    keras_ = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = keras_.utils.to_categorical(rng.integers(0, 3, 40), 3)
    for metrics in (["accuracy"], ["mae", "acc"]):
        theirs = keras_.Sequential([keras_.Input((4,)), keras_.layers.Dense(3,
                                                                            activation="softmax")])
        theirs.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=metrics)
        reducer = keras_.callbacks.ReduceLROnPlateau(monitor="loss")
        expected = theirs.fit(x, y, epochs=1, validation_split=0.25, verbose=0,
                              callbacks=[reducer]).history
        ours = _fit(metrics, epochs=1, validation_split=0.25,
                    callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="loss")])
        assert list(ours.history) == list(expected)


@pytest.mark.parametrize("callback", [
    lambda tmp: keras.callbacks.ModelCheckpoint(str(tmp / "m.weights.npz"), monitor="val_acc",
                                                save_best_only=True),
    lambda tmp: keras.callbacks.EarlyStopping(monitor="val_accuracy"),
    lambda tmp: keras.callbacks.ReduceLROnPlateau(monitor="val_loss"),
])
def test_a_monitor_that_is_never_logged_stops_fit_after_the_first_epoch(tmp_path, callback):
    seen = []
    counter = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    with pytest.raises(ValueError, match=r"is not logged; the logged keys are accuracy, loss"):
        _fit(["accuracy"], epochs=3, callbacks=[counter, callback(tmp_path)])
    assert seen == [0]


def test_metrics_offer_the_loss_functions_as_keras_does():
    assert keras.metrics.categorical_crossentropy is tg.losses.categorical_crossentropy
    assert keras.metrics.mean_squared_error is tg.metrics.mean_squared_error  # metrics' own first
    keras_ = pytest.importorskip("keras")
    assert keras_.metrics.categorical_crossentropy is keras_.losses.categorical_crossentropy


def test_merge_functions_are_the_merge_layers_called():
    if not hasattr(tg.nn, "Concatenate"):
        pytest.skip("tinygrad_edu.nn has no merge layers")
    a, b = keras.Input((4,)), keras.Input((4,))
    joined = keras.layers.concatenate([a, b], axis=-1, name="joined")
    assert joined.shape == (None, 8) and isinstance(joined.node.layer, tg.nn.Concatenate)
    assert joined.node.layer.name == "joined"
    model = keras.Model([a, b], keras.layers.add([a, b]))
    out = model.predict([np.ones((2, 4)), np.full((2, 4), 2.0)], verbose=0)
    np.testing.assert_array_equal(out, np.full((2, 4), 3.0))


CUSTOM_LAYER = '''
import numpy as np
import keras


class Affine(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")
        self.b = self.add_weight(shape=(self.units,), initializer="ones", regularizer="l2")

    def call(self, inputs):
        return inputs @ self.w + self.b


model = keras.Sequential([keras.Input((3,)), Affine(2)])
out = model.predict(np.arange(6, dtype="float32").reshape(2, 3), verbose=0)
count = model.count_params()
trainable = len(model.layers[0].trainable_weights)
'''


def test_a_keras_3_custom_layer_runs_with_its_import_changed():
    """Keras 3's ``add_weight(shape=..., initializer=...)`` (no name) in a custom layer."""
    from test_course_keras import rewrite_imports

    ours = {}
    exec(rewrite_imports(CUSTOM_LAYER), ours)  # noqa: S102 - the example above
    assert [name for name, _ in ours["model"].layers[0].named_parameters()] == ["w", "b"]
    keras_ = pytest.importorskip("keras")
    theirs = {}
    exec(CUSTOM_LAYER, theirs)  # noqa: S102
    assert keras_ is not None
    np.testing.assert_allclose(ours["out"], theirs["out"], rtol=1e-6)
    assert (ours["count"], ours["trainable"]) == (theirs["count"], theirs["trainable"]) == (8, 2)
