# %% [markdown]
# # 05 - Weight initialization
#
# **What the course says.** The scale of the initial weights decides whether signals
# survive the trip through many layers. The course's experiment: 1000 random inputs pass
# through 5 layers of 100 units, and we look at the histogram of each layer's outputs.
#
# * Sigmoid, weights with standard deviation **1**: the outputs pile up at 0 and 1, where
#   the sigmoid's slope is almost 0: gradients vanish.
# * Sigmoid, std **0.01**: everything sits at 0.5: no vanishing, but every unit computes the
#   same thing (the network has lost its expressiveness).
# * **Xavier/Glorot** (std `sqrt(1/n)`, Keras: `sqrt(2 / (fan_in + fan_out))`): the outputs
#   stay spread out in every layer. Right for sigmoid and tanh.
# * ReLU zeroes half of its inputs, so it needs twice the variance: **He** (std `sqrt(2/n)`).
#   With ReLU, std 0.01 makes the signal die out and Xavier slowly shrinks it; He keeps it.
#
# Then the course trains the same 5-layer ReLU network on real images with std 0.01,
# Xavier and He initial weights: std 0.01 does not learn at all, He learns fastest.
#
# **What to look for.** The shapes of the histograms layer after layer; the standard
# deviation printed in each panel; the flat loss curve of std 0.01.
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 05 - 가중치 초기화
#
# **강의 내용.** 초기 가중치의 크기가 신호가 여러 층을 무사히 지나갈 수 있는지를 결정합니다. 강의의
# 실험: 무작위 입력 1000개를 유닛 100개인 층 5개에 통과시키고, 각 층 출력의 히스토그램을 봅니다.
#
# * 시그모이드, 표준편차 **1**인 가중치: 출력이 시그모이드의 기울기가 거의 0인 0과 1에 몰립니다.
#   기울기 소실입니다.
# * 시그모이드, 표준편차 **0.01**: 모든 값이 0.5에 모입니다. 기울기 소실은 없지만 모든 유닛이 같은
#   계산을 합니다(신경망의 표현력이 사라집니다).
# * **Xavier/Glorot**(표준편차 `sqrt(1/n)`, Keras: `sqrt(2 / (fan_in + fan_out))`): 모든 층에서
#   출력이 고르게 퍼져 있습니다. 시그모이드와 tanh에 알맞습니다.
# * ReLU는 입력의 절반을 0으로 만드므로 분산이 두 배 필요합니다: **He**(표준편차 `sqrt(2/n)`).
#   ReLU에서 표준편차 0.01은 신호를 사라지게 하고, Xavier는 천천히 줄어들게 하며, He는 유지합니다.
#
# 그다음 강의에서는 같은 5층 ReLU 신경망을 표준편차 0.01, Xavier, He 초기 가중치로 실제 이미지에서
# 훈련합니다. 표준편차 0.01은 전혀 학습하지 못하고, He가 가장 빨리 학습합니다.
#
# **살펴볼 점.** 층을 지날 때마다 변하는 히스토그램의 모양, 각 그림 위에 적힌 표준편차, 표준편차
# 0.01의 평평한 손실 곡선. 용어는 [용어집](../../docs/glossary.md)을 참고하세요.

# %%
import os

import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, viz
from tinygrad_edu.datasets import load_fashion_mnist
from tinygrad_edu.init import RandomNormal

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. Five layers of 100 units, 1000 random inputs
#
# As in the course, the layers have no bias (`y = activation(x @ W)`), so only the weights'
# scale matters. `plot_activation_histograms` runs the model once and draws each layer's
# outputs.

# %% [markdown] lang=ko
# ## 1. 유닛 100개인 층 5개, 무작위 입력 1000개
#
# 강의처럼 층에 편향이 없으므로(`y = activation(x @ W)`) 가중치의 크기만 영향을 줍니다.
# `plot_activation_histograms`는 모델을 한 번 실행하고 각 층의 출력을 그립니다.

# %%
x = np.random.default_rng(0).standard_normal((1000, 100)).astype(np.float32)
INITIALIZERS = {
    "std 1": RandomNormal(stddev=1.0),
    "std 0.01": RandomNormal(stddev=0.01),
    "Xavier (glorot_normal)": "glorot_normal",
    "He (he_normal)": "he_normal",
}


def five_layers(activation, initializer):
    return nn.Sequential([
        nn.Dense(100, activation=activation, use_bias=False, kernel_initializer=initializer,
                 input_dim=100, name=f"layer_{index + 1}")
        for index in range(5)
    ])


layer_outputs = {}  # (activation, initializer label) -> list of 5 arrays


def histograms(activation, label, value_range):
    tg.manual_seed(0)
    model = five_layers(activation, INITIALIZERS[label])
    layer_outputs[activation, label] = list(tg.trace.record_activations(model, x).values())
    return viz.plot_activation_histograms(model, x, value_range=value_range,
                                          title=f"{activation}, {label}")


# %% [markdown]
# ### Sigmoid

# %% [markdown] lang=ko
# ### 시그모이드

# %%
histograms("sigmoid", "std 1", (0, 1))

# %%
histograms("sigmoid", "std 0.01", (0, 1))

# %%
histograms("sigmoid", "Xavier (glorot_normal)", (0, 1))

# %% [markdown]
# ### ReLU
#
# The tall bar at 0 is the half of the units that ReLU switches off; look at the rest.

# %% [markdown] lang=ko
# ### ReLU
#
# 0에 있는 높은 막대는 ReLU가 꺼 버린 절반의 유닛입니다. 나머지를 보세요.

