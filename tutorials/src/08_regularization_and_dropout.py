# %% [markdown]
# # 08 - Overfitting: L1/L2 regularization, weight decay and dropout
#
# **What the course says.** A big network trained on few examples memorizes them: training
# accuracy reaches 100% while test accuracy stays far lower (**overfitting**). Remedies:
#
# * **L2 regularization** adds `lambda * sum(w**2)` to the loss (Keras's `l2(lambda)`,
#   without the textbook's 1/2), pulling every weight towards 0 by `2 * lambda * w`;
# * **L1 regularization** adds `lambda * sum(|w|)`, a constant pull `lambda * sign(w)` that
#   drives many weights to exactly 0 (sparse weights);
# * **weight decay** shrinks the weights directly at each step,
#   `w <- w - lr * weight_decay * w` (Keras 3's optimizer option). For plain SGD this is the
#   same as L2 with `lambda = weight_decay / 2`; for Adam it is not (AdamW);
# * **dropout** switches off a random fraction of the units at every training step, so no
#   unit can rely on particular others; at test time all units are used.
#
# The course's experiment: 300 training images, 7 layers, 200 epochs.
#
# **What to look for.** The gap between training and test accuracy, with and without each
# remedy. (Spoiler: the gap shrinks; the test accuracy hardly moves. With 300 images,
# regularization cannot replace the missing data.) The weight histograms: L1 makes many
# weights zero.

# %%
import os

import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, regularizers, viz
from tinygrad_edu.datasets import load_fashion_mnist

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. The penalties and their gradients
#
# A regularizer is a function of a weight returning a number; autograd gives its gradient.

# %%
w = tg.Tensor([[0.5, -2.0], [0.0, 1.0]], requires_grad=True)
penalties = {"l2(0.1)": regularizers.l2(0.1), "l1(0.1)": regularizers.l1(0.1)}
penalty_values, penalty_grads = {}, {}
for name, penalty in penalties.items():
    w.grad = None
    value = penalty(w)
    value.backward()
    penalty_values[name] = value.item()
    penalty_grads[name] = w.grad.numpy().copy()
    print(f"{name}: penalty {value.item():.3f}, gradient\n{penalty_grads[name]}")

# %% [markdown]
# In a layer: `Dense(..., kernel_regularizer=regularizers.l2(0.01))`. The model collects
# the penalties (`model.regularization_losses()`) and `fit` adds them to the loss, so the
# logged loss includes them (as in Keras).
#
# **L2 and weight decay are the same step for SGD.** One step with `l2(lambda)` in the loss,
# one with `SGD(weight_decay=2 * lambda)`, from the same weights:

# %%
def one_step(kernel_regularizer=None, weight_decay=None):
    tg.manual_seed(0)
    model = nn.Sequential([nn.Dense(3, kernel_regularizer=kernel_regularizer, input_dim=4)])
    opt = optim.SGD(model.parameters(), lr=0.1, weight_decay=weight_decay)
    x = np.ones((2, 4), np.float32)
    loss = (model(tg.Tensor(x)) ** 2).mean()
    for penalty in model.regularization_losses():
        loss = loss + penalty
    opt.zero_grad()
    loss.backward()
    opt.step()
    return model.layers[0].kernel.numpy()


with_l2 = one_step(kernel_regularizer=regularizers.l2(0.05))
with_decay = one_step(weight_decay=0.1)
print("largest difference:", np.abs(with_l2 - with_decay).max())

# %% [markdown]
# ## 2. Dropout, in training and at test time
#
# `Dropout(rate)` zeroes each value with probability `rate` in training mode and scales the
# others by `1 / (1 - rate)` ("inverted dropout"), so the expected value is unchanged and
# nothing needs rescaling at test time, where the layer does nothing. `fit` switches the
# model to training mode; `evaluate` and `predict` to inference mode (`model.eval()`).

# %%
drop = nn.Dropout(0.5, seed=0)
ones = tg.ones(100, 100)
in_training = drop(ones).numpy()
drop.eval()
at_test = drop(ones).numpy()
print(f"training: {np.mean(in_training == 0):.1%} zeros, others = {in_training.max()}, "
      f"mean {in_training.mean():.3f}")
print(f"test:     {np.mean(at_test == 0):.1%} zeros, mean {at_test.mean():.3f}")

# %% [markdown]
# ## 3. Overfitting on 300 images, and the remedies
#
# Six hidden ReLU layers of 100 units and a softmax output (He initialization), SGD with
# learning rate 0.01, batches of 100, 200 epochs, on the first 300 training images. The
# validation curve uses 2000 test images; the final test accuracy all 10000.
#
# Remedies, one at a time: `l2(0.05)` on every kernel (the course's `lambda = 0.1` with its
# 1/2 convention), `l1(0.005)`, decoupled weight decay 0.1 in the optimizer, and dropout 0.2
# after every hidden layer.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train[:300].reshape(-1, 784) / np.float32(255)
y_train = y_train[:300]
x_test = x_test.reshape(-1, 784) / np.float32(255)
epochs = 20 if QUICK else 200
validation = (x_test[:500], y_test[:500]) if QUICK else (x_test[:2000], y_test[:2000])


