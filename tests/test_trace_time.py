"""TimeGradientTracer: ||dL/dh_t|| per time step, checked against hand-written BPTT."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.trace import TimeGradientTracer


def _sequences(batch=4, steps=6, features=3, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, steps, features)).astype(np.float32)


def test_norms_equal_backpropagation_through_time_by_hand():
    layer = nn.SimpleRNN(5, return_sequences=True)
    x = _sequences()
    tracer = TimeGradientTracer(layer)
    hidden = layer(tg.Tensor(x))
    upstream = np.random.default_rng(1).normal(size=hidden.shape).astype(np.float32)
    (hidden * tg.Tensor(upstream)).sum().backward()
    tracer.record()
    # by hand: g_t = dL/dh_t = upstream_t + (g_t+1 * (1 - h_t+1**2)) @ U^T
    h = hidden.numpy()
    u = layer.recurrent_kernel.numpy().astype(np.float64)
    grads = np.zeros(h.shape)
    grads[:, -1] = upstream[:, -1]
    for t in range(h.shape[1] - 2, -1, -1):
        grads[:, t] = upstream[:, t] + (grads[:, t + 1] * (1 - h[:, t + 1] ** 2)) @ u.T
    expected = np.sqrt((grads ** 2).sum(axis=(0, 2)))
    np.testing.assert_allclose(tracer.norms()[0], expected, rtol=1e-5)
    assert tracer.ratio() == pytest.approx(expected[0] / expected[-1], rel=1e-5)


def test_gradient_vanishes_through_a_contracting_rnn_but_an_open_forget_gate_keeps_it():
    """Through 27 steps: a SimpleRNN whose recurrent kernel halves every vector loses about
    0.5**27; an LSTM whose forget gates are held open (bias 6: f = 0.998) keeps the gradient
    on its cell state's additive path."""
    x = tg.Tensor(_sequences(batch=16, steps=28, features=4) * 0.1)
    tg.manual_seed(0)
    rnn = nn.SimpleRNN(16, recurrent_initializer=tg.init.Orthogonal(gain=0.5))
    lstm = nn.LSTM(16)
    lstm(x)
    lstm.bias.data[16:32] = 6.0  # the forget gate's block (Keras order i, f, c, o)
    ratios = {}
    for layer in (rnn, lstm):
        model = nn.Sequential([layer, nn.Dense(1)])
        tracer = TimeGradientTracer(model)
        (model(x) ** 2).mean().backward()
        tracer.record()
        assert tracer.norms().shape == (1, 28)
        ratios[type(layer).__name__] = tracer.ratio()
    assert ratios["SimpleRNN"] < 1e-6
    assert ratios["LSTM"] > 0.1


def test_every_k_and_a_training_loop():
    tg.manual_seed(0)
    model = nn.Sequential([nn.GRU(4, input_shape=(5, 3)), nn.Dense(1)])
    opt = optim.SGD(model.parameters(), lr=0.1)
    tracer = TimeGradientTracer(model, every=2)
    x = tg.Tensor(_sequences(steps=5))
    for _ in range(5):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        tracer.record()
        opt.step()
    assert tracer.steps == [0, 2, 4]
    norms = tracer.norms()
    assert norms.shape == (3, 5) and np.all(np.isfinite(norms)) and np.all(norms > 0)
    assert not np.allclose(norms[0], norms[-1])  # the weights changed between records


def test_fit_callback_records_training_batches_only():
    tg.manual_seed(0)
    x, y = _sequences(batch=32, steps=4), np.arange(32) % 2
    model = nn.Sequential([nn.LSTM(3, input_shape=(4, 3)), nn.Dense(2)])
    model.compile(optimizer="sgd", loss=tg.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    tracer = TimeGradientTracer()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x, y),
              callbacks=[tracer])
    assert tracer.steps == list(range(8))
    assert tracer.layer_names == [model.layers[0].name]


def test_bidirectional_traces_both_directions():
    layer = nn.Bidirectional(nn.SimpleRNN(3))
    tracer = TimeGradientTracer(layer)
    layer(tg.Tensor(_sequences())).sum().backward()
    tracer.record()
    forward, backward = tracer.layer_names
    assert tracer.norms(forward).shape == tracer.norms(backward).shape == (1, 6)
    # each direction's last step is the one nearest the loss: the largest gradient
    for name in (forward, backward):
        assert np.argmax(tracer.norms(name)[0]) == 5


def test_clear_errors():
    with pytest.raises(ValueError, match="no recurrent layer"):
        TimeGradientTracer(nn.Sequential([nn.Dense(2, input_dim=3)]))
    layer = nn.LSTM(2, name="encoder")
    tracer = TimeGradientTracer(layer)
    with pytest.raises(ValueError, match="nothing recorded yet"):
        tracer.norms()
    with pytest.raises(RuntimeError, match=r"after loss\.backward\(\)"):
        tracer.record()
    with pytest.raises(ValueError, match="no traced layer 'decoder'.*encoder"):
        tracer.norms("decoder")
    with pytest.raises(ValueError, match="not a recurrent layer"):
        TimeGradientTracer(nn.Sequential([nn.Dense(2, input_dim=3)]), layers=["dense_x"])
    with pytest.raises(ValueError, match="every must be"):
        TimeGradientTracer(layer, every=0)


def test_remove_detaches_the_hooks():
    layer = nn.SimpleRNN(2)
    tracer = TimeGradientTracer(layer)
    tracer.remove()
    layer(tg.Tensor(_sequences())).sum().backward()
    with pytest.raises(RuntimeError, match="no gradient reached"):
        tracer.record()
