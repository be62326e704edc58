"""Duplicate-id detection in 16 bytes per item: sorted runs of 128-bit id hashes (a log-structured set).

A Python ``set`` of 10^7 id strings takes over a gigabyte; this takes 160 MB, and adding a chunk costs a
binary search per run (O(log^2 N) per id) plus amortised merges. Ids are compared by BLAKE2b-128 hashes:
two different ids are taken for the same one only on a 128-bit collision (probability about N^2 / 2^129,
below 10^-24 for 10^7 items).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

import numpy as np

KEY = np.dtype("S16")


def id_keys(ids: Iterable[str]) -> bytes:
    """The 16-byte keys of ``ids``, concatenated (what a worker sends with a chunk)."""
    return b"".join(hashlib.blake2b(i.encode("utf-8"), digest_size=16).digest() for i in ids)


class IdSet:
    """Keys seen so far, as a few sorted numpy runs; `add` says which new keys were seen before."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(run) for run in self._runs)

    @property
    def nbytes(self) -> int:
        return sum(run.nbytes for run in self._runs)

    def add(self, keys: bytes) -> np.ndarray:
        """Add a chunk's keys (in row order); True where a key was seen earlier (in a previous chunk or
        earlier in this one). Only first occurrences are kept."""
        new = np.frombuffer(keys, dtype=KEY)
        seen = np.zeros(len(new), dtype=bool)
        if not len(new):
            return seen
        for run in self._runs:
            index = np.searchsorted(run, new)
            inside = index < len(run)
            seen[inside] |= run[index[inside]] == new[inside]
        order = np.argsort(new, kind="stable")
        ordered = new[order]
        repeat = np.zeros(len(new), dtype=bool)
        repeat[1:] = ordered[1:] == ordered[:-1]
        seen[order[repeat]] = True
        fresh = ordered[~repeat & ~seen[order]]
        if len(fresh):
            self._push(fresh.copy())
        return seen

    def _push(self, run: np.ndarray) -> None:
        self._runs.append(run)
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            top, below = self._runs.pop(), self._runs.pop()
            merged = np.concatenate([below, top])
            merged.sort(kind="stable")
            self._runs.append(merged)

    # -- persistence (a resumed run reloads what its committed chunks added) -----------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str], size: int) -> IdSet:
        """The set of the first ``size`` bytes of a file of appended keys."""
        ids = cls()
        if size:
            with open(path, "rb") as handle:
                run = np.frombuffer(handle.read(size), dtype=KEY).copy()
            run.sort(kind="stable")
            ids._runs.append(run)
        return ids
