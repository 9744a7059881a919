# %% [markdown]
# # 06 - Vanishing and exploding gradients, and gradient clipping
#
# **What the course says.** Backpropagation multiplies the error signal by every layer's
# local derivative on its way from the output to the input. With sigmoids (slope at most
# 0.25, almost 0 when saturated) the product shrinks layer after layer: the first layers get
# almost no gradient and stop learning (**vanishing gradient**). The remedies are the
# previous notebooks' lessons: non-saturating activations (ReLU), a matching initialization
# (He), batch normalization. The mirror image, a product that grows
# (**exploding gradient**), throws the weights far away in one step; **gradient clipping**
# caps the step.
#
# **What to look for.** A `GradientTracer` records the gradient norm of every layer at every
# training step. In the bar chart of a deep sigmoid net with N(0, 1) weights the bars shrink
# by orders of magnitude towards the input; with ReLU + He + batch normalization they stay
# level. The report flags the vanishing layers. For the exploding net, compare the losses
# with and without clipping.
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 06 - 기울기 소실과 폭주, 그리고 기울기 클리핑
#
# **강의 내용.** 오차역전파는 오차 신호가 출력에서 입력으로 가는 동안 각 층의 국소적 미분을
# 곱합니다. 시그모이드(기울기 최대 0.25, 포화되면 거의 0)를 쓰면 이 곱이 층마다 줄어들어, 앞쪽 층은
# 기울기를 거의 받지 못하고 학습을 멈춥니다(**기울기 소실**). 해결책은 앞선 노트북들의 교훈입니다:
# 포화되지 않는 활성화 함수(ReLU), 그에 맞는 가중치 초기화(He), 배치 정규화. 그 반대로 곱이 커지는
# 경우(**기울기 폭주**)에는 한 스텝 만에 가중치가 멀리 튕겨 나갑니다. **기울기 클리핑**은 스텝의
# 크기를 제한합니다.
#
# **살펴볼 점.** `GradientTracer`는 훈련 스텝마다 모든 층의 기울기 노름을 기록합니다. N(0, 1)
# 가중치를 쓴 깊은 시그모이드 신경망의 막대그래프에서는 입력 쪽으로 갈수록 막대가 몇 자릿수씩
# 줄어들고, ReLU + He + 배치 정규화에서는 고르게 유지됩니다. 보고서는 기울기가 소실된 층을
# 표시합니다. 폭주하는 신경망에서는 클리핑이 있을 때와 없을 때의 손실을 비교하세요. 용어는
# [용어집](../../docs/glossary.md)을 참고하세요.

# %%
import os

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, viz
from tinygrad_edu.datasets import make_spiral
from tinygrad_edu.init import RandomNormal
from tinygrad_edu.trace import GradientTracer

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. Data and five networks of the same depth
#
# The 3-class spiral (300 points in 2-D). Every network has 8 Dense layers, 7 hidden ones of
# 8 units and a softmax output; only the activation, the initialization and batch
# normalization differ. Narrow layers make the effect strong (a wide sigmoid layer sums many
# large weights and loses less).

# %% [markdown] lang=ko
# ## 1. 데이터와 깊이가 같은 신경망 다섯 개
#
# 3개 클래스의 나선 데이터(2차원 점 300개). 모든 신경망은 Dense 층 8개(유닛 8개인 은닉층 7개와
# 소프트맥스 출력층)로 되어 있고, 활성화 함수, 가중치 초기화, 배치 정규화만 다릅니다. 층이 좁으면
# 효과가 뚜렷합니다(넓은 시그모이드 층은 큰 가중치를 많이 더하므로 덜 잃습니다).

# %%
x, y = make_spiral(100, 3, seed=0)
DEPTH, WIDTH = 8, 8


def deep_net(activation, initializer, batch_norm=False):
    layers = []
    for index in range(1, DEPTH):
        input_dim = 2 if index == 1 else None
        if batch_norm:  # Dense -> BN -> activation; BN's beta replaces the bias
            layers += [nn.Dense(WIDTH, use_bias=False, kernel_initializer=initializer,
                                input_dim=input_dim, name=f"dense_{index}"),
                       nn.BatchNormalization(name=f"batch_norm_{index}"),
                       nn.Activation(activation, name=f"{activation}_{index}")]
        else:
            layers.append(nn.Dense(WIDTH, activation=activation, kernel_initializer=initializer,
                                   input_dim=input_dim, name=f"dense_{index}"))
    layers.append(nn.Dense(3, activation="softmax", kernel_initializer=initializer,
                           name="output"))
    return nn.Sequential(layers)


