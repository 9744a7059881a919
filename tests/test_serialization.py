import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import regularizers, serialization
from tinygrad_edu.nn import Dense, Dropout, Flatten, Module, PReLU, Sequential, reset_names
from tinygrad_edu.serialization import load_model


def make_model():
    return Sequential([
        Flatten(input_shape=(4, 4)),
        Dense(8, activation="elu", kernel_initializer="he_normal",
              kernel_regularizer=regularizers.L2(1e-3)),
        PReLU(alpha_initializer="random_uniform"),
        Dropout(0.3, seed=4),
        Dense(3, activation="softmax", bias_initializer="random_normal"),
    ])


def batch():
    return np.random.default_rng(0).standard_normal((5, 4, 4)).astype(np.float32)


def test_save_and_load_model_round_trip(tmp_path):
    model = make_model()
    model[2].trainable = False
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is Sequential and loaded.get_config() == model.get_config()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)
    model.eval(), loaded.eval()
    np.testing.assert_array_equal(loaded(batch()).numpy(), model(batch()).numpy())
    assert loaded[2].trainable is False
    assert isinstance(loaded[1].kernel_regularizer, regularizers.L2)


def test_file_format_is_documented_plain_arrays(tmp_path):
    model = make_model()
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as archive:
        names = set(archive.files)
        header = json.loads(str(archive["__format__"]))
        architecture = json.loads(str(archive["__architecture__"]))
        kernel = archive["weights/dense.kernel"]
    assert header["format"] == "tinygrad_edu" and header["version"] == 1
    assert header["kind"] == "model" and header["weights"] == list(model.state_dict())
    assert names == {"__format__", "__architecture__",
                     *("weights/" + key for key in model.state_dict())}
    assert architecture["class_name"] == "Sequential"
    assert [layer["class_name"] for layer in architecture["config"]["layers"]] == [
        "Flatten", "Dense", "PReLU", "Dropout", "Dense"]
    np.testing.assert_array_equal(kernel, model[1].kernel.numpy())


def test_reloading_in_a_fresh_process_gives_identical_predictions(tmp_path):
    model = make_model().eval()
    model_path, input_path, output_path = (tmp_path / name for name in
                                           ("model.npz", "x.npy", "y.npy"))
    model.save(model_path)
    np.save(input_path, batch())
    script = textwrap.dedent(f"""
        import numpy as np
        from tinygrad_edu.serialization import load_model
        model = load_model({str(model_path)!r}).eval()
        np.save({str(output_path)!r}, model(np.load({str(input_path)!r})).numpy())
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    np.testing.assert_array_equal(np.load(output_path), model(batch()).numpy())


def test_save_weights_and_load_weights(tmp_path):
    source, target = make_model(), make_model()
    path = tmp_path / "weights.npz"
    source.save_weights(path)
    target.load_weights(path)  # other default names (dense_2...): matched by position
    for mine, theirs in zip(target.state_dict().values(), source.state_dict().values()):
        np.testing.assert_array_equal(mine, theirs)
    with pytest.raises(ValueError, match="weights only"):
        load_model(path)


def test_load_weights_into_a_rebuilt_model_with_other_default_names(tmp_path):
    reset_names()
    source = Sequential([Dense(4, input_dim=3), Dense(2)])
    path = tmp_path / "weights.npz"
    source.save_weights(path)
    rebuilt = Sequential([Dense(4, input_dim=3), Dense(2)])  # named dense_2 and dense_3
    rebuilt.load_weights(path)
    np.testing.assert_array_equal(rebuilt[1].kernel.numpy(), source[1].kernel.numpy())
    different = Sequential([Dense(5, input_dim=3), Dense(2)])
    shapes = r"(?s)do not fit.*model dense_4.kernel \(3, 5\) +file dense.kernel \(3, 4\) +<- dif"
    with pytest.raises(ValueError, match=shapes):
        different.load_weights(path)


def test_custom_modules_use_save_weights(tmp_path):
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(3, input_dim=2)
            self.out = Dense(1, input_dim=3)

        def forward(self, x):
            return self.out(self.hidden(x))

    source, target = Net(), Net()
    source.save_weights(tmp_path / "net.npz")
    target.load_weights(tmp_path / "net.npz")
    np.testing.assert_array_equal(target(tg.ones(2, 2)).numpy(), source(tg.ones(2, 2)).numpy())
    with pytest.raises(ValueError, match="no weights yet"):
        Sequential([Dense(2)]).load_weights(tmp_path / "net.npz")


def test_files_with_pickled_objects_are_refused(tmp_path):
    model = make_model()
    path = tmp_path / "evil.npz"
    with open(path, "wb") as stream:
        np.savez(stream, __format__=np.array(json.dumps(
            {"format": "tinygrad_edu", "version": 1, "kind": "weights", "weights": ["x"]})),
            **{"weights/x": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="pickled Python objects"):
        model.load_weights(path)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"dense.kernel": np.ones(3)}))
    with pytest.raises(ValueError, match="is a pickle. Pickles are refused"):
        load_model(raw)


def test_other_bad_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_model(tmp_path / "missing.npz")
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.ones(2))
    with pytest.raises(ValueError, match="not a tinygrad_edu file"):
        load_model(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a tinygrad_edu file"):
        load_model(text)
    future = tmp_path / "future.npz"
    np.savez(future, __format__=np.array(json.dumps({"format": "tinygrad_edu", "version": 99})))
    with pytest.raises(ValueError, match="version 99"):
        load_model(future)


def test_unsaveable_architecture_is_refused_before_writing(tmp_path):
    model = Sequential([Dense(2, input_dim=2, kernel_regularizer=lambda w: w.sum())])
    path = tmp_path / "model.npz"
    with pytest.raises(TypeError, match="cannot serialize regularizer"):
        model.save(path)
    assert not path.exists()


def test_writes_are_atomic(tmp_path, monkeypatch):
    model = make_model()
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        stream = args[0]
        stream.write(b"half a file")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(serialization.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        make_model().save(path)
    assert path.read_bytes() == before  # the old file is intact
    assert os.listdir(tmp_path) == ["model.npz"]  # and no temporary file is left behind
