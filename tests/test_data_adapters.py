"""Adapters on the real formats in ../shared/data and on literal records."""

from __future__ import annotations

import json

import pytest

from judgekit.data import Example, load_examples, read_examples
from judgekit.data.domains import domain_of
from tests.conftest import shared_file


@pytest.mark.parametrize(
    ("name", "count", "subset"),
    [
        ("natural", 100, "llmbar-natural"),
        ("neighbor", 134, "llmbar-adver-neighbor"),
        ("gptinst", 92, "llmbar-adver-GPTInst"),
        ("gptout", 47, "llmbar-adver-GPTOut"),
        ("manual", 46, "llmbar-adver-manual"),
    ],
)
def test_llmbar_counts_and_chosen_is_the_labelled_output(name, count, subset):
    path = shared_file(f"llmbar/{name}.json")
    stream = read_examples(path)
    examples = list(stream)
    assert stream.format == "llmbar"
    assert len(examples) == count
    raw = json.loads(path.read_text())
    for example, record in zip(examples, raw, strict=True):
        assert example.subset == subset
        better = record["output_1"] if record["label"] == 1 else record["output_2"]
        worse = record["output_2"] if record["label"] == 1 else record["output_1"]
        assert example.chosen == (better,)
        assert example.rejected == (worse,)
        assert example.prompt_text == record["input"]


def test_rm_bench_chat_is_3x3_with_styles():
    stream = read_examples(shared_file("rm-bench/chat.json"))
    examples = list(stream)
    assert stream.format == "rm-bench"
    assert len(examples) == 129
    assert all(len(e.chosen) == 3 and len(e.rejected) == 3 for e in examples)
    assert examples[0].meta["styles"] == ("concise", "detailed_plain", "detailed_markdown")
    assert examples[0].subset == "chat"
    assert examples[0].meta["source_subset"] == "alpacaeval"


def test_rm_bench_domains():
    code = load_examples(shared_file("rm-bench/code.json"))
    refuse = load_examples(shared_file("rm-bench/safety-refuse.json"))
    assert {domain_of(e) for e in code} == {"code"}
    assert {domain_of(e) for e in refuse} == {"safety"}


def test_judgebench_maps_label_and_keeps_source():
    path = shared_file("judgebench/gpt-4o.jsonl")
    examples = load_examples(path)
    assert len(examples) == 350
    raw = [json.loads(line) for line in path.read_text().splitlines()]
    for example, record in zip(examples, raw, strict=True):
        winner = record["response_A"] if record["label"] == "A>B" else record["response_B"]
        assert example.chosen == (winner,)
        assert example.meta["source"]["origin"] == record["source"]
        assert example.id == record["pair_id"]
    assert {e.subset for e in examples} == {"knowledge", "reasoning", "math", "coding"}


def test_rewardbench2_keeps_lists_and_ties():
    path = shared_file("rewardbench2/sample.jsonl")
    examples = load_examples(path)
    raw = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(examples) == 48
    for example, record in zip(examples, raw, strict=True):
        assert list(example.chosen) == record["chosen"]
        assert list(example.rejected) == record["rejected"]
        assert not example.prompt_text.startswith("\ufeff")
    ties = [e for e in examples if e.subset == "Ties"]
    assert ties and max(len(e.chosen) for e in ties) == 26


def test_hh_rlhf_splits_the_shared_dialogue(tmp_path):
    path = tmp_path / "hh.jsonl"
    rows = [
        {"chosen": "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Capital of France?\n\nAssistant: Paris.",
         "rejected": "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Capital of France?\n\nAssistant: Rome."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    stream = read_examples(path)
    (example,) = list(stream)
    assert stream.format == "hh-rlhf"
    assert [(m.role, m.content) for m in example.prompt] == [
        ("user", "Hi"), ("assistant", "Hello!"), ("user", "Capital of France?")]
    assert example.chosen == ("Paris.",) and example.rejected == ("Rome.",)


@pytest.mark.parametrize(
    "row",
    [
        {"prompt": "Say hi", "chosen": "Hi!", "rejected": "No."},  # standard, explicit prompt
        {"prompt": [{"role": "user", "content": "Say hi"}],
         "chosen": [{"role": "assistant", "content": "Hi!"}],
         "rejected": [{"role": "assistant", "content": "No."}]},  # conversational, explicit
        {"chosen": [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "Hi!"}],
         "rejected": [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "No."}]},  # implicit
    ],
)
def test_trl_variants(tmp_path, row):
    path = tmp_path / "trl.jsonl"
    path.write_text(json.dumps(row) + "\n")
    stream = read_examples(path)
    (example,) = list(stream)
    assert stream.format == "trl"
    assert example.prompt_text == "Say hi"
    assert example.chosen == ("Hi!",) and example.rejected == ("No.",)


def test_rewardbench_v1_detected(tmp_path):
    path = tmp_path / "rb.json"
    path.write_text(json.dumps([{"prompt": "p", "chosen": "a", "rejected": "b", "subset": "alpacaeval-easy", "id": 7}]))
    stream = read_examples(path)
    (example,) = list(stream)
    assert stream.format == "rewardbench"
    assert (example.id, example.subset) == ("7", "alpacaeval-easy")


def test_format_override_wins(tmp_path):
    path = tmp_path / "rb.json"
    path.write_text(json.dumps([{"prompt": "p", "chosen": ["a", "c"], "rejected": ["b"], "subset": "s", "id": "x"}]))
    assert read_examples(path, format="rewardbench2").format == "rewardbench2"
    (example,) = load_examples(path, format="rewardbench2")
    assert example.chosen == ("a", "c")


def test_sample_set_covers_rewardbench_sections():
    examples = load_examples("sample")
    assert 55 <= len(examples) <= 70
    assert {domain_of(e) for e in examples} == {"chat", "code", "math", "safety"}
    sections = {e.meta["section"] for e in examples}
    assert sections == {"chat", "chat-hard", "safety", "reasoning"}
    assert any(len(e.rejected) > 1 for e in examples)
    assert all("\\boxed{" in text for e in examples if e.subset == "math" for text in (*e.chosen, *e.rejected))


def test_example_is_immutable_and_validated():
    example = Example(id="a", prompt="hello", chosen=("x",), rejected=("y",), meta={"k": [1, 2]})
    with pytest.raises(AttributeError):
        example.id = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        example.meta["k"] = 3  # type: ignore[index]
    assert example.to_dict()["meta"] == {"k": [1, 2]}
    assert Example.from_dict(example.to_dict()) == example
    changed = example.replace(chosen=("z",))
    assert changed.chosen == ("z",) and example.chosen == ("x",)
    assert changed.meta is example.meta  # frozen already: shared, not frozen again (transforms copy items often)
    assert example.replace(meta={"k": [3]}).meta["k"] == (3,) and example.with_meta(j=1).meta["k"] == (1, 2)
