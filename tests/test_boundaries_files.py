"""File boundaries: damaged and hostile model files give the documented ValueError naming
what is wrong; nothing large is allocated before a file is known to be sane; every file is
written through the one atomic-write helper, with the usual permissions."""

import io
import json
import os
import re
import stat
import tracemalloc
import zipfile

import numpy as np
import pytest
from boundary_cases import rewrite_member, with_architecture, with_weight, zip_bomb

import tinygrad_edu as tg
from tinygrad_edu import archive, atomic_write, nn


def small_model():
    return nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,)), nn.Dense(2)])


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.npz"
    small_model().save(path)
    return path


def _assert_same_model(path, reference):
    model = tg.load_model(path)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_every_truncation_gives_the_documented_value_error(tmp_path, model_file):
    data = model_file.read_bytes()
    for length in range(0, len(data), 37):
        path = tmp_path / f"cut{length}.npz"
        path.write_bytes(data[:length])
        with pytest.raises(ValueError, match="load_model: .*(damaged|not a tinygrad_edu file)"):
            tg.load_model(path)


def test_every_bit_flip_is_caught_or_harmless(tmp_path, model_file):
    reference = tg.load_model(model_file)
    data = model_file.read_bytes()
    outcomes = {"refused": 0, "harmless": 0}
    for position in range(0, len(data), 11):
        flipped = bytearray(data)
        flipped[position] ^= 0x04
        path = tmp_path / "flipped.npz"
        path.write_bytes(bytes(flipped))
        try:
            _assert_same_model(path, reference)  # a flip in padding or unused header bits
            outcomes["harmless"] += 1
        except ValueError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 5 * outcomes["harmless"]


MALFORMED = [  # (what, how the file is changed, the field the message must name)
    ("header not JSON", lambda p: rewrite_member(p, "__format__", "{"), "__format__ entry is "
                                                                         "not valid JSON"),
    ("header a list", lambda p: rewrite_member(p, "__format__", "[]"), "no valid __format__"),
    ("version a string", lambda p: rewrite_member(p, "__format__", json.dumps(
        {"format": "tinygrad_edu", "version": "1", "kind": "model", "weights": []})),
     "__format__ field 'version' must be a positive integer, got '1'"),
    ("kind unknown", lambda p: rewrite_member(p, "__format__", json.dumps(
        {"format": "tinygrad_edu", "version": 1, "kind": "pickle", "weights": []})),
     "__format__ field 'kind' must be 'model' or 'weights'"),
    ("weights not a list", lambda p: rewrite_member(p, "__format__", json.dumps(
        {"format": "tinygrad_edu", "version": 1, "kind": "model", "weights": {"a": 1}})),
     "__format__ field 'weights' must be a list"),
    ("architecture not JSON", lambda p: rewrite_member(p, "__architecture__", "{'a': 1}"),
     "the __architecture__ entry is not valid JSON"),
    ("architecture nested too deeply",
     lambda p: rewrite_member(p, "__architecture__", "[" * 200_000 + "]" * 200_000),
     "the __architecture__ entry is not valid JSON (nested too deeply)"),
    ("class_name missing", lambda p: rewrite_member(p, "__architecture__", '{"config": {}}'),
     '__architecture__ entry must be an object {"class_name"'),
    ("config a list", lambda p: rewrite_member(
        p, "__architecture__", '{"class_name": "Sequential", "config": []}'),
     '__architecture__ entry must be an object'),
    ("layers an int", lambda p: rewrite_member(p, "__architecture__", json.dumps(
        {"class_name": "Sequential", "config": {"layers": 3}})), "'layers' must be a list"),
    ("layer entry without config", lambda p: rewrite_member(p, "__architecture__", json.dumps(
        {"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense"}]}})),
     "'layers'[0] must be"),
    ("layer config unknown keyword", lambda p: rewrite_member(p, "__architecture__", json.dumps(
        {"class_name": "Sequential", "config": {"layers": [
            {"class_name": "Dense", "config": {"units": 2, "colour": "red"}}]}})),
     "'layers'[0] (Dense): invalid config"),
    ("units a string", lambda p: rewrite_member(p, "__architecture__", json.dumps(
        {"class_name": "Sequential", "config": {"layers": [
            {"class_name": "Dense", "config": {"units": "2"}}]}})), "units must be a positive"),
]


