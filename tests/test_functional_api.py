"""The functional API: Input, symbolic calls, Model(inputs, outputs), merge layers, summary's
"Connected to" column, get_layer, and predictions equal to Keras 3's for the same weights."""

import os

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

RNG = np.random.default_rng(0)


def two_in_two_out(names=("a", "b")):
    a = nn.Input(shape=(3,), name=names[0])
    b = nn.Input(shape=(2,), name=names[1])
    hidden = nn.Dense(4, activation="tanh", name="hidden")(nn.Concatenate(name="join")([a, b]))
    kind = nn.Dense(2, activation="softmax", name="kind")(hidden)
    price = nn.Dense(1, name="price")(hidden)
    return nn.Model(inputs=[a, b], outputs=[kind, price], name="shop")


def test_symbolic_calls_build_layers_and_know_shapes_without_computing():
    x = nn.Input(shape=(None, 3), name="sequence")
    dense = nn.Dense(5)
    y = dense(x)
    assert y.shape == (None, None, 5) and dense.built and dense.kernel.shape == (3, 5)
    z = nn.LSTM(4, return_sequences=True)(y)
    assert z.shape == (None, None, 4)  # a free time axis stays free
    assert nn.LSTM(4)(y).shape == (None, 4)
    with pytest.raises(TypeError, match="has no values"):
        np.asarray(x)
    with pytest.raises(TypeError, match=r"a \+ b, a - b and a \* b of two symbolic tensors"):
        _ = x * 2.0


def test_a_model_with_two_inputs_and_two_outputs_runs_the_graph():
    model = two_in_two_out()
    assert [layer.name for layer in model.layers] == ["a", "b", "join", "hidden", "kind",
                                                      "price"]
    assert model.input_shape == [(None, 3), (None, 2)]
    assert model.output_shape == [(None, 2), (None, 1)]
    assert model.output_names == ["kind", "price"] and model.input_names == ["a", "b"]
    assert [t.shape for t in model.inputs] == [(None, 3), (None, 2)]
    assert list(model.state_dict()) == ["hidden.kernel", "hidden.bias", "kind.kernel",
                                        "kind.bias", "price.kernel", "price.bias"]
    xa = RNG.normal(size=(5, 3)).astype(np.float32)
    xb = RNG.normal(size=(5, 2)).astype(np.float32)
    kind, price = model([tg.Tensor(xa), tg.Tensor(xb)])
    hidden = np.tanh(np.concatenate([xa, xb], 1) @ model.get_layer("hidden").kernel.numpy()
                     + model.get_layer("hidden").bias.numpy())
    expected = hidden @ model.get_layer("price").kernel.numpy() + model.get_layer(
        "price").bias.numpy()
    np.testing.assert_allclose(price.numpy(), expected, rtol=1e-5, atol=1e-6)
    by_name = model({"b": xb, "a": xa})  # a dict keyed by the Input names
    np.testing.assert_allclose(by_name[0].numpy(), kind.numpy())
    predicted = model.predict([xa, xb], verbose=0)
    assert [p.shape for p in predicted] == [(5, 2), (5, 1)]
    np.testing.assert_allclose(predicted[1], price.numpy(), rtol=1e-6)


def test_gradients_flow_through_the_graph_to_every_weight():
    model = two_in_two_out()
    kind, price = model([tg.ones(2, 3), tg.ones(2, 2)])
    ((kind * tg.Tensor([[1.0, -1.0]])).sum() + price.sum()).backward()
    assert all(p.grad is not None and np.abs(p.grad.numpy()).sum() > 0
               for p in model.parameters())


def test_a_shared_layer_called_twice_shares_its_weights():
    x = nn.Input(shape=(3,))
    shared = nn.Dense(3, name="shared")
    model = nn.Model(x, nn.Add()([shared(x), shared(shared(x))]))
    assert len(model.weights) == 2 and len(shared._inbound_nodes) == 3
    data = RNG.normal(size=(4, 3)).astype(np.float32)
    kernel, bias = shared.kernel.numpy(), shared.bias.numpy()
    once = data @ kernel + bias
    np.testing.assert_allclose(model.predict(data, verbose=0), once + (once @ kernel + bias),
                               rtol=1e-5, atol=1e-6)
    lines = []
    model.summary(print_fn=lines.append)
    row = next(index for index, line in enumerate(lines) if "add (Add)" in line)
    assert " ".join(lines[row:row + 2]).split()[-2:] == ["shared[0][0],", "shared[2][0]"]


