"""The dataset pool without the dataset in memory: what ignore-above/below and code-append-other borrow.

`judgekit.transforms.pool.Pool` holds every item's prompt and first code block. `CompactPool` answers
the same question (`other(id, rng, language=...)`, the same entry for the same rng) from a first pass:
ids sorted in numpy (bytes of UTF-8 sort in the order of Python strings), offsets into a file of the
borrowed texts, and per-language index arrays. In memory: about ``max id length + 26`` bytes per item;
on disk: the prompts and first code blocks. Texts are read back (``pread``) only when an item borrows one.
"""

from __future__ import annotations

import os
import random
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from judgekit.transforms.pool import PoolEntry


class PoolBuilder:
    """Collects ``(id, instruction, language, snippet)`` in row order (the driver, during the first pass)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file = open(self.path, "wb")  # noqa: SIM115 (open for the whole first pass)
        self._ids: list[np.ndarray] = []
        self._offsets = array("q", [0])
        self._languages = array("H")
        self._names: dict[str, int] = {"": 0}

    def add(self, entries: list[tuple[str, str, str, str]]) -> None:
        if not entries:
            return
        position = self._offsets[-1]
        for _, instruction, language, snippet in entries:
            for text in (instruction, snippet):
                data = text.encode("utf-8")
                self._file.write(data)
                position += len(data)
                self._offsets.append(position)
            self._languages.append(self._names.setdefault(language, len(self._names)))
        self._ids.append(np.array([e[0].encode("utf-8") for e in entries], dtype=bytes))

    def build(self) -> CompactPool:
        self._file.close()
        ids = np.concatenate(self._ids) if self._ids else np.array([], dtype="S1")
        offsets = np.frombuffer(self._offsets, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        languages = np.frombuffer(self._languages, dtype=np.uint16)[order] if len(ids) else np.array([], np.uint16)
        starts, mids, ends = offsets[0:-1:2][order], offsets[1::2][order], offsets[2::2][order]
        names = sorted(self._names, key=self._names.__getitem__)
        return CompactPool(ids[order], starts, mids, ends, languages, names, path=str(self.path))


class CompactPool:
    """`Pool`'s `other` over sorted id arrays; texts come from a file (``path``) or memory (``blob``)."""

    def __init__(self, ids: np.ndarray, starts: np.ndarray, mids: np.ndarray, ends: np.ndarray,
                 languages: np.ndarray, names: list[str], *, path: str | None = None, blob: bytes | None = None):
        self.ids, self.starts, self.mids, self.ends = ids, starts, mids, ends
        self.languages, self.names = languages, names
        self.path, self.blob = path, blob
        self._fd: int | None = None
        self.by_language: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        has_snippet = ends > mids
        for code, name in enumerate(names):
            if name:
                positions = np.nonzero((languages == code) & has_snippet)[0]
                if len(positions):
                    self.by_language[name] = (positions, ids[positions])

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        arrays = [self.ids, self.starts, self.mids, self.ends, self.languages]
        arrays += [a for pair in self.by_language.values() for a in pair]
        return sum(a.nbytes for a in arrays)

    def in_memory(self) -> CompactPool:
        """The same pool with its texts loaded (what is shipped to workers on other machines)."""
        blob = self.blob if self.blob is not None else Path(self.path or "").read_bytes()
        return CompactPool(self.ids, self.starts, self.mids, self.ends, self.languages, self.names, blob=blob)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_fd"] = None
        return state

    def _text(self, start: int, end: int) -> str:
        if end <= start:
            return ""
        if self.blob is not None:
            return self.blob[start:end].decode("utf-8")
        if self._fd is None:
            self._fd = os.open(self.path or "", os.O_RDONLY)
        return os.pread(self._fd, end - start, start).decode("utf-8")

    def entry(self, index: int) -> PoolEntry:
        code = int(self.languages[index])
        snippet = self._text(int(self.mids[index]), int(self.ends[index]))
        return PoolEntry(self.ids[index].decode("utf-8"), self._text(int(self.starts[index]), int(self.mids[index])),
                         self.names[code] if snippet else "", snippet)

    def other(self, example_id: str, rng: random.Random, *, language: str | None = None) -> PoolEntry | None:
        """A uniformly chosen entry other than ``example_id``, exactly as `Pool.other` chooses it."""
        if language is None:
            positions, candidates = None, self.ids
        elif language in self.by_language:
            positions, candidates = self.by_language[language]
        else:
            return None
        key = example_id.encode("utf-8")
        index = _bisect_left(candidates, key)
        present = index < len(candidates) and candidates[index] == key
        count = len(candidates) - present
        if count <= 0:
            return None
        pick = rng.randrange(count)
        if present and pick >= index:
            pick += 1
        return self.entry(pick if positions is None else int(positions[pick]))


def _bisect_left(sorted_ids: np.ndarray, key: bytes) -> int:
    width = sorted_ids.dtype.itemsize
    if len(key) <= width:
        return int(np.searchsorted(sorted_ids, np.array(key, dtype=sorted_ids.dtype), side="left"))
    # longer than every id: it sorts after everything its first `width` bytes are equal to or greater than
    return int(np.searchsorted(sorted_ids, np.array(key[:width], dtype=sorted_ids.dtype), side="right"))
