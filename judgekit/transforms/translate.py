"""`translate`: the whole item (instruction and every response) translated one way into another language.

An LLM translates each text through ``prompts/translate/translate.jinja``; each output goes through the same
checks as a paraphrase (`LLMRewrite`: preamble stripped, not empty, not identical, not a refusal, length
ratio) plus a language-identification check (lingua, models shipped in its wheel): the text must be in the
target language with at least ``min_language_confidence``. Failed texts are resampled; an item whose texts
still fail is reported with the reason per text. Embedding similarity is off by default (``min_similarity=0``):
the bundled MiniLM is English-only, so a cross-lingual cosine says nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from judgekit.data.languages import language_name
from judgekit.errors import SpecError
from judgekit.templates import PromptTemplate
from judgekit.transforms.base import transform
from judgekit.transforms.llm import LLMRewrite, load_template


@transform("translate")
class Translate(LLMRewrite):
    """Translate the instruction and every response into another language with an LLM (target: language)."""

    targets: ClassVar[tuple[str, ...]] = ("prompt", "chosen", "rejected")
    language: str = "German"  # a name (German) or a code (de, deu_Latn)
    source_language: str = "English"
    template: str = "translate/translate"
    min_similarity: float = 0.0
    min_length_ratio: float = 0.2  # Chinese or Japanese take a third of the characters of English
    max_length_ratio: float = 3.0
    check_language: bool = True
    min_language_confidence: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.check_language:
            from judgekit.transforms.langid import lingua_language

            lingua_language(self.language)  # SpecError now, not per item, when no model knows the language
        if not 0 <= self.min_language_confidence <= 1:
            raise SpecError(f"translate: min_language_confidence must be within [0, 1], "
                            f"got {self.min_language_confidence}")

    def target_name(self) -> str:
        return language_name(self.language) or self.language

    def stages(self, text: str) -> list[tuple[PromptTemplate, dict[str, Any]]]:
        variables = {"text": text, "source_language": language_name(self.source_language) or self.source_language,
                     "target_language": self.target_name()}
        return [(load_template(self.template), variables)]

    def extra_check(self, candidate: str, original: str) -> str | None:
        if not self.check_language:
            return None
        from judgekit.transforms.langid import language_mismatch

        return language_mismatch(candidate, self.language, min_confidence=self.min_language_confidence)
