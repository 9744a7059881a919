"""Convolution and max pooling in chunks of images, and the convolution with its ReLU as one
node.

The forward pass and the kernel gradient of ``conv2d``, and max pooling's forward pass, copy
the windows a few images at a time (``windows.image_chunks``); the tiny inputs of the other
tests fit in one chunk, so here the chunk budget is shrunk until every image is its own chunk
(or the last chunk is short) and the results are compared with the whole batch at once and
with PyTorch.
"""

import numpy as np
import pytest
from image_layouts import float64, to_nchw, to_nhwc

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.nn.conv import Conv2D
from tinygrad_edu.ops import conv as conv_ops
from tinygrad_edu.ops import pooling, windows
from tinygrad_edu.ops.conv import conv2d, conv2d_relu, max_pool2d

RNG = np.random.default_rng(3)


def test_image_chunks_cover_the_batch_in_order():
    for batch, per_image, budget in [(10, 3, 7), (5, 100, 1), (7, 1, 1000), (0, 5, 10)]:
        chunks = windows.image_chunks(batch, per_image, budget)
        covered = [i for chunk in chunks for i in range(batch)[chunk]]
        assert covered == list(range(batch))
        assert all(chunk.stop > chunk.start for chunk in chunks)
    assert len(windows.image_chunks(10, 3, 7)) == 5  # 2 images per 7 bytes of 3-byte images


def _recording(image_chunks, calls):
    def recording(*args, **kwargs):
        calls.append(image_chunks(*args, **kwargs))
        return calls[-1]
    return recording


def _run(op, x_values, k_values, b_values, upstream, **options):
    x, k, b = float64(x_values), float64(k_values), float64(b_values)
    y = op(x, k, b, **options)
    y.backward(float64(upstream, False))
    return y.numpy(), x.grad.numpy(), k.grad.numpy(), b.grad.numpy()


