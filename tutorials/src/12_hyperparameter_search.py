# %% [markdown]
# # 12 - Hyperparameter search: grid and random search with a validation set
#
# **What the course says.** The learning rate, the number of units and layers are
# *hyperparameters*: training does not learn them, we choose them. Choose them on a
# **validation** set, never on the test set: the test set must stay unseen until the very
# end, or its score stops measuring how the model does on new data. Two simple strategies:
#
# * **grid search** tries every combination of a few values per hyperparameter;
# * **random search** draws combinations at random; with the same budget it tries more
#   distinct values of each hyperparameter, which matters when only some of them matter.
#   The learning rate is drawn on a log scale (`10 ** uniform(-4, 0)`): 0.0001 to 0.001 is
#   as big a change as 0.1 to 1.
#
# The data: scikit-learn's breast-cancer set (569 tumours, 30 measurements each, benign or
# malignant), a binary classification with a sigmoid output and binary cross-entropy.
#
# **What to look for.** How much the learning rate matters compared to the number of units;
# the best configuration's validation score and its (slightly lower) test score.

# %%
# %matplotlib inline
import itertools
import os

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import load_breast_cancer

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.callbacks import EarlyStopping
from tinygrad_edu.datasets import train_test_split

QUICK = os.environ.get("TINYGRAD_EDU_QUICK", "") not in ("", "0")  # tiny sizes for tests
tg.manual_seed(0)

# %% [markdown]
# ## 1. Train, validation and test sets
#
# 60% for training, 20% for validation (choosing hyperparameters and early stopping), 20%
# for the final test, each with the same share of malignant tumours (`stratify`). The
# features are standardized with the mean and standard deviation of the *training* part
# only: computing them on all the data would leak information from the test set.

# %%
data = load_breast_cancer()
x_all = data.data.astype(np.float32)
y_all = (data.target == 0).astype(np.float32)  # 1 = malignant
x_rest, x_test, y_rest, y_test = train_test_split(x_all, y_all, test_size=0.2, seed=0,
                                                  stratify=y_all)
x_train, x_valid, y_train, y_valid = train_test_split(x_rest, y_rest, test_size=0.25, seed=0,
                                                      stratify=y_rest)
mean, std = x_train.mean(axis=0), x_train.std(axis=0)
x_train, x_valid, x_test = [(x - mean) / std for x in (x_train, x_valid, x_test)]
print(f"train {len(x_train)}, validation {len(x_valid)}, test {len(x_test)}; "
      f"malignant share {y_train.mean():.2f} / {y_valid.mean():.2f} / {y_test.mean():.2f}")

# %% [markdown]
# ## 2. One trial: build, train with early stopping, score on validation
#
# Every trial trains a fresh model with Adam and `EarlyStopping` on the validation loss
# (patience 10, best weights restored) and reports the best validation loss and the
# validation accuracy of the restored model.

# %%
MAX_EPOCHS = 10 if QUICK else 200


