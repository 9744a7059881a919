"""One training step with 1 and 2 BLAS threads, alone and next to a busy process.

Run:  python bench/bench_threads.py [--rounds R] [--models mlp,cnn] [--batches 32,128,1024]

The steps: the course's Fashion-MNIST MLP (Flatten, Dense(256, relu), Dense(128, relu),
Dense(10, softmax)) and the small CNN (Conv2D(32, 3, relu), MaxPooling2D, Conv2D(64, 3, relu),
MaxPooling2D, Flatten, Dense(10, softmax)), each one ``train_on_batch`` with Adam and sparse
categorical cross-entropy, at batch 32, 128 and 1024, float32. The thread count is set with
``tinygrad_edu.set_num_threads``. "busy" runs each cell again while this script keeps one
CPU-bound process of its own spinning (``while True: pass``), as another program or another
user would; it is started before and killed after each busy cell.

Each cell is ms per step: the median over rounds [first quartile, third quartile]; the
rounds alternate the thread counts (1, 2, 2, 1, ...) and every round starts a fresh model.
"2t/1t" is the median over rounds of the 2-thread time divided by the 1-thread time of the
same round: below 1 two threads win, above 1 one thread wins. The load average (from
/proc/loadavg: processes wanting a core, over 1, 5, 15 minutes) is printed before and after,
because other programs on the machine change every number here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    add_rounds_argument,
    interleaved_samples,
    load_average,
    median_with_quartiles,
    print_table,
    round_ratios,
    training_batches,
)

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402

SECONDS_PER_SAMPLE = 0.1  # each round's timing of a cell lasts about this long (at least 1 step)


def mlp():
    return [nn.Flatten(input_shape=(28, 28, 1)), nn.Dense(256, activation="relu"),
            nn.Dense(128, activation="relu"), nn.Dense(10, activation="softmax")]


def cnn():
    return [nn.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), nn.MaxPooling2D(),
            nn.Conv2D(64, 3, activation="relu"), nn.MaxPooling2D(), nn.Flatten(),
            nn.Dense(10, activation="softmax")]


MODELS = {"mlp": mlp, "cnn": cnn}


def step_factory(layers, batches, threads: int):
    """A fresh compiled model whose step runs with ``threads`` BLAS threads (set right now, so
    it holds while this variant's steps are timed)."""
    model = nn.Sequential(layers())
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    tg.set_num_threads(threads)
    position = 0

    def step():
        nonlocal position
        x, y = batches[position % len(batches)]
        position += 1
        model.train_on_batch(x, y)

    return step


def steps_for(layers, batches) -> int:
    """How many steps make about SECONDS_PER_SAMPLE, from two timed steps on one thread."""
    step = step_factory(layers, batches, 1)
    step()
    start = time.perf_counter()
    step()
    step()
    return max(1, round(SECONDS_PER_SAMPLE / ((time.perf_counter() - start) / 2)))



def samples_of(layers, batches, steps: int, rounds: int) -> dict:
    variants = {threads: (lambda threads=threads: step_factory(layers, batches, threads))
                for threads in (1, 2)}
    return interleaved_samples(variants, steps=steps, rounds=rounds,
                               warmup=0 if steps == 1 else 1)


def row(name, batch_size, samples) -> list:
    ratio = statistics.median(round_ratios(samples, 2, 1))
    one_thread, two_threads = (median_with_quartiles(samples[n], digits=1) for n in (1, 2))
    return [name, batch_size, one_thread, two_threads, f"{ratio:.2f}"]


def measure(model_names, batch_sizes, rounds: int) -> tuple[list, list]:
    """Each cell alone, then next to the busy process, so that both see the same machine."""
    quiet, busy = [], []
    for name in model_names:
        for batch_size in batch_sizes:
            flat, _ = training_batches(batch_size, count=4 if batch_size >= 1024 else 10)
            batches = [(x.reshape(-1, 28, 28, 1), y) for x, y in flat]
            steps = steps_for(MODELS[name], batches)
            quiet.append(row(name, batch_size, samples_of(MODELS[name], batches, steps, rounds)))
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                time.sleep(0.5)  # let it take its core
                busy.append(row(name, batch_size,
                                samples_of(MODELS[name], batches, steps, rounds)))
            finally:
                spinner.kill()
                spinner.wait()
    return quiet, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_rounds_argument(parser, default=4)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--batches", default="32,128,1024")
    args = parser.parse_args()
    model_names = args.models.split(",")
    batch_sizes = [int(size) for size in args.batches.split(",")]
    print(f"numpy {np.__version__}, {os.cpu_count()} cores, "
          f"BLAS threads at start: {tg.get_num_threads()}, load average {load_average()}")
    header = ["model", "batch", "1 thread ms", "2 threads ms", "2t/1t"]
    quiet, busy = measure(model_names, batch_sizes, args.rounds)
    print_table("alone", header, quiet)
    print_table("next to one busy process of this script's own", header, busy)
    print(f"load average at the end: {load_average()}")
    print("ms per step: median over rounds [first, third quartile]; 2t/1t < 1: two threads win")


if __name__ == "__main__":
    main()
