"""Every public function of ``tinygrad_edu.functional`` against PyTorch, with the harness of
``torch_reference.py``: values, first and second derivatives, float64 and float32, transposed
inputs, and 0-d / size-0 variants where the function is elementwise.

Normalizations and cross-entropies get no 0-d or size-0 variants (a 0-d tensor has no batch or
class axis, and statistics over no elements do not exist); ``dropout`` is random, so it has no
PyTorch counterpart to compare with and is checked in test_functional.py instead.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import functional as fn
from tinygrad_edu.functional import image_transform

torch = pytest.importorskip("torch")

from torch_reference import Ref, compare, distinct, fixed, unary, uniform  # noqa: E402

F = torch.nn.functional
NOT_COMPARED = {"dropout"}  # random: see the module docstring
LABELS = np.array([0, 2, 1])


def _nhwc(op):
    """A PyTorch channels-first function applied to a channels-last tensor."""
    return lambda x, *args: op(x.permute(0, 3, 1, 2), *args).permute(0, 2, 3, 1)


def _targets(rng):
    return rng.dirichlet(np.ones(4), size=3)


REFERENCE = [
    unary("sigmoid", fn.sigmoid, torch.sigmoid, -8.0, 8.0),
    unary("tanh", fn.tanh, torch.tanh, -4.0, 4.0),
    unary("relu", fn.relu, F.relu),
    unary("relu6", fn.relu6, F.relu6, -2.0, 8.0),
    unary("leaky_relu", fn.leaky_relu, lambda x: F.leaky_relu(x, 0.2)),
    unary("elu", fn.elu, F.elu),
    unary("selu", fn.selu, F.selu),
    unary("silu", fn.silu, F.silu),
    unary("swish", fn.swish, F.silu),
    unary("gelu", fn.gelu, F.gelu),
    unary("gelu", lambda x: fn.gelu(x, approximate=True), lambda x: F.gelu(x, approximate="tanh")),
    unary("erf", fn.erf, torch.erf),
    unary("softplus", fn.softplus, F.softplus, -10.0, 10.0),
    unary("softsign", fn.softsign, F.softsign),
    # relu6(x + 3) / 6, the definition of Keras 3 and PyTorch (F.hardsigmoid's backward rounds
    # its slope 1/6 to float32, and it has no second derivative)
    unary("hard_sigmoid", fn.hard_sigmoid, lambda x: F.relu6(x + 3.0) / 6.0, -4.0, 4.0),
    unary("hard_silu", fn.hard_silu, F.hardswish, -4.0, 4.0),
    unary("hard_swish", fn.hard_swish, F.hardswish, -4.0, 4.0),
    unary("mish", fn.mish, F.mish),
    unary("exponential", fn.exponential, torch.exp),
    unary("linear", lambda x: fn.linear(x) * 1.0, lambda x: x * 1.0),
    unary("log_sigmoid", fn.log_sigmoid, F.logsigmoid, -20.0, 20.0),
    unary("get_activation", fn.get_activation("gelu"), F.gelu),
    Ref("softmax", fn.softmax, lambda x: torch.softmax(x, -1), [uniform((3, 4), -30, 30)],
        [[uniform((0, 4))], [uniform((3, 0))], [fixed([[1e4, 1e4 - 1.0, 0.0]])]]),
    Ref("softmax", lambda x: fn.softmax(x, axis=0), lambda x: torch.softmax(x, 0),
        [uniform((3, 4))]),
    Ref("log_softmax", fn.log_softmax, lambda x: torch.log_softmax(x, -1),
        [uniform((3, 4), -30, 30)], [[uniform((0, 4))], [uniform((3, 0))],
                                     [fixed([[1e4, 1e4 - 1.0, 0.0]])]]),
    Ref("moments", lambda x: fn.moments(x, axis=(0, 1))[1] + fn.moments(x, axis=(0, 1))[0],
        lambda x: torch.var_mean(x, (0, 1), correction=0)[0] + x.mean((0, 1)),
        [uniform((3, 2, 4))]),
    Ref("batch_norm", lambda x, g, b: fn.batch_norm(x, g, b, epsilon=1e-5),
        lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5),
        [uniform((5, 3)), uniform((3,)), uniform((3,))]),
    Ref("batch_norm", lambda x, g, b: fn.batch_norm(x, g, b, epsilon=1e-3),
        _nhwc(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-3)),
        [uniform((2, 3, 3, 2)), uniform((2,)), uniform((2,))]),
    Ref("layer_norm", lambda x, g, b: fn.layer_norm(x, g, b, epsilon=1e-5),
        lambda x, g, b: F.layer_norm(x, (4,), g, b, eps=1e-5),
        [uniform((3, 4)), uniform((4,)), uniform((4,))]),
    Ref("instance_norm", lambda x, g, b: fn.instance_norm(x, g, b, epsilon=1e-5),
        _nhwc(lambda x, g, b: F.instance_norm(x, weight=g, bias=b, eps=1e-5)),
        [uniform((2, 3, 3, 2)), uniform((2,)), uniform((2,))]),
    Ref("group_norm", lambda x, g, b: fn.group_norm(x, 2, g, b, epsilon=1e-5),
        _nhwc(lambda x, g, b: F.group_norm(x, 2, g, b, eps=1e-5)),
        [uniform((2, 2, 3, 4)), uniform((4,)), uniform((4,))]),
    Ref("softmax_cross_entropy", fn.softmax_cross_entropy,
        lambda z, y: F.cross_entropy(z, y, reduction="none"), [uniform((3, 4), -5, 5), _targets]),
    Ref("sparse_softmax_cross_entropy", lambda z: fn.sparse_softmax_cross_entropy(z, LABELS),
        lambda z: F.cross_entropy(z, torch.tensor(LABELS), reduction="none"),
        [uniform((3, 4), -5, 5)], [[fixed([[1000.0, -1000.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0],
                                           [-1e3, 2.0, 999.0, 0.0]])]]),
    Ref("sigmoid_binary_cross_entropy", fn.sigmoid_binary_cross_entropy,
        lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="none"),
        [uniform((3, 4), -8, 8), uniform((3, 4), 0, 1)],
        [[uniform((), -8, 8), uniform((), 0, 1)], [uniform((0, 2)), uniform((0, 2), 0, 1)]]),
]


def _identity(x):
    return torch.eye(x.shape[-1], dtype=x.dtype)


def _keras_to_torch_gru(t):
    """Keras orders a GRU's gate blocks z, r, h; PyTorch r, z, n."""
    z, r, h = t.chunk(3, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def _gru_reset_before(x, h, u):
    x_z, x_r, x_h = x.chunk(3, dim=-1)
    u_z, u_r, u_h = u.chunk(3, dim=-1)
    z = torch.sigmoid(x_z + h @ u_z)
    r = torch.sigmoid(x_r + h @ u_r)
    return z * h + (1 - z) * torch.tanh(x_h + (r * h) @ u_h)


# One step of each recurrent cell against PyTorch's own cell kernels: x_proj is fed as the
# cell's input through an identity input weight, the recurrent kernel as its transposed
# hidden weight (PyTorch stores (gates * units, units)).
REFERENCE += [
    Ref("simple_rnn_cell", fn.simple_rnn_cell,
        lambda x, h, u: torch.rnn_tanh_cell(x, h, _identity(x), u.T),
        [uniform((3, 4)), uniform((3, 4)), uniform((4, 4))]),
    Ref("lstm_cell", lambda x, h, c, u: tg.concatenate(list(fn.lstm_cell(x, h, c, u)), axis=1),
        lambda x, h, c, u: torch.cat(torch.lstm_cell(x, (h, c), _identity(x), u.T), dim=1),
        [uniform((2, 12)), uniform((2, 3)), uniform((2, 3)), uniform((3, 12))]),
    Ref("gru_cell", fn.gru_cell,
        lambda x, h, u, b: torch.gru_cell(_keras_to_torch_gru(x), h, _identity(x),
                                          _keras_to_torch_gru(u).T, torch.zeros_like(b),
                                          _keras_to_torch_gru(b)),
        [uniform((2, 9)), uniform((2, 3)), uniform((3, 9)), uniform((9,))]),
    Ref("gru_cell", lambda x, h, u: fn.gru_cell(x, h, u, reset_after=False), _gru_reset_before,
        [uniform((2, 9)), uniform((2, 3)), uniform((3, 9))]),
    Ref("split_gates", lambda z: tg.concatenate(fn.split_gates(z, 3)[::-1], axis=1),
        lambda z: torch.cat(z.chunk(3, dim=-1)[::-1], dim=1), [uniform((2, 6))]),
]


# The image warps against torch's grid_sample (align_corners=True: pixel centres at -1 and 1),
# which knows the fill modes "border" (= nearest) and "zeros" (= constant 0); test_augmentation
# compares every fill mode with Keras.
ROTATION = image_transform.rotation_matrix([0.4, 2.5], 4, 5)


def _grid_sample(padding):
    def theirs(x):
        rows, cols = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
        x_in = ROTATION[:, 0, :1, None] * cols + ROTATION[:, 0, 1:2, None] * rows \
            + ROTATION[:, 0, 2:, None]
        y_in = ROTATION[:, 1, :1, None] * cols + ROTATION[:, 1, 1:2, None] * rows \
            + ROTATION[:, 1, 2:, None]
        grid = torch.tensor(np.stack([x_in / 2.0 - 1.0, y_in / 1.5 - 1.0], -1), dtype=x.dtype)
        return _nhwc(lambda t: F.grid_sample(t, grid, "bilinear", padding, True))(x)
    return theirs


REFERENCE += [
    Ref("affine_transform", lambda x: fn.affine_transform(x, ROTATION, fill_mode="nearest"),
        _grid_sample("border"), [uniform((2, 4, 5, 3))], second_order=False),
    Ref("affine_transform", lambda x: fn.affine_transform(x, ROTATION, fill_mode="constant"),
        _grid_sample("zeros"), [uniform((2, 4, 5, 3))], second_order=False),
    Ref("resize", lambda x: fn.resize(x, 3, 7),
        _nhwc(lambda t: F.interpolate(t, size=(3, 7), mode="bilinear", align_corners=False)),
        [uniform((2, 5, 4, 2))]),
]


# The convolution family: channels-last inputs and Keras's kernel layouts, turned into
# PyTorch's channels-first ones. test_conv.py and test_conv_family.py try many more settings.
def _channels_first(x):
    return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))


