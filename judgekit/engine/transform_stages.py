"""The stages of `judgekit transform` (they run in workers): transform and encode, and the pool's first pass.

Each source row becomes one `ItemResult`: the original as a JSON line, one JSON line per transform that
applied, and why the others did not. `ItemPacker` turns a chunk's results into a `PackedChunk` (one bytes
blob per output file) that the driver admits (invalid rows, duplicate ids) and appends in chunk order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from judgekit.data.example import Example
from judgekit.data.idset import id_key
from judgekit.data.sources import Location
from judgekit.engine.pipeline import ChunkSpec, Shared
from judgekit.engine.sources import SourceRow
from judgekit.engine.stages import Stage
from judgekit.errors import DataError
from judgekit.transforms.base import Transform
from judgekit.transforms.engine import transform_one
from judgekit.transforms.pool import code_language, first_snippet

# what the driver admits per row: where it is, its id (or its error), whether it was a JSON object, its key
RowHead = tuple[Location, "str | DataError", bool, int]


class ItemResult(NamedTuple):
    head: RowHead
    outputs: tuple[str | None, ...] = ()  # the original's JSON line, then each transform's (None: not "ok")
    notes: tuple[tuple[str, str] | None, ...] = ()  # per transform: None when "ok", else ("na"|"fail", why)


def example_line(example: Example) -> str:
    """The same bytes as judgekit.data.writers' JSONL writer (without the newline)."""
    return json.dumps(example.to_dict(), ensure_ascii=False)


def row_head(row: SourceRow) -> RowHead:
    value = row.value
    if isinstance(value, DataError):
        return row.where, value, row.readable, 0
    return row.where, value.id, True, id_key(value.id)


class TransformStage(Stage):
    """Apply each rule-based transform to each row (`transform_one`) and encode the results.

    ``pool`` is the dataset pool (`CompactPool`) shared once per worker, for transforms that borrow from
    other items; setup fetches it.
    """

    name = "transform"

    def __init__(self, transforms: list[Transform], seed: int, pool: Shared | None = None) -> None:
        self.transforms = list(transforms)
        self.displays = [t.display_name() for t in self.transforms]
        self.seed = seed
        self.shared_pool = pool
        self._pool: Any = None

    def setup(self) -> None:
        self._pool = self.shared_pool.get() if self.shared_pool is not None else None

    @property
    def has_setup(self) -> bool:
        return self.shared_pool is not None

    def process(self, rows: list[SourceRow]) -> list[ItemResult]:
        results = []
        for row in rows:
            head = row_head(row)
            example = row.value
            if not isinstance(example, Example):
                results.append(ItemResult(head))
                continue
            outputs: list[str | None] = [example_line(example)]
            notes: list[tuple[str, str] | None] = []
            for transform, display in zip(self.transforms, self.displays, strict=True):
                kind, value = transform_one(transform, display, self.seed, example, self._pool)
                if kind == "ok":
                    outputs.append(example_line(value))
                    notes.append(None)
                else:
                    outputs.append(None)
                    notes.append((kind, value))
            results.append(ItemResult(head, tuple(outputs), tuple(notes)))
        return results


@dataclass
class PackedChunk:
    """A chunk's results as the driver admits and appends them: per output file one blob of JSON lines."""

    index: int
    heads: list[RowHead]  # every source row, in order
    blobs: list[bytes]  # the originals, then one per transform (rows that read only)
    oks: list[tuple[bool, ...]]  # per row that read: which transforms wrote a line
    notes: list[tuple[tuple[str, str] | None, ...]]  # per row that read: per transform None or (kind, why)


@dataclass(frozen=True)
class ItemPacker:
    """Packs a chunk's `ItemResult`s for ``transforms`` transforms (the pipeline's ``pack``)."""

    transforms: int

    def __call__(self, spec: ChunkSpec, rows: list[ItemResult]) -> PackedChunk:
        columns: list[list[str]] = [[] for _ in range(self.transforms + 1)]
        heads, oks, notes = [], [], []
        for result in rows:
            heads.append(result.head)
            if not result.outputs:
                continue
            for column, text in enumerate(result.outputs):
                if text is not None:
                    columns[column].append(text)
            oks.append(tuple(note is None for note in result.notes))
            notes.append(result.notes)
        blobs = [("\n".join(column) + "\n").encode("utf-8") if column else b"" for column in columns]
        return PackedChunk(spec.index, heads, blobs, oks, notes)

    @staticmethod
    def merge(parts: list[PackedChunk]) -> PackedChunk:
        """One chunk from consecutive parts of it (Ray may split a chunk across blocks)."""
        first = parts[0]
        return PackedChunk(first.index, [h for p in parts for h in p.heads],
                           [b"".join(p.blobs[c] for p in parts) for c in range(len(first.blobs))],
                           [o for p in parts for o in p.oks], [n for p in parts for n in p.notes])


# -- the pool's first pass ---------------------------------------------------------------------------
def pool_entries(rows: list[SourceRow]) -> list[tuple[RowHead, tuple]]:
    """Per row what `Pool.build` keeps: the id, the prompt, the first code block and its language."""
    out = []
    for row in rows:
        head = row_head(row)
        example = row.value
        if not isinstance(example, Example):
            out.append((head, ()))
            continue
        language = code_language(example)
        snippet = first_snippet(example, language)
        out.append((head, (example.id, example.prompt_text, language if snippet else "", snippet)))
    return out


@dataclass
class PackedPool:
    index: int
    heads: list[RowHead]
    entries: list[tuple]  # per row: () for an invalid row, else (id, instruction, language, snippet)


class PoolPacker:
    """Packs the first pass's rows (the pipeline's ``pack``)."""

    def __call__(self, spec: ChunkSpec, rows: list[tuple[RowHead, tuple]]) -> PackedPool:
        return PackedPool(spec.index, [h for h, _ in rows], [e for _, e in rows])

    @staticmethod
    def merge(parts: list[PackedPool]) -> PackedPool:
        return PackedPool(parts[0].index, [h for p in parts for h in p.heads], [e for p in parts for e in p.entries])
