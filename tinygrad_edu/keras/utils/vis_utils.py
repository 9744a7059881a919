"""Keras 2's ``keras.utils.vis_utils`` path (``vis_utils.plot_model``), imported on first use."""

from tinygrad_edu.keras._namespace import missing_names as _missing_names

__all__ = ["plot_model", "model_to_dot"]  # noqa: F822 - imported on first use
__getattr__ = _missing_names(__name__, "utils", lazy={"plot_model": "tinygrad_edu.viz",
                                                      "model_to_dot": "tinygrad_edu.viz"})
