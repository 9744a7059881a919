"""A small CNN's training step: tinygrad_edu vs PyTorch vs Keras 3 (torch backend), by batch size.

Run:  python bench/bench_cnn.py [--batch-sizes 32 64 256] [--rounds R] [--images N] [--threads T]

The model, on 28x28x1 images (Fashion-MNIST when installed, else random pixels)::

    Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2)
    -> Flatten -> Dense(10);  softmax cross-entropy from the logits;  Adam(1e-3)

One step is forward, loss, backward and the optimizer update. tinygrad_edu takes the NHWC
batches as they are; PyTorch gets them converted to NCHW once, before timing (its layout);
Keras 3 gets the NHWC numpy batches through ``train_on_batch`` (it converts them itself: that
is part of what a Keras step costs). Keras runs only when installed; it is imported with
``KERAS_BACKEND=torch``.

How to read the output: the variants take turns in interleaved rounds (fresh weights and
optimizer each round, the order reversed every other round), each sample is the mean step
time over about ``--images`` images. Per batch size the table gives the median ms/step over the
rounds with the first and third quartiles in brackets, and each variant's ratio to PyTorch
and to Keras: the median over rounds of the two times of the same round (so that a change in
the machine's speed during the run cancels), with its quartiles. A ratio below 1 means faster
than the reference. Every library gets the same number of threads (``--threads``, default 1).
``--clock process`` times this process's CPU time instead of the wall clock: on a machine
busy with other work it leaves out the waits for a core, which otherwise dominate the spread.

Measured on a quiet 2-core AMD EPYC (AVX2), 9 rounds, 1 thread each (median per-round
ratio [q1, q3]; bench/README.md has the ms and the earlier machines):

    batch  clock    tinygrad_edu / torch   tinygrad_edu / keras
       32  wall     0.88 [0.85, 0.90]      0.46 [0.40, 0.49]
       64  wall     0.95 [0.83, 1.02]      0.48 [0.43, 0.50]
      256  wall     0.97 [0.90, 1.07]      0.57 [0.49, 0.59]
       32  process  0.94 [0.89, 1.07]      0.43 [0.40, 0.53]
       64  process  0.80 [0.64, 0.86]      0.45 [0.35, 0.47]
      256  process  0.85 [0.81, 1.05]      0.53 [0.45, 0.61]
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    CLOCKS,
    add_clock_argument,
    add_rounds_argument,
    cycle,
    interleaved_samples,
    median_with_quartiles,
    print_table,
    ratio_with_quartiles,
    training_batches,
)

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn, optim  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

SIDE, CLASSES = 28, 10


def tinygrad_step_factory(batches):
    def make():
        model = nn.Sequential([
            nn.Conv2D(32, 3, activation="relu", input_shape=(SIDE, SIDE, 1)),
            nn.MaxPooling2D(),
            nn.Conv2D(64, 3, activation="relu"),
            nn.MaxPooling2D(),
            nn.Flatten(),
            nn.Dense(CLASSES),
        ])
        optimizer = optim.Adam(model.parameters(), learning_rate=1e-3)
        loss_fn = tg.losses.SparseCategoricalCrossentropy(from_logits=True)
        data = cycle([(tg.Tensor(x), y) for x, y in batches])

        def step():
            x, y = next(data)
            loss = loss_fn(y, model(x))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        return step

    return make


def torch_step_factory(batches):
    def make():
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(64 * 5 * 5, CLASSES))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        data = cycle([(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))),
                       torch.from_numpy(y)) for x, y in batches])

        def step():
            x, y = next(data)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        return step

    return make


def keras_step_factory(keras, batches):
    def make():
        layers = keras.layers
        model = keras.Sequential([
            keras.Input((SIDE, SIDE, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(CLASSES),
        ])
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        data = cycle(batches)

        def step():
            x, y = next(data)
            model.train_on_batch(x, y)

        return step

    return make


def _import_keras():
    try:
        import keras
    except ImportError:
        return None
    return keras if keras.backend.backend() == "torch" else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 64, 256])
    add_rounds_argument(parser, default=5, help_text="interleaved rounds per size")
    parser.add_argument("--images", type=int, default=512,
                        help="images per timed sample (steps = images / batch size, >= 3)")
    parser.add_argument("--threads", type=int, default=1, help="threads for each library")
    add_clock_argument(parser)
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    threadpool_limits(args.threads)  # numpy's BLAS (and PyTorch's, as far as it obeys)
    keras = _import_keras() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(args.threads)
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
          f"keras {keras.__version__ + ' (torch backend)' if keras else 'not run'}; "
          f"{os.cpu_count()} cores, {args.threads} thread(s) each, {args.clock} clock")
    print("ms/step: median over the interleaved rounds [first, third quartile]; / torch and "
          "/ keras: median of the per-round ratios [q1, q3], below 1 = faster than that peer")
    summary = []
    for batch_size in args.batch_sizes:
        steps = max(3, args.images // batch_size)
        batches, source = training_batches(batch_size, 8, seed=batch_size)
        batches = [(x.reshape(-1, SIDE, SIDE, 1), y.astype(np.int64)) for x, y in batches]
        factories = {"tinygrad_edu": tinygrad_step_factory(batches)}
        if torch is not None:
            factories["torch"] = torch_step_factory(batches)
        if keras is not None:
            factories["keras"] = keras_step_factory(keras, batches)
        samples = interleaved_samples(factories, steps=steps, rounds=args.rounds, warmup=3,
                                      clock=clock)
        references = [name for name in ("torch", "keras") if name in samples]
        rows = [[name, median_with_quartiles(times),
                 *(ratio_with_quartiles(samples, name, ref) for ref in references)]
                for name, times in samples.items()]
        print_table(f"batch {batch_size} ({source}): {args.rounds} rounds of {steps} steps",
                    ["variant", "ms/step median [q1, q3]",
                     *(f"/ {ref} [q1, q3]" for ref in references)], rows)
        for ref in references:
            summary.append(f"  batch {batch_size:4d}: tinygrad_edu / {ref:5s} "
                           f"{ratio_with_quartiles(samples, 'tinygrad_edu', ref)}")
    if summary:
        print("\nratios (median per-round ratio [q1, q3]; targets: / torch <= 1.3, "
              "/ keras <= 1.0)")
        print("\n".join(summary))


if __name__ == "__main__":
    main()
