"""Subset names from file names (no doubled prefix) and the subsets each benchmark's section map knows."""

from __future__ import annotations

import pytest

from judgekit.eval.scoring import rewardbench as rb1
from judgekit.eval.scoring.subsets import KNOWN_SUBSETS, subset_from_filename, subset_name, unmapped_subsets


@pytest.mark.parametrize(("source", "subset"), [
    ("natural.json", "llmbar-natural"),
    ("llmbar-natural.json", "llmbar-natural"),  # was llmbar-llmbar-natural
    ("data/LLMBar-Natural.jsonl", "llmbar-natural"),
    ("Natural", "llmbar-natural"),  # hub split of princeton-nlp/LLMBar
    ("Adversarial_GPTInst", "llmbar-adver-GPTInst"),
    ("llmbar-adver-neighbor.json", "llmbar-adver-neighbor"),
    ("/x/manual.json", "llmbar-adver-manual"),
    ("gptout.json", "llmbar-adver-GPTOut"),
    ("extra.json", "llmbar-extra"),
    ("llmbar-extra.json", "llmbar-extra"),
])
def test_llmbar_file_names(source, subset):
    assert subset_from_filename(source, format="llmbar") == subset


def test_every_llmbar_file_maps_into_a_rewardbench_section():
    names = [subset_from_filename(f"{n}.json", format="llmbar") for n in ("natural", "neighbor", "gptinst", "gptout",
                                                                            "manual")]
    assert set(names) == set(rb1.SUBSET_MAPPING["Chat Hard"]) - {"mt-bench-hard"}


def test_other_formats_and_the_data_field_first():
    assert subset_from_filename("data/safety-refuse_filtered.json", format="rm-bench") == "safety-refuse"
    assert subset_from_filename("chat.json", format="rm-bench") == "chat"
    assert subset_from_filename("gpt-4o.jsonl", format="judgebench") == "gpt-4o"
    assert subset_name("llmbar-adver-manual", "natural.json", format="llmbar") == "llmbar-adver-manual"
    assert subset_name("", "natural.json", format="llmbar") == subset_name(None, "natural.json", format="llmbar")


def test_unmapped_subsets_are_listed_in_order():
    assert unmapped_subsets("rewardbench", ["llmbar-natural", "llmbar-llmbar-natural", "x", "x"]) == (
        "llmbar-llmbar-natural", "x")
    assert unmapped_subsets("rm-bench", ["chat", "safety-refuse", "chat_filtered", "style"]) == ("style",)
    assert unmapped_subsets("judgebench", ["mmlu-pro-law", "livebench-math", "arena"]) == ("arena",)
    assert unmapped_subsets("rewardbench2", ["Ties", "Precise IF", "Chat"]) == ("Chat",)
    assert set(KNOWN_SUBSETS["rewardbench"]) == set(rb1.EXAMPLE_COUNTS)
    with pytest.raises(ValueError, match="known: judgebench"):
        unmapped_subsets("nope", [])
