"""A compact set of item ids for duplicate checks on streams of any length.

Ids are stored as 64-bit BLAKE2b keys in an open-addressing table (an ``array('Q')``, at most half full:
8 to 16 bytes per id), so checking 10 million ids costs about 160 MB instead of the gigabyte a Python set
of strings takes. The keys are the same in every process, so a worker can compute them and a resumed run
can reload the keys it saved (`keys_bytes` / `from_keys`). Two different ids share a key with probability
~n^2/2^65 (about 3e-6 for 10 million), which would be reported as a duplicate: the message says so.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable


def id_key(item_id: str) -> int:
    """The 64-bit key of an id (never 0: 0 marks an empty slot)."""
    digest = hashlib.blake2b(item_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


def keys_bytes(keys: Iterable[int]) -> bytes:
    """Keys as 8 bytes each (what a run saves to reload its set on resume)."""
    return array("Q", keys).tobytes()


class IdSet:
    def __init__(self, capacity: int = 1 << 12) -> None:
        size = 1
        while size < capacity * 2:
            size <<= 1
        self._table = array("Q", bytes(8 * size))
        self._mask = size - 1
        self.count = 0

    @classmethod
    def from_keys(cls, data: bytes) -> IdSet:
        """The set of keys saved with `keys_bytes`."""
        keys = array("Q")
        keys.frombytes(data)
        ids = cls(capacity=max(len(keys), 1 << 12))
        for key in keys:
            ids.add_key(key)
        return ids

    def add(self, item_id: str) -> bool:
        """Add an id; False when it (or an id with the same 64-bit key) was already there."""
        return self.add_key(id_key(item_id))

    def add_key(self, value: int) -> bool:
        """`add` for a key computed elsewhere (`id_key`)."""
        table = self._table
        slot = value & self._mask
        while True:
            current = table[slot]
            if current == 0:
                break
            if current == value:
                return False
            slot = (slot + 1) & self._mask
        table[slot] = value
        self.count += 1
        if self.count * 2 > len(table):
            self._grow()
        return True

    def __contains__(self, item_id: str) -> bool:
        value = id_key(item_id)
        slot = value & self._mask
        while True:
            current = self._table[slot]
            if current == 0:
                return False
            if current == value:
                return True
            slot = (slot + 1) & self._mask

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        return len(self._table) * 8

    def _grow(self) -> None:
        old = [v for v in self._table if v]
        self._table = array("Q", bytes(16 * len(self._table)))
        self._mask = len(self._table) - 1
        table, mask = self._table, self._mask
        for value in old:
            slot = value & mask
            while table[slot]:
                slot = (slot + 1) & mask
            table[slot] = value
