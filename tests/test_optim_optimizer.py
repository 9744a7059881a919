"""The behaviour every optimizer shares: arguments, names, parameters, skipping, dtypes, the
learning rate, and what happens to a NaN gradient."""

import warnings

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim
from tinygrad_edu.autograd import state
from tinygrad_edu.optim import optimizer as optimizer_module

ALL_NAMES = list(optim.OPTIMIZERS)


def make_params(dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.normal(size=(4, 3)), dtype=dtype, requires_grad=True),
            Tensor(rng.normal(size=3), dtype=dtype, requires_grad=True)]


def set_grads(params, seed=1):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = Tensor(rng.normal(size=p.shape), dtype=p.dtype)


# ----- arguments ------------------------------------------------------------------------------
BAD = [
    (optim.SGD, {"lr": -0.1}, "learning_rate"),
    (optim.SGD, {"learning_rate": float("nan")}, "learning_rate"),
    (optim.SGD, {"momentum": -0.1}, "momentum"),
    (optim.SGD, {"momentum": 1.5}, "momentum"),
    (optim.SGD, {"decay": -1.0}, "decay"),
    (optim.SGD, {"weight_decay": -1.0}, "weight_decay"),
    (optim.SGD, {"clipnorm": 0.0}, "clipnorm"),
    (optim.SGD, {"clipvalue": -1.0}, "clipvalue"),
    (optim.SGD, {"global_clipnorm": 0.0}, "global_clipnorm"),
    (optim.SGD, {"clipnorm": 1.0, "clipvalue": 1.0}, "only one of"),
    (optim.Adagrad, {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
    (optim.Adagrad, {"epsilon": 0.0}, "epsilon"),
    (optim.RMSprop, {"rho": 1.0}, "rho"),
    (optim.RMSprop, {"momentum": -0.5}, "momentum"),
    (optim.RMSprop, {"epsilon": -1e-7}, "epsilon"),
    (optim.Adadelta, {"rho": -0.1}, "rho"),
    (optim.Adadelta, {"epsilon": 0.0}, "epsilon"),
    (optim.Adam, {"beta_1": 1.0}, "beta_1"),
    (optim.Adam, {"beta_1": -0.1}, "beta_1"),
    (optim.Adam, {"beta_2": 1.5}, "beta_2"),
    (optim.Adam, {"epsilon": 0.0}, "epsilon"),
    (optim.AdamW, {"weight_decay": None}, "weight_decay"),
    (optim.Adamax, {"beta_2": 1.0}, "beta_2"),
    (optim.Nadam, {"beta_1": 1.2}, "beta_1"),
    (optim.Nadam, {"epsilon": -1.0}, "epsilon"),
    (optim.Lion, {"beta_1": 0.0}, "beta_1"),
    (optim.Lion, {"beta_2": 1.0}, "beta_2"),
    (optim.Ftrl, {"learning_rate_power": 0.5}, "learning_rate_power"),
    (optim.Ftrl, {"l1_regularization_strength": -1.0}, "l1_regularization_strength"),
    (optim.Ftrl, {"beta": -1.0}, "beta"),
    (optim.Lamb, {"epsilon": 0.0}, "epsilon"),
    (optim.Adafactor, {"epsilon_2": 0.0}, "epsilon_2"),
    (optim.Adafactor, {"beta_2_decay": 0.5}, "beta_2_decay"),
    (optim.Adafactor, {"clip_threshold": 0.0}, "clip_threshold"),
    (optim.RAdam, {"beta_2": 1.0}, "beta_2"),
]


@pytest.mark.parametrize(("optimizer_class", "kwargs", "message"), BAD,
                         ids=[f"{c.__name__}-{m}-{i}" for i, (c, _, m) in enumerate(BAD)])
def test_bad_hyperparameters_name_the_argument(optimizer_class, kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizer_class(**kwargs)


def test_wrong_types_and_unknown_arguments():
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        optim.Adam(lr="fast")
    with pytest.raises(TypeError, match="did you mean 'beta_1'"):
        optim.Adam(betta_1=0.9)
    with pytest.raises(TypeError, match="did you mean 'momentum'"):
        optim.SGD(momentun=0.9)


def test_learning_rate_setter_checks_too():
    opt = optim.Adam()
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0


# ----- names ----------------------------------------------------------------------------------
def test_every_course_name_is_known():
    assert ALL_NAMES == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
                         "amsgrad", "adamw", "adamax", "nadam", "lion", "ftrl", "lamb",
                         "adafactor", "radam"]
    for name in ALL_NAMES:
        assert isinstance(optim.get(name), optim.Optimizer)


def test_configured_names():
    momentum, nesterov, amsgrad = (optim.get(n) for n in ("momentum", "nesterov", "amsgrad"))
    assert type(momentum) is optim.SGD and momentum.momentum == 0.9 and not momentum.nesterov
    assert nesterov.momentum == 0.9 and nesterov.nesterov
    assert type(amsgrad) is optim.Adam and amsgrad.amsgrad
    assert type(optim.get("adam")) is optim.Adam and not optim.get("adam").amsgrad


def test_get_accepts_class_names_instances_classes_and_configs():
    assert type(optim.get("RMSprop")) is optim.RMSprop
    assert type(optim.get(" AdamW ")) is optim.AdamW
    opt = optim.Nadam(lr=0.01)
    assert optim.get(opt) is opt
    assert type(optim.get(optim.Lion)) is optim.Lion
    assert optim.get("sgd", lr=0.5).learning_rate == 0.5
    config = {"class_name": "Adam", "config": optim.Adam(lr=optim.ExponentialDecay(
        0.1, 10, 0.5), beta_1=0.8).get_config()}
    rebuilt = optim.get(config)
    assert rebuilt.beta_1 == 0.8 and rebuilt.learning_rate == 0.1
    assert isinstance(rebuilt._schedule, optim.ExponentialDecay)


def test_unknown_name_suggests_the_closest_and_lists_all():
    with pytest.raises(ValueError, match="Did you mean 'adam'") as error:
        optim.get("adm")
    assert all(name in str(error.value) for name in ALL_NAMES)
    with pytest.raises(TypeError, match="optimizer name"):
        optim.get(3)


def test_repr_shows_the_settings():
    assert repr(optim.SGD(lr=0.1, momentum=0.9)) == (
        "SGD(learning_rate=0.1, momentum=0.9, nesterov=False)")


# ----- parameters -----------------------------------------------------------------------------
def test_keras_style_positional_learning_rate():
    assert optim.SGD(0.05).learning_rate == 0.05
    params = make_params()
    opt = optim.Adam(params, 0.01)
    assert opt.learning_rate == 0.01 and opt.params == params


def test_bind_later_and_step_before_bind():
    opt = optim.Adam(lr=0.1)
    with pytest.raises(RuntimeError, match="bind"):
        opt.step()
    params = make_params()
    assert opt.bind(iter(params)) is opt  # any iterable, e.g. model.parameters()
    set_grads(params)
    opt.step()
    assert opt.iterations == 1


def test_rebinding_the_same_params_keeps_state_and_other_params_start_afresh():
    params = make_params()
    opt = optim.Adam(params)
    set_grads(params)
    opt.step()
    m = opt.m[0]
    opt.bind(params)
    assert opt.m[0] is m and opt.iterations == 1
    opt.bind(make_params(seed=3))
    assert opt.iterations == 0 and not opt.m[0].any()


def test_bad_parameter_lists():
    with pytest.raises(TypeError, match="must be Tensors"):
        optim.SGD([np.zeros(3)])
    with pytest.raises(TypeError, match="floating"):
        optim.SGD([Tensor([1, 2, 3])])
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([])


def test_a_shared_weight_is_updated_once():
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w, w], lr=0.5)
    assert len(opt.params) == 1
    w.grad = Tensor([1.0, 1.0])
    opt.step()
    assert w.tolist() == [0.5, 1.5]


