"""SGD's in-place update on large weights (BLAS axpy through SciPy, or numpy's expression),
and no private paths into other libraries."""

import ast
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_edu
from tinygrad_edu import Tensor, optim, threads
from tinygrad_edu.optim import axpy as axpy_module
from tinygrad_edu.optim.axpy import axpy

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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(784, 256), (30, 10), ()])
def test_axpy_adds_alpha_times_x_in_place(dtype, shape):
    rng = np.random.default_rng(5)
    y = rng.standard_normal(shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    expected = y.astype(np.float64) - 0.25 * x.astype(np.float64)
    target = y
    axpy(-0.25, x, y)
    assert y is target and y.dtype == dtype
    np.testing.assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-12)


def test_axpy_takes_arrays_blas_cannot_take():
    """Strided views, mixed dtypes and a read-only x go through numpy's expression."""
    rng = np.random.default_rng(6)
    base = rng.standard_normal((400, 300)).astype(np.float32)
    y = base.T  # not C-contiguous: written through the view into base
    x = rng.standard_normal((300, 400))  # float64 into a float32 array
    expected = y.astype(np.float64) + 2.0 * x
    axpy(2.0, x, y)
    np.testing.assert_allclose(base.T, expected, rtol=1e-5, atol=1e-5)
    frozen = np.ones((200, 200), np.float32)
    frozen.flags.writeable = False
    z = np.zeros((200, 200), np.float32)
    axpy(3.0, frozen, z)
    assert np.all(z == 3.0)


def test_axpy_without_scipy_is_numpy_s_expression(monkeypatch):
    monkeypatch.setattr(axpy_module, "_routines", {})  # as if SciPy were not installed
    y = np.ones(50_000, np.float32)
    axpy(-0.5, np.full(50_000, 4.0, np.float32), y)
    assert y.dtype == np.float32 and np.all(y == -1.0)


SCIPY_POOLS_SCRIPT = """
    import os, sys
    import numpy as np
    from threadpoolctl import threadpool_info
    {first_import}
    import tinygrad_edu as tg

    def counts():
        import scipy
        root = os.path.dirname(scipy.__file__)
        pools = [p for p in threadpool_info() if p["user_api"] == "blas"]
        ours = [p["num_threads"] for p in pools if p["filepath"].startswith(root)]
        others = [p["num_threads"] for p in pools if not p["filepath"].startswith(root)]
        assert ours and others, pools  # a wheel's SciPy bundles its own OpenBLAS
        return ours, others

    w = tg.Tensor(np.zeros((300, 300), np.float32), requires_grad=True)
    w.grad = tg.Tensor(np.ones((300, 300), np.float32))
    tg.optim.SGD([w], lr=0.5).step()
    assert "scipy.linalg" in sys.modules and float(w.data.max()) == -0.5
    print(counts())
    tg.set_num_threads(2)
    print(counts())
    tg.set_num_threads(1)
    print(counts())
"""


@pytest.mark.parametrize("first_import", ["", "import scipy.linalg"],
                         ids=["loaded-by-sgd", "imported-by-the-user-first"])
def test_scipy_s_own_blas_pool_is_held_at_one_thread(first_import):
    """SciPy's bundled OpenBLAS, which SGD's update runs in, keeps one thread whatever numpy's
    pool has: two 2-thread pools fight over 2 cores (an 18 ms MLP step instead of 1.1 ms)."""
    pytest.importorskip("scipy")
    script = textwrap.dedent(SCIPY_POOLS_SCRIPT).replace("{first_import}", first_import)
    env = {key: value for key, value in os.environ.items()
           if key not in threads.THREAD_VARIABLES}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    default = min(os.cpu_count(), 2)  # what numpy's OpenBLAS starts with here, at least
    lines = result.stdout.splitlines()
    after_step, after_two, after_one = (ast.literal_eval(line) for line in lines[:3])
    assert set(after_step[0]) == {1} and max(after_step[1]) >= default
    assert set(after_two[0]) == {1} and set(after_two[1]) == {2}
    assert set(after_one[0]) == {1} and set(after_one[1]) == {1}
