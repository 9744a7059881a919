# %% [markdown]
# # 03 - Loss functions: mean squared error vs cross-entropy
#
# **What the course says.** A loss turns "how wrong is the network" into one number to
# minimize. Mean squared error (MSE) suits regression; for classification with a softmax
# (or sigmoid) output, cross-entropy (CE) is the right partner: combined with softmax its
# gradient with respect to the logits is simply `y - t` (prediction minus target), while
# MSE multiplies that error by the slope of the softmax, which is almost zero when the
# network is confidently wrong. So MSE learns slowly exactly when learning is most needed.
#
# **What to look for.**
# * the two losses on the course's example prediction;
# * `dL/dz` for a saturated, wrong output: large for CE, almost zero for MSE;
# * a single neuron that starts confidently wrong: CE fixes it at once, MSE dawdles;
# * the same network trained on Fashion-MNIST with each loss;
# * logits of +-1000: why losses take `from_logits=True`.

# %%
import os

import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
from tinygrad_edu import losses, nn, optim, viz
from tinygrad_edu.datasets import load_fashion_mnist, to_categorical

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. The two losses on one prediction
#
# The course's example: ten classes, the true class is 2. The first prediction gives it
# probability 0.6, the second gives 0.6 to class 7 instead. Keras's `mean_squared_error`
# averages over the ten outputs (the course's "sum of squares error" is
# `0.5 * sum((y - t)**2)`, the same up to a constant factor).

# %%
t = to_categorical([2], 10)
good = np.array([[0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]], dtype=np.float32)
bad = np.array([[0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]], dtype=np.float32)
example = {}
for name, y in (("right (0.6 on class 2)", good), ("wrong (0.6 on class 7)", bad)):
    sse = 0.5 * float(((y - t) ** 2).sum())
    mse = losses.mean_squared_error(t, y).item()
    ce = losses.categorical_crossentropy(t, y).item()
    example[name] = (sse, mse, ce)
    print(f"{name}: sum of squares {sse:.4f}, Keras mse {mse:.4f}, cross-entropy {ce:.4f}")

# %% [markdown]
# ## 2. The gradient that reaches the logits
#
# One sigmoid output `y = sigmoid(z)` with target `t = 1`. For every `z` we let autograd
# compute `dL/dz` for both losses:
#
# * binary cross-entropy: `dL/dz = y - t`, which tends to -1 when `z` is very negative
#   (confidently wrong): a strong push;
# * squared error: `dL/dz = 2 (y - t) * y (1 - y)`, which tends to 0 there: the sigmoid's
#   flat tail swallows the error.

# %%
z = tg.Tensor(np.linspace(-8, 8, 161), requires_grad=True, dtype="float64")
target = np.ones(161)
slopes = {}
for name, loss_fn in (("cross-entropy", losses.binary_crossentropy),
                      ("squared error", losses.mean_squared_error)):
    z.grad = None
    y = z.sigmoid().reshape(161, 1)
    loss_fn(target.reshape(161, 1), y).sum().backward()
    slopes[name] = z.grad.numpy().copy()

figure = Figure(figsize=(6.5, 3.8), layout="constrained")
ax = figure.subplots()
for name, slope in slopes.items():
    ax.plot(z.numpy(), slope, label=f"{name}: dL/dz")
ax.axvline(0, color="#bbbbbb", linewidth=0.8)
ax.set_xlabel("logit z (target t = 1: z << 0 is confidently wrong)")
ax.set_ylabel("dL/dz")
ax.legend()
ax.grid(True, alpha=0.3)
figure

# %% [markdown]
# ## 3. A neuron that starts confidently wrong
#
# One input `x = 1`, target `0`, weight and bias both 2: the neuron outputs
# `sigmoid(4) = 0.98`. We train it with plain gradient descent (learning rate 0.15), once
# with squared error and once with cross-entropy, in an explicit loop. Watch the first
# epochs: the squared-error neuron hardly moves at first.

# %%
def train_neuron(loss_fn, epochs=300, learning_rate=0.15):
    w = tg.Tensor([[2.0]], requires_grad=True)
    b = tg.Tensor([2.0], requires_grad=True)
    opt = optim.SGD([w, b], lr=learning_rate)
    x_one, t_zero = np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32)
    outputs = []
    for _ in range(epochs):
        y = (tg.Tensor(x_one) @ w + b).sigmoid()
        loss = loss_fn(t_zero, y).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        outputs.append(y.item())
    return np.array(outputs)


