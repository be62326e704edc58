"""Metrics: item correctness, accuracy, robustness of a transform vs the original, generative-judge rates.

Item value (`item_value`): each comparison chosen[i] vs rejected[j] is worth 1 (chosen wins), 0
(rejected wins or the judge failed), or per the tie policy (``wrong`` 0, ``half`` 0.5, ``exclude``
drops the item). An item is correct when the chosen response beats every rejected one (best-of-N,
RewardBench 2); RM-Bench style matrices (``meta.styles``) are worth the mean of their cells instead.
Failures are counted as wrong by default (``failures: exclude`` drops them) and always reported.

Robustness (`paired_robustness`) compares the same items before and after a transform: accuracy
drop with a seeded paired bootstrap 95% CI, exact McNemar test on items that changed, flip rates,
score shift (mean |r - r~| over the std of original scores) and Kendall's tau-b of the scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from judgekit.judges.base import Judgment
from judgekit.registry import Registry

TIE_POLICIES = ("wrong", "half", "exclude")
FAILURE_POLICIES = ("wrong", "exclude")


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    compute: Callable[..., Any]

    def ls_columns(self) -> dict[str, str]:
        return {"description": self.description}


METRICS: Registry[Metric] = Registry("metric")


def metric(name: str, description: str):
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        METRICS.add(name, Metric(name, description, fn))
        return fn

    return decorate


# -- item values -------------------------------------------------------------------------------------------
def comparison_value(verdict: str, *, ties: str = "wrong") -> float | None:
    if verdict == "chosen":
        return 1.0
    if verdict in ("rejected", "failed"):
        return 0.0
    return {"wrong": 0.0, "half": 0.5, "exclude": None}[ties]


def item_value(judgment: Judgment, *, ties: str = "wrong", failures: str = "wrong", matrix: bool = False) -> float | None:
    """1/0 (or 0.5 for a tie under ``half``) for one item; None when excluded by the policies."""
    verdicts = [c.verdict for c in judgment.comparisons]
    if not verdicts:
        return None
    if "failed" in verdicts and failures == "exclude":
        return None
    if matrix:
        values = [comparison_value(v, ties=ties) for v in verdicts]
        kept = [v for v in values if v is not None]
        return sum(kept) / len(kept) if kept else None
    if "failed" in verdicts or "rejected" in verdicts:
        return 0.0
    if all(v == "chosen" for v in verdicts):
        return 1.0
    return comparison_value("tie", ties=ties)


@metric("accuracy", "share of items where the chosen response beats every rejected one (ties/failures per policy)")
def accuracy(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


# -- paired robustness -------------------------------------------------------------------------------------
@metric("drop", "accuracy on the original minus on the transformed items, with a seeded paired bootstrap 95% CI")
def bootstrap_drop(original: Sequence[float], transformed: Sequence[float], *, seed: int = 0,
                   resamples: int = 1000, level: float = 0.95) -> tuple[float, float, float]:
    """(drop, low, high): resample items with replacement, the same indices for both sides."""
    a = np.asarray(original, dtype=float)
    b = np.asarray(transformed, dtype=float)
    if a.size == 0:
        return math.nan, math.nan, math.nan
    diff = a - b
    rng = np.random.default_rng(seed)
    index = rng.integers(0, a.size, size=(resamples, a.size))
    drops = diff[index].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(drops, [tail, 1.0 - tail])
    return float(diff.mean()), float(low), float(high)


@metric("mcnemar", "exact two-sided McNemar test on items right->wrong (b) vs wrong->right (c)")
def mcnemar(original: Sequence[float], transformed: Sequence[float]) -> dict[str, float | int]:
    """Items count as right when their value is 1; b = right->wrong, c = wrong->right."""
    b = sum(1 for x, y in zip(original, transformed, strict=True) if x == 1.0 and y != 1.0)
    c = sum(1 for x, y in zip(original, transformed, strict=True) if x != 1.0 and y == 1.0)
    n = b + c
    if n == 0:
        return {"b": 0, "c": 0, "p_value": 1.0}
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1))
    return {"b": b, "c": c, "p_value": min(1.0, 2 * tail / 2**n)}


@metric("flip_rate", "share of items that went right->wrong and wrong->right under the transform")
def flip_rates(original: Sequence[float], transformed: Sequence[float]) -> dict[str, float]:
    n = len(original)
    if n == 0:
        return {"right_to_wrong": math.nan, "wrong_to_right": math.nan}
    test = mcnemar(original, transformed)
    return {"right_to_wrong": test["b"] / n, "wrong_to_right": test["c"] / n}


@metric("score_shift", "mean |r - r~| over responses the transform changed, divided by the std of original scores")
def score_shift(original: Sequence[float], transformed: Sequence[float], *, scale: float) -> float | None:
    if not original or not scale or not math.isfinite(scale):
        return None
    a, b = np.asarray(original, dtype=float), np.asarray(transformed, dtype=float)
    return float(np.abs(a - b).mean() / scale)


@metric("kendall_tau", "Kendall's tau-b between original and transformed scores of the same responses")
def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float | None:
    """tau-b (handles ties); None for fewer than 2 pairs or a constant side."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = a.size
    if n < 2:
        return None
    concordant = discordant = ties_a = ties_b = 0
    for start in range(0, n, 512):  # rows in chunks: O(n^2) pairs without an n x n matrix
        stop = min(n, start + 512)
        da = np.sign(a[start:stop, None] - a[None, :])
        db = np.sign(b[start:stop, None] - b[None, :])
        upper = np.arange(start, stop)[:, None] < np.arange(n)[None, :]
        product = (da * db)[upper]
        concordant += int((product > 0).sum())
        discordant += int((product < 0).sum())
        ties_a += int(((da == 0) & (db != 0))[upper].sum())
        ties_b += int(((db == 0) & (da != 0))[upper].sum())
    denominator = math.sqrt((concordant + discordant + ties_a) * (concordant + discordant + ties_b))
    if denominator == 0:
        return None
    return (concordant - discordant) / denominator


# -- generative-judge rates ---------------------------------------------------------------------------------
@metric("position_consistency", "share of two-order comparisons whose verdict did not change when A and B swapped")
def position_consistency(judgments: Sequence[Judgment]) -> float | None:
    both = [c for j in judgments for c in j.comparisons
            if len(c.orders) == 2 and "failed" not in c.orders.values()]
    if not both:
        return None
    return sum(1 for c in both if c.orders["AB"] == c.orders["BA"]) / len(both)


def _verdict_share(judgments: Sequence[Judgment], verdict: str) -> float | None:
    """Share of all comparisons whose verdict is ``verdict``; None without comparisons."""
    comparisons = [c for j in judgments for c in j.comparisons]
    if not comparisons:
        return None
    return sum(1 for c in comparisons if c.verdict == verdict) / len(comparisons)


@metric("parse_failure_rate", "share of comparisons the judge's output could not decide (parse or call failure)")
def parse_failure_rate(judgments: Sequence[Judgment]) -> float | None:
    return _verdict_share(judgments, "failed")


@metric("tie_rate", "share of comparisons decided as a tie (including order-inconsistent pairs under 'tie')")
def tie_rate(judgments: Sequence[Judgment]) -> float | None:
    return _verdict_share(judgments, "tie")
