"""Train a scalar reward model from a `RewardTrainConfig`: data -> pairs (+ rewrites) -> Trainer -> HF folder."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.data.pairs import PairReport
from judgekit.errors import DataError, OutputError, SpecError
from judgekit.outputs import OutputTarget, prepare_output
from judgekit.provenance import TrainingManifest, input_record, sha256_path, versions
from judgekit.train.config import LoraConfig, OptimConfig, RewardTrainConfig, resolve_model

Progress = Callable[[str], None]


@dataclass
class TrainResult:
    """Where the model went and what happened."""

    output_dir: Path
    manifest: Any  # judgekit.provenance.TrainingManifest
    metrics: dict[str, Any] = field(default_factory=dict)


def load_reward_model(base_model: str | Path, *, lora: LoraConfig | None = None, dtype: Any = None) -> tuple[Any, Any]:
    """Tokenizer and ``AutoModelForSequenceClassification`` (num_labels=1, pad token set), LoRA-wrapped if asked."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        if tokenizer.pad_token is None:
            raise SpecError(f"{base_model}: the tokenizer has no pad, eos or unk token to pad with")
    kwargs = {"dtype": dtype} if dtype is not None else {}
    model = AutoModelForSequenceClassification.from_pretrained(base_model, num_labels=1, **kwargs)
    model.config.pad_token_id = tokenizer.pad_token_id
    if lora is not None:
        from peft import LoraConfig as PeftLora
        from peft import TaskType, get_peft_model

        model = get_peft_model(model, PeftLora(task_type=TaskType.SEQ_CLS, r=lora.r, lora_alpha=lora.alpha,
                                               lora_dropout=lora.dropout, target_modules=lora.target_modules))
    return tokenizer, model


def on_cpu_keep_freed_memory() -> bool:
    """Training on the CPU: apply `judgekit.train.memory.keep_freed_memory` (True when in effect)."""
    import torch

    from judgekit.train.memory import keep_freed_memory

    return not torch.cuda.is_available() and keep_freed_memory()


def use_bf16(precision: str) -> bool:
    import torch

    if precision == "bf16":
        if not torch.cuda.is_available():
            raise SpecError("precision: bf16 needs a CUDA device here; use fp32 (or auto) on CPU")
        return True
    return precision == "auto" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def optim_arguments(optim: OptimConfig, *, seed: int, bf16: bool) -> dict[str, Any]:
    """The `TrainingArguments` fields an `OptimConfig` sets (shared by reward-model and judge SFT runs)."""
    return {
        "per_device_train_batch_size": optim.batch_size,
        "gradient_accumulation_steps": optim.gradient_accumulation_steps,
        "optim": optim.optimizer,
        "learning_rate": optim.learning_rate,
        "num_train_epochs": optim.epochs,
        "max_steps": optim.max_steps,
        "warmup_steps": optim.warmup_ratio,  # transformers 5: a float in [0, 1) is a ratio of the total steps
        "weight_decay": optim.weight_decay,
        "lr_scheduler_type": optim.lr_scheduler,
        "max_grad_norm": optim.max_grad_norm,
        "logging_steps": optim.logging_steps,
        "save_strategy": "steps" if optim.save_steps else "no",
        "save_steps": optim.save_steps or 500,
        "seed": seed,
        "data_seed": seed,
        "bf16": bf16,
        "report_to": [],
        "disable_tqdm": True,
        "dataloader_pin_memory": bf16,
    }


def training_arguments(output_dir: Path, optim: OptimConfig, *, seed: int, bf16: bool, **extra: Any) -> Any:
    from transformers import TrainingArguments

    return TrainingArguments(output_dir=str(output_dir), **optim_arguments(optim, seed=seed, bf16=bf16),
                             remove_unused_columns=False, dataloader_num_workers=0, **extra)


def quiet_trainer(trainer: Any, say: Progress) -> None:
    """Send the Trainer's log lines to ``say`` instead of stdout (only the CLI prints)."""
    from transformers import PrinterCallback, TrainerCallback

    class _Forward(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any) -> None:
            if logs and "loss" in logs:
                shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in logs.items())
                say(f"step {state.global_step}: {shown}")

    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(_Forward())


def prepare_output_dirs(config: Any, target: OutputTarget | None) -> tuple[OutputTarget, Path]:
    """The checked output folder and the checkpoints folder beside it (``<output>.checkpoints``)."""
    if target is None:
        if not config.output.dir:
            raise SpecError("output.dir: where the trained model goes (or pass --out)")
        target = prepare_output(config.output.dir, command="train", overwrite=config.output.overwrite)
    target.path.parent.mkdir(parents=True, exist_ok=True)  # the prepared data's working folder goes beside it
    checkpoints = target.path.with_name(target.path.name + ".checkpoints")
    if checkpoints.is_dir() and any(not p.name.startswith("checkpoint-") for p in checkpoints.iterdir()):
        raise OutputError(f"{checkpoints} holds files that are not training checkpoints: move them, or train "
                          "into another folder")
    return target, checkpoints


