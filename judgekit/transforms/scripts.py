"""Writing systems for naturalistic noise: which script a letter is in, keyboard neighbours and homoglyphs per
script. A typo in a Cyrillic word hits a neighbouring key of the Russian ЙЦУКЕН layout, never a Latin key; a
homoglyph swaps a letter for a look-alike from another script (Latin <-> Cyrillic/Greek, Han <-> Katakana).
Scripts without a table here (Arabic, Hebrew, Devanagari, Hangul, ...) are left alone by those edits.
"""

from __future__ import annotations

import functools
import unicodedata

# Staggered rows of each layout: a key's neighbours are left, right, up (two), down (two).
LAYOUTS: dict[str, tuple[str, ...]] = {
    "latin": ("qwertyuiop", "asdfghjkl", "zxcvbnm"),  # QWERTY
    "cyrillic": ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"),  # ЙЦУКЕН (Russian)
    "greek": (";ςερτυθιοπ", "ασδφγηξκλ", "ζχψωβνμ"),  # Greek (Windows/Mac standard)
}
_NAMES = {"LATIN": "latin", "CYRILLIC": "cyrillic", "GREEK": "greek", "CJK": "han", "HIRAGANA": "kana",
          "KATAKANA": "kana", "HANGUL": "hangul", "ARABIC": "arabic", "HEBREW": "hebrew", "DEVANAGARI": "devanagari"}


def _keyboard(rows: tuple[str, ...]) -> dict[str, str]:
    near: dict[str, str] = {}
    for r, row in enumerate(rows):
        for c, key in enumerate(row):
            if not key.isalpha():
                continue
            cells = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
            near[key] = "".join(rows[i][j] for i, j in cells
                                if 0 <= i < len(rows) and 0 <= j < len(rows[i]) and rows[i][j].isalpha())
    return near


KEYBOARDS: dict[str, dict[str, str]] = {script: _keyboard(rows) for script, rows in LAYOUTS.items()}

# Latin letters and their visually identical Cyrillic / Greek / Latin-extension confusables.
LATIN_HOMOGLYPHS: dict[str, str] = {
    "a": "\u0430", "c": "\u0441", "d": "\u0501", "e": "\u0435", "h": "\u04bb", "i": "\u0456", "j": "\u0458",
    "o": "\u043e", "p": "\u0440", "q": "\u051b", "s": "\u0455", "w": "\u051d", "x": "\u0445", "y": "\u0443",
    "A": "\u0410", "B": "\u0412", "C": "\u0421", "E": "\u0415", "H": "\u041d", "I": "\u0406", "J": "\u0408",
    "K": "\u041a", "M": "\u041c", "N": "\u039d", "O": "\u041e", "P": "\u0420", "S": "\u0405", "T": "\u0422",
    "X": "\u0425", "Y": "\u04ae", "Z": "\u0396",
}
# Cyrillic letters -> Latin look-alikes (the inverse of the Cyrillic half of the table above).
CYRILLIC_HOMOGLYPHS: dict[str, str] = {v: k for k, v in LATIN_HOMOGLYPHS.items()
                                       if unicodedata.name(v).startswith("CYRILLIC")}
GREEK_HOMOGLYPHS: dict[str, str] = {
    "\u03bf": "o", "\u03bd": "v", "\u03c1": "p", "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z",
    "\u0397": "H", "\u0399": "I", "\u039a": "K", "\u039c": "M", "\u039d": "N", "\u039f": "O", "\u03a1": "P",
    "\u03a4": "T", "\u03a5": "Y", "\u03a7": "X",
}
# Han characters and the Katakana letters drawn the same (口/ロ, 工/エ, 力/カ, 夕/タ, 二/ニ, 八/ハ, 卜/ト, 一/ー).
_HAN_KANA = {"\u53e3": "\u30ed", "\u5de5": "\u30a8", "\u529b": "\u30ab", "\u5915": "\u30bf", "\u4e8c": "\u30cb",
             "\u516b": "\u30cf", "\u535c": "\u30c8", "\u4e00": "\u30fc"}
HOMOGLYPHS: dict[str, dict[str, str]] = {
    "latin": LATIN_HOMOGLYPHS,
    "cyrillic": CYRILLIC_HOMOGLYPHS,
    "greek": GREEK_HOMOGLYPHS,
    "han": _HAN_KANA,
    "kana": {v: k for k, v in _HAN_KANA.items()},
}
# Every confusable back to one canonical letter (Latin for the alphabets, Han for Han/Katakana).
FOLD: dict[int, str] = {
    **{ord(v): k for k, v in LATIN_HOMOGLYPHS.items()},
    **{ord(k): v for k, v in GREEK_HOMOGLYPHS.items()},
    **{ord(v): k for k, v in _HAN_KANA.items()},
}
# Han and Kana are written without spaces: each character counts as a word.
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


@functools.lru_cache(maxsize=4096)
def script_of(char: str) -> str:
    """latin, cyrillic, greek, han, kana, hangul, arabic, hebrew, devanagari, or "" (not a letter / other)."""
    if not char.isalpha():
        return ""
    if char.isascii():
        return "latin"
    name = unicodedata.name(char, "")
    return _NAMES.get(name.split(" ")[0], "")


def word_script(word: str) -> str:
    """The script of the word's first letter (a typo is typed on that script's keyboard)."""
    return next((s for s in map(script_of, word) if s), "")


def neighbours(char: str, script: str) -> str:
    """Keys next to ``char`` on the keyboard of ``script`` (same case), or "" when it has none there."""
    if script_of(char) != script:
        return ""
    near = KEYBOARDS.get(script, {}).get(char.lower(), "")
    return near.upper() if char.isupper() else near


def homoglyph(char: str) -> str:
    """A look-alike of ``char`` from another script, or "" when there is none."""
    return HOMOGLYPHS.get(script_of(char), {}).get(char, "")


def fold_homoglyphs(text: str) -> str:
    """Map every confusable these tables produce to its canonical letter."""
    return text.translate(FOLD)
