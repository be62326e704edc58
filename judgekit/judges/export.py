"""Training data for generative judges whose verdict does not move when nothing that matters moved.

Written by synth recipes (``export:``) and by `judgekit train` for judge SFT; both use this module.

From preference items (and meaning-preserving rewrites of them), every comparison is written in both
presentation orders with the same judge prompt template that evaluation uses (``judge/pairwise``):

- SFT records (TRL conversational prompt-completion): the judge prompt -> the verdict the template asks
  for (``[[A]]`` when the chosen response is shown first, ``[[B]]`` when it is shown second). The same
  verdict is the target for the original pair and for every rewrite, so the target is invariant to order
  and to rewording. Targets are the verdict alone (no rationale): the data has no gold explanations, and
  the pairwise parser accepts a bare verdict.
- DPO records (TRL conversational preference format): the consistent verdict is preferred over the
  flipped one, for both orders and every rewrite.

Every record says where it came from in ``meta`` (item id, pair, order, variant origin).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from judgekit.data.example import Example
from judgekit.data.pairs import PairingSpec, PairReport, attach_variants, build_pairs
from judgekit.outputs import atomic_file
from judgekit.templates import conversation_text, load_template

ExportFormat = Literal["sft", "dpo"]
VERDICT = {"A": "[[A]]", "B": "[[B]]"}


@dataclass(frozen=True)
class JudgePrompt:
    """How a comparison becomes a judge prompt: a template under prompts/ and an optional system message."""

    template: str = "judge/pairwise"
    system: str | None = None

    def messages(self, question: str, answer_a: str, answer_b: str) -> list[dict[str, str]]:
        text = load_template(self.template).render({"question": question, "answer_a": answer_a, "answer_b": answer_b})
        head = [{"role": "system", "content": self.system}] if self.system else []
        return [*head, {"role": "user", "content": text}]

    def sha256(self) -> str:
        return load_template(self.template).sha256


def _comparisons(examples: Sequence[Example], variant_sets: dict[str, Sequence[Example]], data: PairingSpec,
                 *, seed: int, report: PairReport) -> Iterator[tuple[str, str, Any, str, str]]:
    """(pair id, origin, prompt messages, chosen, rejected) for every pair and every rewrite of it."""
    pairs = build_pairs(examples, data, seed=seed, report=report)
    per_pair = max(1, sum(len(v) for v in variant_sets.values()))
    if variant_sets:
        pairs = attach_variants(pairs, variant_sets, seed=seed, per_pair=per_pair, report=report)
    return comparisons_of(pairs)


def comparisons_of(pairs: Iterable[Any]) -> Iterator[tuple[str, str, Any, str, str]]:
    """Each pair (`judgekit.data.pairs.TrainPair`) and each of its attached rewrites, as comparisons."""
    for pair in pairs:
        yield pair.id, "original", pair.prompt, pair.chosen, pair.rejected
        for variant in pair.variants:
            yield pair.id, variant.origin, variant.prompt, variant.chosen, variant.rejected


def judge_records(examples: Sequence[Example], *, kind: ExportFormat = "sft",
                  variant_sets: dict[str, Sequence[Example]] | None = None, data: PairingSpec | None = None,
                  prompt: JudgePrompt | None = None, seed: int = 0,
                  report: PairReport | None = None) -> list[dict[str, Any]]:
    """SFT or DPO records (see the module docstring), two per comparison (orders AB and BA)."""
    report = report if report is not None else PairReport()
    comparisons = _comparisons(examples, variant_sets or {}, data or PairingSpec(), seed=seed, report=report)
    return records_of(comparisons, kind=kind, prompt=prompt)


def records_of(comparisons: Iterable[tuple[str, str, Any, str, str]], *, kind: ExportFormat = "sft",
               prompt: JudgePrompt | None = None) -> list[dict[str, Any]]:
    """The two records (orders AB and BA) of each comparison."""
    prompt = prompt or JudgePrompt()
    records = []
    for pair_id, origin, messages, chosen, rejected in comparisons:
        question = conversation_text(messages)
        for order in ("AB", "BA"):
            a, b = (chosen, rejected) if order == "AB" else (rejected, chosen)
            right, wrong = ("A", "B") if order == "AB" else ("B", "A")
            meta = {"source_id": pair_id.rpartition("#")[0], "pair": pair_id, "order": order, "variant": origin,
                    "target": right, "template": prompt.template}
            record_id = f"{pair_id}|{origin}|{order}"
            chat = prompt.messages(question, a, b)
            if kind == "sft":
                records.append({"id": record_id, "prompt": chat,
                                "completion": [{"role": "assistant", "content": VERDICT[right]}], "meta": meta})
            else:
                records.append({"id": record_id, "prompt": chat,
                                "chosen": [{"role": "assistant", "content": VERDICT[right]}],
                                "rejected": [{"role": "assistant", "content": VERDICT[wrong]}], "meta": meta})
    return records


def write_records(records: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> int:
    """Write records as JSONL atomically; returns how many."""
    count = 0
    with atomic_file(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def is_judge_record_file(path: str | os.PathLike[str]) -> bool:
    """True when the first record of a JSONL file is an exported SFT record (prompt + completion)."""
    try:
        with open(path, encoding="utf-8") as handle:
            first = json.loads(handle.readline() or "{}")
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(first, dict) and "completion" in first and "prompt" in first
