"""Trials per minute of one random search: one process, joblib workers, a Dask cluster.

The search is the course's: a random search over learning rate, units, depth and L2 weight
decay of a small MLP on scikit-learn's breast-cancer data, each trial a 2-fold cross-validated
fit (``RandomizedSearchCV`` around :class:`tinygrad_edu.sklearn.KerasClassifier`). The three
engines run the same search in interleaved rounds (one process, ``n_jobs=2``, a local Dask
cluster of two one-thread workers), and the median round is reported with its quartiles.
Every engine must find the same best parameters: the trials are seeded (``random_state``).

    python bench/bench_search.py [--rounds 3] [--candidates 16] [--epochs 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

import joblib
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tinygrad_edu import nn, regularizers
from tinygrad_edu.sklearn import KerasClassifier


def build(units=16, depth=1, weight_decay=0.0):
    hidden = [nn.Dense(units, activation="relu", kernel_initializer="he_normal",
                       kernel_regularizer=regularizers.l2(weight_decay)) for _ in range(depth)]
    return nn.Sequential([*hidden, nn.Dense(1, activation="sigmoid")])


def make_search(candidates: int, epochs: int, n_jobs: int) -> RandomizedSearchCV:
    rng = np.random.default_rng(0)
    space = {
        "kerasclassifier__optimizer__learning_rate": list(10 ** rng.uniform(-4, -1, 32)),
        "kerasclassifier__model__units": [8, 16, 32, 64],
        "kerasclassifier__model__depth": [1, 2, 3],
        "kerasclassifier__model__weight_decay": list(10 ** rng.uniform(-6, -2, 32)),
    }
    wrapper = KerasClassifier(build, loss="binary_crossentropy", optimizer="adam",
                              epochs=epochs, batch_size=32, verbose=0, random_state=0)
    return RandomizedSearchCV(make_pipeline(StandardScaler(), wrapper), space,
                              n_iter=candidates, cv=2, random_state=0, n_jobs=n_jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--candidates", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    data = load_breast_cancer()
    x, y = data.data.astype(np.float32), data.target
    times = {"n_jobs=1": [], "n_jobs=2": [], "dask, 2 workers": []}
    best = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        for _ in range(args.rounds):
            for name in times:
                search = make_search(args.candidates, args.epochs,
                                     n_jobs=1 if name == "n_jobs=1" else -1 if "dask" in name
                                     else 2)
                start = time.perf_counter()
                if "dask" in name:
                    with joblib.parallel_backend("dask"):
                        search.fit(x, y)
                else:
                    search.fit(x, y)
                times[name].append(time.perf_counter() - start)
                best.setdefault(name, search.best_params_)
    trials = args.candidates * 2  # one fit per fold
    print(f"{args.candidates} candidates x 2 folds = {trials} fits of {args.epochs} epochs, "
          f"{args.rounds} interleaved rounds")
    print(f"{'engine':<18}{'trials/min':>12}{'quartiles':>22}{'speed-up':>10}")
    base = statistics.median(times["n_jobs=1"])
    for name, values in times.items():
        rates = sorted(60 * args.candidates / value for value in values)
        q1, q3 = np.percentile(rates, [25, 75])
        print(f"{name:<18}{statistics.median(rates):>12.1f}{f'[{q1:.1f}, {q3:.1f}]':>22}"
              f"{base / statistics.median(values):>10.2f}")
    same = all(params == best["n_jobs=1"] for params in best.values())
    print("same best parameters in every engine:", same)


if __name__ == "__main__":
    main()
