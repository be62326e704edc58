"""Training data preparation that streams: items -> pairs (+ rewrites) in bounded chunks, onto disk.

`prepare_pairs` reads the selected items chunk by chunk, expands each chunk into pairs, rewrites the items
of the chunk with the configured transforms, looks their dataset rewrites up in an on-disk index, and
appends the finished pairs to ``pairs.jsonl`` in a working folder. Training reads them back one by one
(`PairFile` is a map-style dataset: one file offset per pair), so memory does not grow with the number of
items. The pairs, their order, their rewrites and every count in the report are exactly what the in-memory
functions of `judgekit.data.pairs` give (`build_pairs` + `attach_variants`; tested for any chunk size):

- ``pairs.limit`` draws from the whole list of pairs: a first pass counts them (only when a limit is set);
- transforms that borrow from other items (ignore-above, ...) see every item that has a kept pair, as they do
  in memory: a pass builds that pool on disk (only when such a transform is configured);
- dataset rewrites (``variants.sources``) are indexed once in SQLite by the id of the item they rewrite.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from judgekit.data.example import Example, Message
from judgekit.data.pairs import PairReport, TrainPair, Variant, attach_variants, item_pairs
from judgekit.data.selection import SelectedExamples, select_examples
from judgekit.errors import DataError

CHUNK_ITEMS = 1024


# -- the file of prepared pairs ------------------------------------------------------------------------------
def pair_to_json(pair: TrainPair) -> str:
    def prompt(messages: tuple[Message, ...]) -> list[list[str]]:
        return [[m.role, m.content] for m in messages]

    return json.dumps([pair.id, prompt(pair.prompt), pair.chosen, pair.rejected, pair.margin, pair.chosen_score,
                       pair.rejected_score, [[prompt(v.prompt), v.chosen, v.rejected, v.origin] for v in pair.variants]],
                      ensure_ascii=False)


def pair_from_json(line: str | bytes) -> TrainPair:
    def prompt(rows: list[list[str]]) -> tuple[Message, ...]:
        return tuple(Message(role, content) for role, content in rows)

    pid, messages, chosen, rejected, margin, chosen_score, rejected_score, variants = json.loads(line)
    return TrainPair(pid, prompt(messages), chosen, rejected, margin, chosen_score, rejected_score,
                     tuple(Variant(prompt(p), c, r, o) for p, c, r, o in variants))


class PairFile:
    """Prepared pairs on disk, read by index (a map-style dataset for the Trainer).

    ``pairs.jsonl`` holds one pair per line; ``pairs.offsets`` the byte offset of each line (uint64), read
    through a memory map. The file handle is opened lazily, so the object pickles into DataLoader workers.
    """

    def __init__(self, folder: Path) -> None:
        import numpy as np

        self.folder = Path(folder)
        self.offsets = np.memmap(self.folder / "pairs.offsets", dtype="<u8", mode="r") \
            if (self.folder / "pairs.offsets").stat().st_size else np.zeros(0, dtype="<u8")
        self._handle: Any = None

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, index: int) -> TrainPair:
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        if self._handle is None:
            self._handle = open(self.folder / "pairs.jsonl", "rb")  # noqa: SIM115 (kept open for every read)
        self._handle.seek(int(self.offsets[index]))
        return pair_from_json(self._handle.readline())

    def __iter__(self) -> Iterator[TrainPair]:
        with open(self.folder / "pairs.jsonl", "rb") as handle:
            for line in handle:
                yield pair_from_json(line)

    def __getstate__(self) -> dict[str, Any]:
        return {"folder": self.folder}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["folder"])  # type: ignore[misc]


class _PairWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lines = open(folder / "pairs.jsonl", "wb")  # noqa: SIM115 (closed in close())
        self.offsets = open(folder / "pairs.offsets", "wb")  # noqa: SIM115
        self.count = 0

    def write(self, pairs: Iterable[TrainPair]) -> None:
        for pair in pairs:
            self.offsets.write(self.lines.tell().to_bytes(8, "little"))
            self.lines.write(pair_to_json(pair).encode() + b"\n")
            self.count += 1

    def close(self) -> None:
        self.lines.close()
        self.offsets.close()


# -- dataset rewrites, indexed by the item they rewrite -------------------------------------------------------
class VariantIndex:
    """``variants.sources`` in SQLite: per original item id, its rewrites in (source, file order)."""

    def __init__(self, path: Path, sources: list[str], counts: Counter) -> None:
        from judgekit.data import read_examples
        from judgekit.data.pairs import source_id
        from judgekit.train.variants import variant_files

        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE variants (item TEXT, origin INTEGER, seq INTEGER, record TEXT)")
        self.origins: list[str] = []
        self.sizes: dict[str, int] = {}
        for name, file in variant_files(sources, counts):
            rank = len(self.origins)
            self.origins.append(name)
            rows = ((source_id(e), rank, seq, json.dumps(e.to_dict(), ensure_ascii=False))
                    for seq, e in enumerate(read_examples(file)))
            before = self.db.total_changes
            self.db.executemany("INSERT INTO variants VALUES (?, ?, ?, ?)", rows)
            self.sizes[name] = self.db.total_changes - before
        self.db.execute("CREATE INDEX by_item ON variants (item, origin, seq)")
        self.db.commit()

    def lookup(self, item_ids: list[str]) -> dict[str, list[Example]]:
        """{origin: rewrites of these items}, origins in source order, rewrites in file order."""
        found: dict[int, list[tuple[int, str]]] = {}
        for start in range(0, len(item_ids), 500):
            batch = item_ids[start:start + 500]
            marks = ",".join("?" * len(batch))
            for origin, seq, record in self.db.execute(
                    f"SELECT origin, seq, record FROM variants WHERE item IN ({marks})", batch):
                found.setdefault(origin, []).append((seq, record))
        return {self.origins[o]: [Example.from_dict(json.loads(r)) for _, r in sorted(found[o])] for o in sorted(found)}

    def close(self) -> None:
        self.db.close()


# -- preparation -----------------------------------------------------------------------------------------
def _chunks(examples: Iterable[Example], size: int) -> Iterator[list[Example]]:
    chunk: list[Example] = []
    for example in examples:
        chunk.append(example)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Kept:
    """Which pairs survive ``pairs.limit``: the same seeded draw as `build_pairs`, walked in order."""

    def __init__(self, config: Any, report: PairReport) -> None:
        from judgekit.data.pairs import index_pairs, limit_draw

        self.limit = config.pairs.limit
        self.keep: list[int] | None = None
        self.reset()
        if self.limit is not None:
            total = sum(len(index_pairs(e, config.pairs, config.seed))
                        for e in select_examples(config.data, base=config.base_dir))
            if total > self.limit:
                report.left_out["over pairs.limit"] += total - self.limit
                self.keep = limit_draw(total, self.limit, config.seed)

    def reset(self) -> None:
        self.next = self.position = 0

    def filter(self, pairs: list[TrainPair]) -> list[TrainPair]:
        if self.keep is None:
            return pairs
        kept = []
        for pair in pairs:
            if self.next < len(self.keep) and self.keep[self.next] == self.position:
                kept.append(pair)
                self.next += 1
            self.position += 1
        return kept


def _item_pairs(examples: list[Example], config: Any, kept: _Kept) -> list[TrainPair]:
    return kept.filter([p for e in examples for p in item_pairs(e, config.pairs, config.seed)])


def _pool(config: Any, folder: Path, kept: _Kept) -> Any:
    """What pool-borrowing transforms see: every item with a kept pair (as `run_transforms` in memory)."""
    from judgekit.engine.pool import PoolBuilder
    from judgekit.engine.transform_stages import pool_entry

    builder = PoolBuilder(folder / "pool.bin")
    for chunk in _chunks(select_examples(config.data, base=config.base_dir), CHUNK_ITEMS):
        used = _used(chunk, _item_pairs(chunk, config, kept))
        builder.add([pool_entry(e) for e in used])
    kept.reset()
    return builder.build()


def _used(chunk: list[Example], pairs: list[TrainPair]) -> list[Example]:
    ids = {p.id.rpartition("#")[0] for p in pairs}
    return [e for e in chunk if e.id in ids]


def prepare_pairs(config: Any, report: PairReport, folder: Path, *, chunk_items: int = CHUNK_ITEMS,
                  every_rewrite: bool = False) -> tuple[PairFile, dict[str, Any], SelectedExamples]:
    """Write the pairs to train on into ``folder`` (rewrites attached when the config has variants).

    Args:
        config: a `RewardTrainConfig` or `JudgeSFTConfig` (data, pairs, variants, seed).
        every_rewrite: attach every matching rewrite (judge SFT, as `judgekit.judges.export` does) instead of
            ``variants.per_pair`` drawn with ``variants.seed``.

    Returns the pairs (on disk), the rewrite sets' sizes {origin: items} and the selection that was read.
    """
    from judgekit.train.variants import check_transforms, transform_variants

    folder.mkdir(parents=True, exist_ok=True)
    variants = config.variants
    transforms = check_transforms(variants.transforms) if variants is not None else []
    counts = report.left_out
    index = VariantIndex(folder / "variants.sqlite", list(variants.sources), counts) \
        if variants is not None and variants.sources else None
    kept = _Kept(config, report)
    pool = _pool(config, folder, kept) if any(t.uses_pool for t in transforms) else None
    selected = select_examples(config.data, base=config.base_dir)
    writer = _PairWriter(folder)
    sizes: Counter = Counter()
    try:
        for chunk in _chunks(selected, chunk_items):
            report.items += len(chunk)
            pairs = _item_pairs(chunk, config, kept)
            if variants is not None:
                used = _used(chunk, pairs)
                sets = transform_variants(used, transforms, variants.seed, counts, pool=pool)
                sizes.update({name: len(items) for name, items in sets.items()})
                if index is not None:
                    sets.update(index.lookup([e.id for e in used]))
                pairs = attach_variants(pairs, sets, seed=config.seed if every_rewrite else variants.seed,
                                        per_pair=sys.maxsize if every_rewrite else variants.per_pair, report=report)
            writer.write(pairs)
    finally:
        writer.close()
        if index is not None:
            index.close()
    report.pairs = writer.count
    provenance: dict[str, Any] = {}
    if variants is not None:
        provenance = {**{t.display_name(): sizes[t.display_name()] for t in transforms},
                      **(index.sizes if index is not None else {})}
        if report.pairs_with_variant == 0 and getattr(config, "objective", "standard") != "standard":
            raise DataError(f"no training pair got a rewrite, so objective '{config.objective}' would equal "
                            "'standard'", hint="check variants.transforms (do they apply to this data?) or the "
                            "source ids of variants.sources")
    return PairFile(folder), provenance, selected
