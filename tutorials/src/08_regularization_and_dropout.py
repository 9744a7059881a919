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
#   unit can rely on particular others; at test time all units are used;
# * **data augmentation** shows every training image slightly changed at every epoch
#   (rotated, zoomed, shifted), so that there is less to memorize.
#
# The course's experiment: 300 training images, 7 layers, 200 epochs.
#
# **What to look for.** The gap between training and test accuracy, with and without each
# remedy. (Spoiler: the gap shrinks; the test accuracy hardly moves. With 300 images,
# regularization cannot replace the missing data.) The weight histograms: L1 makes many
# weights zero.
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 08 - 과적합: L1/L2 규제, 가중치 감소, 드롭아웃
#
# **강의 내용.** 적은 데이터로 큰 신경망을 훈련하면 데이터를 외워 버립니다. 훈련 정확도는 100%에
# 이르지만 테스트 정확도는 훨씬 낮게 머뭅니다(**과적합**). 해결책은 다음과 같습니다.
#
# * **L2 규제**는 손실에 `lambda * sum(w**2)`를 더해(Keras의 `l2(lambda)`, 교재의 1/2은 없음) 모든
#   가중치를 `2 * lambda * w`만큼 0 쪽으로 끌어당깁니다;
# * **L1 규제**는 `lambda * sum(|w|)`를 더합니다. 일정한 힘 `lambda * sign(w)`로 끌어당기므로 많은
#   가중치가 정확히 0이 됩니다(희소한 가중치);
# * **가중치 감소**는 스텝마다 가중치를 직접 줄입니다. `w <- w - lr * weight_decay * w` (Keras 3의
#   옵티마이저 옵션). 평범한 SGD에서는 `lambda = weight_decay / 2`인 L2와 같지만, Adam에서는
#   다릅니다(AdamW);
# * **드롭아웃**은 훈련 스텝마다 유닛의 일부를 무작위로 꺼서, 어떤 유닛도 특정한 다른 유닛에 기댈 수
#   없게 합니다. 테스트할 때는 모든 유닛을 씁니다;
# * **데이터 증강**은 에포크마다 훈련 이미지를 조금씩 바꿔서(회전, 확대·축소, 이동) 보여 주므로 외울
#   것이 줄어듭니다.
#
# 강의의 실험: 훈련 이미지 300장, 7개 층, 200 에포크.
#
# **살펴볼 점.** 각 해결책이 있을 때와 없을 때 훈련 정확도와 테스트 정확도의 차이. (미리 말하면:
# 차이는 줄어들지만 테스트 정확도는 거의 움직이지 않습니다. 이미지가 300장뿐이면 규제가 부족한
# 데이터를 대신할 수 없습니다.) 가중치 히스토그램: L1은 많은 가중치를 0으로 만듭니다. 용어는
# [용어집](../../docs/glossary.md)을 참고하세요.

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

# %% [markdown] lang=ko
# ## 1. 벌점 항과 그 기울기
#
# 규제 함수(regularizer)는 가중치를 받아 숫자 하나를 돌려주는 함수이고, 기울기는 자동 미분이 구해
# 줍니다.

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

# %% [markdown] lang=ko
# 층에서는 `Dense(..., kernel_regularizer=regularizers.l2(0.01))`처럼 씁니다. 모델이 벌점 항을
# 모으고(`model.regularization_losses()`) `fit`이 손실에 더하므로, 기록되는 손실에도 벌점이
# 포함됩니다(Keras와 같습니다).
#
# **SGD에서 L2와 가중치 감소는 같은 스텝입니다.** 같은 가중치에서 출발해, 손실에 `l2(lambda)`를 넣은
# 스텝과 `SGD(weight_decay=2 * lambda)`의 스텝을 하나씩 밟아 봅니다.

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

# %% [markdown] lang=ko
# ## 2. 훈련할 때와 테스트할 때의 드롭아웃
#
# `Dropout(rate)`는 훈련 모드에서 각 값을 확률 `rate`로 0으로 만들고 나머지를 `1 / (1 - rate)`배
# 합니다("역 드롭아웃"). 그래서 기댓값이 변하지 않아 테스트할 때 다시 크기를 맞출 필요가 없고,
# 테스트 때 이 층은 아무 일도 하지 않습니다. `fit`은 모델을 훈련 모드로, `evaluate`와 `predict`는
# 추론 모드(`model.eval()`)로 바꿉니다.

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

