"""A compact set of item ids for duplicate checks on streams of any length.

Ids are stored as 64-bit hashes (Python's string hash) in an open-addressing table (an ``array('Q')``, 16 bytes per id at most), so checking
10 million ids costs about 160 MB instead of the gigabyte a Python set of strings takes. Two different ids
share a 64-bit hash with probability ~n^2/2^65 (about 3e-6 for 10 million), which would be reported as a
duplicate: the message says so.
"""

from __future__ import annotations

from array import array

_MASK64 = (1 << 64) - 1


class IdSet:
    def __init__(self, capacity: int = 1 << 12) -> None:
        size = 1
        while size < capacity * 2:
            size <<= 1
        self._table = array("Q", bytes(8 * size))
        self._mask = size - 1
        self.count = 0

    @staticmethod
    def _hash(item_id: str) -> int:
        # Python's own string hash: 64 bits, fast, stable within a process (all a duplicate check needs)
        return (hash(item_id) & _MASK64) or 1  # 0 marks an empty slot

    def add(self, item_id: str) -> bool:
        """Add an id; False when it (or an id with the same 64-bit hash) was already there."""
        value = self._hash(item_id)
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
        value = self._hash(item_id)
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
