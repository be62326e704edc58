"""Evaluation suites: data + transforms + judges + metric options, from YAML (``eval/*.yaml``) or Python."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from judgekit.data.example import Example
from judgekit.errors import DataError
from judgekit.specfile import read_yaml, validate


class DataSource(BaseModel):
    """One source of items: a file or glob, "sample", a `datasets` folder or a hub id."""

    model_config = ConfigDict(extra="forbid")

    path: str
    format: str | None = None
    split: str | None = None
    subsets: list[str] | None = Field(None, description="keep only these subsets")
    limit: int | None = Field(None, ge=1, description="first N items of this source")
    prefix_ids: bool = Field(False, description="make ids '<file stem>/<id>' (for files whose ids repeat)")


class MetricOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ties: Literal["wrong", "half", "exclude"] = "wrong"
    failures: Literal["wrong", "exclude"] = "wrong"
    bootstrap: int = Field(1000, ge=100, le=100_000)
    level: float = Field(0.95, gt=0.5, lt=1.0)
    sections: Literal["auto", "rewardbench", "rm-bench", "rewardbench2", "none"] = "auto"


class Suite(BaseModel):
    """What to evaluate and how. ``judges`` are the defaults when none are given on the command line."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str = ""
    data: list[DataSource]
    limit_per_subset: int | None = Field(None, ge=1, description="first N items of each subset")
    limit: int | None = Field(None, ge=1, description="first N items overall")
    transforms: list[str | dict[str, Any]] = Field(
        default_factory=list, description="selectors: 'all' (rule-based catalog), a family, a glob, a name, "
        "'name(arg=value)', 'a+b' compositions, or {name, args}")
    exclude: list[str] = Field(default_factory=list, description="transform names (or globs) to leave out")
    judges: list[str | dict[str, Any]] = Field(default_factory=list)
    metrics: list[str] = Field(default_factory=list, description="metric names to report; empty = all")
    options: MetricOptions = Field(default_factory=MetricOptions)
    seed: int = 0
    backend: str | dict[str, Any] | None = Field(None, description="backend for LLM-family transforms")
    workers: int = Field(1, ge=1)

    @field_validator("data", mode="before")
    @classmethod
    def _data(cls, value: Any) -> Any:
        if isinstance(value, str | dict):
            value = [value]
        return [{"path": v} if isinstance(v, str) else v for v in value]

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str]) -> list[str]:
        from judgekit.eval.metrics import METRICS

        for name in value:
            if name not in METRICS:
                raise ValueError(METRICS.unknown_message(name))
        return value

    # -- resolution ---------------------------------------------------------------------------------
    def load_data(self, *, base: Path | None = None) -> list[Example]:
        """All items of all sources, filtered and limited, with ids unique across sources."""
        from judgekit.data.reader import read_examples

        examples: list[Example] = []
        seen: set[str] = set()
        for source in self.data:
            for path in _expand(source.path, base):
                taken = 0
                for example in read_examples(path, format=source.format, split=source.split):
                    if source.subsets and example.subset not in source.subsets:
                        continue
                    if source.limit is not None and taken >= source.limit:
                        break
                    if source.prefix_ids:
                        example = example.replace(id=f"{Path(path).stem}/{example.id}")
                    if example.id in seen:
                        raise DataError(f"duplicate id {example.id!r} across the suite's sources", source=path,
                                        field="id", hint="give each source distinct ids")
                    seen.add(example.id)
                    examples.append(example)
                    taken += 1
        if self.limit_per_subset is not None:
            counts: dict[str, int] = {}
            kept = []
            for example in examples:
                counts[example.subset] = counts.get(example.subset, 0) + 1
                if counts[example.subset] <= self.limit_per_subset:
                    kept.append(example)
            examples = kept
        if self.limit is not None:
            examples = examples[: self.limit]
        if not examples:
            raise DataError("the suite selected no items", source=", ".join(s.path for s in self.data),
                            hint="check the data paths, subsets and limits")
        return examples

    def build_transforms(self) -> list[Any]:
        """Transform instances, in the order given, each once (by display name), minus ``exclude``."""
        import fnmatch

        from judgekit.transforms.engine import build_transform, select_transforms

        built: dict[str, Any] = {}
        for entry in self.transforms:
            found = [build_transform(entry)] if isinstance(entry, dict) else select_transforms(entry)
            for transform in found:
                built.setdefault(transform.display_name(), transform)
        return [t for name, t in built.items()
                if not any(fnmatch.fnmatchcase(name, pattern) or t.name == pattern for pattern in self.exclude)]


def _expand(path: str, base: Path | None) -> list[str]:
    """A path as given, else relative to the suite file; globs expand (sorted); "sample" and hub ids pass."""
    candidates = [Path(path).expanduser()]
    if base is not None and not Path(path).is_absolute():
        candidates.append(base / path)
    for candidate in candidates:
        if glob.has_magic(str(candidate)):
            matches = sorted(glob.glob(str(candidate)))
            if matches:
                return matches
        elif candidate.exists():
            return [str(candidate)]
    if glob.has_magic(path):
        raise DataError(f"no files match {path}", hint="pass --data PATH, or fix the suite's data.path")
    looks_local = path.startswith((".", "/", "~")) or Path(path).suffix in (".json", ".jsonl", ".parquet")
    if looks_local:
        raise DataError(f"no such file: {path}", hint="pass --data PATH, or fix the suite's data.path")
    return [path]  # "sample" or a hub id: the reader resolves it (and says so when offline)


def load_suite(source: Suite | dict[str, Any] | str | Path) -> tuple[Suite, Path | None]:
    """(suite, folder of its file) from a Suite, a mapping, a shipped name ("rewordbench") or a YAML path."""
    from judgekit import resources

    if isinstance(source, Suite):
        return source, None
    if isinstance(source, dict):
        return validate_suite(source), None
    file = resources.find("eval", str(source))
    suite = validate_suite(read_yaml(file), source=str(file))
    if suite.name is None:
        suite = suite.model_copy(update={"name": file.stem})
    return suite, file.parent


def validate_suite(data: Any, *, source: str = "<suite>") -> Suite:
    return validate(Suite, data, source=source, what="a suite is a mapping (data, transforms, judges, ...)")
