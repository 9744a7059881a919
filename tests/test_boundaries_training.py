"""Training API boundaries: every bad argument of compile/fit/evaluate/predict, Sequential and
the optimizers gets a clear error naming the function, the argument and the fix; the inputs a
user may reasonably give (one metric string, layers one by one, model.parameters) work."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

X = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
LABELS = (X[:, 0] > 0).astype(np.int64)
ONE_HOT = np.eye(2, dtype=np.float32)[LABELS]


def compiled(**options):
    model = nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,)),
                           nn.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", **options)
    return model


REFUSED = [
    ("fit batch_size float", lambda m: m.fit(X, ONE_HOT, batch_size=32.5, verbose=0),
     TypeError, r"fit: batch_size must be a positive int, got 32.5 \(float\); e.g. batch_size="),
    ("fit batch_size string", lambda m: m.fit(X, ONE_HOT, batch_size="32", verbose=0),
     TypeError, r"fit: batch_size must be a positive int, got '32' \(str\)"),
    ("fit epochs string", lambda m: m.fit(X, ONE_HOT, epochs="10", verbose=0),
     TypeError, r"fit: epochs must be an int >= 0, got '10' \(str\)"),
    ("evaluate batch_size 0", lambda m: m.evaluate(X, ONE_HOT, batch_size=0, verbose=0),
     ValueError, r"evaluate: batch_size must be a positive int, got 0"),
    ("predict batch_size 0", lambda m: m.predict(X, batch_size=0),
     ValueError, r"predict: batch_size must be a positive int, got 0"),
    ("validation_data not a tuple", lambda m: m.fit(X, ONE_HOT, validation_data=X, verbose=0),
     TypeError, r"fit: validation_data must be a tuple \(x_val, y_val\).*got a ndarray; write "
                r"validation_data=\(x_val, y_val\)"),
    ("validation_data 1-tuple", lambda m: m.fit(X, ONE_HOT, validation_data=(X,), verbose=0),
     TypeError, r"validation_data must be a tuple.*got a tuple of length 1"),
    ("ragged x", lambda m: m.fit([[1.0, 2.0, 3.0], [1.0, 2.0]], ONE_HOT[:2], verbose=0),
     ValueError, r"fit: x is a ragged list \(rows of different lengths\)"),
    ("y missing", lambda m: m.fit(X, verbose=0), TypeError, r"fit: y is required"),
    ("callbacks holds a class", lambda m: m.fit(X, ONE_HOT, callbacks=[tg.callbacks.History],
                                                verbose=0),
     TypeError, r"got the class History; write History\(...\)"),
    ("metrics not a list", lambda m: m.compile("sgd", "mse", metrics=5),
     TypeError, r"compile: metrics must be a list"),
]


@pytest.mark.parametrize("call, error, message", [case[1:] for case in REFUSED],
                         ids=[case[0] for case in REFUSED])
def test_bad_arguments_are_refused_clearly(call, error, message):
    model = compiled()
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises(error, match=message):
        call(model)
    for before, after in zip(weights, model.get_weights()):  # refused before any step
        np.testing.assert_array_equal(before, after)


def test_a_single_metric_string_is_one_metric():
    model = compiled(metrics="accuracy")
    history = model.fit(X, ONE_HOT, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    predicted = model.predict(X).argmax(axis=1)
    _, accuracy = model.evaluate(X, ONE_HOT, verbose=0)
    assert accuracy == pytest.approx(np.mean(predicted == LABELS))


def test_sequential_takes_layers_one_by_one_like_a_list():
    tg.manual_seed(1)
    listed = nn.Sequential([nn.Dense(4, input_shape=(3,)), nn.Dense(2)])
    tg.manual_seed(1)
    one_by_one = nn.Sequential(nn.Dense(4, input_shape=(3,)), nn.Dense(2))
    assert [type(layer) for layer in one_by_one.layers] == [nn.Dense, nn.Dense]
    np.testing.assert_array_equal(listed(tg.Tensor(X)).numpy(), one_by_one(tg.Tensor(X)).numpy())


def test_sequential_options_after_the_layers_must_be_keywords():
    with pytest.raises(TypeError, match=r"after the layers, got 'net'; give the model's options "
                                        r"by keyword \(Sequential\(\[...\], name='net'"):
        nn.Sequential([nn.Dense(2)], "net")


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam, optim.RMSprop])
def test_an_optimizer_given_the_method_says_to_call_it(make):
    model = compiled()
    name = make.__name__
    with pytest.raises(TypeError, match=rf"{name}: got the method model.parameters itself; call "
                                        rf"it: {name}\(model.parameters\(\), ...\)"):
        make(model.parameters)
    with pytest.raises(TypeError, match=rf"{name}: got a Sequential, not its parameters"):
        make(model)


def test_refusals_are_not_raised_for_numpy_integers_or_verbose_auto():
    model = compiled()
    history = model.fit(X, ONE_HOT, batch_size=np.int64(8), epochs=np.int32(1), verbose="auto")
    assert len(history.history["loss"]) == 1
    assert model.predict(X, batch_size=np.int64(5)).shape == (16, 2)
