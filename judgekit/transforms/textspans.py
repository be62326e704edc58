"""Where text may be edited: fenced and inline code, LaTeX math, URLs and numbers are protected spans.

Naturalistic and formatting transforms edit words of prose only, unless asked to touch code or numbers.
Everything here is regex-driven (C speed) so perturbing a whole dataset takes seconds, not minutes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

# A fenced block runs from an opening ``` / ~~~ line to the matching closing line (or the end of the text).
FENCE = re.compile(r"(?ms)^[ \t]{0,3}(`{3,}|~{3,})([^\n`]*)\n(.*?)(?:^[ \t]{0,3}\1[ \t]*$|\Z)")
# Each protected kind has its own literal-led pattern, run only when its trigger is in the text.
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_DOLLAR_MATH = re.compile(r"\$\$[^$]+\$\$|\$[^$\n]+\$")
_LATEX = re.compile(r"\\\[(?:[^\\]|\\[^\]])*\\\]|\\\((?:[^\\]|\\[^)])*\\\)|\\[A-Za-z]+")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL_DOMAIN = re.compile(r"@[\w-]+\.[\w.-]+")
_EMAIL_USER = re.compile(r"[\w.+-]+$")


def _protected_spans(text: str, include_code: bool) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if not include_code:
        if "```" in text or "~~~" in text:
            spans.extend(m.span() for m in FENCE.finditer(text))
        if "`" in text:
            spans.extend(m.span() for m in _INLINE_CODE.finditer(text))
        if "$" in text:
            spans.extend(m.span() for m in _DOLLAR_MATH.finditer(text))
    if "\\" in text:
        spans.extend(m.span() for m in (_LATEX_COMMAND if include_code else _LATEX).finditer(text))
    if "://" in text or "www." in text:
        spans.extend(m.span() for m in _URL.finditer(text))
    if "@" in text:
        for match in _EMAIL_DOMAIN.finditer(text):
            user = _EMAIL_USER.search(text, max(0, match.start() - 64), match.start())
            if user is not None:
                spans.append((user.start(), match.end()))
    return spans


# Words: letters only, not glued to digits, underscores or a backslash (identifiers, 3rd, \frac). Han and Kana
# are written without spaces, so each of their characters is a word of its own.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LETTERS = rf"[^\W\d_{_CJK}]"
_LETTERS_OR_DIGITS = rf"[^\W_{_CJK}]"
_GLUED = rf"[^\W{_CJK}]"  # a word character that is not Han or Kana


@functools.lru_cache(maxsize=64)
def word_pattern(min_length: int = 1, include_numbers: bool = False) -> re.Pattern[str]:
    """Editable words of ``min_length``+ characters, or one Han / Kana character (LaTeX commands are protected
    spans, so word boundaries suffice)."""
    chars = _LETTERS_OR_DIGITS if include_numbers else _LETTERS
    return re.compile(rf"[{_CJK}]|(?<!{_GLUED}){chars}{{{max(min_length, 1)},}}(?!{_GLUED})")


def fenced_blocks(text: str) -> Iterator[re.Match[str]]:
    """Fenced code blocks; group 2 is the info string (language), group 3 the code."""
    return FENCE.finditer(text)


def editable_segments(text: str, *, include_code: bool = False) -> list[tuple[int, int]]:
    """(start, end) of the parts of ``text`` outside protected spans.

    Protected: fenced code blocks, inline code and LaTeX math (unless ``include_code``), URLs, e-mail
    addresses and LaTeX commands (always).
    """
    protected = _protected_spans(text, include_code)
    if not protected:
        return [(0, len(text))]
    protected.sort()
    segments: list[tuple[int, int]] = []
    position = 0
    for start, end in protected:
        if start > position:
            segments.append((position, start))
        position = max(position, end)
    if position < len(text):
        segments.append((position, len(text)))
    return segments


@functools.lru_cache(maxsize=64)
def splitter(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` wrapped in a group, for `split_words`."""
    return re.compile(f"({pattern.pattern})")


def split_words(text: str, pattern: re.Pattern[str], *, include_code: bool = False) -> tuple[list[str], int]:
    """Split the editable parts of ``text`` into separators and words (one C-level ``re.split`` per part).

    Returns ``(pieces, stride)``: word ``j`` is ``pieces[j * stride + 1]``, the text between words is at
    multiples of ``stride``, and ``"".join(pieces)`` is ``text``. Protected spans stay inside separators.
    """
    split = splitter(pattern)
    stride = split.groups + 1
    segments = editable_segments(text, include_code=include_code)
    if len(segments) == 1 and segments[0] == (0, len(text)):
        pieces = split.split(text)
    else:
        pieces = [""]
        previous = 0
        for start, end in segments:
            part = split.split(text[start:end])
            pieces[-1] += text[previous:start] + part[0]
            pieces.extend(part[1:])
            previous = end
        pieces[-1] += text[previous:]
    return pieces, stride
