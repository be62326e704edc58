"""Scalar reward models: batch-size invariance, each text scored once, disk cache, chat templates, truncation."""

from __future__ import annotations

import os
import shutil

import pytest

from judgekit.data.example import Example, Message
from judgekit.judges import JudgeSpec, ScalarJudgeSpec, load_judge
from judgekit.judges.scalar import ScalarJudge, fallback_text, plan_batches


def items(n: int = 12) -> list[Example]:
    # lengths vary a lot, so different budgets give genuinely different batch compositions
    return [Example(id=f"i{k}", prompt=f"Question {k}: " + "why? " * (k * 3),
                    chosen=(f"Because {k}. " + "detail " * (k * 5),), rejected=(f"No {k}.",)) for k in range(n)]


def spec(folder, **options) -> JudgeSpec:
    return ScalarJudgeSpec(model=str(folder), device="cpu", **options)


def test_scores_do_not_depend_on_batch_size(tiny_bert_dir, tmp_path):
    one = ScalarJudge(spec(tiny_bert_dir, max_batch_size=1, cache=False))
    big = ScalarJudge(spec(tiny_bert_dir, token_budget=100_000, max_batch_size=64, cache=False))
    tight = ScalarJudge(spec(tiny_bert_dir, token_budget=300, max_batch_size=64, cache=False))
    results = [j.judge(items()) for j in (one, big, tight)]
    assert one.stats()["batches"] == 24 and big.stats()["batches"] < tight.stats()["batches"] < 24
    for k in range(12):
        a, b, c = (r[k] for r in results)
        for x, y, z in zip(a.scores_chosen + a.scores_rejected, b.scores_chosen + b.scores_rejected,
                           c.scores_chosen + c.scores_rejected, strict=True):
            assert abs(x - y) < 1e-4 and abs(x - z) < 1e-4


def test_a_score_does_not_depend_on_what_else_is_scored_with_it(tiny_bert_dir):
    """Chunked and distributed runs score subsets of the texts: each text gets the very same float."""
    judge = ScalarJudge(spec(tiny_bert_dir, token_budget=600, max_batch_size=8, cache=False))
    whole = judge.judge(items())
    for start, stop in ((0, 1), (1, 4), (4, 12), (3, 9)):
        part = ScalarJudge(spec(tiny_bert_dir, token_budget=600, max_batch_size=8, cache=False)).judge(
            items()[start:stop])
        for a, b in zip(whole[start:stop], part, strict=True):
            assert a.scores_chosen == b.scores_chosen and a.scores_rejected == b.scores_rejected


def test_plan_batches_respects_budget():
    lengths = [5, 50, 20, 20, 7, 49]
    batches = plan_batches(lengths, token_budget=100, max_batch_size=3)
    assert sorted(i for b in batches for i in b) == list(range(6))
    for batch in batches:
        assert len(batch) <= 3
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 100
    assert batches[0][0] == 1  # longest first


def test_each_unique_text_scored_once_and_cached_on_disk(tiny_bert_dir, tmp_path):
    shared = Example(id="a", prompt="same prompt", chosen=("same answer",), rejected=("other",))
    again = Example(id="b", prompt="same prompt", chosen=("same answer",), rejected=("third",))
    cache = tmp_path / "scores.sqlite"
    first = ScalarJudge(spec(tiny_bert_dir), cache_path=cache)
    out = first.judge([shared, again])
    assert first.stats()["requested"] == 4 and first.stats()["scored"] == 3
    assert out[0].scores_chosen == out[1].scores_chosen
    # a new judge (a new run) on the same model: everything comes from the disk cache, no model load
    second = ScalarJudge(spec(tiny_bert_dir), cache_path=cache)
    out2 = second.judge([shared, again, Example(id="c", prompt="new", chosen=("x",), rejected=("y",))])
    assert second.stats()["cache_hits"] == 3 and second.stats()["scored"] == 2
    assert out2[0].scores_chosen == out[0].scores_chosen
    # changed weights (a retrained model in the same folder) must not reuse old scores
    copy = tmp_path / "model"
    shutil.copytree(tiny_bert_dir, copy)
    weights = next(p for p in copy.iterdir() if p.suffix == ".safetensors")
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    third = ScalarJudge(spec(copy), cache_path=cache)
    third.judge([shared])
    assert third.stats()["cache_hits"] == 0 and third.stats()["scored"] == 2


