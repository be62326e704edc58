"""Typed manifests: what a transform, synth or training run read, did and wrote.

Each manifest is a pydantic model with ``extra="forbid"``: writers build it, readers validate it, and
``judgekit`` never reads a manifest through loose string keys. Manifests hold no timestamps (synth's
``elapsed_s`` aside), so the same inputs and seed give byte-identical files.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MANIFEST_SCHEMA_VERSION = 2


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=False) + "\n"


class InputRecord(_Model):
    """One data source as it was read: where from, its sha256 (local files and folders), format, counts."""

    source: str = Field(description="as given: a path, a hub id, or 'sample'")
    path: str | None = Field(None, description="the local file or folder actually read (a mirror copy too)")
    sha256: str | None = None
    format: str | None = None
    split: str | None = None
    items: int | None = Field(None, description="items read from this source (after invalid rows were skipped)")
    skipped: int = Field(0, description="invalid rows skipped (data.on_invalid: skip)")


class SkippedRow(_Model):
    where: str = Field(description="file:line or file (row N)")
    reason: str


class FileRecord(_Model):
    file: str
    items: int
    sha256: str | None = None


class ItemReason(_Model):
    id: str
    reason: str


class TransformEntry(_Model):
    """One transform's run over the data (and, in synth, what the filters kept)."""

    name: str = Field(description="display name, with arguments that differ from the defaults")
    transform: str = Field(description="registry name")
    family: str
    args: dict[str, Any]
    targets: list[str]
    preserves: str
    file: str
    sha256: str | None = None
    transformed: int
    not_applicable: int
    failed: int
    not_applicable_reasons: dict[str, int] = Field(default_factory=dict)
    not_applicable_items: list[ItemReason] = Field(default_factory=list)
    failed_items: list[ItemReason] = Field(default_factory=list)
    # synth only: after the recipe's filters
    kept: int | None = None
    dropped: int | None = None
    dropped_reasons: dict[str, int] | None = None
    filtered_items: list[ItemReason] | None = None


class TransformManifest(_Model):
    kind: Literal["judgekit.transform"] = "judgekit.transform"
    schema_version: int = MANIFEST_SCHEMA_VERSION
    inputs: list[InputRecord]
    skipped_rows: list[SkippedRow] = Field(default_factory=list)
    seed: int
    original: FileRecord
    transforms: list[TransformEntry]
    versions: dict[str, str]


class ExportEntry(_Model):
    """A judge-training export written beside a synth run (judge SFT or DPO records)."""

    kind: str
    file: str
    records: int
    comparisons: int
    rewrites: int
    template: str
    template_sha256: str
    left_out: dict[str, int]
    sha256: str | None = None


class SynthTotals(_Model):
    items: int
    kept: int
    dropped: int


class SynthManifest(_Model):
    kind: Literal["judgekit.synth"] = "judgekit.synth"
    schema_version: int = MANIFEST_SCHEMA_VERSION
    recipe: dict[str, Any]
    recipe_sha256: str
    inputs: list[InputRecord]
    skipped_rows: list[SkippedRow] = Field(default_factory=list)
    seed: int
    original: FileRecord
    backend: dict[str, Any] | None = Field(None, description="the backend's identity (no secrets)")
    templates: dict[str, str] = Field(default_factory=dict, description="template name -> sha256")
    transforms: list[TransformEntry]
    totals: SynthTotals
    usage: dict[str, Any] | None = None
    elapsed_s: float
    exports: list[ExportEntry] = Field(default_factory=list)
    versions: dict[str, str]


class TrainingManifest(_Model):
    """``training_manifest.json`` beside a trained model."""

    kind: Literal["reward-model", "judge-sft"]
    schema_version: int = MANIFEST_SCHEMA_VERSION
    config: dict[str, Any]
    base_model: dict[str, Any]
    inputs: list[InputRecord]
    data: dict[str, Any] = Field(description="pairs built, pairs with a rewrite, what was left out and why")
    variants: dict[str, Any] | None = None
    objective: str | None = None
    loss: str | None = None
    alpha: float | None = None
    input_format: dict[str, Any] | None = None
    max_length: int | None = None
    template: dict[str, str] | None = None
    training: dict[str, Any]
    outputs: dict[str, str | None] = Field(default_factory=dict, description="file -> sha256 of the saved model")
    versions: dict[str, str]