def test_summary_has_keras_connected_to_column():
    lines = []
    two_in_two_out().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in lines[2]
    assert [line.split()[-1] for line in lines if "(Dense)" in line] == [
        "join[0][0]", "hidden[0][0]", "hidden[0][0]"]
    assert "a[0][0], b[0][0]" in text and "Total params: 39" in text
    lines.clear()
    two_in_two_out().summary(print_fn=lines.append, show_trainable=True, line_length=100)
    assert all(len(line) <= 100 for line in lines) and "Trainable" in lines[2]


def test_models_nest_as_layers_and_sequential_takes_an_input():
    inner = nn.Sequential([nn.Input(shape=(4,)), nn.Dense(3, name="inner_dense")])
    assert inner.built and inner.input_shape == (None, 4) and len(inner.layers) == 1
    assert inner.get_layer(index=0).name == "inner_dense"
    x = nn.Input(shape=(4,))
    outer = nn.Model(x, nn.Dense(1)(inner(x)))
    assert outer.output_shape == (None, 1)
    data = RNG.normal(size=(2, 4)).astype(np.float32)
    np.testing.assert_allclose(outer.predict(data, verbose=0),
                               outer.layers[-1](inner(tg.Tensor(data))).numpy(), rtol=1e-6)


def test_merge_layers_compute_what_their_names_say():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    ta, tb = tg.Tensor(a), tg.Tensor(b)
    cases = {nn.Add(): a + b, nn.Subtract(): a - b, nn.Multiply(): a * b,
             nn.Average(): (a + b) / 2, nn.Maximum(): np.maximum(a, b),
             nn.Minimum(): np.minimum(a, b), nn.Concatenate(axis=1): np.concatenate([a, b], 1)}
    for layer, expected in cases.items():
        np.testing.assert_allclose(layer([ta, tb]).numpy(), expected, rtol=1e-6)


MISTAKES = [
    ("concatenate shapes", lambda: nn.Concatenate(name="join")(
        [nn.Input(shape=(4, 3)), nn.Input(shape=(5, 2))]), ValueError,
     r"join \(Concatenate\): cannot join shapes \(None, 4, 3\), \(None, 5, 2\) on axis -1: "
     r"they differ on axis 1.*reshape, pool or crop"),
    ("add shapes", lambda: nn.Add(name="plus")([nn.Input(shape=(4,)), nn.Input(shape=(3,))]),
     ValueError, r"plus \(Add\): the input shapes \(None, 4\), \(None, 3\) differ on axis 1.*"
                 r"Concatenate"),
    ("merge of one tensor", lambda: nn.Add(name="plus")(nn.Input(shape=(4,))), ValueError,
     r"plus \(Add\): a merge layer is called on a list of tensors, e.g. Add\(\)\(\[a, b\]\)"),
    ("subtract three", lambda: nn.Subtract(name="minus")([nn.Input(shape=(2,))] * 3),
     ValueError, r"minus \(Subtract\): needs exactly 2 inputs, got 3"),
    ("unreachable output", lambda: nn.Model(nn.Input(shape=(2,), name="used"),
                                            nn.Dense(1)(nn.Input(shape=(2,), name="other"))),
     ValueError, r"the outputs cannot be computed from the inputs: they depend on the Input "
                 r"'other' \(None, 2\), which is not among inputs=\[used \(None, 2\)\]. Add it"),
    ("inputs not from Input", lambda: nn.Model(nn.Dense(2)(nn.Input(shape=(2,))),
                                               nn.Input(shape=(2,))),
     ValueError, r"every input must be a tensor returned by Input"),
    ("arrays as outputs", lambda: nn.Model(nn.Input(shape=(2,)), np.ones(2)), TypeError,
     r"outputs must hold tensors made by Input\(...\)"),
    ("only inputs", lambda: nn.Model(inputs=nn.Input(shape=(2,))), ValueError,
     r"give both inputs and outputs"),
]


