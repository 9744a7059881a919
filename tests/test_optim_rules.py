"""Every update rule checked by hand: the docstring formula, written out again here in numpy,
against the optimizer, for two steps (so that the state carried between steps counts too)."""

import math

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim

P0 = np.array([0.5, -1.5, 2.0, 0.0])
GRADS = [np.array([0.3, -0.2, 1.5, -4.0]), np.array([-0.1, 0.4, 2.5, 0.5])]


def run(optimizer_class, kwargs, p0=P0, grads=GRADS):
    """Our optimizer from ``p0`` through ``grads`` (float64), returning the final weights."""
    p = Tensor(p0, dtype="float64", requires_grad=True)
    opt = optimizer_class([p], **kwargs)
    for g in grads:
        p.grad = Tensor(g, dtype="float64")
        opt.step()
    return p.data


# ----- the formulas, by hand --------------------------------------------------------------------
def sgd(p, grads, lr=0.01, momentum=0.0, nesterov=False):
    velocity = np.zeros_like(p)
    for g in grads:
        if momentum == 0:
            p = p - lr * g
            continue
        velocity = momentum * velocity - lr * g
        p = p + (momentum * velocity - lr * g if nesterov else velocity)
    return p


def adagrad(p, grads, lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    accumulator = np.full_like(p, initial_accumulator_value)
    for g in grads:
        accumulator = accumulator + g**2
        p = p - lr * g / np.sqrt(accumulator + epsilon)
    return p


def rmsprop(p, grads, lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    v, g_avg, velocity = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        v = rho * v + (1 - rho) * g**2
        if centered:
            g_avg = rho * g_avg + (1 - rho) * g
            denominator = v - g_avg**2 + epsilon
        else:
            denominator = v + epsilon
        increment = lr * g / np.sqrt(denominator)
        if momentum > 0:
            velocity = momentum * velocity + increment
            p = p - velocity
        else:
            p = p - increment
    return p


def adadelta(p, grads, lr=0.001, rho=0.95, epsilon=1e-7):
    accumulated_grad, accumulated_delta = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        accumulated_grad = rho * accumulated_grad + (1 - rho) * g**2
        delta = -np.sqrt(accumulated_delta + epsilon) / np.sqrt(accumulated_grad + epsilon) * g
        accumulated_delta = rho * accumulated_delta + (1 - rho) * delta**2
        p = p + lr * delta
    return p


def adam(p, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
         weight_decay=None):
    m, v, v_max = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if weight_decay:
            p = p - lr * weight_decay * p
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v = v_max
        m_hat = m / (1 - beta_1**t)
        v_hat = v / (1 - beta_2**t)
        epsilon_hat = epsilon / np.sqrt(1 - beta_2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + epsilon_hat)
    return p


def adamax(p, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, u = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        u = np.maximum(beta_2 * u, np.abs(g))
        m_hat = m / (1 - beta_1**t)
        p = p - lr * m_hat / (u + epsilon)
    return p


def nadam(p, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, v, u_product = np.zeros_like(p), np.zeros_like(p), 1.0
    for t, g in enumerate(grads, start=1):
        u_t = beta_1 * (1 - 0.5 * 0.96**t)
        u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return p


def lion(p, grads, lr=0.001, beta_1=0.9, beta_2=0.99):
    m = np.zeros_like(p)
    for g in grads:
        c = beta_1 * m + (1 - beta_1) * g
        p = p - lr * np.sign(c)
        m = beta_2 * m + (1 - beta_2) * g
    return p


def ftrl(p, grads, lr=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
         l1_regularization_strength=0.0, l2_regularization_strength=0.0,
         l2_shrinkage_regularization_strength=0.0, beta=0.0):
    power, l1 = -learning_rate_power, l1_regularization_strength
    n, z = np.full_like(p, initial_accumulator_value), np.zeros_like(p)
    for g in grads:
        g_shrunk = g + 2 * l2_shrinkage_regularization_strength * p
        n_new = n + g**2
        sigma = (n_new**power - n**power) / lr
        z = z + g_shrunk - sigma * p
        quadratic = n_new**power / lr + 2 * (l2_regularization_strength + beta / (2 * lr))
        p = (np.clip(z, -l1, l1) - z) / quadratic
        n = n_new
    return p


def lamb(p, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = m / (1 - beta_1**t)
        v_hat = v / (1 - beta_2**t)
        update = m_hat / (np.sqrt(v_hat) + epsilon)
        p_norm, update_norm = np.linalg.norm(p), np.linalg.norm(update)
        ratio = p_norm / update_norm if p_norm > 0 and update_norm > 0 else 1.0
        p = p - ratio * lr * update
    return p


def adafactor(p, grads, lr=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
              clip_threshold=1.0):
    def rms(x):
        return np.sqrt(np.mean(x**2))

    r = np.zeros(p.shape[:-1]) if p.ndim >= 2 else None
    c = np.zeros(p.shape[:-2] + p.shape[-1:]) if p.ndim >= 2 else None
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        rho_t = min(lr, 1 / np.sqrt(t))
        alpha_t = max(epsilon_2, rms(p)) * rho_t
        g2 = g**2 + epsilon_1
        beta_2_t = 1 - t**beta_2_decay
        if p.ndim >= 2:
            r = beta_2_t * r + (1 - beta_2_t) * g2.mean(axis=-1)
            c = beta_2_t * c + (1 - beta_2_t) * g2.mean(axis=-2)
            v = np.einsum("i,j->ij", r / r.mean(), c)
        else:
            v = beta_2_t * v + (1 - beta_2_t) * g2
        u = g / np.sqrt(v)
        u_hat = u / max(1.0, rms(u) / clip_threshold)
        p = p - alpha_t * u_hat
    return p


def radam(p, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = m / (1 - beta_1**t)
        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
        if rho_t <= 5:
            p = p - lr * m_hat
            continue
        v_hat = v / (1 - beta_2**t)
        epsilon_hat = epsilon / np.sqrt(1 - beta_2**t)
        r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        p = p - lr * r_t * m_hat / (np.sqrt(v_hat) + epsilon_hat)
    return p


CASES = [
    (optim.SGD, sgd, {"lr": 0.1}),
    (optim.SGD, sgd, {"lr": 0.1, "momentum": 0.9}),
    (optim.SGD, sgd, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (optim.Adagrad, adagrad, {"lr": 0.1}),
    (optim.Adagrad, adagrad, {"lr": 0.1, "initial_accumulator_value": 0.0, "epsilon": 1e-3}),
    (optim.RMSprop, rmsprop, {"lr": 0.01}),
    (optim.RMSprop, rmsprop, {"lr": 0.01, "momentum": 0.7}),
    (optim.RMSprop, rmsprop, {"lr": 0.01, "centered": True}),
    (optim.RMSprop, rmsprop, {"lr": 0.01, "centered": True, "momentum": 0.7, "rho": 0.5}),
    (optim.Adadelta, adadelta, {"lr": 1.0}),
    (optim.Adadelta, adadelta, {"lr": 1.0, "rho": 0.5, "epsilon": 1e-2}),
    (optim.Adam, adam, {"lr": 0.1}),
    (optim.Adam, adam, {"lr": 0.1, "amsgrad": True, "beta_2": 0.5}),
    (optim.Adam, adam, {"lr": 0.1, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 0.1}),
    (optim.AdamW, adam, {"lr": 0.1, "weight_decay": 0.3}),
    (optim.Adamax, adamax, {"lr": 0.1}),
    (optim.Nadam, nadam, {"lr": 0.1}),
    (optim.Nadam, nadam, {"lr": 0.1, "beta_1": 0.5, "beta_2": 0.9}),
    (optim.Lion, lion, {"lr": 0.1}),
    (optim.Ftrl, ftrl, {"lr": 0.1}),
    (optim.Ftrl, ftrl, {"lr": 0.1, "learning_rate_power": -0.3, "initial_accumulator_value": 0.2,
                        "l1_regularization_strength": 0.05, "l2_regularization_strength": 0.1,
                        "l2_shrinkage_regularization_strength": 0.2, "beta": 0.4}),
    (optim.Lamb, lamb, {"lr": 0.1}),
    (optim.Adafactor, adafactor, {"lr": 0.1}),
    (optim.Adafactor, adafactor, {"lr": 0.1, "beta_2_decay": -0.5, "clip_threshold": 0.5}),
    (optim.RAdam, radam, {"lr": 0.1}),
    (optim.RAdam, radam, {"lr": 0.1, "beta_2": 0.6}),  # rho_t > 5 from the first step
]


@pytest.mark.parametrize(("optimizer_class", "rule", "kwargs"), CASES,
                         ids=[f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(CASES)])
def test_update_rule_by_hand(optimizer_class, rule, kwargs):
    expected = rule(P0, GRADS, **kwargs)
    np.testing.assert_allclose(run(optimizer_class, kwargs), expected, rtol=1e-12, atol=1e-14)
    assert not np.allclose(expected, P0)


def test_adafactor_factored_matrix_by_hand():
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(3, 5))
    grads = [rng.normal(size=(3, 5)) for _ in range(3)]
    np.testing.assert_allclose(run(optim.Adafactor, {"lr": 0.1}, p0, grads),
                               adafactor(p0, grads, lr=0.1), rtol=1e-12)


def test_adafactor_keeps_row_and_column_means_only():
    p = Tensor(np.ones((30, 40)), requires_grad=True)
    opt = optim.Adafactor([p])
    assert opt.r[0].shape == (30,) and opt.c[0].shape == (40,) and opt.v[0] is None


def test_radam_takes_momentum_steps_first():
    # with beta_2 = 0.999, rho_t <= 5 for t <= 5: p -= lr * m_hat, no division by sqrt(v)
    grads = [np.full(4, 0.5)] * 5
    np.testing.assert_allclose(run(optim.RAdam, {"lr": 0.1}, grads=grads), P0 - 0.1 * 0.5 * 5)


# ----- the common options, by hand --------------------------------------------------------------
def test_weight_decay_is_decoupled_and_comes_first():
    lr, wd = 0.1, 0.3
    got = run(optim.SGD, {"lr": lr, "weight_decay": wd}, grads=GRADS[:1])
    np.testing.assert_allclose(got, (P0 - lr * wd * P0) - lr * GRADS[0], rtol=1e-14)


def test_old_keras_decay():
    lr, decay = 0.1, 0.5
    got = run(optim.SGD, {"lr": lr, "decay": decay})
    p = P0 - lr / (1 + decay * 0) * GRADS[0]
    p = p - lr / (1 + decay * 1) * GRADS[1]
    np.testing.assert_allclose(got, p, rtol=1e-14)


def test_schedule_is_read_at_the_number_of_updates_done():
    schedule = optim.PiecewiseConstantDecay([0], [0.1, 0.01])  # 0.1 at step 0, then 0.01
    got = run(optim.SGD, {"lr": schedule})
    np.testing.assert_allclose(got, P0 - 0.1 * GRADS[0] - 0.01 * GRADS[1], rtol=1e-14)


def test_clipnorm_clips_each_tensor_separately():
    a = Tensor([3.0, 4.0], dtype="float64", requires_grad=True)  # gradient norm 5
    b = Tensor([1.0], dtype="float64", requires_grad=True)  # gradient norm 0.5
    a.grad, b.grad = Tensor([3.0, 4.0], dtype="float64"), Tensor([0.5], dtype="float64")
    optim.SGD([a, b], lr=1.0, clipnorm=1.0).step()
    np.testing.assert_allclose(a.data, [3.0 - 0.6, 4.0 - 0.8])
    np.testing.assert_allclose(b.data, [0.5])


def test_global_clipnorm_scales_all_tensors_together():
    a = Tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    b = Tensor([1.0], dtype="float64", requires_grad=True)
    a.grad, b.grad = Tensor([3.0, 4.0], dtype="float64"), Tensor([12.0], dtype="float64")
    optim.SGD([a, b], lr=1.0, global_clipnorm=1.3).step()  # global norm 13 -> scale 0.1
    np.testing.assert_allclose(a.data, [3.0 - 0.3, 4.0 - 0.4])
    np.testing.assert_allclose(b.data, [1.0 - 1.2])


def test_clipvalue_clips_each_element():
    got = run(optim.SGD, {"lr": 1.0, "clipvalue": 0.35}, grads=GRADS[:1])
    np.testing.assert_allclose(got, P0 - np.clip(GRADS[0], -0.35, 0.35))


# ----- the course's picture: every optimizer walks downhill on f = x0**2/20 + x1**2 -------------
PATH_SETTINGS = {  # learning rates of the course's optimizer-path figure, and suitable others
    "sgd": {"lr": 0.95}, "momentum": {"lr": 0.1}, "nesterov": {"lr": 0.1},
    "adagrad": {"lr": 1.5}, "rmsprop": {"lr": 0.1}, "adadelta": {"lr": 1.0, "epsilon": 1e-2},
    "adam": {"lr": 0.3}, "amsgrad": {"lr": 0.3}, "adamw": {"lr": 0.3}, "adamax": {"lr": 0.3},
    "nadam": {"lr": 0.3}, "lion": {"lr": 0.1}, "ftrl": {"lr": 1.0}, "lamb": {"lr": 0.05},
    "adafactor": {"lr": 0.1}, "radam": {"lr": 0.3},
}


def f(x):
    return x[0] ** 2 / 20 + x[1] ** 2


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_each_optimizer_walks_down_the_course_function(name):
    assert set(PATH_SETTINGS) == set(optim.OPTIMIZERS)
    x = Tensor([-7.0, 2.0], requires_grad=True)
    opt = optim.get(name, **PATH_SETTINGS[name])
    opt.bind([x])
    start = f(x).item()
    for _ in range(30):
        opt.zero_grad()
        f(x).backward()
        opt.step()
    assert x.dtype == np.float32
    assert f(x).item() < 0.5 * start, f"{name} ended at {x.tolist()}"
    assert math.isfinite(f(x).item())
