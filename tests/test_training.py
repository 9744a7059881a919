"""compile / fit / evaluate / predict, and their agreement with the explicit loop."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.datasets import make_spiral, to_categorical


def spiral(points=100, seed=0):
    x, y = make_spiral(points, 3, seed=seed)
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], y[order]


def small_model(output="softmax", units=32, dropout=0.0):
    layers = [nn.Dense(units, activation="relu", input_shape=(2,))]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers += [nn.Dense(units, activation="relu"), nn.Dense(3, activation=output)]
    return nn.Sequential(layers)


def test_fit_learns_and_returns_keras_history():
    x, y = spiral()
    model = small_model()
    model.compile(optimizer=optim.Adam(lr=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=40, batch_size=32, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 40 and history.epoch == list(range(40))
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    assert model.history is history


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x, y = spiral()
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=1, validation_split=0.25, verbose=0)
    split = int(len(x) * 0.75)
    val_loss = model.evaluate(x[split:], y[split:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-6)


def test_fit_is_exactly_the_explicit_loop():
    """Same seed, no shuffling: fit and a hand-written loop end with identical weights."""
    x, y = spiral(40)
    weights = {}
    for way in ("fit", "loop"):
        tg.manual_seed(3)
        nn.reset_names()
        model = small_model()
        model.build((None, 2))
        if way == "fit":
            model.compile(optimizer=optim.SGD(lr=0.1, momentum=0.9),
                          loss="sparse_categorical_crossentropy")
            model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        else:
            opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            loss_fn = tg.losses.SparseCategoricalCrossentropy()
            model.train()
            for _ in range(2):
                for start in range(0, len(x), 16):
                    loss = loss_fn(tg.Tensor(y[start:start + 16]), model(x[start:start + 16]))
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        weights[way] = model.state_dict()
    for key in weights["fit"]:
        np.testing.assert_array_equal(weights["fit"][key], weights["loop"][key])


def test_same_seed_same_history():
    x, y = spiral()
    runs = []
    for _ in range(2):
        tg.manual_seed(7)
        nn.reset_names()
        model = small_model(dropout=0.2)
        model.compile(optimizer="nadam", loss="sparse_categorical_crossentropy")
        runs.append(model.fit(x, y, epochs=3, verbose=0).history["loss"])
    assert runs[0] == runs[1]


def test_regularization_penalties_are_part_of_the_logged_loss():
    x, y = spiral(30)
    model = nn.Sequential([nn.Dense(3, input_shape=(2,), kernel_regularizer=tg.regularizers.l2(0.1),
                                    activation="softmax")])
    model.compile(optimizer=optim.SGD(lr=0.0), loss="sparse_categorical_crossentropy")
    logged = model.fit(x, y, epochs=1, batch_size=len(x), verbose=0).history["loss"][0]
    kernel = model.layers[0].kernel.data
    data_loss = tg.losses.SparseCategoricalCrossentropy()(tg.Tensor(y), model(x)).item()
    assert logged == pytest.approx(data_loss + 0.1 * float((kernel ** 2).sum()), rel=1e-5)


def test_evaluate_returns_like_keras():
    x, y = spiral(30)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    loss, accuracy = model.evaluate(x, y, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == {"loss": loss, "accuracy": accuracy}
    predicted = model.predict(x).argmax(axis=1)
    assert accuracy == pytest.approx(float((predicted == y).mean()))


@pytest.mark.parametrize("loss,labels,expected", [
    ("sparse_categorical_crossentropy", "int", "SparseCategoricalAccuracy"),
    ("categorical_crossentropy", "onehot", "CategoricalAccuracy"),
])
def test_accuracy_resolves_from_the_loss(loss, labels, expected):
    x, y = spiral(20)
    target = y if labels == "int" else to_categorical(y, 3)
    model = small_model()
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    model.fit(x, target, epochs=1, verbose=0)
    assert type(model._compiled.metrics[0]).__name__ == expected


def test_binary_accuracy_for_a_sigmoid_output():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
    model = nn.Sequential([nn.Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile(optimizer=optim.Adam(lr=0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, verbose=0)
    assert type(model._compiled.metrics[0]).__name__ == "BinaryAccuracy"
    assert history.history["accuracy"][-1] > 0.95


def test_predict_is_inference_mode_without_a_graph():
    x, _ = spiral(20)
    model = small_model(dropout=0.5)
    first, second = model.predict(x), model.predict(x)
    assert isinstance(first, np.ndarray) and first.dtype == np.float32
    np.testing.assert_array_equal(first, second)  # dropout is off
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), first[:5], rtol=1e-6)


def test_train_and_test_on_batch():
    x, y = spiral(20)
    model = small_model()
    model.compile(optimizer=optim.Adam(lr=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    before = model.test_on_batch(x, y)
    for _ in range(30):
        model.train_on_batch(x, y)
    after = model.test_on_batch(x, y, return_dict=True)
    assert after["loss"] < before[0]


def test_sample_and_class_weights_change_the_loss():
    x, y = spiral(30)
    model = small_model()
    model.compile(optimizer=optim.SGD(lr=0.0), loss="sparse_categorical_crossentropy")
    plain = model.fit(x, y, epochs=1, batch_size=len(x), verbose=0).history["loss"][0]
    per_sample = tg.losses.SparseCategoricalCrossentropy(reduction="none")(
        tg.Tensor(y), model(x)).data
    weighted = model.fit(x, y, epochs=1, batch_size=len(x), verbose=0,
                         class_weight={0: 2.0, 1: 1.0, 2: 0.0}).history["loss"][0]
    table = np.array([2.0, 1.0, 0.0])[y]
    assert weighted == pytest.approx(float((per_sample * table).mean()), rel=1e-5)
    assert weighted != pytest.approx(plain)
    zeros = model.fit(x, y, epochs=1, batch_size=len(x), verbose=0,
                      sample_weight=np.zeros(len(x))).history["loss"][0]
    assert zeros == 0.0


def test_any_module_subclass_can_fit():
    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Dense(16, activation="tanh")
            self.out = nn.Dense(3, activation="softmax")

        def forward(self, x):
            return self.out(self.hidden(x))

    x, y = spiral()
    model = TwoLayer()
    model.compile(optimizer=optim.Adam(lr=0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_verbosity_levels(capsys):
    x, y = spiral(20)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert "s/step" in lines[1] and "loss:" in lines[1] and "accuracy:" in lines[1]
    model.fit(x, y, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/1") and "2/2" in out and "s/step" in out


def test_clear_errors():
    x, y = spiral(10)
    model = small_model()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="30 samples but y has 29"):
        model.fit(x, y[:-1], verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="Did you mean 'nadam'"):
        model.compile(optimizer="nadm", loss="mse")
