"""Raw records from where data lives: JSON, JSONL, Parquet, a `datasets` folder, or a hub id.

Every record comes with its location (file and line, or row), so adapters can point at bad input.
JSONL, JSON arrays and Parquet are streamed: memory stays flat however large the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgekit.errors import DataError

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Location:
    source: str
    row: int
    line: int | None = None

    def error(self, exc: DataError) -> DataError:
        return exc.located(source=self.source, line=self.line, row=None if self.line else self.row)


@dataclass(frozen=True, slots=True)
class Record:
    data: dict[str, Any] | None
    where: Location
    error: DataError | None = None  # an unreadable row, yielded instead of raised when skipping invalid rows


def describe(source: str | os.PathLike[str]) -> str:
    """Short display name of a source."""
    return str(source)


def iter_records(source: str | os.PathLike[str], *, split: str | None = None, skip_invalid: bool = False,
                 config: str | None = None) -> Iterator[Record]:
    """Yield the raw records of a source, each with its location.

    Args:
        skip_invalid: a malformed JSON Lines row is yielded as a Record with ``error`` set instead of raised
            (a malformed JSON array or Parquet file still fails: nothing after the break can be trusted).
        config: the configuration (subset) of a hub dataset.

    Raises:
        DataError: unreadable file, malformed JSON (with its line), or a hub id that cannot be loaded.
    """
    path = Path(source).expanduser()
    name = str(source)
    if path.is_dir():
        yield from _iter_datasets_dir(path, split)
        return
    if path.exists():
        if not os.access(path, os.R_OK):
            raise DataError("file is not readable", source=name, hint="check its permissions")
        suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
        if suffix in (".parquet", ".pq"):
            yield from _iter_parquet(path)
        elif suffix in (".jsonl", ".ndjson"):
            yield from _iter_jsonl(path, skip_invalid)
        elif suffix == ".json":
            yield from _iter_json(path)
        else:
            raise DataError(f"unsupported file type '{path.suffix or '(none)'}'", source=name,
                            hint="use .json, .jsonl, .parquet, a `datasets` folder, or a hub id")
        return
    # "runs/x" where a local runs/ folder exists is a missing path, not a hub id
    if _looks_like_hub_id(name) and not ("/" in name and path.parent.is_dir()):
        yield from _iter_hub(name, split, config)
        return
    raise DataError("no such file or directory", source=name,
                    hint="give a local .json/.jsonl/.parquet file, a saved `datasets` folder, or a hub id like org/name")


def _looks_like_hub_id(name: str) -> bool:
    parts = name.split("/")
    return 1 <= len(parts) <= 2 and all(parts) and not name.startswith((".", "~")) and "." not in parts[-1][-6:]


def _open_text(path: Path):
    try:
        return open(path, encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(f"cannot open: {exc.strerror}", source=str(path), hint="check the path and permissions") from exc


BOM = b"\xef\xbb\xbf"


def is_blank(raw: bytes) -> bool:
    """A JSON Lines line the reader passes over (whitespace only, as ``str.strip`` sees it)."""
    stripped = raw.strip()
    if not stripped:
        return True
    if stripped.isascii():
        return False
    return not raw.decode("utf-8", "replace").strip()


def jsonl_record(raw: bytes, where: Location) -> Record:
    """One non-blank JSON Lines line (bytes, newline included or not) as a Record; a line that is not one
    UTF-8 JSON object comes back with ``error`` set (located at its line). The engine's workers read
    byte ranges of a file with this same function."""
    source, line = where.source, where.line
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Record(None, where, DataError(f"not UTF-8 text ({exc.reason})", source=source, line=line,
                                             hint="re-encode the file as UTF-8"))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Record(None, where, DataError(f"malformed JSON ({exc.msg} at column {exc.colno})", source=source,
                                             line=line, hint="fix or delete this line; each line must be one "
                                             "JSON object"))
    if not isinstance(data, dict):
        return Record(None, where, DataError(f"expected a JSON object, got {type(data).__name__}", source=source,
                                             line=line))
    return Record(data, where)


def _iter_jsonl(path: Path, skip_invalid: bool = False) -> Iterator[Record]:
    name = str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise DataError(f"cannot open: {exc.strerror}", source=name, hint="check the path and permissions") from exc
    with handle:
        row = 0
        for lineno, raw in enumerate(handle, start=1):
            if lineno == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            if is_blank(raw):
                continue
            record = jsonl_record(raw, Location(name, row, lineno))
            if record.error is not None and not skip_invalid:
                raise record.error
            yield record
            row += 1


def _iter_json(path: Path) -> Iterator[Record]:
    """Stream a JSON array of objects (or fall back to JSON Lines stored under .json)."""
    decoder = json.JSONDecoder()
    with _open_text(path) as handle:
        try:
            buffer = handle.read(_CHUNK)
            stripped = buffer.lstrip()
            if stripped.startswith("{"):
                # A single object holding a list ({"data": [...]}) or JSON Lines under a .json name.
                rest = buffer + handle.read()
                try:
                    whole = json.loads(rest)
                except json.JSONDecodeError:
                    yield from _iter_jsonl(path)
                    return
                rows = next((v for v in whole.values() if isinstance(v, list)), None) if isinstance(whole, dict) else None
                if rows is None:
                    yield Record(whole, Location(str(path), 0, 1))
                    return
                for row, data in enumerate(rows):
                    if not isinstance(data, dict):
                        raise DataError(f"expected a JSON object, got {type(data).__name__}", source=str(path), row=row)
                    yield Record(data, Location(str(path), row))
                return
            if not stripped.startswith("["):
                raise DataError("expected a JSON array of objects", source=str(path), line=1,
                                hint="a .json file must hold [ {...}, {...} ] or JSON Lines")
            pos = buffer.index("[") + 1
            line, mark = 1, 0  # `line` is the line number at buffer[mark]; both only move forward

            def line_at(p: int) -> int:
                nonlocal line, mark
                line += buffer.count("\n", mark, p)
                mark = p
                return line

            row = 0
            while True:
                while True:  # skip separators, refilling the buffer as needed
                    while pos < len(buffer) and buffer[pos] in " \t\r\n,":
                        pos += 1
                    if pos < len(buffer):
                        break
                    more = handle.read(_CHUNK)
                    if not more:
                        raise DataError("unexpected end of file inside the JSON array", source=str(path),
                                        line=line_at(len(buffer)), hint="the array is missing its closing ]")
                    line_at(len(buffer))
                    buffer, pos, mark = more, 0, 0
                if buffer[pos] == "]":
                    return
                while True:
                    try:
                        data, end = decoder.raw_decode(buffer, pos)
                        break
                    except json.JSONDecodeError as exc:
                        more = handle.read(_CHUNK)
                        if not more:
                            raise DataError(f"malformed JSON ({exc.msg})", source=str(path), line=line_at(exc.pos),
                                            hint="fix the JSON at this line") from None
                        line_at(pos)
                        buffer, pos, mark = buffer[pos:] + more, 0, 0
                start_line = line_at(pos)
                if not isinstance(data, dict):
                    raise DataError(f"expected a JSON object, got {type(data).__name__}", source=str(path), line=start_line)
                yield Record(data, Location(str(path), row, start_line))
                row += 1
                pos = end
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 text ({exc.reason})", source=str(path), hint="re-encode the file as UTF-8") from None


def _iter_parquet(path: Path) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:
        raise DataError(f"not a readable Parquet file ({exc})", source=str(path)) from None
    row = 0
    for batch in parquet.iter_batches(batch_size=1024):
        for data in batch.to_pylist():
            yield Record(data, Location(str(path), row))
            row += 1


def _iter_rows(dataset: Any, name: str) -> Iterator[Record]:
    for row, data in enumerate(dataset):
        yield Record(dict(data), Location(name, row))


def _pick_split(dataset_dict: Any, split: str | None, name: str) -> Any:
    splits = list(dataset_dict.keys())
    if split is None:
        split = "train" if "train" in splits or len(splits) != 1 else splits[0]
        if split not in splits and len(splits) > 1:
            split = splits[0]
    if split not in splits:
        raise DataError(f"no split '{split}'", source=name, hint=f"available splits: {', '.join(splits)} (use --split)")
    return dataset_dict[split]


def _iter_datasets_dir(path: Path, split: str | None) -> Iterator[Record]:
    if not ((path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists() or (path / "state.json").exists()):
        raise DataError("directory is not a saved `datasets` dataset", source=str(path),
                        hint="pass a file inside it, or a folder written by Dataset.save_to_disk")
    import datasets

    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        loaded = _pick_split(loaded, split, str(path))
    yield from _iter_rows(loaded, str(path))


def _iter_hub(name: str, split: str | None, config: str | None = None) -> Iterator[Record]:
    import datasets

    from judgekit.data.hub import KNOWN, hub_failure_hint

    _quiet_hub_logging()
    try:
        loaded = datasets.load_dataset(name, config, split=split) if split else datasets.load_dataset(name, config)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
        if name in KNOWN:
            hint = hub_failure_hint(name)
        else:
            hint = (f"there is no local file or folder '{name}' (relative to {Path.cwd()}) either: if you meant a "
                    f"path, check it (or run the step that writes it first); if a hub id, check it and your network, "
                    f"or {hub_failure_hint(name)}")
        raise DataError(f"could not load hub dataset '{name}' ({reason})", source=name, hint=hint) from None
    if isinstance(loaded, datasets.DatasetDict):
        loaded = _pick_split(loaded, split, name)
    yield from _iter_rows(loaded, name)


def _quiet_hub_logging() -> None:
    """The hub client logs each failed attempt; judgekit reports the failure itself, once."""
    import logging

    for logger in ("huggingface_hub", "datasets", "fsspec"):
        logging.getLogger(logger).setLevel(logging.ERROR)
    try:
        from huggingface_hub.utils import logging as hub_logging

        hub_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - datasets depends on huggingface_hub
        pass
