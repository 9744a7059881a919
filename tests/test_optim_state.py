"""Saving and resuming: 10 steps, save, load into a new optimizer, 10 more steps must equal 20
uninterrupted steps bit for bit."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim

CONFIGS = [
    ("sgd", {}),
    ("momentum", {}),
    ("nesterov", {"decay": 0.1}),
    ("adagrad", {}),
    ("rmsprop", {"momentum": 0.5, "centered": True}),
    ("adadelta", {"lr": 1.0}),
    ("adam", {"clipnorm": 0.5}),
    ("amsgrad", {"global_clipnorm": 0.5}),
    ("adamw", {"clipvalue": 0.1}),
    ("adamax", {"lr": optim.CosineDecayRestarts(0.01, 4)}),
    ("nadam", {}),
    ("nadam", {"lr": optim.ExponentialDecay(0.01, 3, 0.5)}),
    ("lion", {"weight_decay": 0.1}),
    ("ftrl", {"l1_regularization_strength": 0.01}),
    ("lamb", {}),
    ("adafactor", {}),
    ("radam", {}),
]


def make_params(seed=0):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.normal(size=(5, 3)), requires_grad=True),
            Tensor(rng.normal(size=3), requires_grad=True)]


def train(opt, params, steps):
    """Steps on f = sum(p**3 / 3 - p): the gradient depends on the weights, so any difference
    in the state shows up in later steps."""
    for _ in range(steps):
        for p in params:
            p.grad = Tensor._wrap(p.data**2 - 1.0)
        opt.step()


@pytest.mark.parametrize("load_before_bind", [True, False])
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in
                                                             enumerate(CONFIGS)])
def test_resume_is_bit_for_bit(name, kwargs, load_before_bind):
    params = make_params()
    uninterrupted = optim.get(name, **kwargs).bind(params)
    train(uninterrupted, params, 20)

    first = make_params()
    opt = optim.get(name, **kwargs).bind(first)
    train(opt, first, 10)
    saved = opt.state_dict()
    weights_at_save = [p.data.copy() for p in first]
    train(opt, first, 3)  # the saved state is a copy: later steps do not change it

    resumed = [Tensor(w, requires_grad=True) for w in weights_at_save]
    fresh = optim.get(name, **kwargs)
    if load_before_bind:  # kept until the parameters arrive, as compile() binds later
        fresh.load_state_dict(saved)
        fresh.bind(resumed)
    else:
        fresh.bind(resumed)
        fresh.load_state_dict(saved)
    assert fresh.iterations == 10
    train(fresh, resumed, 10)

    for p, q in zip(resumed, params):
        assert p.data.dtype == q.data.dtype == np.float32
        assert np.array_equal(p.data, q.data), f"{name}: resumed run differs"


def test_state_dict_is_plain_data_with_copies():
    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    train(opt, params, 2)
    state = opt.state_dict()
    assert state["optimizer"] == "Adam" and state["iterations"] == 2
    assert state["learning_rate"] == 0.1
    assert set(state["slots"]) == {"m", "v"} and len(state["slots"]["m"]) == 2
    assert state["slots"]["m"][0] is not opt.m[0]
    np.testing.assert_array_equal(state["slots"]["m"][0], opt.m[0])


def test_load_restores_a_changed_learning_rate():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)
    opt.learning_rate = 0.02  # e.g. ReduceLROnPlateau
    other = optim.SGD(make_params(), lr=0.1)
    other.load_state_dict(opt.state_dict())
    assert other.learning_rate == 0.02


def test_nadam_saves_its_momentum_product():
    params = make_params()
    opt = optim.Nadam(params)
    train(opt, params, 4)
    beta_1 = 0.9
    expected = np.prod([beta_1 * (1 - 0.5 * 0.96**t) for t in range(1, 5)])
    assert opt.state_dict()["scalars"]["u_product"] == pytest.approx(expected, rel=1e-14)


def test_load_rejects_the_wrong_optimizer_or_shapes():
    params = make_params()
    adam = optim.Adam(params)
    train(adam, params, 1)
    with pytest.raises(ValueError, match="'Adam' optimizer"):
        optim.Nadam(make_params()).load_state_dict(adam.state_dict())
    with pytest.raises(ValueError, match="other options"):
        optim.Adam(make_params(), amsgrad=True).load_state_dict(adam.state_dict())
    with pytest.raises(ValueError, match="shape"):
        optim.Adam([Tensor(np.ones((2, 2)), requires_grad=True), Tensor(np.ones(3))]
                   ).load_state_dict(adam.state_dict())
    with pytest.raises(ValueError, match="2 saved 'm' arrays for 1 parameters"):
        optim.Adam(make_params()[:1]).load_state_dict(adam.state_dict())