def _channels_last(y):
    return y.permute(0, *range(2, y.ndim), 1)


def _torch_layout(op, kernel_axes=None):
    """PyTorch's ``op`` on channels-last x (and a Keras kernel permuted by ``kernel_axes``)."""
    if kernel_axes is None:
        return lambda x: _channels_last(op(_channels_first(x)))
    return lambda x, k: _channels_last(op(_channels_first(x), k.permute(*kernel_axes)))


def _depthwise_kernel(k):
    """Keras's (kh, kw, cin, multiplier) as PyTorch's (cin * multiplier, 1, kh, kw)."""
    kh, kw, cin, multiplier = k.shape
    return k.permute(2, 3, 0, 1).reshape(cin * multiplier, 1, kh, kw)


REFERENCE += [
    Ref("conv2d", lambda x, k: fn.conv2d(x, k, strides=2, padding="same"),
        _torch_layout(lambda t, w: F.conv2d(F.pad(t, (1, 1, 1, 1)), w, stride=2), (3, 2, 0, 1)),
        [uniform((2, 5, 5, 3)), uniform((3, 3, 3, 4))]),
    Ref("conv2d", lambda x, k: fn.conv2d(x, k, dilation_rate=2, groups=2),
        _torch_layout(lambda t, w: F.conv2d(t, w, dilation=2, groups=2), (3, 2, 0, 1)),
        [uniform((1, 6, 6, 4)), uniform((2, 2, 2, 4))]),
    Ref("conv2d_relu", lambda x, k, b: fn.conv2d_relu(x, k, b, padding="same"),
        lambda x, k, b: _channels_last(F.relu(F.conv2d(_channels_first(x), k.permute(3, 2, 0, 1),
                                                       b, padding="same"))),
        [uniform((2, 5, 5, 3)), uniform((3, 3, 3, 4)), uniform((4,))]),
    Ref("depthwise_conv2d", lambda x, k: fn.depthwise_conv2d(x, k),
        lambda x, k: _channels_last(F.conv2d(_channels_first(x), _depthwise_kernel(k),
                                             groups=x.shape[-1])),
        [uniform((2, 4, 4, 3)), uniform((2, 2, 3, 2))]),
    Ref("conv_transpose2d", lambda x, k: fn.conv_transpose2d(x, k, strides=2),
        _torch_layout(lambda t, w: F.conv_transpose2d(t, w, stride=2), (3, 2, 0, 1)),
        [uniform((2, 3, 3, 2)), uniform((3, 3, 4, 2))]),
    Ref("conv1d", lambda x, k: fn.conv1d(x, k, strides=2),
        _torch_layout(lambda t, w: F.conv1d(t, w, stride=2), (2, 1, 0)),
        [uniform((2, 7, 3)), uniform((3, 3, 4))]),
    Ref("conv_transpose1d", lambda x, k: fn.conv_transpose1d(x, k, strides=2),
        _torch_layout(lambda t, w: F.conv_transpose1d(t, w, stride=2), (2, 1, 0)),
        [uniform((2, 4, 2)), uniform((3, 4, 2))]),
    Ref("max_pool2d", lambda x: fn.max_pool2d(x, 2),
        _torch_layout(lambda t: F.max_pool2d(t, 2)), [distinct((2, 4, 6, 3))]),
    Ref("avg_pool2d", lambda x: fn.avg_pool2d(x, 3, strides=2),
        _torch_layout(lambda t: F.avg_pool2d(t, 3, stride=2)), [uniform((2, 7, 5, 2))]),
    Ref("max_pool1d", lambda x: fn.max_pool1d(x, 2),
        _torch_layout(lambda t: F.max_pool1d(t, 2)), [distinct((2, 6, 3))]),
    Ref("avg_pool1d", lambda x: fn.avg_pool1d(x, 2),
        _torch_layout(lambda t: F.avg_pool1d(t, 2)), [uniform((2, 6, 3))]),
    Ref("upsample2d", lambda x: fn.upsample2d(x, 2),
        _torch_layout(lambda t: F.interpolate(t, scale_factor=2, mode="nearest")),
        [uniform((2, 3, 4, 2))]),
    Ref("upsample2d", lambda x: fn.upsample2d(x, (2, 3), "bilinear"),
        _torch_layout(lambda t: F.interpolate(t, scale_factor=(2, 3), mode="bilinear",
                                              align_corners=False)),
        [uniform((2, 3, 4, 2))]),
]


def test_every_public_function_has_a_reference_row():
    missing = set(fn.__all__) - NOT_COMPARED - {row.op for row in REFERENCE}
    assert not missing, sorted(missing)


CASES = [pytest.param(row, makers, id=f"{row.op}-{i}-{v}")
         for i, row in enumerate(REFERENCE) for v, makers in enumerate(row.input_lists)]


@pytest.mark.parametrize("row,makers", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_values_and_derivatives_match_torch(row, makers, dtype):
    rng = np.random.default_rng(11)
    compare(row, [make(rng) for make in makers], dtype=dtype)


@pytest.mark.parametrize("row", REFERENCE, ids=[f"{r.op}-{i}" for i, r in enumerate(REFERENCE)])
def test_transposed_inputs_match_torch(row):
    rng = np.random.default_rng(12)
    arrays = [make(rng) for make in row.inputs]
    if not any(sum(n > 1 for n in a.shape) >= 2 for a in arrays):
        pytest.skip("no input with two axes longer than 1")
    compare(row, arrays, transposed=True)
