"""Trajectories of every optimizer and option against Keras 3, given the same gradients.

Both sides start from the same float64 weights; at each of 50 steps the gradient is computed
once (from our weights) and handed to both optimizers. The weights must agree to 1e-5
relative after every step.
"""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from tinygrad_edu import Tensor, optim  # noqa: E402

STEPS = 50
# Keras's own Nadam converts a torch scalar with np.array(), which numpy 2 warns about
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


@pytest.fixture(scope="module", autouse=True)
def _keras_float64():
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")  # Keras keeps the learning rate in floatx
    yield
    keras.config.set_floatx(previous)


# ----- two problems: a random quadratic and a small MLP ---------------------------------------
class Quadratic:
    """f = 0.5 x'Ax + b'x + 0.5 sum(s * (W - W0)**2): a vector and a matrix parameter."""

    def __init__(self, seed=1):
        rng = np.random.default_rng(seed)
        q = rng.normal(size=(6, 6))
        self.a = q @ q.T / 6 + 0.5 * np.eye(6)
        self.b = rng.normal(size=6)
        self.w0 = rng.normal(size=(4, 3))
        self.s = rng.uniform(0.2, 3.0, size=(4, 3))
        self.initial = [rng.normal(size=6) * 2, rng.normal(size=(4, 3))]

    def grads(self, values):
        x, w = values
        return [self.a @ x + self.b, self.s * (w - self.w0)]


class MLP:
    """A 4-8-3 tanh network with a mean-squared error, gradients from our own autograd."""

    def __init__(self, seed=2):
        rng = np.random.default_rng(seed)
        self.x = Tensor(rng.normal(size=(16, 4)), dtype="float64")
        self.y = Tensor(rng.normal(size=(16, 3)), dtype="float64")
        self.initial = [rng.normal(size=(4, 8)) * 0.5, rng.normal(size=8) * 0.1,
                        rng.normal(size=(8, 3)) * 0.5, rng.normal(size=3) * 0.1]

    def grads(self, values):
        w1, b1, w2, b2 = [Tensor(v, dtype="float64", requires_grad=True) for v in values]
        hidden = (self.x @ w1 + b1).tanh()
        loss = ((hidden @ w2 + b2 - self.y) ** 2).mean()
        loss.backward()
        return [t.grad.data for t in (w1, b1, w2, b2)]


class OddShapes:
    """A 4-D kernel (NHWC convolution), a 0-d scalar and a 3-D tensor: f = 0.5 ||p - target||**2."""

    def __init__(self, seed=3):
        rng = np.random.default_rng(seed)
        self.initial = [rng.normal(size=(2, 3, 4, 5)), np.array(1.5), rng.normal(size=(3, 4, 2))]
        self.targets = [rng.normal(size=v.shape) for v in self.initial]

    def grads(self, values):
        return [value - target for value, target in zip(values, self.targets)]


class Both:
    """The quadratic's and the MLP's parameters in one optimizer: one Keras call per step."""

    def __init__(self, problems):
        self.problems = problems
        self.initial = [v for problem in problems for v in problem.initial]

    def grads(self, values):
        grads, start = [], 0
        for problem in self.problems:
            count = len(problem.initial)
            grads += problem.grads(values[start:start + count])
            start += count
        return grads


PROBLEM = Both([Quadratic(), MLP()])


# ----- running both sides -------------------------------------------------------------------
def keras_learning_rate(learning_rate, decay):
    if isinstance(learning_rate, optim.LearningRateSchedule):
        keras_class = getattr(keras.optimizers.schedules, type(learning_rate).__name__)
        learning_rate = keras_class(**learning_rate.get_config())
    if decay:  # old Keras's decay is an inverse-time decay with decay_steps=1
        assert not callable(learning_rate)
        learning_rate = keras.optimizers.schedules.InverseTimeDecay(learning_rate, 1, decay)
    return learning_rate


def to_numpy(variable):
    value = variable.value  # torch's tensor straight to numpy (np.array(...) warns on numpy 2)
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def run_both(name, kwargs, problem=PROBLEM, steps=STEPS):
    ours_class = optim.OPTIMIZERS[name][0]
    kwargs = {**optim.OPTIMIZERS[name][1], **kwargs}
    params = [Tensor(v, dtype="float64", requires_grad=True) for v in problem.initial]
    ours = ours_class(params, **kwargs)

    keras_kwargs = dict(kwargs)
    learning_rate = keras_kwargs.pop("learning_rate", ours_class().learning_rate)
    keras_kwargs["learning_rate"] = keras_learning_rate(learning_rate,
                                                        keras_kwargs.pop("decay", 0.0))
    theirs = getattr(keras.optimizers, ours_class.__name__)(**keras_kwargs)
    variables = [keras.Variable(v, dtype="float64") for v in problem.initial]

    for step in range(steps):
        grads = problem.grads([p.data for p in params])
        for param, grad in zip(params, grads):
            param.grad = Tensor(grad, dtype="float64")
        ours.step()
        theirs.apply_gradients(
            [(keras.ops.convert_to_tensor(g), v) for g, v in zip(grads, variables)])
        for param, variable in zip(params, variables):
            expected = to_numpy(variable)
            # atol: elements that cross zero; Keras's torch backend also rounds a few scalars
            # to float32 (Adafactor's min(lr, 1/sqrt(t))), a 1e-8 relative difference
            atol = 1e-7 * np.abs(expected).max()
            if not np.all(np.abs(param.data - expected) <= atol + 1e-5 * np.abs(expected)):
                np.testing.assert_allclose(param.data, expected, rtol=1e-5, atol=atol,
                                           err_msg=f"{name} {kwargs} step {step + 1}")
    moved = max(np.abs(p.data - v).max() for p, v in zip(params, problem.initial))
    assert moved > 1e-3, "the comparison is only meaningful if the weights move"


