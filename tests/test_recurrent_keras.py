"""SimpleRNN, LSTM, GRU, Masking, Embedding and Bidirectional against Keras 3 (torch backend).

The same weights go into both (Keras's ``get_weights`` order); outputs, final states and the
gradients of a random contraction of the output with respect to the input and to every
weight must agree.
"""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # pragma: no cover - another backend was loaded first
    pytest.skip("these tests need KERAS_BACKEND=torch", allow_module_level=True)

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402

BATCH, STEPS, FEATURES, UNITS = 3, 5, 4, 6
ATOL = 2e-5


def _inputs(seed=0, masked=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype(np.float32)
    mask = np.ones((BATCH, STEPS), dtype=bool)
    if masked:  # a padded tail, a padded head and one hole
        mask[0, 3:] = False
        mask[1, 0] = False
        mask[2, 2] = False
    return x, mask


def _pair(name, **options):
    """A Keras layer and ours, with random non-trivial weights copied from Keras to ours."""
    keras_layer = getattr(keras.layers, name)(UNITS, **options)
    keras_layer.build((None, STEPS, FEATURES))
    rng = np.random.default_rng(1)
    weights = [rng.normal(scale=0.4, size=w.shape).astype(np.float32)
               for w in keras_layer.get_weights()]
    keras_layer.set_weights(weights)
    ours = getattr(nn, name)(UNITS, **options)
    ours(tg.Tensor(np.zeros((1, STEPS, FEATURES), np.float32)))
    ours.set_weights(keras_layer.get_weights())
    return keras_layer, ours


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _keras_run(layer, x, upstream, mask=None, initial_state=None):
    x_t = torch.tensor(x, requires_grad=True)
    kwargs = {}
    if mask is not None:
        kwargs["mask"] = torch.tensor(mask)
    if initial_state is not None:
        kwargs["initial_state"] = [torch.tensor(s) for s in initial_state]
    outs = _as_list(layer(x_t, **kwargs))
    loss = sum((o * torch.tensor(u)).sum() for o, u in zip(outs, upstream))
    weights = [w.value for w in layer.trainable_weights]
    grads = torch.autograd.grad(loss, [x_t, *weights])
    return [o.detach().numpy() for o in outs], [g.numpy() for g in grads]


def _our_run(layer, x, upstream, mask=None, initial_state=None):
    x_t = tg.Tensor(x, requires_grad=True)
    layer.zero_grad()
    outs = _as_list(layer(x_t, mask=mask, initial_state=initial_state))
    loss = sum((o * tg.Tensor(u)).sum() for o, u in zip(outs, upstream))
    loss.backward()
    # our parameters come in get_weights order, like Keras's trainable_weights
    grads = [x_t.grad.numpy()] + [p.grad.numpy() for _, p in layer._layer_ordered_weights()]
    return [o.numpy() for o in outs], grads


def _compare(keras_layer, ours, masked=False, initial_state=None):
    x, mask = _inputs(masked=masked)
    mask = mask if masked else None
    probe = _as_list(ours(tg.Tensor(x), mask=mask, initial_state=initial_state))
    rng = np.random.default_rng(2)
    upstream = [rng.normal(size=o.shape).astype(np.float32) for o in probe]
    k_outs, k_grads = _keras_run(keras_layer, x, upstream, mask, initial_state)
    o_outs, o_grads = _our_run(ours, x, upstream, mask, initial_state)
    assert len(k_outs) == len(o_outs)
    for k, o in zip(k_outs, o_outs):
        np.testing.assert_allclose(o, k, atol=ATOL, rtol=1e-4)
    names = ["input"] + [path for path, _ in ours._layer_ordered_weights()]
    for name, k, o in zip(names, k_grads, o_grads):
        np.testing.assert_allclose(o, k, atol=ATOL, rtol=1e-4, err_msg=f"gradient of {name}")


LAYERS = ["SimpleRNN", "LSTM", "GRU"]
OPTIONS = [
    {},
    {"return_sequences": True},
    {"go_backwards": True},
    {"return_sequences": True, "go_backwards": True},
    {"return_state": True},
    {"return_sequences": True, "return_state": True, "go_backwards": True},
    {"use_bias": False},
    {"activation": "relu"},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "defaults")
@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_keras(name, options):
    _compare(*_pair(name, **options))


@pytest.mark.parametrize("options", [{}, {"return_sequences": True},
                                     {"return_sequences": True, "go_backwards": True},
                                     {"return_state": True}],
                         ids=lambda o: ",".join(o) or "defaults")
@pytest.mark.parametrize("name", LAYERS)
def test_masked_steps_match_keras(name, options):
    _compare(*_pair(name, **options), masked=True)


@pytest.mark.parametrize("options", [{}, {"return_sequences": True}, {"go_backwards": True}])
def test_gru_reset_before_matches_keras(options):
    _compare(*_pair("GRU", reset_after=False, **options))
    _compare(*_pair("GRU", reset_after=False, **options), masked=True)


@pytest.mark.parametrize("name", LAYERS)
def test_other_recurrent_activation_matches_keras(name):
    if name == "SimpleRNN":
        _compare(*_pair(name, activation="sigmoid"))
    else:
        _compare(*_pair(name, recurrent_activation="hard_sigmoid", return_sequences=True))


@pytest.mark.parametrize("name", LAYERS)
def test_initial_state_matches_keras(name):
    count = 2 if name == "LSTM" else 1
    rng = np.random.default_rng(5)
    states = [rng.normal(size=(BATCH, UNITS)).astype(np.float32) for _ in range(count)]
    keras_layer, ours = _pair(name, return_sequences=True, return_state=True)
    _compare(keras_layer, ours, initial_state=states)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_matches_keras(name, merge_mode, return_sequences):
    make = getattr(keras.layers, name)
    keras_layer = keras.layers.Bidirectional(make(UNITS, return_sequences=return_sequences),
                                             merge_mode=merge_mode)
    keras_layer.build((None, STEPS, FEATURES))
    rng = np.random.default_rng(3)
    keras_layer.set_weights([rng.normal(scale=0.4, size=w.shape).astype(np.float32)
                             for w in keras_layer.get_weights()])
    ours = nn.Bidirectional(getattr(nn, name)(UNITS, return_sequences=return_sequences),
                            merge_mode=merge_mode)
    ours(tg.zeros(1, STEPS, FEATURES))
    ours.set_weights(keras_layer.get_weights())
    _compare(keras_layer, ours)
    _compare(keras_layer, ours, masked=True)


def test_masking_layer_in_a_model_matches_keras():
    x, _ = _inputs()
    x[0, 3:] = 0.0
    x[2, :2] = 0.0
    keras_model = keras.Sequential([keras.Input((STEPS, FEATURES)), keras.layers.Masking(),
                                    keras.layers.LSTM(UNITS, return_sequences=True)])
    ours = nn.Sequential([nn.Masking(input_shape=(STEPS, FEATURES)),
                          nn.LSTM(UNITS, return_sequences=True)])
    ours.set_weights(keras_model.get_weights())
    expected = keras_model.predict(x, verbose=0)
    np.testing.assert_allclose(ours(tg.Tensor(x)).numpy(), expected, atol=ATOL)


def test_embedding_with_mask_zero_matches_keras():
    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2], [0, 0, 5, 9, 9]])
    keras_model = keras.Sequential([keras.Input((STEPS,), dtype="int32"),
                                    keras.layers.Embedding(10, FEATURES, mask_zero=True),
                                    keras.layers.GRU(UNITS)])
    ours = nn.Sequential([nn.Embedding(10, FEATURES, mask_zero=True, input_shape=(STEPS,)),
                          nn.GRU(UNITS)])
    ours.set_weights(keras_model.get_weights())
    expected = keras_model.predict(tokens, verbose=0)
    np.testing.assert_allclose(ours(tg.Tensor(tokens)).numpy(), expected, atol=ATOL)


