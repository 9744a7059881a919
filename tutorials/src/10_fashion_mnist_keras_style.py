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

# %%
viz.plot_softmax(probabilities[:8], class_names=FASHION_MNIST_CLASS_NAMES,
                 true_labels=y_test[:8], columns=4)

# %% [markdown]
# And some of the mistakes, with the model's confidence:

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

# %%
assert model.count_params() == 252_682 and len(model.non_trainable_weights) == 2
assert checkpoint_path.exists()
assert abs(reloaded_accuracy - test_accuracy) < 1e-6  # restored best weights == checkpoint
assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
assert test_accuracy > (0.7 if QUICK else 0.87)
print("checks passed")
