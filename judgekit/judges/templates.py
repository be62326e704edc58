"""Judge prompt templates (``prompts/judge/``) and how a conversation becomes the judge's question.

Judge templates are ordinary prompt templates (`judgekit.backends.templates.PromptTemplate`: sandboxed
jinja2, StrictUndefined, sha256 in provenance), loaded once per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from judgekit.backends.templates import PromptTemplate
from judgekit.data.example import Message


@lru_cache(maxsize=64)
def load_template(name: str) -> PromptTemplate:
    """A template by name ("judge/pairwise") or path; syntax is checked on load."""
    return PromptTemplate.load(name)


def conversation_text(prompt: Sequence[Message]) -> str:
    """The prompt as the judge sees it: the message itself, or a transcript for multi-turn prompts."""
    if len(prompt) == 1:
        return prompt[0].content
    names = {"system": "System", "user": "User", "assistant": "Assistant"}
    return "\n\n".join(f"{names[m.role]}: {m.content}" for m in prompt)