# %% [markdown] lang=ko
# ## 3. 이미지 300장에서의 과적합과 해결책
#
# 유닛 100개인 ReLU 은닉층 6개와 소프트맥스 출력층(He 초기화), 학습률 0.01인 SGD, 크기 100의 배치,
# 200 에포크, 첫 훈련 이미지 300장. 검증 곡선에는 테스트 이미지 2000장을, 최종 테스트 정확도에는
# 10000장 전부를 씁니다.
#
# 해결책을 하나씩 적용합니다: 모든 커널에 `l2(0.05)`(1/2을 붙이는 강의의 관례로 `lambda = 0.1`),
# `l1(0.005)`, 옵티마이저의 분리된 가중치 감소 0.1, 모든 은닉층 뒤의 드롭아웃 0.2.

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
# One panel per remedy. Solid lines: training accuracy (measured during the epoch, so with
# dropout active); dashed: validation. Without a remedy the training accuracy reaches 1
# while validation stalls far below. Every remedy slows the fit of the training set and
# narrows the gap (L1 at this strength the least). None of them raises the test accuracy,
# and the strong ones lower it a little: the network has seen only 300 images, and
# regularization cannot make up for missing data. (An exercise: repeat with 3000 images
# and weaker penalties.)
#
# ## 4. What the penalties do to the weights
#
# The first layer's kernel after training: L2 and weight decay shrink all weights, L1 sets
# a large part of them to (almost exactly) zero.

# %% [markdown] lang=ko
# 그림마다 해결책 하나입니다. 실선은 훈련 정확도(에포크 동안 측정하므로 드롭아웃이 켜진 상태),
# 점선은 검증 정확도입니다. 해결책이 없으면 훈련 정확도는 1에 이르지만 검증 정확도는 한참 아래에서
# 멈춥니다. 모든 해결책은 훈련 세트에 맞춰 가는 속도를 늦추고 차이를 좁힙니다(이 세기의 L1이 가장
# 적게). 어느 것도 테스트 정확도를 올리지 못하고, 강한 것들은 오히려 조금 낮춥니다. 신경망이 본
# 이미지는 300장뿐이고, 규제는 부족한 데이터를 메우지 못합니다. (연습: 이미지 3000장과 더 약한
# 벌점으로 다시 해 보세요.)
#
# ## 4. 벌점이 가중치에 하는 일
#
# 훈련 후 첫 층의 커널: L2와 가중치 감소는 모든 가중치를 줄이고, L1은 상당 부분을 (거의 정확히)
# 0으로 만듭니다.

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
# ## 5. Data augmentation
#
# Another remedy changes the data instead of the network: at every epoch each training image
# is shown slightly changed (turned, zoomed, shifted), with the same label. The network can
# no longer memorize 300 exact pictures and must learn what survives the change. The
# augmentation layers (Keras's names: `RandomFlip`, `RandomTranslation`, `RandomRotation`,
# `RandomZoom`, `RandomContrast`, `RandomCrop`) go at the front of the model and act only in
# training mode: `evaluate` and `predict` see the images unchanged. Below, eight random
# versions of one training image, with the layers of the first experiment.

# %% [markdown] lang=ko
# ## 5. 데이터 증강
#
# 또 다른 해결책은 신경망 대신 데이터를 바꿉니다. 에포크마다 각 훈련 이미지를 조금씩 바꿔서(회전,
# 확대·축소, 이동) 같은 레이블과 함께 보여 줍니다. 신경망은 더 이상 정확히 같은 그림 300장을 외울 수
# 없고, 변화 뒤에도 남는 특징을 배워야 합니다. 증강 층(Keras의 이름: `RandomFlip`,
# `RandomTranslation`, `RandomRotation`, `RandomZoom`, `RandomContrast`, `RandomCrop`)은 모델의
# 맨 앞에 두며 훈련 모드에서만 작동합니다. `evaluate`와 `predict`는 이미지를 바뀌지 않은 그대로
# 봅니다. 아래는 첫 번째 실험의 층으로 만든, 훈련 이미지 한 장의 무작위 변형 여덟 개입니다.

# %%
def mild_augmentation():
    return [nn.RandomRotation(0.02, fill_mode="constant"), nn.RandomZoom(0.1, fill_mode="constant")]


def strong_augmentation():
    return [nn.RandomTranslation(0.05, 0.05, fill_mode="constant", interpolation="nearest"),
            nn.RandomZoom(0.1, fill_mode="constant")]


