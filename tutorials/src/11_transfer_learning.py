# %% [markdown]
# # 11 - Transfer learning: reuse a trained network's layers, frozen then fine-tuned
#
# **What the course says.** The lower layers of a network trained on one task learn
# features (edges, shapes, textures) that are useful for related tasks. With little data
# for the new task, reuse them: copy the trained layers, replace the output layer, first
# **freeze** the reused layers (`layer.trainable = False`) so that the new output layer can
# learn without wrecking them with large random gradients, then **unfreeze** and fine-tune
# everything with a small learning rate. Keras's book example on Fashion-MNIST:
#
# * task A: the 8 classes other than sandal and shirt, with plenty of images;
# * task B: shirt (1) or sandal (0)? with only **200** training images.
#
# **What to look for.** The trainable-parameter count after freezing; the frozen weights not
# moving in the first phase; the test accuracy of the reused network against the same
# network trained on task B from scratch, over several seeds (one seed can flatter either).
#
# Terms in English and Korean: [glossary](../docs/glossary.md).

# %% [markdown] lang=ko
# # 11 - 전이 학습: 훈련된 신경망의 층을 재사용하기, 동결한 다음 미세 조정
#
# **강의 내용.** 한 작업에서 훈련한 신경망의 아래쪽 층은 관련된 다른 작업에도 쓸모 있는 특성(모서리,
# 모양, 질감)을 배웁니다. 새 작업의 데이터가 적으면 이 층들을 재사용합니다. 훈련된 층을 복사하고,
# 출력층을 바꾸고, 먼저 재사용한 층을 **동결**해서(`layer.trainable = False`) 새 출력층이 큰 무작위
# 기울기로 그 층들을 망가뜨리지 않고 학습하게 한 다음, **동결을 풀고** 작은 학습률로 전체를 미세
# 조정합니다. Fashion-MNIST에 대한 Keras 책의 예제:
#
# * 작업 A: 샌들과 셔츠를 뺀 8개 클래스, 이미지가 많음;
# * 작업 B: 셔츠(1)인가 샌들(0)인가? 훈련 이미지가 단 **200**장.
#
# **살펴볼 점.** 동결한 뒤의 훈련되는 파라미터 수, 첫 단계에서 움직이지 않는 동결된 가중치, 재사용한
# 신경망의 테스트 정확도를 작업 B에서 처음부터 훈련한 같은 신경망과 여러 시드에 걸쳐 비교한
# 결과(시드 하나로는 어느 쪽이든 좋아 보일 수 있습니다). 용어는 [용어집](../../docs/glossary.md)을
# 참고하세요.

# %%
# %matplotlib inline
import os
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.datasets import load_fashion_mnist

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(42)
OUTPUTS = Path("tutorial_outputs")
OUTPUTS.mkdir(exist_ok=True)

# %% [markdown]
# ## 1. Two tasks from one data set
#
# Class 5 is sandal, class 6 is shirt. Task A keeps the other eight classes (labels 7, 8, 9
# become 5, 6, 7 so that they run from 0 to 7); task B keeps sandals and shirts, labelled
# 0 and 1. The last 5000 training images are kept for validation.

# %% [markdown] lang=ko
# ## 1. 데이터 세트 하나에서 두 작업
#
# 5번 클래스가 샌들, 6번 클래스가 셔츠입니다. 작업 A는 나머지 8개 클래스를 씁니다(레이블 7, 8, 9는
# 0부터 7까지 이어지도록 5, 6, 7이 됩니다). 작업 B는 샌들과 셔츠를 쓰고, 레이블은 0과 1입니다. 훈련
# 이미지의 마지막 5000장은 검증용으로 떼어 둡니다.

# %%
def split_tasks(images, labels):
    in_b = (labels == 5) | (labels == 6)
    labels_a = labels[~in_b].copy()
    labels_a[labels_a > 6] -= 2
    labels_b = (labels[in_b] == 6).astype(np.float32)
    return (images[~in_b], labels_a), (images[in_b], labels_b)