def test_gradient_shape_must_match():
    w = Tensor([1.0, 2.0], requires_grad=True)
    w.grad = Tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"gradient of shape \(3,\).*shape \(2,\)"):
        optim.SGD([w]).step()


class Frozen(Tensor):
    trainable = False


@pytest.mark.parametrize("name", ALL_NAMES)
def test_frozen_params_and_params_without_grad_are_skipped(name):
    updated, without_grad = make_params()
    frozen = Frozen(np.ones(3), requires_grad=True)
    opt = optim.get(name, weight_decay=0.1).bind([updated, without_grad, frozen])
    before = [p.data.copy() for p in (updated, without_grad, frozen)]
    updated.grad = Tensor(np.ones((4, 3)))
    frozen.grad = Tensor(np.ones(3))
    clock = state.version_clock
    opt.step()
    assert not np.array_equal(updated.data, before[0])
    assert np.array_equal(without_grad.data, before[1]) and without_grad._version == 0
    assert np.array_equal(frozen.data, before[2]) and frozen._version == 0
    # one in-place change recorded, on the updated parameter only
    assert state.version_clock == clock + 1 and updated._version == state.version_clock


def test_keras_parameters_with_trainable_false_are_skipped():
    nn = pytest.importorskip("tinygrad_edu.nn")
    weight = nn.Parameter(np.ones(2))
    opt = optim.SGD([weight], lr=1.0)
    weight.grad = Tensor([1.0, 1.0])
    weight.trainable = False
    with pytest.warns(UserWarning, match="no parameter has a gradient"):
        opt.step()
    assert weight.tolist() == [1.0, 1.0]