@pytest.mark.parametrize("change, field", [case[1:] for case in MALFORMED],
                         ids=[case[0] for case in MALFORMED])
def test_malformed_fields_give_a_value_error_naming_the_field(model_file, change, field):
    with pytest.raises(ValueError) as caught:
        tg.load_model(change(model_file))
    assert field in str(caught.value)


def _dense_architecture(**changes):
    config = small_model().get_config()
    config["layers"][0]["config"].update(changes)
    return {"class_name": "Sequential", "config": config}


@pytest.mark.parametrize("changes", [{"units": 30_000_000}, {"input_shape": [10**9]}],
                         ids=["units", "input_shape"])
def test_a_config_is_checked_before_its_weights_are_allocated(tmp_path, changes):
    path = with_architecture(tmp_path, _dense_architecture(**changes))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"the architecture declares the weight \S+kernel "
                                             r"of shape .* more than the 26 values left in the "
                                             r"file; the architecture is damaged"):
            tg.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # 30 million float32 values would take 120 MB


def test_a_zip_bomb_is_refused_without_inflating_it(tmp_path):
    bomb = zip_bomb(tmp_path)
    assert bomb.stat().st_size < 2 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"member 'weights/w.npy' inflates [\d,]+ times .* "
                                             r"over the limit of 100 times .*zip bomb"):
            small_model().load_weights(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_the_total_size_limit_is_checked_from_the_zip_directory(model_file, monkeypatch):
    monkeypatch.setattr(archive, "MAX_ARCHIVE_BYTES", 1000)
    with pytest.raises(ValueError, match=r"would unpack to [\d,]+ bytes, more than the limit "
                                         r"of 1,000"):
        tg.load_model(model_file)


def test_a_member_longer_than_its_header_declares_is_damaged(tmp_path, model_file):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3, np.float32))
    with zipfile.ZipFile(model_file, "a") as package:
        package.writestr("extra.npy", buffer.getvalue() + b"\0" * 8)
    with pytest.raises(ValueError, match="member 'extra' declares 12 bytes of data but holds 20"):
        tg.load_model(model_file)


DTYPES = [
    ("strings that parse as numbers", np.array([["1e309", "nan", "1", "2"]] * 3)),
    ("complex", np.ones((3, 4), np.complex64)),
    ("datetime", np.zeros((3, 4), "datetime64[s]")),
    ("timedelta", np.zeros((3, 4), "timedelta64[s]")),
    ("structured", np.zeros((3, 4), [("a", "f4"), ("b", "f4")])),
    ("bytes", np.array([[b"1.0"] * 4] * 3)),
]


@pytest.mark.parametrize("array", [array for _, array in DTYPES], ids=[n for n, _ in DTYPES])
def test_weights_of_a_non_numeric_dtype_are_refused(tmp_path, array):
    path = with_weight(tmp_path, array)
    dtype = re.escape(str(np.dtype(array.dtype)))
    with pytest.raises(ValueError, match=rf"member 'weights/dense.kernel' has dtype {dtype}; "
                                         r"it must hold numbers"):
        tg.load_model(path)


def test_object_arrays_are_refused_as_pickles(tmp_path):
    path = with_weight(tmp_path, np.array([None, 1], dtype=object))
    with pytest.raises(ValueError, match="contains pickled Python objects"):
        tg.load_model(path)


# ----- writing -----------------------------------------------------------------------------
def _writers(tmp_path):
    model = small_model()

    def checkpoint(path):
        from tinygrad_edu.callbacks import CallbackList, ModelCheckpoint

        callbacks = CallbackList([ModelCheckpoint(str(path))], model=model)
        callbacks.on_train_begin()
        callbacks.on_epoch_end(0, {"val_loss": 0.5})

    def picture(path):
        viz = pytest.importorskip("viz.graph")
        from viz.graph_render import render_graph

        x = tg.Tensor([1.0], requires_grad=True)
        render_graph(viz.draw_graph((x * 2).sum()), path)

    return {"model": model.save, "weights": model.save_weights, "checkpoint": checkpoint,
            "picture (DOT)": picture}


