# %% [markdown]
# # 04 - Activation functions and softmax outputs
#
# **What the course says.** Without a nonlinearity between them, stacked layers collapse
# into one linear map. The classic choices are the **sigmoid** and **tanh**, whose slopes
# are at most 0.25 and 1 and vanish for large inputs (saturation); **ReLU** passes gradients
# unchanged for positive inputs but can "die" (slope 0 for negative inputs); **LeakyReLU**,
# **ELU** and **SELU** keep a slope for negative inputs (SELU's constants make a deep stack
# *self-normalizing*); **Swish** (`x * sigmoid(x)`, also called SiLU) is smooth and
# non-monotonic. For classification the output layer uses **softmax**, which turns scores
# into probabilities.
#
# **What to look for.**
# * each function and its derivative (computed by autograd, not by hand);
# * SELU keeping mean 0 and standard deviation 1 through 20 layers;
# * softmax: probabilities, and why subtracting the maximum changes nothing;
# * the same network trained with each activation.
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 04 - 활성화 함수와 소프트맥스 출력
#
# **강의 내용.** 사이에 비선형 함수가 없으면 층을 쌓아도 하나의 선형 변환으로 줄어듭니다. 고전적인
# 선택은 **시그모이드**와 **tanh**인데, 기울기가 각각 최대 0.25와 1이고 입력이 크면
# 사라집니다(포화). **ReLU**는 양의 입력에서 기울기를 그대로 통과시키지만 "죽을" 수 있습니다(음의
# 입력에서 기울기 0). **LeakyReLU**, **ELU**, **SELU**는 음의 입력에서도 기울기를 남깁니다(SELU의
# 상수는 깊게 쌓은 층을 *자기 정규화*되게 만듭니다). **Swish**(`x * sigmoid(x)`, SiLU라고도 함)는
# 매끄럽고 단조롭지 않습니다. 분류에서 출력층은 점수를 확률로 바꾸는 **소프트맥스**를 씁니다.
#
# **살펴볼 점.**
# * 각 함수와 그 도함수(손으로가 아니라 자동 미분으로 계산);
# * 20개 층을 지나도 평균 0, 표준편차 1을 유지하는 SELU;
# * 소프트맥스: 확률, 그리고 최댓값을 빼도 결과가 같은 이유;
# * 활성화 함수만 바꿔 가며 훈련한 같은 신경망.
#
# 용어는 [용어집](../../docs/glossary.md)을 참고하세요.

# %%
import os

import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, viz
from tinygrad_edu.datasets import FASHION_MNIST_CLASS_NAMES, load_fashion_mnist
from tinygrad_edu.functional import get_activation, softmax

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)
NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "swish", "gelu"]

# %% [markdown]
# ## 1. The functions and their slopes
#
# Solid: `f(x)`. Dashed: `f'(x)`, obtained by backpropagating ones through `f`.

# %% [markdown] lang=ko
# ## 1. 함수와 그 기울기
#
# 실선: `f(x)`. 점선: `f`에 1을 역전파해서 얻은 `f'(x)`.

# %%
viz.plot_activation_functions(NAMES, columns=4)

# %% [markdown]
# The numbers behind the picture: the largest slope, the slope at 0, and the slope far on
# the negative side (`x = -5`), where a saturated or "dead" unit passes (almost) nothing back.

# %% [markdown] lang=ko
# 그림 뒤의 수치: 가장 큰 기울기, 0에서의 기울기, 그리고 음의 방향으로 먼 곳(`x = -5`)의 기울기.
# 그곳에서 포화되었거나 "죽은" 유닛은 (거의) 아무것도 돌려보내지 않습니다.

# %%
x = tg.Tensor(np.linspace(-5, 5, 1001, dtype=np.float32), requires_grad=True)
slope_table = {}
print(f"{'activation':12s} {'max slope':>10s} {'slope at 0':>11s} {'slope at -5':>12s}")
for name in NAMES:
    (slope,) = tg.grad(get_activation(name)(x).sum(), x)
    slope = slope.numpy()
    slope_table[name] = (slope.max(), slope[500], slope[0])
    print(f"{name:12s} {slope.max():10.3f} {slope[500]:11.3f} {slope[0]:12.4f}")

# %% [markdown]
# ## 2. SELU is self-normalizing
#
# 20 Dense layers of 100 units, LeCun-normal weights (variance 1 / fan_in), standard normal
# inputs. With SELU the outputs keep mean about 0 and standard deviation about 1 all the way
# through; with ReLU and the same weights the variance halves at every layer (ReLU drops
# the negative half), with tanh it shrinks more slowly.

