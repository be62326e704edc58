"""The installed upstream ``rewardbench`` package (PyPI), imported for parity tests.

``rewardbench/__init__.py`` and ``rewardbench/models`` import its model zoo, which needs transformers-4
internals (e.g. ``_CONFIG_FOR_DOC`` of modeling_llama) that transformers 5 removed. The scoring code lives
in ``rewardbench/utils.py`` and ``rewardbench/constants.py``, which only need numpy, pandas, datasets,
huggingface_hub, transformers and fastchat's conversation module. So this helper registers the package
without running its ``__init__`` and gives ``rewardbench.models`` an empty ``REWARD_MODEL_CONFIG`` (only
``load_model_config`` reads it, and no scoring function calls that). Everything else is upstream's code
as installed. A missing package is an ImportError, never a skip.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
import types
from pathlib import Path

VERSION = "0.1.4"


def _register_bare_package() -> None:
    if "rewardbench.utils" in sys.modules:
        return
    spec = importlib.util.find_spec("rewardbench")
    if spec is None or spec.origin is None:
        raise ImportError(f"the upstream package is not installed: pip install --no-deps rewardbench=={VERSION} "
                          "fschat==0.2.36")
    package = types.ModuleType("rewardbench")
    package.__path__ = [str(Path(spec.origin).parent)]
    package.__file__ = spec.origin
    sys.modules["rewardbench"] = package
    models = types.ModuleType("rewardbench.models")
    models.REWARD_MODEL_CONFIG = {}  # type: ignore[attr-defined]
    sys.modules["rewardbench.models"] = models


_register_bare_package()
installed = importlib.metadata.version("rewardbench")
if installed != VERSION:
    raise ImportError(f"parity tests are written against rewardbench=={VERSION}, found {installed}")

utils = importlib.import_module("rewardbench.utils")
constants = importlib.import_module("rewardbench.constants")
benchmark_results = importlib.import_module("analysis.get_benchmark_results")  # ships in the same wheel
