"""Judge specs: the pydantic models that YAML files in ``judges/`` and Python users both build.

Every judge kind is a `Judge` subclass registered with ``@JUDGES.register(kind)`` that owns its spec model
(``Spec``, a `JudgeSpec` subclass). Built in: ``scalar`` (a sequence-classification reward model),
``generative`` (backend + template + parser) and ``panel`` (member judges and a vote; judgekit.judges.panel). `validate_spec` picks the model by ``kind``, so a plugin's
judge kind validates like a built-in one. Template and parser names are checked here, before anything
is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, field_validator, model_validator

from judgekit.backends.spec import BackendSpec, coerce_backend

DEFAULT_TEMPLATES = {
    "pairwise": "judge/pairwise",
    "pointwise": "judge/rating",
    "best-of-n": "judge/best-of-n",
    "verifier": "judge/verifier",
}
DEFAULT_PARSERS = {"pairwise": "pairwise", "pointwise": "rating", "best-of-n": "choice", "verifier": "verify"}


class JudgeSpec(BaseModel):
    """Fields every judge kind has."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    name: str | None = None
    description: str = ""

    @property
    def display_name(self) -> str:
        return self.name or self.kind


class ScalarJudgeSpec(JudgeSpec):
    """A sequence-classification reward model scoring (prompt, response)."""

    kind: Literal["scalar"] = "scalar"
    model: str = Field(description="HF model id, local folder, or embedded:minilm-rm[@seed]")
    revision: str | None = None
    dtype: Literal["float32", "bfloat16", "float16", "auto"] = "float32"
    device: str = Field("auto", description="cpu, cuda, cuda:N, mps, or auto (cuda when available)")
    trust_remote_code: bool = False
    max_length: int | None = Field(None, ge=8, description="truncate inputs to this many tokens (from the left)")
    token_budget: int = Field(16384, ge=64, description="max padded tokens per forward batch")
    max_batch_size: int = Field(64, ge=1)
    score_index: int = Field(0, ge=0, description="which logit is the reward (0 for num_labels=1)")
    cache: bool = Field(True, description="keep scores on disk keyed by model identity and text")

    @property
    def display_name(self) -> str:
        return self.name or Path(self.model).name or self.model


class GenerativeJudgeSpec(JudgeSpec):
    """An LLM-as-judge: a backend, a prompt template and a strict parser."""

    kind: Literal["generative"] = "generative"
    backend: SerializeAsAny[BackendSpec] = Field(default="embedded", validate_default=True,
                                                 description="backend spec or string (default: embedded SmolLM2)")
    mode: Literal["pairwise", "pointwise", "best-of-n", "verifier"] = "pairwise"
    template: str | None = None
    parser: str | None = None
    system: str | None = None
    both_orders: bool = Field(True, description="pairwise: ask in both presentation orders")
    inconsistent: Literal["tie", "wrong", "first"] = Field(
        "tie", description="pairwise: what a pair that flips with the order counts as")
    reference: Literal["meta", "chosen"] = Field(
        "meta", description="verifier: the reference answer from meta.reference/answer, or the chosen response "
        "(only rejected responses are then checked: the master-key setting)")
    logprobs: int | None = Field(None, ge=1, le=20, description="pairwise: decide by P(A) vs P(B) of the first token")
    max_tokens: int = Field(512, ge=1)
    temperature: float = Field(0.0, ge=0.0)
    seed: int | None = 0
    rubric: str | None = Field(None, description="text the template reads as 'rubric'")
    rubric_file: str | None = Field(None, description="a file whose text the template reads as 'rubric'")
    fewshot_file: str | None = Field(None, description="JSONL/JSON/YAML list of mappings the template reads as "
                                     "'fewshot'")
    samples: int = Field(1, ge=1, le=64, description="ask each question k times (seeds seed..seed+k-1) and take "
                         "the majority verdict (self-consistency)")
    reprompt: bool = Field(False, description="when a reply holds no verdict, ask once more for the verdict alone")

    @field_validator("backend", mode="before")
    @classmethod
    def _backend(cls, value: Any) -> Any:
        return coerce_backend(value)

    @model_validator(mode="after")
    def _check(self) -> GenerativeJudgeSpec:
        from judgekit import resources
        from judgekit.errors import SpecError
        from judgekit.judges.parsers import PARSERS
        from judgekit.templates import SUFFIXES

        if self.logprobs is not None and self.mode != "pairwise":
            raise ValueError("'logprobs' works with mode: pairwise only")
        if self.logprobs is not None and (self.samples > 1 or self.reprompt):
            raise ValueError("'samples' and 'reprompt' need written verdicts; logprob mode reads no text")
        if self.samples > 1 and (self.temperature == 0.0 or self.seed is None):
            raise ValueError("'samples: k' needs temperature > 0 (else the k answers are the same) and a 'seed' "
                             "(sample s is sent with seed + s, so every sample is cached)")
        if self.rubric is not None and self.rubric_file is not None:
            raise ValueError("set either 'rubric' (the text) or 'rubric_file' (a path), not both")
        if self.parser_name not in PARSERS:
            raise ValueError(PARSERS.unknown_message(self.parser_name))
        try:
            resources.find("prompts", self.template_name, suffixes=SUFFIXES)
        except SpecError as exc:
            raise ValueError(f"template: {exc}") from None
        return self

    @property
    def display_name(self) -> str:
        return self.name or f"{self.backend.backend}-{self.mode}"

    @property
    def template_name(self) -> str:
        if self.template:
            return self.template
        return "judge/pairwise-logprob" if self.logprobs else DEFAULT_TEMPLATES[self.mode]

    @property
    def parser_name(self) -> str:
        return self.parser or DEFAULT_PARSERS[self.mode]


def spec_model(kind: str) -> type[JudgeSpec]:
    """The spec model of a registered judge kind."""
    from judgekit.errors import SpecError
    from judgekit.judges.base import JUDGES

    model = getattr(JUDGES.get(kind), "Spec", None)
    if not (isinstance(model, type) and issubclass(model, JudgeSpec)):
        raise SpecError(f"judge kind '{kind}' declares no Spec (a JudgeSpec subclass)")
    return model


def validate_spec(data: Any, *, source: str = "<judge spec>") -> JudgeSpec:
    """Validate a mapping into its kind's spec model; errors name the file and the field."""
    from judgekit.errors import SpecError
    from judgekit.judges.base import JUDGES
    from judgekit.specfile import validate

    if isinstance(data, JudgeSpec):
        return data
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a judge spec is a mapping (kind, model or backend, ...), got {type(data).__name__}")
    kind = data.get("kind")
    if kind is None:
        raise SpecError(f"{source}: field 'kind': required (one of {', '.join(JUDGES.names())})")
    if not isinstance(kind, str) or kind not in JUDGES:
        raise SpecError(f"{source}: field 'kind': {JUDGES.unknown_message(str(kind))}")
    return validate(spec_model(kind), data, source=source, what="a judge spec is a mapping (kind, model or backend, ...)")
