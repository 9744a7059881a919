"""Shared test setup: one BLAS thread, reproducible randomness, fresh layer names per test."""

import numpy as np
import pytest

import tinygrad_edu as tg


def pytest_configure(config):
    # The tests run many small problems. Multi-threaded BLAS gains nothing there, and when its
    # worker threads compete with PyTorch's (imported by the reference tests) or with other
    # processes on a small machine they spin and slow everything tenfold.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    config._tinygrad_edu_thread_limit = threadpool_limits(limits=1)


@pytest.fixture(autouse=True)
def _seed_everything():
    tg.manual_seed(0)
    np.random.seed(0)
    try:
        from tinygrad_edu.nn import reset_names
    except ImportError:  # the nn package is optional for the core tests
        return
    reset_names()


REFERENCE_LIBRARIES = ("'torch'", "'keras'")


def pytest_terminal_summary(terminalreporter):
    """Say how to include the reference tests that were skipped for want of PyTorch/Keras."""
    skipped = terminalreporter.stats.get("skipped", [])
    reference = [report for report in skipped
                 if any(name in str(report.longrepr) for name in REFERENCE_LIBRARIES)]
    if reference:
        terminalreporter.write_line(
            f"{len(reference)} reference tests skipped: PyTorch/Keras are not installed; "
            'include them with pip install -e ".[dev,reference]" and KERAS_BACKEND=torch')
