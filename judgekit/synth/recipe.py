"""Recipes: which data, which backend, which transforms, which filters, where to write. YAML -> pydantic.

A recipe uses the shared spec vocabulary (judgekit.vocabulary): ``data`` (a DataSelection), ``backend``,
``transforms``, ``seed``, ``output``. ``--set key=value`` overrides any field by dotted path
(``data.limit=5``, ``backend.concurrency=32``, ``transforms.0.args.max_attempts=2``) after the command's
shorthand flags; unknown fields are errors naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from judgekit.backends.base import Backend
from judgekit.data.pairs import PairingSpec
from judgekit.synth.filters import FilterRef
from judgekit.transforms.base import Transform
from judgekit.transforms.refs import TransformRef, build_transforms
from judgekit.vocabulary import DatasetOutputSpec, RunSpec, load_spec


class ExportSpec(BaseModel):
    """Generative-judge training data made from the run: every comparison of the original items and of
    every kept transformed item, in both A/B orders, with the same target verdict (judgekit.judges.export).

    Written to ``<output dir>/judge/<kind>.jsonl`` (TRL conversational format), which
    `judgekit train` (``kind: judge-sft``) reads as it is.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["judge-sft", "judge-dpo"]
    template: str = Field("judge/pairwise", description="judge prompt template (prompts/)")
    pairs: PairingSpec = Field(default_factory=PairingSpec, description="how items become comparisons")


class Recipe(RunSpec):
    """data -> transforms (rule-based and LLM) -> filters -> dataset folder + manifest (+ judge data)."""

    name: str
    description: str = ""
    transforms: list[TransformRef] = Field(min_length=1)
    filters: list[FilterRef] = Field(default_factory=list)
    output: DatasetOutputSpec = Field(default_factory=DatasetOutputSpec)
    export: list[ExportSpec] = Field(default_factory=list, description="judge SFT/DPO data to write as well")

    def out_dir(self) -> Path:
        return Path(self.output.dir or f"synth-out/{self.name}")


def load_recipe(source: str | Path | Mapping[str, Any] | Recipe, overrides: Sequence[str] = (), *,
                shorthands: Mapping[str, Any] | None = None) -> Recipe:
    """A recipe from a name (``paraphrase-train``), a path, a mapping or a Recipe, with the command's shorthand
    flags and then ``--set`` overrides applied."""
    name = Path(str(source)).stem if isinstance(source, str | Path) else None
    return load_spec(Recipe, "synth", source, shorthands=shorthands, overrides=overrides,
                     defaults={"name": name} if name else None,
                     what="a recipe is a mapping with name, data, backend, transforms, filters, output")


def recipe_transforms(recipe: Recipe) -> list[Transform]:
    """The recipe's transforms, built (names and arguments checked)."""
    return build_transforms(recipe.transforms)


def open_backend(recipe: Recipe, *, no_cache: bool = False) -> Backend:
    """The recipe's backend (the embedded model when it names none), behind the cache unless ``no_cache``."""
    from judgekit.backends.spec import load_backend, parse_backend_spec

    spec = recipe.backend or parse_backend_spec("embedded")
    if no_cache:
        spec = spec.model_copy(update={"cache": False})
    return load_backend(spec)