def base_model_record(base: str | Path) -> dict[str, Any]:
    return {"path": str(base), "config_sha256": sha256_path(Path(base) / "config.json")}


def train_reward_model(config: RewardTrainConfig, *, progress: Progress | None = None,
                       target: OutputTarget | None = None) -> TrainResult:
    """Train, save an ordinary HF folder at ``config.output.dir`` and write its training manifest.

    Checkpoints (when ``optim.save_steps`` is set) go to ``<output>.checkpoints/``; resume with
    ``resume_from_checkpoint`` (a checkpoint folder, or true for the latest there).
    """
    from transformers import set_seed

    from judgekit.train.prepared import prepare_pairs

    say = progress or (lambda _: None)
    target, checkpoints = prepare_output_dirs(config, target)
    set_seed(config.seed)
    report = PairReport()
    # The prepared pairs live on disk beside the output while training runs (removed after).
    with tempfile.TemporaryDirectory(prefix=f".{target.path.name}.pairs-", dir=target.path.parent) as work:
        say("preparing pairs")
        pairs, variant_provenance, selected = prepare_pairs(config, report, Path(work))
        if not len(pairs):
            raise DataError("no training pairs", source=", ".join(config.data.sources))
        say(f"{report.pairs} pairs from {report.items} items"
            + (f"; {report.pairs_with_variant} with a rewrite" if config.variants is not None else ""))
        return _train(config, target, checkpoints, pairs, report, variant_provenance, selected, say)


def _train(config: RewardTrainConfig, target: OutputTarget, checkpoints: Path, pairs: Any, report: PairReport,
           variant_provenance: dict[str, Any], selected: Any, say: Progress) -> TrainResult:
    from transformers import set_seed

    from judgekit.train.collate import PairCollator, input_format
    from judgekit.train.manifest import write_manifest
    from judgekit.train.trainer import RewardTrainer

    base = resolve_model(config.base_model)
    bf16 = use_bf16(config.precision)
    tuned = on_cpu_keep_freed_memory()
    set_seed(config.seed)
    tokenizer, model = load_reward_model(base, lora=config.lora)
    args = training_arguments(checkpoints, config.optim, seed=config.seed, bf16=bf16)
    collator = PairCollator(tokenizer, config.max_length, with_variants=config.objective != "standard")
    trainer = RewardTrainer(model=model, args=args, train_dataset=pairs, data_collator=collator,
                            objective=config.objective, base_loss=config.loss, alpha=config.alpha)
    quiet_trainer(trainer, say)
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=config.resume_from_checkpoint or None)
    seconds = time.perf_counter() - started
    if checkpoints.is_dir() and not any(checkpoints.iterdir()):  # the Trainer made it; nothing was saved
        checkpoints.rmdir()
    history = [h for h in trainer.state.log_history if "loss" in h]
    say(f"trained {trainer.state.global_step} steps in {seconds:.1f}s, final train loss {result.training_loss:.4f}")
    final = trainer.model
    if config.lora is not None:
        final = final.merge_and_unload()
    variant_inputs = [input_record(s, path=s if Path(s).exists() else None) for s in
                      (config.variants.sources if config.variants else [])]
    with target.writing() as folder:
        final.save_pretrained(folder, safe_serialization=True)
        # The scalar judge truncates at the tokenizer's limit: score with the length the model was trained on.
        tokenizer.model_max_length = config.max_length
        tokenizer.save_pretrained(folder)
        manifest = write_manifest(folder, TrainingManifest(
            kind="reward-model", config=config.model_dump(mode="json"), base_model=base_model_record(base),
            inputs=[*selected.inputs(), *variant_inputs], data=report.to_dict(),
            variants={"config": config.variants.model_dump(mode="json") if config.variants else None,
                      "sets": variant_provenance},
            objective=config.objective, loss=config.loss,
            alpha=config.alpha if config.objective == "regularized" else None,
            input_format={"format": input_format(tokenizer)}, max_length=config.max_length,
            training={"steps": trainer.state.global_step, "seconds": round(seconds, 2),
                      "train_loss": result.training_loss, "bf16": bf16, "device": str(trainer.args.device),
                      "cpu_allocator_tuned": tuned, "log": history},
            versions=versions()))
    return TrainResult(target.path, manifest, {"train_loss": result.training_loss,
                                               "steps": trainer.state.global_step, "seconds": seconds})
