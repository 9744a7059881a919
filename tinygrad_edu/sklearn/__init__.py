"""scikit-learn estimators around a tinygrad_edu model, for pipelines and hyperparameter search.

Two families over one implementation (scikit-learn >= 1.6 is needed, an optional extra):

* Keras 3's wrappers, with Keras 3's signature: ``SKLearnClassifier(model, warm_start=False,
  model_kwargs=None, fit_kwargs=None)`` and ``SKLearnRegressor``. ``model`` is a compiled
  model (copied before each fit unless ``warm_start``) or a function ``model(X=X, y=y,
  **model_kwargs)`` that returns a compiled model; for the classifier, ``y`` is one-hot there,
  as in Keras.
* SciKeras-style ``KerasClassifier(model, ...)`` and ``KerasRegressor``: ``model`` is a function
  that builds (and may compile) a model, and every fitting choice is a parameter that
  scikit-learn can search. Parameters are routed by prefix: ``model__units`` goes to the build
  function, ``optimizer__learning_rate`` to the optimizer, ``loss__...`` to the loss,
  ``fit__...`` to ``fit``. The build function also receives ``meta`` (the fitted facts:
  ``n_features_in_``, ``classes_``, ``n_classes_``, ``target_type_``) when it asks for it.

The classifier encodes labels of any type (strings, integers) and fits the encoding the
compiled model expects: one column of 0/1 for a one-unit sigmoid output with binary
cross-entropy, class indices for a sparse loss, one-hot columns otherwise.

Sending an estimator to another process (joblib's ``n_jobs``, a Dask cluster) sends the build
function and parameters; a fitted model travels as its architecture (``get_config()``), its
weights and its optimizer's state, never as a pickled graph. With ``random_state`` set, each
fit runs on its own random stream from that seed, so a search gives the same scores in one
process, in joblib workers and on a cluster. Inside a worker process each fit uses one BLAS
thread (threadpoolctl), so trials running side by side do not fight over the cores.

>>> from sklearn.datasets import make_classification
>>> from tinygrad_edu import nn
>>> def build(units=8):
...     return nn.Sequential([nn.Dense(units, activation="relu"),
...                           nn.Dense(2, activation="softmax")])
>>> x, y = make_classification(n_samples=60, n_features=4, random_state=0)
>>> clf = KerasClassifier(build, loss="categorical_crossentropy", optimizer="adam",
...                       epochs=3, verbose=0, random_state=0, model__units=4).fit(x, y)
>>> clf.predict(x[:3]).shape, clf.classes_.tolist()
((3,), [0, 1])
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401 - scikit-learn is an optional extra
    from sklearn.utils.validation import validate_data  # noqa: F401 - new in 1.6
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "tinygrad_edu.sklearn needs scikit-learn >= 1.6: pip install 'tinygrad-edu[sklearn]'"
    ) from error

from tinygrad_edu.sklearn.estimators import (
    KerasClassifier,
    KerasRegressor,
    SKLearnClassifier,
    SKLearnRegressor,
)
from tinygrad_edu.sklearn.transport import portable_model, rebuild_model

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "KerasClassifier", "KerasRegressor",
           "portable_model", "rebuild_model"]
