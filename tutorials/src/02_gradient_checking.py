# %% [markdown]
# # 02 - Gradient checking: backpropagation against finite differences
#
# **What the course says.** Backpropagation is fast but easy to get wrong; the numerical
# derivative is slow but simple. So we compute both and compare them ("gradient check").
# The central difference `(f(x + h) - f(x - h)) / 2h` is much more accurate than the
# forward difference `(f(x + h) - f(x)) / h`, and for a correct implementation the two
# gradients agree to about 1e-10 in float64.
#
# **What to look for.**
# * the error of a finite difference as a function of `h`: too large a step is inexact
#   (truncation), too small a step drowns in rounding (a "V" on a log-log plot);
# * why checks run in float64: in float32 the same comparison is a million times coarser;
# * a check of a whole network, first written out by hand, then with `tinygrad_edu.gradcheck`;
# * a deliberately wrong backward rule, caught and reported.
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 02 - 기울기 확인: 오차역전파와 수치 미분의 비교
#
# **강의 내용.** 오차역전파는 빠르지만 구현을 틀리기 쉽고, 수치 미분은 느리지만 단순합니다. 그래서
# 둘 다 계산해서 비교합니다(기울기 확인, gradient check). 중앙 차분 `(f(x + h) - f(x - h)) / 2h`는
# 전방 차분 `(f(x + h) - f(x)) / h`보다 훨씬 정확하고, 구현이 올바르면 float64에서 두 기울기가 1e-10
# 정도까지 일치합니다.
#
# **살펴볼 점.**
# * `h`에 따른 유한 차분의 오차: 간격이 너무 크면 부정확하고(절단 오차), 너무 작으면 반올림 오차에
#   묻힙니다(로그-로그 그래프에서 "V"자);
# * 왜 확인을 float64로 하는가: float32에서는 같은 비교가 백만 배쯤 거칠어집니다;
# * 신경망 전체의 확인, 먼저 손으로 작성하고 다음에 `tinygrad_edu.gradcheck`로;
# * 일부러 틀리게 만든 역전파 규칙을 잡아내서 보고하는 모습.
#
# 용어는 [용어집](../../docs/glossary.md)을 참고하세요.

# %%
# %matplotlib inline
import os

import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.autograd import Function
from tinygrad_edu.datasets import load_fashion_mnist, to_categorical
from tinygrad_edu.gradcheck import gradcheck

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. The numerical derivative
#
# The course's first example: `f(x) = 0.01 x**2 + 0.1 x`, whose exact derivative at
# `x = 5` is `0.02 * 5 + 0.1 = 0.2`.

# %% [markdown] lang=ko
# ## 1. 수치 미분
#
# 강의의 첫 예제: `f(x) = 0.01 x**2 + 0.1 x`. `x = 5`에서의 정확한 미분값은 `0.02 * 5 + 0.1 =
# 0.2`입니다.

# %%
def f(x):
    return 0.01 * x ** 2 + 0.1 * x


def forward_difference(f, x, h):
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


print("forward difference, h=1e-4:", forward_difference(f, 5.0, 1e-4))
print("central difference, h=1e-4:", central_difference(f, 5.0, 1e-4))

x = tg.Tensor(5.0, requires_grad=True, dtype="float64")
f(x).backward()
print("backpropagation           :", x.grad.item())

# %% [markdown]
# ## 2. How small should `h` be?
#
# For `sin` at `x = 1` (exact derivative `cos 1`) we measure the error of both differences
# over twelve orders of magnitude of `h`, in float64 and float32. Truncation error falls
# like `h` (forward) or `h**2` (central); rounding error grows like `eps_machine / h`.
# The best `h` for a central difference is near `eps_machine ** (1/3)`: about 1e-5 in
# float64 (error about 1e-13) but about 5e-3 in float32, where even the best error is
# about 1e-6.

# %% [markdown] lang=ko
# ## 2. `h`는 얼마나 작아야 할까?
#
# `x = 1`에서의 `sin`(정확한 미분값 `cos 1`)에 대해, 열두 자릿수에 걸친 `h`마다 두 차분의 오차를
# float64와 float32로 측정합니다. 절단 오차는 `h`(전방 차분) 또는 `h**2`(중앙 차분)에 비례해 줄고,
# 반올림 오차는 `eps_machine / h`처럼 커집니다. 중앙 차분에 가장 좋은 `h`는 `eps_machine ** (1/3)`
# 근처로, float64에서는 약 1e-5(오차 약 1e-13)이지만 float32에서는 약 5e-3이고, 가장 좋은 경우에도
# 오차가 1e-6 정도입니다.

