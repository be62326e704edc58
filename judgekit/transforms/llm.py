"""LLM-written variants: `paraphrase`, `paraphrase-prompt`, `back-translation`, `llm-rewrite`.

Each rewrites its target texts through a backend and a prompt template, then checks the result: preamble
stripped ("Here is the paraphrase:"), not empty, not identical, not a refusal, length ratio within
bounds, and embedding cosine similarity to the original >= ``min_similarity`` (all-MiniLM-L6-v2, mean
pooling, as reWordBench does). A text that fails is resampled (seeded, ``resample_temperature``) up to
``max_attempts`` times in all. An item whose texts still fail comes back as `GenerationFailed` (a
`NotApplicable`) with the reason per text — never silently kept or dropped.

No rounds: every text goes through its own attempts and stages (`RewriteJob`). Its next request (the
next stage, or a resample) is submitted the moment its reply arrives and is checked, while every other
text's requests stay in flight; a stalled request holds up its own text only. Several transforms' jobs
share one `Flow` (`judgekit.transforms.engine.run_transforms`). Each text's result depends on its own
replies alone, so the output does not depend on timing, batching or chunking.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from judgekit.backends.base import ChatRequest, Generation
from judgekit.backends.dispatch import Flow
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
        flow = Flow(backend)
        job = self.start(examples, rngs, flow)
        flow.drive([job])
        return job.results(backend.identity())

    def start(self, examples: Sequence[Example], rngs: Sequence[random.Random], flow: Flow) -> RewriteJob:
        """Submit every text's first request to ``flow``; drive the flow to finish the job."""
        job = RewriteJob(self, list(examples))
        for item, (example, rng) in enumerate(zip(examples, rngs, strict=True)):
            reason = self.applies(example)
            if reason is not None:
                job.outcome[item] = NotApplicable(reason)
                continue
            job.units.extend(self.units_of(item, example, rng))
        for unit in job.units:  # render everything once before any request: template errors surface now
            for template, variables in self.stages(unit.original):
                template.messages(variables)
        for unit in job.units:
            job.begin(unit, 0, flow)
        return job

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


class RewriteJob:
    """One transform's texts in flight: each goes stage by stage and attempt by attempt on its own."""

    def __init__(self, transform: LLMRewrite, examples: list[Example]) -> None:
        self.transform = transform
        self.examples = examples
        self.units: list[_Unit] = []
        self.outcome: dict[int, NotApplicable] = {}
        self.stage_count = len(transform.stages("x"))
        self._to_check: list[tuple[_Unit, int, str]] = []  # passed the text checks; similarity next

    def begin(self, unit: _Unit, attempt: int, flow: Flow) -> None:
        self._submit(unit, attempt, 0, unit.original, flow)

    def _submit(self, unit: _Unit, attempt: int, stage: int, text: str, flow: Flow) -> None:
        template, variables = self.transform.stages(text)[stage]
        request = self.transform._request(template.messages(variables), unit, attempt, text)
        flow.submit(request, (self, unit, attempt, stage))

    def on_result(self, tag: tuple[Any, _Unit, int, int], generation: Generation, flow: Flow) -> None:
        _, unit, attempt, stage = tag
        if not generation.ok:
            self._failed(unit, attempt, f"generation failed: {generation.error}", flow)
            return
        text = clean_generation(generation.text or "")
        if not text:
            self._failed(unit, attempt, "empty", flow)
            return
        if stage + 1 < self.stage_count:
            self._submit(unit, attempt, stage + 1, text, flow)
            return
        transform = self.transform
        reason = rejection_reason(text, unit.original, min_ratio=transform.min_length_ratio,
                                  max_ratio=transform.max_length_ratio) or transform.extra_check(text, unit.original)
        if reason is not None:
            self._failed(unit, attempt, reason, flow)
        elif transform.min_similarity > 0:
            self._to_check.append((unit, attempt, text))
        else:
            unit.result, unit.similarity, unit.reason, unit.attempts = text, None, None, attempt + 1

    @property
    def unsettled(self) -> int:
        """Rewrites waiting for their similarity check."""
        return len(self._to_check)

    def settle(self, flow: Flow) -> None:
        """Similarity of the rewrites that arrived since the last call (one embedding batch)."""
        if not self._to_check:
            return
        checking, self._to_check = self._to_check, []
        from judgekit.transforms.quality import shared_embedder

        scores = shared_embedder().similarities([t for _, _, t in checking], [u.original for u, _, _ in checking])
        for (unit, attempt, text), score in zip(checking, scores, strict=True):
            if score < self.transform.min_similarity:
                unit.similarity = score
                self._failed(unit, attempt, f"similarity {score:.2f} < {self.transform.min_similarity:g}", flow)
            else:
                unit.result, unit.similarity, unit.reason, unit.attempts = text, score, None, attempt + 1

    def _failed(self, unit: _Unit, attempt: int, reason: str, flow: Flow) -> None:
        unit.reason, unit.attempts = reason, attempt + 1
        if attempt + 1 < self.transform.max_attempts:
            self.begin(unit, attempt + 1, flow)  # the resample goes out now, not after a round

    def results(self, identity: dict[str, Any]) -> list[Example | NotApplicable]:
        by_item: dict[int, list[_Unit]] = {}
        for unit in self.units:
            by_item.setdefault(unit.item, []).append(unit)
        out: list[Example | NotApplicable] = []
        for item, example in enumerate(self.examples):
            if item in self.outcome:
                out.append(self.outcome[item])
            elif item in by_item:
                out.append(self.transform._assemble(example, by_item[item], identity))
            else:
                out.append(NotApplicable("nothing to rewrite"))
        return out


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