@pytest.mark.parametrize("make, error, message", [case[1:] for case in MISTAKES],
                         ids=[case[0] for case in MISTAKES])
def test_mistakes_name_the_layer_the_shapes_and_the_fix(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_calling_with_the_wrong_inputs_says_what_the_model_takes():
    model = two_in_two_out()
    with pytest.raises(ValueError, match=r"shop: the model has 2 input\(s\) \(a \(None, 3\), "
                                         r"b \(None, 2\)\) but was given 1 \(\(4, 3\)\); pass a "
                                         r"list in this order or a dict"):
        model(tg.ones(4, 3))
    with pytest.raises(ValueError, match=r"input 'b' expects shape \(None, 2\).*got \(4, 5\)"):
        model([tg.ones(4, 3), tg.ones(4, 5)])
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        model({"a": np.ones((4, 3))})
    with pytest.raises(ValueError, match=r"no layer named 'nope'; the layers are \['a', 'b'"):
        model.get_layer("nope")


def test_a_subclass_of_model_without_call_says_what_to_write():
    with pytest.raises(NotImplementedError, match=r"must define call\(self, x\)"):
        nn.Model()(tg.ones(1, 2))


def _keras_twin():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    hidden = keras.layers.Dense(4, activation="tanh", name="hidden")(
        keras.layers.Concatenate(name="join")([a, b]))
    kind = keras.layers.Dense(2, activation="softmax", name="kind")(hidden)
    price = keras.layers.Dense(1, name="price")(hidden)
    return keras, keras.Model([a, b], [kind, price])


def copy_keras_weights(keras_model, model):
    """One set_weights call: the layers, hence the weights, come in Keras's order."""
    assert [layer.name for layer in model.layers] == [layer.name for layer in keras_model.layers]
    model.set_weights(keras_model.get_weights())


def test_layers_come_in_keras_order_in_a_branching_graph():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")

    def build(api, layers):
        x = api.Input(shape=(4,), name="x")
        left = layers.Dense(3, name="left")(x)
        right = layers.Dense(3, name="right")(layers.Dense(3, name="deep")(x))
        total = layers.Add(name="total")([left, right])
        return api.Model(x, [layers.Dense(1, name="head")(total), left])

    theirs = build(keras, keras.layers)
    ours = build(nn, nn)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.set_weights(theirs.get_weights())
    data = RNG.normal(size=(3, 4)).astype(np.float32)
    for mine, reference in zip(ours.predict(data, verbose=0), theirs.predict(data, verbose=0)):
        np.testing.assert_allclose(mine, reference, rtol=1e-6, atol=1e-6)


def test_predictions_equal_keras_for_the_same_weights():
    keras, keras_model = _keras_twin()
    model = two_in_two_out()
    copy_keras_weights(keras_model, model)
    xa = RNG.normal(size=(7, 3)).astype(np.float32)
    xb = RNG.normal(size=(7, 2)).astype(np.float32)
    theirs = keras_model.predict([xa, xb], verbose=0)
    ours = model.predict([xa, xb], verbose=0)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, np.asarray(reference), rtol=1e-6, atol=1e-6)


def _data(count=12):
    xa = RNG.normal(size=(count, 3)).astype(np.float32)
    xb = RNG.normal(size=(count, 2)).astype(np.float32)
    kind = np.eye(2, dtype=np.float32)[RNG.integers(0, 2, count)]
    price = RNG.normal(size=(count, 1)).astype(np.float32)
    return xa, xb, kind, price


