"""`DataSelection`: which items a recipe, suite or training config reads — the one data model every spec
embeds as ``data`` — and `select_examples`, the one function that turns it into a stream of Examples.

Sources are files (``.json``, ``.jsonl``, ``.parquet``), globs, saved `datasets` folders, hub ids (read
through the local mirror when ``JUDGEKIT_DATA_MIRROR`` is set; see judgekit.data.hub) or ``sample``.
A relative path is looked up beside the spec file first, then in the working directory.

Selection order: each source is read in turn (its subsets filter applied, ids optionally prefixed with
the file name), then ``skip_per_subset``, ``limit_per_subset`` and ``limit`` apply to the stream. One rule
for ids: an id seen twice is an error naming both places (set ``prefix_ids: true`` for files whose ids
repeat). Invalid rows fail the read unless ``on_invalid: skip``, which counts them with their location.
"""

from __future__ import annotations

import fnmatch
import glob
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from judgekit.data.example import Example
from judgekit.data.hub import ResolvedSource, looks_like_hub_id, resolve_hub
from judgekit.data.idset import IdSet
from judgekit.data.reader import SAMPLE, ExampleStream, read_examples, sample_path
from judgekit.errors import DataError

SAMPLES = {"sample": "sample.jsonl", "multilingual": "multilingual_sample.jsonl"}  # "sample", "sample:NAME"


