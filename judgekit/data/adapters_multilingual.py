"""Multilingual data: the M-RewardBench adapter and the language table shared by multilingual transforms.

M-RewardBench (Gureja et al., 2024; hub id ``CohereLabsCommunity/multilingual-reward-bench``, formerly
``C4AI-Community/multilingual-reward-bench``) is RewardBench translated into 23 languages, one config per
language (``deu_Latn``, ``zho_Hans``, ...). Its rows have ``id`` (int), ``language`` (the FLORES-200 code),
``prompt``, ``chosen``, ``rejected`` (strings), ``chosen_model``, ``rejected_model`` and ``subset`` (the
RewardBench subset the row was translated from), as its loader in for-ai/aya_rm_multilingual
(scripts/utils.py, ``load_multilingual_eval_dataset``) reads them. The adapter makes the language the subset,
so reports break accuracy down per language, and keeps the RewardBench subset in ``meta.source_subset`` (its
domain in ``meta.domain``).
"""

from __future__ import annotations

from judgekit.data.adapters import _field, _str_list, adapter
from judgekit.data.domains import domain_of
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


@adapter("m-rewardbench", "M-RewardBench: id, language (FLORES-200), prompt, chosen, rejected, subset; "
         "subset becomes the language", priority=15)
def _m_rewardbench(record, row, source):
    language = str(_field(record, "language"))
    source_subset = str(record.get("subset") or "default")
    item_id = record.get("id", row)
    meta = {k: record[k] for k in ("chosen_model", "rejected_model") if record.get(k) is not None}
    draft = Example(id=str(item_id), prompt=_field(record, "prompt"), chosen=_str_list(record, "chosen"),
                    rejected=_str_list(record, "rejected"), subset=source_subset)
    meta.update(language=language, source_subset=source_subset, domain=domain_of(draft),
                source={"format": "m-rewardbench", "dataset": source, "id": item_id})
    return Example(id=f"{language}/{item_id}", prompt=draft.prompt, chosen=draft.chosen, rejected=draft.rejected,
                   subset=language, meta=meta)


@_m_rewardbench.detect
def _(record):
    return (all(name in record for name in ("language", "prompt", "chosen", "rejected"))
            and isinstance(record["prompt"], str) and isinstance(record["chosen"], str))


# -- bundled samples by name ---------------------------------------------------------------------------
MULTILINGUAL_SAMPLE = "sample:multilingual"
"""The bundled multilingual sample (6 languages x 4 items, written for judgekit), usable wherever a source is."""


def named_sample_path(source: str) -> str | None:
    """``sample:NAME`` -> the bundled ``judgekit/data/NAME_sample.jsonl``; None for any other source.

    Raises:
        DataError: ``sample:NAME`` names no bundled sample.
    """
    if not source.startswith("sample:"):
        return None
    from importlib import resources

    from judgekit.errors import DataError

    name = source.split(":", 1)[1]
    path = resources.files("judgekit.data").joinpath(f"{name}_sample.jsonl")
    if not path.is_file():
        raise DataError(f"no bundled sample named {name!r}", source=source,
                        hint=f"bundled: sample, {MULTILINGUAL_SAMPLE}")
    return str(path)
