"""``training_manifest.json`` beside a trained model: the typed `TrainingManifest` plus the saved files' hashes."""

from __future__ import annotations

import os
from pathlib import Path

from judgekit.provenance import TrainingManifest, sha256_path

MANIFEST_NAME = "training_manifest.json"


def write_manifest(folder: str | os.PathLike[str], manifest: TrainingManifest) -> TrainingManifest:
    """Write the manifest into ``folder`` (the model folder being built), with the hash of every saved file."""
    folder = Path(folder)
    outputs = {p.name: sha256_path(p) for p in sorted(folder.iterdir())
               if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith(".")}
    manifest = manifest.model_copy(update={"outputs": outputs})
    (folder / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def read_manifest(folder: str | os.PathLike[str]) -> TrainingManifest:
    return TrainingManifest.model_validate_json((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))