class DataSelection(BaseModel):
    """Which items to read. YAML: ``data: {sources: [...], subsets: [...], limit_per_subset: 20}``; a bare
    string or list of strings means ``sources``."""

    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(default_factory=lambda: [SAMPLE], min_length=1,
                               description="files, globs, saved `datasets` folders, hub ids, or 'sample'")
    format: str | None = Field(None, description="adapter name (`judgekit ls formats`); detected when omitted")
    split: str | None = Field(None, description="split of a hub dataset or a saved DatasetDict")
    subsets: list[str] | None = Field(None, description="keep only these subsets (globs allowed)")
    skip_per_subset: int = Field(0, ge=0, description="leave out the first N items of each subset")
    limit_per_subset: int | None = Field(None, ge=1, description="then keep the first N items of each subset")
    limit: int | None = Field(None, ge=1, description="then keep the first N items overall")
    prefix_ids: bool = Field(False, description="ids become '<file stem>/<id>' (for files whose ids repeat)")
    on_invalid: Literal["fail", "skip"] = Field("fail", description="an invalid row fails the run, or is "
                                                "skipped and counted with its location")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"sources": [value]}
        if isinstance(value, list):
            return {"sources": value}
        return value

    @field_validator("sources", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is not None:
            from judgekit.data.adapters import ADAPTERS

            if value not in ADAPTERS:
                raise ValueError(ADAPTERS.unknown_message(value))
        return value


def data_selection(**fields: Any) -> DataSelection:
    """A DataSelection from keyword fields (command-line flags; None means unset); errors name the field."""
    from judgekit.specfile import validate

    return validate(DataSelection, {k: v for k, v in fields.items() if v is not None}, source="command line",
                    what="a data selection")


def expand_source(source: str, *, base: Path | None = None, split: str | None = None) -> list[ResolvedSource]:
    """Where one source's items come from: bundled sample, local files (globs expanded, sorted), or a hub id."""
    name, _, which = source.partition(":")
    if name == SAMPLE and not Path(source).exists():
        file = SAMPLES.get(which or "sample") if which else SAMPLES["sample"]
        if file is None:
            raise DataError(f"no bundled sample named {which!r}", source=source,
                            hint=f"bundled: {', '.join(['sample', *(f'sample:{k}' for k in SAMPLES if k != 'sample')])}")
        path = sample_path() if file == SAMPLES["sample"] else str(Path(sample_path()).with_name(file))
        return [ResolvedSource(path, source)]
    given = Path(source).expanduser()
    candidates = [given] if given.is_absolute() else ([base / given] if base is not None else []) + [given]
    for candidate in candidates:
        if glob.has_magic(str(candidate)):
            matches = sorted(glob.glob(str(candidate)))
            if matches:
                return [ResolvedSource(m, m) for m in matches]
        elif candidate.exists():
            return [ResolvedSource(str(candidate), str(candidate))]
    if glob.has_magic(source):
        raise DataError(f"no files match {source}", hint="check the pattern (relative to the spec file, then to "
                        "the working directory)")
    missing_under_folder = "/" in source and given.parent != Path(".") and (
        given.parent.is_dir() or (base is not None and (base / given.parent).is_dir()))
    if looks_like_hub_id(source) and not missing_under_folder:
        return resolve_hub(source, split=split)
    raise DataError("no such file or directory", source=source,
                    hint="give a local .json/.jsonl/.parquet file, a saved `datasets` folder, 'sample', or a hub id "
                         "like org/name")


class SelectedExamples:
    """The stream `select_examples` returns; after (or during) iteration it says what was read.

    Attributes:
        inputs: one record per source read (path, format, items, skipped) for provenance.
        skipped: (file:line, reason) of skipped invalid rows (the first thousand; ``skipped_count`` counts all).
    """

    def __init__(self, selection: DataSelection, base: Path | None) -> None:
        self.selection = selection
        self.base = base
        self.streams: list[tuple[str, ResolvedSource, ExampleStream]] = []
        self.count = 0

    @property
    def skipped_count(self) -> int:
        return sum(s.skipped_count for _, _, s in self.streams)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return [row for _, _, s in self.streams for row in s.skipped]

    def inputs(self) -> list[Any]:
        """`InputRecord`s of the sources read (sha256 of local files and folders)."""
        from judgekit.provenance import input_record

        return [input_record(given, path=None if resolved.hub else resolved.source, format=stream.format,
                             items=stream.count, skipped=stream.skipped_count, split=stream.split)
                for given, resolved, stream in self.streams]

    def paths(self) -> list[str]:
        """Local files and folders this selection reads (for the output-location checks)."""
        paths = []
        for given in self.selection.sources:
            try:
                paths += [r.source for r in expand_source(given, base=self.base, split=self.selection.split) if not r.hub]
            except DataError:
                continue
        return paths

    def __iter__(self) -> Iterator[Example]:
        spec = self.selection
        seen = IdSet()
        per_subset: dict[str, int] = {}
        kept_per_subset: dict[str, int] = {}
        self.streams = []
        self.count = 0
        patterns = spec.subsets
        for given in spec.sources:
            for resolved in expand_source(given, base=self.base, split=spec.split):
                stream = read_examples(resolved.source, format=spec.format or resolved.format, split=resolved.split,
                                       on_invalid=spec.on_invalid)
                stream.config, stream.subset, stream.display, stream.hub = (
                    resolved.config, resolved.subset, resolved.display, resolved.hub)
                self.streams.append((given, resolved, stream))
                stem = Path(resolved.source).stem
                for example in stream:
                    if patterns and not any(fnmatch.fnmatchcase(example.subset, p) for p in patterns):
                        continue
                    if spec.prefix_ids:
                        example = example.replace(id=f"{stem}/{example.id}")
                    if not seen.add(example.id):
                        raise DataError(f"duplicate id {example.id!r} (an earlier source of this selection has it)",
                                        source=resolved.display, field="id",
                                        hint="set data.prefix_ids: true to make ids '<file stem>/<id>'")
                    count = per_subset.get(example.subset, 0) + 1
                    per_subset[example.subset] = count
                    if count <= spec.skip_per_subset:
                        continue
                    kept = kept_per_subset.get(example.subset, 0) + 1
                    if spec.limit_per_subset is not None and kept > spec.limit_per_subset:
                        continue
                    kept_per_subset[example.subset] = kept
                    self.count += 1
                    yield example
                    if spec.limit is not None and self.count >= spec.limit:
                        return
        if self.count == 0:
            raise DataError("the selection has no items", source=", ".join(spec.sources),
                            hint="check the sources, subsets, skip_per_subset and limits")


def select_examples(selection: DataSelection | dict[str, Any] | str | list[str], *,
                    base: str | Path | None = None) -> SelectedExamples:
    """The items a data selection names, as a stream (see the module docstring).

    Args:
        selection: a DataSelection, or what validates into one (a mapping, a source, a list of sources).
        base: the folder of the spec file, where relative paths are looked up first.
    """
    if not isinstance(selection, DataSelection):
        selection = DataSelection.model_validate(selection)
    return SelectedExamples(selection, Path(base) if base is not None else None)
