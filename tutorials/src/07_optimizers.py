# %% [markdown]
# # 07 - Optimizers: SGD, Momentum, Nesterov, AdaGrad, RMSprop, AdaDelta, Adam, Nadam
#
# **What the course says.** Plain SGD steps against the gradient, `w <- w - lr * g`. On a
# function that is steep in one direction and flat in another it zig-zags across the
# valley and crawls along it. **Momentum** (and its look-ahead variant **Nesterov**)
# accumulates a velocity that damps the zig-zag and speeds up the crawl. **AdaGrad**
# divides each coordinate's step by the root of its accumulated squared gradients (big steps
# where gradients were small); **RMSprop** and **AdaDelta** use a decaying average instead,
# so the steps do not shrink forever. **Adam** combines momentum and RMSprop with bias
# correction; **Nadam** is Adam with Nesterov momentum. The course's picture: the paths of
# the optimizers on `f(x, y) = x**2 / 20 + y**2`, starting at `(-7, 2)`.
#
# **What to look for.** SGD's zig-zag; momentum overshooting and swinging back; the
# adaptive methods heading straight along the flat direction; then the same optimizers
# training a real network, where the adaptive ones are fast without tuning.

# %%
import inspect
import os

import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, viz
from tinygrad_edu.datasets import load_fashion_mnist

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. One step, written out
#
# Every optimizer's docstring gives its update rule line for line, in the symbols of its
# code; e.g. Adam's (`help(optim.Adam)` shows all of it):

# %%
print(inspect.getdoc(optim.Adam).split("Args:")[0])

# %% [markdown]
# The explicit loop on `f`, with momentum: the optimizer gets the two coordinates as
# parameters; each iteration clears the gradients, evaluates `f`, backpropagates and steps.

# %%
def f(x, y):
    return x ** 2 / 20 + y ** 2


x = tg.Tensor(-7.0, requires_grad=True)
y = tg.Tensor(2.0, requires_grad=True)
opt = optim.SGD([x, y], lr=0.1, momentum=0.9)
for step in range(5):
    opt.zero_grad()
    value = f(x, y)
    value.backward()
    opt.step()
    print(f"step {step + 1}: f = {value.item():.4f} -> (x, y) = ({x.item():.3f}, {y.item():.3f})")

# %% [markdown]
# ## 2. The paths on `x**2 / 20 + y**2`
#
# The course's learning rates: SGD 0.95, Momentum 0.1, AdaGrad 1.5, Adam 0.3 (and the same
# spirit for the others). 30 steps each. The star is the start, the cross the minimum.

# %%
OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.95),
    "Momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "Nesterov": lambda params: optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    "AdaGrad": lambda params: optim.Adagrad(params, lr=1.5),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.3),
    "AdaDelta": lambda params: optim.Adadelta(params, lr=1.0),
    "Adam": lambda params: optim.Adam(params, lr=0.3),
    "Nadam": lambda params: optim.Nadam(params, lr=0.3),
}
viz.plot_optimizer_paths(f, (-7.0, 2.0), OPTIMIZERS, steps=30, xlim=(-10, 10), ylim=(-5, 5))

# %%
paths = viz.optimizer_paths(f, (-7.0, 2.0), OPTIMIZERS, steps=30)
sign_changes = {}
for label, path in paths.items():
    sign_changes[label] = int(np.sum(np.diff(np.sign(path[:, 1])) != 0))
    print(f"{label:9s} end point ({path[-1, 0]:+.3f}, {path[-1, 1]:+.3f}), "
          f"f = {f(*path[-1]):.4f}, y changed sign {sign_changes[label]} times")