# %% [markdown] lang=ko
# ## 2. SELU는 자기 정규화됩니다
#
# 유닛 100개인 Dense 층 20개, LeCun 정규 분포 가중치(분산 1 / fan_in), 표준 정규 분포 입력. SELU를
# 쓰면 출력이 끝까지 평균 약 0, 표준편차 약 1을 유지합니다. 같은 가중치에 ReLU를 쓰면 층마다 분산이
# 절반이 되고(ReLU가 음의 절반을 버리므로), tanh에서는 더 천천히 줄어듭니다.

# %%
inputs = np.random.default_rng(0).standard_normal((1000, 100)).astype(np.float32)
depth_stats = {}
for name in ("selu", "relu", "tanh"):
    stack = nn.Sequential([nn.Dense(100, activation=name, kernel_initializer="lecun_normal",
                                    input_dim=100) for _ in range(20)])
    outputs = tg.trace.record_activations(stack, inputs)
    depth_stats[name] = [(a.mean(), a.std()) for a in outputs.values()]
    means_stds = ", ".join(f"{m:+.2f}/{s:.2f}" for m, s in depth_stats[name][4::5])
    print(f"{name}: mean/std after layers 5, 10, 15, 20: {means_stds}")

# %% [markdown]
# ## 3. Softmax outputs
#
# `softmax(z)_k = exp(z_k) / sum_j exp(z_j)`: positive, summing to 1, order preserved.
# Adding a constant to every score changes nothing, which is why implementations subtract
# the largest score first (no overflow). The course's example: scores `[0.3, 2.9, 4.0]`.

# %% [markdown] lang=ko
# ## 3. 소프트맥스 출력
#
# `softmax(z)_k = exp(z_k) / sum_j exp(z_j)`: 양수이고, 합이 1이며, 순서가 유지됩니다. 모든 점수에
# 같은 상수를 더해도 결과가 변하지 않으므로, 구현에서는 먼저 가장 큰 점수를 뺍니다 (오버플로 방지).
# 강의의 예제: 점수 `[0.3, 2.9, 4.0]`.

# %%
scores = np.array([[0.3, 2.9, 4.0]], dtype=np.float32)
probabilities = softmax(tg.Tensor(scores)).numpy()
shifted = softmax(tg.Tensor(scores + 100)).numpy()  # np.exp(100.3) alone overflows float32
print("softmax([0.3, 2.9, 4.0]) =", np.round(probabilities, 4), " sum", probabilities.sum())
print("scores + 100             =", np.round(shifted, 4))

# %% [markdown]
# A few "predictions" drawn as bars (orange: the predicted class; green: the true one).

# %% [markdown] lang=ko
# 몇 개의 "예측"을 막대로 그렸습니다(주황: 예측한 클래스, 초록: 정답 클래스).

# %%
some_scores = np.random.default_rng(1).normal(0, 2.0, (4, 10)).astype(np.float32)
viz.plot_softmax(softmax(tg.Tensor(some_scores)).numpy(), class_names=FASHION_MNIST_CLASS_NAMES,
                 true_labels=[0, 3, 7, 9], columns=2)

# %% [markdown]
# ## 4. The same network with each activation
#
# Three hidden layers of 100 units on Fashion-MNIST, each activation with the initializer
# that suits it (Glorot for sigmoid and tanh, He for the ReLU family and Swish, LeCun for
# SELU), trained with SGD + momentum (learning rate 0.01, momentum 0.9), the same seed for
# all. Explicit loop this time: one `DataLoader` pass per epoch.

# %% [markdown] lang=ko
# ## 4. 활성화 함수만 바꾼 같은 신경망
#
# Fashion-MNIST에서 유닛 100개인 은닉층 3개. 활성화 함수마다 어울리는 가중치 초기화를 씁니다
# (시그모이드와 tanh에는 Glorot, ReLU 계열과 Swish에는 He, SELU에는 LeCun). SGD + 모멘텀(학습률
# 0.01, 모멘텀 0.9)으로 훈련하고, 모두 같은 시드를 씁니다. 이번에는 직접 작성한 훈련 루프로,
# 에포크마다 `DataLoader`를 한 번 돕니다.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
train_count = 2000 if QUICK else 20000
epochs = 2 if QUICK else 5
x_train = x_train[:train_count].reshape(-1, 784) / np.float32(255)
y_train = y_train[:train_count]
x_test = x_test.reshape(-1, 784) / np.float32(255)
INITIALIZER = {"sigmoid": "glorot_uniform", "tanh": "glorot_uniform", "selu": "lecun_normal"}
loss_fn = tg.losses.SparseCategoricalCrossentropy(from_logits=True)


