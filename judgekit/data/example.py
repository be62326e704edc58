"""The data model: one preference item (`Example`) and its chat messages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from judgekit.errors import DataError

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message."""

    role: str
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise DataError(f"role must be one of {', '.join(ROLES)}, got {self.role!r}", field="prompt.role")
        if not isinstance(self.content, str):
            raise DataError(f"content must be a string, got {type(self.content).__name__}", field="prompt.content")

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


_SCALARS = frozenset({str, int, float, bool, type(None)})  # checked by exact type first: meta is mostly these


def _freeze(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict or kind is MappingProxyType or isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is MappingProxyType or kind is dict or isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if kind is tuple or isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Example:
    """One preference item: a prompt, one or more chosen responses, one or more rejected responses.

    Pairwise data is the case of one chosen and one rejected. Best-of-N data (RewardBench 2) has several
    rejected; style matrices (RM-Bench) have several of each. Immutable: transforms return a new Example
    (see `replace`). ``meta`` holds provenance and free annotations and is read-only.
    """

    id: str
    prompt: tuple[Message, ...]
    chosen: tuple[str, ...]
    rejected: tuple[str, ...]
    subset: str = "default"
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise DataError("id must be a non-empty string", field="id", hint="give every item a unique id")
        prompt = self.prompt
        if isinstance(prompt, str):
            prompt = (Message("user", prompt),)
        else:
            prompt = tuple(m if isinstance(m, Message) else _message(m) for m in prompt)
        if not prompt or not any(m.content.strip() for m in prompt):
            raise DataError("prompt is empty", field="prompt", hint="every item needs a non-empty prompt")
        object.__setattr__(self, "prompt", prompt)
        for name in ("chosen", "rejected"):
            texts = getattr(self, name)
            if isinstance(texts, str):
                texts = (texts,)
            texts = tuple(texts)
            if not texts:
                raise DataError(f"needs at least one {name} response", field=name)
            for i, text in enumerate(texts):
                if not isinstance(text, str):
                    raise DataError(f"response {i} must be a string, got {type(text).__name__}", field=name)
                if not text.strip():
                    raise DataError(f"response {i} is empty", field=name, hint="drop the item or fill in the response")
            object.__setattr__(self, name, texts)
        if not isinstance(self.subset, str) or not self.subset:
            raise DataError("subset must be a non-empty string", field="subset")
        if not isinstance(self.meta, Mapping):
            raise DataError(f"meta must be an object, got {type(self.meta).__name__}", field="meta")
        object.__setattr__(self, "meta", _freeze(self.meta))

    def __reduce__(self):
        # ``meta`` is a read-only view, which pickle cannot copy: travel as plain values (to worker processes)
        return Example, (self.id, self.prompt, self.chosen, self.rejected, self.subset, _thaw(self.meta))

    # -- convenience -------------------------------------------------------------------------------
    @property
    def prompt_text(self) -> str:
        """The last user message (what a single-turn reward model sees as the instruction)."""
        for message in reversed(self.prompt):
            if message.role == "user":
                return message.content
        return self.prompt[-1].content

    @property
    def is_pairwise(self) -> bool:
        return len(self.chosen) == 1 and len(self.rejected) == 1

    def replace(self, **changes: Any) -> Example:
        """A validated copy with some fields changed; ``meta`` given here replaces the old one."""
        values = {
            "id": self.id,
            "prompt": self.prompt,
            "chosen": self.chosen,
            "rejected": self.rejected,
            "subset": self.subset,
            "meta": {},
        }
        values.update(changes)
        copy = Example(**values)
        if "meta" not in changes:  # already frozen: share it instead of freezing a copy
            object.__setattr__(copy, "meta", self.meta)
        return copy

    def with_meta(self, **entries: Any) -> Example:
        """A copy with entries added to ``meta``."""
        return self.replace(meta={**_thaw(self.meta), **entries})

    # -- serialisation (the judgekit JSONL format) -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt": [m.to_dict() for m in self.prompt],
            "chosen": list(self.chosen),
            "rejected": list(self.rejected),
            "subset": self.subset,
            "meta": _thaw(self.meta),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Example:
        unknown = set(record) - {"id", "prompt", "chosen", "rejected", "subset", "meta"}
        if unknown:
            raise DataError(f"unknown field(s) {sorted(unknown)}", field=sorted(unknown)[0],
                            hint="judgekit records have id, prompt, chosen, rejected, subset, meta")
        for name in ("id", "prompt", "chosen", "rejected"):
            if name not in record:
                raise DataError("missing required field", field=name)
        _expect(record, "id", str)
        _expect(record, "prompt", (str, list))
        _expect(record, "chosen", list)
        _expect(record, "rejected", list)
        meta = record.get("meta") or {}
        if isinstance(meta, str):  # Parquet and datasets keep meta as a JSON string
            meta = json.loads(meta)
        return cls(
            id=record["id"],
            prompt=record["prompt"],
            chosen=tuple(record["chosen"]),
            rejected=tuple(record["rejected"]),
            subset=record.get("subset") or "default",
            meta=meta,
        )


def _expect(record: Mapping[str, Any], name: str, types: type | tuple[type, ...]) -> None:
    value = record[name]
    if not isinstance(value, types):
        expected = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise DataError(f"must be {expected}, got {type(value).__name__} ({str(value)[:40]!r})", field=name)


def _message(value: Any) -> Message:
    if isinstance(value, str):
        return Message("user", value)
    if not isinstance(value, Mapping) or "role" not in value or "content" not in value:
        raise DataError(f"each message needs 'role' and 'content', got {str(value)[:60]!r}", field="prompt")
    return Message(str(value["role"]), value["content"])


def unique_ids(examples: Iterable[Example], *, source: str | None = None) -> Iterator[Example]:
    """Pass examples through, raising on the first duplicate id."""
    seen: set[str] = set()
    for index, example in enumerate(examples):
        if example.id in seen:
            raise DataError(f"duplicate id {example.id!r}", source=source, row=index, field="id",
                            hint="ids must be unique within a dataset")
        seen.add(example.id)
        yield example
