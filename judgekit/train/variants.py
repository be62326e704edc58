"""Meaning-preserving rewrites of the training items, from rule-based transforms or from datasets.

Only transforms that declare ``preserves == "meaning"`` are accepted: a ranking-preserving transform
(e.g. one that degrades the rejected response) would teach the model to give different texts the same
score for the wrong reason. Items a transform does not apply to, or fails on, are counted, not hidden.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from judgekit.data.example import Example
from judgekit.errors import DataError, SpecError
from judgekit.train.config import VariantConfig

_DATASET_SUFFIXES = (".jsonl", ".json", ".parquet")


def check_transforms(refs: Sequence[Any]) -> list[Any]:
    """Build ``variants.transforms``, refusing any that does not preserve meaning or needs an LLM backend."""
    from judgekit.transforms.refs import build_transforms

    transforms = build_transforms(list(refs)) if refs else []
    for built in transforms:
        if getattr(built, "preserves", "meaning") != "meaning":
            raise SpecError(f"variants.transforms: '{built.display_name()}' preserves {built.preserves!r}, not "
                            "meaning — consistency training needs meaning-preserving rewrites; pick another transform")
        if getattr(built, "needs_backend", False):
            raise SpecError(f"variants.transforms: '{built.display_name()}' needs an LLM backend; generate its output "
                            "with `judgekit synth` and list the dataset under variants.sources")
    return transforms


def transform_variants(examples: Sequence[Example], transforms: Sequence[Any], seed: int,
                       counts: Counter | None = None, *, pool: Any = None) -> dict[str, list[Example]]:
    """Run checked transforms (`check_transforms`) on ``examples``; {transform name: rewritten items (same ids)}.

    ``pool``: what transforms that borrow from other items see (default: ``examples``).
    """
    if not transforms:
        return {}
    from judgekit.transforms.engine import run_transforms

    counts = counts if counts is not None else Counter()
    outcomes = run_transforms(list(examples), transforms, seed=seed, pool=pool)
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


def variant_files(sources: Sequence[str], counts: Counter | None = None) -> Iterator[tuple[str, str]]:
    """(origin name, dataset file) of each ``variants.sources`` entry, in order.

    A source is a dataset file, or a `judgekit synth` / `judgekit transform` output folder (``original.jsonl``
    beside one dataset per transform), whose every transformed dataset is listed (empty ones counted instead).
    """
    for source in sources:
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
                yield f"{folder.name}/{file.stem}", str(file)
        else:
            yield source, source


def dataset_variants(config: VariantConfig, counts: Counter | None = None) -> dict[str, list[Example]]:
    """Read variant datasets into memory; {name: items} (items name their original by meta["source_id"] or id)."""
    from judgekit.data import load_examples

    return {name: load_examples(file) for name, file in variant_files(config.sources, counts)}


def collect_variants(examples: Sequence[Example], config: VariantConfig,
                     counts: Counter | None = None) -> dict[str, list[Example]]:
    """All variant sets of a config: transforms run on ``examples`` plus the listed datasets."""
    transforms = check_transforms(config.transforms)
    return {**transform_variants(examples, transforms, config.seed, counts), **dataset_variants(config, counts)}
