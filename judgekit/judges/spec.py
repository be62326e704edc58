"""Judge specs: the pydantic model that YAML files in ``judges/`` and Python users both build."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_TEMPLATES = {
    "pairwise": "judge/pairwise",
    "pointwise": "judge/rating",
    "best-of-n": "judge/best-of-n",
    "verifier": "judge/verifier",
}
DEFAULT_PARSERS = {"pairwise": "pairwise", "pointwise": "rating", "best-of-n": "choice", "verifier": "verify"}


class JudgeSpec(BaseModel):
    """A scalar reward model or a generative judge (backend + template + parser + options)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str = ""
    kind: Literal["scalar", "generative"]

    # -- scalar reward models (AutoModelForSequenceClassification) --
    model: str | None = Field(None, description="HF model id or local folder (scalar judges)")
    revision: str | None = None
    dtype: Literal["float32", "bfloat16", "float16", "auto"] = "float32"
    device: str = Field("auto", description="cpu, cuda, cuda:N, mps, or auto (cuda when available)")
    trust_remote_code: bool = False
    max_length: int | None = Field(None, ge=8, description="truncate inputs to this many tokens (from the left)")
    token_budget: int = Field(16384, ge=64, description="max padded tokens per forward batch")
    max_batch_size: int = Field(64, ge=1)
    score_index: int = Field(0, ge=0, description="which logit is the reward (0 for num_labels=1)")
    cache: bool = Field(True, description="keep scores on disk keyed by model identity and text")

    # -- generative judges --
    backend: str | dict[str, Any] | None = None
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

    @model_validator(mode="after")
    def _check_kind(self) -> JudgeSpec:
        if self.kind == "scalar":
            if not self.model:
                raise ValueError("scalar judges need 'model' (an HF model id or a local folder)")
            if self.backend is not None or self.template is not None or self.parser is not None:
                raise ValueError("'backend', 'template' and 'parser' are for generative judges; remove them")
        else:
            if self.model is not None:
                raise ValueError("generative judges take the model inside 'backend' (e.g. {name: openai, model: ...})")
            if self.logprobs is not None and self.mode != "pairwise":
                raise ValueError("'logprobs' works with mode: pairwise only")
        return self

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.model:
            return Path(self.model).name or self.model
        return f"{self.backend if isinstance(self.backend, str) else 'generative'}-{self.mode}"

    @property
    def template_name(self) -> str:
        if self.template:
            return self.template
        return "judge/pairwise-logprob" if self.logprobs else DEFAULT_TEMPLATES[self.mode]

    @property
    def parser_name(self) -> str:
        return self.parser or DEFAULT_PARSERS[self.mode]


def validate_spec(data: Any, *, source: str = "<judge spec>") -> JudgeSpec:
    """Validate a mapping into a JudgeSpec; errors name the file and the field."""
    from judgekit.specfile import validate

    return validate(JudgeSpec, data, source=source, what="a judge spec is a mapping (kind, model or backend, ...)")
