"""The course's Keras code runs with only its import lines changed.

Every code cell of ``course_keras/`` (found at ``../shared/course_keras`` beside the repository,
or at ``$TINYGRAD_EDU_COURSE_KERAS``) is run in notebook order, the cells of one folder in one
namespace, after :func:`rewrite_imports`:

* ``keras...``, ``tensorflow.keras...`` and ``tf.keras...`` imports become ``tinygrad_edu.keras``
  (``import tensorflow as tf`` becomes ``import tinygrad_edu.keras, tinygrad_edu as tf``, so
  that ``tf.keras`` is ``tinygrad_edu.keras``); no other line is changed, except the two kinds
  the folder's README names: TensorFlow-only lines that have nothing to do with Keras
  (``tf.logging.set_verbosity``) are dropped, and ``import numpy as np`` /
  ``import matplotlib.pyplot as plt`` are added in front, where the notebook relied on an
  earlier session.
* IPython's ``%%time`` cell magic is honoured as IPython does (the cell runs, timed), and, as
  Jupyter's inline backend does at the end of a cell, the cell's figures are drawn and closed.

Two things differ from the notebooks, both for this machine, not for the framework:

* MNIST cannot be downloaded here, so ``mnist.load_data()`` returns Fashion-MNIST (same shapes,
  dtypes and label range; the MNIST loader itself is tested in test_keras_namespace.py);
* ``epochs=N`` in a ``fit`` call runs ``min(N, 1)`` epochs (about 2 minutes in all);
  ``TINYGRAD_EDU_COURSE_EPOCHS=all`` runs the notes' own counts (measured: 7.5 minutes on the
  shared 2-core machine, every cell passing; notes_004's two models end at a validation
  accuracy of 0.89 and 0.88), a number caps them at that number.

Cells that cannot run in Keras either are skipped, each with its reason.
"""

from __future__ import annotations

import math
import os
import pathlib
import re
import time

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
COURSE = pathlib.Path(os.environ.get("TINYGRAD_EDU_COURSE_KERAS")
                      or ROOT.parent / "shared" / "course_keras")

# The notebooks' cell order where the file names do not give it (notes_004's files are named
# by cell number and by line of the notes); any other file follows in name order.
ORDER = {"notes_004": ["c01.py", "c02.py", "line158_compile_fit.py", "c05.py", "c06.py",
                       "line238_compile_fit.py", "line239_fit.py"]}

# Cells that fail in Keras too: the error they raise here as well, and why. Each is run, and
# must fail so; then it is reported as skipped with the reason.
BROKEN_IN_THE_NOTES = {
    ("notes_000", "In07.py"): (ValueError, "its label '$\\alpha=0.1$' is a plain string, so "
                              "'\\a' is the bell character and matplotlib cannot parse the "
                              "LaTeX (fails with Keras as well; the notebook needs r'...')"),
    ("notes_004", "c05.py"): (ImportError, "imports sklearn.metrics.plot_confusion_matrix, which "
                              "scikit-learn removed in 1.2 (an ImportError with any Keras)"),
    ("notes_000", "In13.py"): (NameError, "calls sns.distplot, but no cell of the notes imports "
                              "seaborn as sns (a NameError with Keras as well; the cell has no "
                              "Keras code)"),
}
# Cells that need a package that is not installed (none of them uses Keras).
NEEDS = {("notes_000", "In28.py"): "ipywidgets"}

_KERAS_MODULE = r"(?:keras|tensorflow\.keras|tf\.keras)"


def rewrite_imports(source: str) -> str:
    """The cell's source with its Keras imports pointing at ``tinygrad_edu.keras``.

    Only import lines change (and ``tf.logging`` lines, TensorFlow's own logging, are dropped);
    every other line is kept byte for byte.

    >>> print(rewrite_imports("from keras.layers.core import Dense\\nx = Dense(3)"))
    from tinygrad_edu.keras.layers.core import Dense
    x = Dense(3)
    >>> rewrite_imports("from tensorflow import keras")
    'from tinygrad_edu import keras'
    >>> rewrite_imports("import tensorflow.keras as keras")
    'import tinygrad_edu.keras as keras'
    """
    lines = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if re.match(r"tf\.logging\.", stripped):
            continue
        if re.match(r"import tensorflow as tf\b", stripped):
            line = indent + "import tinygrad_edu.keras, tinygrad_edu as tf" + stripped[len(
                "import tensorflow as tf"):]
        elif re.match(r"from tensorflow import keras\b", stripped):
            line = indent + "from tinygrad_edu import keras" + stripped[len(
                "from tensorflow import keras"):]
        elif re.match(rf"from {_KERAS_MODULE}(?:\.|\s)", stripped):
            line = indent + re.sub(rf"^from {_KERAS_MODULE}", "from tinygrad_edu.keras",
                                   stripped)
        elif re.match(rf"import {_KERAS_MODULE}\b", stripped):
            rest = re.sub(rf"^import {_KERAS_MODULE}", "", stripped)
            line = indent + "import tinygrad_edu.keras" + rest
            if rest.strip() == "" or rest.lstrip().startswith("#"):
                line = indent + "import tinygrad_edu.keras as keras" + rest
        lines.append(line)
    return "\n".join(lines)


def cap_epochs(source: str) -> str:
    """``epochs=N`` in a call made ``epochs=min(N, cap)`` (see the module docstring)."""
    cap = os.environ.get("TINYGRAD_EDU_COURSE_EPOCHS", "1")
    if cap == "all":
        return source
    return re.sub(r"\bepochs=(\d+)", rf"epochs=min(\1, {int(cap)})", source)


