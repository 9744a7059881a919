# %% [markdown]
# # 09 - Batch, layer and instance normalization
#
# **What the course says.** Batch normalization (BN) standardizes each feature over the
# mini-batch, `x_hat = (x - mean_B) / sqrt(var_B + epsilon)`, then lets the network choose
# the scale and shift it wants, `y = gamma * x_hat + beta`. It makes training faster, much
# less sensitive to the initial weights, and slightly regularizing. At test time there is no
# batch to average over, so BN uses moving averages of the training statistics. **Layer
# normalization** (LN) standardizes each *sample* over its features instead, and **instance
# normalization** (IN) each sample's each channel over the image; neither depends on the
# batch, so training and inference compute the same thing.
#
# **What to look for.** Which axes each layer averages over; how the moving averages follow
# the data (`momentum=0.9` vs Keras's default 0.99); the course's experiment, where the
# network with BN learns for every initial weight scale and the one without only for a
# narrow range; a small convolutional network with each normalization.

# %%
# %matplotlib inline
import os

import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.datasets import load_fashion_mnist
from tinygrad_edu.init import RandomNormal

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. Which axes are averaged
#
# A batch of 8 images of 5 x 5 pixels with 3 channels, shape `(8, 5, 5, 3)` (channels last,
# as in Keras), values with mean 4 and standard deviation 2. After each normalization we
# measure the mean and standard deviation over the axes that layer normalizes:
#
# | layer | averages over | statistics per |
# | --- | --- | --- |
# | `BatchNormalization()` | batch, height, width | channel |
# | `LayerNormalization(axis=[1, 2, 3])` | height, width, channel | sample |
# | `InstanceNormalization()` | height, width | sample and channel |
#
# (Keras's `LayerNormalization()` default, `axis=-1`, normalizes over the last axis only.)

# %%
images = (4 + 2 * np.random.default_rng(0).standard_normal((8, 5, 5, 3))).astype(np.float32)
NORMALIZATIONS = {
    "batch": (nn.BatchNormalization(), (0, 1, 2)),
    "layer": (nn.LayerNormalization(axis=[1, 2, 3]), (1, 2, 3)),
    "instance": (nn.InstanceNormalization(), (1, 2)),
}
axis_stats = {}
for name, (layer, axes) in NORMALIZATIONS.items():
    out = layer(tg.Tensor(images)).numpy()  # a new layer is in training mode
    means, stds = out.mean(axis=axes), out.std(axis=axes)
    axis_stats[name] = (means, stds)
    print(f"{name:8s}: {means.size:2d} groups, means within {np.abs(means).max():.1e} of 0, "
          f"standard deviations {stds.min():.3f}..{stds.max():.3f}")

# %% [markdown]
# ## 2. Batch normalization at test time: moving averages
#
# In training mode BN updates `moving_mean = momentum * moving_mean + (1 - momentum) *
# mean_B` (and the same for the variance) at every batch. These averages are the layer's
# non-trainable weights (see `summary()` in notebook 10). With `momentum=0.9` they follow the
# data within a few dozen batches; with Keras's default 0.99 it takes hundreds.
# (PyTorch's `momentum=0.1` means the same as Keras's 0.9: it weights the new batch.)

# %%
stream = np.random.default_rng(1)
tracks = {}
for momentum in (0.9, 0.99):
    layer = nn.BatchNormalization(momentum=momentum, input_shape=(1,))
    track = []
    for _ in range(300):
        layer(tg.Tensor((5 + 3 * stream.standard_normal((32, 1))).astype(np.float32)))
        track.append(layer.moving_mean.numpy()[0])
    tracks[momentum] = np.array(track)

figure = Figure(figsize=(6.5, 3.6), layout="constrained")
ax = figure.subplots()
for momentum, track in tracks.items():
    ax.plot(track, label=f"momentum={momentum}")
ax.axhline(5, color="#bbbbbb", linestyle="--", label="true mean")
ax.set_xlabel("training batch")
ax.set_ylabel("moving_mean")
ax.legend()
figure

# %% [markdown]
# In inference mode (`layer.eval()`, which `evaluate` and `predict` switch to) the layer
# uses the moving averages, so a single sample gets the same output whatever else is in
# its batch:

# %%
layer.eval()
sample = np.array([[8.0]], dtype=np.float32)
alone = layer(tg.Tensor(sample)).item()
in_a_batch = layer(tg.Tensor(np.array([[8.0], [100.0]], dtype=np.float32))).numpy()[0, 0]
print(f"moving mean {layer.moving_mean.numpy()[0]:.2f}, moving variance "
      f"{layer.moving_variance.numpy()[0]:.2f}; output for 8.0: {alone:.3f} alone, "
      f"{in_a_batch:.3f} next to 100.0")

# %% [markdown]
# ## 3. The course's experiment: BN and the initial weight scale
#
# Five hidden layers of 100 units (Dense -> [BN] -> ReLU), initial weights drawn with
# standard deviation 1, 0.1, 0.03 and 0.01, 1000 training images, plain SGD (learning rate
# 0.01), batches of 100, 20 epochs. The same weights and batches with and without BN.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
count = 500 if QUICK else 1000
epochs = 4 if QUICK else 20
x_small = x_train[:count].reshape(-1, 784) / np.float32(255)
y_small = y_train[:count]
SCALES = (1.0, 0.1, 0.03, 0.01)


