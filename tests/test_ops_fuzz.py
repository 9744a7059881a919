"""Random shapes (0-d, size-0, broadcasting) and values, elementwise ops against PyTorch.

Hypothesis draws the shapes and the values; each example compares the forward values and the
gradients in float32 and float64 with PyTorch on the same inputs.
"""

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

T = torch
# (name, ours, theirs, lowest, highest) for values drawn in [lowest, highest]
UNARY = [
    ("exp", tg.exp, T.exp, -80, 80), ("log", tg.log, T.log, 1e-30, 1e30),
    ("sqrt", tg.sqrt, T.sqrt, 1e-30, 1e30), ("tanh", tg.tanh, T.tanh, -1e4, 1e4),
    ("sigmoid", tg.sigmoid, T.sigmoid, -1e4, 1e4), ("sin", tg.sin, T.sin, -100, 100),
    ("log1p", tg.log1p, T.log1p, -0.999, 1e30), ("expm1", tg.expm1, T.expm1, -80, 80),
    ("arctan", tg.arctan, T.atan, -1e10, 1e10), ("sinh", tg.sinh, T.sinh, -80, 80),
    ("rsqrt", tg.rsqrt, T.rsqrt, 1e-30, 1e30), ("square", tg.square, T.square, -1e15, 1e15),
    ("abs", tg.abs, T.abs, -1e30, 1e30), ("floor", tg.floor, T.floor, -1e6, 1e6),
    ("log2", tg.log2, T.log2, 1e-30, 1e30),
]
BINARY = [
    ("add", lambda a, b: a + b, T.add, -1e30, 1e30, -1e30, 1e30),
    ("mul", lambda a, b: a * b, T.mul, -1e15, 1e15, -1e15, 1e15),
    ("div", lambda a, b: a / b, T.div, -1e15, 1e15, 1e-20, 1e15),
    ("maximum", tg.maximum, T.maximum, -1e30, 1e30, -1e30, 1e30),
    ("logaddexp", tg.logaddexp, T.logaddexp, -1e4, 1e4, -1e4, 1e4),
    ("power", lambda a, b: a ** b, T.pow, 1e-3, 1e3, -4, 4),
]


def _values(shape, low, high, rng):
    """Uniform values, half of the time on a log scale of magnitudes (tiny and huge)."""
    if low > 0:
        return np.exp(rng.uniform(np.log(low), np.log(high), size=shape))
    magnitude = np.exp(rng.uniform(np.log(1e-6), np.log(max(abs(low), high)), size=shape))
    values = np.where(rng.random(shape) < 0.5, -magnitude, magnitude)
    return np.clip(values, low, high)


def _check(ours, theirs, arrays, dtype):
    torch_dtype = T.float32 if dtype == np.float32 else T.float64
    mine = [tg.Tensor(a, requires_grad=True, dtype=dtype) for a in arrays]
    reference = [T.tensor(a, dtype=torch_dtype, requires_grad=True) for a in arrays]
    with np.errstate(all="ignore"):
        out = ours(*mine)
    expected = theirs(*reference)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    tiny = np.finfo(dtype).tiny
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=tiny)
    upstream = np.ones(out.shape, dtype=dtype)
    with np.errstate(all="ignore"):
        grads = tg.grad(out, mine, tg.Tensor(upstream, dtype=dtype), allow_unused=True)
    expected_grads = T.autograd.grad(expected, reference, T.tensor(upstream), allow_unused=True)
    # A gradient computed from a saturated output (1 - tanh(x)**2 near |x| = 8) inherits the
    # output's rounding, amplified: allow a few units of the dtype's epsilon absolutely.
    eps = np.finfo(dtype).eps
    for g, r in zip(grads, expected_grads):
        theirs_grad = np.zeros(g.shape) if r is None else r.numpy(force=True)
        np.testing.assert_allclose(g.data, theirs_grad, rtol=rtol * 100, atol=8 * eps)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)


@pytest.mark.parametrize("name, ours, theirs, low, high", UNARY, ids=[u[0] for u in UNARY])
@settings(max_examples=25, deadline=None, derandomize=True)
@given(shape=shapes, seed=st.integers(0, 2**31 - 1), dtype=st.sampled_from([np.float32,
                                                                            np.float64]))
def test_unary_ops_agree_with_torch(name, ours, theirs, low, high, shape, seed, dtype):
    rng = np.random.default_rng(seed)
    _check(ours, theirs, [_values(shape, low, high, rng).astype(dtype)], dtype)


@pytest.mark.parametrize("name, ours, theirs, low_a, high_a, low_b, high_b", BINARY,
                         ids=[b[0] for b in BINARY])
@settings(max_examples=25, deadline=None, derandomize=True)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2**31 - 1), dtype=st.sampled_from([np.float32, np.float64]))
def test_binary_ops_agree_with_torch(name, ours, theirs, low_a, high_a, low_b, high_b, shapes,
                                     seed, dtype):
    rng = np.random.default_rng(seed)
    a = _values(shapes.input_shapes[0], low_a, high_a, rng).astype(dtype)
    b = _values(shapes.input_shapes[1], low_b, high_b, rng).astype(dtype)
    _check(ours, theirs, [a, b], dtype)
