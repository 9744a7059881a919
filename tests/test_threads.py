"""set_num_threads / get_num_threads, and fit's automatic one thread for small batches."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import tinygrad_edu as tg
from tinygrad_edu import nn, threads
from tinygrad_edu.callbacks import LambdaCallback


def _blas_counts():
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.fixture
def fresh_threads(monkeypatch):
    """No user choice yet, no thread variable, and the limits of the test session restored."""
    for name in threads.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_chosen", None)
    with threadpool_limits(limits=2):  # the tests' session runs on one thread
        yield


def test_set_num_threads_limits_numpy_blas(fresh_threads):
    tg.set_num_threads(1)
    assert tg.get_num_threads() == 1 and set(_blas_counts()) == {1}
    tg.set_num_threads(2)
    assert tg.get_num_threads() == 2 == max(_blas_counts())
    a = np.random.default_rng(0).standard_normal((300, 200)).astype(np.float32)
    on_two = a @ a.T
    tg.set_num_threads(1)
    np.testing.assert_allclose(a @ a.T, on_two, rtol=1e-5, atol=1e-4)


def test_set_num_threads_takes_numpy_integers(fresh_threads):
    tg.set_num_threads(np.int64(1))
    assert tg.get_num_threads() == 1


def test_the_names_and_meaning_follow_pytorch(fresh_threads):
    torch = pytest.importorskip("torch")
    assert callable(torch.set_num_threads) and callable(torch.get_num_threads)
    before = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            tg.set_num_threads(n)
            assert tg.get_num_threads() == torch.get_num_threads() == n
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad, error, message", [
    (0, ValueError, "at least 1"),
    (-2, ValueError, "at least 1"),
    (1.5, TypeError, "must be an int"),
    (2.0, TypeError, "must be an int"),
    ("2", TypeError, "must be an int"),
    (True, TypeError, "must be an int"),
    (None, TypeError, "must be an int"),
])
def test_bad_counts_are_refused_and_change_nothing(fresh_threads, bad, error, message):
    with pytest.raises(error, match=f"set_num_threads.*{message}"):
        tg.set_num_threads(bad)
    assert tg.get_num_threads() == 2 and threads._chosen is None


def _threads_during_fit(batch_size, samples=64):
    """The BLAS thread count seen at every batch of a one-epoch fit, and after it."""
    model = nn.Sequential([nn.Dense(8, activation="relu", input_shape=(4,)), nn.Dense(3)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    seen = []
    record = LambdaCallback(on_train_batch_begin=lambda batch, logs=None:
                            seen.append(tg.get_num_threads()))
    rng = np.random.default_rng(0)
    model.fit(rng.standard_normal((samples, 4)).astype(np.float32), rng.integers(0, 3, samples),
              batch_size=batch_size, epochs=1, verbose=0, callbacks=[record])
    return set(seen), tg.get_num_threads()


def test_fit_runs_small_batches_on_one_thread_and_restores_the_count(fresh_threads):
    assert _threads_during_fit(batch_size=32) == ({1}, 2)
    assert _threads_during_fit(batch_size=threads.ONE_THREAD_MAX_BATCH) == ({1}, 2)


def test_fit_keeps_the_threads_for_large_batches(fresh_threads):
    assert _threads_during_fit(batch_size=threads.ONE_THREAD_MAX_BATCH + 1, samples=300) == (
        {2}, 2)


def test_the_default_batch_size_counts_as_small(fresh_threads):
    model = nn.Sequential([nn.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 2), np.float32), verbose=0,
              callbacks=[LambdaCallback(on_epoch_begin=lambda epoch, logs=None:
                                        seen.append(tg.get_num_threads()))])
    assert seen == [1]


def test_the_users_choice_wins_over_fits(fresh_threads):
    tg.set_num_threads(2)
    assert _threads_during_fit(batch_size=32) == ({2}, 2)


def test_a_thread_variable_in_the_environment_wins_over_fits(fresh_threads, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert _threads_during_fit(batch_size=32) == ({2}, 2)


def test_fit_still_refuses_a_bad_batch_size(fresh_threads):
    model = nn.Sequential([nn.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(np.ones((8, 3), np.float32), np.ones((8, 2), np.float32), batch_size=0,
                  verbose=0)
    with pytest.raises(TypeError):
        tg.training.fit(model, np.ones((8, 3)), np.ones((8, 2)), not_an_argument=1)
    assert tg.get_num_threads() == 2