def five_layers(stddev, batch_norm):
    layers = []
    for index in range(5):
        layers.append(nn.Dense(100, kernel_initializer=RandomNormal(stddev=stddev),
                               input_dim=784 if index == 0 else None))
        if batch_norm:
            layers.append(nn.BatchNormalization())
        layers.append(nn.Activation("relu"))
    return nn.Sequential([*layers, nn.Dense(10, activation="softmax",
                                            kernel_initializer=RandomNormal(stddev=stddev))])


curves = {}
for stddev in SCALES:
    for batch_norm in (False, True):
        tg.manual_seed(0)
        model = five_layers(stddev, batch_norm)
        model.compile(optimizer=optim.SGD(lr=0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        with np.errstate(over="ignore", invalid="ignore"):  # std 1 without BN overflows
            history = model.fit(x_small, y_small, batch_size=100, epochs=epochs, verbose=0)
        curves[stddev, batch_norm] = history.history["accuracy"]
    print(f"std {stddev:<5}: final training accuracy without BN "
          f"{curves[stddev, False][-1]:.3f}, with BN {curves[stddev, True][-1]:.3f}")

# %%
figure = Figure(figsize=(11, 3), layout="constrained")
axes = figure.subplots(1, len(SCALES), sharey=True)
for ax, stddev in zip(axes, SCALES):
    for batch_norm, style in ((True, "-"), (False, "--")):
        ax.plot(range(1, epochs + 1), curves[stddev, batch_norm], style,
                label="with BN" if batch_norm else "without BN")
    ax.set_title(f"initial std {stddev}")
    ax.set_xlabel("epoch")
axes[0].set_ylabel("training accuracy")
axes[0].legend()
figure

# %% [markdown]
# Without BN only one of the four scales trains at all (std 1 overflows, 0.03 and 0.01 let
# the signal die); with BN all four learn, the small scales fastest. (The large scale is
# slow even with BN: the output layer has no BN after it and starts with huge logits.)
#
# ## 4. A small convolutional network with each normalization
#
# Conv(8, 3x3) -> [norm] -> ReLU -> MaxPool -> Conv(16, 3x3) -> [norm] -> ReLU -> MaxPool ->
# Dense(10, softmax), SGD with momentum. The convolutions have no bias when a normalization
# follows (its beta plays that role).

# %%
cnn_count = 500 if QUICK else 10000
cnn_epochs = 1 if QUICK else 5
x_images = x_train[:cnn_count, :, :, None] / np.float32(255)  # (n, 28, 28, 1): channels last
test_count = 1000 if QUICK else len(x_test)
x_test_images = x_test[:test_count, :, :, None] / np.float32(255)
NORM_LAYERS = {
    "none": lambda: None,
    "batch": lambda: nn.BatchNormalization(),
    "layer": lambda: nn.LayerNormalization(axis=[1, 2, 3]),
    "instance": lambda: nn.InstanceNormalization(),
}


def small_cnn(make_norm):
    layers = []
    for index, filters in enumerate((8, 16)):
        norm = make_norm()
        layers.append(nn.Conv2D(filters, 3, use_bias=norm is None,
                                input_shape=(28, 28, 1) if index == 0 else None))
        layers += [norm] if norm is not None else []
        layers += [nn.Activation("relu"), nn.MaxPooling2D(2)]
    return nn.Sequential([*layers, nn.Flatten(), nn.Dense(10, activation="softmax")])


cnn_accuracy = {}
for name, make_norm in NORM_LAYERS.items():
    tg.manual_seed(0)
    model = small_cnn(make_norm)
    model.compile(optimizer=optim.SGD(lr=0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_images, y_train[:cnn_count], batch_size=32, epochs=cnn_epochs, verbose=0)
    cnn_accuracy[name] = model.evaluate(x_test_images, y_test[:test_count], batch_size=500,
                                        verbose=0)[1]
    print(f"{name:9s} test accuracy {cnn_accuracy[name]:.4f}")

# %% [markdown]
# With so small a network and so few epochs the differences are modest and depend on the
# run; the table of section 3 is where batch normalization shows its real strength, making
# training insensitive to the initial scale.
#
# ## Checks

# %%
for name, (means, stds) in axis_stats.items():
    assert np.abs(means).max() < 1e-4 and np.abs(stds - 1).max() < 0.02, name
assert axis_stats["batch"][0].size == 3 and axis_stats["layer"][0].size == 8
assert axis_stats["instance"][0].size == 8 * 3
assert abs(tracks[0.9][-50:].mean() - 5) < 0.5 and abs(tracks[0.99][20] - 5) > 2
assert abs(alone - in_a_batch) < 1e-6
assert curves[0.01, True][-1] > curves[0.01, False][-1] + 0.3  # BN rescues the small scale
assert curves[0.03, True][-1] > curves[0.03, False][-1] + 0.3
assert min(cnn_accuracy.values()) > 0.3
print("checks passed")
