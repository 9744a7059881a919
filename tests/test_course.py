"""The course's own recipes, written as the course writes them, and callbacks in real runs.

The full Fashion-MNIST run (10 epochs, >= 0.88 test accuracy) is marked slow; run it with
``python -m pytest -m slow tests/test_course.py``. The default run trains the same model on a
subset and checks that it learns.
"""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from tinygrad_edu.datasets import DatasetNotFoundError, load_fashion_mnist, to_categorical


@pytest.fixture(scope="module")
def fashion():
    try:
        (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    except DatasetNotFoundError:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    return (x_train / np.float32(255), y_train), (x_test / np.float32(255), y_test)


def course_model(dropout=0.0):
    """Flatten -> Dense(256, elu, he) -> BN(0.9) -> Dense(128, selu) x2 -> Dense(10, softmax)."""
    def maybe_dropout():
        return [nn.Dropout(dropout)] if dropout else []

    return nn.Sequential([
        nn.Flatten(input_shape=(28, 28)),
        nn.Dense(256, activation="elu", kernel_initializer="he_normal"),
        nn.BatchNormalization(momentum=0.9),
        *maybe_dropout(),
        nn.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        *maybe_dropout(),
        nn.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        *maybe_dropout(),
        nn.Dense(10, activation="softmax"),
    ])


def train_course_model(fashion, samples=None, epochs=10, dropout=0.0, verbose=0):
    (x_train, y_train), (x_test, y_test) = fashion
    if samples is not None:
        x_train, y_train = x_train[:samples], y_train[:samples]
    model = course_model(dropout)
    model.compile(loss="categorical_crossentropy", optimizer="nadam", metrics=["accuracy"])
    history = model.fit(x_train, to_categorical(y_train, 10), batch_size=32, epochs=epochs,
                        validation_split=0.1, verbose=verbose)
    _, accuracy = model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)
    return history, accuracy


def test_course_model_learns_on_a_subset(fashion):
    history, accuracy = train_course_model(fashion, samples=6000, epochs=2)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert accuracy > 0.75


