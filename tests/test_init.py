import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import init
from tinygrad_edu.nn import Dense

LARGE = (400, 600)  # 240,000 samples: the std of a sample std is ~0.15% of the std


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)),
    ((5,), (5, 5)),
    ((3, 4), (3, 4)),                      # Dense kernel: (fan_in, fan_out)
    ((3, 3, 64, 128), (576, 1152)),        # Conv2D kernel: receptive field 9 times channels
    ((5, 4, 3), (20, 15)),                 # Conv1D kernel
])
def test_compute_fans_follows_keras(shape, fans):
    assert init.compute_fans(shape) == fans


def _check_uniform(values, limit):
    assert values.min() >= -limit and values.max() <= limit
    assert values.max() > 0.99 * limit and values.min() < -0.99 * limit
    assert abs(values.mean()) < 0.01 * limit
    assert values.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)


def _check_truncated_normal(values, target_std):
    """Keras's variance-scaling normal: cut at 2 raw std, corrected to the target std."""
    raw_std = target_std / 0.87962566103423978
    assert np.abs(values).max() <= 2 * raw_std * (1 + 1e-6)
    assert np.abs(values).max() > 1.95 * raw_std
    assert abs(values.mean()) < 0.01 * target_std
    assert values.std() == pytest.approx(target_std, rel=0.01)


@pytest.mark.parametrize("name, fan, scale", [
    ("glorot_uniform", "avg", 1.0), ("he_uniform", "in", 2.0), ("lecun_uniform", "in", 1.0),
])
def test_uniform_variance_scaling_presets(name, fan, scale):
    for shape in (LARGE, (3, 3, 40, 80)):
        values = init.get(name)(shape)
        fan_in, fan_out = init.compute_fans(shape)
        n = (fan_in + fan_out) / 2 if fan == "avg" else fan_in
        _check_uniform(values.astype(np.float64), math.sqrt(3 * scale / n))


@pytest.mark.parametrize("name, fan, scale", [
    ("glorot_normal", "avg", 1.0), ("he_normal", "in", 2.0), ("lecun_normal", "in", 1.0),
])
def test_normal_variance_scaling_presets(name, fan, scale):
    for shape in (LARGE, (3, 3, 40, 80)):
        values = init.get(name)(shape).astype(np.float64)
        fan_in, fan_out = init.compute_fans(shape)
        n = (fan_in + fan_out) / 2 if fan == "avg" else fan_in
        _check_truncated_normal(values, math.sqrt(scale / n))


def test_variance_scaling_modes_and_distributions():
    fan_in, fan_out = LARGE
    values = init.VarianceScaling(3.0, "fan_out", "untruncated_normal")(LARGE).astype(np.float64)
    assert values.std() == pytest.approx(math.sqrt(3.0 / fan_out), rel=0.01)
    assert np.abs(values).max() > 3 * values.std()  # not truncated
    values = init.VarianceScaling(0.5, "fan_avg", "uniform")(LARGE).astype(np.float64)
    _check_uniform(values, math.sqrt(3 * 0.5 / ((fan_in + fan_out) / 2)))
    values = init.VarianceScaling(2.0, "fan_in", "normal")(LARGE).astype(np.float64)
    _check_truncated_normal(values, math.sqrt(2.0 / fan_in))
    with pytest.raises(ValueError, match="mode"):
        init.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        init.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="scale"):
        init.VarianceScaling(scale=0)


def test_truncated_normal_cuts_at_two_std_without_correction():
    values = init.TruncatedNormal(mean=1.0, stddev=0.5)(LARGE).astype(np.float64)
    assert values.min() >= 0.0 and values.max() <= 2.0
    assert values.mean() == pytest.approx(1.0, abs=0.005)
    assert values.std() == pytest.approx(0.5 * 0.87962566, rel=0.01)
    default = init.get("truncated_normal")(LARGE)
    assert np.abs(default).max() <= 0.1 + 1e-7


@pytest.mark.parametrize("name", ["random_normal", "normal"])
def test_random_normal_and_old_name(name):
    values = init.get(name)(LARGE).astype(np.float64)
    assert isinstance(init.get(name), init.RandomNormal)
    assert values.mean() == pytest.approx(0.0, abs=0.001)
    assert values.std() == pytest.approx(0.05, rel=0.01)
    custom = init.RandomNormal(mean=2.0, stddev=3.0)(LARGE).astype(np.float64)
    assert custom.mean() == pytest.approx(2.0, abs=0.03)
    assert custom.std() == pytest.approx(3.0, rel=0.01)


