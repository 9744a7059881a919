"""How many threads numpy's matrix products use: ``set_num_threads`` and ``get_num_threads``.

Every ``@`` in a training step runs in the BLAS library that numpy is built with (OpenBLAS in
numpy's wheels), and BLAS splits a large product over a pool of worker threads, one per core
by default. Two threads finish a large product almost twice as fast; on a small one they
spend more time handing work over than computing, and when another process wants the same
cores the waiting threads spin and the step slows down several times.

``set_num_threads(n)`` has the name and the meaning of PyTorch's ``torch.set_num_threads``
(the threads of one process's intra-op work), applied to numpy: it limits every BLAS and
OpenMP thread pool loaded in this process to ``n`` threads, through threadpoolctl's public
``threadpool_limits``. A pool that a library brings in later (a library imported after the
call) starts with its own default; call again after importing it.

``fit`` chooses one thread for small problems on its own (see :func:`automatic_threads`,
which says when and why); a number given to ``set_num_threads`` always wins over that choice,
and so does a thread count set in the environment (``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``) before Python started.

>>> import tinygrad_edu as tg
>>> before = tg.get_num_threads()
>>> tg.set_num_threads(1)
>>> tg.get_num_threads()
1
>>> tg.set_num_threads(before)
"""

from __future__ import annotations

import functools
import inspect
import os
from contextlib import contextmanager, nullcontext

from threadpoolctl import ThreadpoolController, threadpool_info, threadpool_limits

__all__ = ["set_num_threads", "get_num_threads", "automatic_threads", "with_automatic_threads",
           "keep_one_thread"]

# Environment variables that fix the thread count of numpy's BLAS before Python starts.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# fit's automatic choice: one thread when a batch has at most this many samples.
# Measured with bench/bench_threads.py (numbers in bench/README.md and in fit's docstring).
ONE_THREAD_MAX_BATCH = 128

_chosen: int | None = None  # the number given to set_num_threads, if any
_one_thread_pools: set[str] = set()  # libraries (by file) held at one thread: keep_one_thread


def _check_count(n) -> int:
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__} {n!r}; "
                        "pass a whole number of threads, e.g. set_num_threads(1)")
    n = int(n.__index__())
    if n < 1:
        raise ValueError(f"set_num_threads: n must be at least 1, got {n}; "
                         "1 runs every matrix product on one core")
    return n


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for numpy's matrix products (BLAS) and OpenMP in this process.

    Like ``torch.set_num_threads(n)``: it lasts until the next call, for the whole process.
    Unlike PyTorch, it acts on the libraries already loaded: numpy's BLAS, and SciPy's and
    PyTorch's pools if they are imported. A library held at one thread
    (:func:`keep_one_thread`: the BLAS that SciPy bundles, once SGD uses it) stays at one.

    Args:
        n: the number of threads, at least 1. More threads than cores only make them wait.

    Raises:
        TypeError: ``n`` is not an integer (``True``, ``2.0`` and ``"2"`` are refused).
        ValueError: ``n`` is below 1.
    """
    global _chosen
    n = _check_count(n)
    threadpool_limits(limits=n)  # applies at once; the returned handle would undo it
    _limit_one_thread_pools()
    _chosen = n


def get_num_threads() -> int:
    """The number of threads numpy's matrix products use now (like ``torch.get_num_threads``).

    The largest thread count of the BLAS libraries loaded in this process (numpy's, and
    SciPy's once it is imported); 1 when none reports a count.
    """
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts, default=1)


def keep_one_thread(package) -> None:
    """Hold the thread pools that ``package`` ships inside its own folders (a wheel's
    ``scipy.libs/`` or ``scipy/``) at one thread, now and after every later
    :func:`set_num_threads`. A package that uses a shared library (numpy's own, as in conda)
    ships none, and nothing is held.

    For a second BLAS library that does only small, memory-bound work next to numpy's, such
    as the copy of OpenBLAS inside SciPy's wheels that SGD's update runs in
    (:mod:`tinygrad_edu.optim.axpy`). With two threads in each of two OpenBLAS pools, each
    pool's workers keep spinning for a while after their own call and take the cores the
    other pool's workers are waiting for: on 2 cores the MLP 784-256-128-10 SGD step took
    18 ms instead of 1.1 at batch 32 and 34 ms instead of 8 at batch 1024.
    """
    root = os.path.dirname(package.__file__)  # .../scipy, next to the wheel's .../scipy.libs
    folders = (root + os.sep, root + ".libs" + os.sep)  # not .../scipy_openblas64/ and the like
    _one_thread_pools.update(pool["filepath"] for pool in threadpool_info()
                             if pool["filepath"].startswith(folders))
    _limit_one_thread_pools()


def _limit_one_thread_pools() -> None:
    if _one_thread_pools:
        ThreadpoolController().select(filepath=sorted(_one_thread_pools)).limit(limits=1)


def threads_were_chosen() -> bool:
    """Whether the user fixed the thread count: set_num_threads, or a variable at startup."""
    return _chosen is not None or any(os.environ.get(name) for name in THREAD_VARIABLES)


def automatic_threads(batch_size: int):
    """A context for ``fit``'s loop: one BLAS thread for a batch of at most 128 samples.

    Measured on 2 shared cores with bench/bench_threads.py, three runs (ms per step, 1 vs 2
    threads; the machine was never quiet, see bench/README.md): the course's MLP at batch 32
    took 1.6-3.1 on one thread and 2.0-35 on two, and 2.5-7.7 against 11-48 next to one busy
    process; the CNN at batch 32 took 16-39 against 17-115, and at batch 128 two threads took
    0.83-2.78 of one thread's time alone, 1.39-1.51 next to the busy process. At batch 1024
    two threads can gain on a free core (MLP 12 vs 17 ms) and are left alone. Nothing changes
    when the user chose a count (:func:`threads_were_chosen`), or when only one thread is in
    use already.
    """
    small = isinstance(batch_size, int) and batch_size <= ONE_THREAD_MAX_BATCH
    if not small or threads_were_chosen() or get_num_threads() == 1:
        return nullcontext()
    return _one_thread()


def with_automatic_threads(fit):
    """Run ``fit`` inside :func:`automatic_threads` of its ``batch_size`` argument.

    A batch size that is not a whole number is left for ``fit`` to refuse.
    """
    signature = inspect.signature(fit)
    default = signature.parameters["batch_size"].default

    @functools.wraps(fit)
    def fit_with_automatic_threads(*args, **kwargs):
        try:
            batch_size = signature.bind(*args, **kwargs).arguments.get("batch_size", default)
        except TypeError:  # wrong arguments: fit's own call says which
            return fit(*args, **kwargs)
        with automatic_threads(default if batch_size is None else batch_size):
            return fit(*args, **kwargs)

    return fit_with_automatic_threads


@contextmanager
def _one_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield
