"""Judge SFT: TRL's ``SFTTrainer`` on consistency data (see judgekit.judges.export), saved as an HF folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from judgekit.data.pairs import PairReport
from judgekit.data.selection import select_examples
from judgekit.errors import DataError
from judgekit.judges.export import JudgePrompt, is_judge_record_file, judge_records
from judgekit.outputs import OutputTarget
from judgekit.provenance import TrainingManifest, input_record, versions
from judgekit.train.config import JudgeSFTConfig, resolve_model
from judgekit.train.run import (
    Progress,
    TrainResult,
    base_model_record,
    on_cpu_keep_freed_memory,
    optim_arguments,
    prepare_output_dirs,
    quiet_trainer,
    use_bf16,
)


def sft_records(config: JudgeSFTConfig, report: PairReport) -> tuple[list[dict[str, Any]], list[Any]]:
    """Exported SFT files are read as they are; preference data is exported on the fly (with its variants).
    Returns the records and the inputs' provenance."""
    import json

    from judgekit.train.variants import collect_variants

    records: list[dict[str, Any]] = []
    preference_sources = []
    inputs = []
    for source in config.data.sources:
        if Path(source).is_file() and is_judge_record_file(source):
            with open(source, encoding="utf-8") as handle:
                found = [json.loads(line) for line in handle if line.strip()]
            records += found
            inputs.append(input_record(source, path=source, format="judge-sft", items=len(found)))
        else:
            preference_sources.append(source)
    if preference_sources:
        selected = select_examples(config.data.model_copy(update={"sources": preference_sources}),
                                   base=config.base_dir)
        examples = list(selected)
        inputs += selected.inputs()
        variants = collect_variants(examples, config.variants, report.left_out) if config.variants else {}
        records += judge_records(examples, kind="sft", variant_sets=variants, data=config.pairs,
                                 prompt=JudgePrompt(config.template), seed=config.seed, report=report)
    if not records:
        raise DataError("no SFT records", source=", ".join(config.data.sources))
    return records, inputs


def fitting_records(records: list[dict[str, Any]], tokenizer: Any, max_length: int,
                    report: PairReport) -> list[dict[str, Any]]:
    """Records whose prompt + verdict fit in ``max_length`` tokens; the rest are counted, not trained on.

    (Truncating them would cut the verdict off, leaving nothing to learn.)
    """
    kept = []
    for record in records:
        ids = tokenizer.apply_chat_template([*record["prompt"], *record["completion"]], tokenize=True)
        ids = ids["input_ids"] if hasattr(ids, "keys") else ids
        if len(ids) > max_length:
            report.left_out[f"SFT record longer than max_length={max_length} tokens"] += 1
        else:
            kept.append(record)
    if not kept:
        raise DataError(f"every SFT record is longer than max_length={max_length} tokens", hint="raise max_length")
    return kept


def train_judge_sft(config: JudgeSFTConfig, *, progress: Progress | None = None,
                    target: OutputTarget | None = None) -> TrainResult:
    """Fine-tune a causal LM to give the consistent verdict; saves model, tokenizer and manifest."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import SFTConfig, SFTTrainer

    from judgekit.train.manifest import write_manifest

    say = progress or (lambda _: None)
    target, checkpoints = prepare_output_dirs(config, target)
    set_seed(config.seed)
    report = PairReport()
    records, inputs = sft_records(config, report)
    base = resolve_model(config.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    records = fitting_records(records, tokenizer, config.max_length, report)
    say(f"{len(records)} SFT records (both orders{' and rewrites' if config.variants else ''}); "
        f"left out: {dict(report.left_out) or 'none'}")
    dataset = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in records])
    on_cpu_keep_freed_memory()
    model = AutoModelForCausalLM.from_pretrained(base)
    peft_config = None
    if config.lora is not None:
        from peft import LoraConfig, TaskType

        peft_config = LoraConfig(task_type=TaskType.CAUSAL_LM, r=config.lora.r, lora_alpha=config.lora.alpha,
                                 lora_dropout=config.lora.dropout, target_modules=config.lora.target_modules)
    bf16 = use_bf16(config.precision)
    args = SFTConfig(
        output_dir=str(checkpoints),
        **optim_arguments(config.optim, seed=config.seed, bf16=bf16),
        max_length=config.max_length,
        completion_only_loss=True,
        dataset_num_proc=None,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=peft_config)
    quiet_trainer(trainer, say)
    started = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - started
    if checkpoints.is_dir() and not any(checkpoints.iterdir()):  # the Trainer made it; nothing was saved
        checkpoints.rmdir()
    say(f"trained {trainer.state.global_step} steps in {seconds:.1f}s, final train loss {result.training_loss:.4f}")
    final = trainer.model
    if peft_config is not None:
        final = final.merge_and_unload()
    with target.writing() as folder:
        final.save_pretrained(folder, safe_serialization=True)
        tokenizer.save_pretrained(folder)
        manifest = write_manifest(folder, TrainingManifest(
            kind="judge-sft", config=config.model_dump(mode="json"), base_model=base_model_record(base),
            template={"name": config.template, "sha256": JudgePrompt(config.template).sha256()},
            inputs=inputs, data={"records": len(records), **report.to_dict()},
            training={"steps": trainer.state.global_step, "seconds": round(seconds, 2),
                      "train_loss": result.training_loss, "bf16": bf16,
                      "log": [h for h in trainer.state.log_history if "loss" in h]},
            versions=versions()))
    return TrainResult(target.path, manifest, {"train_loss": result.training_loss,
                                               "steps": trainer.state.global_step, "seconds": seconds})
