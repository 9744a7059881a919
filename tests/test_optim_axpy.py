"""The one-pass update y += alpha * x, through numpy's BLAS or numpy itself."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim
from tinygrad_edu.optim import axpy as axpy_module
from tinygrad_edu.optim.axpy import MIN_BLAS_ELEMENTS, axpy, blas_axpy_library


def _close_to_numpy(y_before, alpha, x, y_after):
    """y_after equals y_before + alpha * x up to the rounding of a fused multiply-add."""
    expected = y_before + alpha * x
    tolerance = 4 * np.finfo(y_after.dtype).eps * (np.abs(y_before) + abs(alpha) * np.abs(x))
    return bool(np.all(np.abs(y_after - expected) <= tolerance))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(784, 256), (MIN_BLAS_ELEMENTS,), (10,), (3, 0)])
def test_axpy_matches_the_numpy_expression(dtype, shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.standard_normal(shape).astype(dtype)
    before = y.copy()
    axpy(-0.01, x, y)
    assert y.dtype == dtype
    assert _close_to_numpy(before, -0.01, x, y)


def test_numpy_ships_a_blas_whose_axpy_is_used():
    """Where numpy carries OpenBLAS (its wheels do), the fast path must really be taken."""
    if not axpy_module._library_candidates():
        pytest.skip("this numpy build carries no OpenBLAS of its own")
    assert blas_axpy_library() is not None
    assert set(axpy_module._routines) == {"f", "d"}


def test_the_blas_path_writes_into_the_array_through_a_numpy_scalar_alpha():
    x = np.full((400, 100), 2.0, dtype=np.float32)
    y = np.ones((400, 100), dtype=np.float32)
    axpy(np.float32(-0.25), x, y)
    assert np.array_equal(y, np.full_like(y, 0.5))


def test_a_read_only_x_takes_the_blas_path_through_its_own_address(monkeypatch):
    if blas_axpy_library() is None:
        pytest.skip("this numpy build carries no OpenBLAS of its own")
    x = np.full(4 * MIN_BLAS_ELEMENTS, 2.0, dtype=np.float32)
    x.flags.writeable = False  # e.g. a gradient shared read-only
    writable = np.ones(8, dtype=np.float64)
    assert axpy_module._address(x) == x.ctypes.data
    assert axpy_module._address(writable) == writable.ctypes.data
    addressed = []
    real_address = axpy_module._address
    monkeypatch.setattr(axpy_module, "_address",
                        lambda array: addressed.append(array) or real_address(array))
    y = np.ones_like(x)
    axpy(-0.25, x, y)
    assert addressed[0] is x and addressed[1] is y  # the BLAS call ran
    assert np.array_equal(y, np.full_like(y, 0.5))


@pytest.mark.parametrize("case", ["transposed", "mixed dtype", "same array", "overlapping",
                                  "strided y"])
def test_arrays_blas_cannot_take_get_the_numpy_result(case):
    rng = np.random.default_rng(2)
    base = rng.standard_normal((300, 300)).astype(np.float32)
    if case == "transposed":
        x, y = rng.standard_normal((300, 300)).astype(np.float32).T, base
    elif case == "mixed dtype":
        x, y = rng.standard_normal((300, 300)), base
    elif case == "same array":
        x, y = base, base
    elif case == "overlapping":  # numpy's semantics: alpha * x is read before y is written
        flat = base.reshape(-1)
        x, y = flat[1:], flat[:-1]
    else:
        x, y = rng.standard_normal((300, 150)).astype(np.float32), base[:, ::2]
    expected = y + 0.5 * x
    axpy(0.5, x, y)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


def test_the_environment_variable_turns_blas_off(monkeypatch):
    monkeypatch.setenv("TINYGRAD_EDU_NUMPY_AXPY", "1")
    monkeypatch.setattr(axpy_module, "_routines", None)
    assert blas_axpy_library() is None
    y = np.ones(MIN_BLAS_ELEMENTS, dtype=np.float32)
    axpy(-1.0, np.ones_like(y), y)
    assert not y.any()


def test_a_read_only_parameter_is_refused_by_numpy_not_written_by_blas():
    y = np.ones(MIN_BLAS_ELEMENTS, dtype=np.float32)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        axpy(-1.0, np.ones_like(y), y)
    assert np.all(y == 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_on_a_large_weight_follows_its_formula(dtype, momentum, nesterov):
    """Three SGD steps on a weight big enough for the BLAS path, against the formulas in numpy."""
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
