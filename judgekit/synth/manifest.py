"""Apply recipe filters to a transform run and write the synth folder and its typed manifest.

Layout (the same as `judgekit transform`, so eval and train read either): ``original.jsonl``, one dataset
per transform, ``manifest.json``, and the dataset card ``README.md`` (judgekit.provenance.card: the folder is
also a Hugging Face dataset repository). The datasets hold no timestamps, so the same inputs, seed and replies
give byte-identical files; the manifest adds usage, cache hits, timings and versions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from judgekit.backends.base import Backend
from judgekit.data.example import Example
from judgekit.data.selection import SelectedExamples
from judgekit.data.writers import write_examples
from judgekit.provenance import (
    ExportEntry,
    FileRecord,
    SkippedRow,
    SynthManifest,
    sha256_path,
    versions,
)
from judgekit.provenance.card import CARD, dataset_card
from judgekit.provenance.hashing import sha256_json
from judgekit.provenance.manifests import ItemReason, SynthTotals
from judgekit.synth.filters import Filter, FilterRef, changed_texts
from judgekit.synth.recipe import Recipe
from judgekit.transforms.base import Transform
from judgekit.transforms.engine import TransformOutcome
from judgekit.transforms.manifest import file_names, transform_entry

MANIFEST = "manifest.json"
_SUFFIX = {"jsonl": ".jsonl", "parquet": ".parquet", "datasets": ""}


def recorded_recipe(recipe: Recipe) -> dict[str, Any]:
    """The recipe as a run's manifest and dataset card record it (and hash it): without where that run wrote its
    output and its response cache, so runs of one recipe into different folders record the same recipe."""
    data = recipe.model_dump(mode="json")
    if isinstance(data.get("output"), dict):
        data["output"].pop("dir", None)
    if isinstance(data.get("backend"), dict):
        data["backend"].pop("cache_path", None)
    return data


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
    originals: Sequence[Example], outcomes: Mapping[str, TransformOutcome],
    filters: Sequence[tuple[FilterRef, Filter]],
) -> dict[str, list[tuple[str, str]]]:
    """Drop generated items that fail a filter (in place); returns the dropped (id, reason) per transform."""
    by_id = {e.id: e for e in originals}
    dropped: dict[str, list[tuple[str, str]]] = {name: [] for name in outcomes}
    for name, outcome in outcomes.items():
        transform = outcome.transform
        for ref, flt in filters:
            if not ref.covers(transform.name, name, transform.family) or not outcome.examples:
                continue
            changed = [changed_texts(by_id[e.meta.get("source_id", e.id)], e) for e in outcome.examples]
            kept = []
            for example, (reason, scores) in zip(outcome.examples, flt.check(changed), strict=True):
                if reason is not None:
                    dropped[name].append((example.id, f"filter {ref.name}: {reason}"))
                    continue
                if scores:
                    previous = dict(example.meta.get("filters") or {})
                    example = example.with_meta(filters={**previous, **scores})
                kept.append(example)
            outcome.examples = kept
    return dropped


def write_synth(
    folder: Path,
    recipe: Recipe,
    originals: Sequence[Example],
    outcomes: Mapping[str, TransformOutcome],
    filtered: Mapping[str, list[tuple[str, str]]],
    *,
    selected: SelectedExamples,
    backend: Backend | None,
    transforms: Sequence[Transform],
    elapsed: float,
) -> SynthManifest:
    """Write the datasets and ``manifest.json`` into ``folder`` (a fresh folder from `OutputTarget.writing`)."""
    suffix = _SUFFIX[recipe.output.format]
    names = file_names(list(outcomes), suffix)
    original_name = "original" + suffix
    write_examples(originals, folder / original_name, to=recipe.output.format)
    entries = []
    totals: Counter[str] = Counter()
    for name, outcome in outcomes.items():
        target = folder / names[name]
        write_examples(outcome.examples, target, to=recipe.output.format)
        entry = transform_entry(outcome, names[name], sha256_path(target))
        dropped = list(outcome.not_applicable) + list(outcome.failed) + filtered[name]
        reasons = Counter(reason_kind(r) for _, r in dropped)
        entry.kept = len(outcome.examples)
        entry.dropped = len(dropped)
        entry.dropped_reasons = dict(reasons.most_common())
        entry.filtered_items = [ItemReason(id=i, reason=r) for i, r in filtered[name]]
        totals["kept"] += len(outcome.examples)
        totals["dropped"] += len(dropped)
        entries.append(entry)
    templates: dict[str, str] = {}
    for transform in transforms:
        stages = getattr(transform, "stages", None)
        if stages is not None:
            templates.update({t.name: t.sha256 for t, _ in stages("x")})
    recipe_json = recorded_recipe(recipe)
    manifest = SynthManifest(
        recipe=recipe_json, recipe_sha256=sha256_json(recipe_json), inputs=selected.inputs(),
        skipped_rows=[SkippedRow(where=w, reason=r) for w, r in selected.skipped], seed=recipe.seed,
        original=FileRecord(file=original_name, items=len(originals), sha256=sha256_path(folder / original_name)),
        backend=backend.identity() if backend is not None else None, templates=templates, transforms=entries,
        totals=SynthTotals(items=len(originals), kept=totals["kept"], dropped=totals["dropped"]),
        usage=backend.usage.to_dict() if backend is not None else None, elapsed_s=round(elapsed, 2),
        exports=write_exports(folder, recipe, originals, outcomes) if recipe.export else [],
        versions=versions())
    (folder / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    (folder / CARD).write_text(dataset_card(manifest, data_format=recipe.output.format), encoding="utf-8")
    return manifest


EXPORT_DIR = "judge"


def write_exports(folder: Path, recipe: Recipe, originals: Sequence[Example],
                  outcomes: Mapping[str, TransformOutcome]) -> list[ExportEntry]:
    """Write the recipe's judge SFT/DPO exports under ``folder/judge/``; one manifest entry per file.

    Each comparison of an original item comes with the same comparison in every transform's kept item
    (filtered generations are not used), in both A/B orders, all with the chosen response's verdict.
    """
    from judgekit.data.pairs import PairReport
    from judgekit.judges.export import JudgePrompt, judge_records, write_records

    variant_sets = {name: outcome.examples for name, outcome in outcomes.items() if outcome.examples}
    (folder / EXPORT_DIR).mkdir(exist_ok=True)
    entries = []
    for spec in recipe.export:
        report = PairReport()
        prompt = JudgePrompt(spec.template)
        records = judge_records(originals, kind="sft" if spec.kind == "judge-sft" else "dpo",
                                variant_sets=variant_sets, data=spec.pairs, prompt=prompt, seed=recipe.seed,
                                report=report)
        target = folder / EXPORT_DIR / f"{spec.kind}.jsonl"
        count = write_records(records, target)
        entries.append(ExportEntry(kind=spec.kind, file=f"{EXPORT_DIR}/{target.name}", records=count,
                                   comparisons=report.pairs, rewrites=report.variants_attached,
                                   template=spec.template, template_sha256=prompt.sha256(),
                                   left_out=dict(report.left_out), sha256=sha256_path(target)))
    return entries
