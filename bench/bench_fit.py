"""One training epoch of the course's Fashion-MNIST model: ``fit`` vs an explicit loop vs PyTorch
vs Keras 3.

Run:  python bench/bench_fit.py [--samples N] [--rounds R]

The model: Flatten -> Dense(256, elu, he_normal) -> BatchNormalization(0.9) ->
Dense(128, selu, lecun_normal) x 2 -> Dense(10, softmax); Nadam, categorical cross-entropy,
batch 32, shuffled. ``fit`` tracks the running loss and accuracy; the explicit loop is what a
user writes by hand (DataLoader, zero_grad, backward, step) tracking the same two numbers, so
fit/loop is the price of the Keras-style machinery (callbacks, logs, batching). The bare
loop tracks nothing and is compared with fit compiled without metrics. Keras 3 (when
installed; ``KERAS_BACKEND=torch`` unless set) trains the same model with its own ``fit``, the
same compile arguments and batch size, and is compared with ours: the last line gives
fit / keras fit. Times are medians over rounds; a ratio is the median of the per-round ratios,
with the first and third quartiles in brackets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    SETTLE_SECONDS,
    add_rounds_argument,
    median_ratio,
    print_table,
    ratio_with_quartiles,
)

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

try:
    import keras
except ImportError:
    keras = None


def course_model():
    return nn.Sequential([
        nn.Flatten(input_shape=(28, 28)),
        nn.Dense(256, activation="elu", kernel_initializer="he_normal"),
        nn.BatchNormalization(momentum=0.9),
        nn.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        nn.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        nn.Dense(10, activation="softmax"),
    ])


def epoch_with_fit(x, y_onehot, metrics=("accuracy",)):
    model = course_model()
    model.compile(loss="categorical_crossentropy", optimizer="nadam", metrics=list(metrics))
    start = time.perf_counter()
    model.fit(x, y_onehot, batch_size=32, epochs=1, verbose=0)
    return time.perf_counter() - start


def epoch_with_loop(x, y_onehot, track=True):
    """The explicit loop; with ``track`` it keeps the running loss and accuracy, as fit does."""
    model = course_model()
    model.build((None, 28, 28))
    optimizer = tg.optim.Nadam(model.parameters())
    loss_fn = tg.losses.CategoricalCrossentropy()
    accuracy = tg.metrics.CategoricalAccuracy()
    loader = tg.DataLoader(x, y_onehot, batch_size=32, shuffle=True)
    model.train()
    total, count = 0.0, 0
    start = time.perf_counter()
    for x_batch, y_batch in loader:
        y_pred = model(tg.Tensor(x_batch))
        loss = loss_fn(tg.Tensor(y_batch), y_pred)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if track:
            total += float(loss.data) * len(x_batch)
            count += len(x_batch)
            accuracy.update_state(y_batch, y_pred.data)
    return time.perf_counter() - start


def epoch_with_torch(x, y_onehot):
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ELU(),
        torch.nn.BatchNorm1d(256, momentum=0.1, eps=1e-3), torch.nn.Linear(256, 128),
        torch.nn.SELU(), torch.nn.Linear(128, 128), torch.nn.SELU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.NAdam(model.parameters(), lr=1e-3, eps=1e-7)
    labels = torch.from_numpy(y_onehot.argmax(axis=1))
    inputs = torch.from_numpy(x)
    model.train()
    start = time.perf_counter()
    for index in torch.randperm(len(inputs)).split(32):
        loss = torch.nn.functional.cross_entropy(model(inputs[index]), labels[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def epoch_with_keras(x, y_onehot):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28)),
        layers.Flatten(),
        layers.Dense(256, activation="elu", kernel_initializer="he_normal"),
        layers.BatchNormalization(momentum=0.9),
        layers.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        layers.Dense(128, activation="selu", kernel_initializer="lecun_normal"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="nadam", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y_onehot, batch_size=32, epochs=1, verbose=0)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=12_800, help="training samples per epoch")
    add_rounds_argument(parser, default=5, help_text="interleaved repetitions")
    args = parser.parse_args()
    (x_train, y_train), _ = tg.load_fashion_mnist()
    x = (x_train[: args.samples] / np.float32(255)).astype(np.float32)
    y = tg.to_categorical(y_train[: args.samples], 10)
    variants = {
        "fit": epoch_with_fit,
        "explicit loop": epoch_with_loop,  # tracks loss and accuracy like fit
        "fit, no metrics": lambda x, y: epoch_with_fit(x, y, metrics=()),
        "bare loop": lambda x, y: epoch_with_loop(x, y, track=False),
    }
    if torch is not None:
        variants["torch"] = epoch_with_torch
    if keras is not None and keras.backend.backend() == "torch":
        variants["keras fit"] = epoch_with_keras
    seconds = {name: [] for name in variants}
    names = list(variants)
    for round_index in range(args.rounds):  # alternate the order, pause before each variant
        for name in (names if round_index % 2 == 0 else names[::-1]):
            time.sleep(SETTLE_SECONDS)
            seconds[name].append(variants[name](x, y))
    steps = -(-len(x) // 32)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    baseline = {"fit": "explicit loop", "explicit loop": "explicit loop",
                "fit, no metrics": "bare loop", "bare loop": "bare loop", "torch": "bare loop",
                "keras fit": "fit"}
    rows = [[name, f"{median[name]:.2f}", f"{median[name] / steps * 1e3:.2f}",
             f"{median_ratio(seconds, name, baseline[name]):.3f} ({baseline[name]})"]
            for name in variants]
    print_table(f"one epoch, {len(x)} samples, batch 32 ({steps} steps), median of "
                f"{args.rounds}", ["variant", "s/epoch", "ms/step", "ratio"], rows)
    if "keras fit" in seconds:
        print(f"\nfit / keras fit: {ratio_with_quartiles(seconds, 'fit', 'keras fit')}  "
              "(median per-round ratio [q1, q3]; below 1: faster than Keras 3)")


if __name__ == "__main__":
    main()
