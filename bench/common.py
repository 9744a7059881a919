"""Shared pieces of the benchmarks: data, timing, printing.

Timing rules: every variant runs on the same machine in the same process, rounds are
interleaved (A, B, C, A, B, C, ...) so that drift in the machine's speed hits all of them, and
the median round is reported. Batches change every step (real data when available), because
a benchmark that reuses one batch measures caches, not training.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import time

import numpy as np

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def _read_idx_images(path: str) -> np.ndarray | None:
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows * cols)


def training_batches(batch_size: int, count: int, seed: int = 0):
    """``count`` different (x, labels) batches: Fashion-MNIST when installed, else random."""
    rng = np.random.default_rng(seed)
    images = None
    for name in ("train-images-idx3-ubyte.gz", "train-images.idx3-ubyte.gz"):
        images = images if images is not None else _read_idx_images(
            os.path.join(FASHION_DIR, name))
    needed = batch_size * count
    if images is not None and len(images) >= needed:
        x = images[rng.permutation(len(images))[:needed]].astype(np.float32) / 255.0
        source = "Fashion-MNIST"
    else:
        x = rng.random((needed, 784), dtype=np.float32)
        source = "random"
    labels = rng.integers(0, 10, size=needed)
    batches = [(x[i * batch_size:(i + 1) * batch_size],
                labels[i * batch_size:(i + 1) * batch_size]) for i in range(count)]
    return batches, source


def mlp_weights(sizes=(784, 256, 128, 10), seed: int = 0) -> list[np.ndarray]:
    """He-normal kernels and zero biases, float32: [W1, b1, W2, b2, ...]."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        weights.append((rng.standard_normal((fan_in, fan_out)) * (2.0 / fan_in) ** 0.5)
                       .astype(np.float32))
        weights.append(np.zeros(fan_out, dtype=np.float32))
    return weights


# After a burst of work, the worker threads of OpenBLAS (numpy) and of OpenMP (PyTorch) keep
# spinning for up to ~0.2 s, waiting for more. On a 2-core machine the threads of the variant
# that ran before would steal a core from the next one, so each variant starts after a pause.
SETTLE_SECONDS = 0.3

def load_average() -> str:
    """The load average over 1, 5 and 15 minutes (processes wanting a core), for the header
    of a run: with 2 cores, anything above 2 means processes were waiting."""
    try:
        with open("/proc/loadavg") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return "unknown"


CLOCKS = {"wall": time.perf_counter, "process": time.process_time}


def add_clock_argument(parser) -> None:
    """``--clock wall|process``: the wall clock, or this process's CPU time, which on a
    machine busy with other work leaves out the waits for a core. ``CLOCKS[args.clock]`` is
    the function to pass to :func:`interleaved_samples`."""
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall",
                        help="wall time, or this process's CPU time (steadier on a busy machine)")


def add_rounds_argument(parser, default: int, help_text: str = "interleaved rounds") -> None:
    """``--rounds R``, at least 2: the quartiles printed next to every median need two rounds
    (one round would end in a bare ``statistics`` error after the whole run)."""
    def at_least_two(text: str) -> int:
        try:
            rounds = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"--rounds takes a whole number, got {text!r}") from None
        if rounds < 2:
            raise argparse.ArgumentTypeError(
                f"--rounds must be at least 2 (the quartiles need two rounds), got {rounds}")
        return rounds
    parser.add_argument("--rounds", type=at_least_two, default=default, help=help_text)


def interleaved_samples(factories: dict, steps: int, rounds: int, warmup: int = 5,
                        clock=time.perf_counter) -> dict:
    """Mean ms per step of each variant (name -> step factory), one sample per round.

    Every round starts each variant afresh (new weights, new optimizer state): a model trained
    for thousands of steps on one benchmark drifts into float32 denormals (Adam's moments for
    always-blank pixels decay towards 1e-38), which slows every implementation several times
    and measures the CPU's denormal handling instead of the framework. The order of the
    variants is reversed every other round, so that none always runs first or last.

    ``clock`` is wall time by default. ``time.process_time`` counts only this process's CPU
    time and ``time.thread_time`` only this thread's; on a machine busy with other work both
    leave out the waits for a core.
    """
    samples = {name: [] for name in factories}
    names = list(factories)
    for round_index in range(rounds):
        for name in (names if round_index % 2 == 0 else names[::-1]):
            run = factories[name]()
            time.sleep(SETTLE_SECONDS)
            for _ in range(warmup):
                run()
            start = clock()
            for _ in range(steps):
                run()
            samples[name].append((clock() - start) / steps * 1e3)
    return samples


def round_ratios(samples: dict, name: str, reference: str) -> list[float]:
    """name's time / reference's time in each round.

    Variants of one round run seconds apart, so the ratio within a round cancels most of the
    machine's slow drift in speed, which the ratio of two medians would not.
    """
    return [a / b for a, b in zip(samples[name], samples[reference])]


def median_ratio(samples: dict, name: str, reference: str) -> float:
    """Median over rounds of name's time / reference's time in the same round."""
    return statistics.median(round_ratios(samples, name, reference))


def median_with_quartiles(values, digits: int = 2) -> str:
    """``median [first quartile, third quartile]`` of a variant's times over the rounds."""
    first, _, third = statistics.quantiles(values, n=4)
    return f"{statistics.median(values):.{digits}f} [{first:.{digits}f}, {third:.{digits}f}]"


def ratio_with_quartiles(samples: dict, name: str, reference: str) -> str:
    """The median per-round ratio and, in brackets, its first and third quartiles: the
    spread shows how much the machine's speed wandered during the run."""
    ratios = round_ratios(samples, name, reference)
    first, _, third = statistics.quantiles(ratios, n=4)
    return f"{statistics.median(ratios):.3f} [{first:.2f}, {third:.2f}]"


def cycle(batches):
    """An endless iterator over the batches."""
    while True:
        yield from batches


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(str(h).rjust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(str(v).rjust(w) for v, w in zip(row, widths)))
