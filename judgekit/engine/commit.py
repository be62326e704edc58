"""Committing packed chunks in order: the invalid-row policy, duplicate ids, appending, journaling.

A command's stages turn each chunk into a `Packed`: per source row its head (where it is, its id or its
error), per output file one blob of lines (with the rows that wrote them), and per note list the entries
to keep on the side (items a transform did not apply to, items a filter dropped, ...). The `Committer`
admits the heads in row order with the reader's `Admission` (for a file whose rows the workers read
themselves), drops the lines and notes of rows it did not admit (repeated ids), appends the rest to the
run's files and journals the chunk (`judgekit.engine.rundir.RunDir`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.data.example import Example
from judgekit.data.idset import IdSet, id_key, keys_bytes
from judgekit.data.reader import SKIPPED_KEPT, Admission, no_items
from judgekit.data.sources import Location
from judgekit.engine.rundir import RunDir
from judgekit.engine.sources import SourcePlan, SourceRow
from judgekit.errors import DataError

IDS = "ids.bin"
SKIPPED = "skipped.jsonl"

# what the driver admits per row: where it is, its id (or its error), whether it was a JSON object, its key
RowHead = tuple[Location, "str | DataError", bool, int]


def row_head(row: SourceRow) -> RowHead:
    value = row.value
    if isinstance(value, DataError):
        return row.where, value, row.readable, 0
    return row.where, value.id, True, id_key(value.id)


def example_line(example: Example) -> str:
    """The same bytes as judgekit.data.writers' JSONL writer (without the newline)."""
    return json.dumps(example.to_dict(), ensure_ascii=False)


@dataclass
class Packed:
    """One chunk's results. Positions count the rows that read (heads without an error), in order."""

    index: int
    heads: list[RowHead]
    files: dict[str, tuple[bytes, list[int]]]  # file -> (lines, the position of the row of each line)
    notes: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)  # list -> (position, entry)
    extra: dict[str, Any] = field(default_factory=dict)  # a stage's own (usage counters, ...)

    @staticmethod
    def merge(parts: list[Packed]) -> Packed:
        """One chunk from consecutive parts of it (Ray may split a chunk across blocks)."""
        heads: list[RowHead] = []
        files: dict[str, tuple[bytes, list[int]]] = {}
        notes: dict[str, list[tuple[int, Any]]] = {}
        offset = 0
        extra: dict[str, Any] = {}
        for part in parts:
            for name, value in part.extra.items():
                if isinstance(value, dict):
                    extra.setdefault(name, {}).update(value)
                else:
                    extra[name] = value
            heads += part.heads
            for name, (blob, rows) in part.files.items():
                have = files.get(name, (b"", []))
                files[name] = (have[0] + blob, have[1] + [offset + r for r in rows])
            for name, entries in part.notes.items():
                notes.setdefault(name, []).extend((offset + r, e) for r, e in entries)
            offset += sum(1 for head in part.heads if not isinstance(head[1], DataError))
        return Packed(parts[0].index, heads, files, notes, extra)


def pack_lines(columns: dict[str, list[tuple[int, str]]]) -> dict[str, tuple[bytes, list[int]]]:
    """Per file (position, line) pairs -> (blob, positions)."""
    return {name: (("\n".join(line for _, line in rows) + "\n").encode("utf-8") if rows else b"",
                   [position for position, _ in rows]) for name, rows in columns.items()}


def _keep_lines(blob: bytes, rows: list[int], keep: list[bool]) -> bytes:
    lines = blob.split(b"\n")[:-1]
    kept = [line for line, row in zip(lines, rows, strict=True) if keep[row]]
    return b"\n".join(kept) + b"\n" if kept else b""


def _jsonl(entries: Sequence[Any]) -> bytes:
    return b"".join(json.dumps(e, ensure_ascii=False).encode("utf-8") + b"\n" for e in entries)


