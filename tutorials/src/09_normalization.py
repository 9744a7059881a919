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
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 09 - 배치 정규화, 층 정규화, 인스턴스 정규화
#
# **강의 내용.** 배치 정규화(BN)는 각 특성을 미니배치에 대해 표준화하고, `x_hat = (x - mean_B) /
# sqrt(var_B + epsilon)`, 신경망이 원하는 크기와 이동을 고르게 합니다, `y = gamma * x_hat + beta`.
# 학습이 빨라지고, 초기 가중치에 훨씬 덜 민감해지며, 약간의 규제 효과도 있습니다. 테스트할 때는
# 평균을 낼 배치가 없으므로, BN은 훈련 통계량의 이동 평균을 씁니다. **층 정규화**(LN)는 대신 각
# *샘플*을 그 특성들에 대해 표준화하고, **인스턴스 정규화**(IN)는 각 샘플의 각 채널을 이미지 전체에
# 대해 표준화합니다. 둘 다 배치에 의존하지 않으므로 훈련과 추론이 같은 계산을 합니다.
#
# **살펴볼 점.** 각 층이 어느 축에 대해 평균을 내는지, 이동 평균이 데이터를 어떻게 따라가는지
# (`momentum=0.9` 대 Keras의 기본값 0.99), BN을 쓴 신경망은 모든 초기 가중치 크기에서 학습하지만
# 쓰지 않은 신경망은 좁은 범위에서만 학습하는 강의의 실험, 정규화만 바꾼 작은 합성곱 신경망. 용어는
# [용어집](../../docs/glossary.md)을 참고하세요.

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

# %% [markdown] lang=ko
# ## 1. 어느 축에 대해 평균을 내는가
#
# 5 x 5 픽셀, 채널 3개인 이미지 8장의 배치, 형상 `(8, 5, 5, 3)`(Keras처럼 채널이 마지막), 평균 4,
# 표준편차 2인 값. 정규화를 한 뒤, 그 층이 정규화하는 축에 대해 평균과 표준편차를 잽니다.
#
# | 층 | 평균 내는 축 | 통계량 단위 |
# | --- | --- | --- |
# | `BatchNormalization()` | 배치, 높이, 너비 | 채널 |
# | `LayerNormalization(axis=[1, 2, 3])` | 높이, 너비, 채널 | 샘플 |
# | `InstanceNormalization()` | 높이, 너비 | 샘플과 채널 |
#
# (Keras의 `LayerNormalization()` 기본값 `axis=-1`은 마지막 축에 대해서만 정규화합니다.)

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

# %% [markdown] lang=ko
# ## 2. 테스트할 때의 배치 정규화: 이동 평균
#
# 훈련 모드에서 BN은 배치마다 `moving_mean = momentum * moving_mean + (1 - momentum) * mean_B`를
# 갱신합니다(분산도 마찬가지). 이 평균들이 층의 훈련되지 않는 가중치입니다(노트북 10의 `summary()`를
# 보세요). `momentum=0.9`이면 수십 배치 안에 데이터를 따라가고, Keras의 기본값 0.99이면 수백 배치가
# 걸립니다. (PyTorch의 `momentum=0.1`은 Keras의 0.9와 같은 뜻입니다. 새 배치에 주는 가중치입니다.)

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

# %% [markdown] lang=ko
# 추론 모드(`layer.eval()`, `evaluate`와 `predict`가 바꿔 주는 모드)에서는 층이 이동 평균을 쓰므로,
# 샘플 하나는 배치에 무엇이 함께 있든 같은 출력을 얻습니다.

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

# %% [markdown] lang=ko
# ## 3. 강의의 실험: BN과 초기 가중치의 크기
#
# 유닛 100개인 은닉층 5개(Dense -> [BN] -> ReLU), 표준편차 1, 0.1, 0.03, 0.01로 뽑은 초기 가중치,
# 훈련 이미지 1000장, 평범한 SGD(학습률 0.01), 크기 100의 배치, 20 에포크. BN이 있을 때와 없을 때
# 같은 가중치와 같은 배치를 씁니다.

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

# %% [markdown] lang=ko
# BN이 없으면 네 가지 크기 중 하나만 학습합니다(표준편차 1은 오버플로가 나고, 0.03과 0.01은 신호를
# 사라지게 합니다). BN이 있으면 넷 다 학습하고, 작은 크기가 가장 빠릅니다. (큰 크기는 BN이 있어도
# 느립니다. 출력층 뒤에는 BN이 없어서 아주 큰 로짓으로 시작하기 때문입니다.)
#
# ## 4. 정규화만 바꾼 작은 합성곱 신경망
#
# Conv(8, 3x3) -> [정규화] -> ReLU -> MaxPool -> Conv(16, 3x3) -> [정규화] -> ReLU -> MaxPool ->
# Dense(10, softmax), 모멘텀 SGD. 뒤에 정규화가 오는 합성곱에는 편향이 없습니다(정규화의 beta가 그
# 역할을 합니다).

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

# %% [markdown] lang=ko
# 이렇게 작은 신경망과 적은 에포크에서는 차이가 크지 않고 실행마다 달라집니다. 배치 정규화가 진짜
# 힘을 보여 주는 곳은 3절의 표, 즉 학습이 초기 크기에 둔감해진다는 점입니다.
#
# ## 확인

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
