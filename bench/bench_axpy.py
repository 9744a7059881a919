"""Does BLAS ``axpy`` pay in SGD? The MLP's SGD step with numpy's update and with SciPy's.

Run:  python bench/bench_axpy.py [--threads N] [--rounds R] [--wall]   (needs SciPy)

The step of bench_core.py (MLP 784-256-128-10, ReLU, softmax cross-entropy, plain SGD,
float32, batch 32, 128 and 1024) four ways: hand-written numpy with ``p -= lr * g`` (two
passes: numpy makes the temporary ``lr * g``), hand-written numpy through SciPy's public
``scipy.linalg.blas.saxpy`` (one pass), tinygrad_edu's SGD as shipped (``saxpy`` through
tinygrad_edu.optim.axpy, SciPy being installed), and the same SGD with numpy's expression
(what it does without SciPy). tg/numpy is the median over rounds of tinygrad_edu's time
divided by the hand-written numpy time of the same round [first, third quartile]; the
acceptance target is at most 1.15. Also the update alone on a 784x256
weight. ``--threads`` sets the BLAS threads (default 1, so that the machine's other work
scatters the numbers less); with one thread the steps are timed by the CPU time of this
thread (``--wall`` for the wall clock), which leaves out the time that other processes held
the core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_core import LEARNING_RATE, numpy_step_factory, tinygrad_step_factory  # noqa: E402
from common import (  # noqa: E402
    add_rounds_argument,
    interleaved_samples,
    load_average,
    print_table,
    ratio_with_quartiles,
    training_batches,
)

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu.optim.axpy import axpy as scipy_axpy  # noqa: E402
from tinygrad_edu.optim.axpy import blas_routines  # noqa: E402


def numpy_expression(alpha, x, y):
    y += alpha * x


def numpy_sgd_axpy(params):
    def update(grads):
        for p, g in zip(params, grads):
            scipy_axpy(-LEARNING_RATE, g, p)
    return update


class NumpyExpressionSGD(tg.optim.SGD):
    """tinygrad_edu's plain SGD with numpy's two-pass update (what it does without SciPy)."""

    def update_step(self, i, p, g, lr, t):
        p -= lr * g


VARIANTS = {
    "numpy": lambda batches: numpy_step_factory(batches, "sgd"),
    "numpy+axpy": lambda batches: numpy_step_factory(batches, numpy_sgd_axpy),
    "tg": lambda batches: tinygrad_step_factory(batches, "sgd"),
    "tg-numpy": lambda batches: tinygrad_step_factory(
        batches, lambda params: NumpyExpressionSGD(params, lr=LEARNING_RATE)),
}


def bench_update_alone() -> None:
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((784, 256)).astype(np.float32)
    grad = rng.standard_normal((784, 256)).astype(np.float32)
    rows = []
    for name, update in (("numpy p -= lr * g", numpy_expression),
                         ("scipy saxpy", scipy_axpy)):
        seconds = min(timeit.repeat(lambda update=update: update(-1e-9, grad, weight),
                                    number=200, repeat=7)) / 200
        rows.append([name, f"{seconds * 1e6:.0f}"])
    print_table("the update alone, 784x256 float32", ["update", "us"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    add_rounds_argument(parser, default=9)
    parser.add_argument("--batches", default="32,128,1024")
    parser.add_argument("--wall", action="store_true",
                        help="time by the wall clock (default with one thread: CPU time of "
                             "this thread, which other processes on the machine do not inflate)")
    args = parser.parse_args()
    tg.set_num_threads(args.threads)
    if not blas_routines():  # loads SciPy's BLAS, with numpy's thread count
        sys.exit("bench_axpy needs SciPy (pip install scipy)")
    print(f"numpy {np.__version__}, {args.threads} BLAS thread(s) (numpy's and SciPy's "
          f"BLAS), load average {load_average()}")
    bench_update_alone()
    cpu_time = args.threads == 1 and not args.wall
    clock = time.thread_time if cpu_time else time.perf_counter
    print("timed by " + ("this thread's CPU time" if cpu_time else "the wall clock"))
    rows = []
    for batch_size in (int(size) for size in args.batches.split(",")):
        batches, source = training_batches(batch_size, count=50 if batch_size < 1024 else 20)
        variants = {name: (lambda make=make, batches=batches: make(batches))
                    for name, make in VARIANTS.items()}
        samples = interleaved_samples(variants, steps=max(20, 1600 // batch_size),
                                      rounds=args.rounds, warmup=10, clock=clock)
        rows.append([batch_size,
                     *(f"{statistics.median(values):.3f}" for values in samples.values()),
                     ratio_with_quartiles(samples, "tg", "numpy"),
                     ratio_with_quartiles(samples, "tg-numpy", "numpy")])
    print_table(f"MLP 784-256-128-10 SGD step, ms (data: {source})",
                ["batch", *(f"{name} ms" for name in VARIANTS), "tg/numpy",
                 "tg-numpy/numpy"], rows)
    print("tg x/numpy: median over rounds of the ratio in one round [first, third quartile]")


if __name__ == "__main__":
    main()
