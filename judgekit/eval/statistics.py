"""Statistics the metrics are made of, as plain functions on plain values.

Item value (`item_value`): each comparison chosen[i] vs rejected[j] is worth 1 (chosen wins), 0 (rejected
wins or the judge failed), or per the tie policy (``wrong`` 0, ``half`` 0.5, ``exclude`` drops the item).
An item is correct when the chosen response beats every rejected one (best-of-N); RM-Bench style matrices
(``meta.styles``) are worth the mean of their cells instead. Failures count as wrong by default
(``failures: exclude`` drops them) and are always reported.

Paired statistics compare the same items before and after a transform: accuracy drop with a seeded paired
bootstrap CI, an exact McNemar test, flip rates, score shift (mean |r - r~| over the std of original scores)
and Kendall's tau-b.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from judgekit.judges.base import Judgment

TIE_POLICIES = ("wrong", "half", "exclude")
FAILURE_POLICIES = ("wrong", "exclude")


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


def accuracy(values: Sequence[float | None]) -> float | None:
    """Mean of the counted item values (None when nothing counts)."""
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


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


def mcnemar(original: Sequence[float], transformed: Sequence[float]) -> dict[str, float | int]:
    """Items count as right when their value is 1; b = right->wrong, c = wrong->right."""
    b = sum(1 for x, y in zip(original, transformed, strict=True) if x == 1.0 and y != 1.0)
    c = sum(1 for x, y in zip(original, transformed, strict=True) if x != 1.0 and y == 1.0)
    n = b + c
    if n == 0:
        return {"b": 0, "c": 0, "p_value": 1.0}
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1))
    return {"b": b, "c": c, "p_value": min(1.0, 2 * tail / 2**n)}


def flip_rates(original: Sequence[float], transformed: Sequence[float]) -> dict[str, float]:
    n = len(original)
    if n == 0:
        return {"right_to_wrong": math.nan, "wrong_to_right": math.nan}
    test = mcnemar(original, transformed)
    return {"right_to_wrong": test["b"] / n, "wrong_to_right": test["c"] / n}


def score_shift(original: Sequence[float], transformed: Sequence[float], *, scale: float) -> float | None:
    if not original or not scale or not math.isfinite(scale):
        return None
    a, b = np.asarray(original, dtype=float), np.asarray(transformed, dtype=float)
    return float(np.abs(a - b).mean() / scale)


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


def mean_ci(values: Sequence[float], *, seed: int, resamples: int, level: float) -> list[float | None]:
    """Bootstrap CI of a mean (the drop of ``values`` against zeros)."""
    if not values:
        return [None, None]
    _, low, high = bootstrap_drop(values, [0.0] * len(values), seed=seed, resamples=resamples, level=level)
    return [finite(low), finite(high)]


def finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def fleiss_kappa(ratings: Sequence[Sequence[str]]) -> float | None:
    """Fleiss' kappa of raters assigning categories to subjects: one row per subject, one label per rater
    (every row the same number of raters, at least 2). None for no subjects or when chance agreement is 1
    (every rater always gives the same single category)."""
    rows = [list(r) for r in ratings]
    if not rows:
        return None
    raters = len(rows[0])
    if raters < 2 or any(len(r) != raters for r in rows):
        raise ValueError("Fleiss' kappa needs the same number (>= 2) of ratings for every subject")
    categories = sorted({label for row in rows for label in row})
    counts = np.array([[row.count(c) for c in categories] for row in rows], dtype=float)
    agreement = ((counts ** 2).sum(axis=1) - raters) / (raters * (raters - 1))
    shares = counts.sum(axis=0) / (len(rows) * raters)
    chance = float((shares ** 2).sum())
    if chance >= 1.0:
        return None
    return float((agreement.mean() - chance) / (1.0 - chance))
