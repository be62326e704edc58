"""Judge SFT: TRL's ``SFTTrainer`` on consistency data (see judgekit.judges.export), saved as an HF folder."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from judgekit.data.pairs import PairReport
from judgekit.errors import DataError
from judgekit.judges.export import JudgePrompt, is_judge_record_file
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


def write_sft_records(config: JudgeSFTConfig, report: PairReport, folder: Path, tokenizer: Any) -> tuple[Path, int, list[Any]]:
    """Stream the records to train on into ``folder/records.jsonl``; returns the file, how many and the inputs'
    provenance.

    Exported SFT files are read as they are; preference data is exported on the fly, its pairs and rewrites
    prepared in chunks (`judgekit.train.prepared`), two records per comparison. Records whose prompt + verdict
    do not fit in ``max_length`` tokens are counted, not trained on (truncating them would cut the verdict off).
    """
    import json

    from judgekit.judges.export import comparisons_of, records_of
    from judgekit.train.prepared import prepare_pairs

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "records.jsonl"
    preference_sources = [s for s in config.data.sources if not (Path(s).is_file() and is_judge_record_file(s))]
    inputs = []
    kept = seen = 0
    with open(path, "w", encoding="utf-8") as out:
        def keep(record: dict[str, Any]) -> None:
            nonlocal kept, seen
            seen += 1
            if fits(record, tokenizer, config.max_length):
                out.write(json.dumps({"prompt": record["prompt"], "completion": record["completion"]},
                                     ensure_ascii=False) + "\n")
                kept += 1
            else:
                report.left_out[f"SFT record longer than max_length={config.max_length} tokens"] += 1

        for source in config.data.sources:
            if source in preference_sources:
                continue
            count = 0
            with open(source, encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        keep(json.loads(line))
                        count += 1
            inputs.append(input_record(source, path=source, format="judge-sft", items=count))
        if preference_sources:
            spec = config.model_copy(update={"data": config.data.model_copy(update={"sources": preference_sources})})
            pairs, _, selected = prepare_pairs(spec, report, folder / "pairs", every_rewrite=True)
            prompt = JudgePrompt(config.template)
            for pair in pairs:
                for record in records_of(comparisons_of([pair]), kind="sft", prompt=prompt):
                    keep(record)
            inputs += selected.inputs()
    if not seen:
        raise DataError("no SFT records", source=", ".join(config.data.sources))
    if not kept:
        raise DataError(f"every SFT record is longer than max_length={config.max_length} tokens", hint="raise max_length")
    return path, kept, inputs


def fits(record: dict[str, Any], tokenizer: Any, max_length: int) -> bool:
    """Whether a record's prompt + verdict fit in ``max_length`` tokens."""
    ids = tokenizer.apply_chat_template([*record["prompt"], *record["completion"]], tokenize=True)
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    return len(ids) <= max_length


def train_judge_sft(config: JudgeSFTConfig, *, progress: Progress | None = None,
                    target: OutputTarget | None = None) -> TrainResult:
    """Fine-tune a causal LM to give the consistent verdict; saves model, tokenizer and manifest."""
    from datasets import load_dataset
    from transformers import AutoTokenizer, set_seed

    say = progress or (lambda _: None)
    target, checkpoints = prepare_output_dirs(config, target)
    set_seed(config.seed)
    report = PairReport()
    base = resolve_model(config.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # Records stream onto disk beside the output and are read memory-mapped (Arrow); removed after training.
    with tempfile.TemporaryDirectory(prefix=f".{target.path.name}.records-", dir=target.path.parent) as work:
        say("preparing SFT records")
        path, count, inputs = write_sft_records(config, report, Path(work), tokenizer)
        say(f"{count} SFT records (both orders{' and rewrites' if config.variants else ''}); "
            f"left out: {dict(report.left_out) or 'none'}")
        dataset = load_dataset("json", data_files=str(path), split="train", cache_dir=str(Path(work) / "arrow"))
        return _train(config, target, checkpoints, base, tokenizer, dataset, count, inputs, report, say)


def _train(config: JudgeSFTConfig, target: OutputTarget, checkpoints: Path, base: Any, tokenizer: Any, dataset: Any,
           count: int, inputs: list[Any], report: PairReport, say: Progress) -> TrainResult:
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    from judgekit.train.manifest import write_manifest

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
            inputs=inputs, data={"records": count, **report.to_dict()},
            training={"steps": trainer.state.global_step, "seconds": round(seconds, 2),
                      "train_loss": result.training_loss, "bf16": bf16,
                      "log": [h for h in trainer.state.log_history if "loss" in h]},
            versions=versions()))
    return TrainResult(target.path, manifest, {"train_loss": result.training_loss,
                                               "steps": trainer.state.global_step, "seconds": seconds})
