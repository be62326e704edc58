"""Write a typed manifest whose item lists are too long to hold in memory, byte for byte as ``to_json``.

A manifest of a 10^7-item run lists every item a transform did not apply to. The writer builds the model
with one placeholder item in each such list (`placeholder`), renders it with pydantic, and streams each
list's items (rendered by pydantic too, at their depth) where its placeholder is. The bytes are exactly
what ``model.to_json()`` writes for the same model with the lists filled in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TextIO

from pydantic import BaseModel

from judgekit.provenance.manifests import ItemReason

INDENT = 2


class Placeholders:
    """Placeholder items, each standing for a list streamed from an iterable at write time."""

    def __init__(self) -> None:
        self._token = f"judgekit-streamed-{uuid.uuid4().hex}"
        self.lists: dict[str, Iterable[BaseModel]] = {}

    def placeholder(self, items: Iterable[BaseModel]) -> list[ItemReason]:
        """A one-item list to put in the model; ``items`` are written in its place."""
        key = f"{self._token}-{len(self.lists)}"
        self.lists[key] = items
        return [ItemReason(id=key, reason="")]


def _render_list(items: Iterable[BaseModel], depth: int, handle: TextIO) -> None:
    inner = "\n" + " " * (depth + INDENT)
    first = True
    for item in items:
        handle.write(("[" if first else ",") + inner)
        handle.write(item.model_dump_json(indent=INDENT).replace("\n", inner))
        first = False
    handle.write("[]" if first else "\n" + " " * depth + "]")


def dump(model: BaseModel, placeholders: Placeholders, handle: TextIO) -> None:
    """Write ``model.to_json()`` with every placeholder list replaced by its streamed items."""
    text = model.model_dump_json(indent=INDENT, exclude_none=False) + "\n"
    position = 0
    spans = []
    for key in placeholders.lists:
        marker = f'"id": "{key}"'
        at = text.index(marker)
        start = text.rindex("[", 0, at)
        end = text.index("]", at) + 1
        line_start = text.rfind("\n", 0, start) + 1
        depth = len(text[line_start:start]) - len(text[line_start:start].lstrip(" "))
        spans.append((start, end, depth, key))
    for start, end, depth, key in sorted(spans):
        handle.write(text[position:start])
        _render_list(placeholders.lists[key], depth, handle)
        position = end
    handle.write(text[position:])

