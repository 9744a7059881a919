"""The convolution family against PyTorch: grouped, depthwise, transposed (2-D and 1-D) and 1-D
convolution, 1-D pooling and upsampling (ops in tinygrad_edu.ops.grouped_conv, conv_transpose,
conv1d and upsampling).

Each op runs forward and backward in float64 on random inputs with a random upstream
gradient; outputs and the gradients of every input must equal PyTorch's (NCHW <-> NHWC
layouts converted). Finite differences (first and second order) are the op-case rows in
tinygrad_edu/op_cases_conv.py; here is also the check that every op of the family has one.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.op_cases import CASES, covered_ops
from tinygrad_edu.ops import conv1d as conv1d_ops
from tinygrad_edu.ops import conv_transpose, grouped_conv, upsampling
from tinygrad_edu.ops.conv import conv2d, max_pool2d, same_padding
from tinygrad_edu.ops.conv_transpose import (
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose_crops,
)
from tinygrad_edu.ops.grouped_conv import depthwise_conv2d, grouped_conv2d
from tinygrad_edu.ops.upsampling import upsample2d

torch = pytest.importorskip("torch")
F = torch.nn.functional
RNG = np.random.default_rng(0)
ATOL = 1e-10


def _run(ours, arrays, upstream_seed=1):
    """Our output and the gradients of sum(output * upstream) for each input."""
    tensors = [tg.Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    y = ours(*tensors)
    upstream = np.random.default_rng(upstream_seed).normal(size=y.shape)
    y.backward(tg.Tensor(upstream, dtype=np.float64))
    return y.numpy(), [t.grad.numpy() for t in tensors], upstream


def _run_torch(theirs, arrays, upstream):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = theirs(*tensors)
    y.backward(torch.tensor(upstream))
    return y.detach().numpy(), [t.grad.numpy() for t in tensors]


def _compare(ours, theirs, arrays):
    y, grads, upstream = _run(ours, arrays)
    y_ref, grads_ref = _run_torch(theirs, arrays, upstream)
    assert y.shape == y_ref.shape
    np.testing.assert_allclose(y, y_ref, atol=ATOL)
    for grad, grad_ref in zip(grads, grads_ref):
        np.testing.assert_allclose(grad, grad_ref, atol=ATOL)


def _nchw(t):
    return t.permute(0, 3, 1, 2)


def _nhwc(t):
    return t.permute(0, 2, 3, 1)


def _torch_same(t, window, strides, dilation):
    """Keras's "same" padding (odd pixel after) on an NCHW torch tensor."""
    top, bottom = same_padding(t.shape[2], window[0], strides[0], dilation[0])
    left, right = same_padding(t.shape[3], window[1], strides[1], dilation[1])
    return F.pad(t, (left, right, top, bottom))


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


GROUPED = [  # input shape, (kh, kw), filters, groups, strides, padding, dilation
    ((2, 7, 6, 4), (3, 3), 6, 2, 1, "valid", 1),
    ((2, 7, 6, 6), (3, 2), 9, 3, 2, "same", 1),
    ((1, 8, 8, 4), (2, 3), 4, 4, (2, 1), "same", 1),
    ((1, 9, 7, 4), (3, 3), 8, 2, 1, "same", 2),
    ((3, 5, 5, 8), (1, 1), 4, 4, 1, "valid", 1),
]


