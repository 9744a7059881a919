"""SGD's in-place numpy update on large weights, and no private paths into other libraries."""

import pathlib

import numpy as np
import pytest

import tinygrad_edu
from tinygrad_edu import Tensor, optim

ROOT = pathlib.Path(tinygrad_edu.__file__).parent.parent


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_on_a_large_weight_follows_its_formula(dtype, momentum, nesterov):
    """Three SGD steps on a 256x200 weight, against the formulas in float64 numpy."""
    rng = np.random.default_rng(3)
    start = rng.standard_normal((256, 200)).astype(dtype)
    grads = [rng.standard_normal((256, 200)).astype(dtype) for _ in range(3)]
    w = Tensor(start.copy(), dtype=dtype, requires_grad=True)
    opt = optim.SGD([w], lr=0.05, momentum=momentum, nesterov=nesterov)
    p, velocity = start.astype(np.float64), np.zeros((256, 200))
    for g in grads:
        w.grad = Tensor(g, dtype=dtype)
        opt.step()
        velocity = momentum * velocity - 0.05 * g
        if nesterov:
            p = p + momentum * velocity - 0.05 * g
        elif momentum:
            p = p + velocity
        else:
            p = p - 0.05 * g
    assert w.data.dtype == dtype
    np.testing.assert_allclose(w.data, p, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_matches_pytorch_at_a_constant_learning_rate(momentum, nesterov):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    start = rng.standard_normal((300, 100)).astype(np.float32)
    grads = [rng.standard_normal((300, 100)).astype(np.float32) for _ in range(4)]
    w = Tensor(start.copy(), requires_grad=True)
    opt = optim.SGD([w], lr=0.01, momentum=momentum, nesterov=nesterov)
    tw = torch.tensor(start.copy(), requires_grad=True)
    topt = torch.optim.SGD([tw], lr=0.01, momentum=momentum, nesterov=nesterov)
    for g in grads:
        w.grad = Tensor(g)
        opt.step()
        tw.grad = torch.from_numpy(g.copy())
        topt.step()
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_no_code_reaches_into_a_library_through_ctypes():
    """Other libraries are used through their public API only: no ctypes, no symbol lookups."""
    offenders = []
    for folder in ("tinygrad_edu", "viz", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if "import ctypes" in text or "from ctypes" in text or "CDLL(" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
