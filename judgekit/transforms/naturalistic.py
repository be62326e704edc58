"""Naturalistic rule-based noise (reWordBench): typos, deleted words, look-alike characters.

Rate semantics (all six transforms): ``rate`` is the fraction of words perturbed in each response,
``round(rate * words)`` and at least one, chosen uniformly among the words that can take the edit (a
swap needs two different letters, a keyboard typo a Latin letter, a homoglyph a letter that has one;
fewer when not enough words can); each perturbed word gets exactly one edit (one character swapped,
substituted, inserted or deleted, one homoglyph, or the word deleted). Words are runs of letters of at least
``min_length`` characters in prose, and each Han or Kana character (those scripts have no spaces): fenced and
inline code, LaTeX math, URLs and numbers are never touched unless ``include_code`` / ``include_numbers``.

Edits respect the script (see `scripts`): a typo in a Cyrillic or Greek word hits a neighbouring key of that
script's keyboard (never a Latin one); scripts without a keyboard table (Han, Kana, Hangul, Arabic, ...) get no
keyboard typos; homoglyphs swap Latin <-> Cyrillic/Greek look-alikes and Han <-> Katakana ones.
"""

from __future__ import annotations

import dataclasses
import random
from typing import ClassVar

from judgekit.data.example import Example
from judgekit.errors import SpecError
from judgekit.transforms.base import NotApplicable, Transform, transform
from judgekit.transforms.scripts import FOLD as FOLD  # re-exported
from judgekit.transforms.scripts import KEYBOARDS, LATIN_HOMOGLYPHS, homoglyph, neighbours, script_of
from judgekit.transforms.scripts import fold_homoglyphs as fold_homoglyphs  # re-exported
from judgekit.transforms.textspans import split_words, word_pattern

KEYBOARD: dict[str, str] = KEYBOARDS["latin"]
HOMOGLYPHS: dict[str, str] = LATIN_HOMOGLYPHS


def _neighbour(char: str, rng: random.Random) -> str:
    """A key next to ``char`` on the keyboard of its own script (ЙЦУКЕН for Cyrillic, ...)."""
    near = neighbours(char, script_of(char))
    if not near:
        return char
    return near[int(rng.random() * len(near))]


def _position(word: str, rng: random.Random, allowed) -> int:
    """A uniformly random index ``i`` of ``word`` with ``allowed(word, i)`` (the word has at least one)."""
    n = len(word)
    for _ in range(4):  # almost always hits at once; the scan below keeps it exact and bounded
        i = int(rng.random() * n)
        if allowed(word, i):
            return i
    positions = [i for i in range(n) if allowed(word, i)]
    return positions[int(rng.random() * len(positions))]


def _on_keyboard(word: str, i: int) -> bool:
    return bool(neighbours(word[i], script_of(word[i])))


def _swappable(word: str, i: int) -> bool:
    return i + 1 < len(word) and word[i] != word[i + 1]


def _has_homoglyph(word: str, i: int) -> bool:
    return bool(homoglyph(word[i]))


