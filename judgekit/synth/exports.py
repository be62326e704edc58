"""A recipe's judge SFT/DPO exports, streamed from the run's files instead of held in memory.

The originals and every transform's kept items are read back in step (each transform's file holds a
subsequence of the originals, in the same order), and each item's records are made from it and its own
rewrites: the records `judgekit.synth.manifest.write_exports` makes from the whole dataset, line for line.
A ``pairs.limit`` (a seeded draw over all comparisons) takes one more pass that only counts comparisons.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from judgekit.data.example import Example
from judgekit.data.pairs import PairReport, _rng, attach_variants, build_pairs, index_pairs
from judgekit.provenance import ExportEntry, sha256_path
from judgekit.synth.recipe import ExportSpec, Recipe

EXPORT_DIR = "judge"


def _read(path: Path) -> Iterator[Example]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield Example.from_dict(json.loads(line))


def _items(folder: Path, original: str, files: list[tuple[str, str]],
           names: list[str]) -> Iterator[tuple[Example, dict[str, list[Example]]]]:
    """(original item, {transform: [its kept rewrite]}) in order, merging the files in step."""
    streams = [_read(folder / working) for working, _ in files]
    heads: list[Example | None] = [next(stream, None) for stream in streams]
    for item in _read(folder / original):
        variants: dict[str, list[Example]] = {}
        for k, head in enumerate(heads):
            if head is not None and str(head.meta.get("source_id") or head.id) == item.id:
                variants[names[k]] = [head]
                heads[k] = next(streams[k], None)
        yield item, variants


def _export(folder: Path, recipe: Recipe, spec: ExportSpec, original: str, files: list[tuple[str, str]],
            names: list[str]) -> ExportEntry:
    from judgekit.judges.export import JudgePrompt, comparisons_of, records_of

    prompt = JudgePrompt(spec.template)
    kind = "sft" if spec.kind == "judge-sft" else "dpo"
    pairing = spec.pairs.model_copy(update={"limit": None})
    report = PairReport()
    keep: set[int] | None = None
    if spec.pairs.limit is not None:  # the seeded draw over every comparison of the run
        total = sum(len(index_pairs(item, pairing, recipe.seed)) for item, _ in _items(folder, original, [], []))
        if total > spec.pairs.limit:
            keep = set(_rng(recipe.seed, "limit").sample(range(total), spec.pairs.limit))
            report.left_out["over pairs.limit"] += total - spec.pairs.limit
    target = folder / EXPORT_DIR / f"{spec.kind}.jsonl"
    target.parent.mkdir(exist_ok=True)
    count = comparisons = seen = 0
    attach = any((folder / working).exists() and (folder / working).stat().st_size for working, _ in files)
    with open(target, "w", encoding="utf-8") as handle:
        for item, variants in _items(folder, original, files, names):
            pairs = build_pairs([item], pairing, seed=recipe.seed, report=report)
            if keep is not None:
                pairs, seen = [p for k, p in enumerate(pairs) if seen + k in keep], seen + len(pairs)
            comparisons += len(pairs)
            if attach:  # as a whole-dataset export does once any transform kept an item
                pairs = attach_variants(pairs, variants, seed=recipe.seed, per_pair=max(1, len(variants)),
                                        report=report)
            for record in records_of(comparisons_of(pairs), kind=kind, prompt=prompt):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    return ExportEntry(kind=spec.kind, file=f"{EXPORT_DIR}/{target.name}", records=count, comparisons=comparisons,
                       rewrites=report.variants_attached, template=spec.template, template_sha256=prompt.sha256(),
                       left_out=dict(report.left_out), sha256=sha256_path(target))


def write_exports_streamed(folder: Path, recipe: Recipe, original: tuple[str, str], files: list[tuple[str, str]],
                           names: list[str]) -> list[ExportEntry]:
    """Write ``judge/<kind>.jsonl`` per export of the recipe from the run's JSONL files in ``folder``."""
    return [_export(folder, recipe, spec, original[0], files, names) for spec in recipe.export]
