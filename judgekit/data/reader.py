"""Read any supported source into `Example`s, streaming, with located errors.

A source is a local file or folder, a hub id (through the local mirror when ``JUDGEKIT_DATA_MIRROR`` is set,
see judgekit.data.hub), or ``sample`` (the bundled set). Invalid rows fail the read by default; with
``on_invalid="skip"`` they are skipped, counted and kept with their location and reason. A source with
no items at all is an error: an empty run is never a success.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from judgekit.data.adapters import ADAPTERS, Adapter, detect_format
from judgekit.data.example import Example
from judgekit.data.idset import IdSet, id_key
from judgekit.data.sources import Location, Record, iter_records
from judgekit.errors import DataError, RegistryError

SAMPLE = "sample"
"""The name of the bundled sample set (60 items written for judgekit), usable wherever a source is."""
SKIPPED_KEPT = 1000  # skipped rows kept with their reason (all are counted)
OnInvalid = Literal["fail", "skip"]


def sample_path() -> str:
    """Path of the bundled sample set (judgekit JSONL)."""
    return str(resources.files("judgekit.data").joinpath("sample.jsonl"))


def resolve_source(source: str | os.PathLike[str]) -> str:
    """``"sample"`` means the bundled set; anything else is a path or hub id."""
    text = str(source)
    return sample_path() if text == SAMPLE and not os.path.exists(text) else text


def _where(location: Location) -> str:
    return f"{location.source}:{location.line}" if location.line is not None else f"{location.source} (row {location.row})"


def convert_record(convert: Callable[..., Example], record: Record, label: str, format_name: str) -> Example | DataError:
    """An adapter's conversion of one record: the Example, or the row's error located at its file:line
    (an unreadable record's own error as it is). Never raises for one bad row."""
    if record.error is not None:
        return record.error
    try:
        return convert(record.data, record.where.row, label)
    except DataError as exc:
        return record.where.error(exc)
    except (TypeError, ValueError, KeyError) as exc:
        return record.where.error(DataError(f"cannot read as {format_name}: {exc}", hint="check --format"))


class Admission:
    """The invalid-row policy, applied row by row in source order (the one place it is applied).

    ``fail`` raises a row's error; ``skip`` counts the row and keeps its file:line and reason (the first
    `SKIPPED_KEPT`). An id seen earlier in the stream is an invalid row too (the first occurrence wins).
    The engine's driver admits the rows its workers read with the same object, so a streamed run skips and
    reports exactly what `read_examples` does.
    """

    def __init__(self, on_invalid: OnInvalid = "fail", ids: IdSet | None = None) -> None:
        self.on_invalid = on_invalid
        self.ids = ids if ids is not None else IdSet()
        self.count = 0
        self.skipped_count = 0
        self.skipped: list[tuple[str, str]] = []  # (file:line, reason), the first SKIPPED_KEPT

    def skip(self, where: Location, error: DataError) -> None:
        """Count an invalid row under ``skip``; raise its error under ``fail``."""
        if self.on_invalid != "skip":
            raise error
        self.skipped_count += 1
        if len(self.skipped) < SKIPPED_KEPT:
            self.skipped.append((_where(where), error.reason + (f" (field '{error.field}')" if error.field else "")))

    def admit(self, value: Example | DataError, where: Location, *, key: int | None = None) -> bool:
        """Whether a row goes on: an Example with an id not seen before. ``key`` is the id's `id_key` when
        the caller has it (then ``value`` may be an Example's id instead of the Example)."""
        if isinstance(value, DataError):
            self.skip(where, value)
            return False
        item_id = value if isinstance(value, str) else value.id
        if not self.ids.add_key(key if key is not None else id_key(item_id)):
            self.skip(where, where.error(duplicate_id(item_id)))
            return False
        self.count += 1
        return True


def duplicate_id(item_id: str) -> DataError:
    return DataError(f"duplicate id {item_id!r}", field="id", hint="ids must be unique within a dataset")


def no_items(name: str, *, readable: bool, skipped: int) -> DataError:
    """The error of a source that yields nothing: no readable record at all, or none that converted."""
    if not readable:
        extra = f" ({skipped} invalid rows skipped)" if skipped else ""
        return DataError(f"no items in {name}{extra}", hint="check the file, or the subsets and limits selected")
    return DataError(f"no valid items in {name} ({skipped} invalid rows skipped)",
                     hint="see the reasons with --on-invalid fail")


@dataclass
class ExampleStream:
    """An iterator of Examples that also says which format it was read as (after the first item), how many
    items it yielded and which rows it skipped."""

    source: str
    format: str | None = None
    split: str | None = None
    on_invalid: OnInvalid = "fail"
    config: str | None = None
    subset: str | None = None  # replaces each item's subset (hub datasets whose parts name the subset)
    display: str | None = None  # how to name the source in messages (a hub id read from a mirror copy)
    hub: bool = False  # ``source`` is a hub id to load online
    count: int = 0
    skipped_count: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file:line, reason), first SKIPPED_KEPT
    _adapter: Adapter | None = field(default=None, init=False, repr=False)

    @property
    def label(self) -> str:
        """What adapters see as the source name (LLMBar takes its subset and ids from it)."""
        return f"{self.source}/{self.split or self.config}" if self.hub and (self.split or self.config) else self.source

    def __iter__(self) -> Iterator[Example]:
        admission = Admission(self.on_invalid)
        name = self.display or self.source
        records = iter_records(self.source, split=self.split, skip_invalid=self.on_invalid == "skip",
                               config=self.config)
        if self.format is not None:
            self._adapter = ADAPTERS.get(self.format)
        self.count = self.skipped_count = 0
        self.skipped = admission.skipped
        first = next(records, None)
        while first is not None and first.error is not None:  # skipped rows before the first readable one
            admission.skip(first.where, first.error)
            self.skipped_count = admission.skipped_count
            first = next(records, None)
        if first is None:
            raise no_items(name, readable=False, skipped=admission.skipped_count)
        if self._adapter is None:
            self._adapter = detect_format(first.data, source=name)
            self.format = self._adapter.name
        convert, label = self._adapter.convert, self.label
        for record in itertools.chain([first], records):
            value = convert_record(convert, record, label, self.format)
            admitted = admission.admit(value, record.where)
            self.skipped_count = admission.skipped_count
            if not admitted:
                continue
            example = value
            if self.subset is not None and example.subset != self.subset:
                example = example.replace(subset=self.subset)
            self.count += 1
            yield example
        if self.count == 0:
            raise no_items(name, readable=True, skipped=admission.skipped_count)


def read_examples(source: str | os.PathLike[str], *, format: str | None = None, split: str | None = None,
                  on_invalid: OnInvalid = "fail") -> ExampleStream:
    """Stream the Examples of a source (``"sample"`` = the bundled set).

    Args:
        source: a .json/.jsonl/.parquet file, a saved `datasets` folder, a hub id, or "sample".
        format: an adapter name (see ``judgekit ls formats``); detected from the fields when None.
        split: split to read from a `datasets` DatasetDict or hub dataset.
        on_invalid: "fail" (default) raises on the first invalid row; "skip" skips and counts them.
    """
    if format is not None and format not in ADAPTERS:
        raise RegistryError(ADAPTERS.unknown_message(format))
    if on_invalid not in ("fail", "skip"):
        raise DataError(f"on_invalid must be 'fail' or 'skip', got {on_invalid!r}")
    return ExampleStream(resolve_source(source), format, split, on_invalid)


def load_examples(source: str | os.PathLike[str], *, format: str | None = None, split: str | None = None) -> list[Example]:
    """Read a whole source into memory (see `read_examples`)."""
    return list(read_examples(source, format=format, split=split))
