"""Language identification with lingua (``lingua-language-detector``), whose n-gram models ship in the wheel.

The detector knows the languages of M-RewardBench plus English (and any ISO 639-1 code it is asked about);
lingua loads each language's models lazily on first use, so a check costs a few seconds once per process.
Code blocks, inline code and URLs are left out of the text before detection.
"""

from __future__ import annotations

import functools
import re

from judgekit.data.languages import LANGUAGES, iso_code
from judgekit.errors import SpecError
from judgekit.transforms.textspans import FENCE

_NOISE = re.compile(r"`[^`\n]*`|https?://\S+|[\d\W_]+", re.UNICODE)
_KNOWN = tuple(sorted({iso for iso, _ in LANGUAGES.values()}))


def lingua_language(code: str):
    """The lingua Language for an ISO 639-1 code, a FLORES-200 code or an English name."""
    from lingua import IsoCode639_1, Language

    iso = iso_code(code) or code.strip().lower()
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(iso))
    except ValueError:
        try:
            return Language.from_str(code.strip())
        except ValueError:
            raise SpecError(f"no language-identification model for {code!r}: lingua knows "
                            f"{len(Language.all())} languages by ISO 639-1 code or English name") from None


@functools.lru_cache(maxsize=8)
def _detector(extra: tuple[str, ...]):
    from lingua import LanguageDetectorBuilder

    languages = {lingua_language(code) for code in (*_KNOWN, *extra)}
    return LanguageDetectorBuilder.from_languages(*languages).build()


def prose(text: str) -> str:
    """The natural-language part of ``text``: fenced and inline code, URLs, digits and punctuation removed."""
    return " ".join(_NOISE.sub(" ", FENCE.sub(" ", text)).split())


def identify(text: str, *, expected: str = "") -> tuple[str, float]:
    """(ISO 639-1 code, confidence) of the language ``text`` is written in; ("", 0.0) when it has no prose."""
    words = prose(text)
    if not words:
        return "", 0.0
    extra = (lingua_language(expected).iso_code_639_1.name.lower(),) if expected else ()
    values = _detector(tuple(sorted(set(extra) - set(_KNOWN)))).compute_language_confidence_values(words)
    if not values:
        return "", 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), float(best.value)


def language_mismatch(text: str, expected: str, *, min_confidence: float) -> str | None:
    """Why ``text`` is not in language ``expected`` (None when it is, or when it has no prose to judge)."""
    want = lingua_language(expected).iso_code_639_1.name.lower()
    found, confidence = identify(text, expected=expected)
    if not found:
        return None
    if found != want:
        return f"language check: written in {found} (confidence {confidence:.2f}), not {want}"
    if confidence < min_confidence:
        return f"language check: {want} with confidence {confidence:.2f} < {min_confidence:g}"
    return None