def test_course_model_with_dropout_trains(fashion):
    history, accuracy = train_course_model(fashion, samples=6000, epochs=2, dropout=0.1)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert accuracy > 0.7


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_course_model_trains_step_for_step_like_keras(fashion):
    """Same weights and batches: the losses of Keras 3's model and ours agree step by step."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    (x_train, y_train), _ = fashion
    x, y = x_train[:640], to_categorical(y_train[:640], 10)
    keras.utils.set_random_seed(0)
    theirs = keras.Sequential([
        keras.layers.Input((28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(256, activation="elu", kernel_initializer="he_normal"),
        keras.layers.BatchNormalization(momentum=0.9),
        keras.layers.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        keras.layers.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    theirs.compile(loss="categorical_crossentropy", optimizer="nadam")
    ours = course_model()
    ours.build((None, 28, 28))
    ours.set_weights(theirs.get_weights())
    ours.compile(loss="categorical_crossentropy", optimizer="nadam")
    np.testing.assert_allclose(ours.predict(x[:64]), theirs.predict(x[:64], verbose=0),
                               rtol=1e-4, atol=1e-6)
    their_losses, our_losses = [], []
    for start in range(0, 640, 32):
        batch = slice(start, start + 32)
        their_losses.append(float(np.ravel(theirs.train_on_batch(x[batch], y[batch]))[0]))
        our_losses.append(float(np.ravel(ours.train_on_batch(x[batch], y[batch]))[0]))
    # Float32 rounding differs between the two (measured: up to 5e-6 relative over these 20
    # steps). Nadam turns a gradient that is zero up to rounding into a full step of either
    # sign, so over thousands of steps the two runs drift apart like two seeds.
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-4)
    assert our_losses[-1] < our_losses[0] / 2


@pytest.mark.slow
def test_course_model_reaches_088_in_ten_epochs(fashion):
    """The course's recipe, three runs (seeds 0, 1, 2): 0.88 test accuracy on average.

    One run's final accuracy is a noisy number: the last Nadam steps move it by about 0.4%
    (standard deviation over seeds), in Keras 3 as here, so the claim is about the mean. The
    floor of 0.87 per run still catches a recipe that trains badly.
    """
    accuracies = []
    for seed in range(3):
        tg.manual_seed(seed)
        _, accuracy = train_course_model(fashion, epochs=10, verbose=2)
        print(f"seed {seed}: test accuracy {accuracy:.4f}")
        accuracies.append(accuracy)
    assert min(accuracies) >= 0.87
    assert np.mean(accuracies) >= 0.88


def test_breast_cancer_recipe():
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    features, labels = datasets.load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.2,
                                                        random_state=42)
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    model = nn.Sequential([
        nn.Dense(100, activation="relu", input_shape=(30,)),
        nn.Dense(24, activation="relu"),
        nn.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95


def _noisy_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(120, 4)).astype(np.float32)
    y = (x[:, 0] - x[:, 1] + rng.normal(scale=1.5, size=120) > 0).astype(np.float32)
    return x, y


def _overfitting_model():
    return nn.Sequential([nn.Dense(64, activation="relu", input_shape=(4,)),
                          nn.Dense(64, activation="relu"), nn.Dense(1, activation="sigmoid")])


def test_early_stopping_restores_the_best_epoch_in_a_real_fit():
    x, y = _noisy_problem()
    model = _overfitting_model()
    model.compile(optimizer=tg.optim.Adam(lr=0.02), loss="binary_crossentropy")
    snapshots = []

    class Snapshot(tg.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(model.state_dict())

    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = model.fit(x, y, epochs=60, validation_split=0.3, verbose=0,
                        callbacks=[Snapshot(), stopper])
    val_losses = history.history["val_loss"]
    assert len(val_losses) < 60  # it stopped
    best = int(np.argmin(val_losses))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[best][key])


def test_checkpoint_saves_only_on_improvement(tmp_path):
    x, y = _noisy_problem()
    model = _overfitting_model()
    model.compile(optimizer=tg.optim.Adam(lr=0.02), loss="binary_crossentropy")
    saved_epochs = []

    class Watch(tg.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            target = tmp_path / "best.weights.npz"
            if target.exists():
                saved_epochs.append((epoch, target.stat().st_mtime_ns))

    checkpoint = ModelCheckpoint(str(tmp_path / "best.weights.npz"), monitor="val_loss",
                                 save_best_only=True, save_weights_only=True)
    history = model.fit(x, y, epochs=15, validation_split=0.3, verbose=0,
                        callbacks=[checkpoint, Watch()])
    val_losses = history.history["val_loss"]
    improvements = [e for e, v in enumerate(val_losses) if v < min(val_losses[:e], default=np.inf)]
    writes = [e for i, (e, stamp) in enumerate(saved_epochs)
              if i == 0 or stamp != saved_epochs[i - 1][1]]
    assert writes == improvements
    restored = _overfitting_model()
    restored.build((None, 4))
    restored.load_weights(str(tmp_path / "best.weights.npz"))
    best = int(np.argmin(val_losses))
    assert best == improvements[-1]


def test_reduce_lr_on_plateau_acts_on_the_optimizer_and_is_recorded():
    x, y = _noisy_problem()
    model = _overfitting_model()
    model.compile(optimizer=tg.optim.SGD(lr=0.5), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=12, verbose=0,
                        callbacks=[ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0,
                                                     min_delta=10.0)])
    rates = history.history["learning_rate"]
    # Keras logs the rate each epoch trained with; the first non-improving epoch (1) halves it
    assert rates[:3] == pytest.approx([0.5, 0.5, 0.25])
    assert rates[-1] < rates[2]
    # the last epoch also failed to improve, so the optimizer now holds half the logged rate
    assert model.optimizer.learning_rate == pytest.approx(rates[-1] * 0.5)
