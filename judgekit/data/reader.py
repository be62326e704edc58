"""Read any supported source into `Example`s, streaming, with located errors.

A source is a local file or folder, a hub id (through the local mirror when ``JUDGEKIT_DATA_MIRROR`` is set,
see judgekit.data.hub), or ``sample`` (the bundled set). Invalid rows fail the read by default; with
``on_invalid="skip"`` they are skipped, counted and kept with their location and reason. A source with
no items at all is an error: an empty run is never a success.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from judgekit.data.adapters import ADAPTERS, Adapter, detect_format
from judgekit.data.example import Example
from judgekit.data.idset import IdSet
from judgekit.data.sources import Location, iter_records
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

    def _skip(self, location: Location, error: DataError) -> None:
        self.skipped_count += 1
        if len(self.skipped) < SKIPPED_KEPT:
            self.skipped.append((_where(location), error.reason + (f" (field '{error.field}')" if error.field else "")))

    def __iter__(self) -> Iterator[Example]:
        skip = self.on_invalid == "skip"
        name = self.display or self.source
        records = iter_records(self.source, split=self.split, skip_invalid=skip, config=self.config)
        if self.format is not None:
            self._adapter = ADAPTERS.get(self.format)
        self.count = self.skipped_count = 0
        self.skipped = []
        first = next(records, None)
        while first is not None and first.error is not None:  # skipped rows before the first readable one
            self._skip(first.where, first.error)
            first = next(records, None)
        if first is None:
            extra = f" ({self.skipped_count} invalid rows skipped)" if self.skipped_count else ""
            raise DataError(f"no items in {name}{extra}", hint="check the file, or the subsets and limits selected")
        if self._adapter is None:
            self._adapter = detect_format(first.data, source=name)
            self.format = self._adapter.name
        seen = IdSet()
        convert = self._adapter.convert
        # what adapters see as the source name (LLMBar takes its subset and ids from it)
        label = f"{self.source}/{self.split or self.config}" if self.hub and (self.split or self.config) else self.source
        for record in itertools.chain([first], records):
            if record.error is not None:
                self._skip(record.where, record.error)
                continue
            try:
                example = convert(record.data, record.where.row, label)
                if not seen.add(example.id):
                    raise DataError(f"duplicate id {example.id!r}", field="id", hint="ids must be unique within a dataset")
            except DataError as exc:
                if skip:
                    self._skip(record.where, exc)
                    continue
                raise record.where.error(exc) from None
            except (TypeError, ValueError, KeyError) as exc:
                error = DataError(f"cannot read as {self.format}: {exc}", hint="check --format")
                if skip:
                    self._skip(record.where, error)
                    continue
                raise record.where.error(error) from None
            if self.subset is not None and example.subset != self.subset:
                example = example.replace(subset=self.subset)
            self.count += 1
            yield example
        if self.count == 0:
            raise DataError(f"no valid items in {name} ({self.skipped_count} invalid rows skipped)",
                            hint="see the reasons with --on-invalid fail")


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
