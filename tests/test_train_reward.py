"""Reward-model training on a tiny random BERT: pairs, collation, a short run, resume, LoRA, manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from judgekit.data import load_examples, write_examples
from judgekit.data.pairs import PairingSpec, PairReport, attach_variants, build_pairs
from judgekit.errors import DataError, SpecError
from judgekit.train.collate import PairCollator
from judgekit.train.config import load_config
from judgekit.train.losses import objective_loss
from judgekit.train.manifest import read_manifest


def _rewrite(text: str) -> str:
    return text.replace(".", " .").replace(",", " ,")


@pytest.fixture(scope="module")
def variant_file(tmp_path_factory) -> Path:
    """Rewrites of the first 12 sample items as a dataset that names its originals in meta.source_id."""
    items = load_examples("sample")[:12]
    variants = [e.replace(id=f"{e.id}-rw", chosen=tuple(_rewrite(c) for c in e.chosen),
                          rejected=tuple(_rewrite(r) for r in e.rejected)).with_meta(source_id=e.id) for e in items]
    path = tmp_path_factory.mktemp("variants") / "variants.jsonl"
    write_examples(variants, path)
    return path


def _config(model_dir: Path, out: Path, variants: Path, **changes) -> dict:
    raw = {
        "base_model": str(model_dir),
        "output": {"dir": str(out)},
        "data": {"sources": ["sample"]},
        "pairs": {"limit": 12},
        "variants": {"sources": [str(variants)]},
        "objective": "regularized",
        "alpha": 10.0,
        "max_length": 64,
        "seed": 3,
        "optim": {"batch_size": 4, "max_steps": 6, "learning_rate": 1e-3, "logging_steps": 1},
    }
    for key, value in changes.items():
        raw[key] = value
    return raw


def test_pairing_modes_expand_a_style_matrix():
    item = load_examples("sample")[0].replace(chosen=("c0", "c1", "c2"), rejected=("r0", "r1", "r2"))
    ids = lambda mode, **kw: [p.id for p in build_pairs([item], PairingSpec(pairing=mode, **kw), seed=0)]  # noqa: E731
    assert ids("first") == [f"{item.id}#0-0"]
    assert len(ids("all")) == 9
    assert ids("diagonal") == [f"{item.id}#{i}-{i}" for i in range(3)]
    sampled = ids("sample", pairs_per_item=2)
    assert len(sampled) == 2 and sampled == ids("sample", pairs_per_item=2)


def test_skip_per_subset_holds_out_exactly_what_an_eval_limit_per_subset_tests_on():
    from judgekit.data import select_examples
    from judgekit.eval.suite import load_suite

    items = load_examples("sample")
    config = load_config("demo-standard", overrides=["data.skip_per_subset=2"])
    trained = {e.id for e in select_examples(config.data)}
    suite = load_suite("demo", overrides=["data.limit_per_subset=2"])
    evaluated = {e.id for e in select_examples(suite.data)}
    subsets = {e.subset for e in items}
    assert len(evaluated) == 2 * len(subsets) and not trained & evaluated
    assert trained | evaluated == {e.id for e in items}


def test_variants_attach_by_source_id_and_report_the_rest(variant_file):
    report = PairReport()
    pairs = build_pairs(load_examples("sample")[:20], PairingSpec(), seed=0, report=report)
    attached = attach_variants(pairs, {"rw": load_examples(variant_file)}, seed=0, report=report)
    with_variant = [p for p in attached if p.variants]
    assert report.pairs_with_variant == len(with_variant) <= 12
    assert report.left_out["pairs without any variant (trained without the consistency/augmentation term)"] == 20 - len(with_variant)
    pair = with_variant[0]
    assert pair.variants[0].chosen == _rewrite(pair.chosen) and pair.variants[0].origin == "rw"


def test_collator_concatenates_chosen_rejected_and_rewrites(tiny_bert_dir, variant_file):
    from transformers import AutoTokenizer

    pairs = attach_variants(build_pairs(load_examples("sample")[:4], PairingSpec(), seed=0),
                            {"rw": load_examples(variant_file)}, seed=0)
    batch = PairCollator(AutoTokenizer.from_pretrained(tiny_bert_dir), 64)(pairs)
    assert batch["input_ids"].shape[0] == 4 * 4
    assert batch["variant_rows"].tolist() == [0, 1, 2, 3]
    standard = PairCollator(AutoTokenizer.from_pretrained(tiny_bert_dir), 64, with_variants=False)(pairs)
    assert standard["input_ids"].shape[0] == 2 * 4 and standard["variant_rows"].numel() == 0


def _loss_on(model_dir: Path, pairs, objective: str = "regularized") -> float:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    batch = PairCollator(AutoTokenizer.from_pretrained(model_dir), 64)(pairs)
    extras = {k: batch.pop(k) for k in ("n_pairs", "variant_rows", "margin", "chosen_targets", "rejected_targets")}
    with torch.no_grad():
        rewards = model(**batch).logits.squeeze(-1)
    loss, _ = objective_loss(rewards, n_pairs=int(extras["n_pairs"]), variant_rows=extras["variant_rows"],
                             objective=objective, margin=extras["margin"])
    return loss.item()


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


@pytest.mark.slow
def test_short_run_changes_every_parameter_and_lowers_the_loss(tiny_bert_dir, variant_file, tmp_path):
    from judgekit.train.prepared import prepare_pairs
    from judgekit.train.run import train_reward_model

    config = load_config(_config(tiny_bert_dir, tmp_path / "rm", variant_file,
                                  optim={"batch_size": 4, "max_steps": 12, "learning_rate": 2e-3, "logging_steps": 1}))
    pairs = list(prepare_pairs(config, PairReport(), tmp_path / "prepared")[0])
    before = _loss_on(tiny_bert_dir, pairs)
    result = train_reward_model(config)
    after = _loss_on(result.output_dir, pairs)
    assert after < before

    start, end = _weights(tiny_bert_dir), _weights(result.output_dir)
    trainable = [name for name in start if "position_ids" not in name]
    unchanged = [name for name in trainable if torch.equal(start[name], end[name])]
    assert not unchanged, f"parameters not updated: {unchanged}"

    manifest = read_manifest(result.output_dir)
    assert manifest.objective == "regularized" and manifest.alpha == 10.0
    assert manifest.data["pairs"] == 12 and manifest.data["pairs_with_variant"] >= 1
    inputs = {i.source: i for i in manifest.inputs}
    assert len(inputs["sample"].sha256) == 64 and inputs["sample"].items == 60
    assert inputs[str(variant_file)].sha256 is not None
    assert manifest.versions["torch"] and manifest.versions["transformers"]
    assert "model.safetensors" in manifest.outputs
    assert any("loss_consistency" in row for row in manifest.training["log"])


@pytest.mark.slow
def test_resume_from_checkpoint_equals_an_uninterrupted_run(tiny_bert_dir, variant_file, tmp_path):
    from judgekit.train.run import train_reward_model

    optim = {"batch_size": 4, "max_steps": 6, "learning_rate": 1e-3, "logging_steps": 1, "save_steps": 3}
    full = train_reward_model(load_config(_config(tiny_bert_dir, tmp_path / "full", variant_file, optim=optim)))
    checkpoint = tmp_path / "full.checkpoints" / "checkpoint-3"
    assert checkpoint.is_dir()
    resumed = train_reward_model(load_config(_config(tiny_bert_dir, tmp_path / "resumed", variant_file, optim=optim,
                                                      resume_from_checkpoint=str(checkpoint))))
    a, b = _weights(full.output_dir), _weights(resumed.output_dir)
    assert a.keys() == b.keys()
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-6), name
    assert full.manifest.training["steps"] == resumed.manifest.training["steps"] == 6


@pytest.mark.slow
def test_lora_run_saves_a_merged_ordinary_folder(tiny_bert_dir, variant_file, tmp_path):
    from transformers import AutoModelForSequenceClassification

    from judgekit.train.run import train_reward_model

    raw = _config(tiny_bert_dir, tmp_path / "lora", variant_file, objective="augmented",
                  lora={"r": 4, "alpha": 8, "target_modules": ["query", "value"]},
                  optim={"batch_size": 4, "max_steps": 2, "learning_rate": 1e-3})
    result = train_reward_model(load_config(raw))
    model = AutoModelForSequenceClassification.from_pretrained(result.output_dir)
    assert model.config.num_labels == 1
    assert not any("lora" in name for name in _weights(result.output_dir))


def test_config_errors_name_the_field(tmp_path):
    with pytest.raises(SpecError, match="variants"):
        load_config({"base_model": "m", "output": {"dir": "o"}, "data": {"sources": "sample"}, "objective": "regularized"})
    with pytest.raises(SpecError, match="objective"):
        load_config({"base_model": "m", "output": {"dir": "o"}, "data": {"sources": "sample"}, "objective": "other"})
    with pytest.raises(SpecError, match="learning_rat"):
        load_config({"base_model": "m", "output": {"dir": "o"}, "data": {"sources": "sample"}, "optim": {"learning_rat": 1}})
    path = tmp_path / "c.yaml"
    path.write_text("base_model: m\noutput: {dir: o}\ndata: {sources: sample}\n")
    config = load_config(path, overrides=["optim.learning_rate=0.5", "alpha=3", "data.limit=7"])
    assert config.optim.learning_rate == 0.5 and config.alpha == 3 and config.data.limit == 7


def test_no_rewrite_for_any_pair_is_an_error(tiny_bert_dir, tmp_path):
    from judgekit.train.prepared import prepare_pairs

    unrelated = tmp_path / "v.jsonl"
    item = load_examples("sample")[0]
    write_examples([item.replace(id="nothing-matches")], unrelated)
    config = load_config(_config(tiny_bert_dir, tmp_path / "o", unrelated))
    with pytest.raises(DataError, match="no training pair got a rewrite"):
        prepare_pairs(config, PairReport(), tmp_path / "prepared")


def test_manifest_is_typed_json_with_output_hashes(tmp_path):
    from judgekit.provenance import TrainingManifest
    from judgekit.train.manifest import write_manifest

    (tmp_path / "weights.bin").write_bytes(b"abc")
    write_manifest(tmp_path, TrainingManifest(kind="reward-model", config={}, base_model={}, inputs=[], data={},
                                              training={}, versions={"judgekit": "x"}))
    body = json.loads((tmp_path / "training_manifest.json").read_text())
    assert body["outputs"]["weights.bin"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert read_manifest(tmp_path).kind == "reward-model"


def test_training_input_matches_what_the_scalar_judge_scores(tiny_bert_dir):
    """A trained folder scored by `judgekit eval` sees the same tokens the trainer saw."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from judgekit.judges import load_judge
    from judgekit.train.collate import encode

    items = load_examples("sample")[:3]
    judge = load_judge({"kind": "scalar", "model": str(tiny_bert_dir), "cache": False, "device": "cpu"})
    judged = judge.judge(items)
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_dir)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_bert_dir).eval()
    batch = encode(tokenizer, [(e.prompt, e.chosen[0]) for e in items], max_length=judge.max_length())
    with torch.no_grad():
        rewards = model(**batch).logits.squeeze(-1).tolist()
    assert rewards == pytest.approx([j.scores_chosen[0] for j in judged], abs=1e-5)