def test_time_distributed_matches_keras():
    x, _ = _inputs()
    keras_model = keras.Sequential([
        keras.Input((STEPS, FEATURES)), keras.layers.SimpleRNN(UNITS, return_sequences=True),
        keras.layers.TimeDistributed(keras.layers.Dense(2))])
    ours = nn.Sequential([nn.SimpleRNN(UNITS, return_sequences=True,
                                       input_shape=(STEPS, FEATURES)),
                          nn.TimeDistributed(nn.Dense(2))])
    ours.set_weights(keras_model.get_weights())
    np.testing.assert_allclose(ours(tg.Tensor(x)).numpy(), keras_model.predict(x, verbose=0),
                               atol=ATOL)


@pytest.mark.parametrize("name", LAYERS + ["GRU-reset-before"])
def test_parameter_counts_and_weight_shapes_match_keras(name):
    options = {"reset_after": False} if name == "GRU-reset-before" else {}
    name = name.split("-")[0]
    keras_layer = getattr(keras.layers, name)(64, **options)
    keras_layer.build((None, 28, 28))
    ours = getattr(nn, name)(64, input_shape=(28, 28), **options)
    assert ours.count_params() == keras_layer.count_params()
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in keras_layer.get_weights()]


def test_default_initial_biases_match_keras():
    """unit_forget_bias: the LSTM's forget-gate biases start at 1, the others at 0."""
    keras_layer = keras.layers.LSTM(3)
    keras_layer.build((None, 2, 2))
    ours = nn.LSTM(3, input_shape=(2, 2))
    np.testing.assert_array_equal(ours.bias.numpy(), keras_layer.get_weights()[2])
    assert ours.get_config()["unit_forget_bias"] is True


def test_bidirectional_states_and_initial_state_match_keras():
    keras_layer = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_state=True,
                                                               return_sequences=True))
    keras_layer.build((None, STEPS, FEATURES))
    rng = np.random.default_rng(4)
    keras_layer.set_weights([rng.normal(scale=0.4, size=w.shape).astype(np.float32)
                             for w in keras_layer.get_weights()])
    ours = nn.Bidirectional(nn.LSTM(UNITS, return_state=True, return_sequences=True))
    ours(tg.zeros(1, STEPS, FEATURES))
    ours.set_weights(keras_layer.get_weights())
    states = [rng.normal(size=(BATCH, UNITS)).astype(np.float32) for _ in range(4)]
    _compare(keras_layer, ours, initial_state=states)