def test_fallback_formatting_without_chat_template(tiny_bert_dir):
    judge = ScalarJudge(spec(tiny_bert_dir, cache=False))
    prompt = (Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello"),
              Message("user", "Name a colour"))
    text, special = judge.format(prompt, "Blue")
    assert text == "System: Be brief.\n\nUser: Hi\n\nAssistant: Hello\n\nUser: Name a colour\n\nAssistant: Blue"
    assert text == fallback_text(prompt, "Blue")
    assert special is True  # BERT-style: the tokenizer adds [CLS] ... [SEP]


@pytest.fixture(scope="module")
def tiny_llama_rm(tiny_llama_dir, tmp_path_factory):
    """The tiny Llama with a seeded sequence-classification head (a causal-LM reward model)."""
    import torch
    from transformers import AutoTokenizer, LlamaForSequenceClassification

    torch.manual_seed(0)
    model = LlamaForSequenceClassification.from_pretrained(tiny_llama_dir, num_labels=1)
    out = tmp_path_factory.mktemp("tiny-llama-rm")
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_llama_dir).save_pretrained(out)
    return out


def test_chat_template_and_causal_model(tiny_llama_rm):
    judge = ScalarJudge(spec(tiny_llama_rm, cache=False))
    text, special = judge.format((Message("user", "Hi"),), "Hello there")
    assert "<|im_start|>assistant\nHello there" in text and special is False
    one = ScalarJudge(spec(tiny_llama_rm, max_batch_size=1, cache=False)).judge(items(6))
    many = judge.judge(items(6))
    assert judge.stats()["batches"] < 12  # several texts per batch (one batch per padded width here)
    for a, b in zip(one, many, strict=True):
        for x, y in zip(a.scores_chosen + a.scores_rejected, b.scores_chosen + b.scores_rejected, strict=True):
            assert abs(x - y) < 1e-4


def test_causal_lm_without_score_head_is_refused(tiny_llama_dir):
    from judgekit.errors import SpecError

    with pytest.raises(SpecError, match="not a reward model"):
        ScalarJudge(spec(tiny_llama_dir, cache=False)).judge(items(1))


def test_truncation_is_counted_and_keeps_the_end(tiny_bert_dir):
    judge = ScalarJudge(spec(tiny_bert_dir, max_length=16, cache=False))
    long = Example(id="l", prompt="word " * 50, chosen=("short",), rejected=("also short",))
    out = judge.judge([long])
    assert judge.stats()["truncated"] == 2
    assert all(isinstance(s, float) for s in out[0].scores_chosen + out[0].scores_rejected)
    ids = judge._encode([judge.format(long.prompt, "short")])[0]
    assert len(ids) == 16
    tokenizer = judge.tokenizer
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert "short" in tokenizer.decode(ids)


def test_load_judge_accepts_a_model_folder(tiny_bert_dir):
    judge = load_judge(str(tiny_bert_dir))
    assert judge.kind == "scalar" and judge.spec.trust_remote_code is False
    assert judge.name == tiny_bert_dir.name


def test_dtype_and_device_are_explicit(tiny_bert_dir):
    import torch

    judge = ScalarJudge(spec(tiny_bert_dir, dtype="bfloat16", cache=False))
    assert judge.model.dtype == torch.bfloat16
    assert str(next(judge.model.parameters()).device) == "cpu"


def test_bad_score_index(tiny_bert_dir):
    from judgekit.errors import SpecError

    judge = ScalarJudge(spec(tiny_bert_dir, score_index=3, cache=False))
    with pytest.raises(SpecError, match="score_index 3"):
        judge.judge(items(1))


def test_quantized_checkpoints_are_not_loaded_implicitly(tiny_bert_dir, tmp_path):
    import json

    from judgekit.errors import SpecError

    copy = tmp_path / "quantized"
    shutil.copytree(tiny_bert_dir, copy)
    config = json.loads((copy / "config.json").read_text())
    config["quantization_config"] = {"quant_method": "bitsandbytes", "load_in_8bit": True}
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(SpecError, match="quantized checkpoint"):
        ScalarJudge(spec(copy, cache=False)).judge(items(1))
