"""Transforms: the protocol and registry, the built-in rule-based catalog, and the engine that runs them.

    from judgekit.transforms import build_transforms, run_transforms
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TRANSFORMS": "judgekit.transforms.base",
    "BatchTransform": "judgekit.transforms.base",
    "NotApplicable": "judgekit.transforms.base",
    "Transform": "judgekit.transforms.base",
    "item_rng": "judgekit.transforms.base",
    "transform": "judgekit.transforms.base",
    "TransformOutcome": "judgekit.transforms.engine",
    "TransformRef": "judgekit.transforms.refs",
    "build_transform": "judgekit.transforms.refs",
    "build_transforms": "judgekit.transforms.refs",
    "run_transforms": "judgekit.transforms.engine",
    "select_transforms": "judgekit.transforms.refs",
    "write_run": "judgekit.transforms.manifest",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'judgekit.transforms' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
