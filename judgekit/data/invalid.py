"""Rows one at a time under an invalid-row policy: a bad row is either an error (``fail``) or a skipped,
counted row (``skip``) that keeps its file:line and reason.

The messages are the streaming reader's (`judgekit.data.reader`, `judgekit.data.sources`), so a row
reported here reads the same as the error `judgekit` raises today.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from judgekit.data.example import Example
from judgekit.errors import DataError, SpecError

ON_INVALID = ("fail", "skip")
"""What to do with a row that cannot be read: stop with the row's error, or skip it and count it."""

BOM = b"\xef\xbb\xbf"


def check_on_invalid(policy: str) -> str:
    if policy not in ON_INVALID:
        raise SpecError(f"--on-invalid must be one of {', '.join(ON_INVALID)}, got {policy!r}")
    return policy


@dataclass(frozen=True, slots=True)
class InvalidRow:
    """A row that was not read: where it is and why."""

    source: str
    row: int
    line: int | None
    reason: str
    field: str | None = None
    hint: str | None = None

    @classmethod
    def from_error(cls, error: DataError, *, source: str, row: int, line: int | None) -> InvalidRow:
        return cls(error.source or source, row, error.line if error.line is not None else line, error.reason,
                   error.field, error.hint)

    def error(self) -> DataError:
        """The error a ``fail`` run stops with."""
        return DataError(self.reason, source=self.source, line=self.line, row=None if self.line else self.row,
                         field=self.field, hint=self.hint)

    def to_dict(self) -> dict[str, Any]:
        """What the manifest lists for a skipped row."""
        entry: dict[str, Any] = {"line": self.line} if self.line is not None else {"row": self.row}
        if self.field:
            entry["field"] = self.field
        entry["reason"] = self.reason
        return entry


def is_blank(raw: bytes) -> bool:
    """A JSONL line the reader passes over (whitespace only, as ``str.strip`` sees it)."""
    stripped = raw.strip()
    if not stripped:
        return True
    if stripped.isascii():
        return False
    return not raw.decode("utf-8", "replace").strip()


def parse_jsonl_line(raw: bytes, *, source: str, line: int) -> dict[str, Any]:
    """One JSONL line (bytes, newline included or not) as a JSON object; `DataError` with file:line if not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", source=source, line=line,
                        hint="re-encode the file as UTF-8") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON ({exc.msg} at column {exc.colno})", source=source, line=line,
                        hint="fix or delete this line; each line must be one JSON object") from None
    if not isinstance(data, dict):
        raise DataError(f"expected a JSON object, got {type(data).__name__}", source=source, line=line)
    return data


def convert_record(convert: Callable[[Mapping[str, Any], int, str], Example], data: Mapping[str, Any], *,
                   row: int, line: int | None, source: str, format_name: str) -> Example:
    """An adapter's conversion of one record, with the reader's located errors."""
    try:
        return convert(data, row, source)
    except DataError as exc:
        raise exc.located(source=source, line=line, row=None if line else row) from None
    except (TypeError, ValueError, KeyError) as exc:
        raise DataError(f"cannot read as {format_name}: {exc}", source=source, line=line,
                        row=None if line else row, hint="check --format") from None


def duplicate_id(example_id: str, *, source: str, row: int, line: int | None) -> InvalidRow:
    """The row of an id seen earlier in the source (the first occurrence is kept)."""
    return InvalidRow(source, row, line, f"duplicate id {example_id!r}", "id",
                      "ids must be unique within a dataset")
