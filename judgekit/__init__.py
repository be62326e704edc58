"""judgekit: find out how brittle reward models and LLM judges are, and make them less so.

The public API is re-exported here lazily, so ``import judgekit`` stays cheap (no torch).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Example": "judgekit.data",
    "Message": "judgekit.data",
    "DataSelection": "judgekit.data",
    "select_examples": "judgekit.data",
    "load_examples": "judgekit.data",
    "read_examples": "judgekit.data",
    "write_examples": "judgekit.data",
    "inspect_examples": "judgekit.data",
    "TransformRef": "judgekit.transforms",
    "build_transforms": "judgekit.transforms",
    "run_transforms": "judgekit.transforms",
    "load_backend": "judgekit.backends",
    "ChatRequest": "judgekit.backends",
    "load_judge": "judgekit.judges",
    "load_recipe": "judgekit.synth",
    "run_recipe": "judgekit.synth",
    "load_suite": "judgekit.eval",
    "run_suite": "judgekit.eval",
    "load_config": "judgekit.train.config",
    "prepare_output": "judgekit.outputs",
    "JudgekitError": "judgekit.errors",
    "DataError": "judgekit.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'judgekit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