neuron = {"squared error": train_neuron(losses.mean_squared_error),
          "cross-entropy": train_neuron(losses.binary_crossentropy)}
figure = Figure(figsize=(6.5, 3.8), layout="constrained")
ax = figure.subplots()
for name, outputs in neuron.items():
    ax.plot(outputs, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("output (target 0)")
ax.set_title("one neuron, starting at w = b = 2")
ax.legend()
figure

# %%
for name, outputs in neuron.items():
    print(f"{name:14s} output after 30 epochs {outputs[29]:.3f}, after 300 {outputs[-1]:.3f}")

# %% [markdown]
# ## 4. Fashion-MNIST with each loss
#
# The same network (784 -> 100 ReLU -> 10 softmax), the same initial weights, the same
# SGD: only the loss differs. Keras style: `compile` and `fit`, validating on the last 10%
# of the training images.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
train_count = 3000 if QUICK else 30000
epochs = 2 if QUICK else 10
x_train = x_train[:train_count].reshape(-1, 784) / np.float32(255)
t_train = to_categorical(y_train[:train_count], 10)
x_test = x_test.reshape(-1, 784) / np.float32(255)
t_test = to_categorical(y_test, 10)

histories, test_accuracy = {}, {}
for loss_name in ("categorical_crossentropy", "mse"):
    tg.manual_seed(0)  # same initial weights for both
    model = nn.Sequential([nn.Dense(100, activation="relu", input_dim=784),
                           nn.Dense(10, activation="softmax")])
    model.compile(optimizer=optim.SGD(lr=0.05), loss=loss_name, metrics=["accuracy"])
    histories[loss_name] = model.fit(x_train, t_train, batch_size=32, epochs=epochs,
                                     validation_split=0.1, verbose=0)
    test_accuracy[loss_name] = model.evaluate(x_test, t_test, verbose=0)[1]
    print(f"{loss_name:25s} test accuracy {test_accuracy[loss_name]:.4f}")

# %%
viz.plot_history(histories, metrics=["accuracy"])

# %% [markdown]
# Both learn, cross-entropy faster and further. (Exercise: repeat with `optim.Adam()`.
# Adam divides each step by a running average of the gradient's size, so the small
# gradients of MSE slow it down less.)
#
# ## 5. Logits of +-1000: compute the loss from the logits
#
# Softmax followed by log, computed separately, overflows (`exp(1000)`) or takes `log(0)`.
# Keras's losses therefore clip probabilities into `[1e-7, 1 - 1e-7]`, and with
# `from_logits=True` they use the fused, exact form `logsumexp(z) - z_true` instead.
# The fused form also gives the exact gradient `softmax(z) - t`.

# %%
logits = tg.Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
one_hot = np.array([[0.0, 0.0, 1.0]], dtype=np.float32)
with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
    naive = -np.log(np.exp(logits.numpy()) / np.exp(logits.numpy()).sum())[0, 2]
fused = losses.categorical_crossentropy(one_hot, logits, from_logits=True)
fused.sum().backward()
print("naive -log(softmax):", naive)
print("fused loss:", fused.item(), " gradient:", logits.grad.numpy())
clipped = losses.categorical_crossentropy(one_hot, tg.functional.softmax(logits.detach()))
print("from probabilities (clipped at 1e-7):", clipped.item())

# %% [markdown]
# ## Checks

# %%
right, wrong = example["right (0.6 on class 2)"], example["wrong (0.6 on class 7)"]
assert abs(right[0] - 0.0975) < 1e-6 and abs(right[2] + np.log(0.6)) < 1e-5
assert wrong[2] > right[2] and abs(right[1] - 2 * right[0] / 10) < 1e-6
far_left = 0  # z = -8: confidently wrong
assert abs(slopes["cross-entropy"][far_left]) > 100 * abs(slopes["squared error"][far_left])
assert neuron["cross-entropy"][29] < 0.5 < neuron["squared error"][29]
assert test_accuracy["categorical_crossentropy"] > 0.7
assert test_accuracy["categorical_crossentropy"] > test_accuracy["mse"]
assert np.isnan(naive) or np.isinf(naive)
assert abs(fused.item() - 2000.0) < 1e-3 and np.allclose(logits.grad.numpy(), [[1, 0, -1]])
print("checks passed")
