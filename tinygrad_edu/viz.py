"""``tinygrad_edu.viz``: the pictures (the top-level ``viz`` folder) under a name no other
package or student file can shadow.

``from tinygrad_edu import viz`` loads the ``viz`` package that ships with tinygrad_edu, by
its location next to this package, even when ``import viz`` would find something else (an
unrelated PyPI package, a ``viz.py`` in the working folder). When plain ``import viz`` already
gives these pictures, both names are the same module. The core never imports this module.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent / "viz"


def _is_ours(module) -> bool:
    location = getattr(module, "__file__", None)
    return location is not None and Path(location).resolve().parent == _PACKAGE


def _load():
    top = sys.modules.get("viz")
    if top is None:
        spec = importlib.util.find_spec("viz")
        if spec is not None and spec.origin and Path(spec.origin).resolve().parent == _PACKAGE:
            top = importlib.import_module("viz")
    if top is not None and _is_ours(top):
        return top
    if not (_PACKAGE / "__init__.py").exists():
        raise ImportError(f"tinygrad_edu.viz: the viz package is missing ({_PACKAGE}); "
                          'reinstall with pip install "tinygrad-edu[viz]"')
    spec = importlib.util.spec_from_file_location(
        __name__, _PACKAGE / "__init__.py", submodule_search_locations=[str(_PACKAGE)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[__name__] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[__name__]
        raise
    return module


sys.modules[__name__] = _load()
