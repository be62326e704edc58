"""Languages: FLORES-200 codes (M-RewardBench's configurations), ISO 639-1 codes and English names, and
the language of an item. Used by the m-rewardbench adapter and the multilingual transforms."""

from __future__ import annotations

from judgekit.data.example import Example

# FLORES-200 code -> (ISO 639-1 code, English name). M-RewardBench's 23 languages plus English.
LANGUAGES: dict[str, tuple[str, str]] = {
    "arb_Arab": ("ar", "Arabic"), "ces_Latn": ("cs", "Czech"), "deu_Latn": ("de", "German"),
    "ell_Grek": ("el", "Greek"), "eng_Latn": ("en", "English"), "fra_Latn": ("fr", "French"),
    "heb_Hebr": ("he", "Hebrew"), "hin_Deva": ("hi", "Hindi"), "ind_Latn": ("id", "Indonesian"),
    "ita_Latn": ("it", "Italian"), "jpn_Jpan": ("ja", "Japanese"), "kor_Hang": ("ko", "Korean"),
    "nld_Latn": ("nl", "Dutch"), "pes_Arab": ("fa", "Persian"), "pol_Latn": ("pl", "Polish"),
    "por_Latn": ("pt", "Portuguese"), "ron_Latn": ("ro", "Romanian"), "rus_Cyrl": ("ru", "Russian"),
    "spa_Latn": ("es", "Spanish"), "tur_Latn": ("tr", "Turkish"), "ukr_Cyrl": ("uk", "Ukrainian"),
    "vie_Latn": ("vi", "Vietnamese"), "zho_Hans": ("zh", "Chinese"), "zho_Hant": ("zh", "Chinese"),
}
_BY_ISO = {iso: name for iso, name in LANGUAGES.values()}
_BY_NAME = {name.lower(): iso for iso, name in LANGUAGES.values()}


def iso_code(language: str) -> str:
    """``deu_Latn`` / ``de`` / ``German`` / ``de-AT`` -> ``de``; ``""`` when unknown."""
    text = language.strip()
    if text in LANGUAGES:
        return LANGUAGES[text][0]
    short = text.replace("_", "-").split("-")[0].lower()
    if short in _BY_ISO:
        return short
    return _BY_NAME.get(text.lower(), "")


def language_name(language: str) -> str:
    """The English name of a language code or name (``zho_Hans`` -> ``Chinese``), or ``""``."""
    return _BY_ISO.get(iso_code(language), "")


def example_language(example: Example) -> str:
    """The ISO code of an item's language: ``meta.language``, else its subset when that names a language."""
    for candidate in (str(example.meta.get("language", "")), example.subset):
        code = iso_code(candidate)
        if code:
            return code
    return ""