NETWORKS = {
    "sigmoid, N(0, 1)": ("sigmoid", RandomNormal(stddev=1.0), False),
    "sigmoid, Glorot": ("sigmoid", "glorot_uniform", False),
    "tanh, Glorot": ("tanh", "glorot_uniform", False),
    "ReLU, He": ("relu", "he_normal", False),
    "ReLU, He, BN": ("relu", "he_normal", True),
}

# %% [markdown]
# ## 2. Training with a `GradientTracer` (Keras style)
#
# The tracer is a callback: `fit(..., callbacks=[tracer])` records every step. Full-batch
# training (`batch_size=len(x)`: every step sees all 300 points, so the traces show the
# networks rather than mini-batch noise) with plain SGD + momentum (learning rate 0.03,
# momentum 0.9): with SGD a weight moves by `learning_rate * gradient`, so a vanishing
# gradient means a layer that does not learn. (Try learning rate 0.1: the narrow ReLU net
# without batch normalization then "dies": its units get stuck at 0 and it stops learning.)

# %% [markdown] lang=ko
# ## 2. `GradientTracer`로 훈련하기 (Keras 방식)
#
# 트레이서는 콜백입니다. `fit(..., callbacks=[tracer])`가 모든 스텝을 기록합니다. 전체 배치
# 훈련(`batch_size=len(x)`: 매 스텝이 점 300개를 모두 보므로, 기록에는 미니배치의 잡음이 아니라
# 신경망의 성질이 드러납니다)을 평범한 SGD + 모멘텀(학습률 0.03, 모멘텀 0.9)으로 합니다. SGD에서
# 가중치는 `learning_rate * gradient`만큼 움직이므로, 기울기가 소실되면 그 층은 학습하지 못합니다.
# (학습률 0.1로 해 보세요. 배치 정규화가 없는 좁은 ReLU 신경망은 "죽습니다". 유닛이 0에 갇혀 학습을
# 멈춥니다.)

