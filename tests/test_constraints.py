"""Weight constraints: Keras's values, applied after each optimizer step, kept in configs."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import constraints


def _weight(shape, seed=0):
    return np.random.default_rng(seed).normal(scale=2.0, size=shape).astype("float32")


CASES = [
    ("MaxNorm", {}, (5, 3)), ("MaxNorm", {"max_value": 0.5, "axis": 1}, (5, 3)),
    ("MaxNorm", {"max_value": 1.0, "axis": [0, 1, 2]}, (3, 3, 2, 4)),
    ("NonNeg", {}, (4, 3)), ("UnitNorm", {}, (5, 3)), ("UnitNorm", {"axis": 1}, (5, 3)),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.5, "rate": 0.7}, (5, 3)),
]


@pytest.mark.parametrize("name, config, shape", CASES)
def test_values_match_keras(name, config, shape):
    keras = pytest.importorskip("keras")
    w = _weight(shape)
    ours = getattr(constraints, name)(**config)(w)
    theirs = keras.ops.convert_to_numpy(getattr(keras.constraints, name)(**config)(w))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    assert ours.dtype == np.float32


@pytest.mark.parametrize("name", ["MaxNorm", "MinMaxNorm", "UnitNorm"])
def test_defaults_match_keras(name):
    keras = pytest.importorskip("keras")
    ours = getattr(constraints, name)().get_config()
    theirs = getattr(keras.constraints, name)().get_config()
    assert ours == theirs


def test_max_norm_formula_by_hand():
    w = np.array([[3.0, 0.3], [4.0, 0.4]])  # column norms 5 and 0.5
    out = constraints.MaxNorm(2.0)(w)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [2.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], w[:, 1] * 0.5 / (1e-7 + 0.5))


@pytest.mark.parametrize("layer", [
    lambda: tg.nn.Dense(3, input_shape=(4,), kernel_constraint=constraints.MaxNorm(0.5),
                        bias_constraint="non_neg"),
    lambda: tg.nn.Conv2D(2, 3, input_shape=(5, 5, 1),
                         kernel_constraint=constraints.MaxNorm(0.5, axis=[0, 1, 2]),
                         bias_constraint="non_neg"),
])
def test_every_optimizer_step_applies_the_constraints(layer):
    model = tg.nn.Sequential([layer()])
    x = np.random.default_rng(1).normal(size=(8, *model.layers[0].input_shape[1:])) * 10
    target = -20 * np.ones((8, *model.layers[0].output_shape[1:]))
    model.compile(optimizer=tg.optim.SGD(learning_rate=0.5), loss="mse")
    model.fit(x.astype("float32"), target.astype("float32"), epochs=2, batch_size=4, verbose=0)
    kernel, bias = model.layers[0].kernel.numpy(), model.layers[0].bias.numpy()
    axes = tuple(range(kernel.ndim - 1))
    assert np.all(np.sqrt((kernel ** 2).sum(axis=axes)) <= 0.5 + 1e-6)
    assert np.all(bias >= 0)


def test_the_explicit_loop_applies_them_too():
    dense = tg.nn.Dense(2, input_shape=(3,), kernel_constraint="unit_norm")
    optimizer = tg.optim.Adam(dense.parameters(), learning_rate=0.1)
    optimizer.zero_grad()
    (dense(tg.ones(4, 3)) ** 2).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(np.linalg.norm(dense.kernel.numpy(), axis=0), 1.0, rtol=1e-5)


def test_configs_round_trip_and_a_saved_model_keeps_them(tmp_path):
    dense = tg.nn.Dense(3, input_shape=(4,), kernel_constraint=constraints.MaxNorm(3, axis=[0]))
    config = dense.get_config()
    assert config["kernel_constraint"] == {"class_name": "MaxNorm",
                                           "config": {"max_value": 3, "axis": [0]}}
    assert config["bias_constraint"] is None
    twin = tg.nn.Dense.from_config(config) if hasattr(tg.nn.Dense, "from_config") else \
        tg.nn.Dense(**{k: v for k, v in config.items() if k != "name"})
    assert twin.kernel_constraint.get_config() == {"max_value": 3, "axis": (0,)}
    model = tg.nn.Sequential([dense])
    model.save(tmp_path / "m.npz")
    loaded = tg.load_model(tmp_path / "m.npz")
    assert isinstance(loaded.layers[0].kernel.constraint, constraints.MaxNorm)


def test_bad_constraints_are_named():
    with pytest.raises(ValueError, match="Unknown constraint 'max_nrom'. Did you mean 'max_norm'"):
        tg.nn.Dense(2, kernel_constraint="max_nrom")
    with pytest.raises(ValueError, match="axis 2 does not exist for a weight of shape"):
        constraints.MaxNorm(axis=2)(np.ones((3, 2)))
    with pytest.raises(TypeError, match="constraint must be a name"):
        constraints.get(3)
