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
import time

import joblib
import numpy as np
from distributed import Client, LocalCluster
from matplotlib.figure import Figure
from scipy.stats import loguniform
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import PredefinedSplit, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, regularizers
from tinygrad_edu.callbacks import EarlyStopping
from tinygrad_edu.datasets import train_test_split
from tinygrad_edu.sklearn import KerasClassifier

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
    red, green, blue, _ = image.cmap(image.norm(np.log10(value)))
    light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5  # dark text on light cells
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", fontsize="small",
            color="black" if light else "white")
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
# ## 6. The same search with scikit-learn's `RandomizedSearchCV`
#
# Keras users search with scikit-learn: the model becomes an *estimator* (an object with
# `fit`, `predict` and `score`), and scikit-learn's `RandomizedSearchCV` draws the
# candidates, cross-validates each one and keeps the best. `KerasClassifier` wraps a function
# that builds the model; every choice is a parameter that can be searched: `model__units`
# and `model__depth` go to the build function, `optimizer__learning_rate` to the optimizer.
# The scaler sits in a `Pipeline`, so it is fitted on the training folds only (no leakage).
# `random_state=0` seeds every fit, so each candidate gives the same score wherever it runs.
#
# The search space adds **weight decay** (an L2 penalty on the kernels) to the learning rate,
# units and depth; both rates are drawn log-uniformly (`loguniform`).

# %%
def build_search_model(units=16, depth=1, weight_decay=0.0):
    hidden = [nn.Dense(units, activation="relu", kernel_initializer="he_normal",
                       kernel_regularizer=regularizers.l2(weight_decay)) for _ in range(depth)]
    return nn.Sequential([*hidden, nn.Dense(1, activation="sigmoid")])


# Train on the training part, score on the validation part: the split of section 1, back in
# the raw measurements, since the pipeline's scaler now standardizes them by itself.
x_search = np.concatenate([x_train, x_valid]) * std + mean
y_search = np.concatenate([y_train, y_valid]).astype(int)
validation_fold = PredefinedSplit(np.r_[np.full(len(x_train), -1), np.zeros(len(x_valid))])
space = {
    "kerasclassifier__optimizer__learning_rate": loguniform(1e-4, 1e-1),
    "kerasclassifier__model__units": [4, 8, 16, 32, 64, 128],
    "kerasclassifier__model__depth": [1, 2, 3],
    "kerasclassifier__model__weight_decay": loguniform(1e-6, 1e-1),
}
SEARCH_CANDIDATES = 4 if QUICK else 24
SEARCH_EPOCHS = 5 if QUICK else 60


def make_search(n_jobs):
    wrapper = KerasClassifier(build_search_model, loss="binary_crossentropy", optimizer="adam",
                              epochs=SEARCH_EPOCHS, batch_size=32, verbose=0, random_state=0)
    return RandomizedSearchCV(make_pipeline(StandardScaler(), wrapper), space,
                              n_iter=SEARCH_CANDIDATES, cv=validation_fold, random_state=0,
                              n_jobs=n_jobs)


start = time.perf_counter()
search = make_search(n_jobs=1).fit(x_search, y_search)
one_process_seconds = time.perf_counter() - start
print(f"{SEARCH_CANDIDATES} candidates in {one_process_seconds:.1f} s on one core")
print(f"best validation accuracy {search.best_score_:.4f} with")
for name, value in search.best_params_.items():
    print(f"  {name.split('__', 1)[1]:<25} {value:.3g}")

# %% [markdown]
# ## 7. From one core to a cluster: the same search on Dask
#
# The trials are independent, so they can run side by side. `n_jobs=-1` runs them in worker
# processes on this machine; with `joblib.parallel_backend("dask")` the same search runs on
# a Dask cluster. Here the cluster is a `LocalCluster` of two
# worker processes on this machine (one thread each); on real machines start a scheduler and
# workers (`dask scheduler`, `dask worker tcp://host:8786`) and write
# `Client("tcp://host:8786")` instead: the search code does not change. Each trial uses one
# BLAS thread in its worker, so two trials on two cores do not fight over them.

# %%
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=None) as cluster, Client(cluster) as client:
    start = time.perf_counter()
    with joblib.parallel_backend("dask"):
        cluster_search = make_search(n_jobs=-1).fit(x_search, y_search)
    cluster_seconds = time.perf_counter() - start
print(f"one process {one_process_seconds:.1f} s, Dask cluster of 2 workers "
      f"{cluster_seconds:.1f} s: speed-up {one_process_seconds / cluster_seconds:.2f}x")
print("same best parameters:", cluster_search.best_params_ == search.best_params_)

# %%
results = cluster_search.cv_results_
scores = results["mean_test_score"]
figure = Figure(figsize=(10, 2.8), layout="constrained")
axes = figure.subplots(1, 4, sharey=True)
for ax, name in zip(axes, space):
    values = np.array(results[f"param_{name}"], dtype=float)
    ax.scatter(values, scores, s=25, color="tab:blue")
    if name.endswith(("learning_rate", "weight_decay")):
        ax.set_xscale("log")
    ax.set_xlabel(name.split("__", 1)[1].replace("model__", ""))
