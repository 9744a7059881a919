"""kill -9 during saves: the previous file always loads, and the next save leaves no
temporary file behind.

A child process saves a model (about 4 MB, a save takes some milliseconds) over and over,
each version's weights all equal to its version number; the test kills it with SIGKILL at a
random moment, 20 times, and after each kill checks the file on disk and saves once itself.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

KILLS = 20
SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    from tinygrad_edu import nn
    path = sys.argv[1]
    model = nn.Sequential([nn.Dense(1000, input_shape=(1000,), name="big")])
    version = 1
    print("ready", flush=True)
    while True:
        for weight in model.weights:
            weight.data[...] = version
        model.save(path)
        version += 1
""")


def _model_version(path) -> float:
    """Load the file and return its version (all weights equal it), or fail."""
    model = tg.load_model(path)
    values = np.concatenate([w.ravel() for w in model.get_weights()])
    assert values.min() == values.max(), "a mix of two versions"
    return float(values[0])


def _temporaries(folder) -> list:
    return sorted(name for name in os.listdir(folder) if name.startswith(".tmp-"))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_kill_minus_9_during_saves_never_loses_the_file(tmp_path):
    path = tmp_path / "model.npz"
    model = nn.Sequential([nn.Dense(1000, input_shape=(1000,), name="big")])
    for weight in model.weights:
        weight.data[...] = 0.0
    model.save(path)
    rng = np.random.default_rng(0)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    left_behind, versions = [], []
    for _ in range(KILLS):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(path)],
                                 stdout=subprocess.PIPE, env=environment)
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        versions.append(_model_version(path))  # the last complete save, or the one before
        left_behind.append(len(_temporaries(tmp_path)))
        model.save(path)  # the next save in the folder cleans up after the killed one
        assert _temporaries(tmp_path) == []
        assert _model_version(path) == 0.0
    print(f"\n{KILLS} kills: the file loaded every time (versions {versions}); "
          f"{sum(n > 0 for n in left_behind)} kills left a temporary file, "
          f"all removed by the next save")
    assert any(v > 0 for v in versions)  # the child's saves really replaced the file
    assert any(left_behind), "no kill landed inside a save: the test proved nothing"