def test_zero_grad_forgets_gradients():
    params = make_params()
    opt = optim.SGD(params)
    set_grads(params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_without_any_gradient_warns_and_does_nothing():
    params = make_params()
    opt = optim.Adam(params)
    with pytest.warns(UserWarning, match="call loss.backward"):
        opt.step()
    assert opt.iterations == 0


def test_exclude_from_weight_decay():
    kernel = Tensor(np.ones(2), requires_grad=True, name="dense.kernel")
    bias = Tensor(np.ones(2), requires_grad=True, name="dense.bias")
    other = Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([kernel, bias, other], lr=0.5, weight_decay=0.2)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    for p in (kernel, bias, other):
        p.grad = Tensor(np.zeros(2))
    opt.step()
    assert kernel.tolist() == pytest.approx([0.9, 0.9])
    assert bias.tolist() == [1.0, 1.0] and other.tolist() == [1.0, 1.0]


# ----- numbers: float32 stays float32; gradients are never written into -----------------------
@pytest.mark.parametrize("name", ALL_NAMES)
def test_float32_stays_float32(name):
    params = make_params("float32")
    opt = optim.get(name, lr=optim.ExponentialDecay(0.01, 5, 0.9), decay=0.01,
                    weight_decay=0.01, clipnorm=1.0).bind(params)
    for seed in range(3):
        set_grads(params, seed)
        opt.step()
    for p in params:
        assert p.data.dtype == np.float32 and np.isfinite(p.data).all()
    for slot in opt.slot_names:
        for array in getattr(opt, slot):
            assert array is None or array.dtype == np.float32, (name, slot)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_scalars_and_conv_kernels(name):
    params = [Tensor(1.5, requires_grad=True), Tensor(np.ones((2, 3, 4, 5)), requires_grad=True)]
    opt = optim.get(name, weight_decay=0.01, clipnorm=1.0).bind(params)
    for seed in range(3):
        set_grads(params, seed)
        opt.step()
    assert params[0].shape == () and params[0].dtype == np.float32
    assert params[1].dtype == np.float32 and np.isfinite(params[1].data).all()
    assert params[0].item() != 1.5


@pytest.mark.parametrize("clipping", [{}, {"clipnorm": 0.1}, {"clipvalue": 0.1},
                                      {"global_clipnorm": 0.1}])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_gradients_are_never_written_into(name, clipping):
    a, b = make_params()
    shared = np.arange(3.0, dtype=np.float32) - 1.0  # one array behind two gradients
    c = Tensor(np.ones(3), requires_grad=True)
    a.grad = Tensor(np.ones((4, 3)))
    b.grad, c.grad = Tensor._wrap(shared), Tensor._wrap(shared)
    opt = optim.get(name, weight_decay=0.1, **clipping).bind([a, b, c])
    opt.step()
    opt.step()
    assert shared.tolist() == [-1.0, 0.0, 1.0] and a.grad.tolist() == np.ones((4, 3)).tolist()


def test_a_float64_gradient_does_not_turn_float32_state_into_float64():
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w])
    w.grad = Tensor([0.5, 0.5], dtype="float64")
    opt.step()
    assert w.dtype == opt.m[0].dtype == opt.v[0].dtype == np.float32


@pytest.mark.parametrize("name", ALL_NAMES)
def test_config_round_trip(name):
    opt = optim.get(name, lr=optim.CosineDecay(0.1, 10), clipnorm=2.0, decay=0.1)
    again = type(opt).from_config(opt.get_config())
    assert repr(again) == repr(opt)
    assert "clipnorm=2.0" in repr(opt) and "CosineDecay" in repr(opt)