# %%
histograms("relu", "std 0.01", (0, 2))

# %%
histograms("relu", "Xavier (glorot_normal)", (0, 2))

# %%
histograms("relu", "He (he_normal)", (0, 2))

# %% [markdown]
# The numbers: the standard deviation of each layer's outputs, and for the sigmoid the
# fraction of outputs within 0.02 of 0 or 1 (saturated: slope below 0.02).

# %% [markdown] lang=ko
# 수치: 각 층 출력의 표준편차, 그리고 시그모이드에서는 0이나 1에서 0.02 이내에 있는 출력의
# 비율(포화: 기울기가 0.02 미만).

# %%
saturated = {}
for (activation, label), outputs in layer_outputs.items():
    stds = " ".join(f"{a.std():6.3f}" for a in outputs)
    line = f"{activation:8s} {label:24s} std per layer: {stds}"
    if activation == "sigmoid":
        last = outputs[-1]
        saturated[label] = float(np.mean((last < 0.02) | (last > 0.98)))
        line += f"   saturated in layer 5: {saturated[label]:.0%}"
    print(line)

# %% [markdown]
# ## 2. Training: std 0.01 vs Xavier vs He
#
# The course's comparison on real images: 5 hidden ReLU layers of 100 units, plain SGD
# (learning rate 0.01), mini-batches of 128 drawn at random, 2000 iterations. The loop is
# written out: draw a batch, forward, loss, `zero_grad`, `backward`, `step`.

# %% [markdown] lang=ko
# ## 2. 훈련: 표준편차 0.01 대 Xavier 대 He
#
# 실제 이미지에서의 강의 비교: 유닛 100개인 ReLU 은닉층 5개, 평범한 SGD(학습률 0.01), 무작위로 뽑은
# 크기 128의 미니배치, 2000번 반복. 훈련 루프를 직접 씁니다: 배치 뽑기, 순전파, 손실, `zero_grad`,
# `backward`, `step`.

# %%
(x_train, y_train), _ = load_fashion_mnist()
x_train = x_train.reshape(-1, 784) / np.float32(255)
iterations = 100 if QUICK else 2000
TRAINING_INITIALIZERS = {"std 0.01": RandomNormal(stddev=0.01), "Xavier": "glorot_normal",
                         "He": "he_normal"}
loss_fn = tg.losses.SparseCategoricalCrossentropy(from_logits=True)


def relu_mlp(initializer):
    layers = [nn.Dense(100, activation="relu", kernel_initializer=initializer, input_dim=784)]
    layers += [nn.Dense(100, activation="relu", kernel_initializer=initializer)
               for _ in range(4)]
    return nn.Sequential([*layers, nn.Dense(10, kernel_initializer=initializer)])


loss_curves = {}
for label, initializer in TRAINING_INITIALIZERS.items():
    tg.manual_seed(0)
    model = relu_mlp(initializer)
    opt = optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)  # the same batches for every initializer
    curve = []
    for _ in range(iterations):
        batch = rng.integers(0, len(x_train), 128)
        loss = loss_fn(y_train[batch], model(tg.Tensor(x_train[batch])))
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve.append(loss.item())
    loss_curves[label] = np.array(curve)
    print(f"{label:8s} loss: first {curve[0]:.3f}, mean of the last 50 {np.mean(curve[-50:]):.3f}")

# %%
def smooth(values, window=25):
    return np.convolve(values, np.ones(window) / window, mode="valid")


figure = Figure(figsize=(6.5, 4), layout="constrained")
ax = figure.subplots()
for label, curve in loss_curves.items():
    ax.plot(smooth(curve), label=label)
ax.set_xlabel("iteration")
ax.set_ylabel("training loss (moving average of 25)")
ax.set_title("5 ReLU layers of 100 units, SGD lr 0.01")
ax.legend()
figure

# %% [markdown]
# With std 0.01 the loss stays at `ln 10 = 2.30` (guessing): the signal, and with it the
# gradient, has died out before it reaches the first layers. Xavier learns; He, made for
# ReLU, learns fastest.
#
# ## Checks

# %% [markdown] lang=ko
# 표준편차 0.01에서는 손실이 `ln 10 = 2.30`(찍기)에 머뭅니다. 신호가, 그리고 그와 함께 기울기가 앞쪽
# 층에 닿기 전에 사라졌기 때문입니다. Xavier는 학습하고, ReLU를 위해 만든 He가 가장 빨리 학습합니다.
#
# ## 확인

# %%
assert saturated["std 1"] > 0.4 and saturated["Xavier (glorot_normal)"] < 0.05
assert layer_outputs["sigmoid", "std 0.01"][-1].std() < 0.02  # everything near 0.5
assert np.allclose(layer_outputs["sigmoid", "std 0.01"][-1].mean(), 0.5, atol=0.01)
assert 0.1 < layer_outputs["sigmoid", "Xavier (glorot_normal)"][-1].std() < 0.3
he = [a.std() for a in layer_outputs["relu", "He (he_normal)"]]
assert 0.5 < he[-1] / he[0] < 2  # He keeps the scale through the layers
assert layer_outputs["relu", "std 0.01"][-1].std() < 1e-4
final = {label: curve[-50:].mean() for label, curve in loss_curves.items()}
assert abs(final["std 0.01"] - np.log(10)) < 0.02  # still guessing
assert final["He"] < final["std 0.01"] - 0.3
print("checks passed")