preview = nn.Sequential(mild_augmentation())
samples = preview(tg.Tensor(np.repeat(x_train[:1].reshape(1, 28, 28, 1), 8, axis=0))).numpy()
figure = Figure(figsize=(10, 1.6), layout="constrained")
for ax, sample in zip(figure.subplots(1, 8), samples):
    ax.imshow(sample[..., 0], cmap="gray_r", vmin=0, vmax=1)
    ax.axis("off")
preview.eval()
unchanged = preview(tg.Tensor(x_train[:1].reshape(1, 28, 28, 1))).numpy()
figure

# %% [markdown]
# The same seven-layer network, the same initial weights (`manual_seed(0)`), optimizer and
# 200 epochs as the run without a remedy above, now with the images reshaped to 28 x 28 x 1,
# augmented, and flattened again. Two strengths: mild (rotations up to 0.02 of a turn, 7°,
# and zooms of +-10%) and strong (shifts of up to 5% of the size, 1.4 pixels, and the same
# zooms). Train and test accuracy are measured by `evaluate`, without augmentation.

# %% [markdown] lang=ko
# 위의 해결책 없는 실행과 같은 7층 신경망, 같은 초기 가중치(`manual_seed(0)`), 옵티마이저, 200
# 에포크입니다. 다만 이미지를 28 x 28 x 1로 바꾸고, 증강하고, 다시 펼칩니다. 세기는 두 가지입니다.
# 약하게(한 바퀴의 0.02, 즉 7°까지의 회전과 +-10%의 확대·축소)와 강하게(크기의 5%, 즉 1.4픽셀까지의
# 이동과 같은 확대·축소). 훈련 정확도와 테스트 정확도는 증강 없이 `evaluate`로 잽니다.

# %%
augmented_results = {"none": results["none"]}
for label, make_layers in [("mild", mild_augmentation), ("strong", strong_augmentation)]:
    tg.manual_seed(0)
    model = nn.Sequential([nn.Reshape((28, 28, 1), input_shape=(784,)), *make_layers(),
                           nn.Flatten(), *seven_layers().layers])
    model.compile(optimizer=optim.SGD(lr=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=100, epochs=epochs, verbose=0)
    augmented_results[label] = (model.evaluate(x_train, y_train, verbose=0)[1],
                                model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1])
for label, (train_accuracy, test_accuracy) in augmented_results.items():
    print(f"augmentation {label:6s} train {train_accuracy:.3f}  test {test_accuracy:.3f}  "
          f"gap {train_accuracy - test_accuracy:.3f}")

# %% [markdown]
# Measured (full run): without augmentation train 0.997, test 0.750, gap 0.246; mild
# augmentation train 0.917, test 0.746, gap 0.171; strong augmentation train 0.800,
# test 0.722, gap 0.078. Augmentation narrows the gap like the penalties and dropout do,
# more the stronger it is; the test accuracy again hardly moves, and the strong version
# costs a few points within 200 epochs: this network sees every pixel as a separate input,
# so a picture shifted by one pixel looks new to it. (Shifts and zooms are most at home in
# front of convolutional networks, which share their weights across positions.)

# %% [markdown] lang=ko
# 측정값(전체 실행): 증강 없이 훈련 0.997, 테스트 0.750, 차이 0.246; 약한 증강 훈련 0.917, 테스트
# 0.746, 차이 0.171; 강한 증강 훈련 0.800, 테스트 0.722, 차이 0.078. 증강은 벌점 항이나 드롭아웃처럼
# 차이를 좁히고, 강할수록 더 좁힙니다. 테스트 정확도는 이번에도 거의 움직이지 않고, 강한 증강은 200
# 에포크 안에서 몇 포인트를 잃습니다. 이 신경망은 픽셀 하나하나를 별개의 입력으로 보므로, 한 픽셀
# 옮긴 그림도 새로운 그림으로 보입니다. (이동과 확대·축소는 위치마다 같은 가중치를 쓰는 합성곱
# 신경망 앞에서 가장 많이 쓰입니다.)

# %% [markdown]
# ## Checks

# %% [markdown] lang=ko
# ## 확인

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
assert not np.allclose(samples[0], samples[1])  # a new transformation for every image
np.testing.assert_array_equal(unchanged, x_train[:1].reshape(1, 28, 28, 1))  # inference
augmented_gap = {label: train - test for label, (train, test) in augmented_results.items()}
if not QUICK:
    assert augmented_gap["strong"] < augmented_gap["mild"] < augmented_gap["none"]
    assert abs(augmented_results["mild"][1] - augmented_results["none"][1]) < 0.03
print("checks passed")
