"""An LSTM(128) training step on 28x28 sequences, batch 64: tinygrad_edu vs PyTorch's nn.LSTM.

Run:  python bench/bench_lstm.py [--rounds R] [--steps S] [--threads N]

The model reads a Fashion-MNIST image row by row (28 steps of 28 pixels): LSTM(128) ->
Dense(10), softmax cross-entropy, Adam. One step is forward, loss, backward through the 28
time steps and the optimizer update. tinygrad_edu runs the cell step as ordinary recorded
ops (matmul, slicing, sigmoid, tanh, products: about 20 graph nodes per time step, and as
many backward rules), after one matrix product per gate for the input projection of all 28
steps. PyTorch's ``nn.LSTM`` runs the whole recurrence in one fused C++ kernel. Variants take
turns in interleaved rounds (fresh weights each round); a ratio is the median over rounds
of the two times of one round, with the first and third quartiles in brackets. Both
libraries get the same number of threads (``--threads``, default 1: on a shared machine
idle BLAS and OpenMP threads spinning for work make multi-threaded timings meaningless).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    add_rounds_argument,
    cycle,
    interleaved_samples,
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

BATCH, STEPS, FEATURES, UNITS, CLASSES = 64, 28, 28, 128, 10


def tinygrad_step_factory(batches):
    def make():
        model = nn.Sequential([nn.LSTM(UNITS, input_shape=(STEPS, FEATURES)),
                               nn.Dense(CLASSES)])
        optimizer = optim.Adam(model.parameters(), learning_rate=1e-3)
        loss_fn = tg.losses.SparseCategoricalCrossentropy(from_logits=True)
        data = cycle([(tg.Tensor(x.reshape(-1, STEPS, FEATURES)), y) for x, y in batches])

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
        lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
        head = torch.nn.Linear(UNITS, CLASSES)
        params = [*lstm.parameters(), *head.parameters()]
        optimizer = torch.optim.Adam(params, lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        data = cycle([(torch.from_numpy(x.reshape(-1, STEPS, FEATURES)), torch.from_numpy(y))
                      for x, y in batches])

        def step():
            x, y = next(data)
            _, (h, _) = lstm(x)
            loss = loss_fn(head(h[0]), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        return step

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_rounds_argument(parser, default=15)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round")
    parser.add_argument("--threads", type=int, default=1, help="threads for each library")
    args = parser.parse_args()
    threadpool_limits(args.threads)  # numpy's BLAS (and PyTorch's, as far as it obeys)
    if torch is not None:
        torch.set_num_threads(args.threads)
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
          f"{os.cpu_count()} cores, {args.threads} thread(s) each")
    batches, source = training_batches(BATCH, 20)
    batches = [(x, y.astype(np.int64)) for x, y in batches]
    factories = {"tinygrad_edu": tinygrad_step_factory(batches)}
    if torch is not None:
        factories["torch"] = torch_step_factory(batches)
    samples = interleaved_samples(factories, steps=args.steps, rounds=args.rounds, warmup=3)
    rows = [[name, f"{statistics.median(times):.1f}",
             f"{min(times):.1f}-{max(times):.1f}"] for name, times in samples.items()]
    print_table(f"LSTM({UNITS}) training step, {BATCH} sequences of {STEPS}x{FEATURES} "
                f"({source}), Adam; {args.rounds} rounds of {args.steps} steps",
                ["variant", "median ms/step", "range"], rows)
    if torch is not None:
        print(f"\ntinygrad_edu / torch: {ratio_with_quartiles(samples, 'tinygrad_edu', 'torch')}"
              "  (median per-round ratio [first, third quartile]; target: within 3x)")


if __name__ == "__main__":
    main()
