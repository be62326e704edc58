"""YAML spec files (recipes, training configs, judge specs, suites): safe loading, ``--set`` overrides,
and pydantic validation whose errors name the file and the field.

``--set key.path=value``: values are parsed as YAML (``5``, ``true``, ``[a, b]``, ``{name: x}``); list
items are addressed by index (``transforms.0.args.max_attempts=2``); a missing section is created.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from judgekit.errors import SpecError

M = TypeVar("M")


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """The YAML document in ``path`` (``yaml.safe_load``: no Python objects); SpecError naming the file."""
    import yaml

    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read: {exc}") from None


def validate(model: type[M], data: Any, *, source: str, what: str) -> M:
    """``model.model_validate(data)``; a non-mapping or invalid field is a SpecError naming source and field.

    Args:
        what: how to describe a valid document, e.g. "a suite is a mapping (data, transforms, judges, ...)".
    """
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise SpecError(f"{source}: {what}, got {type(data).__name__}")
    try:
        return model.model_validate(data)  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise SpecError(f"{source}: {validation_message(exc)}") from None


def validation_message(exc: Any) -> str:
    """pydantic errors as ``field 'a.b': message; ...`` (an unknown field says so)."""
    parts = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"]) or "(top)"
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
        parts.append(f"field '{loc}': {message}")
    return "; ".join(parts)


# Turns a value found on the way down (a transform given by name, a backend given as a spec string) into
# a mapping that can take sub-fields: (path of keys so far, value) -> value.
Expand = Callable[[tuple[str, ...], Any], Any]


def _parse_value(assignment: str, text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError as exc:
        raise SpecError(f"--set {assignment!r}: cannot parse the value: {exc}") from None


def apply_overrides(raw: dict[str, Any], assignments: Sequence[str], *, expand: Expand | None = None) -> dict[str, Any]:
    """Apply ``key.path=value`` assignments to ``raw`` (in place; also returned). Values are YAML."""
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key.strip():
            raise SpecError(f"--set {assignment!r}: expected key=value, e.g. --set data.limit=5")
        set_path(raw, key.strip(), _parse_value(assignment, text), expand=expand)
    return raw


def set_path(raw: dict[str, Any], key: str, value: Any, *, expand: Expand | None = None) -> dict[str, Any]:
    """Set ``raw[a][b][0][c] = value`` for ``key = "a.b.0.c"``, creating missing sections; values met on the
    way that are strings (a backend spec, a transform or judge name) are expanded into mappings first."""
    expand = expand or (lambda _path, v: v)
    node: Any = raw
    parts = key.split(".")
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        path = tuple(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise SpecError(f"--set {key}: '{part}' is not an index of a list of {len(node)}")
            index = int(part)
            if last:
                node[index] = value
            else:
                node[index] = expand(path, node[index])
                node = node[index]
        elif not isinstance(node, dict):
            raise SpecError(f"--set {key}: '{part}' is inside {node!r}, which has no fields")
        elif last:
            node[part] = value
        else:
            current = node.get(part)
            node[part] = {} if current is None else expand(path, current)
            node = node[part]
    return raw


def split_top(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside parentheses, brackets and quotes."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts]
