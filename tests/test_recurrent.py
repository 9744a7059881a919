"""Recurrent layers: gradients through time, options, masks, dropout, state, errors, saving."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional, nn
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.nn.masking import mask_of
from tinygrad_edu.nn.recurrent_base import unstack_time

LAYERS = [nn.SimpleRNN, nn.LSTM, nn.GRU]


def _x(batch=2, steps=4, features=3, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).normal(size=(batch, steps, features)).astype(dtype)


@pytest.mark.parametrize("options", [{}, {"go_backwards": True, "return_sequences": True}])
@pytest.mark.parametrize("layer_class", LAYERS)
def test_input_gradient_through_time_matches_finite_differences(layer_class, options):
    layer = layer_class(3, **options)
    layer(tg.Tensor(_x()))
    layer.astype(np.float64)
    mask = np.array([[True, True, False, True], [False, True, True, True]])
    x = tg.Tensor(_x(dtype=np.float64), requires_grad=True, dtype="float64")
    assert gradcheck(lambda a: layer(a), [x])
    assert gradcheck(lambda a: layer(a, mask=mask), [x])


@pytest.mark.parametrize("layer_class", LAYERS)
def test_second_derivatives_through_a_layer(layer_class):
    layer = layer_class(2)
    layer(tg.Tensor(_x(steps=3)))
    layer.astype(np.float64)
    x = tg.Tensor(_x(steps=3, dtype=np.float64), requires_grad=True, dtype="float64")
    assert gradgradcheck(lambda a: layer(a), [x])


def test_second_order_of_one_lstm_step_matches_torch():
    """Hessian-vector products of one LSTM step, against PyTorch's double backward."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=s) for s in ((2, 12), (2, 3), (2, 3), (3, 12))]
    upstream = rng.normal(size=(2, 6))
    direction = [rng.normal(size=a.shape) for a in arrays]
    ours = [tg.Tensor(a, requires_grad=True, dtype="float64") for a in arrays]
    h, c = functional.lstm_cell(*ours)
    out = tg.concatenate([h, c], axis=1)
    first = tg.grad((out * tg.Tensor(upstream, dtype="float64")).sum(), ours, create_graph=True)
    dot = sum((g * tg.Tensor(v, dtype="float64")).sum() for g, v in zip(first, direction))
    second = tg.grad(dot, ours)
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    x, h0, c0, u = theirs
    z = x + h0 @ u
    i, f, g, o = z.chunk(4, dim=1)
    c_t = torch.sigmoid(f) * c0 + torch.sigmoid(i) * torch.tanh(g)
    h_t = torch.sigmoid(o) * torch.tanh(c_t)
    t_out = torch.cat([h_t, c_t], dim=1)
    t_first = torch.autograd.grad((t_out * torch.tensor(upstream)).sum(), theirs,
                                  create_graph=True)
    t_dot = sum((g * torch.tensor(v)).sum() for g, v in zip(t_first, direction))
    t_second = torch.autograd.grad(t_dot, theirs)
    for a, b in zip(first, t_first):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(second, t_second):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    assert gradgradcheck(lambda *t: tg.concatenate(list(functional.lstm_cell(*t)), axis=1),
                         [t.detach().requires_grad_() for t in ours])


def test_unstack_time_gives_every_slice_and_its_gradient():
    x = tg.Tensor(np.arange(7 * 2, dtype=np.float64).reshape(7, 2), requires_grad=True)
    parts = unstack_time(x)
    assert [p.tolist() for p in parts] == x.numpy().tolist()
    sum(p * (k + 1) for k, p in enumerate(parts)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.repeat(np.arange(1, 8), 2).reshape(7, 2))