@pytest.mark.parametrize("op", [conv2d, conv2d_relu])
@pytest.mark.parametrize("in_channels, options", [
    (3, {}),
    (1, {"strides": 2, "padding": "same"}),  # one channel: the tap-by-tap copy
    (2, {"dilation_rate": 2, "padding": "same"}),
])
@pytest.mark.parametrize("images_per_chunk", [1, 2])  # 5 images: 5 chunks; 2 + 2 + 1
def test_chunked_convolution_equals_the_whole_batch(monkeypatch, op, in_channels, options,
                                                    images_per_chunk):
    x_values = RNG.normal(size=(5, 6, 7, in_channels))
    k_values = RNG.normal(size=(3, 2, in_channels, 4))
    b_values = RNG.normal(size=4)
    upstream = RNG.normal(size=op(float64(x_values), float64(k_values), **options).shape)
    whole = _run(op, x_values, k_values, b_values, upstream, **options)
    out_h, out_w = upstream.shape[1:3]
    # one image's window rows and output (or upstream gradient), float64
    image_bytes = out_h * out_w * (k_values[..., 0].size + 4) * 8
    monkeypatch.setattr(windows, "CHUNK_BYTES", images_per_chunk * image_bytes)
    calls = []
    monkeypatch.setattr(conv_ops, "image_chunks", _recording(windows.image_chunks, calls))
    chunked = _run(op, x_values, k_values, b_values, upstream, **options)
    assert calls and all(len(chunks) == -(-5 // images_per_chunk) for chunks in calls)
    for theirs, ours in zip(whole, chunked):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_chunked_conv2d_relu_matches_torch_and_finite_differences(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(windows, "CHUNK_BYTES", 1)
    x_values = RNG.normal(size=(3, 5, 5, 2))
    k_values = RNG.normal(size=(3, 3, 2, 3))
    b_values = RNG.normal(size=3)
    upstream = RNG.normal(size=(3, 3, 3, 3))
    y, dx, dk, db = _run(conv2d_relu, x_values, k_values, b_values, upstream)
    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    kt = torch.tensor(k_values.transpose(3, 2, 0, 1), requires_grad=True)
    bt = torch.tensor(b_values, requires_grad=True)
    yt = torch.relu(torch.nn.functional.conv2d(xt, kt, bt))
    yt.backward(torch.tensor(to_nchw(upstream)))
    assert (y == 0).any() and (y > 0).any()  # the ReLU cuts somewhere
    np.testing.assert_allclose(y, to_nhwc(yt.detach().numpy()), atol=1e-12)
    np.testing.assert_allclose(dx, to_nhwc(xt.grad.numpy()), atol=1e-12)
    np.testing.assert_allclose(dk, kt.grad.numpy().transpose(2, 3, 1, 0), atol=1e-12)
    np.testing.assert_allclose(db, bt.grad.numpy(), atol=1e-12)
    inputs = [float64(x_values[:2]), float64(k_values), float64(b_values)]
    assert gradcheck(conv2d_relu, inputs)
    assert gradgradcheck(conv2d_relu, inputs)


def test_conv2d_relu_of_an_empty_batch():
    x = tg.zeros(0, 5, 5, 2, requires_grad=True)
    y = conv2d_relu(x, tg.ones(3, 3, 2, 4), tg.ones(4))
    assert y.shape == (0, 3, 3, 4)
    y.sum().backward()
    assert x.grad.shape == (0, 5, 5, 2)


def test_conv2d_layer_with_relu_is_one_node_and_equals_conv_then_relu():
    fused = Conv2D(4, 3, padding="same", activation="relu", input_shape=(6, 6, 2))
    plain = Conv2D(4, 3, padding="same", input_shape=(6, 6, 2))
    plain.set_weights(fused.get_weights())
    x_values = RNG.normal(size=(3, 6, 6, 2)).astype(np.float32)
    x1, x2 = tg.Tensor(x_values, requires_grad=True), tg.Tensor(x_values, requires_grad=True)
    y1, y2 = fused(x1), plain(x2).relu()
    assert type(y1.grad_fn).__name__ == "ConvolutionRelu"
    assert y1.dtype == np.float32
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    y1.sum().backward()
    y2.sum().backward()
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(fused.kernel.grad.numpy(), plain.kernel.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(fused.bias.grad.numpy(), plain.bias.grad.numpy(), rtol=1e-6)


def test_grouped_conv2d_layer_with_relu_keeps_its_own_path():
    layer = Conv2D(4, 3, groups=2, activation="relu", input_shape=(5, 5, 2))
    y = layer(tg.randn(2, 5, 5, 2))
    assert type(y.grad_fn).__name__ != "ConvolutionRelu"
    assert (y.numpy() >= 0).all()


@pytest.mark.parametrize("options", [
    {},
    {"pool_size": 3, "strides": 1, "padding": "same"},  # overlapping windows
    {"pool_size": 2, "strides": 1, "dilation": 2},
])
def test_chunked_max_pool_equals_the_whole_batch(monkeypatch, options):
    # small integers: many ties, so the first-maximum index is exercised in every chunk
    x_values = RNG.integers(0, 3, size=(5, 6, 7, 3)).astype(np.float64)

    def run():
        x = float64(x_values)
        y = max_pool2d(x, **options)
        upstream = np.arange(y.size, dtype=np.float64).reshape(y.shape)
        y.backward(float64(upstream, False))
        return y.numpy(), x.grad.numpy()

    whole = run()
    calls = []
    monkeypatch.setattr(windows, "CHUNK_BYTES", 1)  # one image per chunk
    monkeypatch.setattr(pooling, "image_chunks", _recording(windows.image_chunks, calls))
    chunked = run()
    assert [len(chunks) for chunks in calls] == [5]
    for theirs, ours in zip(whole, chunked):
        np.testing.assert_array_equal(ours, theirs)


def test_chunked_max_pool_keeps_torchs_tie_rule(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(windows, "CHUNK_BYTES", 1)
    x_values = RNG.integers(0, 2, size=(3, 4, 6, 2)).astype(np.float64)  # ties everywhere
    x = float64(x_values)
    max_pool2d(x).sum().backward()
    xt = torch.tensor(to_nchw(x_values), requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), to_nhwc(xt.grad.numpy()))


def test_max_pool_of_an_empty_batch():
    x = tg.zeros(0, 4, 4, 2, requires_grad=True)
    y = max_pool2d(x)
    assert y.shape == (0, 2, 2, 2)
    y.sum().backward()
    assert x.grad.shape == (0, 4, 4, 2)
