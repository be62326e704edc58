"""Evaluation suites: data + transforms + judges + metric options, from YAML (``eval/*.yaml``) or Python.

A suite uses the shared spec vocabulary (judgekit.vocabulary): ``data`` (a DataSelection), ``transforms``,
``judges`` (names, files, model folders or inline specs; paths are looked up beside the suite file first),
``backend`` (for LLM transforms), ``seed``, ``output``. `load_suite` applies the command's shorthand flags
(``-j``, ``-t``, ``--data``, ``--limit`` ...) and then ``--set`` overrides before validating.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from judgekit.transforms.refs import TransformRef
from judgekit.vocabulary import OutputSpec, RunSpec, load_spec


class MetricOptions(BaseModel):
    """How items count (ties, failures), the bootstrap, and which section scores to report."""

    model_config = ConfigDict(extra="forbid")

    ties: Literal["wrong", "half", "exclude"] = "wrong"
    failures: Literal["wrong", "exclude"] = "wrong"
    bootstrap: int = Field(1000, ge=100, le=100_000)
    level: float = Field(0.95, gt=0.5, lt=1.0)
    sections: Literal["auto", "rewardbench", "rewardbench2", "rm-bench", "judgebench", "none"] = "auto"


class Suite(RunSpec):
    """What to evaluate and how. ``judges`` are the defaults when none are given on the command line."""

    name: str | None = None
    description: str = ""
    transforms: list[TransformRef] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list, description="transform names (or globs) to leave out")
    judges: list[str | dict[str, Any]] = Field(default_factory=list,
                                               description="judge names, YAML files, model folders or specs")
    metrics: list[str] = Field(default_factory=list, description="metric names to report; empty = all")
    options: MetricOptions = Field(default_factory=MetricOptions)
    output: OutputSpec = Field(default_factory=OutputSpec)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str]) -> list[str]:
        from judgekit.eval.metrics import METRICS

        for name in value:
            if name not in METRICS:
                raise ValueError(METRICS.unknown_message(name))
        return value

    def build_transforms(self) -> list[Any]:
        """Transform instances, in the order given, each once (by display name), minus ``exclude``."""
        from judgekit.transforms.refs import build_transforms

        return build_transforms(self.transforms, exclude=self.exclude)


def load_suite(source: Suite | Mapping[str, Any] | str | Path, *, shorthands: Mapping[str, Any] | None = None,
               overrides: Sequence[str] = ()) -> Suite:
    """A suite from a Suite, a mapping, a shipped name ("rewordbench") or a YAML path, with the command's
    shorthand flags and then ``--set`` overrides applied (``base_dir``: the folder of its file)."""
    name = Path(str(source)).stem if isinstance(source, str | Path) else None
    return load_spec(Suite, "eval", source, shorthands=shorthands, overrides=overrides,
                     defaults={"name": name} if name else None,
                     what="a suite is a mapping (data, transforms, judges, ...)")


def validate_suite(data: Any, *, source: str = "<suite>") -> Suite:
    from judgekit.specfile import validate

    return validate(Suite, data, source=source, what="a suite is a mapping (data, transforms, judges, ...)")