def test_one_fit_epoch_logs_the_same_losses_and_metrics_as_keras():
    keras, keras_model = _keras_twin()
    model = two_in_two_out()
    copy_keras_weights(keras_model, model)
    xa, xb, kind, price = _data()
    losses = {"kind": "categorical_crossentropy", "price": "mse"}
    options = dict(loss=losses, loss_weights={"kind": 1.0, "price": 0.5},
                   metrics={"kind": ["accuracy"], "price": ["mae"]})
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), **options)
    model.compile(optimizer=tg.optim.SGD(learning_rate=0.1), **options)
    fit = dict(batch_size=4, epochs=2, shuffle=False, verbose=0)
    theirs = keras_model.fit([xa, xb], [kind, price], **fit).history
    ours = model.fit({"a": xa, "b": xb}, {"kind": kind, "price": price}, **fit).history
    assert sorted(ours) == sorted(theirs) == ["kind_accuracy", "kind_loss", "loss",
                                              "price_loss", "price_mae"]
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for layer in keras_model.layers:
        for mine, reference in zip(model.get_layer(layer.name).get_weights(),
                                   layer.get_weights()):
            np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)
    mine = model.evaluate([xa, xb], [kind, price], verbose=0)
    reference = keras_model.evaluate([xa, xb], [kind, price], verbose=0)
    np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)  # same order too


def test_losses_given_as_a_list_and_one_loss_for_every_output():
    model = two_in_two_out()
    xa, xb, kind, price = _data()
    model.compile("sgd", loss=["categorical_crossentropy", "mse"])
    history = model.fit([xa, xb], [kind, price], epochs=1, verbose=0, validation_split=0.25)
    assert sorted(history.history) == ["kind_loss", "loss", "price_loss", "val_kind_loss",
                                       "val_loss", "val_price_loss"]
    logs = model.evaluate([xa, xb], [kind, price], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["kind_loss"] + logs["price_loss"], rel=1e-5)
    model.compile("sgd", loss="mse")  # one loss, used for each output
    logs = model.evaluate([xa, xb], [kind, price], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["kind_loss"] + logs["price_loss"], rel=1e-5)


TRAINING_MISTAKES = [
    ("unknown output in a loss dict", dict(loss={"kind": "mse", "cost": "mse"}), ValueError,
     r"compile: loss has the key\(s\) \['cost'\], which name no output of the model; its "
     r"outputs are \['kind', 'price'\]"),
    ("a loss missing for an output", dict(loss={"kind": "mse"}), ValueError,
     r"loss has no entry for the output\(s\) \['price'\]"),
    ("a loss list too short", dict(loss=["mse"]), ValueError,
     r"loss is a list of 1 but the model has 2 outputs \['kind', 'price'\]"),
]


@pytest.mark.parametrize("options, error, message", [case[1:] for case in TRAINING_MISTAKES],
                         ids=[case[0] for case in TRAINING_MISTAKES])
def test_compile_mistakes_name_the_outputs(options, error, message):
    with pytest.raises(error, match=message):
        two_in_two_out().compile("sgd", **options)


def test_fit_mistakes_with_several_inputs_and_outputs_are_named():
    model = two_in_two_out()
    xa, xb, kind, price = _data()
    model.compile("sgd", loss="mse", metrics=[["accuracy"], ["mae"]])
    with pytest.raises(ValueError, match=r"the model has 2 outputs \['kind', 'price'\]; give y "
                                         r"as a list in that order or a dict"):
        model.fit([xa, xb], kind, verbose=0)
    with pytest.raises(ValueError, match=r"y is a dict with keys \['kind', 'cost'\] but the "
                                         r"model's outputs are \['kind', 'price'\]"):
        model.fit([xa, xb], {"kind": kind, "cost": price}, verbose=0)
    with pytest.raises(ValueError, match=r"the arrays of x hold different numbers of samples"):
        model.fit([xa, xb[:5]], [kind, price], verbose=0)
    with pytest.raises(ValueError, match=r"class_weight is only supported for models with a "
                                         r"single output"):
        model.fit([xa, xb], [kind, price], class_weight={0: 1.0, 1: 2.0}, verbose=0)
    model.compile("sgd", loss="mse", metrics=["mae"])
    with pytest.raises(ValueError, match=r"give metrics as one list per output"):
        model.fit([xa, xb], [kind, price], verbose=0)


