"""Preference items -> pairs (chosen vs rejected), each optionally with a meaning-preserving rewrite.

Used by reward-model training (judgekit.train) and by judge-training exports (judgekit.judges.export, run
from synth recipes), with the same `PairingSpec` under the field name ``pairs``.

A `TrainPair` is one chosen-vs-rejected comparison of one item. Rewrites (variants) are matched to
originals by item id: rule-based transforms keep the id; recipe outputs (``paraphrase-train``) carry the
original's id in ``meta["source_id"]``. A variant item is aligned with its original response by
response index, so pair (chosen[i], rejected[j]) gets variant (chosen~[i], rejected~[j]).
Nothing is dropped silently: every item or variant that cannot be used is counted with a reason.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from judgekit.data.example import Example, Message

Pairing = Literal["first", "all", "diagonal", "sample"]


class PairingSpec(BaseModel):
    """How items with several chosen/rejected responses become pairs.

    Attributes:
        pairing: "first" (chosen[0] vs rejected[0]), "all" (every chosen x every rejected), "diagonal"
            (chosen[i] vs rejected[i]: on RM-Bench, the same style on both sides), "sample"
            (``pairs_per_item`` pairs drawn from all, seeded per item).
        limit: keep at most this many pairs (after pairing), drawn with the run's seed; None = all.
        margin: Bradley-Terry margin for every pair (a per-item ``meta["margin"]`` wins).
        chosen_score / rejected_score: regression targets where items carry no
            ``meta["chosen_scores"]`` / ``meta["rejected_scores"]``.
    """

    model_config = ConfigDict(extra="forbid")

    pairing: Pairing = "first"
    pairs_per_item: int = Field(default=1, ge=1)
    limit: int | None = Field(default=None, ge=1)
    margin: float = 0.0
    chosen_score: float = 1.0
    rejected_score: float = 0.0


@dataclass(frozen=True)
class Variant:
    """A rewrite of one pair: the (possibly rewritten) prompt and both responses, and where it came from."""

    prompt: tuple[Message, ...]
    chosen: str
    rejected: str
    origin: str


@dataclass(frozen=True)
class TrainPair:
    """One comparison to train on."""

    id: str
    prompt: tuple[Message, ...]
    chosen: str
    rejected: str
    margin: float = 0.0
    chosen_score: float = 1.0
    rejected_score: float = 0.0
    variants: tuple[Variant, ...] = ()


@dataclass
class PairReport:
    """What happened to the input: counts of items, pairs and variants, and why anything was left out."""

    items: int = 0
    pairs: int = 0
    pairs_with_variant: int = 0
    variants_attached: int = 0
    left_out: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "pairs": self.pairs, "pairs_with_variant": self.pairs_with_variant,
                "variants_attached": self.variants_attached, "left_out": dict(self.left_out)}


def _rng(seed: int, *parts: str) -> random.Random:
    digest = hashlib.blake2b("\x00".join([str(seed), *parts]).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def index_pairs(example: Example, config: PairingSpec, seed: int) -> list[tuple[int, int]]:
    """Which (chosen index, rejected index) comparisons of one item to train on."""
    nc, nr = len(example.chosen), len(example.rejected)
    every = [(i, j) for i in range(nc) for j in range(nr)]
    if config.pairing == "first":
        return [(0, 0)]
    if config.pairing == "all":
        return every
    if config.pairing == "diagonal":
        return [(i, i) for i in range(min(nc, nr))]
    rng = _rng(seed, "pairing", example.id)
    return sorted(rng.sample(every, min(config.pairs_per_item, len(every))))


def _score(example: Example, key: str, index: int, default: float) -> float:
    values = example.meta.get(key)
    if values is None:
        return default
    return float(values[index])


def item_pairs(example: Example, config: PairingSpec, seed: int) -> list[TrainPair]:
    """One item's pairs (see `PairingSpec.pairing`), before ``config.limit``."""
    margin = float(example.meta.get("margin", config.margin))
    return [TrainPair(id=f"{example.id}#{i}-{j}", prompt=example.prompt, chosen=example.chosen[i],
                      rejected=example.rejected[j], margin=margin,
                      chosen_score=_score(example, "chosen_scores", i, config.chosen_score),
                      rejected_score=_score(example, "rejected_scores", j, config.rejected_score))
            for i, j in index_pairs(example, config, seed)]


