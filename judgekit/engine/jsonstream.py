"""Write ``json.dumps(document, indent=2, ensure_ascii=False)`` with some lists streamed from iterators.

A manifest of a 10^7-item run lists every item a transform did not apply to; those lists are streamed
from the run's working files instead of being held in memory. The bytes are exactly what ``json.dumps``
would write for the same document.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

INDENT = 2


class Streamed:
    """A placeholder for a list whose items come from ``items`` (an iterable, consumed once)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def _replace(value: Any, found: dict[str, Streamed], token: str) -> Any:
    if isinstance(value, Streamed):
        key = f"{token}-{len(found)}"
        found[key] = value
        return key
    if isinstance(value, Mapping):
        return {k: _replace(v, found, token) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(v, found, token) for v in value]
    return value


def dump(document: Mapping[str, Any], handle: TextIO) -> None:
    """Write ``document`` (which may hold `Streamed` lists) as indented JSON plus a final newline."""
    found: dict[str, Streamed] = {}
    token = f"judgekit-streamed-{uuid.uuid4().hex}"
    skeleton = json.dumps(_replace(document, found, token), indent=INDENT, ensure_ascii=False) + "\n"
    position = 0
    for key, streamed in found.items():
        quoted = json.dumps(key)
        at = skeleton.index(quoted, position)
        handle.write(skeleton[position:at])
        line_start = skeleton.rfind("\n", 0, at) + 1
        depth = len(skeleton[line_start:at]) - len(skeleton[line_start:at].lstrip(" "))
        inner = "\n" + " " * (depth + INDENT)
        first = True
        for item in streamed.items:
            handle.write(("[" if first else ",") + inner)
            handle.write(json.dumps(item, indent=INDENT, ensure_ascii=False).replace("\n", inner))
            first = False
        handle.write("[]" if first else "\n" + " " * depth + "]")
        position = at + len(quoted)
    handle.write(skeleton[position:])
