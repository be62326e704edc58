"""What every judge returns: one `Judgment` per item, with its comparisons, scores, raw outputs and errors.

An item is decided by comparisons of chosen[i] against rejected[j]. Each comparison is "chosen"
(the chosen response wins), "rejected", "tie", or "failed"; a failed comparison says why in ``failure``:
"call" (the backend returned no text: an error that outlasted its retries) or "parse" (the text held no
valid verdict), with the message in the judgment's ``errors``. A failure is never turned into a tie, and
call errors, parse failures and ties are counted apart everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from judgekit.data.example import Example
from judgekit.registry import Registry

VERDICTS = ("chosen", "rejected", "tie", "failed")
FAILURES = ("call", "parse", "input")  # input: the item lacks what the judge needs (a reference)


@dataclass
class Comparison:
    """chosen[i] vs rejected[j]; ``orders`` keeps each presentation order's verdict for generative judges."""

    chosen: int
    rejected: int
    verdict: str
    orders: dict[str, str] = field(default_factory=dict)  # "AB" (chosen shown first) / "BA" -> verdict
    probability: float | None = None  # P(chosen wins), logprob mode
    failure: str | None = None  # "call" | "parse" | "input" when the verdict is "failed"


@dataclass
class Judgment:
    """A judge's decision on one item."""

    id: str
    subset: str
    comparisons: list[Comparison] = field(default_factory=list)
    scores_chosen: list[float | None] | None = None  # scalar / pointwise judges
    scores_rejected: list[float | None] | None = None
    choice: int | None = None  # best-of-N: index among [chosen[0], *rejected] picked (-1 failed)
    raw: list[dict[str, Any]] = field(default_factory=list)  # {"role": ..., "text": ...} per model call
    errors: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(c.verdict == "failed" for c in self.comparisons) or self.choice == -1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Judgment:
        """From `to_dict` output (a judgments.jsonl line without its run fields)."""
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in record.items() if k in known}
        values["comparisons"] = [Comparison(**c) for c in record.get("comparisons", [])]
        return cls(**values)


def compare_scores(chosen: float | None, rejected: float | None) -> str:
    """The verdict of two scores: a strictly higher chosen score wins; equal scores tie."""
    if chosen is None or rejected is None:
        return "failed"
    if chosen > rejected:
        return "chosen"
    if chosen < rejected:
        return "rejected"
    return "tie"


def judgment_from_scores(example: Example, chosen: Sequence[float | None], rejected: Sequence[float | None],
                         *, errors: list[str] | None = None, failure: str = "parse",
                         chosen_failures: Sequence[str | None] | None = None,
                         rejected_failures: Sequence[str | None] | None = None) -> Judgment:
    """Every chosen x rejected comparison decided by score. A comparison with a missing score fails with the
    kind of its response's failure ("call" wins over "parse"; ``failure`` when none is given)."""
    chosen_failures = chosen_failures or [None] * len(chosen)
    rejected_failures = rejected_failures or [None] * len(rejected)
    comparisons = []
    for i, c in enumerate(chosen):
        for j, r in enumerate(rejected):
            verdict = compare_scores(c, r)
            kind = None
            if verdict == "failed":
                kinds = {chosen_failures[i] if c is None else None, rejected_failures[j] if r is None else None}
                kind = "call" if "call" in kinds else "parse" if "parse" in kinds else failure
            comparisons.append(Comparison(i, j, verdict, failure=kind))
    return Judgment(example.id, example.subset, comparisons, list(chosen), list(rejected), errors=list(errors or []))


def fingerprint(requests: Sequence[Any]) -> str:
    """sha256 of the messages of a judge's requests for one item (what the model reads)."""
    import hashlib
    import json

    blob = json.dumps([[m.to_dict() for m in r.messages] for r in requests], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


class Judge:
    """Base class. ``judge(examples)`` returns one Judgment per example, in order, and never raises per item.

    Subclasses are registered with ``@JUDGES.register(kind)``, declare ``Spec`` (a
    `judgekit.judges.spec.JudgeSpec` subclass) and take it in ``__init__``.
    """

    name: str = ""
    kind: str = ""  # "scalar" | "generative" | a plugin's kind
    Spec: Any = None

    def judge(self, examples: Sequence[Example], *, placements: dict[str, int] | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Judgment]:
        """``progress(done, total)`` is called as work completes (texts scored or model calls made)."""
        raise NotImplementedError

    def identity(self) -> dict[str, Any]:
        """What makes this judge's outputs differ (model, template, parser, ...); no secrets."""
        raise NotImplementedError

    def stats(self) -> dict[str, Any]:
        """Counters for the report (texts scored, cache hits, truncated inputs, usage)."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release models or connections."""


# kind -> Judge subclass
JUDGES: Registry[type[Judge]] = Registry("judge kind", builtin="judges")
