"""Where the correct answer is shown to a generative judge: seeded, and exactly balanced over a run's items."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["balanced_placements", "default_placement"]


def default_placement(seed: int | None, example_id: str, n: int) -> int:
    """A seeded position in [0, n) for one item when the runner gives none (balanced in expectation)."""
    digest = hashlib.blake2b(f"{seed}\x00placement\x00{example_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n


def balanced_placements(ids: Sequence[str], n_options: Sequence[int], *, seed: int | None) -> dict[str, int]:
    """Positions for the correct answer that are exactly balanced over items with the same N.

    Items are ordered by a seeded hash of their id and dealt positions 0, 1, ..., N-1, 0, ... in turn,
    so the placement of an item does not depend on which other items are in the set's order.
    """
    out: dict[str, int] = {}
    by_n: dict[int, list[str]] = {}
    for example_id, n in zip(ids, n_options, strict=True):
        by_n.setdefault(n, []).append(example_id)
    for n, group in by_n.items():
        ranked = sorted(group, key=lambda i: hashlib.blake2b(f"{seed}\x00{i}".encode(), digest_size=8).digest())
        for rank, example_id in enumerate(ranked):
            out[example_id] = rank % n
    return out