class Committer:
    """The driver's side of a run: admits rows in order and commits packed chunks into the run's files.

    Args:
        files: output files (their line counts are kept in ``state["lines"]``).
        note_lists: names of the side lists (kept under the run's state folder, counted in ``state["notes"]``).
        state: the counters of a resumed run (empty for a fresh one).
    """

    def __init__(self, plan: SourcePlan, rundir: RunDir, files: Sequence[str], note_lists: Sequence[str],
                 state: dict[str, Any]) -> None:
        self.plan, self.rundir = plan, rundir
        self.files, self.note_lists = list(files), list(note_lists)
        self.state = state or {"rows": 0, "readable": False, "items": 0, "skipped": 0,
                               "lines": {name: 0 for name in files}, "notes": {name: 0 for name in note_lists}}
        ids = IdSet.from_keys(rundir.path(IDS).read_bytes()[:rundir.size(IDS)]) if plan.admits else IdSet()
        self.admission = Admission(plan.selection.on_invalid, ids)
        self.admission.count, self.admission.skipped_count = self.state["items"], self.state["skipped"]
        if self.state["skipped"]:
            with open(rundir.path(SKIPPED), encoding="utf-8") as handle:
                self.admission.skipped = [tuple(json.loads(line)) for line in itertools.islice(handle, SKIPPED_KEPT)]

    @staticmethod
    def state_files(note_lists: Sequence[str]) -> list[str]:
        return [IDS, SKIPPED, *(f"notes.{name}.jsonl" for name in note_lists)]

    def commit(self, packed: Packed) -> None:
        keep: list[bool] = []
        keys: list[int] = []
        skipped_before = len(self.admission.skipped)
        for where, value, readable, key in packed.heads:
            self.state["readable"] = self.state["readable"] or readable
            if not self.plan.admits:
                keep.append(True)
                continue
            admitted = self.admission.admit(value, where, key=key or None)
            if not isinstance(value, DataError):
                keep.append(admitted)
                if admitted:
                    keys.append(key)
        appends: dict[str, bytes] = {IDS: keys_bytes(keys)}
        for name in self.files:
            blob, rows = packed.files.get(name, (b"", []))
            if not all(keep):
                blob, rows = _keep_lines(blob, rows, keep), [r for r in rows if keep[r]]
            appends[name] = blob
            self.state["lines"][name] += len(rows)
        for name in self.note_lists:
            entries = [entry for row, entry in packed.notes.get(name, []) if keep[row]]
            appends[f"notes.{name}.jsonl"] = _jsonl(entries)
            self.state["notes"][name] += len(entries)
        appends[SKIPPED] = _jsonl([list(s) for s in self.admission.skipped[skipped_before:]])
        self.state["rows"] += len(packed.heads)
        self.state["items"] += sum(keep)
        self.state["skipped"] = self.admission.skipped_count
        self.rundir.commit(packed.index, appends, self.state)

    def notes(self, name: str) -> Iterator[Any]:
        """The entries of a side list, in row order (read back from its file)."""
        path: Path = self.rundir.path(f"notes.{name}.jsonl")
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)

    def inputs(self) -> list[Any]:
        return self.plan.inputs(self.admission)

    def skipped(self) -> list[tuple[str, str]]:
        return self.plan.skipped(self.admission)


def latest_counters(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """A worker's cumulative counters at their latest: each at its highest (chunks end in any order)."""
    if old is None:
        return new
    merged = dict(new)
    for name, value in old.items():
        if isinstance(value, dict):
            other = new.get(name) or {}
            merged[name] = {k: max(value.get(k, 0), other.get(k, 0)) for k in {*value, *other}}
        elif isinstance(value, int | float) and not isinstance(value, bool):
            merged[name] = max(value, new.get(name, 0))
    return merged


def commit_chunks(executor: Any, pipeline: Any, plan: SourcePlan, committer: Committer, partial: Any, info: Any, *,
                  start: int, before_commit: Any = None, after_commit: Any = None) -> None:
    """Run ``pipeline`` on ``executor`` over the plan's chunks from ``start`` (the first not committed yet) and
    commit each in chunk order (``before_commit(packed)`` / ``after_commit()`` around each commit); marks the
    partial folder worth resuming after the first, counts chunks in ``info`` (a `RunInfo`), and raises
    `no_items` when the input held none."""
    info.resumed_chunks = start
    for _, packed in executor.run(pipeline, plan.iter_chunks(start)):
        if before_commit is not None:
            before_commit(packed)
        committer.commit(packed)
        partial.keep = True
        info.ran_chunks += 1
        if after_commit is not None:
            after_commit()
    info.chunks = info.resumed_chunks + info.ran_chunks
    if committer.state["items"] == 0:
        raise no_items(plan.name, readable=committer.state["readable"], skipped=committer.state["skipped"])
