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
