"""Learning-rate schedules: the formulas by hand, and Keras 3's values step by step."""

import math
import os

import pytest

from tinygrad_edu.optim import schedules

S = schedules


def test_exponential_decay():
    schedule = S.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    assert schedule(0) == 0.1
    assert schedule(2) == pytest.approx(0.1 * 0.5**0.5)
    assert schedule(8) == pytest.approx(0.025)
    staircase = S.ExponentialDecay(0.1, 4, 0.5, staircase=True)
    assert staircase(3) == 0.1 and staircase(4) == pytest.approx(0.05)


def test_piecewise_constant_decay_includes_each_boundary_in_the_interval_below():
    schedule = S.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
    assert [schedule(s) for s in (0, 5, 6, 10, 11, 100)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_polynomial_decay():
    schedule = S.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=2.0)
    assert schedule(0) == pytest.approx(0.1)
    assert schedule(5) == pytest.approx(0.09 * 0.25 + 0.01)
    assert schedule(10) == schedule(50) == pytest.approx(0.01)
    cycle = S.PolynomialDecay(0.1, 10, 0.0, power=1.0, cycle=True)
    assert cycle(15) == pytest.approx(0.1 * (1 - 15 / 20))  # the horizon grew to 20 steps


def test_inverse_time_decay():
    schedule = S.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5)
    assert schedule(3) == pytest.approx(0.1 / (1 + 0.5 * 1.5))
    staircase = S.InverseTimeDecay(0.1, 2, 0.5, staircase=True)
    assert staircase(3) == pytest.approx(0.1 / 1.5)


def test_cosine_decay_and_warmup():
    schedule = S.CosineDecay(0.1, decay_steps=10, alpha=0.2)
    assert schedule(0) == pytest.approx(0.1)
    assert schedule(5) == pytest.approx(0.1 * (0.8 * 0.5 + 0.2))
    assert schedule(10) == schedule(99) == pytest.approx(0.02)
    warm = S.CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=4)
    assert [warm(s) for s in (0, 2, 4)] == pytest.approx([0.0, 0.05, 0.1])
    assert warm(9) == pytest.approx(0.1 * 0.5)  # half-way through the decay after warmup


def test_cosine_decay_restarts():
    schedule = S.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    assert schedule(5) == pytest.approx(0.5)
    assert schedule(10) == pytest.approx(0.5)  # second cycle (20 steps) starts at m_mul
    assert schedule(20) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    constant_length = S.CosineDecayRestarts(1.0, 10, t_mul=1.0)
    assert constant_length(13) == pytest.approx(constant_length(3))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: S.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: S.PolynomialDecay(0.1, -1), "decay_steps"),
    (lambda: S.InverseTimeDecay(-0.1, 1, 0.5), "initial_learning_rate"),
    (lambda: S.CosineDecay(0.1, 10, alpha=-1.0), "alpha"),
    (lambda: S.CosineDecayRestarts(0.1, 0), "first_decay_steps"),
    (lambda: S.PiecewiseConstantDecay([1, 2], [0.1, 0.2]), "one value more"),
    (lambda: S.PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3]), "increase"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_serialize_round_trip_and_repr():
    schedule = S.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=5)
    again = S.deserialize(S.serialize(schedule))
    assert type(again) is S.CosineDecay and again.get_config() == schedule.get_config()
    assert repr(S.ExponentialDecay(0.1, 10, 0.9)) == (
        "ExponentialDecay(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9, "
        "staircase=False)")
    with pytest.raises(ValueError, match="unknown learning-rate schedule"):
        S.deserialize({"class_name": "Nope", "config": {}})


SCHEDULES = [
    S.ExponentialDecay(0.1, 7, 0.6),
    S.ExponentialDecay(0.1, 7, 0.6, staircase=True),
    S.PiecewiseConstantDecay([10, 25, 40], [0.1, 0.05, 0.02, 0.01]),
    S.PolynomialDecay(0.1, 30, 0.001, power=2.0),
    S.PolynomialDecay(0.1, 15, 0.001, power=0.5, cycle=True),
    S.InverseTimeDecay(0.1, 5, 0.5),
    S.InverseTimeDecay(0.1, 5, 0.5, staircase=True),
    S.CosineDecay(0.1, 40, alpha=0.1),
    S.CosineDecay(0.01, 30, warmup_target=0.1, warmup_steps=10),
    S.CosineDecayRestarts(0.1, 9, t_mul=1.5, m_mul=0.8, alpha=0.05),
    S.CosineDecayRestarts(0.1, 8, t_mul=1.0, m_mul=0.5),
]


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")  # Keras computes schedules in floatx
    yield keras
    keras.config.set_floatx(previous)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=[repr(s) for s in SCHEDULES])
def test_values_match_keras(schedule, keras):
    theirs = getattr(keras.optimizers.schedules, type(schedule).__name__)(
        **schedule.get_config())
    for step in range(0, 80):
        expected = float(theirs(step))
        assert schedule(step) == pytest.approx(expected, rel=1e-12, abs=1e-15), step
