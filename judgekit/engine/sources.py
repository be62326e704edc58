"""A data selection read in chunks: a JSONL file by byte ranges (any worker reads its own chunk), anything
else (several sources, JSON arrays, Parquet, `datasets` folders, hub ids, subsets and limits) streamed by
the driver through `judgekit.data.selection.select_examples`, in chunks of Examples.

`plan_source` makes one cheap pass over a JSONL file (newline scan + SHA-256; only the first record is
parsed): chunk boundaries, row and line numbers, the content hash that keys resumption, and the format.
Workers turn each line into a `SourceRow` with the reader's own functions (`jsonl_record`,
`convert_record`); the driver applies the invalid-row policy to them in row order with the reader's
`Admission`, so a chunked run skips, counts and reports exactly what `read_examples` does.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from judgekit.data.adapters import ADAPTERS, detect_format
from judgekit.data.example import Example
from judgekit.data.hub import ResolvedSource
from judgekit.data.reader import Admission, convert_record
from judgekit.data.selection import DataSelection, SelectedExamples, expand_source, select_examples
from judgekit.data.sources import BOM, Location, is_blank, jsonl_record
from judgekit.engine.pipeline import ChunkSpec
from judgekit.errors import DataError, SpecError

DEFAULT_CHUNK_SIZE = 1000


class SourceRow(NamedTuple):
    """One row of a source as a worker read it: the Example, or the row's located error."""

    where: Location
    value: Example | DataError
    readable: bool = True  # the record was one JSON object (tells "no items" from "no valid items")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int
    first_line: int


@dataclass(frozen=True)
class JsonlSource:
    """A JSONL file; each chunk is a byte range that a worker opens and reads itself."""

    path: str
    label: str  # what adapters see as the source name (as `read_examples` passes it)
    format: str

    def read(self, spec: ChunkSpec) -> list[SourceRow]:
        where: ByteRange = spec.locator
        with open(self.path, "rb") as handle:
            handle.seek(where.start)
            data = handle.read(where.end - where.start)
        convert = ADAPTERS.get(self.format).convert
        parts = data.split(b"\n")
        if parts and not parts[-1]:
            parts.pop()
        rows: list[SourceRow] = []
        row = spec.first_row
        for offset, raw in enumerate(parts):
            if offset == 0 and where.start == 0 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            if is_blank(raw):
                continue
            record = jsonl_record(raw, Location(self.path, row, where.first_line + offset))
            rows.append(SourceRow(record.where, convert_record(convert, record, self.label, self.format),
                                  record.error is None))
            row += 1
        return rows


@dataclass(frozen=True)
class StreamSource:
    """Chunks streamed by the driver carry their rows (Examples the selection's reader admitted)."""

    def read(self, spec: ChunkSpec) -> list[SourceRow]:
        return list(spec.locator)


@dataclass
class SourcePlan:
    """What the driver knows about a selection before any chunk runs."""

    selection: DataSelection
    base: Path | None
    chunk_size: int
    name: str  # how messages name the source
    reader: JsonlSource | StreamSource
    fingerprint: dict[str, Any]  # content hashes and settings that key resumption
    chunks: list[ChunkSpec] | None = field(default=None, repr=False)  # planned up front (one JSONL file)
    resolved: ResolvedSource | None = None
    sha256: str | None = None
    selected: SelectedExamples | None = field(default=None, repr=False)  # the last streamed pass

    @property
    def admits(self) -> bool:
        """Whether the driver applies the invalid-row policy (a planned file) or the reader already did."""
        return self.chunks is not None

    @property
    def rows(self) -> int | None:
        return None if self.chunks is None else sum(c.rows for c in self.chunks)

    def iter_chunks(self, start: int = 0) -> Iterator[ChunkSpec]:
        """Chunks from index ``start`` on (a resumed run skips those already committed)."""
        if self.chunks is not None:
            yield from self.chunks[start:]
            return
        self.selected = select_examples(self.selection, base=self.base)
        batch: list[SourceRow] = []
        index = first = 0
        for row, example in enumerate(self.selected):
            batch.append(SourceRow(Location(self.name, row), example))
            if len(batch) == self.chunk_size:
                if index >= start:
                    yield ChunkSpec(index, first, len(batch), tuple(batch))
                index, first, batch = index + 1, first + len(batch), []
        if batch and index >= start:
            yield ChunkSpec(index, first, len(batch), tuple(batch))

    def inputs(self, admission: Admission | None = None) -> list[Any]:
        """`InputRecord`s of what was read (after the run: items and skipped rows counted)."""
        from judgekit.provenance import InputRecord

        if self.chunks is None:
            assert self.selected is not None, "inputs() of a streamed source is known after a pass over it"
            return self.selected.inputs()
        assert self.resolved is not None and admission is not None and isinstance(self.reader, JsonlSource)
        return [InputRecord(source=self.selection.sources[0], path=self.resolved.source, sha256=self.sha256,
                            format=self.reader.format, items=admission.count, skipped=admission.skipped_count,
                            split=self.resolved.split)]

    def skipped(self, admission: Admission | None = None) -> list[tuple[str, str]]:
        if self.chunks is None:
            return self.selected.skipped if self.selected is not None else []
        return admission.skipped if admission is not None else []