def test_variants_from_a_transform_output_folder(tmp_path):
    """`judgekit transform` / `judgekit synth` folders work as variant sources (every transformed file)."""
    from click.testing import CliRunner

    from judgekit.cli.main import cli
    from judgekit.train.config import VariantConfig
    from judgekit.train.variants import dataset_variants

    out = tmp_path / "t"
    result = CliRunner().invoke(cli, ["transform", "sample", "-t", "add-quotes,char-swap", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sets = dataset_variants(VariantConfig(sources=[str(out)]))
    assert sorted(sets) == ["t/add-quotes", "t/char-swap"]
    report = PairReport()
    pairs = attach_variants(build_pairs(load_examples("sample"), PairingSpec(), seed=0), sets,
                            seed=0, per_pair=2, report=report)
    assert report.pairs_with_variant == len(pairs) == 60
    assert {v.origin for p in pairs for v in p.variants} == {"t/add-quotes", "t/char-swap"}


def test_gradient_accumulation_equals_one_big_batch(tmp_path, variant_file):
    """2 micro-batches of 2 pairs, accumulated = 1 batch of 4 pairs (SGD, no dropout, same data order)."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from judgekit.train.run import train_reward_model
    from tests.models import minilm_dir

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, num_labels=1, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    base = tmp_path / "base"
    BertForSequenceClassification(config).save_pretrained(base)
    AutoTokenizer.from_pretrained(minilm_dir()).save_pretrained(base)
    runs = {}
    for name, batch, accumulate in (("big", 4, 1), ("accumulated", 2, 2)):
        optim = {"optimizer": "sgd", "batch_size": batch, "gradient_accumulation_steps": accumulate, "max_steps": 1,
                 "learning_rate": 0.5, "lr_scheduler": "constant"}
        runs[name] = train_reward_model(load_config(_config(base, tmp_path / name, variant_file, optim=optim)))
    a, b, start = _weights(runs["big"].output_dir), _weights(runs["accumulated"].output_dir), _weights(base)
    assert not torch.equal(a["classifier.weight"], start["classifier.weight"])
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-5), name


@pytest.mark.gpu
def test_bf16_training_on_a_gpu(tiny_bert_dir, variant_file, tmp_path):
    from judgekit.train.run import train_reward_model

    raw = _config(tiny_bert_dir, tmp_path / "bf16", variant_file, precision="bf16",
                  optim={"batch_size": 4, "max_steps": 2, "learning_rate": 1e-3})
    result = train_reward_model(load_config(raw))
    assert result.manifest.training["bf16"] is True
    assert result.manifest.training["device"].startswith("cuda")


def test_bf16_without_a_gpu_is_a_clear_error(tiny_bert_dir, variant_file, tmp_path):
    from judgekit.train.run import use_bf16

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(SpecError, match="bf16 needs a CUDA device"):
        use_bf16("bf16")
    assert use_bf16("auto") is False and use_bf16("fp32") is False


def test_cpu_allocator_settings_apply_once_and_can_be_turned_off():
    import os
    import subprocess
    import sys

    code = "from judgekit.train.memory import keep_freed_memory as k; print(k(), k())"

    def run(**env: str) -> list[str]:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, **env}).stdout.split()

    expected = "True" if sys.platform.startswith("linux") else "False"  # glibc's mallopt
    assert run() == [expected, expected]
    assert run(JUDGEKIT_MALLOC_TUNING="0") == ["False", "False"]
