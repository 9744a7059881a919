"""Forward values and gradients of every public op against PyTorch on random inputs."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops

torch = pytest.importorskip("torch")


def _distinct(shape):
    return lambda rng: rng.permutation(np.linspace(-2, 2, int(np.prod(shape)))).reshape(shape)


def _uniform(shape, low=-2.0, high=2.0):
    return lambda rng: rng.uniform(low, high, size=shape)


# (op, tinygrad function, torch function, input makers)
REFERENCE = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [_uniform((3, 4)), _uniform((4,))]),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [_uniform((3, 4)), _uniform((3, 1))]),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [_uniform((3, 4)), _uniform(())]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [_uniform((3, 4)), _uniform((4,), 0.5, 2)]),
    ("neg", lambda a: -a, lambda a: -a, [_uniform((3,))]),
    ("power", lambda a, b: a ** b, lambda a, b: a ** b,
     [_uniform((3, 4), 0.5, 2), _uniform((3, 4))]),
    ("exp", tg.exp, torch.exp, [_uniform((3, 4))]),
    ("log", tg.log, torch.log, [_uniform((3, 4), 0.1, 3)]),
    ("sqrt", tg.sqrt, torch.sqrt, [_uniform((3, 4), 0.1, 3)]),
    ("abs", tg.abs, torch.abs, [_uniform((3, 4))]),
    ("sin", tg.sin, torch.sin, [_uniform((3, 4))]),
    ("cos", tg.cos, torch.cos, [_uniform((3, 4))]),
    ("tanh", tg.tanh, torch.tanh, [_uniform((3, 4), -5, 5)]),
    ("sigmoid", tg.sigmoid, torch.sigmoid, [_uniform((3, 4), -50, 50)]),
    ("relu", tg.relu, torch.relu, [_uniform((3, 4))]),
    ("maximum", tg.maximum, torch.maximum, [_uniform((3, 4)), _uniform((4,))]),
    ("minimum", tg.minimum, torch.minimum, [_uniform((3, 4)), _uniform((3, 1))]),
    ("clip", lambda a: tg.clip(a, -0.5, 1.0), lambda a: torch.clamp(a, -0.5, 1.0),
     [_uniform((3, 4))]),
    ("where", lambda a, b: tg.where(a > 0, a, b), lambda a, b: torch.where(a > 0, a, b),
     [_uniform((3, 4)), _uniform((4,))]),
    ("matmul", tg.matmul, torch.matmul, [_uniform((2, 3, 4)), _uniform((4, 5))]),
    ("sum", lambda a: tg.sum(a, axis=(0, 2)), lambda a: a.sum(dim=(0, 2)),
     [_uniform((2, 3, 4))]),
    ("mean", lambda a: tg.mean(a, axis=1, keepdims=True), lambda a: a.mean(1, keepdim=True),
     [_uniform((3, 4))]),
    ("max", lambda a: tg.max(a, axis=1), lambda a: a.amax(1), [_distinct((3, 4))]),
    ("min", lambda a: tg.min(a, axis=0), lambda a: a.amin(0), [_distinct((3, 4))]),
    ("var", lambda a: tg.var(a, axis=1, ddof=1), lambda a: a.var(1, unbiased=True),
     [_uniform((3, 5))]),
    ("std", lambda a: tg.std(a, axis=0), lambda a: a.std(0, unbiased=False),
     [_uniform((4, 3))]),
    ("logsumexp", lambda a: tg.logsumexp(a, axis=1), lambda a: torch.logsumexp(a, 1),
     [_uniform((3, 4), -300, 300)]),
    ("reshape", lambda a: tg.reshape(a, (6, 2)), lambda a: a.reshape(6, 2), [_uniform((3, 4))]),
    ("transpose", lambda a: tg.transpose(a, (1, 2, 0)), lambda a: a.permute(1, 2, 0),
     [_uniform((2, 3, 4))]),
    ("swapaxes", lambda a: tg.swapaxes(a, 0, 1), lambda a: a.transpose(0, 1),
     [_uniform((2, 3, 4))]),
    ("broadcast_to", lambda a: tg.broadcast_to(a, (2, 3, 4)), lambda a: a.expand(2, 3, 4),
     [_uniform((3, 1))]),
    ("squeeze", lambda a: tg.squeeze(a), lambda a: a.squeeze(), [_uniform((3, 1, 4))]),
    ("unsqueeze", lambda a: tg.unsqueeze(a, 1), lambda a: a.unsqueeze(1), [_uniform((3, 4))]),
    ("flatten", lambda a: tg.flatten(a, 1), lambda a: a.flatten(1), [_uniform((2, 3, 4))]),
    ("getitem", lambda a: tg.getitem(a, (np.array([0, 2, 0]), slice(1, 3))),
     lambda a: a[torch.tensor([0, 2, 0]), 1:3], [_uniform((3, 4))]),
    ("concatenate", lambda a, b: tg.concatenate([a, b], axis=0),
     lambda a, b: torch.cat([a, b], 0), [_uniform((2, 3)), _uniform((1, 3))]),
    ("stack", lambda a, b: tg.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], 1),
     [_uniform((2, 3)), _uniform((2, 3))]),
    ("pad", lambda a: tg.pad(a, ((1, 2), (0, 1)), value=0.5),
     lambda a: torch.nn.functional.pad(a, (0, 1, 1, 2), value=0.5), [_uniform((2, 3))]),
]


def test_every_public_op_has_a_reference_row():
    assert set(ops.__all__) <= {row[0] for row in REFERENCE}


@pytest.mark.parametrize("op,ours,theirs,makers", REFERENCE, ids=[r[0] for r in REFERENCE])
def test_forward_and_backward_match_torch(op, ours, theirs, makers):
    rng = np.random.default_rng(7)
    arrays = [make(rng) for make in makers]
    mine = [tg.Tensor(a, requires_grad=True, dtype="float64") for a in arrays]
    reference = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, expected = ours(*mine), theirs(*reference)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.normal(size=expected.shape)
    out.backward(tg.Tensor(upstream, dtype="float64"))
    expected.backward(torch.tensor(upstream))
    for t, r in zip(mine, reference):
        np.testing.assert_allclose(t.grad.data, r.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_second_derivatives_match_torch():
    values = np.linspace(-1.5, 1.5, 5)
    for ours, theirs in ((tg.tanh, torch.tanh), (tg.sigmoid, torch.sigmoid), (tg.exp, torch.exp)):
        x = tg.Tensor(values, requires_grad=True, dtype="float64")
        (d1,) = tg.grad(ours(x).sum(), x, create_graph=True)
        (d2,) = tg.grad(d1.sum(), x)
        xt = torch.tensor(values, requires_grad=True)
        (t1,) = torch.autograd.grad(theirs(xt).sum(), xt, create_graph=True)
        (t2,) = torch.autograd.grad(t1.sum(), xt)
        np.testing.assert_allclose(d2.data, t2.numpy(), rtol=1e-10)