# %%
steps = np.logspace(-12, 0, 49)
exact = np.cos(1.0)
errors = {}
for dtype in (np.float64, np.float32):
    one = dtype(1.0)
    for name, rule in (("forward", forward_difference), ("central", central_difference)):
        estimates = [rule(np.sin, one, dtype(h)) for h in steps]
        errors[f"{name}, {np.dtype(dtype).name}"] = np.abs(np.array(estimates, np.float64)
                                                           - exact)

figure = Figure(figsize=(6.5, 4), layout="constrained")
ax = figure.subplots()
for label, error in errors.items():
    ax.loglog(steps, np.maximum(error, 1e-17), "--" if "32" in label else "-", label=label)
ax.set_xlabel("step h")
ax.set_ylabel("|finite difference - exact|")
ax.set_title("error of the numerical derivative of sin at x = 1")
ax.grid(True, which="major", alpha=0.3)
ax.legend()
figure

# %%
best_h = {label: steps[np.argmin(error)] for label, error in errors.items()}
best_error = {label: error.min() for label, error in errors.items()}
for label in errors:
    print(f"{label:18s} best h = {best_h[label]:.0e}, smallest error = {best_error[label]:.1e}")

# %% [markdown]
# ## 3. Checking a network by hand
#
# The course's `gradient_check`: a two-layer network, a few training images, every weight
# nudged by `+h` and `-h` in turn. To keep the loop short the images are averaged down to
# 7 x 7 pixels (49 inputs). The model is converted to float64 first.

# %% [markdown] lang=ko
# ## 3. 신경망을 손으로 확인하기
#
# 강의의 `gradient_check`: 2층 신경망과 훈련 이미지 몇 장으로, 모든 가중치를 하나씩 `+h`와 `-h`만큼
# 움직여 봅니다. 반복문을 짧게 하려고 이미지를 7 x 7 픽셀(입력 49개)로 평균 내어 줄였습니다. 모델은
# 먼저 float64로 바꿉니다.

# %%
(x_train, y_train), _ = load_fashion_mnist()
x_small = (x_train[:3] / np.float32(255)).reshape(3, 7, 4, 7, 4).mean(axis=(2, 4))
x_small = x_small.reshape(3, 49).astype(np.float64)
t_small = to_categorical(y_train[:3], 10).astype(np.float64)

model = nn.Sequential([nn.Dense(10, activation="sigmoid", input_dim=49), nn.Dense(10)])
model.astype("float64")
loss_fn = tg.losses.CategoricalCrossentropy(from_logits=True)


def loss_value():
    return loss_fn(t_small, model(tg.Tensor(x_small)))


def numerical_gradient(loss_value, parameter, h=1e-4):
    """dL/dparameter, one element at a time: (L(w + h) - L(w - h)) / 2h."""
    grad = np.zeros_like(parameter.data)
    with tg.no_grad():
        for index in np.ndindex(parameter.shape):
            saved = parameter.data[index]
            parameter.data[index] = saved + h
            plus = loss_value().item()
            parameter.data[index] = saved - h
            minus = loss_value().item()
            parameter.data[index] = saved  # put the weight back
            grad[index] = (plus - minus) / (2 * h)
    return grad


model.zero_grad()
loss_value().backward()
hand_differences = {}
for name, parameter in model.named_parameters():
    numerical = numerical_gradient(loss_value, parameter)
    hand_differences[name] = np.abs(parameter.grad.numpy() - numerical).mean()
    print(f"{name:16s} mean |backprop - numerical| = {hand_differences[name]:.1e}")

# %% [markdown]
# ## 4. The same with `gradcheck`
#
# `tinygrad_edu.gradcheck.gradcheck(fn, inputs)` does this for every input that requires a
# gradient, compares entry by entry with `|analytical - numerical| <= atol + rtol *
# |numerical|` and contracts the outputs with random vectors (a plain `.sum()` can hide a
# bug). `nn.functional_call` turns the model into a function of its weights.

