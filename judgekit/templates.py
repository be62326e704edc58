"""Prompt templates: jinja2 files in ``prompts/`` (or any path), rendered in a sandbox with StrictUndefined.

Used by the LLM transforms (paraphrase, translation) and by generative judges alike.

A template renders to one user message. It may start with a system part, separated from the user part by
a line ``---user---`` (the part before it becomes the system message). A template's sha256 goes into
the provenance of everything generated with it. Errors (syntax, undefined variables, reaching Python
internals) raise `SpecError` naming the template, before any request is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from judgekit.data.example import Message
from judgekit.errors import SpecError

SEPARATOR = "---user---"
SUFFIXES = (".jinja", ".j2", ".jinja2")


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)


@dataclass(frozen=True)
class PromptTemplate:
    """A compiled, sandboxed template and where it came from."""

    name: str
    source: str
    path: str | None = None
    _compiled: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_string(cls, source: str, *, name: str = "<string>") -> PromptTemplate:
        from jinja2 import TemplateSyntaxError

        try:
            compiled = _environment().from_string(source)
        except TemplateSyntaxError as exc:
            raise SpecError(f"template {name}:{exc.lineno}: {exc.message}") from None
        return cls(name=name, source=source, _compiled=compiled)

    @classmethod
    def load(cls, name: str) -> PromptTemplate:
        """A template by name (``paraphrase/response``), relative to ``prompts/``, or by path."""
        from judgekit import resources

        path = resources.find("prompts", name, suffixes=SUFFIXES)
        template = cls.from_string(Path(path).read_text(encoding="utf-8"), name=name)
        return cls(name=name, source=template.source, path=str(path), _compiled=template._compiled)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def variables(self) -> set[str]:
        """Names the template reads."""
        from jinja2 import meta

        return set(meta.find_undeclared_variables(_environment().parse(self.source)))

    def check(self, provided: Iterable[str]) -> None:
        """Fail now, before any request, if the template reads a variable nobody provides."""
        missing = self.variables() - set(provided)
        if missing:
            raise SpecError(f"template {self.name}: undefined variable(s) {', '.join(sorted(missing))}; "
                            f"available: {', '.join(sorted(provided))}")

    def render(self, variables: Mapping[str, Any]) -> str:
        from jinja2 import TemplateError
        from jinja2.exceptions import SecurityError

        try:
            return self._compiled.render(**variables).strip()
        except SecurityError as exc:
            raise SpecError(f"template {self.name}: not allowed in a sandboxed template: {exc}") from None
        except TemplateError as exc:
            raise SpecError(f"template {self.name}: {exc}") from None

    def messages(self, variables: Mapping[str, Any]) -> tuple[Message, ...]:
        """The chat messages for one set of variables."""
        text = self.render(variables)
        if SEPARATOR in text:
            system, user = text.split(SEPARATOR, 1)
            return (Message("system", system.strip()), Message("user", user.strip()))
        return (Message("user", text),)

    def provenance(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256}


def load_template(name: str) -> PromptTemplate:
    """A template by name ("judge/pairwise", "paraphrase/response") or path, compiled once per process (and
    again when its file changes)."""
    from judgekit import resources

    path = resources.find("prompts", name, suffixes=SUFFIXES)
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"template {name}: cannot read {path}: {exc}") from None
    return _compiled(name, str(path), source)


@lru_cache(maxsize=128)
def _compiled(name: str, path: str, source: str) -> PromptTemplate:
    template = PromptTemplate.from_string(source, name=name)
    return PromptTemplate(name=name, source=source, path=path, _compiled=template._compiled)


_ROLE_NAMES = {"system": "System", "user": "User", "assistant": "Assistant"}


def conversation_text(prompt: Sequence[Message]) -> str:
    """A prompt as a judge sees it: the message itself, or a transcript for multi-turn prompts."""
    if len(prompt) == 1:
        return prompt[0].content
    return "\n\n".join(f"{_ROLE_NAMES[m.role]}: {m.content}" for m in prompt)