@pytest.mark.parametrize("shape, window, filters, groups, strides, padding, dilation", GROUPED)
def test_grouped_conv2d_matches_torch(shape, window, filters, groups, strides, padding,
                                      dilation):
    arrays = [RNG.normal(size=shape), RNG.normal(size=(*window, shape[3] // groups, filters)),
              RNG.normal(size=filters)]
    strides2, dilation2 = _pair(strides), _pair(dilation)

    def theirs(x, k, b):
        x = _nchw(x)
        if padding == "same":
            x = _torch_same(x, window, strides2, dilation2)
        return _nhwc(F.conv2d(x, k.permute(3, 2, 0, 1), b, stride=strides2, dilation=dilation2,
                              groups=groups))

    _compare(lambda x, k, b: conv2d(x, k, b, strides, padding, dilation, groups=groups),
             theirs, arrays)


def test_groups_1_is_the_ordinary_path_and_a_block_diagonal_kernel_agrees():
    x = tg.Tensor(RNG.normal(size=(2, 6, 5, 4)), requires_grad=True, dtype=np.float64)
    kernel = RNG.normal(size=(3, 3, 2, 6))
    grouped = conv2d(x, tg.Tensor(kernel, dtype=np.float64), padding="same", groups=2)
    full = np.zeros((3, 3, 4, 6))  # the same convolution as one ordinary kernel
    full[:, :, :2, :3], full[:, :, 2:, 3:] = kernel[:, :, :, :3], kernel[:, :, :, 3:]
    ordinary = conv2d(x, tg.Tensor(full, dtype=np.float64), padding="same")
    np.testing.assert_allclose(grouped.numpy(), ordinary.numpy(), atol=1e-12)
    assert ordinary.grad_fn is not None and type(ordinary.grad_fn).__name__ == "Convolution"


@pytest.mark.parametrize("shape, window, multiplier, strides, padding, dilation", [
    ((2, 7, 6, 3), (3, 3), 1, 1, "valid", 1),
    ((1, 8, 7, 2), (3, 2), 3, 2, "same", 1),
    ((2, 9, 9, 4), (3, 3), 2, 1, "same", 2),
    ((1, 11, 10, 2), (3, 2), 1, 2, "same", 2),
])
def test_depthwise_conv2d_matches_torch(shape, window, multiplier, strides, padding, dilation):
    channels = shape[3]
    arrays = [RNG.normal(size=shape), RNG.normal(size=(*window, channels, multiplier)),
              RNG.normal(size=channels * multiplier)]
    strides2, dilation2 = _pair(strides), _pair(dilation)

    def theirs(x, k, b):
        x = _nchw(x)
        if padding == "same":
            x = _torch_same(x, window, strides2, dilation2)
        weight = k.reshape(*window, 1, channels * multiplier).permute(3, 2, 0, 1)
        return _nhwc(F.conv2d(x, weight, b, stride=strides2, dilation=dilation2,
                              groups=channels))

    _compare(lambda x, k, b: depthwise_conv2d(x, k, b, strides, padding, dilation), theirs,
             arrays)


TRANSPOSED = [  # input shape, (kh, kw), filters, strides, padding, output_padding, dilation
    ((2, 4, 5, 3), (3, 3), 4, 2, "valid", None, 1),
    ((2, 4, 5, 3), (3, 2), 2, 2, "same", None, 1),
    ((1, 3, 3, 2), (4, 4), 3, (2, 3), "same", (1, 2), 1),
    ((2, 5, 4, 2), (3, 3), 2, 1, "valid", None, 2),
    ((1, 4, 4, 2), (3, 3), 2, 1, "same", None, 2),
    ((1, 2, 3, 2), (1, 1), 2, 3, "valid", None, 1),
    ((1, 3, 3, 1), (2, 3), 2, 3, "valid", (2, 1), 1),
    ((2, 3, 3, 2), (5, 4), 3, 3, "same", None, 1),
]


@pytest.mark.parametrize("shape, window, filters, strides, padding, output_padding, dilation",
                         TRANSPOSED)
def test_conv_transpose2d_matches_torch(shape, window, filters, strides, padding,
                                        output_padding, dilation):
    """PyTorch's full transposed convolution, cropped and padded by Keras's rule."""
    arrays = [RNG.normal(size=shape), RNG.normal(size=(*window, filters, shape[3])),
              RNG.normal(size=filters)]
    strides2, dilation2 = _pair(strides), _pair(dilation)
    extra = (None, None) if output_padding is None else _pair(output_padding)
    crops = [conv_transpose_crops(k, s, padding, p, d)
             for k, s, p, d in zip(window, strides2, extra, dilation2)]

    def theirs(x, k, b):
        full = F.conv_transpose2d(_nchw(x), k.permute(3, 2, 0, 1).contiguous(), stride=strides2,
                                  dilation=dilation2)
        (top, bottom), (left, right) = crops
        full = F.pad(full, (0, max(-right, 0), 0, max(-bottom, 0)))
        y = full[:, :, top:full.shape[2] - max(bottom, 0), left:full.shape[3] - max(right, 0)]
        return _nhwc(y) + b  # the bias reaches the appended rows too, as in Keras

    _compare(lambda x, k, b: conv_transpose2d(x, k, b, strides, padding, output_padding,
                                              dilation), theirs, arrays)


def test_conv_transpose2d_is_the_input_gradient_of_conv2d():
    """With PyTorch's own padding arguments: "same", stride 1, odd kernel is padding=k//2."""
    arrays = [RNG.normal(size=(1, 5, 6, 3)), RNG.normal(size=(3, 5, 2, 3))]
    _compare(lambda x, k: conv_transpose2d(x, k, padding="same"),
             lambda x, k: _nhwc(F.conv_transpose2d(_nchw(x), k.permute(3, 2, 0, 1),
                                                   padding=(1, 2))), arrays)


@pytest.mark.parametrize("steps, size, strides, padding, output_padding", [
    (5, 3, 2, "valid", None), (5, 4, 2, "same", None), (4, 3, 3, "same", 1), (6, 1, 1, "valid", 0),
])
def test_conv_transpose1d_matches_torch(steps, size, strides, padding, output_padding):
    arrays = [RNG.normal(size=(2, steps, 3)), RNG.normal(size=(size, 4, 3)),
              RNG.normal(size=4)]
    before, after = conv_transpose_crops(size, strides, padding, output_padding)

    def theirs(x, k, b):
        full = F.conv_transpose1d(x.permute(0, 2, 1), k.permute(2, 1, 0).contiguous(),
                                  stride=strides)
        full = F.pad(full, (0, max(-after, 0)))
        return full[:, :, before:full.shape[2] - max(after, 0)].permute(0, 2, 1) + b

    _compare(lambda x, k, b: conv_transpose1d(x, k, b, strides, padding, output_padding),
             theirs, arrays)


@pytest.mark.parametrize("steps, size, groups, strides, padding, dilation", [
    (11, 3, 1, 1, "valid", 1), (11, 3, 1, 2, "same", 1), (10, 4, 2, 1, "same", 1),
    (9, 3, 1, 1, "causal", 2), (12, 2, 3, 3, "causal", 1), (1, 1, 1, 1, "valid", 1),
])
def test_conv1d_matches_torch(steps, size, groups, strides, padding, dilation):
    channels, filters = 6, 3 * groups
    arrays = [RNG.normal(size=(2, steps, channels)),
              RNG.normal(size=(size, channels // groups, filters)), RNG.normal(size=filters)]

    def theirs(x, k, b):
        x = x.permute(0, 2, 1)
        effective = (size - 1) * dilation + 1
        if padding == "causal":
            x = F.pad(x, ((size - 1) * dilation, 0))
        elif padding == "same":
            x = F.pad(x, same_padding(steps, size, strides, dilation))
        assert effective <= x.shape[2]
        y = F.conv1d(x, k.permute(2, 1, 0), b, stride=strides, dilation=dilation, groups=groups)
        return y.permute(0, 2, 1)

    _compare(lambda x, k, b: conv1d_ops.conv1d(x, k, b, strides, padding, dilation, groups),
             theirs, arrays)


@pytest.mark.parametrize("pool, strides, padding", [(2, None, "valid"), (3, 2, "valid"),
                                                     (3, 1, "same"), (2, 3, "same")])
def test_pool1d_matches_torch(pool, strides, padding):
    x = RNG.permutation(np.linspace(-3, 3, 2 * 9 * 3)).reshape(2, 9, 3)  # no ties
    step = pool if strides is None else strides

    def padded(t, value):
        t = t.permute(0, 2, 1)
        return F.pad(t, same_padding(9, pool, step), value=value) if padding == "same" else t

    def torch_avg(t):
        ones = torch.ones_like(t)
        total = F.avg_pool1d(padded(t, 0.0), pool, step) * pool
        count = F.avg_pool1d(padded(ones, 0.0), pool, step) * pool
        return (total / count).permute(0, 2, 1)  # Keras: mean over the steps inside only

    _compare(lambda t: conv1d_ops.max_pool1d(t, pool, strides, padding),
             lambda t: F.max_pool1d(padded(t, -np.inf), pool, step).permute(0, 2, 1), [x])
    _compare(lambda t: conv1d_ops.avg_pool1d(t, pool, strides, padding), torch_avg, [x])


@pytest.mark.parametrize("shape, pool, strides, padding, dilation", [
    ((2, 7, 7, 2), 2, None, "valid", 2), ((1, 9, 8, 3), 3, 1, "valid", (2, 1)),
    ((2, 8, 7, 2), (2, 3), 2, "same", 2), ((1, 6, 6, 1), 2, 1, "same", 3),
])
def test_dilated_max_pool2d_matches_torch(shape, pool, strides, padding, dilation):
    x = RNG.permutation(np.linspace(-3, 3, int(np.prod(shape)))).reshape(shape)  # no ties
    window, dilation2 = _pair(pool), _pair(dilation)
    steps = window if strides is None else _pair(strides)

    def theirs(t):
        t = _nchw(t)
        if padding == "same":
            top, bottom = same_padding(t.shape[2], window[0], steps[0], dilation2[0])
            left, right = same_padding(t.shape[3], window[1], steps[1], dilation2[1])
            t = F.pad(t, (left, right, top, bottom), value=-np.inf)
        return _nhwc(F.max_pool2d(t, window, steps, dilation=dilation2))

    _compare(lambda t: max_pool2d(t, pool, strides, padding, dilation=dilation), theirs, [x])


@pytest.mark.parametrize("shape, size", [((2, 3, 4, 2), (2, 2)), ((1, 5, 2, 3), (3, 2)),
                                         ((1, 1, 4, 1), (1, 4)), ((2, 2, 2, 1), (4, 4))])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_upsample2d_matches_torch(shape, size, mode):
    options = {"align_corners": False} if mode == "bilinear" else {}
    _compare(lambda x: upsample2d(x, size, mode),
             lambda x: _nhwc(F.interpolate(_nchw(x), scale_factor=size, mode=mode, **options)),
             [RNG.normal(size=shape)])


def test_float32_stays_float32():
    x, k = tg.ones(1, 4, 4, 2), tg.ones(3, 3, 1, 4)
    assert grouped_conv2d(x, k, groups=2).dtype == np.float32
    assert depthwise_conv2d(x, tg.ones(3, 3, 2, 1)).dtype == np.float32
    assert conv_transpose2d(x, tg.ones(3, 3, 4, 2), strides=2).dtype == np.float32
    assert conv1d_ops.conv1d(tg.ones(1, 5, 2), tg.ones(3, 2, 1)).dtype == np.float32
    assert upsample2d(x, 2, "bilinear").dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(tg.ones(1, 4, 4, 6), tg.ones(3, 3, 3, 4), groups=4),
     r"conv2d: groups=4 must divide both the 6 input channels and the 4 output.*\[1, 2\]"),
    (lambda: conv2d(tg.ones(1, 4, 4, 6), tg.ones(3, 3, 2, 4), groups=2),
     r"in_channels // groups = 6 // 2 = 3, got kernel shape \(3, 3, 2, 4\)"),
    (lambda: depthwise_conv2d(tg.ones(1, 4, 4, 3), tg.ones(3, 3, 2, 1)),
     r"depthwise_conv2d: the input has 3 channels .* kernel \(3, 3, 2, 1\) is for 2"),
    (lambda: conv_transpose2d(tg.ones(1, 4, 4, 3), tg.ones(3, 3, 3, 2)),
     r"conv_transpose2d: the input has 3 channels .*\(kh, kw, out_channels, in_channels\)"),
    (lambda: conv_transpose2d(tg.ones(1, 4, 4, 3), tg.ones(3, 3, 2, 3), strides=2,
                              output_padding=2), r"output_padding .* smaller than the strides"),
    (lambda: conv1d_ops.conv1d(tg.ones(4, 10), tg.ones(3, 1, 2)),
     r"conv1d: expected a 3-D .* x.reshape\(4, 10, 1\)"),
    (lambda: conv1d_ops.conv1d(tg.ones(1, 10, 2), tg.ones(3, 2, 2), padding="full"),
     r"'valid', 'same' or 'causal'"),
    (lambda: upsample2d(tg.ones(1, 2, 2, 1), 2, "bicubic"), r"'nearest' or 'bilinear'"),
    (lambda: upsample2d(tg.ones(2, 2, 1), 2), r"upsample2d: expected a 4-D batch"),
])
def test_bad_arguments_say_what_to_do(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_every_op_of_the_family_has_an_op_case_row():
    family = {"depthwise_conv2d", "conv_transpose2d", "conv_transpose1d", "conv1d", "max_pool1d",
              "avg_pool1d", "upsample2d"}
    public = set(grouped_conv.__all__) | set(conv_transpose.__all__) | set(
        conv1d_ops.__all__) | set(upsampling.__all__)
    assert family <= public
    assert family <= covered_ops()
    assert {"conv2d/grouped", "conv2d/depthwise-groups"} <= {case.name for case in CASES}


def test_the_family_is_reachable_under_pytorchs_functional_names():
    from tinygrad_edu import functional

    names = {"conv1d", "conv2d", "depthwise_conv2d", "conv_transpose1d", "conv_transpose2d",
             "max_pool1d", "avg_pool1d", "max_pool2d", "avg_pool2d", "upsample2d"}
    assert names <= set(functional.__all__)
    assert names <= covered_ops()
    assert functional.conv_transpose2d is conv_transpose.conv_transpose2d
    assert functional.upsample2d is upsampling.upsample2d