# %% [markdown] lang=ko
# ## 4. `gradcheck`로 똑같이
#
# `tinygrad_edu.gradcheck.gradcheck(fn, inputs)`는 기울기가 필요한 모든 입력에 대해 이 일을 합니다.
# 원소마다 `|analytical - numerical| <= atol + rtol * |numerical|`로 비교하고, 출력을 무작위 벡터와
# 곱해서 하나로 모읍니다(그냥 `.sum()`을 쓰면 버그가 가려질 수 있습니다). `nn.functional_call`은
# 모델을 가중치의 함수로 바꿔 줍니다.

# %%
weights = {name: tg.Tensor(p.data, requires_grad=True) for name, p in model.named_parameters()}


def loss_of_weights(*tensors):
    replaced = dict(zip(weights, tensors))
    return loss_fn(t_small, nn.functional_call(model, replaced, tg.Tensor(x_small)))


result = gradcheck(loss_of_weights, list(weights.values()))
print("gradcheck passed:", bool(result), f"(largest relative error {result.max_rel_error:.1e})")

# %% [markdown]
# ## 5. Why float64
#
# The hand-written check again, now with the model in float32 and the step that is best
# for float32: the agreement is about a million times worse, and with `h = 1e-4` the
# rounding error would be larger still. (`gradcheck` converts float32 inputs to float64 for
# this reason.)

# %% [markdown] lang=ko
# ## 5. 왜 float64인가
#
# 같은 손 계산 확인을 이번에는 float32 모델과 float32에 가장 좋은 간격으로 해 봅니다. 일치 정도가
# 백만 배쯤 나빠지고, `h = 1e-4`를 쓰면 반올림 오차가 더 커집니다. (그래서 `gradcheck`는 float32
# 입력을 float64로 바꿔서 확인합니다.)

# %%
model.astype("float32")
x_small, t_small = x_small.astype(np.float32), t_small.astype(np.float32)
model.zero_grad()
loss_value().backward()
kernel = model.layers[0].kernel
float32_difference = np.abs(kernel.grad.numpy() - numerical_gradient(loss_value, kernel,
                                                                     h=5e-3)).mean()
print(f"float32: mean |backprop - numerical| for the first kernel = {float32_difference:.1e}")
print(f"float64: {hand_differences[model.layers[0].name + '.kernel']:.1e}")

# %% [markdown]
# ## 6. A bug, caught
#
# A sigmoid whose backward forgets the factor `(1 - y)`. The forward values are right, the
# network would even train (somewhat), but the check fails and shows where.

# %% [markdown] lang=ko
# ## 6. 버그를 잡다
#
# 역전파에서 `(1 - y)` 인수를 빠뜨린 시그모이드입니다. 순전파 값은 맞고, 신경망은 (어느 정도)
# 학습까지 하지만, 확인은 실패하고 어디가 틀렸는지 보여 줍니다.

# %%
class BuggySigmoid(Function):
    """y = 1 / (1 + exp(-x)).   Correct backward: g * y * (1 - y).  This one: g * y."""

    keeps_output = True

    def forward(self, x):
        return 1.0 / (1.0 + np.exp(-x))

    def backward(self, g):
        return g * self.output  # BUG: the factor (1 - y) is missing


z = tg.Tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
buggy = gradcheck(lambda t: BuggySigmoid.apply(t), [z], raise_exception=False)
print("buggy sigmoid passes:", bool(buggy))
print(buggy.report)

# %% [markdown]
# Every built-in operation is checked this way by the test suite; from a terminal,
# `tinygrad-edu gradcheck` runs the check for all of them.
#
# ## Checks

# %% [markdown] lang=ko
# 테스트 스위트는 모든 내장 연산을 이런 방식으로 확인합니다. 터미널에서는 `tinygrad-edu gradcheck`가
# 모든 연산의 확인을 실행합니다.
#
# ## 확인

# %%
assert abs(central_difference(f, 5.0, 1e-4) - 0.2) < 1e-9
assert abs(forward_difference(f, 5.0, 1e-4) - 0.2) > 1e-7  # the forward difference is worse
assert 1e-7 < best_h["central, float64"] < 1e-3 and best_error["central, float64"] < 1e-9
assert best_error["central, float32"] > 1e3 * best_error["central, float64"]
assert max(hand_differences.values()) < 1e-8
assert result.ok and result.max_rel_error < 1e-6
assert float32_difference > 1e3 * max(hand_differences.values())
assert not buggy.ok
print("checks passed")
