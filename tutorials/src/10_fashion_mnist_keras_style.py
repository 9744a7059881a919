# %% [markdown]
# # 10 - Fashion-MNIST, Keras style: the course's model from start to finish
#
# **What the course says.** The whole workflow in Keras's words: load and scale the data,
# one-hot encode the labels, stack the layers in a `Sequential` model, `compile` it with an
# optimizer, a loss and metrics, `fit` it with a validation split and callbacks
# (`EarlyStopping` stops when the validation loss stops improving and restores the best
# weights; `ModelCheckpoint` saves the best model to a file), then `evaluate` on the test
# set and look at the predictions. The course's model:
#
# ```
# Flatten -> Dense(256, elu, he_normal) -> BatchNormalization(momentum=0.9)
#         -> Dense(128, selu, lecun_normal) -> Dense(128, selu, lecun_normal)
#         -> Dense(10, softmax)
# optimizer nadam, loss categorical_crossentropy, metric accuracy
# ```
#
# **What to look for.** The summary's parameter counts (and the 512 non-trainable ones);
# training and validation curves drifting apart, and the epoch where early stopping
# acts; the test accuracy (close to 0.89 in a full run); which classes the model confuses
# (shirts, T-shirts, pullovers and coats).
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 10 - Keras 방식의 Fashion-MNIST: 강의의 모델을 처음부터 끝까지
#
# **강의 내용.** Keras의 용어로 본 전체 작업 흐름: 데이터를 불러와 스케일을 맞추고, 레이블을 원-핫
# 인코딩하고, `Sequential` 모델에 층을 쌓고, 옵티마이저, 손실 함수, 평가 지표로 `compile`하고, 검증
# 세트 분리와 콜백으로 `fit`합니다(`EarlyStopping`은 검증 손실이 더 나아지지 않으면 멈추고 가장 좋은
# 가중치를 되돌려 놓는 조기 종료이고, `ModelCheckpoint`는 가장 좋은 모델을 파일로 저장합니다).
# 그다음 테스트 세트로 `evaluate`하고 예측을 살펴봅니다. 강의의 모델:
#
# ```
# Flatten -> Dense(256, elu, he_normal) -> BatchNormalization(momentum=0.9)
#         -> Dense(128, selu, lecun_normal) -> Dense(128, selu, lecun_normal)
#         -> Dense(10, softmax)
# optimizer nadam, loss categorical_crossentropy, metric accuracy
# ```
#
# **살펴볼 점.** summary의 파라미터 수(와 훈련되지 않는 512개), 벌어져 가는 훈련 곡선과 검증 곡선,
# 조기 종료가 작동하는 에포크, 테스트 정확도(전체 실행에서 0.89 가까이), 모델이 헷갈리는
# 클래스(셔츠, 티셔츠, 풀오버, 코트). 용어는 [용어집](../../docs/glossary.md)을 참고하세요.

# %%
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import tinygrad_edu as tg
from tinygrad_edu import nn, viz
from tinygrad_edu.callbacks import EarlyStopping, ModelCheckpoint
from tinygrad_edu.datasets import FASHION_MNIST_CLASS_NAMES, load_fashion_mnist, to_categorical
from tinygrad_edu.viz.training import confusion_matrix

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(42)
OUTPUTS = Path("tutorial_outputs")  # checkpoints go here (relative to the working folder)
OUTPUTS.mkdir(exist_ok=True)

# %% [markdown]
# ## 1. The data
#
# 60000 training and 10000 test images of 28 x 28 grey pixels (uint8), ten classes.
# Pixels are scaled to [0, 1]; labels become one-hot vectors for `categorical_crossentropy`.

# %% [markdown] lang=ko
# ## 1. 데이터
#
# 28 x 28 회색조 픽셀(uint8)의 훈련 이미지 60000장과 테스트 이미지 10000장, 클래스 10개. 픽셀은 [0,
# 1]로 스케일을 맞추고, 레이블은 `categorical_crossentropy`를 위해 원-핫 벡터로 만듭니다.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
if QUICK:
    x_train, y_train, x_test, y_test = x_train[:3000], y_train[:3000], x_test[:500], y_test[:500]
