"""Code transforms (reWordBench), only on code items: minify, misleading comments, an unrelated appendix.

They work on C++, Go, Java, JavaScript, Python and Rust (tree-sitter grammars, see `codelang`): code in fenced
blocks, or unfenced in a response that has no fence. The language comes from the fence tag, then the item's
declared language or subset name (``hep-go``), then the parser. Each edit is checked by re-parsing: the
result must have the same syntax tree modulo whitespace and comments, else the item fails with the reason.
"""

from __future__ import annotations

import dataclasses
import random
import re

from judgekit.data.example import Example
from judgekit.transforms.attack_texts import attack_text
from judgekit.transforms.base import NotApplicable, Transform, transform
from judgekit.transforms.codelang import (
    LANGUAGES,
    LINE_COMMENT,
    CodeError,
    code_spans,
    program_parses,
    same_program,
)
from judgekit.transforms.minify import minify_code
from judgekit.transforms.pool import Pool, code_language

RESPONSES = ("chosen", "rejected")

# Comment markers of languages outside the six parsed ones (their code is commented but not re-parsed).
_OTHER_COMMENT = {
    "ruby": "#", "bash": "#", "r": "#", "perl": "#", "yaml": "#", "julia": "#", "c": "//", "typescript": "//",
    "swift": "//", "kotlin": "//", "c#": "//", "scala": "//", "php": "//", "dart": "//", "sql": "--",
    "haskell": "--", "lua": "--",
}
# A line that starts a definition or a directive: where unfenced code in another language begins.
_CODE_LINE = re.compile(
    r"(?m)^[ \t]*(?:def |class |import |from \S+ import |#include|using |fn |pub |impl |struct |func |package "
    r"|public |private |static |function |const |let |var |int |void |bool |template ?<|std::|auto |vector<)")


def comment_line(language: str, text: str) -> str:
    marker = LINE_COMMENT.get(language) or _OTHER_COMMENT.get(language, "#" if not language else "//")
    return f"{marker} {text}"


def _where(side: str, index: int, block: int, language: str) -> str:
    return f"{side}[{index}] block {block} ({language})"


@transform("code-minify")
class CodeMinify(Transform):
    """Minify code (C++, Go, Java, JS, Python, Rust): no comments or blank lines, minimal whitespace, same tree."""

    family = "code"
    targets = RESPONSES
    applies_to = ("code",)

    def minify_response(self, text: str, language: str, where: str, failures: list[str]) -> str:
        parts: list[str] = []
        position = 0
        for number, span in enumerate(code_spans(text, language), 1):
            if span.language not in LANGUAGES:
                continue
            code = text[span.start:span.end]
            try:
                minified = minify_code(code, span.language)
            except CodeError as exc:
                failures.append(f"{where} block {number}: {exc}")
                continue
            ending = "\n" if code.endswith("\n") else ""
            if minified + ending != code:
                parts.append(text[position:span.start])
                parts.append(minified + ending)
                position = span.end
        parts.append(text[position:])
        return "".join(parts)

    def apply(self, example: Example, rng: random.Random) -> Example:
        language = code_language(example)
        failures: list[str] = []
        changes = {side: tuple(self.minify_response(t, language, f"{side}[{i}]", failures)
                               for i, t in enumerate(getattr(example, side))) for side in self.targets}
        if failures:
            raise CodeError("; ".join(failures))
        if all(changes[side] == getattr(example, side) for side in self.targets):
            raise NotApplicable("no code block in C++, Go, Java, JavaScript, Python or Rust to minify "
                                "(fenced, or unfenced code that parses)")
        return example.replace(**changes)


@dataclasses.dataclass(frozen=True)
class CodeComment(Transform):
    """Shared: put one comment line at the top of the code of every response."""

    family = "code"
    targets = RESPONSES
    preserves = "ranking"
    applies_to = ("code",)
    claim: str = ""  # inline text; empty: the template's
    template: str = ""

    def comment(self, text: str, language: str, claim: str) -> str | None:
        span = next(code_spans(text, language), None)
        if span is not None:
            start = span.start
            indent = re.match(r"[ \t]*", text[start:]).group()
            line = indent + comment_line(span.language, claim) + "\n"
            code = text[span.start:span.end]
            checkable = span.language in LANGUAGES and program_parses(code, span.language)
            if checkable and not same_program(code, line + code, span.language):
                raise CodeError(f"{span.language}: the comment would change the syntax tree")
            return text[:start] + line + text[start:]
        found = _CODE_LINE.search(text)
        if found is None:
            return None
        start = found.start()
        indent = re.match(r"[ \t]*", text[start:]).group()
        return text[:start] + indent + comment_line(language, claim) + "\n" + text[start:]

    def apply(self, example: Example, rng: random.Random) -> Example:
        language = code_language(example) or "python"
        claim = attack_text(self.template, self.claim)
        changes = {}
        for side in self.targets:
            texts = []
            for index, text in enumerate(getattr(example, side)):
                commented = self.comment(text, language, claim)
                if commented is None:  # every response must get the claim, or the ranking could move
                    raise NotApplicable(f"{side}[{index}] has no code block or recognisable code line to comment")
                texts.append(commented)
            changes[side] = tuple(texts)
        return example.replace(**changes)


@transform("code-comment-good")
class CodeCommentGood(CodeComment):
    """Add a comment claiming the code is correct to the top of the code in every response."""

    template: str = "attacks/code-comment-good"


@transform("code-comment-bad")
class CodeCommentBad(CodeComment):
    """Add a comment claiming the code is wrong to the top of the code in every response."""

    template: str = "attacks/code-comment-bad"


@transform("code-append-other")
class CodeAppendOther(Transform):
    """Append an unrelated code block in the same language, taken from another item, to every response."""

    family = "code"
    targets = RESPONSES
    preserves = "ranking"
    applies_to = ("code",)
    uses_pool = True

    def apply(self, example: Example, rng: random.Random) -> Example:
        return self.run(example, rng, None)

    def run(self, example: Example, rng: random.Random, pool: Pool | None = None) -> Example:
        if pool is None:
            raise NotApplicable("code-append-other borrows another item's code: run it through run_transforms")
        language = code_language(example)
        if not language:
            raise NotApplicable("cannot tell the item's programming language (fence, subset, prompt or parser)")
        other = pool.other(example.id, rng, language=language)
        if other is None:
            raise NotApplicable(f"no other item in the dataset has {language} code")
        appendix = f"\n\n```{language}\n{other.snippet}\n```"
        return example.replace(**{side: tuple(t + appendix for t in getattr(example, side)) for side in self.targets})
