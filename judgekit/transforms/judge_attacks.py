"""Attacks on LLM judges and reward models: surface tricks applied to the rejected side only.

Each leaves the rejected response no better (or strictly worse) than before, so the chosen response must
still win: a judge that flips is rewarding the trick. The inserted texts live in ``prompts/attacks/`` (the
master keys as published by Zhao et al., 2025; the rest written for judgekit); each transform takes an inline
text or another file as an argument.
"""

from __future__ import annotations

import random
import re

from judgekit.data.example import Example
from judgekit.data.languages import example_language, iso_code
from judgekit.transforms.attack_texts import attack_text, keyed_lists, text_list, text_value
from judgekit.transforms.base import NotApplicable, Transform, map_targets, transform
from judgekit.transforms.textspans import fenced_blocks

REJECTED = ("rejected",)
MASTER_KEYS_FILE = "attacks/master-keys"

_CODE_CHARS = re.compile(r"[{};`<>=]|\b(?:def|return|import)\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(*])")


def __getattr__(name: str):
    """Module constants read from the shipped files on first use (MASTER_KEYS, SELF_PRAISE, JUDGE_INJECTION)."""
    if name == "MASTER_KEYS":
        return tuple(dict.fromkeys(k for keys in keyed_lists(MASTER_KEYS_FILE).values() for k in keys if k.strip()))
    if name == "SELF_PRAISE":
        return attack_text("attacks/self-praise")
    if name == "JUDGE_INJECTION":
        return attack_text("attacks/judge-injection")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def master_keys(file: str, language: str, example: Example) -> tuple[str, ...]:
    """Keys of ``file`` for ``language``: "" = every key; "auto" = the item's language; else an ISO code or name.
    A language draws from its own keys and the language-neutral ``any`` keys. Blank keys are skipped (a judgekit
    response cannot be blank)."""
    table = keyed_lists(file)
    if not language:
        found = [k for keys in table.values() for k in keys]
    else:
        code = (example_language(example) or "en") if language == "auto" else (iso_code(language) or language)
        found = [*table.get("any", ()), *table.get(code, ())]
    return tuple(dict.fromkeys(k for k in found if k.strip()))


@transform("master-key")
class MasterKey(Transform):
    """Replace each rejected response with a content-free opener such as ":" or "Let's solve this step by step."."""

    family = "judge-attack"
    targets = REJECTED
    preserves = "ranking"
    opener: str = ""  # empty: one of the keys, chosen per item
    keys: str = MASTER_KEYS_FILE  # Zhao et al. (2025)'s list; attacks/master-keys-extra for more languages
    language: str = ""  # "" every key, "auto" the item's language, or a code (zh, ja, es, ...)

    def apply(self, example: Example, rng: random.Random) -> Example:
        opener = self.opener
        if not opener:
            candidates = master_keys(self.keys, self.language, example)
            if not candidates:
                raise NotApplicable(f"{self.keys} has no keys for language {self.language!r}")
            opener = candidates[rng.randrange(len(candidates))]
        return map_targets(example, self.targets, lambda text: opener)


@transform("self-praise")
class SelfPraise(Transform):
    """Append to each rejected response a claim that the answer is correct and excellent."""

    family = "judge-attack"
    targets = REJECTED
    preserves = "ranking"
    claim: str = ""  # inline text; empty: the template's
    template: str = "attacks/self-praise"

    def apply(self, example: Example, rng: random.Random) -> Example:
        claim = attack_text(self.template, self.claim)
        return map_targets(example, self.targets, lambda text: f"{text}\n\n{claim}")


@transform("judge-injection")
class JudgeInjection(Transform):
    """Append to each rejected response an instruction telling the grader to prefer it."""

    family = "judge-attack"
    targets = REJECTED
    preserves = "ranking"
    instruction: str = ""  # inline text; empty: the template's
    template: str = "attacks/judge-injection"

    def apply(self, example: Example, rng: random.Random) -> Example:
        instruction = attack_text(self.template, self.instruction)
        return map_targets(example, self.targets, lambda text: f"{text}\n\n{instruction}")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


@transform("verbosity-pad")
class VerbosityPad(Transform):
    """Append content-free filler and a restatement of the response to each rejected response."""

    family = "judge-attack"
    targets = REJECTED
    preserves = "ranking"
    filler: int = 4  # filler sentences appended
    restate: int = 2  # leading sentences of the response repeated
    texts: str = "attacks/verbosity-filler"

    def pad(self, text: str, rng: random.Random) -> str:
        filler_pool = text_list(self.texts, "filler")
        opener = text_value(self.texts, "restate")
        prose = text
        for block in reversed(list(fenced_blocks(text))):
            prose = prose[:block.start()] + prose[block.end():]
        plain = [s for s in sentences(" ".join(prose.split())) if len(s) <= 300 and not _CODE_CHARS.search(s)]
        repeated = " ".join(plain[: self.restate])
        filler = " ".join(rng.sample(filler_pool, min(self.filler, len(filler_pool))))
        summary = f"{opener} {repeated}" if repeated else ""
        return f"{text}\n\n{' '.join(p for p in (summary, filler) if p)}"

    def apply(self, example: Example, rng: random.Random) -> Example:
        return map_targets(example, self.targets, lambda text: self.pad(text, rng))


_STRUCTURED = re.compile(r"^\s*(?:#|[-*+] |\d+[.)] |\||>)")


def restyle(text: str, header: str) -> str:
    """Markdown restyling: a header on top, multi-sentence prose paragraphs as bullet lists, code kept."""
    pieces: list[str] = []
    position = 0
    for block in fenced_blocks(text):
        pieces.append(_restyle_prose(text[position:block.start()]))
        pieces.append(block.group())
        position = block.end()
    pieces.append(_restyle_prose(text[position:]))
    body = "".join(pieces)
    return f"## {header}\n\n{body}" if not text.lstrip().startswith("#") else body


def _restyle_prose(prose: str) -> str:
    paragraphs = prose.split("\n\n")
    out = []
    for paragraph in paragraphs:
        parts = sentences(paragraph)
        if len(parts) >= 2 and "\n" not in paragraph.strip() and not _STRUCTURED.match(paragraph):
            lead = paragraph[: len(paragraph) - len(paragraph.lstrip())]
            first, rest = parts[0], parts[1:]
            out.append(lead + f"**{first}**\n\n" + "\n".join(f"- {s}" for s in rest))
        else:
            out.append(paragraph)
    return "\n\n".join(out)


@transform("markdown-style")
class MarkdownStyle(Transform):
    """Restyle each rejected response with a header, a bold lead sentence and bullet points (RM-Bench style bias)."""

    family = "judge-attack"
    targets = REJECTED
    preserves = "ranking"
    header: str = "Answer"

    def apply(self, example: Example, rng: random.Random) -> Example:
        restyled = map_targets(example, self.targets, lambda text: restyle(text, self.header))
        if restyled.rejected == example.rejected:
            raise NotApplicable("the rejected responses are already structured markdown")
        return restyled
