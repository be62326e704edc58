"""Meaning-preserving rewrites of the training items, from rule-based transforms or from datasets.

Only transforms that declare ``preserves == "meaning"`` are accepted: a ranking-preserving transform
(e.g. one that degrades the rejected response) would teach the model to give different texts the same
score for the wrong reason. Items a transform does not apply to, or fails on, are counted, not hidden.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judgekit.data.example import Example
from judgekit.errors import DataError, SpecError
from judgekit.train.config import VariantConfig

_DATASET_SUFFIXES = (".jsonl", ".json", ".parquet")


def transform_variants(examples: Sequence[Example], config: VariantConfig,
                       counts: Counter | None = None) -> dict[str, list[Example]]:
    """Run the configured transforms on ``examples``; {transform name: rewritten items (same ids)}."""
    if not config.transforms:
        return {}
    from judgekit.transforms.engine import run_transforms
    from judgekit.transforms.refs import build_transforms

    counts = counts if counts is not None else Counter()
    transforms = build_transforms(config.transforms)
    for built in transforms:
        if getattr(built, "preserves", "meaning") != "meaning":
            raise SpecError(f"variants.transforms: '{built.display_name()}' preserves {built.preserves!r}, not "
                            "meaning — consistency training needs meaning-preserving rewrites; pick another transform")
        if getattr(built, "needs_backend", False):
            raise SpecError(f"variants.transforms: '{built.display_name()}' needs an LLM backend; generate its output "
                            "with `judgekit synth` and list the dataset under variants.sources")
    outcomes = run_transforms(list(examples), transforms, seed=config.seed)
    out: dict[str, list[Example]] = {}
    for name, outcome in outcomes.items():
        out[name] = list(outcome.examples)
        for reason in _reasons(outcome.not_applicable):
            counts[f"{name}: not applicable ({reason})"] += 1
        for reason in _reasons(outcome.failed):
            counts[f"{name}: failed ({reason})"] += 1
    return out


def _reasons(entries: Any) -> list[str]:
    """Reasons from an outcome's not_applicable/failed field (a mapping id -> reason, or a list)."""
    if not entries:
        return []
    if isinstance(entries, dict):
        return [_short(v) for v in entries.values()]
    reasons = []
    for entry in entries:
        if isinstance(entry, tuple | list) and len(entry) >= 2:
            reasons.append(_short(entry[1]))
        elif hasattr(entry, "reason"):
            reasons.append(_short(entry.reason))
        else:
            reasons.append(_short(entry))
    return reasons


def _short(reason: Any) -> str:
    text = str(reason)
    return text if len(text) <= 80 else text[:77] + "..."


def dataset_variants(config: VariantConfig, counts: Counter | None = None) -> dict[str, list[Example]]:
    """Read variant datasets; {name: items} (items name their original by meta["source_id"] or id).

    A source is a dataset file, or a `judgekit synth` / `judgekit transform` output folder (``original.jsonl``
    beside one dataset per transform), whose every transformed dataset is read.
    """
    from judgekit.data import load_examples

    out: dict[str, list[Example]] = {}
    for source in config.sources:
        folder = Path(source)
        if folder.is_dir() and any((folder / f"original{s}").exists() for s in _DATASET_SUFFIXES):
            files = sorted(p for p in folder.iterdir()
                           if p.suffix in _DATASET_SUFFIXES and p.stem not in ("original", "manifest")
                           and not p.name.startswith("."))
            if not files:
                raise DataError(f"{folder} holds no transformed dataset beside original", source=str(folder))
            for file in files:
                if file.stat().st_size == 0:  # a transform that applied to no item: nothing to rewrite with
                    if counts is not None:
                        counts[f"{folder.name}/{file.stem}: no items (the transform applied to none)"] += 1
                    continue
                out[f"{folder.name}/{file.stem}"] = load_examples(file)
        else:
            out[source] = load_examples(source)
    return out


def collect_variants(examples: Sequence[Example], config: VariantConfig,
                     counts: Counter | None = None) -> dict[str, list[Example]]:
    """All variant sets of a config: transforms run on ``examples`` plus the listed datasets."""
    return {**transform_variants(examples, config, counts), **dataset_variants(config, counts)}