@dataclasses.dataclass(frozen=True)
class WordNoise(Transform):
    """Shared machinery: choose ``round(rate * eligible)`` words per response and edit each once."""

    family = "naturalistic"
    targets = ("chosen", "rejected")
    min_length: ClassVar[int] = 3
    deletes_word: ClassVar[bool] = False

    rate: float = 0.1
    include_code: bool = False
    include_numbers: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise SpecError(f"{self.name}: rate must be between 0 and 1, got {self.rate}")

    def pattern(self):
        return word_pattern(self.min_length, self.include_numbers)

    def can_edit(self, word: str) -> bool:
        """Whether this word can take the edit (e.g. a swap needs two different adjacent letters)."""
        return True

    def eligible(self, word: str) -> bool:
        return self.pattern().fullmatch(word) is not None and self.can_edit(word)

    def choose(self, pieces: list[str], stride: int, words: int, count: int, rng: random.Random) -> list[int]:
        """``count`` word indices, uniformly among the words that can take the edit (fewer if there are not enough)."""
        if type(self).can_edit is WordNoise.can_edit:
            return sorted(rng.sample(range(words), count))
        picked: list[int] = []
        for draw in (min(words, count + count // 2 + 8), words):  # a few spares, then every word
            picked = [j for j in rng.sample(range(words), draw) if self.can_edit(pieces[j * stride + 1])][:count]
            if len(picked) == count or draw == words:
                break
        return sorted(picked)

    def edit_word(self, word: str, rng: random.Random) -> str:
        raise NotImplementedError

    def perturb(self, text: str, rng: random.Random) -> str:
        """Perturb ``round(rate * words)`` (at least one) words of ``text``, among those that can take the edit."""
        pieces, stride = split_words(text, self.pattern(), include_code=self.include_code)
        words = (len(pieces) - 1) // stride
        if not words or self.rate == 0:
            return text
        count = max(1, round(self.rate * words))
        if self.deletes_word:  # never delete every word of a response
            count = min(count, words - 1)
            if count <= 0:
                return text
        for j in self.choose(pieces, stride, words, count, rng):
            index = j * stride + 1
            if not self.deletes_word:
                pieces[index] = self.edit_word(pieces[index], rng)
                continue
            pieces[index] = ""  # the word goes, with one neighbouring space
            after, before = index + stride - 1, index - 1
            if pieces[after].startswith(" "):
                pieces[after] = pieces[after][1:]
            else:
                last = next((i for i in range(before, -1, -1) if pieces[i]), None)
                if last is not None and pieces[last].endswith(" "):
                    pieces[last] = pieces[last][:-1]
        return "".join(pieces)

    def apply(self, example: Example, rng: random.Random) -> Example:
        changes = {side: tuple(self.perturb(t, rng) for t in getattr(example, side)) for side in self.targets}
        if all(changes[side] == getattr(example, side) for side in self.targets):
            raise NotApplicable("no editable words (code, math, URLs and numbers are left alone)")
        return example.replace(**changes)


@transform("char-swap")
class CharSwap(WordNoise):
    """Swap two adjacent characters in ~10% of the words (rate) of each response."""

    def can_edit(self, word: str) -> bool:
        return word.count(word[0]) != len(word)  # not one repeated letter

    def edit_word(self, word: str, rng: random.Random) -> str:
        i = _position(word, rng, _swappable)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]


@transform("char-sub")
class CharSub(WordNoise):
    """Replace one character with a QWERTY keyboard neighbour in ~10% of the words (rate) of each response."""

    def can_edit(self, word: str) -> bool:
        return any(_on_keyboard(word, i) for i in range(len(word)))

    def edit_word(self, word: str, rng: random.Random) -> str:
        i = _position(word, rng, _on_keyboard)
        return word[:i] + _neighbour(word[i], rng) + word[i + 1:]


@transform("char-insert")
class CharInsert(WordNoise):
    """Insert a keyboard neighbour of a letter next to it in ~10% of the words (rate) of each response."""

    def can_edit(self, word: str) -> bool:
        return any(_on_keyboard(word, i) for i in range(len(word)))

    def edit_word(self, word: str, rng: random.Random) -> str:
        i = _position(word, rng, _on_keyboard)
        typo = _neighbour(word[i], rng)
        if rng.random() < 0.5:
            return word[:i] + typo + word[i:]
        return word[:i + 1] + typo + word[i + 1:]


@transform("char-delete")
class CharDelete(WordNoise):
    """Delete one character in ~10% of the words (rate) (3+ letters) of each response."""

    def edit_word(self, word: str, rng: random.Random) -> str:
        i = int(rng.random() * len(word))
        return word[:i] + word[i + 1:]


@transform("word-delete")
class WordDelete(WordNoise):
    """Delete ~10% of the words (rate) of each response (with one neighbouring space)."""

    min_length: ClassVar[int] = 1
    deletes_word: ClassVar[bool] = True


@transform("homoglyph")
class Homoglyph(WordNoise):
    """Replace one letter with a visually identical Unicode confusable in ~10% of the words (rate)."""

    min_length: ClassVar[int] = 1

    def can_edit(self, word: str) -> bool:
        return any(homoglyph(c) for c in word)

    def edit_word(self, word: str, rng: random.Random) -> str:
        i = _position(word, rng, _has_homoglyph)
        return word[:i] + homoglyph(word[i]) + word[i + 1:]
