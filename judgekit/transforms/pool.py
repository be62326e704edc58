"""The dataset pool: what transforms that borrow from other items (ignore-above, code-append-other) see.

Built once per run from all items, ordered by id, so what an item borrows depends only on the seed, the
item and the dataset's contents, never on input order, batching or worker.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from judgekit.data.example import Example
from judgekit.transforms.codelang import canonical_language, code_spans, detect_language, item_language
from judgekit.transforms.textspans import fenced_blocks

# Language names as they appear in prompts ("Write a Rust function ...").
_PROMPT_LANGUAGES = re.compile(
    r"\b(Python|JavaScript|TypeScript|Java|C\+\+|Rust|Go|Golang|Ruby|Kotlin|Swift|C#|Bash|SQL|PHP)\b")


def normalise_language(tag: str) -> str:
    return canonical_language(tag)


def code_language(example: Example) -> str:
    """The item's programming language: its first tagged code fence, then its declared language or subset
    name (``hep-go``), then the language its prompt names, then the only parser that reads its first code."""
    language = item_language(example)
    if language:
        return language
    found = _PROMPT_LANGUAGES.search(example.prompt_text)
    if found:
        return canonical_language(found.group(1))
    for text in example.chosen:
        for block in fenced_blocks(text):
            language = detect_language(block.group(3))
            if language:
                return language
    return ""


def first_snippet(example: Example, language: str = "") -> str:
    """The first non-empty code of the item's chosen responses (fenced, or unfenced code that parses)."""
    for text in example.chosen:
        for span in code_spans(text, language):
            code = text[span.start:span.end].strip("\n")
            if code.strip():
                return code
    return ""


@dataclass(frozen=True)
class PoolEntry:
    id: str
    instruction: str
    language: str = ""
    snippet: str = ""


@dataclass(frozen=True)
class Pool:
    """Every item's id, instruction and first code snippet, ordered by id."""

    entries: tuple[PoolEntry, ...]
    by_language: dict[str, tuple[PoolEntry, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, examples: Sequence[Example], *, code: bool = False) -> Pool:
        entries = []
        for example in sorted(examples, key=lambda e: e.id):
            language = snippet = ""
            if code:
                language = code_language(example)
                snippet = first_snippet(example, language)
                language = language if snippet else ""
            entries.append(PoolEntry(example.id, example.prompt_text, language, snippet))
        by_language: dict[str, list[PoolEntry]] = {}
        for entry in entries:
            if entry.snippet and entry.language:
                by_language.setdefault(entry.language, []).append(entry)
        return cls(tuple(entries), {k: tuple(v) for k, v in by_language.items()})

    def other(self, example_id: str, rng: random.Random, *, language: str | None = None) -> PoolEntry | None:
        """A uniformly chosen entry other than ``example_id`` (with a snippet in ``language`` if given)."""
        candidates = self.entries if language is None else self.by_language.get(language, ())
        index = bisect.bisect_left(candidates, example_id, key=lambda e: e.id)
        present = index < len(candidates) and candidates[index].id == example_id
        count = len(candidates) - present
        if count <= 0:
            return None
        pick = rng.randrange(count)
        if present and pick >= index:
            pick += 1
        return candidates[pick]