def test_inner_layers_of_a_sequential_are_read_through_input_and_output_like_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    theirs = keras.Sequential([keras.Input(shape=(6,)),
                               keras.layers.Dense(4, activation="relu", name="first"),
                               keras.layers.Dense(3, activation="tanh", name="second"),
                               keras.layers.Dense(1, name="last")])
    model = nn.Sequential([nn.Input(shape=(6,)), nn.Dense(4, activation="relu", name="first"),
                           nn.Dense(3, activation="tanh", name="second"),
                           nn.Dense(1, name="last")])
    model.set_weights(theirs.get_weights())
    activations = nn.Model(inputs=model.input, outputs=[layer.output for layer in model.layers[:2]])
    reference = keras.Model(inputs=theirs.inputs,
                            outputs=[layer.output for layer in theirs.layers[:2]])
    data = RNG.normal(size=(5, 6)).astype(np.float32)
    for mine, expected in zip(activations.predict(data, verbose=0),
                              reference.predict(data, verbose=0)):
        np.testing.assert_allclose(mine, expected, rtol=1e-6, atol=1e-6)
    assert model.layers[1].input is model.layers[0].output
    assert activations.get_layer("first") is model.get_layer("first")  # shared, not copied


def test_a_layer_without_a_symbolic_call_says_how_to_get_one():
    with pytest.raises(AttributeError, match=r"dense_x \(Dense\) has no output yet: it was "
                                             r"never called on a symbolic tensor"):
        _ = nn.Dense(2, name="dense_x").output
    with pytest.raises(AttributeError, match=r"has no input yet: its input shape is unknown"):
        _ = nn.Sequential([nn.Dense(2)]).input
    shared = nn.Dense(2, name="twice")
    x = nn.Input(shape=(2,))
    shared(shared(x))
    with pytest.raises(AttributeError, match=r"twice \(Dense\) was called 2 times"):
        _ = shared.output


def test_recurrent_layers_with_states_in_a_functional_graph():
    sequence = nn.Input(shape=(5, 3), name="sequence")
    h, c = nn.Input(shape=(2,), name="h"), nn.Input(shape=(2,), name="c")
    lstm = nn.LSTM(2, return_state=True, name="lstm")
    out, state_h, state_c = lstm(sequence, initial_state=[h, c])
    assert out.shape == state_h.shape == state_c.shape == (None, 2)
    model = nn.Model([sequence, h, c], [out, state_c])
    data = [RNG.normal(size=(3, 5, 3)).astype(np.float32), np.zeros((3, 2), np.float32),
            np.ones((3, 2), np.float32)]
    eager = lstm(tg.Tensor(data[0]), initial_state=[tg.Tensor(data[1]), tg.Tensor(data[2])])
    for mine, expected in zip(model.predict(data, verbose=0), [eager[0], eager[2]]):
        np.testing.assert_allclose(mine, expected.numpy(), rtol=1e-6)
    lines = []
    model.summary(print_fn=lines.append)
    row = next(index for index, line in enumerate(lines) if "lstm (LSTM)" in line)
    assert " ".join(lines[row:row + 2]).split()[-3:] == ["sequence[0][0],", "h[0][0],",
                                                         "c[0][0]"]


def test_a_stateful_layer_keeps_no_state_from_the_shape_probe():
    x = nn.Input(shape=(5, 3), batch_size=4)
    lstm = nn.LSTM(2, stateful=True)
    model = nn.Model(x, nn.Dense(1)(lstm(x)))
    assert lstm._kept_states is None
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 5, 3)), np.ones((8, 1)), batch_size=4, shuffle=False, verbose=0)
    assert lstm._kept_states[0].shape == (4, 2)


def test_plus_minus_times_of_symbolic_tensors_are_merge_layers():
    a, b = nn.Input(shape=(3,), name="a"), nn.Input(shape=(3,), name="b")
    model = nn.Model([a, b], [a + b, a - b, a * b])
    assert [type(layer).__name__ for layer in model.layers[2:]] == ["Add", "Subtract",
                                                                   "Multiply"]
    xa, xb = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    total, difference, product = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(total, xa + xb, rtol=1e-6)
    np.testing.assert_allclose(difference, xa - xb, rtol=1e-6)
    np.testing.assert_allclose(product, xa * xb, rtol=1e-6)
