"""The stages of `judgekit transform` (they run in workers): transform and encode, and the pool's first pass.

Each source row becomes one `ItemResult`: the original as a JSON line, one JSON line per transform that
applied, and why the others did not. `pack_items` turns a chunk's results into a `PackedChunk` (one
bytes blob per output file) that the driver appends in chunk order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from judgekit.data.invalid import InvalidRow
from judgekit.engine.idset import id_keys
from judgekit.engine.pipeline import ChunkSpec, Shared
from judgekit.engine.sources import SourceRow
from judgekit.engine.stages import Stage
from judgekit.transforms.base import Transform
from judgekit.transforms.engine import transform_one
from judgekit.transforms.pool import code_language, first_snippet


class ItemResult(NamedTuple):
    row: int
    line: int | None
    id: str | None
    invalid: InvalidRow | None
    outputs: tuple[str | None, ...] = ()  # the original's JSON line, then each transform's (None: not "ok")
    notes: tuple[tuple[str, str] | None, ...] = ()  # per transform: None when "ok", else ("na"|"fail", why)


def _line(example: Any) -> str:
    # the same bytes as judgekit.data.writers' JSONL writer
    return json.dumps(example.to_dict(), ensure_ascii=False)


class TransformStage(Stage):
    """Apply each rule-based transform to each row (`transform_one`) and encode the results.

    ``pool`` is the dataset pool (`CompactPool`) shared once per worker, for transforms that borrow
    from other items; setup fetches it.
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
            example = row.example
            if example is None:
                results.append(ItemResult(row.row, row.line, None, row.invalid))
                continue
            outputs: list[str | None] = [_line(example)]
            notes: list[tuple[str, str] | None] = []
            for transform, display in zip(self.transforms, self.displays, strict=True):
                kind, value = transform_one(transform, display, self.seed, example, self._pool)
                if kind == "ok":
                    outputs.append(_line(value))
                    notes.append(None)
                else:
                    outputs.append(None)
                    notes.append((kind, value))
            results.append(ItemResult(row.row, row.line, example.id, None, tuple(outputs), tuple(notes)))
        return results


@dataclass
class PackedChunk:
    """A chunk's results as the driver appends them: per output file one blob of JSON lines."""

    index: int
    items: list[tuple[int, int | None, str | None, InvalidRow | None]]  # every source row, in order
    keys: bytes  # 16-byte id keys of the valid rows, in order
    blobs: list[bytes]  # original first, then one per transform
    oks: list[tuple[bool, ...]]  # per valid row: which transforms wrote a line
    notes: list[list[tuple[int, str, str, str]]]  # per transform: (row, id, "na"|"fail", why)


@dataclass(frozen=True)
class ItemPacker:
    """Packs a chunk's `ItemResult`s for ``transforms`` transforms (the pipeline's ``pack``)."""

    transforms: int

    def __call__(self, spec: ChunkSpec, rows: list[ItemResult]) -> PackedChunk:
        lines: list[list[str]] = [[] for _ in range(self.transforms + 1)]
        notes: list[list[tuple[int, str, str, str]]] = [[] for _ in range(self.transforms)]
        items, oks, valid_ids = [], [], []
        for result in rows:
            items.append((result.row, result.line, result.id, result.invalid))
            if result.invalid is not None:
                continue
            valid_ids.append(result.id)
            for column, text in enumerate(result.outputs):
                if text is not None:
                    lines[column].append(text)
            for column, note in enumerate(result.notes):
                if note is not None:
                    notes[column].append((result.row, result.id, note[0], note[1]))
            oks.append(tuple(note is None for note in result.notes))
        blobs = [("\n".join(column) + "\n").encode("utf-8") if column else b"" for column in lines]
        return PackedChunk(spec.index, items, id_keys(valid_ids), blobs, oks, notes)

    @staticmethod
    def merge(parts: list[PackedChunk]) -> PackedChunk:
        """One chunk from consecutive parts of it (Ray may split a chunk across blocks)."""
        first = parts[0]
        return PackedChunk(first.index, [i for p in parts for i in p.items], b"".join(p.keys for p in parts),
                           [b"".join(p.blobs[c] for p in parts) for c in range(len(first.blobs))],
                           [o for p in parts for o in p.oks],
                           [[n for p in parts for n in p.notes[c]] for c in range(len(first.notes))])


# -- the pool's first pass ---------------------------------------------------------------------------
def pool_entries(rows: list[SourceRow]) -> list[tuple[int, int | None, str | None, InvalidRow | None, tuple]]:
    """Per row what `Pool.build` keeps: the id, the prompt, the first code block and its language."""
    out = []
    for row in rows:
        example = row.example
        if example is None:
            out.append((row.row, row.line, None, row.invalid, ()))
            continue
        snippet = first_snippet(example)
        language = code_language(example) if snippet else ""
        out.append((row.row, row.line, example.id, None, (example.id, example.prompt_text, language, snippet)))
    return out


@dataclass
class PackedPool:
    index: int
    items: list[tuple[int, int | None, str | None, InvalidRow | None]]
    keys: bytes
    entries: list[tuple[str, str, str, str]]  # valid rows, in order


class PoolPacker:
    """Packs the first pass's rows (the pipeline's ``pack``)."""

    def __call__(self, spec: ChunkSpec, rows: list[tuple]) -> PackedPool:
        items = [(row, line, example_id, invalid) for row, line, example_id, invalid, _ in rows]
        entries = [entry for *_, invalid, entry in rows if invalid is None]
        return PackedPool(spec.index, items, id_keys(e[0] for e in entries), entries)

    @staticmethod
    def merge(parts: list[PackedPool]) -> PackedPool:
        return PackedPool(parts[0].index, [i for p in parts for i in p.items], b"".join(p.keys for p in parts),
                          [e for p in parts for e in p.entries])