(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train, x_test = x_train / np.float32(255), x_test / np.float32(255)
(x_a, y_a), (x_b, y_b) = split_tasks(x_train[:55000], y_train[:55000])
(x_valid_a, y_valid_a), _ = split_tasks(x_train[55000:], y_train[55000:])
(x_test_a, y_test_a), (x_test_b, y_test_b) = split_tasks(x_test, y_test)
x_b, y_b = x_b[:200], y_b[:200]  # task B has only 200 training images
if QUICK:
    x_a, y_a, x_valid_a, y_valid_a = x_a[:3000], y_a[:3000], x_valid_a[:500], y_valid_a[:500]
    x_test_b, y_test_b = x_test_b[:500], y_test_b[:500]
print(f"task A: {len(x_a)} training images, task B: {len(x_b)} "
      f"({int(y_b.sum())} shirts), task B test: {len(x_test_b)}")

# %% [markdown]
# ## 2. Model A
#
# Five hidden SELU layers (300, 100, 50, 50, 50 units) and an 8-way softmax, SGD with
# learning rate 0.001, as in the book.

# %% [markdown] lang=ko
# ## 2. 모델 A
#
# SELU 은닉층 5개(유닛 300, 100, 50, 50, 50개)와 8개 클래스 소프트맥스, 책처럼 학습률 0.001인 SGD.

# %%
def hidden_layers():
    return [nn.Flatten(input_shape=(28, 28))] + [
        nn.Dense(units, activation="selu") for units in (300, 100, 50, 50, 50)]


model_a = nn.Sequential([*hidden_layers(), nn.Dense(8, activation="softmax")])
model_a.compile(optimizer=optim.SGD(lr=1e-3), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
history_a = model_a.fit(x_a, y_a, epochs=1 if QUICK else 10,
                        validation_data=(x_valid_a, y_valid_a), verbose=0 if QUICK else 2)
accuracy_a = model_a.evaluate(x_test_a, y_test_a, verbose=0)[1]
print(f"model A, test accuracy on task A: {accuracy_a:.4f}")
model_a_path = OUTPUTS / "model_a.npz"
model_a.save(model_a_path)

# %% [markdown]
# ## 3. Reusing model A for task B
#
# `Sequential(model_a.layers[:-1] + [new_output])` would *share* the layer objects with
# model A: training the new model would change model A too. So we copy it first: save and
# load (the counterpart of Keras's `clone_model` + `set_weights`), drop its output layer
# with `pop()` and add a one-unit sigmoid output for the yes/no question.

# %% [markdown] lang=ko
# ## 3. 작업 B에 모델 A 재사용하기
#
# `Sequential(model_a.layers[:-1] + [new_output])`는 층 객체를 모델 A와 *공유*합니다. 새 모델을
# 훈련하면 모델 A도 바뀝니다. 그래서 먼저 복사합니다. 저장했다가 불러오고(Keras의 `clone_model` +
# `set_weights`에 해당), `pop()`으로 출력층을 빼고, 예/아니오 질문을 위해 유닛 하나인 시그모이드
# 출력층을 더합니다.

# %%
def model_b_on_a():
    model = tg.load_model(model_a_path)  # an independent copy of model A
    model.pop()
    model.add(nn.Dense(1, activation="sigmoid"))
    return model


def model_b_from_scratch():
    return nn.Sequential([*hidden_layers(), nn.Dense(1, activation="sigmoid")])


tg.manual_seed(0)
reused = model_b_on_a()
for layer in reused.layers[:-1]:
    layer.trainable = False
reused.summary()

# %% [markdown]
# Only the new output layer (50 weights + 1 bias) is trainable now. As in Keras,
# `compile` must come *after* changing `trainable`: it hands the trainable weights to the
# optimizer.
#
# ## 4. Training: frozen, then fine-tuned; and the baseline
#
# Both models get the same schedule: 10 epochs with SGD at learning rate 0.01, then 10
# epochs at 0.001. The reused model has its copied layers frozen during the first phase
# and unfrozen for the second. Five seeds (the seed decides the new layers' initial
# weights and the order of the batches).
#
# (The book's schedule is 4 frozen epochs at 0.001, then 16 at 0.0001. With 200 images that
# is only 28 steps for the new output layer, which then starts the fine-tuning half-trained;
# we measured results that depend strongly on the seed. Training the new head properly
# first is the reliable recipe.)

# %% [markdown] lang=ko
# 이제 새 출력층(가중치 50개 + 편향 1개)만 훈련됩니다. Keras와 마찬가지로 `compile`은 `trainable`을
# 바꾼 *뒤에* 해야 합니다. `compile`이 훈련되는 가중치를 옵티마이저에 넘기기 때문입니다.
#
# ## 4. 훈련: 동결한 다음 미세 조정, 그리고 기준 모델
#
# 두 모델은 같은 일정으로 훈련합니다: 학습률 0.01의 SGD로 10 에포크, 다음에 0.001로 10 에포크.
# 재사용한 모델은 첫 단계에서 복사한 층을 동결하고 둘째 단계에서 풉니다. 시드는 다섯 개입니다(시드가
# 새 층의 초기 가중치와 배치의 순서를 정합니다).
#
# (책의 일정은 0.001로 동결 4 에포크, 다음에 0.0001로 16 에포크입니다. 이미지가 200장이면 새
# 출력층이 받는 스텝이 28번뿐이어서, 반쯤만 훈련된 채로 미세 조정을 시작합니다. 측정해 보니 결과가
# 시드에 크게 좌우되었습니다. 먼저 새 출력층을 제대로 훈련하는 것이 믿을 만한 방법입니다.)

# %%
def train_on_b(model, freeze_reused):
    frozen_before = None
    for phase, (learning_rate, epochs) in enumerate(((1e-2, 10), (1e-3, 10))):
        if QUICK:
            epochs = 3
        for layer in model.layers[:-1]:
            layer.trainable = not (freeze_reused and phase == 0)
        model.compile(optimizer=optim.SGD(lr=learning_rate), loss="binary_crossentropy",
                      metrics=["accuracy"])
        if phase == 0:
            frozen_before = model.layers[1].kernel.numpy().copy()
        model.fit(x_b, y_b, epochs=epochs, verbose=0)
        if phase == 0:
            moved = np.abs(model.layers[1].kernel.numpy() - frozen_before).max()
    return model.evaluate(x_test_b, y_test_b, verbose=0)[1], moved


seeds = range(2) if QUICK else range(5)
scratch_accuracy, transfer_accuracy, frozen_moves, scratch_moves = [], [], [], []
for seed in seeds:
    tg.manual_seed(seed)
    accuracy, moved = train_on_b(model_b_from_scratch(), freeze_reused=False)
    scratch_accuracy.append(accuracy)
    scratch_moves.append(moved)
    tg.manual_seed(seed)
    accuracy, moved = train_on_b(model_b_on_a(), freeze_reused=True)
    transfer_accuracy.append(accuracy)
    frozen_moves.append(moved)
    print(f"seed {seed}: from scratch {scratch_accuracy[-1]:.4f}, "
          f"reusing model A {transfer_accuracy[-1]:.4f}")

scratch_error = 1 - np.mean(scratch_accuracy)
transfer_error = 1 - np.mean(transfer_accuracy)
print(f"mean test accuracy: from scratch {np.mean(scratch_accuracy):.4f}, reusing model A "
      f"{np.mean(transfer_accuracy):.4f}")
print(f"error rate {scratch_error:.2%} -> {transfer_error:.2%}")

# %% [markdown]
# Shirts against sandals is an easy task, so even 200 images go a long way from scratch;
# the reused features still remove part of the remaining errors. Transfer learning pays off
# most when the new task has very little data and the old network learned general features
# (typically the lower layers of a deep convolutional network trained on a large data set);
# small dense networks like this one transfer less.
#
# ## Checks

# %% [markdown] lang=ko
# 셔츠 대 샌들은 쉬운 작업이라 처음부터 훈련해도 200장이면 꽤 잘합니다. 그래도 재사용한 특성이 남은
# 오류의 일부를 없애 줍니다. 전이 학습은 새 작업의 데이터가 아주 적고 원래 신경망이 일반적인 특성을
# 배웠을 때(대표적으로 큰 데이터 세트로 훈련한 깊은 합성곱 신경망의 아래쪽 층) 가장 효과가 큽니다.
# 이런 작은 완전 연결 신경망은 덜 전이됩니다.
#
# ## 확인

# %%
assert accuracy_a > (0.6 if QUICK else 0.85)
assert sum(p.size for p in reused.parameters()) == 51  # only the new output layer trains
assert max(frozen_moves) == 0.0  # frozen weights did not move in the first phase
assert min(scratch_moves) > 0.0  # the baseline's same layer did
untouched = tg.load_model(model_a_path)  # model A itself is unchanged by all this
assert all(np.array_equal(p.numpy(), q.numpy())
           for p, q in zip(untouched.weights, model_a.weights))
assert min(transfer_accuracy) > 0.8
if not QUICK:
    assert np.mean(transfer_accuracy) > 0.98
print("checks passed")
