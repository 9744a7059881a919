"""``keras.wrappers``: the scikit-learn estimators of :mod:`tinygrad_edu.sklearn`.

``SKLearnClassifier`` and ``SKLearnRegressor`` (Keras 3's names and signature) are imported on
first use, so that the namespace does not need scikit-learn (an optional extra).
"""

from tinygrad_edu.keras._namespace import missing_names as _missing_names

__all__ = ["SKLearnClassifier", "SKLearnRegressor"]  # noqa: F822 - imported on first use
__getattr__ = _missing_names(__name__, "wrappers", lazy={
    "SKLearnClassifier": "tinygrad_edu.sklearn", "SKLearnRegressor": "tinygrad_edu.sklearn"})
