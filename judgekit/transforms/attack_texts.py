"""The texts attacks insert, read from ``prompts/attacks/`` (a copy on ``JUDGEKIT_PATH`` wins) or a user file.

A text file is a sandboxed jinja2 template that renders to the text (wrappers read ``{{ request }}``); a list
file renders to YAML (a list, or a mapping of lists). Files are read once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from judgekit.errors import SpecError


@functools.lru_cache(maxsize=128)
def _template(name: str):
    from judgekit.templates import PromptTemplate

    return PromptTemplate.load(name)


def _inline(text: str):
    from judgekit.templates import PromptTemplate

    return PromptTemplate.from_string(text, name="<inline text>")


def attack_text(name: str, inline: str = "", **variables: Any) -> str:
    """The text of ``name`` (``attacks/self-praise``, or a path), or ``inline`` when given, rendered with
    ``variables``. Raises SpecError naming the file when it reads a variable that is not provided."""
    template = _inline(inline) if inline else _template(name)
    template.check(variables)
    return template.render(variables)


def text_sha256(name: str) -> str:
    """Content hash of a shipped or user text file (for provenance)."""
    return _template(name).sha256


@functools.lru_cache(maxsize=64)
def attack_data(name: str) -> Any:
    """A list file: the YAML that ``name`` renders to."""
    import yaml

    rendered = attack_text(name)
    try:
        data = yaml.safe_load(rendered)
    except yaml.YAMLError as exc:
        raise SpecError(f"{name}: renders to invalid YAML: {exc}") from None
    if not isinstance(data, list | Mapping):
        raise SpecError(f"{name}: must render to a YAML list or mapping, got {type(data).__name__}")
    return data


def text_list(name: str, key: str | None = None) -> tuple[str, ...]:
    """The strings of a list file (or of one key of a mapping file), with a clear error when malformed."""
    data = attack_data(name)
    if key is not None:
        if not isinstance(data, Mapping) or key not in data:
            raise SpecError(f"{name}: needs a key '{key}'")
        data = data[key]
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        where = f"{name}" + (f", key '{key}'" if key else "")
        raise SpecError(f"{where}: must be a YAML list of strings")
    return tuple(data)


def keyed_lists(name: str) -> dict[str, tuple[str, ...]]:
    """A mapping file: key -> its strings (e.g. language code -> master keys)."""
    data = attack_data(name)
    if not isinstance(data, Mapping):
        raise SpecError(f"{name}: must render to a YAML mapping of lists (e.g. a language code -> texts)")
    return {str(key): text_list(name, key) for key in data}


def text_value(name: str, key: str) -> str:
    """One string of a mapping file (e.g. verbosity-filler's ``restate``)."""
    data = attack_data(name)
    if not isinstance(data, Mapping) or not isinstance(data.get(key), str):
        raise SpecError(f"{name}: needs a string '{key}'")
    return data[key]
