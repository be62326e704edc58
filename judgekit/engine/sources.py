"""Sources read in chunks: a JSONL file by byte ranges (any worker reads its own chunk), anything else
(JSON arrays, Parquet, `datasets` folders, hub ids) streamed by the driver in chunks of raw records.

`plan_source` makes one cheap pass over a JSONL file (newline scan + SHA-256, no JSON parsing): chunk
boundaries, row and line numbers, the content hash that keys resumption, and the format (from the first
record). Rows come out as `SourceRow`: an `Example`, or an `InvalidRow` with its file:line and reason; the
invalid-row policy is applied later, in order, by the command that commits chunks.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from judgekit.data.adapters import ADAPTERS, detect_format
from judgekit.data.example import Example
from judgekit.data.invalid import BOM, InvalidRow, convert_record, is_blank, parse_jsonl_line
from judgekit.data.reader import resolve_source
from judgekit.data.sources import iter_records
from judgekit.engine.pipeline import ChunkSpec
from judgekit.errors import DataError, RegistryError, SpecError

DEFAULT_CHUNK_SIZE = 1000


class SourceRow(NamedTuple):
    row: int
    line: int | None
    example: Example | None
    invalid: InvalidRow | None


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int
    first_line: int


def _convert_or_invalid(convert, data: dict[str, Any], *, row: int, line: int | None, name: str,
                        format_name: str) -> SourceRow:
    try:
        example = convert_record(convert, data, row=row, line=line, source=name, format_name=format_name)
    except DataError as exc:
        return SourceRow(row, line, None, InvalidRow.from_error(exc, source=name, row=row, line=line))
    return SourceRow(row, line, example, None)


@dataclass(frozen=True)
class JsonlSource:
    """A JSONL file; each chunk is a byte range that a worker opens and reads itself."""

    path: str
    name: str
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
            line = where.first_line + offset
            try:
                record = parse_jsonl_line(raw, source=self.name, line=line)
            except DataError as exc:
                rows.append(SourceRow(row, line, None, InvalidRow.from_error(exc, source=self.name, row=row, line=line)))
            else:
                rows.append(_convert_or_invalid(convert, record, row=row, line=line, name=self.name,
                                                format_name=self.format))
            row += 1
        return rows


@dataclass(frozen=True)
class RecordSource:
    """Any other source: the driver streams raw records (`iter_records`); a chunk carries its records."""

    name: str
    format: str
    split: str | None = None

    def stream(self, chunk_size: int) -> Iterator[ChunkSpec]:
        batch: list[tuple[dict[str, Any], int, int | None]] = []
        index = first = 0
        for record in iter_records(self.name, split=self.split):
            batch.append((record.data, record.where.row, record.where.line))
            if len(batch) == chunk_size:
                yield ChunkSpec(index, first, len(batch), tuple(batch))
                index, first, batch = index + 1, first + len(batch), []
        if batch:
            yield ChunkSpec(index, first, len(batch), tuple(batch))

    def read(self, spec: ChunkSpec) -> list[SourceRow]:
        convert = ADAPTERS.get(self.format).convert
        return [_convert_or_invalid(convert, data, row=row, line=line, name=self.name, format_name=self.format)
                for data, row, line in spec.locator]


@dataclass
class SourcePlan:
    """What the driver knows about a source before any chunk runs."""

    source: str  # as the user gave it
    name: str  # resolved: what adapters and the manifest see
    path: str | None  # a local file or folder (None for a hub id)
    format: str
    sha256: str | None  # content hash (keys resumption); None where there is none to take
    chunk_size: int
    reader: JsonlSource | RecordSource
    chunks: list[ChunkSpec] | None = field(default=None, repr=False)  # planned up front (JSONL)

    @property
    def rows(self) -> int | None:
        return None if self.chunks is None else sum(c.rows for c in self.chunks)

    def iter_chunks(self, start: int = 0) -> Iterator[ChunkSpec]:
        """Chunks from index ``start`` on (a resumed run skips those already committed)."""
        if self.chunks is not None:
            yield from self.chunks[start:]
            return
        assert isinstance(self.reader, RecordSource)
        for spec in self.reader.stream(self.chunk_size):
            if spec.index >= start:
                yield spec


def _detect(record: dict[str, Any], format: str | None, name: str) -> str:
    return format if format is not None else detect_format(record, source=name).name


def _scan_jsonl(path: str, name: str, chunk_size: int, format: str | None,
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
                    try:
                        record = parse_jsonl_line(body, source=name, line=line)
                    except DataError:
                        if on_invalid == "fail":
                            raise
                    else:
                        format = _detect(record, None, name)
                in_chunk += 1
                row += 1
            offset += len(raw)
    if in_chunk:
        chunks.append(ChunkSpec(len(chunks), start_row, in_chunk, ByteRange(start, offset, start_line)))
    return chunks, digest.hexdigest(), format


def plan_source(source: str | os.PathLike[str], *, format: str | None = None, split: str | None = None,
                chunk_size: int = DEFAULT_CHUNK_SIZE, on_invalid: str = "fail") -> SourcePlan:
    """Chunks, content hash and format of a source (one cheap pass over a JSONL file)."""
    if chunk_size < 1:
        raise SpecError(f"--chunk-size must be >= 1, got {chunk_size}")
    if format is not None and format not in ADAPTERS:
        raise RegistryError(ADAPTERS.unknown_message(format))
    name = resolve_source(source)
    path = name if os.path.exists(name) else None
    if path is not None and os.path.isfile(path) and path.endswith((".jsonl", ".ndjson")):
        if not os.access(path, os.R_OK):
            raise DataError("file is not readable", source=name, hint="check its permissions")
        chunks, sha, detected = _scan_jsonl(path, name, chunk_size, format, on_invalid)
        detected = detected or "judgekit"  # no readable record at all: every row is invalid (or there is none)
        return SourcePlan(str(source), name, path, detected, sha, chunk_size, JsonlSource(path, name, detected), chunks)
    records = iter_records(name, split=split)
    first = next(records, None)
    records.close()
    detected = _detect(first.data, format, name) if first is not None else (format or "judgekit")
    sha = None
    if path is not None:
        from judgekit.transforms.manifest import sha256_of

        sha = sha256_of(path)
    return SourcePlan(str(source), name, path, detected, sha, chunk_size, RecordSource(name, detected, split))
