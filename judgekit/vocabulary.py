"""One vocabulary for every spec: the field names recipes, suites and training configs share, and the one
path from a YAML file plus command-line flags to a validated spec.

Shared fields (each is one model, defined in its stage and embedded under the same name everywhere):

    data        judgekit.data.DataSelection          which items (sources, format, split, subsets, limits, ...)
    transforms  judgekit.transforms.TransformRef     names, name(arg=v), a+b, families, globs, 'all'
    backend     judgekit.backends.BackendSpec        the text-generation backend (each backend's own options)
    judges      judge names, files, folders or specs (judgekit.judges.JudgeSpec, per kind)
    output      OutputSpec (dir, overwrite)          where the run writes (see judgekit.outputs)
    seed        int

`load_spec` reads a spec (a shipped name, a path or a mapping), applies the command's shorthand flags
(``--backend``, ``-j``, ``--data``, ``--out``, ...) and then every ``--set key.path=value``, in that order,
and validates. ``--set`` reaches inside values written as strings: ``--set backend.concurrency=8`` after
``--backend openai:M@URL``, ``--set judges.0.backend.base_url=...`` on a judge named ``openai-pairwise``,
``--set transforms.0.args.rate=0.2`` on a transform named ``char-swap``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SerializeAsAny, field_validator

from judgekit.backends.spec import BackendSpec, coerce_backend
from judgekit.data.selection import DataSelection
from judgekit.errors import SpecError
from judgekit.specfile import apply_overrides, read_yaml, set_path, validate


class SpecModel(BaseModel):
    """Base of the spec kinds that are files (recipes, suites, training configs): remembers the folder of its
    file, where relative paths in it are looked up first."""

    model_config = ConfigDict(extra="forbid")
    _base: Path | None = PrivateAttr(default=None)

    @property
    def base_dir(self) -> Path | None:
        return self._base


class RunSpec(SpecModel):
    """The fields recipes and suites share: data, the backend of LLM transforms, seed, workers and the error
    budget. (Training configs share ``data``, ``seed`` and ``output``.)"""

    data: DataSelection = Field(default_factory=DataSelection)
    backend: SerializeAsAny[BackendSpec] | None = Field(None, description="backend for LLM-family transforms "
                                                        "(default: the embedded SmolLM2)")
    seed: int = 0
    workers: int = Field(1, ge=1, description="processes for rule-based transforms")
    max_error_rate: float = Field(0.0, ge=0, le=1, description="share of failed calls or items above which the run "
                                  "exits 3 (after writing)")

    @field_validator("backend", mode="before")
    @classmethod
    def _backend(cls, value: Any) -> Any:
        return coerce_backend(value)


M = TypeVar("M", bound=SpecModel)


class OutputSpec(BaseModel):
    """Where a run writes. ``overwrite`` lets it write into a folder holding other files, replacing only
    judgekit's own (`judgekit.outputs`)."""

    model_config = ConfigDict(extra="forbid")

    dir: str | None = Field(None, description="output folder (default: the command's own)")
    overwrite: bool = False


class DatasetOutputSpec(OutputSpec):
    """Where a run that writes datasets writes, and in which format."""

    format: Literal["jsonl", "parquet", "datasets"] = "jsonl"


def expand(path: tuple[str, ...], value: Any, *, base: Path | None = None) -> Any:
    """A value written as a string, made into the mapping it stands for so ``--set`` can reach inside."""
    key = path[-1] if path else ""
    parent = path[-2] if len(path) > 1 else ""
    if key == "backend" and isinstance(value, str):
        from judgekit.backends.spec import from_string

        return from_string(value)
    if key == "data" and isinstance(value, str | list):
        return {"sources": [value] if isinstance(value, str) else list(value)}
    if parent == "transforms" and key.isdigit() and isinstance(value, str):
        from judgekit.transforms.refs import TransformRef

        return TransformRef.model_validate(value).model_dump()
    if parent == "judges" and key.isdigit() and isinstance(value, str):
        from judgekit.judges.loader import read_spec_dict

        return read_spec_dict(value, base=base)[0]
    return value


def read_spec(kind: str, source: str | Path | Mapping[str, Any]) -> tuple[dict[str, Any], str, Path | None]:
    """(raw mapping, where it came from, folder of its file) for a spec given by shipped name, path or mapping.

    Args:
        kind: the resource folder ("synth", "eval", "train").
    """
    if isinstance(source, Mapping):
        return dict(source), f"<{kind} spec>", None
    from judgekit import resources

    file = resources.find(kind, str(source))
    raw = read_yaml(file)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SpecError(f"{file}: a spec file holds a mapping of fields, got {type(raw).__name__}")
    return raw, str(file), Path(file).resolve().parent


def load_spec(model: type[M], kind: str, source: str | Path | Mapping[str, Any] | M, *,
              shorthands: Mapping[str, Any] | None = None, overrides: Sequence[str] = (),
              defaults: Mapping[str, Any] | None = None, what: str = "") -> M:
    """Read, apply shorthand flags then ``--set`` overrides, validate. The spec remembers the folder of its
    file (``base_dir``).

    Args:
        shorthands: dotted path -> value, from the command's own flags (applied before ``overrides``).
        defaults: fields set when the file does not set them (e.g. ``name`` from the file name).
    """
    if isinstance(source, model) and not shorthands and not overrides:
        return source
    base_of_object = source.base_dir if isinstance(source, SpecModel) else None
    if isinstance(source, BaseModel):
        source = source.model_dump(mode="json", exclude_unset=True)
    raw, where, base = read_spec(kind, source)
    base = base or base_of_object
    for key, value in (defaults or {}).items():
        raw.setdefault(key, value)

    def expand_here(path: tuple[str, ...], value: Any) -> Any:
        return expand(path, value, base=base)

    try:
        for key, value in (shorthands or {}).items():
            set_path(raw, key, value, expand=expand_here)
        apply_overrides(raw, overrides, expand=expand_here)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    spec = validate(model, raw, source=where, what=what or f"a {kind} spec is a mapping of fields")
    spec._base = base
    return spec
