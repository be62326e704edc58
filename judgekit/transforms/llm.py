"""LLM-written variants: `paraphrase`, `paraphrase-prompt`, `back-translation`, `llm-rewrite`.

Each rewrites its target texts through a backend and a prompt template, then checks the result: preamble
stripped ("Here is the paraphrase:"), not empty, not identical, not a refusal, length ratio within
bounds, and embedding cosine similarity to the original >= ``min_similarity`` (all-MiniLM-L6-v2, mean
pooling, as reWordBench does). A text that fails is resampled (seeded, ``resample_temperature``) up to
``max_attempts`` times in all. An item whose texts still fail comes back as `GenerationFailed` (a
`NotApplicable`) with the reason per text — never silently kept or dropped.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from judgekit.backends.base import ChatRequest
from judgekit.data.example import Example, Message
from judgekit.errors import SpecError
from judgekit.templates import PromptTemplate, load_template
from judgekit.transforms.base import BatchTransform, NotApplicable, transform
from judgekit.transforms.quality import clean_generation, rejection_reason

if TYPE_CHECKING:
    from judgekit.backends.base import Backend


class GenerationFailed(NotApplicable):
    """The item's rewrites all failed their checks after every attempt; ``details`` says why, per text."""

    def __init__(self, reason: str, details: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.details = details or {}


@dataclass
class _Unit:
    """One text of one item to rewrite."""

    item: int
    where: str  # "chosen[0]", "prompt[2]"
    field: str
    index: int
    original: str
    seed: int
    result: str | None = None
    similarity: float | None = None
    attempts: int = 0
    reason: str | None = None


@dataclass(frozen=True)
class LLMRewrite(BatchTransform):
    """Base of the LLM transforms: template stages -> checks -> resampling."""

    family: ClassVar[str] = "llm"
    targets: ClassVar[tuple[str, ...]] = ("chosen", "rejected")
    preserves: ClassVar[str] = "meaning"

    max_attempts: int = 3
    temperature: float = 0.0
    resample_temperature: float = 0.8
    max_tokens: int = 1024
    min_similarity: float = 0.7
    min_length_ratio: float = 0.5
    max_length_ratio: float = 2.0
    template: str = ""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise SpecError(f"{self.name}: max_attempts must be >= 1, got {self.max_attempts}")
        if not 0 <= self.min_similarity <= 1:
            raise SpecError(f"{self.name}: min_similarity must be within [0, 1], got {self.min_similarity}")
        if not 0 < self.min_length_ratio <= 1 <= self.max_length_ratio:
            raise SpecError(f"{self.name}: need 0 < min_length_ratio <= 1 <= max_length_ratio")
        for template, variables in self.stages("x"):
            template.check(variables)

    # -- what subclasses define ------------------------------------------------------------------------
    def stages(self, text: str) -> list[tuple[PromptTemplate, dict[str, Any]]]:
        """Templates applied in turn; each stage's output is the next stage's ``text``."""
        return [(load_template(self.template), {"text": text})]

    def extra_check(self, candidate: str, original: str) -> str | None:
        """A transform-specific reason to reject a rewrite (None: fine)."""
        return None

    # -- the batch -------------------------------------------------------------------------------------
    def units_of(self, item: int, example: Example, rng: random.Random) -> list[_Unit]:
        units = []
        for field in self.targets:
            if field == "prompt":
                index = max(i for i, m in enumerate(example.prompt) if m.role == "user") if any(
                    m.role == "user" for m in example.prompt) else len(example.prompt) - 1
                texts = [(index, example.prompt[index].content)]
            else:
                texts = list(enumerate(getattr(example, field)))
            for index, text in texts:
                units.append(_Unit(item, f"{field}[{index}]", field, index, text, rng.randrange(2**31)))
        return units

    def apply_batch(
        self, examples: Sequence[Example], rngs: Sequence[random.Random], backend: Backend
    ) -> list[Example | NotApplicable]:
        results: list[Example | NotApplicable | None] = [None] * len(examples)
        units: list[_Unit] = []
        for item, (example, rng) in enumerate(zip(examples, rngs, strict=True)):
            reason = self.applies(example)
            if reason is not None:
                results[item] = NotApplicable(reason)
                continue
            units.extend(self.units_of(item, example, rng))
        for unit in units:  # render everything once before any request: template errors surface now
            for template, variables in self.stages(unit.original):
                template.messages(variables)
        for attempt in range(self.max_attempts):
            pending = [u for u in units if u.result is None]
            if not pending:
                break
            self._attempt(pending, attempt, backend)
        by_item: dict[int, list[_Unit]] = {}
        for unit in units:
            by_item.setdefault(unit.item, []).append(unit)
        identity = backend.identity()
        for item, item_units in by_item.items():
            results[item] = self._assemble(examples[item], item_units, identity)
        return [r if r is not None else NotApplicable("nothing to rewrite") for r in results]

    def plan(self, examples: Sequence[Example], rngs: Sequence[random.Random]) -> list[ChatRequest]:
        """The first-attempt, first-stage requests `apply_batch` would send (for --dry-run; nothing is sent).

        Resamples and later stages (back-translation's return leg) depend on the replies and are not included.
        """
        requests = []
        for item, (example, rng) in enumerate(zip(examples, rngs, strict=True)):
            if self.applies(example) is not None:
                continue
            for unit in self.units_of(item, example, rng):
                template, variables = self.stages(unit.original)[0]
                requests.append(self._request(template.messages(variables), unit, 0, unit.original))
        return requests

    def _request(self, messages: tuple[Message, ...], unit: _Unit, attempt: int, text: str) -> ChatRequest:
        budget = min(self.max_tokens, int(len(text) * self.max_length_ratio / 3) + 32)
        if attempt == 0 and self.temperature == 0.0:
            return ChatRequest(messages=messages, max_tokens=budget, temperature=0.0)
        temperature = self.temperature if attempt == 0 else self.resample_temperature
        return ChatRequest(messages=messages, max_tokens=budget, temperature=temperature,
                           seed=(unit.seed + attempt) % 2**31, sample_index=attempt)

    def _attempt(self, pending: list[_Unit], attempt: int, backend: Backend) -> None:
        current = {id(u): u.original for u in pending}
        alive = list(pending)
        for stage in range(len(self.stages("x"))):
            requests = []
            for unit in alive:
                template, variables = self.stages(current[id(unit)])[stage]
                requests.append(self._request(template.messages(variables), unit, attempt, current[id(unit)]))
            generations = backend.generate(requests)
            survivors = []
            for unit, generation in zip(alive, generations, strict=True):
                if not generation.ok:
                    unit.reason = f"generation failed: {generation.error}"
                    continue
                text = clean_generation(generation.text or "")
                if not text:
                    unit.reason = "empty"
                    continue
                current[id(unit)] = text
                survivors.append(unit)
            alive = survivors
        checked = []
        for unit in alive:
            unit.attempts = attempt + 1
            reason = rejection_reason(current[id(unit)], unit.original, min_ratio=self.min_length_ratio,
                                      max_ratio=self.max_length_ratio) or self.extra_check(current[id(unit)],
                                                                                           unit.original)
            if reason is not None:
                unit.reason = reason
            else:
                checked.append(unit)
        for unit in pending:
            unit.attempts = attempt + 1
        if checked and self.min_similarity > 0:
            from judgekit.transforms.quality import shared_embedder

            scores = shared_embedder().similarities([current[id(u)] for u in checked], [u.original for u in checked])
        else:
            scores = [None] * len(checked)
        for unit, score in zip(checked, scores, strict=True):
            if score is not None and score < self.min_similarity:
                unit.reason = f"similarity {score:.2f} < {self.min_similarity:g}"
                unit.similarity = score
                continue
            unit.result, unit.similarity, unit.reason = current[id(unit)], score, None

    def _assemble(self, example: Example, units: list[_Unit], identity: dict[str, Any]) -> Example | NotApplicable:
        failed = {u.where: u.reason or "unknown" for u in units if u.result is None}
        if failed:
            summary = "; ".join(f"{where}: {reason}" for where, reason in failed.items())
            return GenerationFailed(f"after {self.max_attempts} attempt(s): {summary}", failed)
        fields: dict[str, Any] = {"chosen": list(example.chosen), "rejected": list(example.rejected),
                                  "prompt": list(example.prompt)}
        for unit in units:
            if unit.field == "prompt":
                fields["prompt"][unit.index] = Message(example.prompt[unit.index].role, unit.result or "")
            else:
                fields[unit.field][unit.index] = unit.result
        templates = {t.name: t.sha256 for t, _ in self.stages("x")}
        provenance = {
            "transform": self.name,
            "backend": identity,
            "templates": templates,
            "texts": {u.where: {"attempts": u.attempts, "similarity": u.similarity} for u in units},
        }
        changed = {name: tuple(value) for name, value in fields.items() if name in self.targets}
        return example.replace(**changed).with_meta(llm=provenance)


@transform("paraphrase")
class Paraphrase(LLMRewrite):
    """Paraphrase each chosen and rejected response with an LLM (meaning kept, wording changed)."""

    template: str = "paraphrase/response"


@transform("paraphrase-prompt")
class ParaphrasePrompt(LLMRewrite):
    """Paraphrase the (last) user instruction with an LLM, without answering it."""

    targets: ClassVar[tuple[str, ...]] = ("prompt",)
    template: str = "paraphrase/prompt"

    def extra_check(self, candidate: str, original: str) -> str | None:
        # small models often answer the question instead of rephrasing it
        if original.rstrip().endswith("?") and not candidate.rstrip().endswith("?"):
            return "a question became a statement (answered, not paraphrased)"
        return None


@transform("back-translation")
class BackTranslation(LLMRewrite):
    """Translate each response into a pivot language and back with an LLM (default pivot: Spanish)."""

    language: str = "Spanish"
    source_language: str = "English"
    template: str = "translate/translate"
    max_length_ratio: float = 2.5
    min_length_ratio: float = 0.4

    def stages(self, text: str) -> list[tuple[PromptTemplate, dict[str, Any]]]:
        template = load_template(self.template)
        return [
            (template, {"text": text, "source_language": self.source_language, "target_language": self.language}),
            (template, {"text": text, "source_language": self.language, "target_language": self.source_language}),
        ]


@transform("llm-rewrite")
class StyleRewrite(LLMRewrite):
    """Rewrite each response in another style (default: formal) with an LLM, keeping its content."""

    style: str = "formal"
    template: str = "rewrite/style"

    def stages(self, text: str) -> list[tuple[PromptTemplate, dict[str, Any]]]:
        return [(load_template(self.template), {"text": text, "style": self.style})]