def build_model(units, learning_rate, hidden_layers=1):
    layers = [nn.Dense(units, activation="relu", kernel_initializer="he_normal",
                       input_dim=30)]
    layers += [nn.Dense(units, activation="relu", kernel_initializer="he_normal")
               for _ in range(hidden_layers - 1)]
    model = nn.Sequential([*layers, nn.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optim.Adam(lr=learning_rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def run_trial(units, learning_rate, hidden_layers=1, seed=0):
    tg.manual_seed(seed)
    model = build_model(units, learning_rate, hidden_layers)
    stopper = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    history = model.fit(x_train, y_train, batch_size=32, epochs=MAX_EPOCHS, verbose=0,
                        validation_data=(x_valid, y_valid), callbacks=[stopper])
    val_loss, val_accuracy = model.evaluate(x_valid, y_valid, verbose=0)
    return {"units": units, "learning_rate": learning_rate, "hidden_layers": hidden_layers,
            "val_loss": val_loss, "val_accuracy": val_accuracy,
            "epochs": len(history.history["loss"]), "model": model}


trial = run_trial(16, 1e-3)
print(f"16 units, lr 0.001: stopped after {trial['epochs']} epochs, validation loss "
      f"{trial['val_loss']:.4f}, validation accuracy {trial['val_accuracy']:.4f}")

# %% [markdown]
# ## 3. Grid search: learning rate x units

# %%
GRID_RATES = [1e-3, 1e-1] if QUICK else [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
GRID_UNITS = [4, 64] if QUICK else [2, 8, 32, 128]
grid = [run_trial(units, rate) for rate, units in itertools.product(GRID_RATES, GRID_UNITS)]
for result in grid:
    print(f"lr {result['learning_rate']:<7g} units {result['units']:<4d} "
          f"val loss {result['val_loss']:.4f}  val accuracy {result['val_accuracy']:.4f}  "
          f"({result['epochs']} epochs)")

# %%
losses_grid = np.array([r["val_loss"] for r in grid]).reshape(len(GRID_RATES), len(GRID_UNITS))
figure = Figure(figsize=(5.5, 4), layout="constrained")
ax = figure.subplots()
image = ax.imshow(np.log10(losses_grid), cmap="viridis_r")
for (i, j), value in np.ndenumerate(losses_grid):
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="white", fontsize="small")
ax.set_xticks(range(len(GRID_UNITS)), GRID_UNITS)
ax.set_yticks(range(len(GRID_RATES)), [f"{rate:g}" for rate in GRID_RATES])
ax.set_xlabel("units")
ax.set_ylabel("learning rate")
ax.set_title("validation loss (lower is better)")
figure.colorbar(image, ax=ax, label="log10 validation loss")
figure

# %% [markdown]
# ## 4. Random search
#
# The same kind of budget spent at random: learning rate log-uniform in [1e-4, 1], units
# log-uniform in [2, 256], one to three hidden layers.

# %%
rng = np.random.default_rng(0)
random_trials = []
for _ in range(3 if QUICK else 20):
    rate = float(10 ** rng.uniform(-4, 0))
    units = int(round(2 ** rng.uniform(1, 8)))
    hidden_layers = int(rng.integers(1, 4))
    random_trials.append(run_trial(units, rate, hidden_layers))
    result = random_trials[-1]
    print(f"lr {rate:.2e} units {units:<4d} layers {hidden_layers}  "
          f"val loss {result['val_loss']:.4f}  val accuracy {result['val_accuracy']:.4f}")

# %%
figure = Figure(figsize=(6, 4), layout="constrained")
ax = figure.subplots()
points = ax.scatter([r["learning_rate"] for r in random_trials],
                    [r["val_loss"] for r in random_trials],
                    c=np.log2([r["units"] for r in random_trials]), cmap="plasma", s=40)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("learning rate")
ax.set_ylabel("validation loss")
figure.colorbar(points, ax=ax, label="log2(units)")
figure

# %% [markdown]
# ## 5. The winner, tested once
#
# The best trial by validation loss, over both searches. Its validation score was the best
# of many, so it is optimistic (we picked the luckiest); the test set, used now for the
# first time, gives the honest estimate.

# %%
best = min(grid + random_trials, key=lambda r: r["val_loss"])
test_loss, test_accuracy = best["model"].evaluate(x_test, y_test, verbose=0)
print(f"best: lr {best['learning_rate']:.2e}, units {best['units']}, "
      f"{best['hidden_layers']} hidden layer(s)")
print(f"validation loss {best['val_loss']:.4f}, accuracy {best['val_accuracy']:.4f}")
print(f"test       loss {test_loss:.4f}, accuracy {test_accuracy:.4f}")

# %% [markdown]
# ## Checks

# %%
assert len(grid) == len(GRID_RATES) * len(GRID_UNITS)
assert all(np.isfinite(r["val_loss"]) for r in grid + random_trials)
assert best["val_loss"] == min(r["val_loss"] for r in grid + random_trials)
assert best["val_accuracy"] > 0.9 and test_accuracy > 0.85
if not QUICK:
    assert test_accuracy > 0.93
print("checks passed")