x_train, x_test = x_train / np.float32(255), x_test / np.float32(255)
t_train, t_test = to_categorical(y_train, 10), to_categorical(y_test, 10)
print("train", x_train.shape, x_train.dtype, " test", x_test.shape, " one-hot", t_train.shape)

# %%
figure = Figure(figsize=(10, 2.4), layout="constrained")
for index, ax in enumerate(figure.subplots(2, 10).ravel()):
    first_of_class = int(np.flatnonzero(y_train == index % 10)[index // 10])
    ax.imshow(x_train[first_of_class], cmap="binary")
    ax.set_axis_off()
    if index < 10:
        ax.set_title(FASHION_MNIST_CLASS_NAMES[index], fontsize="small")
figure

# %% [markdown]
# ## 2. The model

# %% [markdown] lang=ko
# ## 2. 모델

# %%
model = nn.Sequential([
    nn.Flatten(input_shape=(28, 28)),
    nn.Dense(256, activation="elu", kernel_initializer="he_normal"),
    nn.BatchNormalization(momentum=0.9),
    nn.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
    nn.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
    nn.Dense(10, activation="softmax"),
])
model.summary()

# %% [markdown]
# `Dense(256)` on 784 inputs has `784 * 256 + 256 = 200,960` parameters. The batch
# normalization has 4 vectors of 256: `gamma` and `beta` are learned, `moving_mean` and
# `moving_variance` are updated by the layer itself (the non-trainable 512).
#
# ## 3. Compile and fit with callbacks
#
# `validation_split=0.1` keeps the last 10% of the training images for validation (taken
# before shuffling, as in Keras). `EarlyStopping(patience=5)` stops after 5 epochs without
# a better validation loss and puts the best weights back; `ModelCheckpoint` writes the
# model whenever the validation loss improves.

# %% [markdown] lang=ko
# 입력 784개에 대한 `Dense(256)`의 파라미터는 `784 * 256 + 256 = 200,960`개입니다. 배치 정규화에는
# 길이 256인 벡터가 4개 있습니다. `gamma`와 `beta`는 학습되고, `moving_mean`과 `moving_variance`는
# 층이 스스로 갱신합니다(훈련되지 않는 512개).
#
# ## 3. 콜백과 함께 compile과 fit
#
# `validation_split=0.1`은 훈련 이미지의 마지막 10%를 검증용으로 떼어 둡니다(Keras처럼 섞기 전에
# 뗍니다). `EarlyStopping(patience=5)`는 검증 손실이 5 에포크 동안 나아지지 않으면 멈추고 가장 좋은
# 가중치를 되돌려 놓습니다. `ModelCheckpoint`는 검증 손실이 나아질 때마다 모델을 파일로 씁니다.

# %%
model.compile(optimizer="nadam", loss="categorical_crossentropy", metrics=["accuracy"])
checkpoint_path = OUTPUTS / "fashion_mnist_best.npz"
callbacks = [
    EarlyStopping(monitor="val_loss", patience=2 if QUICK else 5, restore_best_weights=True),
    ModelCheckpoint(checkpoint_path, monitor="val_loss", save_best_only=True),
]
history = model.fit(x_train, t_train, batch_size=32, epochs=3 if QUICK else 50,
                    validation_split=0.1, callbacks=callbacks, verbose=0 if QUICK else 2)

# %%
viz.plot_history(history)

# %%
val_losses = history.history["val_loss"]
best_epoch = int(np.argmin(val_losses)) + 1
print(f"trained {len(val_losses)} epochs; best validation loss {min(val_losses):.4f} at "
      f"epoch {best_epoch}, validation accuracy then "
      f"{history.history['val_accuracy'][best_epoch - 1]:.4f}")

# %% [markdown]
# ## 4. Test accuracy, and the saved model
#
# `evaluate` runs in inference mode (BN uses its moving averages). The checkpoint file holds
# the architecture and the weights (no pickle); `load_model` rebuilds the model from it.

# %% [markdown] lang=ko
# ## 4. 테스트 정확도와 저장한 모델
#
# `evaluate`는 추론 모드로 실행됩니다(BN이 이동 평균을 씁니다). 체크포인트 파일에는 구조와 가중치가
# 들어 있고(pickle은 쓰지 않습니다), `load_model`이 이 파일에서 모델을 다시 만듭니다.

# %%
test_loss, test_accuracy = model.evaluate(x_test, t_test, verbose=0)
print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.4f}")

reloaded = tg.load_model(checkpoint_path)
reloaded.compile(optimizer="nadam", loss="categorical_crossentropy", metrics=["accuracy"])
reloaded_accuracy = reloaded.evaluate(x_test, t_test, verbose=0)[1]
print(f"model loaded from {checkpoint_path}: test accuracy {reloaded_accuracy:.4f}")

# %% [markdown]
# ## 5. What the model gets wrong
#
# The confusion matrix, normalized over each true class (the diagonal is each class's
# recall):

# %% [markdown] lang=ko
# ## 5. 모델이 틀리는 것
#
# 정답 클래스별로 정규화한 오차 행렬(대각선이 각 클래스의 재현율입니다):

# %%
probabilities = model.predict(x_test, batch_size=256)
predicted = probabilities.argmax(axis=1)
viz.plot_confusion_matrix(y_test, predicted, class_names=FASHION_MNIST_CLASS_NAMES,
                          normalize=True)

# %%
counts = confusion_matrix(y_test, predicted, num_classes=10)
np.fill_diagonal(counts, 0)
print("most frequent mistakes (true -> predicted: count):")
for flat in np.argsort(counts, axis=None)[::-1][:5]:
    true_class, predicted_class = np.unravel_index(flat, counts.shape)
    true_name = FASHION_MNIST_CLASS_NAMES[true_class]
    predicted_name = FASHION_MNIST_CLASS_NAMES[predicted_class]
    print(f"  {true_name:>11s} -> {predicted_name:<11s}: {counts[true_class, predicted_class]}")

# %% [markdown]
# The softmax outputs for the first test images: orange is the predicted class, green the
# true one when they differ.

# %% [markdown] lang=ko
# 첫 테스트 이미지들의 소프트맥스 출력: 주황은 예측한 클래스, 초록은 둘이 다를 때의 정답
# 클래스입니다.

# %%
viz.plot_softmax(probabilities[:8], class_names=FASHION_MNIST_CLASS_NAMES,
                 true_labels=y_test[:8], columns=4)

# %% [markdown]
# And some of the mistakes, with the model's confidence:

# %% [markdown] lang=ko
# 그리고 틀린 것 몇 개를, 모델의 확신도와 함께:

# %%
wrong = np.flatnonzero(predicted != y_test)[:8]
figure = Figure(figsize=(10, 2.8), layout="constrained")
for ax, index in zip(figure.subplots(1, 8), wrong):
    ax.imshow(x_test[index], cmap="binary")
    ax.set_axis_off()
    ax.set_title(f"{FASHION_MNIST_CLASS_NAMES[predicted[index]]} "
                 f"{probabilities[index].max():.0%}\n(true: "
                 f"{FASHION_MNIST_CLASS_NAMES[y_test[index]]})", fontsize="x-small")
figure

# %% [markdown]
# ## Checks

# %% [markdown] lang=ko
# ## 확인

# %%
assert model.count_params() == 252_682 and len(model.non_trainable_weights) == 2
assert checkpoint_path.exists()
assert abs(reloaded_accuracy - test_accuracy) < 1e-6  # restored best weights == checkpoint
assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
assert test_accuracy > (0.7 if QUICK else 0.87)
print("checks passed")
