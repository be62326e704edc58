"""Visibility: a transform a WordPiece model cannot see (punct-spaces) is reported as invisible, not robust."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))


def test_punct_spaces_is_invisible_to_a_wordpiece_model_and_rot13_is_not(tiny_bert_dir, tmp_path):
    from transformers import AutoTokenizer

    from judgekit.data import select_examples
    from judgekit.eval import run_suite
    from judgekit.transforms import build_transforms, run_transforms

    # the premise, checked on the tokenizer itself: spacing around punctuation changes no token id
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_dir)
    items = list(select_examples({"sources": ["sample"], "limit": 12}))
    spaced = run_transforms(items, build_transforms(["punct-spaces"]))["punct-spaces"].examples
    assert spaced and all(tokenizer(s.chosen[0])["input_ids"] == tokenizer(o.chosen[0])["input_ids"]
                          for s, o in zip(spaced, items, strict=False) if s.id == o.id)
    report = run_suite({"name": "vis", "data": {"sources": ["sample"], "limit": 12},
                        "transforms": ["punct-spaces", "rot13"]}, [str(tiny_bert_dir)], out_dir=tmp_path / "run")
    rows = {r["variant"]: r["robustness"] for r in report.data["results"] if r.get("robustness")}
    assert rows["punct-spaces"]["input_unchanged"] == 1.0 and rows["punct-spaces"]["invisible"] is True
    assert rows["punct-spaces"]["drop"] == 0.0 and rows["punct-spaces"]["score_shift"] < 1e-3  # batching noise only
    assert rows["rot13"]["input_unchanged"] == 0.0 and rows["rot13"]["invisible"] is False
    # every report format says so
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert "input unchanged %" in markdown and "| 100.0 ∅ invisible |" in markdown
    assert f"{tiny_bert_dir.name} / punct-spaces" in markdown
    html = (tmp_path / "run" / "report.html").read_text()
    assert "input unchanged %" in html and "100.0 ∅ invisible" in html
    from rich.console import Console

    from judgekit.cli.report import summary_table

    console = Console(width=250, record=True)
    console.print(summary_table(report.data))
    text = console.export_text()  # (export clears the record)
    assert "same input %" in text and "100.0 ∅" in text


def test_a_generative_judge_fingerprints_the_rendered_prompt():
    """The judge template shows the responses, not the subset: a change the prompt does not show is invisible."""
    from judgekit.data import Example
    from judgekit.judges import load_judge

    judge = load_judge({"kind": "generative", "backend": {"backend": "mock", "replies": ["[[A]]"]}})
    item = Example(id="a", prompt="Which is better?", chosen=("Yes, it is.",), rejected=("No.",), subset="x")
    renamed = item.replace(subset="another subset")  # not in the prompt the judge reads
    reworded = item.replace(chosen=("Yes , it is .",))
    first, second, third = judge.judge([item, renamed, reworded])
    assert first.meta["input_sha256"] == second.meta["input_sha256"] != third.meta["input_sha256"]
