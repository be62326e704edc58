"""Recipes: which data, which backend, which transforms, which filters, where to write. YAML -> pydantic.

A recipe file is read with ``yaml.safe_load`` and validated into `Recipe` (``extra="forbid"``: an unknown
field is an error naming the file and the field). ``--set key=value`` overrides any field by dotted path
(``data.limit=5``, ``backend.concurrency=32``, ``transforms.0.args.max_attempts=2``) before validation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from judgekit.backends.spec import BackendSpec, parse_backend_spec
from judgekit.errors import SpecError
from judgekit.specfile import apply_overrides, read_yaml, validate

FILTERS = ("similarity", "length-ratio", "not-empty", "not-identical", "not-refusal")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSpec(_Strict):
    source: str = Field("sample", description="file, `datasets` folder, hub id, or 'sample'")
    format: str | None = None
    split: str | None = None
    subsets: list[str] | None = Field(None, description="keep only these subsets")
    limit: int | None = Field(None, ge=1, description="first N items (after the subset filter)")


class TransformSpec(_Strict):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class FilterSpec(_Strict):
    """A post-filter on generated items, compared with their originals."""

    name: Literal["similarity", "length-ratio", "not-empty", "not-identical", "not-refusal"]
    args: dict[str, Any] = Field(default_factory=dict)
    transforms: list[str] | None = Field(None, description="transforms it applies to (default: the llm family)")


class OutputSpec(_Strict):
    dir: str | None = Field(None, description="output folder (default: synth-out/<recipe name>)")
    format: Literal["jsonl", "parquet", "datasets"] = "jsonl"


class PricingSpec(_Strict):
    input_per_mtok: float = Field(0.0, ge=0)
    output_per_mtok: float = Field(0.0, ge=0)


class ExportSpec(_Strict):
    """Generative-judge training data made from the run: every comparison of the original items and of
    every kept transformed item, in both A/B orders, with the same target verdict (judgekit.train.judge_data).

    Written to ``<output dir>/judge/<kind>.jsonl`` (TRL conversational format), which
    `judgekit train --kind judge-sft` reads as it is.
    """

    kind: Literal["judge-sft", "judge-dpo"]
    template: str = Field("judge/pairwise", description="judge prompt template (prompts/)")
    pairing: Literal["first", "all", "diagonal", "sample"] = "first"
    limit: int | None = Field(None, ge=1, description="at most this many comparisons of original items")


class Recipe(_Strict):
    """data -> transforms (rule-based and LLM) -> filters -> dataset folder + manifest (+ judge data)."""

    name: str
    description: str = ""
    data: DataSpec = Field(default_factory=DataSpec)
    backend: BackendSpec | None = None
    seed: int = 0
    workers: int = Field(1, ge=1, description="processes for rule-based transforms")
    transforms: list[TransformSpec] = Field(min_length=1)
    filters: list[FilterSpec] = Field(default_factory=list)
    output: OutputSpec = Field(default_factory=OutputSpec)
    export: list[ExportSpec] = Field(default_factory=list, description="judge SFT/DPO data to write as well")

    @field_validator("backend", mode="before")
    @classmethod
    def _backend(cls, value: Any) -> Any:
        if value is None or isinstance(value, BackendSpec | dict):
            return value
        if isinstance(value, str):
            return parse_backend_spec(value)
        return value

    @field_validator("transforms", mode="before")
    @classmethod
    def _transforms(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    def out_dir(self) -> Path:
        return Path(self.output.dir or f"synth-out/{self.name}")


def _expand(part: str, value: Any) -> Any:
    """A transform given by name, or a backend given as a spec string, becomes a mapping for --set."""
    if isinstance(value, str):
        if part == "backend":
            return parse_backend_spec(value).model_dump(exclude_unset=True)
        if part.isdigit():
            return {"name": value}
    return value


def load_recipe(source: str | Path | dict[str, Any], overrides: Sequence[str] = ()) -> Recipe:
    """A recipe from a name (``paraphrase-train``), a path, or a dict, with ``--set`` overrides applied."""
    if isinstance(source, dict):
        raw, where = dict(source), "<recipe>"
    else:
        from judgekit import resources

        path = resources.find("synth", str(source))
        raw, where = read_yaml(path), str(path)
    what = "a recipe is a mapping with name, data, backend, transforms, filters, output"
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: {what}, got {type(raw).__name__}")
    try:
        raw = apply_overrides(raw, overrides, expand=_expand)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    return validate(Recipe, raw, source=where, what=what)
