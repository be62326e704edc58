"""Provenance: one hasher for files and folders, one versions record, and the typed manifest and report
models every stage writes (transform, synth and training manifests; the eval report)."""

from judgekit.provenance.hashing import input_record, sha256_bytes, sha256_path, sha256_text
from judgekit.provenance.manifests import (
    ExportEntry,
    FileRecord,
    InputRecord,
    SkippedRow,
    SynthManifest,
    TrainingManifest,
    TransformEntry,
    TransformManifest,
)
from judgekit.provenance.versions import versions

__all__ = [
    "ExportEntry",
    "FileRecord",
    "InputRecord",
    "SkippedRow",
    "SynthManifest",
    "TrainingManifest",
    "TransformEntry",
    "TransformManifest",
    "input_record",
    "sha256_bytes",
    "sha256_path",
    "sha256_text",
    "versions",
]