# %% [markdown]
# SGD's `y` flips sign at every step (the zig-zag); momentum overshoots in `x` and swings
# back. AdaGrad and RMSprop normalize each coordinate, so both coordinates move at a similar
# pace and they head almost straight for the minimum (RMSprop's steps keep a size of about
# `lr` even near it, so it ends jittering around `y = 0` with a tiny amplitude). AdaDelta
# hardly moves: its step is built from a running
# average of its own past steps, which starts at zero (only `epsilon` lets it start), so it
# needs many steps to get going. Adam and Nadam curve in like momentum, with smaller swings
# (Nadam's look-ahead damps them further).
#
# ## 3. Training a network with each optimizer
#
# The course's comparison: 4 hidden ReLU layers of 100 units (He initialization), mini-batches
# of 128 drawn at random, 2000 iterations, the same initial weights and batches for every
# optimizer. Learning rates: 0.01 for SGD, Momentum, Nesterov and AdaGrad, 0.001 (Keras's
# default) for RMSprop, Adam and Nadam, 1.0 for AdaDelta (its usual setting).

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train.reshape(-1, 784) / np.float32(255)
x_test = x_test.reshape(-1, 784) / np.float32(255)
iterations = 100 if QUICK else 2000
TRAINING = {
    "SGD": lambda params: optim.SGD(params, lr=0.01),
    "Momentum": lambda params: optim.SGD(params, lr=0.01, momentum=0.9),
    "Nesterov": lambda params: optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True),
    "AdaGrad": lambda params: optim.Adagrad(params, lr=0.01),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.001),
    "AdaDelta": lambda params: optim.Adadelta(params, lr=1.0),
    "Adam": lambda params: optim.Adam(params, lr=0.001),
    "Nadam": lambda params: optim.Nadam(params, lr=0.001),
}
loss_fn = tg.losses.SparseCategoricalCrossentropy(from_logits=True)


def mlp(output_activation=None):
    layers = [nn.Dense(100, activation="relu", kernel_initializer="he_normal", input_dim=784)]
    layers += [nn.Dense(100, activation="relu", kernel_initializer="he_normal")
               for _ in range(3)]
    return nn.Sequential([*layers, nn.Dense(10, activation=output_activation)])


loss_curves, test_accuracy = {}, {}
for label, make_optimizer in TRAINING.items():
    tg.manual_seed(0)
    model = mlp()
    opt = make_optimizer(model.parameters())
    rng = np.random.default_rng(0)
    curve = []
    for _ in range(iterations):
        batch = rng.integers(0, len(x_train), 128)
        loss = loss_fn(y_train[batch], model(tg.Tensor(x_train[batch])))
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve.append(loss.item())
    loss_curves[label] = np.array(curve)
    predicted = model.predict(x_test, batch_size=1000).argmax(axis=1)
    test_accuracy[label] = float((predicted == y_test).mean())
    print(f"{label:9s} mean loss of the last 100 iterations {np.mean(curve[-100:]):.3f}, "
          f"test accuracy {test_accuracy[label]:.4f}")

# %%
def smooth(values, window=25):
    return np.convolve(values, np.ones(window) / window, mode="valid")


figure = Figure(figsize=(7, 4.2), layout="constrained")
ax = figure.subplots()
for index, (label, curve) in enumerate(loss_curves.items()):
    ax.plot(smooth(curve), label=label, linestyle="-" if index < 4 else "--")
ax.set_yscale("log")
ax.set_xlabel("iteration")
ax.set_ylabel("training loss (moving average of 25)")
ax.legend(ncol=2)
figure

# %% [markdown]
# Plain SGD is clearly the slowest; momentum, Nesterov and the adaptive methods all do
# better with their usual learning rates.
#
# ## 4. The Keras way: optimizers by name
#
# `compile(optimizer="nadam")` makes a `Nadam` with Keras's defaults; `"momentum"` and
# `"nesterov"` are shorthands for `SGD(momentum=0.9)` (with `nesterov=True`). An object
# gives control over the hyperparameters: `compile(optimizer=optim.Nadam(lr=2e-3))`.

# %%
print(optim.get("nadam"), optim.get("nesterov"), sep="\n")
tg.manual_seed(0)
model = mlp(output_activation="softmax")  # Keras's losses expect probabilities by default
model.compile(optimizer="nadam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train[:2000 if QUICK else 20000], y_train[:2000 if QUICK else 20000],
                    epochs=1 if QUICK else 3, batch_size=128, verbose=0)
keras_style_accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
print(f"nadam by name, test accuracy {keras_style_accuracy:.4f}")

# %% [markdown]
# ## Checks

# %%
assert sign_changes["SGD"] >= 20  # the zig-zag
assert sign_changes["AdaGrad"] <= 2 and abs(paths["RMSprop"][-1, 1]) < 0.01
assert f(*paths["SGD"][-1]) < 0.1 and f(*paths["Adam"][-1]) < 0.5
assert np.linalg.norm(paths["AdaDelta"][-1] - [-7, 2]) < 1.0  # barely moved
final = {label: curve[-50:].mean() for label, curve in loss_curves.items()}
assert final["Adam"] < final["SGD"] and final["Nadam"] < final["SGD"]
assert final["Momentum"] < final["SGD"]
assert all(np.isfinite(curve).all() for curve in loss_curves.values())
assert min(test_accuracy.values()) > 0.3 and keras_style_accuracy > 0.5
print("checks passed")