def test_masked_steps_are_skipped():
    """An LSTM over a padded sequence ends in the state of the unpadded one."""
    layer = nn.LSTM(4, return_state=True)
    x = _x(batch=1, steps=6)
    short = layer(tg.Tensor(x[:, :4]))
    padded = np.concatenate([x[:, :4], np.zeros((1, 2, 3), np.float32)], axis=1)
    masked = layer(nn.Masking()(tg.Tensor(padded)))
    for a, b in zip(short, masked):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    unmasked = layer(tg.Tensor(padded))
    assert not np.allclose(unmasked[0].numpy(), short[0].numpy())


def test_masked_sequence_output_repeats_or_zeros():
    x = tg.Tensor(_x(batch=1, steps=3))
    mask = np.array([[True, False, True]])
    repeat = nn.GRU(2, return_sequences=True)
    out = repeat(x, mask=mask).numpy()
    np.testing.assert_array_equal(out[0, 1], out[0, 0])
    repeat.zero_output_for_mask = True
    np.testing.assert_array_equal(repeat(x, mask=mask).numpy()[0, 1], 0.0)


def test_embedding_mask_zero_reaches_the_recurrent_layer():
    embed = nn.Embedding(5, 3, mask_zero=True)
    tokens = tg.Tensor([[1, 2, 0, 0], [3, 0, 4, 1]])
    vectors = embed(tokens)
    assert mask_of(vectors).tolist() == [[True, True, False, False], [True, False, True, True]]
    rnn = nn.SimpleRNN(2)
    np.testing.assert_allclose(rnn(vectors).numpy()[0], rnn(embed(tg.Tensor([[1, 2]]))).numpy()[0],
                               rtol=1e-6)


def test_embedding_gradient_adds_up_repeated_tokens():
    embed = nn.Embedding(4, 2)
    out = embed(tg.Tensor([[1, 1, 3]]))
    (out * tg.Tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])).sum().backward()
    assert embed.embeddings.grad.tolist() == [[0, 0], [4, 6], [0, 0], [5, 6]]


def test_embedding_defaults_follow_keras():
    embed = nn.Embedding(1000, 8)
    embed.build((None, 3))
    assert embed.embeddings.shape == (1000, 8)
    assert np.abs(embed.embeddings.numpy()).max() <= 0.05
    assert embed.get_config()["embeddings_initializer"] == "uniform"
    assert embed.get_config()["mask_zero"] is False


def test_dropout_mask_is_the_same_at_every_step_and_off_at_inference():
    tg.manual_seed(0)
    layer = nn.SimpleRNN(3, dropout=0.5, return_sequences=True)
    x = tg.Tensor(_x(batch=4, steps=5, features=6), requires_grad=True)
    layer(x).sum().backward()
    dropped = x.grad.numpy() == 0.0  # (batch, time, features)
    assert dropped.any() and not dropped.all()
    assert (dropped == dropped[:, :1]).all()  # one mask per sequence
    layer.eval()
    reference = nn.SimpleRNN(3, return_sequences=True)
    reference(x)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer(x).numpy(), reference(x).numpy())


@pytest.mark.parametrize("layer_class", LAYERS)
def test_recurrent_dropout_acts_in_training_only_and_is_seeded(layer_class):
    x = tg.Tensor(_x(batch=3, steps=5))
    layer = layer_class(4, recurrent_dropout=0.5, seed=3)
    layer(x)
    twin = layer_class(4, recurrent_dropout=0.5, seed=3)
    twin(x)
    twin.set_weights(layer.get_weights())
    layer.train()
    train_out = layer(x).numpy()
    np.testing.assert_array_equal(train_out, twin(x).numpy())  # same seed, same masks
    layer.eval()
    assert not np.allclose(train_out, layer(x).numpy())


@pytest.mark.parametrize("layer_class", LAYERS)
def test_stateful_layer_continues_where_it_stopped(layer_class):
    x = tg.Tensor(_x(steps=6))
    whole = layer_class(3)
    expected = whole(x).numpy()
    stateful = layer_class(3, stateful=True)
    stateful(tg.Tensor(_x(steps=2)))
    stateful.set_weights(whole.get_weights())
    stateful.reset_states()
    stateful(x[:, :3])
    np.testing.assert_allclose(stateful(x[:, 3:]).numpy(), expected, rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(x[:, :3]).numpy(), whole(x[:, :3]).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="fixed batch size"):
        stateful(tg.Tensor(_x(batch=5, steps=2)))


