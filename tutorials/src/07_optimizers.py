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
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 07 - 옵티마이저: SGD, 모멘텀, Nesterov, AdaGrad, RMSprop, AdaDelta, Adam, Nadam
#
# **강의 내용.** 평범한 SGD는 기울기의 반대 방향으로 `w <- w - lr * g`만큼 움직입니다. 한 방향으로는
# 가파르고 다른 방향으로는 평평한 함수에서는 골짜기를 가로질러 지그재그로 움직이고, 골짜기를
# 따라서는 기어갑니다. **모멘텀**(과 한발 앞을 내다보는 변형인 **Nesterov**)은 속도를 쌓아서
# 지그재그를 누그러뜨리고 기어가는 움직임을 빠르게 합니다. **AdaGrad**는 좌표마다 스텝을 그 좌표의
# 기울기 제곱 누적합의 제곱근으로 나눕니다(기울기가 작았던 곳에서 큰 스텝). **RMSprop**과
# **AdaDelta**는 누적합 대신 감쇠하는 평균을 써서 스텝이 끝없이 줄어들지 않습니다. **Adam**은
# 모멘텀과 RMSprop을 편향 보정과 함께 합친 것이고, **Nadam**은 Nesterov 모멘텀을 쓰는 Adam입니다.
# 강의의 그림: `f(x, y) = x**2 / 20 + y**2`에서 `(-7, 2)`를 출발한 각 옵티마이저의 경로.
#
# **살펴볼 점.** SGD의 지그재그, 지나쳤다가 되돌아오는 모멘텀, 평평한 방향을 따라 곧장 나아가는
# 적응적 방법들. 그리고 실제 신경망을 훈련할 때 적응적 방법이 조정 없이도 빠르다는 점. 용어는
# [용어집](../../docs/glossary.md)을 참고하세요.

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

# %% [markdown] lang=ko
# ## 1. 스텝 하나를 풀어 쓰면
#
# 모든 옵티마이저의 docstring에는 갱신 규칙이 코드의 기호 그대로 한 줄씩 적혀 있습니다. 예를 들어
# Adam의 규칙은 다음과 같습니다(`help(optim.Adam)`으로 전체를 볼 수 있습니다).

# %%
print(inspect.getdoc(optim.Adam).split("Args:")[0])

# %% [markdown]
# The explicit loop on `f`, with momentum: the optimizer gets the two coordinates as
# parameters; each iteration clears the gradients, evaluates `f`, backpropagates and steps.

# %% [markdown] lang=ko
# 모멘텀으로 `f`를 최적화하는 직접 작성한 루프: 옵티마이저는 두 좌표를 매개변수로 받고, 반복마다
# 기울기를 지우고, `f`를 계산하고, 역전파하고, 한 스텝 움직입니다.

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

# %% [markdown] lang=ko
# ## 2. `x**2 / 20 + y**2` 위의 경로
#
# 강의의 학습률: SGD 0.95, 모멘텀 0.1, AdaGrad 1.5, Adam 0.3(나머지도 같은 취지로). 각각 30스텝.
# 별표가 출발점, 엑스 표시가 최솟값입니다.

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

# %% [markdown] lang=ko
# SGD의 `y`는 스텝마다 부호가 바뀝니다(지그재그). 모멘텀은 `x` 방향으로 지나쳤다가 되돌아옵니다.
# AdaGrad와 RMSprop은 좌표마다 크기를 맞추므로 두 좌표가 비슷한 속도로 움직여 최솟값을 향해 거의
# 곧장 갑니다(RMSprop의 스텝은 최솟값 근처에서도 크기가 약 `lr`로 유지되어, 마지막에는 `y = 0`
# 주위에서 아주 작게 떨립니다). AdaDelta는 거의 움직이지 않습니다. 스텝을 자신의 과거 스텝들의 이동
# 평균으로 만드는데, 그 평균이 0에서 시작하기 때문입니다(`epsilon` 덕분에 겨우 출발합니다). 그래서
# 속도가 붙기까지 많은 스텝이 필요합니다. Adam과 Nadam은 모멘텀처럼 휘어 들어오지만 흔들림이 더
# 작습니다(Nadam의 앞을 내다보는 스텝이 흔들림을 더 줄입니다).
#
# ## 3. 옵티마이저별로 신경망 훈련하기
#
# 강의의 비교: 유닛 100개인 ReLU 은닉층 4개(He 초기화), 무작위로 뽑은 크기 128의 미니배치, 2000번
# 반복, 모든 옵티마이저에 같은 초기 가중치와 같은 배치. 학습률: SGD, 모멘텀, Nesterov, AdaGrad는
# 0.01, RMSprop, Adam, Nadam은 0.001(Keras의 기본값), AdaDelta는 1.0(흔히 쓰는 값).

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

# %% [markdown] lang=ko
# 평범한 SGD가 확실히 가장 느리고, 모멘텀, Nesterov, 적응적 방법들은 모두 흔히 쓰는 학습률에서 더
# 좋은 결과를 냅니다.
#
# ## 4. Keras 방식: 이름으로 고르는 옵티마이저
#
# `compile(optimizer="nadam")`은 Keras의 기본값으로 `Nadam`을 만듭니다. `"momentum"`과
# `"nesterov"`는 `SGD(momentum=0.9)`(`nesterov=True`)의 줄임말입니다. 객체를 넘기면 하이퍼파라미터를
# 직접 정할 수 있습니다: `compile(optimizer=optim.Nadam(lr=2e-3))`.

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

# %% [markdown] lang=ko
# ## 확인

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
