"""Shared by the judge-prompt tests (preflight, inputs, sweeps, panels): a small dataset, a verdict server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.fake_openai import last_user_message


def write_items(path: Path, n: int = 6, **meta: Any) -> Path:
    """n pairwise items in judgekit JSONL: the chosen answer says GOOD, the rejected one BAD."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            record = {"id": f"q{i}", "prompt": [{"role": "user", "content": f"Question number {i}: explain it."}],
                      "chosen": [f"GOOD answer {i} with a careful explanation"],
                      "rejected": [f"BAD answer {i}"], "subset": "even" if i % 2 == 0 else "odd",
                      "meta": {"topic": f"topic-{i}", **meta}}
            handle.write(json.dumps(record) + "\n")
    return path


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def shown_first(text: str) -> str:
    """Which response the prompt shows as A ("GOOD" or "BAD"), for templates with [Start of Response A]."""
    a = text.split("[Start of Response A]", 1)[1].split("[End of Response A]", 1)[0]
    return "GOOD" if "GOOD" in a else "BAD"


def oracle(body: dict[str, Any]) -> str:
    """A correct pairwise judge: names the response holding GOOD."""
    return "Because of the explanation. [[A]]" if shown_first(last_user_message(body)) == "GOOD" else "So: [[B]]"


def first_always(body: dict[str, Any]) -> str:
    """A judge with total position bias."""
    return "The first one. [[A]]"