axes[0].set_ylabel("validation accuracy")
figure.suptitle("each candidate's validation accuracy against each hyperparameter")
figure

# %% [markdown]
# ## 8. The book's experiment: learning rate and weight decay on 500 images
#
# *Deep Learning from Scratch* (section 6.5) searches the learning rate in 10^-6 .. 10^-2
# and the weight decay in 10^-8 .. 10^-4, both log-uniformly, for a network of six hidden
# layers of 100 ReLU units trained by SGD on only 500 training images (20% of them held out
# for validation), 50 epochs of batches of 100, 100 trials. Its best trials reach a
# validation accuracy of about 0.83 on MNIST, and the good ones share a band: learning rate
# about 0.001 to 0.01, weight decay below 10^-5. MNIST cannot be downloaded here, so this runs
# on Fashion-MNIST, a harder set, with the same budget. The book's weight decay adds
# `0.5 * lambda * ||W||^2` to the loss; the Keras-style `l2(l)` adds `l * ||W||^2`, so
# `lambda` becomes `l2(lambda / 2)`.

# %%
(x_fashion, y_fashion), _ = tg.load_fashion_mnist()
picked = np.random.default_rng(3).permutation(len(x_fashion))[:500]
x_small = x_fashion[picked].reshape(500, -1).astype(np.float32) / np.float32(255)
y_small = y_fashion[picked].astype(int)
book_fold = PredefinedSplit(np.r_[np.full(400, -1), np.zeros(100)])  # last 100 validate


def build_book_model(weight_decay=0.0):
    return nn.Sequential([
        *[nn.Dense(100, activation="relu", kernel_initializer="he_normal",
                   kernel_regularizer=regularizers.l2(weight_decay / 2)) for _ in range(6)],
        nn.Dense(10, activation="softmax")])


BOOK_TRIALS = 4 if QUICK else 100
book_search = RandomizedSearchCV(
    KerasClassifier(build_book_model, loss="sparse_categorical_crossentropy", optimizer="sgd",
                    epochs=5 if QUICK else 50, batch_size=100, verbose=0, random_state=0),
    {"optimizer__learning_rate": loguniform(1e-6, 1e-2),
     "model__weight_decay": loguniform(1e-8, 1e-4)},
    n_iter=BOOK_TRIALS, cv=book_fold, random_state=3, n_jobs=-1)
start = time.perf_counter()
book_search.fit(x_small, y_small)
print(f"{BOOK_TRIALS} trials in {time.perf_counter() - start:.0f} s")
book = book_search.cv_results_
ranking = np.argsort(-book["mean_test_score"])
for rank, index in enumerate(ranking[:5], start=1):
    params = book["params"][index]
    print(f"best-{rank}: validation accuracy {book['mean_test_score'][index]:.2f}  "
          f"lr {params['optimizer__learning_rate']:.2e}  "
          f"weight decay {params['model__weight_decay']:.2e}")
print("the book (MNIST): best validation accuracy about 0.83")

# %%
rates = np.array([p["optimizer__learning_rate"] for p in book["params"]])
decays = np.array([p["model__weight_decay"] for p in book["params"]])
figure = Figure(figsize=(5.5, 4), layout="constrained")
ax = figure.subplots()
points = ax.scatter(rates, decays, c=book["mean_test_score"], cmap="viridis", s=35,
                    vmin=0, vmax=1)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("learning rate")
ax.set_ylabel("weight decay")
ax.set_title("validation accuracy of each trial (500 images)")
figure.colorbar(points, ax=ax, label="validation accuracy")
figure

# %% [markdown]
# ## Checks

# %%
assert len(grid) == len(GRID_RATES) * len(GRID_UNITS)
assert all(np.isfinite(r["val_loss"]) for r in grid + random_trials)
assert best["val_loss"] == min(r["val_loss"] for r in grid + random_trials)
assert best["val_accuracy"] > 0.9 and test_accuracy > 0.85
assert len(search.cv_results_["params"]) == SEARCH_CANDIDATES
assert cluster_search.best_params_ == search.best_params_  # seeded trials: same search
np.testing.assert_allclose(cluster_search.cv_results_["mean_test_score"],
                           search.cv_results_["mean_test_score"], atol=1e-12)
assert len(book["params"]) == BOOK_TRIALS and np.all(np.isfinite(book["mean_test_score"]))
if not QUICK:
    assert test_accuracy > 0.93
    assert search.best_score_ > 0.95
    # Fashion-MNIST is harder than the book's MNIST: a full run gives about 0.66, not 0.83
    assert book["mean_test_score"].max() > 0.6
    # the best trials learn with a learning rate of 1e-3 or more, as in the book
    assert rates[ranking[:5]].min() > 1e-3
print("checks passed")
