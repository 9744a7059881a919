"""Shared test setup: reproducible randomness and fresh layer names for every test."""

import numpy as np
import pytest

import tinygrad_edu as tg


@pytest.fixture(autouse=True)
def _seed_everything():
    tg.manual_seed(0)
    np.random.seed(0)
    try:
        from tinygrad_edu.nn import reset_names
    except ImportError:  # the nn package is optional for the core tests
        return
    reset_names()
