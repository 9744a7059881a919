"""Would faster routes for the reductions pay in a training step? Measured per call, as a share.

Run:  python bench/bench_reduce_kernels.py [--rounds R] [--models mlp,cnn]

tinygrad_edu reduces with numpy's own ``np.add.reduce`` and ``np.maximum.reduce``. Three
faster routes for shapes that a network makes all the time were tried, and are written out
here to measure them:

* ``sum_leading``: a sum over the leading axes (a bias gradient sums a (batch, units) matrix
  over the batch) as the matrix-vector product ``ones @ a``;
* ``sum_trailing``: row sums (softmax and cross-entropy over 10 classes) as ``a @ ones``;
* ``max_short_rows``: the maximum over a short last axis (10 classes) from a transposed copy,
  so that numpy's loop runs along the long batch axis.

For the Fashion-MNIST MLP (Flatten, Dense(256, relu), Dense(128, relu), Dense(10, softmax))
and the small CNN (Conv2D(32, 3, relu), MaxPooling2D, Conv2D(64, 3, relu), MaxPooling2D,
Flatten, Dense(10, softmax)), one ``train_on_batch`` step with Adam at batch 32, 128, 1024,
the table gives the step's time and, for each route, the time it would save in that step:
the reductions the step makes (the list ``STEP_REDUCTIONS``, read from the ops a step runs),
each timed both ways (CPU time of this thread, the best of 7 repeats, so that other
processes on the machine inflate it little), in percent of the step. A route is worth
having above 5%. One BLAS thread; step times are CPU time of this thread, medians over
rounds.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_threads import MODELS, step_factory  # noqa: E402
from common import (  # noqa: E402
    interleaved_samples,
    load_average,
    print_table,
    training_batches,
)

import tinygrad_edu as tg  # noqa: E402


def sum_leading(a, axes):
    reduced = math.prod(a.shape[:len(axes)])
    return np.ones(reduced, a.dtype) @ a.reshape(reduced, -1)


def sum_trailing(a, axes):
    return (a.reshape(-1, a.shape[-1]) @ np.ones(a.shape[-1], a.dtype))[:, None]


def max_short_rows(a, axes):
    columns = np.ascontiguousarray(a.reshape(-1, a.shape[-1]).T)
    return np.maximum.reduce(columns, axis=0)[:, None]


def numpy_sum(a, axes):
    return np.add.reduce(a, axis=axes)


def numpy_max(a, axes):
    return np.maximum.reduce(a, axis=axes, keepdims=True)


ROUTES = {"sum_leading": (sum_leading, numpy_sum), "sum_trailing": (sum_trailing, numpy_sum),
          "max_short_rows": (max_short_rows, numpy_max)}

# The reductions of one train_on_batch step, by route: (shape with B the batch, axes, calls).
# Row sums run five times: softmax, cross-entropy, and the accuracy metric's bookkeeping.
STEP_REDUCTIONS = {
    "mlp": {"sum_leading": [(("B", 256), (0,), 1), (("B", 128), (0,), 1), (("B", 10), (0,), 1)],
            "sum_trailing": [(("B", 10), (1,), 5)],
            "max_short_rows": [(("B", 10), (1,), 1)]},
    "cnn": {"sum_leading": [(("B", 26, 26, 32), (0, 1, 2), 1), (("B", 11, 11, 64), (0, 1, 2), 1),
                            (("B", 10), (0,), 1)],
            "sum_trailing": [(("B", 10), (1,), 5)],
            "max_short_rows": [(("B", 10), (1,), 1)]},
}


def best_us(fn, a, axes) -> float:
    """CPU time of one call in microseconds, the best of 7 repeats."""
    number = max(10, min(2000, 20_000_000 // a.size))
    timer = timeit.Timer(lambda: fn(a, axes), timer=time.thread_time)
    return min(timer.repeat(number=number, repeat=7)) / number * 1e6


def saved_us(model: str, route: str, batch_size: int) -> float:
    """Microseconds per step that the route would save over numpy (negative: it would cost)."""
    fast, plain = ROUTES[route]
    rng = np.random.default_rng(0)
    total = 0.0
    for shape, axes, calls in STEP_REDUCTIONS[model][route]:
        a = rng.standard_normal(tuple(batch_size if n == "B" else n for n in shape))
        a = a.astype(np.float32)
        # the same numbers, added in another order: float32 rounding of the sum of |a|
        scale = float(np.abs(a).reshape(-1, a.shape[-1]).sum(axis=0).max())
        np.testing.assert_allclose(fast(a, axes).reshape(-1), plain(a, axes).reshape(-1),
                                   rtol=0, atol=1e-6 * scale)
        total += calls * (best_us(plain, a, axes) - best_us(fast, a, axes))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", default="mlp,cnn")
    args = parser.parse_args()
    tg.set_num_threads(1)
    print(f"numpy {np.__version__}, 1 BLAS thread, load average {load_average()}")
    rows = []
    for model in args.models.split(","):
        for batch_size in (32, 128, 1024):
            flat, _ = training_batches(batch_size, count=4)
            images = [(x.reshape(-1, 28, 28, 1), y) for x, y in flat]
            steps = {"mlp": max(4, 2000 // batch_size), "cnn": 1}[model]
            make = {"step": lambda model=model, images=images: step_factory(MODELS[model],
                                                                             images, 1)}
            samples = interleaved_samples(make, steps=steps, rounds=args.rounds, warmup=1,
                                          clock=time.thread_time)
            step_us = statistics.median(samples["step"]) * 1e3
            cells = []
            for route in ROUTES:
                saved = saved_us(model, route, batch_size)
                cells.append(f"{saved / step_us * 100:+.1f}% ({saved:+.0f} us)")
            rows.append([model, batch_size, f"{step_us / 1e3:.2f}", *cells])
    print_table("what each route would save in one training step (negative: it would cost)",
                ["model", "batch", "step ms", *ROUTES], rows)
    print("a route pays above +5% of the step")


if __name__ == "__main__":
    main()