# %%
epochs = 40 if QUICK else 400
tracers, histories = {}, {}
for label, (activation, initializer, batch_norm) in NETWORKS.items():
    tg.manual_seed(0)
    model = deep_net(activation, initializer, batch_norm)
    model.compile(optimizer=optim.SGD(lr=0.03, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    tracers[label] = GradientTracer(model)
    histories[label] = model.fit(x, y, batch_size=len(x), epochs=epochs, verbose=0,
                                 callbacks=[tracers[label]])
    print(f"{label:18s} final loss {histories[label].history['loss'][-1]:.3f}, "
          f"accuracy {histories[label].history['accuracy'][-1]:.3f}")

# %% [markdown]
# The kernel gradient norm of each layer (input side on the left) at the first and the last
# step, on a log scale shared by the panels:

# %% [markdown] lang=ko
# 첫 스텝과 마지막 스텝에서 각 층(왼쪽이 입력 쪽)의 커널 기울기 노름을, 모든 그림이 공유하는 로그
# 눈금으로 보여 줍니다.

# %%
viz.plot_gradient_trace(tracers, kind="bars", parameter="kernel")

# %% [markdown]
# The same numbers over the whole training, one line per layer (dark: input side):

# %% [markdown] lang=ko
# 같은 수치를 훈련 전체에 걸쳐, 층마다 선 하나로 그렸습니다(진한 색이 입력 쪽).

# %%
viz.plot_gradient_trace(tracers, kind="lines", parameter="kernel")

# %% [markdown]
# Or watch it: `viz.explore_trace` shows the bars of every recorded step with a slider and a
# play button. Compare the sigmoid net with N(0, 1) weights and its fix: the first layers'
# bars (flagged "vanishing", below 1/100 of the output layer's) against bars of one height.

# %% [markdown] lang=ko
# 움직이는 모습으로 볼 수도 있습니다. `viz.explore_trace`는 기록된 모든 스텝의 막대를 슬라이더와
# 재생 버튼으로 보여 줍니다. N(0, 1) 가중치의 시그모이드 신경망과 그 해결책을 비교해 보세요. 앞쪽
# 층의 막대("vanishing" 표시, 출력층의 1/100 미만)와 높이가 고른 막대가 대비됩니다.

# %%
trace_page = viz.explore_trace({label: tracers[label]
                                for label in ("sigmoid, N(0, 1)", "ReLU, He, BN")},
                               parameter="kernel")
trace_page

# %% [markdown]
# One training step of the sigmoid net, op by op: step to the end of the backward pass and
# click `dense_1.kernel` to see its gradient and its "vanishing" flag (the tracer's thresholds).

# %% [markdown] lang=ko
# 시그모이드 신경망의 훈련 스텝 하나를 연산 단위로 따라가 봅니다. 역전파의 끝까지 진행한 다음
# `dense_1.kernel`을 클릭하면 그 기울기와 "vanishing" 표시(트레이서의 기준)를 볼 수 있습니다.

# %%
tg.manual_seed(0)
sigmoid_net = deep_net("sigmoid", RandomNormal(stddev=1.0))
step_loss = tg.losses.get_loss("sparse_categorical_crossentropy")(tg.Tensor(y),
                                                                   sigmoid_net(tg.Tensor(x)))
step_page = viz.explore(step_loss)
first_kernel = next(t for t in step_page.data["tensors"] if t["name"] == "dense_1.kernel")
print("dense_1.kernel:", first_kernel["flag"])
step_page

# %% [markdown]
# The report: each layer's gradient relative to the output layer's, at the first step and
# as the median over training, with the flags.

# %% [markdown] lang=ko
# 보고서: 각 층의 기울기를 출력층의 기울기와 비교한 비율을, 첫 스텝과 훈련 전체의 중앙값으로 보여
# 주고 표시(flag)를 붙입니다.

# %%
reports = {}
for label, tracer in tracers.items():
    print(label)
    reports[label] = tracer.report(parameter="kernel")
    print()

# %%
viz.plot_history(histories, metrics=["loss", "accuracy"])

# %% [markdown]
# The sigmoid net with N(0, 1) weights starts with a first layer hundreds of times slower
# than its last, and its loss stays high for long. Glorot does not rescue the deep sigmoid
# net: Glorot's small weights keep the sigmoids in their linear middle, where the slope is
# 0.25, so every layer still divides the signal by about 4 and the first layer gets even
# less. The same initialization with tanh (slope 1 in the middle) keeps every layer in
# range, and so do ReLU with He and, most evenly, batch normalization: these nets learn the
# spiral.
#
# ## 3. Exploding gradients and clipping (explicit loop)
#
# Eight ReLU layers of 64 units with N(0, 1) weights: each layer multiplies the signal by
# about `sqrt(64 / 2) = 5.7`, forward and backward, so the loss and the gradients are
# astronomically large. One SGD step with such a gradient throws the weights away.
#
# Clipping rescales the gradients when their global norm exceeds a limit, keeping their
# direction: `g <- g * max_norm / max(||g||, max_norm)`. Keras style it is an optimizer
# option, `SGD(..., global_clipnorm=1.0)` (or `clipnorm` per weight, `clipvalue` per
# element); in an explicit loop it is `optim.clip_grad_norm(params, max_norm)` between
# `backward()` and `step()`. Here the explicit loop, with the tracer called by hand.

# %% [markdown] lang=ko
# N(0, 1) 가중치의 시그모이드 신경망은 첫 층이 마지막 층보다 수백 배 느리게 출발하고, 손실이
# 오랫동안 높게 머뭅니다. Glorot도 깊은 시그모이드 신경망을 구하지 못합니다. Glorot의 작은 가중치는
# 시그모이드를 기울기 0.25인 선형 구간 한가운데에 두기 때문에, 층마다 신호가 여전히 약 4로 나뉘고 첫
# 층은 오히려 더 적게 받습니다. 같은 초기화에 tanh(가운데 기울기 1)를 쓰면 모든 층이 제 범위에
# 머물고, He 초기화의 ReLU와, 가장 고르게는 배치 정규화도 그렇습니다. 이 신경망들은 나선을
# 학습합니다.
#
# ## 3. 기울기 폭주와 클리핑 (직접 작성한 루프)
#
# N(0, 1) 가중치를 쓴, 유닛 64개인 ReLU 층 8개: 층마다 신호가 순전파와 역전파 모두에서 약 `sqrt(64 /
# 2) = 5.7`배가 되므로, 손실과 기울기가 천문학적으로 커집니다. 이런 기울기로 SGD 스텝을 한 번 밟으면
# 가중치가 날아가 버립니다.
#
# 클리핑은 기울기 전체의 노름이 한계를 넘으면 방향은 그대로 두고 크기를 줄입니다: `g <- g * max_norm
# / max(||g||, max_norm)`. Keras 방식에서는 옵티마이저의 옵션으로 `SGD(...,
# global_clipnorm=1.0)`(가중치마다 `clipnorm`, 원소마다 `clipvalue`)이고, 직접 작성한 루프에서는
# `backward()`와 `step()` 사이의 `optim.clip_grad_norm(params, max_norm)`입니다. 여기서는 직접
# 작성한 루프에서 트레이서를 손으로 호출합니다.

# %%
def exploding_net():
    big = RandomNormal(stddev=1.0)
    layers = [nn.Dense(64, activation="relu", kernel_initializer=big,
                       input_dim=2 if index == 1 else None, name=f"dense_{index}")
              for index in range(1, 8)]
    return nn.Sequential([*layers, nn.Dense(3, kernel_initializer=big, name="output")])


loss_fn = tg.losses.SparseCategoricalCrossentropy(from_logits=True)
steps = 30 if QUICK else 200
clip_runs, clip_tracers, first_norms = {}, {}, {}
for label, max_norm in (("no clipping", None), ("clip_grad_norm(1.0)", 1.0)):
    tg.manual_seed(0)
    model = exploding_net()
    opt = optim.SGD(model.parameters(), lr=0.01)
    tracer = GradientTracer(model)
    losses_seen = []
    with np.errstate(all="ignore"):  # the unclipped run overflows; that is the point
        for _ in range(steps):
            loss = loss_fn(y, model(tg.Tensor(x)))
            opt.zero_grad()
            loss.backward()
            norm = optim.clip_grad_norm(model.parameters(), max_norm or np.inf)
            first_norms.setdefault(label, norm)  # the norm before clipping
            tracer.before_step()
            opt.step()
            tracer.after_step()
            losses_seen.append(loss.item())
    clip_runs[label] = {"loss": losses_seen}
    clip_tracers[label] = tracer
    print(f"{label:20s} gradient norm at step 1: {first_norms[label]:.2e}, "
          f"loss: first {losses_seen[0]:.3g}, last {losses_seen[-1]:.3g}")

# %% [markdown]
# The backward signal (`dL/d(layer output)`, per layer) at the first step: it grows by
# orders of magnitude towards the input.

# %% [markdown] lang=ko
# 첫 스텝에서의 역방향 신호(층마다 `dL/d(layer output)`): 입력 쪽으로 갈수록 몇 자릿수씩 커집니다.

# %%
viz.plot_gradient_trace(clip_tracers["no clipping"], kind="bars", quantity="output_grad_norm",
                    steps=[0])

# %%
viz.plot_history(clip_runs, metrics=["loss"], logy=True)

# %% [markdown]
# Without clipping the first step throws the weights so far that the next loss is about
# 1e16 and the one after is NaN (the curve ends). With clipping every step has length at
# most `lr * 1.0`: the loss falls. Clipping treats the symptom; the cure is the
# initialization of notebook 05.
#
# ## Checks

# %% [markdown] lang=ko
# 클리핑이 없으면 첫 스텝에 가중치가 너무 멀리 튕겨 나가서 다음 손실은 약 1e16이 되고, 그다음은
# NaN입니다(곡선이 끊깁니다). 클리핑을 하면 모든 스텝의 길이가 최대 `lr * 1.0`이므로 손실이
# 줄어듭니다. 클리핑은 증상을 다스릴 뿐이고, 근본적인 처방은 노트북 05의 가중치 초기화입니다.
#
# ## 확인

# %%
def first_to_last(tracer):
    norms = tracer.matrix("grad_norm", parameter="kernel")[1][:, 0]
    return norms[0] / norms[-1]


ratios = {label: first_to_last(tracer) for label, tracer in tracers.items()}
print({label: f"{ratio:.2e}" for label, ratio in ratios.items()})
assert ratios["sigmoid, N(0, 1)"] < 1e-2  # the first layer gets < 1% of the last's gradient
assert first_kernel["flag"].startswith("vanishing")
assert [run["label"] for run in trace_page.data["runs"]] == ["sigmoid, N(0, 1)", "ReLU, He, BN"]
assert ratios["sigmoid, Glorot"] < 1e-2
for label in ("tanh, Glorot", "ReLU, He", "ReLU, He, BN"):
    assert 0.1 < ratios[label] < 10  # within 10x of the last layer
sigmoid_report = reports["sigmoid, N(0, 1)"]
assert sigmoid_report.rows[0]["layer"] in sigmoid_report.vanishing  # flagged
assert not reports["ReLU, He, BN"].vanishing and not reports["ReLU, He, BN"].exploding
accuracy = {label: h.history["accuracy"][-1] for label, h in histories.items()}
assert accuracy["ReLU, He, BN"] > accuracy["sigmoid, N(0, 1)"]
unclipped = np.array(clip_runs["no clipping"]["loss"])
clipped = np.array(clip_runs["clip_grad_norm(1.0)"]["loss"])
assert first_norms["no clipping"] > 1e4
assert not np.all(np.isfinite(unclipped)) or unclipped[-1] > unclipped[0]
assert np.all(np.isfinite(clipped)) and clipped[-1] < clipped[0]
print("checks passed")
