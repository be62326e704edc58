"""Apply recipe filters to a transform run and write the synth folder and its manifest.

Layout (the same as `judgekit transform`, so eval and train read either): ``original.jsonl``, one dataset
per transform, ``manifest.json``. The datasets hold no timestamps, so the same inputs, seed and replies
give byte-identical files; the manifest adds usage, cache hits, timings and versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from judgekit.backends.base import Backend
from judgekit.data.example import Example
from judgekit.data.writers import atomic_path, write_examples
from judgekit.synth.filters import Filter
from judgekit.synth.recipe import Recipe
from judgekit.transforms.base import Transform
from judgekit.transforms.engine import TransformOutcome
from judgekit.transforms.manifest import file_name, outcome_summary, sha256_of

MANIFEST = "manifest.json"
_SUFFIX = {"jsonl": ".jsonl", "parquet": ".parquet", "datasets": ""}


def reason_kind(reason: str) -> str:
    """Group per-item reasons: numbers and text positions folded (``chosen[0]: similarity 0.52 < 0.7`` ->
    ``similarity < 0.7``), one kind per distinct failure, the first text's reason for multi-text items."""
    first = reason.split(";")[0]
    first = re.sub(r"^after \d+ attempt\(s\):\s*", "", first)
    first = re.sub(r"^(prompt|chosen|rejected)(\[\d+\])?:?\s*", "", first)
    first = re.sub(r"\b\d+\.\d+ <", "<", first)
    first = re.sub(r"ratio \d+\.\d+", "ratio", first)
    return first.strip()[:120] or "unknown"


def apply_filters(
    originals: Sequence[Example], outcomes: Mapping[str, TransformOutcome], filters: Sequence[Filter]
) -> dict[str, list[tuple[str, str]]]:
    """Drop generated items that fail a filter (in place); returns the dropped (id, reason) per transform."""
    by_id = {e.id: e for e in originals}
    dropped: dict[str, list[tuple[str, str]]] = {name: [] for name in outcomes}
    for name, outcome in outcomes.items():
        transform = outcome.transform
        for flt in filters:
            if not flt.covers(transform.name, transform.family) and not flt.covers(name, transform.family):
                continue
            if not outcome.examples:
                continue
            pairs = [(by_id[e.meta.get("source_id", e.id)], e) for e in outcome.examples]
            kept = []
            for example, (reason, scores) in zip(outcome.examples, flt.check(pairs), strict=True):
                if reason is not None:
                    dropped[name].append((example.id, f"filter {flt.spec.name}: {reason}"))
                    continue
                if scores:
                    previous = dict(example.meta.get("filters") or {})
                    example = example.with_meta(filters={**previous, **scores})
                kept.append(example)
            outcome.examples = kept
    return dropped


def _versions() -> dict[str, str]:
    from judgekit import __version__

    versions = {"judgekit": __version__, "python": platform.python_version()}
    for module in ("torch", "transformers", "openai", "vllm", "llama_cpp"):
        if module in sys.modules:
            versions[module] = str(getattr(sys.modules[module], "__version__", "unknown"))
    return versions


def write_synth(
    out_dir: str | os.PathLike[str],
    recipe: Recipe,
    originals: Sequence[Example],
    outcomes: Mapping[str, TransformOutcome],
    filtered: Mapping[str, list[tuple[str, str]]],
    *,
    stream: Any,
    backend: Backend | None,
    transforms: Sequence[Transform],
    elapsed: float,
) -> dict[str, Any]:
    suffix = _SUFFIX[recipe.output.format]
    names = {name: file_name(name)[: -len(".jsonl")] + suffix for name in outcomes}
    original_name = "original" + suffix
    recipe_json = recipe.model_dump(mode="json")
    with atomic_path(out_dir, directory=True) as tmp:
        write_examples(originals, tmp / original_name, to=recipe.output.format)
        entries = []
        totals: Counter[str] = Counter()
        for name, outcome in outcomes.items():
            target = tmp / names[name]
            write_examples(outcome.examples, target, to=recipe.output.format)
            entry = outcome_summary(outcome)
            dropped = [(i, r) for i, r in outcome.not_applicable] + [(i, r) for i, r in outcome.failed] + filtered[name]
            reasons = Counter(reason_kind(r) for _, r in dropped)
            entry.update({
                "file": names[name],
                "sha256": sha256_of(target),
                "kept": len(outcome.examples),
                "dropped": len(dropped),
                "dropped_reasons": dict(reasons.most_common()),
                "filtered_items": [{"id": i, "reason": r} for i, r in filtered[name]],
            })
            totals["kept"] += len(outcome.examples)
            totals["dropped"] += len(dropped)
            entries.append(entry)
        templates = {}
        for transform in transforms:
            stages = getattr(transform, "stages", None)
            if stages is not None:
                templates.update({t.name: t.sha256 for t, _ in stages("x")})
        source_path = stream.source if os.path.exists(stream.source) else None
        manifest = {
            "kind": "judgekit.synth",
            "recipe": recipe_json,
            "recipe_sha256": hashlib.sha256(json.dumps(recipe_json, sort_keys=True).encode()).hexdigest(),
            "source": {"source": recipe.data.source, "path": source_path,
                       "sha256": sha256_of(source_path) if source_path else None,
                       "format": stream.format, "items": len(originals)},
            "seed": recipe.seed,
            "original": {"file": original_name, "items": len(originals), "sha256": sha256_of(tmp / original_name)},
            "backend": backend.identity() if backend is not None else None,
            "templates": templates,
            "transforms": entries,
            "totals": {"items": len(originals), "kept": totals["kept"], "dropped": totals["dropped"]},
            "usage": backend.usage.to_dict() if backend is not None else None,
            "elapsed_s": round(elapsed, 2),
            "versions": _versions(),
        }
        if recipe.export:
            manifest["exports"] = write_exports(tmp, recipe, originals, outcomes)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


EXPORT_DIR = "judge"


def write_exports(folder: Path, recipe: Recipe, originals: Sequence[Example],
                  outcomes: Mapping[str, TransformOutcome]) -> list[dict[str, Any]]:
    """Write the recipe's judge SFT/DPO exports under ``folder/judge/``; one manifest entry per file.

    Each comparison of an original item comes with the same comparison in every transform's kept item
    (filtered generations are not used), in both A/B orders, all with the chosen response's verdict.
    """
    from judgekit.train.config import DataConfig
    from judgekit.train.judge_data import JudgePrompt, judge_records, write_records
    from judgekit.train.pairs import PairReport

    variant_sets = {name: outcome.examples for name, outcome in outcomes.items() if outcome.examples}
    (folder / EXPORT_DIR).mkdir(exist_ok=True)
    entries = []
    for spec in recipe.export:
        report = PairReport()
        data = DataConfig(sources=[recipe.data.source], pairing=spec.pairing, limit=spec.limit)
        records = judge_records(originals, kind="sft" if spec.kind == "judge-sft" else "dpo",
                                variant_sets=variant_sets, data=data, prompt=JudgePrompt(spec.template),
                                seed=recipe.seed, report=report)
        target = folder / EXPORT_DIR / f"{spec.kind}.jsonl"
        count = write_records(records, target)
        entries.append({"kind": spec.kind, "file": f"{EXPORT_DIR}/{target.name}", "records": count,
                        "comparisons": report.pairs, "rewrites": report.variants_attached,
                        "template": spec.template, "template_sha256": JudgePrompt(spec.template).sha256(),
                        "left_out": dict(report.left_out), "sha256": sha256_of(target)})
    return entries