@pytest.mark.parametrize("name", ["random_uniform", "uniform"])
def test_random_uniform_and_old_name(name):
    values = init.get(name)(LARGE).astype(np.float64)
    assert isinstance(init.get(name), init.RandomUniform)
    _check_uniform(values, 0.05)
    custom = init.RandomUniform(1.0, 3.0)(LARGE)
    assert custom.min() >= 1.0 and custom.max() <= 3.0
    assert custom.mean() == pytest.approx(2.0, abs=0.01)


def test_constant_initializers():
    assert not init.get("zeros")((2, 3)).any()
    assert (init.get("ones")((2, 3)) == 1).all()
    assert (init.Constant(0.7)((4,)) == np.float32(0.7)).all()


@pytest.mark.parametrize("shape", [(50, 30), (30, 50), (4, 5, 20)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    values = init.Orthogonal(gain=2.0)(shape).astype(np.float64)
    matrix = values.reshape(-1, shape[-1])
    rows, cols = matrix.shape
    gram = matrix.T @ matrix if rows >= cols else matrix @ matrix.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.Orthogonal()((5,))


def test_identity():
    np.testing.assert_array_equal(init.get("identity")((3, 3)), np.eye(3))
    np.testing.assert_array_equal(init.Identity(gain=0.5)((2, 3)), 0.5 * np.eye(2, 3))
    with pytest.raises(ValueError, match="2-D"):
        init.Identity()((2, 2, 2))


@pytest.mark.parametrize("name", sorted(init._by_name))
def test_every_initializer_returns_the_requested_shape_and_dtype(name):
    initializer = init.get(name)
    assert initializer((6, 6)).shape == (6, 6)
    assert initializer((6, 6)).dtype == np.float32
    assert initializer((6, 6), dtype="float64").dtype == np.float64


def test_seeded_initializer_repeats_and_unseeded_follows_manual_seed():
    seeded = init.HeNormal(seed=3)
    np.testing.assert_array_equal(seeded((20, 10)), seeded((20, 10)))
    np.testing.assert_array_equal(seeded((20, 10)), init.HeNormal(seed=3)((20, 10)))
    assert (init.HeNormal(seed=4)((20, 10)) != seeded((20, 10))).any()
    tg.manual_seed(1)
    first = init.get("glorot_uniform")((20, 10))
    second = init.get("glorot_uniform")((20, 10))
    assert (first != second).any()
    tg.manual_seed(1)
    np.testing.assert_array_equal(init.get("glorot_uniform")((20, 10)), first)
    with pytest.raises(ValueError, match="seed"):
        init.RandomNormal(seed=-1)


def test_manual_seed_reproduces_a_model():
    tg.manual_seed(5)
    a = Dense(4, input_dim=3).kernel.numpy()
    tg.manual_seed(5)
    b = Dense(4, input_dim=3).kernel.numpy()
    np.testing.assert_array_equal(a, b)


def test_get_by_name_class_name_config_and_object():
    assert isinstance(init.get("HeNormal"), init.HeNormal)
    existing = init.LecunNormal(seed=2)
    assert init.get(existing) is existing
    described = init.serialize(init.VarianceScaling(2.0, "fan_out", "uniform", seed=9))
    rebuilt = init.get(described)
    assert rebuilt.get_config() == {"scale": 2.0, "mode": "fan_out", "distribution": "uniform",
                                    "seed": 9}
    assert init.get(init.serialize(init.HeNormal(seed=1))).get_config() == {"seed": 1}
    with pytest.raises(ValueError, match="Did you mean 'glorot_uniform'"):
        init.get("glorot_unifrom")
    with pytest.raises(TypeError, match="initializer must be"):
        init.get(3)
    with pytest.raises(TypeError, match="cannot serialize"):
        init.serialize(lambda shape, dtype: np.zeros(shape))


def test_callable_initializer_is_used_by_layers():
    layer = Dense(2, input_dim=2, kernel_initializer=lambda shape, dtype: np.full(shape, 3.0))
    assert (layer.kernel.numpy() == 3.0).all()