def test_initial_state_and_return_state():
    layer = nn.LSTM(3, return_state=True)
    x = tg.Tensor(_x())
    out, h, c = layer(x)
    np.testing.assert_array_equal(out.numpy(), h.numpy())
    again, _, _ = layer(x[:, 2:], initial_state=[layer(x[:, :2])[1], layer(x[:, :2])[2]])
    np.testing.assert_allclose(again.numpy(), out.numpy(), rtol=1e-5, atol=1e-6)


def test_summary_counts_parameters_like_keras():
    model = nn.Sequential([nn.LSTM(64, input_shape=(28, 28)), nn.Dense(10)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "23,808" in text and "(None, 64)" in text
    assert nn.SimpleRNN(64, input_shape=(28, 28)).count_params() == 64 * (28 + 64 + 1)
    assert nn.GRU(64, input_shape=(28, 28)).count_params() == 3 * 64 * (28 + 64 + 2)
    assert nn.GRU(64, reset_after=False, input_shape=(28, 28)).count_params() == (
        3 * 64 * (28 + 64 + 1))


def test_recurrent_initializer_is_orthogonal():
    layer = nn.LSTM(8, input_shape=(4, 3))
    u = layer.recurrent_kernel.numpy()  # (8, 32): orthonormal rows
    np.testing.assert_allclose(u @ u.T, np.eye(8), atol=1e-5)


@pytest.mark.parametrize("layer_class", LAYERS)
def test_get_weights_order_and_set_weights(layer_class):
    layer = layer_class(5, input_shape=(7, 3))
    names = [path for path, _ in layer._layer_ordered_weights()]
    assert names == ["kernel", "recurrent_kernel", "bias"]
    other = layer_class(5, input_shape=(7, 3))
    other.set_weights(layer.get_weights())
    x = tg.Tensor(_x(steps=7))
    np.testing.assert_array_equal(layer(x).numpy(), other(x).numpy())


def test_bidirectional_weights_forward_then_backward_and_config():
    layer = nn.Bidirectional(nn.GRU(2, return_sequences=True), merge_mode="sum")
    layer(tg.Tensor(_x()))
    assert len(layer.get_weights()) == 6
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    twin = nn.Bidirectional.from_config(layer.get_config())
    twin(tg.Tensor(_x()))
    twin.set_weights(layer.get_weights())
    np.testing.assert_array_equal(twin(tg.Tensor(_x())).numpy(), layer(tg.Tensor(_x())).numpy())
    pair = nn.Bidirectional(nn.SimpleRNN(2), merge_mode=None)(tg.Tensor(_x()))
    assert [p.shape for p in pair] == [(2, 2), (2, 2)]


def test_model_with_recurrent_layers_saves_and_loads(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential([
        nn.Embedding(20, 4, mask_zero=True, input_shape=(6,)),
        nn.Bidirectional(nn.LSTM(3, return_sequences=True)),
        nn.TimeDistributed(nn.Dense(2)),
        nn.GRU(3, reset_after=False),
        nn.Dense(1),
    ])
    tokens = tg.Tensor(np.random.default_rng(0).integers(0, 20, size=(3, 6)))
    expected = model(tokens).numpy()
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = tg.load_model(path)
    np.testing.assert_allclose(loaded(tokens).numpy(), expected, rtol=1e-6)


def test_fit_learns_a_sequence_task():
    """Is the sum of the sequence positive? A GRU learns it with compile/fit."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8, 1)).astype(np.float32)
    y = (x.sum(axis=(1, 2)) > 0).astype(np.int64)
    tg.manual_seed(0)
    model = nn.Sequential([nn.GRU(8, input_shape=(8, 1)), nn.Dense(2)])
    loss = tg.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=tg.optim.Adam(learning_rate=0.01), loss=loss, metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


@pytest.mark.parametrize("make, message", [
    (lambda: nn.LSTM(0), "units must be a positive integer"),
    (lambda: nn.GRU(3, dropout=1.5), "dropout must be a number in"),
    (lambda: nn.Bidirectional(nn.Dense(3)), "needs a recurrent layer"),
    (lambda: nn.Bidirectional(nn.LSTM(3), merge_mode="max"), "merge_mode must be one of"),
    (lambda: nn.Embedding(0, 3), "input_dim must be a positive integer"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_bad_inputs_get_clear_errors():
    layer = nn.LSTM(3, name="encoder")
    with pytest.raises(ValueError, match=r"encoder \(LSTM\).*\(batch, time, features\)"):
        layer(tg.ones(2, 5))
    layer(tg.ones(2, 5, 4))
    with pytest.raises(ValueError, match="encoder"):
        layer(tg.ones(2, 5, 3))
    with pytest.raises(ValueError, match="initial_state needs 2"):
        layer(tg.ones(2, 5, 4), initial_state=[tg.zeros(2, 3)])
    with pytest.raises(ValueError, match=r"expected \(batch, units\)"):
        layer(tg.ones(2, 5, 4), initial_state=[tg.zeros(2, 4), tg.zeros(2, 4)])
    with pytest.raises(ValueError, match="the mask has shape"):
        layer(tg.ones(2, 5, 4), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="no time steps"):
        layer(tg.ones(2, 0, 4))
    embed = nn.Embedding(5, 2, name="words")
    with pytest.raises(ValueError, match=r"words \(Embedding\): token ids must be in \[0, 5\)"):
        embed(tg.Tensor([[1, 5]]))
    with pytest.raises(TypeError, match="must be integers"):
        embed(tg.Tensor([[1.5]]))
    with pytest.raises(ValueError, match="TimeDistributed"):
        nn.TimeDistributed(nn.Dense(2))(tg.ones(2, 3))


def test_clipnorm_bounds_the_step_of_an_exploding_rnn():
    """Orthogonal * 2 recurrent kernel and tiny inputs (tanh stays linear): every step back
    doubles the gradient, which explodes over 28 steps; with clipnorm every weight moves by
    at most learning_rate * clipnorm."""
    x = tg.Tensor(np.random.default_rng(0).normal(size=(32, 28, 28)) * 1e-3)
    labels = np.arange(32) % 10
    loss_fn = tg.losses.SparseCategoricalCrossentropy(from_logits=True)
    tg.manual_seed(0)
    model = nn.Sequential([nn.SimpleRNN(32, input_shape=(28, 28),
                                        recurrent_initializer=tg.init.Orthogonal(gain=2.0)),
                           nn.Dense(10)])
    before = [p.numpy().copy() for p in model.parameters()]
    opt = tg.optim.SGD(model.parameters(), learning_rate=0.1, clipnorm=1.0)
    loss_fn(labels, model(x)).backward()
    norms = [np.linalg.norm(p.grad.numpy()) for p in model.parameters()]
    assert max(norms) > 100
    opt.step()
    for old, param in zip(before, model.parameters()):
        assert np.linalg.norm(param.numpy() - old) <= 0.1 * 1.0 + 1e-6


@pytest.mark.parametrize("layer_class", LAYERS)
def test_config_round_trip_keeps_every_option(layer_class):
    layer = layer_class(3, activation="relu", dropout=0.25, recurrent_dropout=0.1,
                        return_sequences=True, go_backwards=True, stateful=True,
                        kernel_regularizer="l2", recurrent_initializer="glorot_uniform",
                        seed=7)
    config = layer.get_config()
    twin = layer_class.from_config({**config, "name": "twin"})
    assert {**twin.get_config(), "name": config["name"]} == config
    assert config["recurrent_initializer"] == "glorot_uniform"
    assert config["kernel_regularizer"] is not None