def make_mlp(activation):
    init = INITIALIZER.get(activation, "he_normal")
    return nn.Sequential([
        nn.Dense(100, activation=activation, kernel_initializer=init, input_dim=784),
        nn.Dense(100, activation=activation, kernel_initializer=init),
        nn.Dense(100, activation=activation, kernel_initializer=init),
        nn.Dense(10),  # logits; the loss applies softmax itself (from_logits=True)
    ])


curves, test_accuracy = {}, {}
for activation in NAMES[:-1]:
    tg.manual_seed(0)
    model = make_mlp(activation)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = tg.DataLoader(x_train, y_train, batch_size=32, seed=0)
    epoch_losses = []
    for _ in range(epochs):
        total = 0.0
        for x_batch, y_batch in loader:
            loss = loss_fn(y_batch, model(tg.Tensor(x_batch)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(x_batch)
        epoch_losses.append(total / len(x_train))
    with tg.no_grad():
        predicted = model.eval()(tg.Tensor(x_test)).numpy().argmax(axis=1)
    curves[activation] = {"loss": epoch_losses}
    test_accuracy[activation] = float((predicted == y_test).mean())
    print(f"{activation:10s} final training loss {epoch_losses[-1]:.4f}, "
          f"test accuracy {test_accuracy[activation]:.4f}")

# %%
figure = Figure(figsize=(10, 3.6), layout="constrained")
loss_ax, accuracy_ax = figure.subplots(1, 2, width_ratios=[3, 2])
others = iter(["C0", "C1", "C2", "C4", "C5", "C6", "C9"])  # C3 (red) is the sigmoid's
for activation, run in curves.items():
    slow = activation == "sigmoid"
    loss_ax.plot(range(1, epochs + 1), run["loss"], marker="o", markersize=3,
                 color="C3" if slow else next(others), linewidth=2.5 if slow else 1.2,
                 label=activation)
loss_ax.set_xlabel("epoch")
loss_ax.set_ylabel("training loss")
loss_ax.set_title("training loss per epoch")
loss_ax.legend(fontsize="small", ncols=2)
ranked = sorted(test_accuracy, key=test_accuracy.get)
accuracy_ax.barh(ranked, [test_accuracy[name] for name in ranked],
                 color=["C3" if name == "sigmoid" else "#7f7f7f" for name in ranked])
for row, name in enumerate(ranked):
    inside = test_accuracy[name] > 0.2  # else the number goes right of its short bar
    accuracy_ax.text(test_accuracy[name] + (-0.01 if inside else 0.01), row,
                     f"{test_accuracy[name]:.3f}", ha="right" if inside else "left",
                     va="center", color="white" if inside else "black", fontsize="small")
accuracy_ax.set_xlim(0, 1)
accuracy_ax.set_xlabel("test accuracy")
accuracy_ax.set_title("after training, best at the bottom")
figure

# %% [markdown]
# The sigmoid network starts slowest and stays far behind (its slope of at most 0.25 shrinks
# every gradient on the way down); the others end close together, with no clear winner on
# a problem this small.

# %% [markdown] lang=ko
# 시그모이드 신경망은 가장 느리게 출발해서 끝까지 크게 뒤처집니다(최대 0.25인 기울기가 내려가는 길에
# 모든 기울기를 줄입니다). 나머지는 비슷한 곳에서 끝나고, 이렇게 작은 문제에서는 뚜렷한 승자가
# 없습니다.

# %% [markdown]
# ## Checks

# %% [markdown] lang=ko
# ## 확인

# %%
assert abs(slope_table["sigmoid"][0] - 0.25) < 1e-3 and abs(slope_table["tanh"][0] - 1) < 1e-3
assert slope_table["relu"][2] == 0 and slope_table["relu"][0] == 1
assert slope_table["leaky_relu"][2] > 0 and slope_table["elu"][2] > 0
assert 0.7 < depth_stats["selu"][-1][1] < 1.3 and abs(depth_stats["selu"][-1][0]) < 0.3
assert depth_stats["relu"][-1][1] < 0.01
assert abs(probabilities.sum() - 1) < 1e-5 and np.allclose(probabilities, shifted, atol=1e-4)
assert np.allclose(probabilities, [[0.0182, 0.2452, 0.7366]], atol=1e-4)
# every activation but the sigmoid learns within the first epochs (chance: 0.1)
assert min(acc for name, acc in test_accuracy.items() if name != "sigmoid") > 0.3
assert test_accuracy["relu"] > test_accuracy["sigmoid"]
print("checks passed")