def limit_draw(total: int, limit: int, seed: int) -> list[int]:
    """Which of ``total`` pairs (positions, ascending) ``pairs.limit`` keeps: a draw seeded by the run's seed."""
    return sorted(_rng(seed, "limit").sample(range(total), limit))


def build_pairs(examples: Iterable[Example], config: PairingSpec, *, seed: int,
                report: PairReport | None = None) -> list[TrainPair]:
    """Expand items into pairs (see `PairingSpec.pairing`), then apply ``config.limit`` with a seeded draw.

    In memory; `judgekit.train.prepared` streams the same pairs onto disk for training.
    """
    report = report if report is not None else PairReport()
    pairs: list[TrainPair] = []
    for example in examples:
        report.items += 1
        pairs += item_pairs(example, config, seed)
    if config.limit is not None and len(pairs) > config.limit:
        report.left_out["over pairs.limit"] += len(pairs) - config.limit
        pairs = [pairs[k] for k in limit_draw(len(pairs), config.limit, seed)]
    report.pairs = len(pairs)
    return pairs


def source_id(variant: Example) -> str:
    """The id of the original item a variant rewrites."""
    return str(variant.meta.get("source_id") or variant.id)


def attach_variants(pairs: Sequence[TrainPair], variant_sets: dict[str, Sequence[Example]], *, seed: int,
                    per_pair: int = 1, report: PairReport | None = None) -> list[TrainPair]:
    """Give each pair up to ``per_pair`` rewrites drawn (seeded, per pair) from the matching variant items.

    Args:
        pairs: from `build_pairs` (ids ``"<item id>#<i>-<j>"``).
        variant_sets: origin name (transform or dataset) -> variant items.
        seed: draws which rewrites a pair gets when several are available.
        per_pair: how many rewrites each pair keeps.
    """
    report = report if report is not None else PairReport()
    by_item: dict[str, list[tuple[str, Example]]] = {}
    for origin, items in variant_sets.items():
        for item in items:
            by_item.setdefault(source_id(item), []).append((origin, item))
    out: list[TrainPair] = []
    for pair in pairs:
        item_id, _, indices = pair.id.rpartition("#")
        i, j = (int(x) for x in indices.split("-"))
        candidates: list[Variant] = []
        for origin, item in by_item.get(item_id, []):
            if i >= len(item.chosen) or j >= len(item.rejected):
                report.left_out[f"variant from {origin}: fewer responses than the original"] += 1
                continue
            if item.chosen[i] == pair.chosen and item.rejected[j] == pair.rejected and item.prompt == pair.prompt:
                report.left_out[f"variant from {origin}: identical to the original pair"] += 1
                continue
            candidates.append(Variant(item.prompt, item.chosen[i], item.rejected[j], origin))
        if len(candidates) > per_pair:
            candidates = _rng(seed, "variant", pair.id).sample(candidates, per_pair)
        if not candidates:
            report.left_out["pairs without any variant (trained without the consistency/augmentation term)"] += 1
        else:
            report.pairs_with_variant += 1
            report.variants_attached += len(candidates)
        out.append(_with_variants(pair, tuple(candidates)))
    return out


def _with_variants(pair: TrainPair, variants: tuple[Variant, ...]) -> TrainPair:
    return TrainPair(pair.id, pair.prompt, pair.chosen, pair.rejected, pair.margin, pair.chosen_score,
                     pair.rejected_score, variants)