def seven_layers(kernel_regularizer=None, dropout=0.0):
    layers = []
    for index in range(6):
        layers.append(nn.Dense(100, activation="relu", kernel_initializer="he_normal",
                               kernel_regularizer=kernel_regularizer,
                               input_dim=784 if index == 0 else None))
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Dense(10, activation="softmax", kernel_regularizer=kernel_regularizer))
    return nn.Sequential(layers)


VARIANTS = {
    "none": ({}, {}),
    "L2 0.05": ({"kernel_regularizer": regularizers.l2(0.05)}, {}),
    "L1 0.005": ({"kernel_regularizer": regularizers.l1(0.005)}, {}),
    "weight decay 0.1": ({}, {"weight_decay": 0.1}),
    "dropout 0.2": ({"dropout": 0.2}, {}),
}
histories, results, first_kernels = {}, {}, {}
for label, (model_options, optimizer_options) in VARIANTS.items():
    tg.manual_seed(0)
    model = seven_layers(**model_options)
    model.compile(optimizer=optim.SGD(lr=0.01, **optimizer_options),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    histories[label] = model.fit(x_train, y_train, batch_size=100, epochs=epochs, verbose=0,
                                 validation_data=validation)
    train_accuracy = model.evaluate(x_train, y_train, verbose=0)[1]  # inference mode
    test_accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1]
    results[label] = (train_accuracy, test_accuracy)
    first_kernels[label] = model.layers[0].kernel.numpy().ravel()
    print(f"{label:17s} train {train_accuracy:.3f}  test {test_accuracy:.3f}  "
          f"gap {train_accuracy - test_accuracy:.3f}")

# %%
viz.plot_history(histories, metrics=["accuracy"], separate=True)

# %% [markdown]
# Solid lines: training accuracy (measured during the epoch, so with dropout active);
# dashed: validation. Without a remedy the training accuracy reaches 1 while validation
# stalls far below. Every remedy slows the fit of the training set and narrows the gap
# (L1 at this strength the least). None of them raises the test accuracy, and the strong
# ones lower it a little: the network has seen only 300 images, and regularization cannot
# make up for missing data. (An exercise: repeat with 3000 images and weaker penalties.)
#
# ## 4. What the penalties do to the weights
#
# The first layer's kernel after training: L2 and weight decay shrink all weights, L1 sets
# a large part of them to (almost exactly) zero.

# %%
figure = Figure(figsize=(10, 3), layout="constrained")
axes = figure.subplots(1, 4, sharey=True)
for ax, label in zip(axes, ["none", "L2 0.05", "weight decay 0.1", "L1 0.005"]):
    weights = first_kernels[label]
    ax.hist(weights, bins=60, range=(-0.3, 0.3))
    ax.set_title(f"{label}\n|w| < 0.001: {np.mean(np.abs(weights) < 1e-3):.0%}")
    ax.set_xlabel("weight")
axes[0].set_ylabel("count")
figure

# %% [markdown]
# ## Checks

# %%
assert np.isclose(penalty_values["l2(0.1)"], 0.1 * (0.25 + 4 + 0 + 1))
assert np.isclose(penalty_values["l1(0.1)"], 0.1 * (0.5 + 2 + 0 + 1))
assert np.allclose(penalty_grads["l2(0.1)"], 2 * 0.1 * w.numpy())
assert np.allclose(penalty_grads["l1(0.1)"], 0.1 * np.sign(w.numpy()))
assert np.abs(with_l2 - with_decay).max() < 1e-6
assert 0.45 < np.mean(in_training == 0) < 0.55 and abs(in_training.mean() - 1) < 0.1
assert np.all(at_test == 1)
norm = {label: np.linalg.norm(kernel) for label, kernel in first_kernels.items()}
assert norm["L2 0.05"] < norm["none"] and norm["weight decay 0.1"] < norm["none"]
sparse = {label: np.mean(np.abs(k) < 1e-3) for label, k in first_kernels.items()}
assert sparse["L1 0.005"] > sparse["none"]
gap = {label: train - test for label, (train, test) in results.items()}
if not QUICK:  # claims about the full run
    assert results["none"][0] > 0.99 and gap["none"] > 0.2
    assert gap["L2 0.05"] < gap["none"] and gap["dropout 0.2"] < gap["none"]
    assert sparse["L1 0.005"] > 0.3
print("checks passed")
