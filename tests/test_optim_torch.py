"""RAdam follows PyTorch (Keras has none): 50-step trajectories against ``torch.optim.RAdam``
given the same gradients, and two documented differences of other optimizers."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim

torch = pytest.importorskip("torch")


def quadratic_problem(seed=0):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(5, 5))
    a = q @ q.T / 5 + 0.5 * np.eye(5)
    b = rng.normal(size=5)
    w0 = rng.normal(size=(3, 4))
    initial = [rng.normal(size=5) * 2, rng.normal(size=(3, 4))]

    def grads(values):
        return [a @ values[0] + b, values[1] - w0]

    return initial, grads


def run_against_torch(ours_class, ours_kwargs, torch_class, torch_kwargs, steps=50):
    initial, grads = quadratic_problem()
    params = [Tensor(v, dtype="float64", requires_grad=True) for v in initial]
    ours = ours_class(params, **ours_kwargs)
    theirs_params = [torch.tensor(v, requires_grad=True) for v in initial]
    theirs = torch_class(theirs_params, **torch_kwargs)
    for step in range(steps):
        gs = grads([p.data for p in params])
        for p, q, g in zip(params, theirs_params, gs):
            p.grad = Tensor(g, dtype="float64")
            q.grad = torch.tensor(g)
        ours.step()
        theirs.step()
        for p, q in zip(params, theirs_params):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-12,
                                       err_msg=f"step {step + 1}")
    return params, initial


@pytest.mark.parametrize(("kwargs", "torch_kwargs"), [
    ({"lr": 0.05}, {"lr": 0.05}),
    ({"lr": 0.05, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-3},
     {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-3}),
    ({"lr": 0.05, "weight_decay": 0.1},
     {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
])
def test_radam_matches_pytorch(kwargs, torch_kwargs):
    params, initial = run_against_torch(optim.RAdam, kwargs, torch.optim.RAdam, torch_kwargs)
    assert not np.allclose(params[0].data, initial[0])


def test_sgd_momentum_equals_pytorch_at_a_constant_learning_rate():
    # the buffers differ (Keras keeps lr inside the velocity), the steps do not
    run_against_torch(optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True},
                      torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True})


def test_adam_equals_pytorch_up_to_epsilon_placement():
    # with epsilon far below sqrt(v) the two placements agree
    run_against_torch(optim.Adam, {"lr": 0.05, "epsilon": 1e-12}, torch.optim.Adam,
                      {"lr": 0.05, "eps": 1e-12})