# every optimizer with its defaults, the course's configurations and each optimizer's options
CONFIGS = [
    ("sgd", {"learning_rate": 0.05}),
    ("momentum", {"learning_rate": 0.05}),
    ("nesterov", {"learning_rate": 0.05}),
    ("adagrad", {"learning_rate": 0.1}),
    ("adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    ("rmsprop", {"learning_rate": 0.01}),
    ("rmsprop", {"learning_rate": 0.01, "momentum": 0.8}),
    ("rmsprop", {"learning_rate": 0.01, "centered": True}),
    ("rmsprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "rho": 0.8}),
    ("adadelta", {"learning_rate": 1.0}),
    ("adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-4}),
    ("adam", {"learning_rate": 0.05}),
    ("adam", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}),
    ("amsgrad", {"learning_rate": 0.05}),
    ("adamw", {"learning_rate": 0.05}),
    ("adamw", {"learning_rate": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("adamax", {"learning_rate": 0.05}),
    ("nadam", {"learning_rate": 0.05}),
    ("nadam", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99}),
    ("lion", {"learning_rate": 0.01}),
    ("ftrl", {"learning_rate": 0.1}),
    ("ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.7, "initial_accumulator_value": 0.3,
              "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
              "l2_shrinkage_regularization_strength": 0.03, "beta": 0.5}),
    ("lamb", {"learning_rate": 0.02}),
    ("adafactor", {"learning_rate": 0.05}),
    ("adafactor", {"learning_rate": 0.05, "beta_2_decay": -0.5, "epsilon_2": 1e-2,
                   "clip_threshold": 0.5}),
]


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in
                                                             enumerate(CONFIGS)])
def test_matches_keras(name, kwargs):
    run_both(name, kwargs)


COMMON_OPTIONS = {
    "clipnorm": {"clipnorm": 0.5},
    "clipvalue": {"clipvalue": 0.3},
    "global_clipnorm": {"global_clipnorm": 0.7},
    "weight_decay": {"weight_decay": 0.2},
    "decay": {"decay": 0.05},
}
SCHEDULES = {
    "exponential": optim.ExponentialDecay(0.05, decay_steps=7, decay_rate=0.6),
    "exponential_staircase": optim.ExponentialDecay(0.05, 7, 0.6, staircase=True),
    "piecewise": optim.PiecewiseConstantDecay([10, 25], [0.05, 0.02, 0.005]),
    "polynomial": optim.PolynomialDecay(0.05, decay_steps=30, end_learning_rate=0.001, power=2.0),
    "polynomial_cycle": optim.PolynomialDecay(0.05, 15, 0.001, power=0.5, cycle=True),
    "inverse_time": optim.InverseTimeDecay(0.05, decay_steps=5, decay_rate=0.5),
    "cosine": optim.CosineDecay(0.05, decay_steps=40, alpha=0.1),
    "cosine_warmup": optim.CosineDecay(0.0, decay_steps=30, warmup_target=0.05,
                                       warmup_steps=10),
    "cosine_restarts": optim.CosineDecayRestarts(0.05, first_decay_steps=9, t_mul=1.5,
                                                 m_mul=0.8, alpha=0.05),
}


@pytest.mark.parametrize("name", ["momentum", "adam"])
@pytest.mark.parametrize("option", list(COMMON_OPTIONS) + list(SCHEDULES))
def test_options_match_keras(option, name):
    if option in SCHEDULES:
        kwargs = {"learning_rate": SCHEDULES[option]}
    else:
        kwargs = {"learning_rate": 0.05, **COMMON_OPTIONS[option]}
    run_both(name, kwargs)


@pytest.mark.parametrize("name", [n for n in optim.OPTIMIZERS if n != "radam"])
def test_conv_kernels_and_scalars_match_keras(name):
    # Adafactor factors the last two axes; 0-d weights give numpy scalars, not arrays
    run_both(name, next(kwargs for n, kwargs in CONFIGS if n == name), OddShapes(), steps=20)


def _with_option(name, option):
    base = next(kwargs for n, kwargs in CONFIGS if n == name)
    return {**base, **COMMON_OPTIONS[option]}


@pytest.mark.parametrize("name", ["ftrl", "lamb", "adafactor"])
def test_weight_decay_before_rules_that_read_the_weights(name):
    # these rules use p itself (FTRL's linear term, LAMB's trust ratio, Adafactor's scale),
    # so the order "decay the weights, then update" must be Keras's
    run_both(name, _with_option(name, "weight_decay"))


@pytest.mark.parametrize("option", list(COMMON_OPTIONS))
@pytest.mark.parametrize("name", [n for n in optim.OPTIMIZERS if n != "radam"])
def test_every_optimizer_with_each_option_matches_keras(name, option):
    run_both(name, _with_option(name, option))