@pytest.mark.parametrize("kind", ["model", "weights", "checkpoint", "picture (DOT)"])
def test_files_get_the_usual_permissions_and_keep_an_existing_mode(tmp_path, kind):
    write = _writers(tmp_path)[kind]
    old_umask = os.umask(0o022)
    try:
        write(tmp_path / "new.dot")
        assert stat.S_IMODE(os.stat(tmp_path / "new.dot").st_mode) == 0o644
        os.chmod(tmp_path / "new.dot", 0o600)
        write(tmp_path / "new.dot")
        assert stat.S_IMODE(os.stat(tmp_path / "new.dot").st_mode) == 0o600
    finally:
        os.umask(old_umask)
    assert os.listdir(tmp_path) == ["new.dot"]


def test_the_next_save_removes_temporaries_of_dead_writers_only(tmp_path):
    dead = tmp_path / ".tmp-999999999-0123456789abcdef-model.npz"  # no such process
    alive = tmp_path / f".tmp-{os.getppid()}-0123456789abcdef-model.npz"  # a running one
    other = tmp_path / ".tmp-notes.txt"  # not ours
    for path in (dead, alive, other):
        path.write_bytes(b"x" * 1000)
    small_model().save(tmp_path / "model.npz")
    assert sorted(os.listdir(tmp_path)) == sorted(["model.npz", alive.name, other.name])


def test_the_folder_is_synced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def recording_fsync(handle):
        synced.append(stat.S_ISDIR(os.fstat(handle).st_mode))
        real_fsync(handle)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    small_model().save(tmp_path / "model.npz")
    assert synced[-1] is True and False in synced  # the file first, then its folder


def test_a_missing_folder_or_a_file_in_the_path_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"save_model: cannot write .*: its folder .* does not "
                                         r"exist; create it first"):
        small_model().save(tmp_path / "missing" / "model.npz")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(ValueError, match=r"plain' is a file, not a folder"):
        small_model().save(tmp_path / "plain" / "model.npz")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("old")

    def failing(stream):
        stream.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write.atomic_write(path, failing)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["notes.txt"]


# ----- every config field, with values of the wrong kind -----------------------------------
FUZZ_MODEL_LAYERS = [
    lambda: nn.Conv2D(2, 3, activation="relu", input_shape=(5, 5, 1)),
    lambda: nn.BatchNormalization(), lambda: nn.MaxPooling2D(), lambda: nn.Flatten(),
    lambda: nn.Dropout(0.2), lambda: nn.Dense(2, kernel_regularizer="l2", activation="softmax"),
]
WRONG_VALUES = [None, [], {}, "x", -1, 0, 2.5, True, 10**6, [[[]]], {"class_name": 3},
                {"class_name": "L2", "config": {"l2": "a"}}, "relu", [1, 2, 3, 4, 5]]


@pytest.mark.parametrize("index", range(len(FUZZ_MODEL_LAYERS)),
                         ids=["Conv2D", "BatchNormalization", "MaxPooling2D", "Flatten",
                              "Dropout", "Dense"])
def test_every_config_field_with_a_wrong_value_loads_or_is_refused_clearly(tmp_path, index):
    from boundary_cases import raw_reason

    model = nn.Sequential([make() for make in FUZZ_MODEL_LAYERS])
    original = tmp_path / "original.npz"
    model.save(original)
    architecture = {"class_name": "Sequential", "config": model.get_config()}
    layer_config = architecture["config"]["layers"][index]["config"]
    refused = 0
    for key in list(layer_config):
        for value in WRONG_VALUES:
            changed = json.loads(json.dumps(architecture))
            changed["config"]["layers"][index]["config"][key] = value
            path = tmp_path / "changed.npz"
            path.write_bytes(original.read_bytes())
            rewrite_member(path, "__architecture__", json.dumps(changed))
            try:
                tg.load_model(path)
            except Exception as error:  # noqa: BLE001 - the point is to classify any error
                assert raw_reason(error) is None, f"{key}={value!r}: {raw_reason(error)}"
                refused += 1
    assert refused >= len(layer_config)  # most wrong values are refused, none crash
