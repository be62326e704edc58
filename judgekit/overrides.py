"""``--set key.path=value``: override a field of a raw YAML spec (recipe, training config) before validation.

Values are parsed as YAML (``5``, ``true``, ``[a, b]``, ``{name: x}``); list items are addressed by index
(``transforms.0.args.max_attempts=2``); a missing section is created.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from judgekit.errors import SpecError

# Turns a scalar found on the way down (e.g. a transform given by name, a backend given as a spec string)
# into a mapping that can take sub-fields: (field name or list index, value) -> dict.
Expand = Callable[[str, Any], Any]


def apply_overrides(raw: dict[str, Any], assignments: Sequence[str], *, expand: Expand | None = None) -> dict[str, Any]:
    """Apply ``key.path=value`` assignments to ``raw`` (in place; also returned)."""
    import yaml

    expand = expand or (lambda _part, value: value)
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key.strip():
            raise SpecError(f"--set {assignment!r}: expected key=value, e.g. --set data.limit=5")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise SpecError(f"--set {assignment!r}: cannot parse the value: {exc}") from None
        node: Any = raw
        parts = key.strip().split(".")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise SpecError(f"--set {key}: '{part}' is not an index of a list of {len(node)}")
                index = int(part)
                if last:
                    node[index] = value
                else:
                    node[index] = expand(part, node[index])
                    node = node[index]
            elif not isinstance(node, dict):
                raise SpecError(f"--set {key}: '{part}' is inside {node!r}, which has no fields")
            elif last:
                node[part] = value
            else:
                current = node.get(part)
                node[part] = {} if current is None else expand(part, current)
                node = node[part]
    return raw