# ----- the learning rate ----------------------------------------------------------------------
def test_learning_rate_is_readable_and_settable_under_both_names():
    opt = optim.SGD(lr=0.1, decay=1.0)
    assert opt.learning_rate == opt.lr == 0.1
    opt.lr = 0.2
    assert opt.learning_rate == 0.2
    opt.iterations = 3
    assert opt.current_learning_rate == pytest.approx(0.2 / 4)  # old decay included


def test_schedule_learning_rate():
    schedule = optim.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = optim.Adam(lr=schedule)
    opt.iterations = 2
    assert opt.learning_rate == pytest.approx(0.025)
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.1
    opt.learning_rate = optim.InverseTimeDecay(0.1, 1, 1.0)  # a new schedule is fine
    assert opt.learning_rate == pytest.approx(0.1 / 3)
    assert optim.Adam(lr=lambda step: 0.5 / (step + 1)).learning_rate == 0.5


# ----- NaN and inf gradients ------------------------------------------------------------------
@pytest.mark.parametrize("clipping", [{"clipnorm": 1.0}, {"global_clipnorm": 1.0},
                                      {"clipvalue": 1.0}])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("name", ["adam", "momentum", "nadam", "rmsprop"])
def test_non_finite_gradient_with_clipping_skips_the_step(name, bad, clipping):
    params = make_params()
    opt = optim.get(name, **clipping).bind(params)
    clean = make_params()
    reference = optim.get(name, **clipping).bind(clean)
    for p in params + clean:
        p.grad = Tensor(np.full(p.shape, 0.5))
    opt.step()
    reference.step()

    before = [p.data.copy() for p in params]
    state = opt.state_dict()
    params[1].grad = Tensor([0.5, bad, 0.5])
    with pytest.warns(RuntimeWarning, match="skipped step 2.*shape \\(3,\\)"):
        opt.step()
    assert opt.iterations == 1 and opt.skipped_steps == 1
    for p, b in zip(params, before):
        assert np.array_equal(p.data, b)
    for slot, arrays in state["slots"].items():
        for saved, now in zip(arrays, getattr(opt, slot)):
            assert np.array_equal(saved, now)

    # the next good step continues exactly as if the bad batch had never come
    for p in params + clean:
        p.grad = Tensor(np.full(p.shape, -0.25))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    reference.step()
    for p, q in zip(params, clean):
        assert np.array_equal(p.data, q.data)


def test_without_clipping_a_nan_reaches_the_weights_as_in_keras():
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w])
    w.grad = Tensor([np.nan, 1.0])
    opt.step()
    assert np.isnan(w.data[0]) and np.isfinite(w.data[1])


@pytest.mark.parametrize("make", [
    lambda params: optim.Adam(params, lr=0.01),
    lambda params: optim.Adam(params, lr=0.01, amsgrad=True),
    lambda params: optim.AdamW(params, lr=0.01),
    lambda params: optim.Adamax(params, lr=0.01),
    lambda params: optim.Nadam(params, lr=0.01),
    lambda params: optim.RAdam(params, lr=0.01),
], ids=["adam", "amsgrad", "adamw", "adamax", "nadam", "radam"])
def test_updates_in_cache_blocks_equal_whole_array_updates(make, monkeypatch):
    rng = np.random.default_rng(0)
    start = rng.standard_normal((300, 250)).astype(np.float32)  # 75,000 elements: 3 blocks
    grads = [rng.standard_normal(start.shape).astype(np.float32) for _ in range(8)]
    assert len(list(optimizer_module.cache_blocks(start, start))) > 1

    def run():
        w = Tensor(start.copy(), requires_grad=True)
        opt = make([w])
        for g in grads:
            w.grad = Tensor(g)
            opt.step()
        return w.numpy()

    blocked = run()
    monkeypatch.setattr(optimizer_module, "BLOCK_ELEMENTS", 10**9)
    whole = run()
    np.testing.assert_array_equal(blocked, whole)
    assert not np.array_equal(blocked, start)


def test_cache_blocks_cover_every_row_once():
    a = np.arange(100_003.0).reshape(-1, 1)
    blocks = [block for (block,) in optimizer_module.cache_blocks(a)]
    assert all(np.shares_memory(block, a) for block in blocks)
    np.testing.assert_array_equal(np.concatenate(blocks), a)
    small = np.ones(10)
    assert [b[0] is small for b in optimizer_module.cache_blocks(small)] == [True]
    scalar = np.array(2.0)
    assert [b[0] is scalar for b in optimizer_module.cache_blocks(scalar)] == [True]
