"""The stages of `judgekit transform` (they run in workers): transform and encode, and the pool's first pass.

Each source row becomes one `ItemResult`: the original as a JSON line, one JSON line per transform that
applied, and why the others did not. `ItemPacker` turns a chunk's results into a `Packed` chunk (one bytes
blob per output file) that the driver admits (invalid rows, duplicate ids) and appends in chunk order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from judgekit.data.example import Example
from judgekit.engine.commit import Packed, RowHead, example_line, pack_lines, row_head
from judgekit.engine.pipeline import ChunkSpec, Shared
from judgekit.engine.sources import SourceRow
from judgekit.engine.stages import Stage
from judgekit.transforms.base import Transform
from judgekit.transforms.engine import transform_one
from judgekit.transforms.pool import code_language, first_snippet


class ItemResult(NamedTuple):
    head: RowHead
    outputs: tuple[str | None, ...] = ()  # the original's JSON line, then each transform's (None: not "ok")
    notes: tuple[tuple[str, str] | None, ...] = ()  # per transform: None when "ok", else ("na"|"fail", why)


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


@dataclass(frozen=True)
class ItemPacker:
    """Packs a chunk's `ItemResult`s into the originals' file and one file per transform (the pipeline's
    ``pack``); the transforms' n/a and failed items go to the side lists ``na.<i>`` and ``failed.<i>``."""

    files: tuple[str, ...]  # the originals' file, then one per transform

    def __call__(self, spec: ChunkSpec, rows: list[ItemResult]) -> Packed:
        columns: dict[str, list[tuple[int, str]]] = {name: [] for name in self.files}
        notes: dict[str, list[tuple[int, Any]]] = {}
        heads, position = [], 0
        for result in rows:
            heads.append(result.head)
            if not result.outputs:
                continue
            item_id = result.head[1]
            for name, text in zip(self.files, result.outputs, strict=True):
                if text is not None:
                    columns[name].append((position, text))
            for column, note in enumerate(result.notes):
                if note is not None:
                    kind = "na" if note[0] == "na" else "failed"
                    notes.setdefault(f"{kind}.{column}", []).append((position, [item_id, note[1]]))
            position += 1
        return Packed(spec.index, heads, pack_lines(columns), notes)

    merge = staticmethod(Packed.merge)


# -- the pool's first pass ---------------------------------------------------------------------------
def pool_entries(rows: list[SourceRow]) -> list[tuple[RowHead, tuple]]:
    """Per row what `Pool.build` keeps: the id, the prompt, the first code block and its language."""
    out = []
    for row in rows:
        head = row_head(row)
        example = row.value
        out.append((head, pool_entry(example) if isinstance(example, Example) else ()))
    return out


def pool_entry(example: Example) -> tuple[str, str, str, str]:
    """One item's pool entry: (id, instruction, code language or "", first code block or "")."""
    language = code_language(example)
    snippet = first_snippet(example, language)
    return example.id, example.prompt_text, language if snippet else "", snippet


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
