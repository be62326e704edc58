"""JudgeBench scores exactly as ScalerLab/JudgeBench computes them.

Reference: ScalerLab/JudgeBench @e2c52c2, ``utils/metrics.py`` ``compute_final_metrics`` and ``flip_judgment``;
``run_judge.py`` ``main`` (categories by source prefix). A pair is judged in the original order (A, B) and,
by default, again in the swapped order (B, A); the second decision is flipped back. Each decision equal to
the label adds 1, each equal to the opposite label subtracts 1 (ties "A=B" and failures add 0); the pair is
correct when the sum is positive. Upstream reports percent; these functions return fractions (x 100 =
upstream). Single-game mode (``--single_game``, used for reward models) counts a pair correct when its one
decision equals the label.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from judgekit.judges.base import Judgment

CATEGORIES = {  # run_judge.py main: source prefixes, "" = overall
    "mmlu-pro": "mmlu-pro",
    "livebench-reasoning": "livebench-reasoning",
    "livebench-math": "livebench-math",
    "livecodebench": "livecodebench",
    "overall": "",
}
LABELS = ("A>B", "B>A")


@dataclass(frozen=True)
class JudgedPair:
    """One JudgeBench pair: its label and the judge's decisions as returned ("A>B", "B>A", "A=B", None).

    ``decisions[0]`` is for the original order (response_A shown first); ``decisions[1]``, when present,
    is the raw decision on the swapped order (response_B shown as "A"), not yet flipped.
    """

    pair_id: str
    source: str
    label: str
    decisions: tuple[str | None, ...]


def flip_judgment(decision: str | None) -> str | None:
    """utils/metrics.py ``flip_judgment``: "A>B" <-> "B>A"; anything else unchanged."""
    if decision == "A>B":
        return "B>A"
    if decision == "B>A":
        return "A>B"
    return decision


def decision_from_scores(score_a: float, score_b: float) -> str:
    """A reward model's decision: "A>B" when A scores strictly higher, else "B>A" (a tie goes to B).

    Upstream: utils/judges.py ``InternLM2Reward.get_judgment`` (``'A>B' if score1 > score2 else 'B>A'``),
    the same in GRMReward and SkyworkReward.
    """
    return "A>B" if score_a > score_b else "B>A"


def pair_correct(pair: JudgedPair, *, reverse_order: bool = True) -> bool:
    """Whether ``compute_final_metrics`` counts this pair as correct."""
    if not reverse_order:
        return pair.decisions[0] == pair.label
    if len(pair.decisions) != 2:
        raise ValueError(f"pair {pair.pair_id}: two-order scoring needs 2 decisions, got {len(pair.decisions)}")
    counter = 0
    for decision in (pair.decisions[0], flip_judgment(pair.decisions[1])):
        if decision == pair.label:
            counter += 1
        elif decision == flip_judgment(pair.label):
            counter -= 1
    return counter > 0


def accuracy(pairs: Sequence[JudgedPair], *, reverse_order: bool = True) -> float | None:
    """``compute_final_metrics(pairs, reverse_order) / 100``; None for no pairs (upstream divides by zero)."""
    if not pairs:
        return None
    return sum(pair_correct(p, reverse_order=reverse_order) for p in pairs) / len(pairs)


def score_judgebench(pairs: Iterable[JudgedPair], *, reverse_order: bool = True) -> dict[str, float | None]:
    """Accuracy per JudgeBench category (source prefix) and overall, as ``run_judge.py`` prints them."""
    items = list(pairs)
    return {name: accuracy([p for p in items if p.source.startswith(prefix)], reverse_order=reverse_order)
            for name, prefix in CATEGORIES.items()}


_VERDICT_AS_FIRST_WINS = {"chosen": True, "rejected": False}


def pair_from_judgment(judgment: Judgment, *, label: str, source: str) -> JudgedPair:
    """A judgekit Judgment of a JudgeBench pair (chosen = the better of response_A/B by ``label``).

    Generative judgments with both presentation orders ("AB" = chosen shown first) become two decisions
    in A/B terms; scalar judgments become one decision by ``decision_from_scores`` (single game).
    """
    if label not in LABELS:
        raise ValueError(f"JudgeBench label must be one of {LABELS}, got {label!r}")
    chosen_is_a = label == "A>B"
    if judgment.scores_chosen is not None and judgment.scores_rejected is not None:
        chosen, rejected = judgment.scores_chosen[0], judgment.scores_rejected[0]
        if chosen is None or rejected is None:
            return JudgedPair(judgment.id, source, label, (None,))
        a, b = (chosen, rejected) if chosen_is_a else (rejected, chosen)
        return JudgedPair(judgment.id, source, label, (decision_from_scores(a, b),))
    orders = judgment.comparisons[0].orders if judgment.comparisons else {}
    # original order shows A first: that is "AB" (chosen first) when A is the chosen response
    first, second = ("AB", "BA") if chosen_is_a else ("BA", "AB")
    decisions = tuple(_decision(orders.get(key), chosen_first=key == "AB") for key in (first, second) if key in orders)
    return JudgedPair(judgment.id, source, label, decisions)


def _decision(verdict: str | None, *, chosen_first: bool) -> str | None:
    """A verdict on one presentation as the judge's raw "first>second" decision."""
    if verdict == "tie":
        return "A=B"
    if verdict not in _VERDICT_AS_FIRST_WINS:
        return None
    first_wins = _VERDICT_AS_FIRST_WINS[verdict] == chosen_first
    return "A>B" if first_wins else "B>A"
