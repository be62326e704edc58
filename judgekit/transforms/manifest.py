"""Write a transform run to a folder: the originals, one dataset per transform, a typed manifest, and a
dataset card (README.md) that makes the folder a Hugging Face dataset repository (judgekit.provenance.card).

The folder is built by `judgekit.outputs` (a temporary sibling, moved into place when complete). The
manifest holds no timestamps or worker counts, so the same inputs and seed give byte-identical files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from judgekit.data.example import Example
from judgekit.data.writers import write_examples
from judgekit.errors import SpecError
from judgekit.provenance import (
    FileRecord,
    InputRecord,
    SkippedRow,
    TransformEntry,
    TransformManifest,
    sha256_path,
    versions,
)
from judgekit.provenance.card import CARD, dataset_card
from judgekit.provenance.manifests import ItemReason
from judgekit.transforms.base import Transform
from judgekit.transforms.engine import TransformOutcome

MANIFEST = "manifest.json"
ORIGINAL = "original.jsonl"


def file_name(display_name: str, suffix: str = ".jsonl") -> str:
    """A safe file name for a transform's dataset: ``char-swap(rate=0.2)`` -> ``char-swap_rate=0.2.jsonl``."""
    stem = re.sub(r"[^\w.+=-]+", "_", display_name).strip("_.") or "transform"
    return f"{stem}{suffix}"


def file_names(names: Sequence[str], suffix: str = ".jsonl") -> dict[str, str]:
    """File name per transform display name; two transforms that would share a file are an error."""
    files = {name: file_name(name, suffix) for name in names}
    clashes = [f for f, n in Counter(files.values()).items() if n > 1 or f == "original" + suffix]
    if clashes:
        raise SpecError(f"transforms would write the same file(s) {clashes}: rename or drop one")
    return files


def transform_entry(outcome: TransformOutcome, file: str, sha256: str | None) -> TransformEntry:
    """Counts and reasons of one transform's run (what the manifest and the CLI table show)."""
    reasons = Counter(reason for _, reason in outcome.not_applicable)
    return entry_for(outcome.transform, file, sha256, transformed=len(outcome.examples),
                     not_applicable=len(outcome.not_applicable), failed=len(outcome.failed), reasons=reasons,
                     not_applicable_items=[ItemReason(id=i, reason=r) for i, r in outcome.not_applicable],
                     failed_items=[ItemReason(id=i, reason=e) for i, e in outcome.failed])


def entry_for(transform: Transform, file: str, sha256: str | None, *, transformed: int, not_applicable: int,
              failed: int, reasons: Counter[str], not_applicable_items: list[ItemReason],
              failed_items: list[ItemReason]) -> TransformEntry:
    """A manifest entry from counts (the streaming engine counts as it commits chunks)."""
    return TransformEntry(
        name=transform.display_name(), transform=transform.name, family=transform.family_label(),
        args=transform.args(), targets=list(transform.targets), preserves=transform.preserves, file=file,
        sha256=sha256, transformed=transformed, not_applicable=not_applicable, failed=failed,
        not_applicable_reasons=dict(reasons.most_common()), not_applicable_items=not_applicable_items,
        failed_items=failed_items)


def write_run(folder: str | Path, originals: Sequence[Example], outcomes: Mapping[str, TransformOutcome], *,
              inputs: Sequence[InputRecord], seed: int,
              skipped: Sequence[tuple[str, str]] = ()) -> TransformManifest:
    """Write ``original.jsonl``, ``<transform>.jsonl`` per transform and ``manifest.json`` into ``folder``
    (a fresh folder from `judgekit.outputs.OutputTarget.writing`); return the manifest."""
    folder = Path(folder)
    names = file_names(list(outcomes))
    write_examples(originals, folder / ORIGINAL, to="jsonl")
    entries = []
    for name, outcome in outcomes.items():
        target = folder / names[name]
        write_examples(outcome.examples, target, to="jsonl")
        entries.append(transform_entry(outcome, names[name], sha256_path(target)))
    manifest = TransformManifest(
        inputs=list(inputs), skipped_rows=[SkippedRow(where=w, reason=r) for w, r in skipped], seed=seed,
        original=FileRecord(file=ORIGINAL, items=len(originals), sha256=sha256_path(folder / ORIGINAL)),
        transforms=entries, versions=versions())
    (folder / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    (folder / CARD).write_text(dataset_card(manifest), encoding="utf-8")
    return manifest