def _plain_file(selection: DataSelection, resolved: list[ResolvedSource]) -> ResolvedSource | None:
    """The one local JSONL file a selection reads as it is (no subsets, limits or id prefixes), if so."""
    if len(selection.sources) != 1 or len(resolved) != 1:
        return None
    one = resolved[0]
    if one.hub or one.subset or one.config or not one.source.endswith((".jsonl", ".ndjson")):
        return None
    if (selection.subsets or selection.skip_per_subset or selection.limit_per_subset or selection.limit
            or selection.prefix_ids):
        return None
    return one if os.path.isfile(one.source) else None


def _scan_jsonl(path: str, chunk_size: int, format: str | None,
                on_invalid: str) -> tuple[list[ChunkSpec], str, str | None]:
    digest = hashlib.sha256()
    chunks: list[ChunkSpec] = []
    offset = row = line = in_chunk = start = start_row = 0
    start_line = 1
    with open(path, "rb") as handle:
        for raw in handle:
            line += 1
            digest.update(raw)
            body = raw[len(BOM):] if line == 1 and raw.startswith(BOM) else raw
            if not is_blank(body):
                if in_chunk == chunk_size:
                    chunks.append(ChunkSpec(len(chunks), start_row, in_chunk, ByteRange(start, offset, start_line)))
                    start, start_line, start_row, in_chunk = offset, line, row, 0
                if format is None:
                    record = jsonl_record(body, Location(path, row, line))
                    if record.error is None:
                        format = detect_format(record.data, source=path).name
                    elif on_invalid == "fail":
                        raise record.error
                in_chunk += 1
                row += 1
            offset += len(raw)
    if in_chunk:
        chunks.append(ChunkSpec(len(chunks), start_row, in_chunk, ByteRange(start, offset, start_line)))
    return chunks, digest.hexdigest(), format


def plan_source(selection: DataSelection, *, base: str | Path | None = None,
                chunk_size: int = DEFAULT_CHUNK_SIZE) -> SourcePlan:
    """How a selection is read in chunks (one cheap pass over a JSONL file; nothing read otherwise)."""
    if chunk_size < 1:
        raise SpecError(f"--chunk-size must be >= 1, got {chunk_size}")
    base_path = Path(base) if base is not None else None
    resolved = [r for given in selection.sources for r in expand_source(given, base=base_path, split=selection.split)]
    settings = selection.model_dump(mode="json", exclude={"on_invalid"})
    one = _plain_file(selection, resolved)
    if one is not None:
        if not os.access(one.source, os.R_OK):
            raise DataError("file is not readable", source=one.source, hint="check its permissions")
        chunks, sha, detected = _scan_jsonl(one.source, chunk_size, selection.format or one.format,
                                            selection.on_invalid)
        name = one.display or one.source
        if not chunks:
            from judgekit.data.reader import no_items

            raise no_items(name, readable=False, skipped=0)
        detected = detected or "judgekit"  # no readable record at all: every row is invalid
        return SourcePlan(selection, base_path, chunk_size, name, JsonlSource(str(Path(one.source).expanduser()), one.source, detected),
                          {"data": settings, "sha256": [sha]}, chunks, one, sha)
    from judgekit.provenance import sha256_path

    hashes = [sha256_path(r.source) if not r.hub else None for r in resolved]
    fingerprint: dict[str, Any] = {"data": settings, "sha256": hashes}
    if any(h is None for h in hashes):  # a hub id read online has no content hash: never resumed
        import uuid

        fingerprint["unhashed"] = uuid.uuid4().hex
    name = ", ".join(r.display or r.source for r in resolved) or ", ".join(selection.sources)
    return SourcePlan(selection, base_path, chunk_size, name, StreamSource(), fingerprint)