def run_cell(source: str, namespace: dict) -> None:
    """Run one notebook cell as Jupyter does: a leading ``%%time`` times it, and at the end
    the figures it made are drawn and closed (the inline backend's ``plt.show()``)."""
    import matplotlib.pyplot as plt

    first, _, rest = source.partition("\n")
    timed = first.strip() == "%%time"
    code = compile(rest if timed else source, "<cell>", "exec")
    start = time.perf_counter()
    try:
        exec(code, namespace)  # noqa: S102 - the course's own cell
        if timed:
            print(f"Wall time: {time.perf_counter() - start:.2f} s")
        for number in plt.get_fignums():
            plt.figure(number).canvas.draw()
    finally:
        plt.close("all")


def _cells():
    if not COURSE.is_dir():
        return []
    found = []
    for folder in sorted(p for p in COURSE.iterdir() if p.is_dir()):
        names = sorted(p.name for p in folder.glob("*.py"))
        order = [n for n in ORDER.get(folder.name, []) if n in names]
        found += [(folder.name, name) for name in order + [n for n in names if n not in order]]
    return found


CELLS = _cells()


class _Notebook:
    """One folder's namespace; cells run in order, each at most once."""

    def __init__(self, folder):
        import tinygrad_edu.keras as keras

        keras.backend.clear_session()
        import matplotlib.pyplot as plt

        self.namespace = {"__name__": "__main__", "np": np, "plt": plt}
        self.done = {}
        self.folder = folder

    def run(self, name):
        for earlier in [n for f, n in CELLS if f == self.folder]:
            if earlier == name:
                break
            if earlier not in self.done:
                self.run(earlier)
            if self.done[earlier] == "failed":
                pytest.fail(f"an earlier cell, {self.folder}/{earlier}, failed")
        key = (self.folder, name)
        source = cap_epochs(rewrite_imports((COURSE / self.folder / name).read_text("utf-8")))
        if key in BROKEN_IN_THE_NOTES:
            error, reason = BROKEN_IN_THE_NOTES[key]
            with pytest.raises(error):
                run_cell(source, self.namespace)
            self.done[name] = "skipped"
            pytest.skip(reason)
        if key in NEEDS:
            try:
                __import__(NEEDS[key])
            except ImportError:
                self.done[name] = "skipped"
                pytest.skip(f"needs {NEEDS[key]}, not installed (the cell has no Keras code)")
        self.done[name] = "failed"
        run_cell(source, self.namespace)
        self.done[name] = "ran"


@pytest.fixture(scope="module")
def notebooks():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import tinygrad_edu.keras as keras
    from tinygrad_edu.keras.datasets import fashion_mnist, mnist

    try:
        fashion_mnist.load_data()
    except Exception as error:  # noqa: BLE001 - any reason the data set is missing
        pytest.skip(f"Fashion-MNIST is not available: {error}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mnist, "load_data", fashion_mnist.load_data)  # see the module docstring
        books = {}
        yield lambda folder: books.setdefault(folder, _Notebook(folder))
    plt.close("all")
    keras.backend.clear_session()


@pytest.mark.skipif(not CELLS, reason=f"the course's Keras cells are not at {COURSE}")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("folder, name", CELLS, ids=[f"{f}/{n}" for f, n in CELLS])
def test_cell_runs_to_the_end(notebooks, folder, name):
    book = notebooks(folder)
    book.run(name)
    for value in list(book.namespace.values()):
        history = getattr(value, "history", None)
        if isinstance(history, dict):  # every History the cells made holds finite numbers
            assert all(math.isfinite(v) for values in history.values() for v in values)


@pytest.mark.skipif(not CELLS, reason=f"the course's Keras cells are not at {COURSE}")
def test_the_trained_models_learned(notebooks):
    book = notebooks("notes_004")
    for name in ORDER["notes_004"]:
        if name not in book.done:
            try:
                book.run(name)
            except pytest.skip.Exception:
                continue
    accuracy = book.namespace["results"].history["val_accuracy"][-1]
    assert accuracy > 0.75, accuracy  # Fashion-MNIST, one epoch: chance is 0.1
    book = notebooks("notes_000")
    for folder, name in CELLS:
        if folder == "notes_000" and name not in book.done:
            try:
                book.run(name)
            except pytest.skip.Exception:
                continue
    assert book.namespace["hist1"].history["val_acc"][-1] > 0.3  # cross-entropy, SGD(lr=0.2)


def test_the_rewrite_touches_only_import_lines():
    source = ("import tensorflow as tf\ntf.logging.set_verbosity(tf.logging.ERROR)\n"
              "from keras.models import Sequential\nimport keras\n"
              "fashion_mnist=tf.keras.datasets.fashion_mnist\nmodel = Sequential()  # keras\n")
    rewritten = rewrite_imports(source).split("\n")
    assert rewritten == ["import tinygrad_edu.keras, tinygrad_edu as tf",
                         "from tinygrad_edu.keras.models import Sequential",
                         "import tinygrad_edu.keras as keras",
                         "fashion_mnist=tf.keras.datasets.fashion_mnist",
                         "model = Sequential()  # keras", ""]
    namespace = {}
    exec("\n".join(rewritten), namespace)  # noqa: S102 - the rewritten lines import for real
    import tinygrad_edu.keras

    assert namespace["fashion_mnist"] is tinygrad_edu.keras.datasets.fashion_mnist
    assert namespace["keras"] is tinygrad_edu.keras
