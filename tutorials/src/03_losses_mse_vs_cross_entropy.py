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
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 03 - 손실 함수(비용함수): 평균 제곱 오차와 교차 엔트로피 오차
#
# **강의 내용.** 손실 함수(비용함수, 오차함수)는 "신경망이 얼마나 틀렸는가"를 최소화할 숫자 하나로
# 바꿉니다. 평균 제곱 오차(MSE)는 회귀에 어울리고, 소프트맥스(또는 시그모이드) 출력을 쓰는 분류에는
# 교차 엔트로피 오차(CE)가 짝입니다. 소프트맥스와 함께 쓰면 로짓에 대한 기울기가 간단히 `y - t`(예측
# 빼기 정답)가 되지만, MSE는 이 오차에 소프트맥스의 기울기를 곱하는데, 이 기울기는 신경망이 확신을
# 갖고 틀렸을 때 거의 0입니다. 그래서 MSE는 학습이 가장 필요한 바로 그때 느리게 배웁니다.
#
# **살펴볼 점.**
# * 강의의 예측 예제에 대한 두 손실;
# * 포화되어 틀린 출력에서의 `dL/dz`: CE에서는 크고 MSE에서는 거의 0;
# * 처음에 확신을 갖고 틀린 뉴런 하나: CE는 곧바로 고치고 MSE는 꾸물거립니다;
# * 각 손실로 Fashion-MNIST에서 훈련한 같은 신경망;
# * +-1000의 로짓: 왜 손실 함수가 `from_logits=True`를 받는가.
#
# 용어는 [용어집](../../docs/glossary.md)을 참고하세요.

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

# %% [markdown] lang=ko
# ## 1. 예측 하나에 대한 두 손실
#
# 강의의 예제: 클래스가 10개이고 정답은 2번 클래스입니다. 첫 번째 예측은 정답에 확률 0.6을, 두 번째
# 예측은 대신 7번 클래스에 0.6을 줍니다. Keras의 `mean_squared_error`는 10개 출력에 대해 평균을
# 냅니다(강의의 "오차제곱합"은 `0.5 * sum((y - t)**2)`로, 상수배만 다릅니다).

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

# %% [markdown] lang=ko
# ## 2. 로짓에 도착하는 기울기
#
# 시그모이드 출력 하나 `y = sigmoid(z)`, 정답 `t = 1`. 모든 `z`에 대해 두 손실의 `dL/dz`를 자동
# 미분으로 계산합니다.
#
# * 이진 교차 엔트로피: `dL/dz = y - t`. `z`가 아주 작으면(확신을 갖고 틀리면) -1에 가까워져 강하게
#   밀어 줍니다;
# * 제곱 오차: `dL/dz = 2 (y - t) * y (1 - y)`. 같은 곳에서 0에 가까워집니다. 시그모이드의 평평한
#   꼬리가 오차를 삼켜 버립니다.

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

# %% [markdown] lang=ko
# ## 3. 처음에 확신을 갖고 틀린 뉴런
#
# 입력 하나 `x = 1`, 정답 `0`, 가중치와 편향이 모두 2: 뉴런의 출력은 `sigmoid(4) = 0.98`입니다.
# 평범한 경사 하강법(학습률 0.15)으로, 한 번은 제곱 오차로 한 번은 교차 엔트로피로, 직접 작성한 훈련
# 루프에서 훈련합니다. 처음 몇 에포크를 보세요. 제곱 오차 뉴런은 처음에 거의 움직이지 않습니다.

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

# %% [markdown] lang=ko
# ## 4. 각 손실로 Fashion-MNIST 학습하기
#
# 같은 신경망(784 -> 100 ReLU -> 10 소프트맥스), 같은 초기 가중치, 같은 SGD에 손실만 다릅니다. Keras
# 방식: `compile`과 `fit`을 쓰고, 훈련 이미지의 마지막 10%로 검증합니다.

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

# %% [markdown] lang=ko
# 둘 다 학습하지만 교차 엔트로피가 더 빠르고 더 멀리 갑니다. (연습: `optim.Adam()`으로 다시 해
# 보세요. Adam은 각 스텝을 기울기 크기의 이동 평균으로 나누므로, MSE의 작은 기울기에 덜 느려집니다.)
#
# ## 5. +-1000의 로짓: 손실은 로짓에서 계산하기
#
# 소프트맥스와 로그를 따로 계산하면 오버플로(`exp(1000)`)가 나거나 `log(0)`이 됩니다. 그래서 Keras의
# 손실 함수는 확률을 `[1e-7, 1 - 1e-7]`로 잘라 내고, `from_logits=True`이면 대신 하나로 합친 정확한
# 식 `logsumexp(z) - z_true`를 씁니다. 합친 식은 정확한 기울기 `softmax(z) - t`도 줍니다.

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

# %% [markdown] lang=ko
# ## 확인

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
