"""Judge-bias metrics as pure functions, each with a seeded percentile-bootstrap confidence interval.

- Position bias (pairwise judges shown both orders): how often the first slot is picked among decided
  presentations (0.5 = no bias), and accuracy when the chosen response is shown first vs second.
- Length bias: accuracy when the chosen response is longer vs shorter; accuracy per RewardBench length
  category (``LENGTH_CATEGORIES`` in allenai/reward-bench rewardbench/constants.py, a per-subset table
  that upstream defines but never uses); Spearman rank correlation of score with length for scalar judges;
  and a length-controlled accuracy: a logistic regression of the verdict on the length difference scaled
  by its standard deviation (not centred, so 0 stays "same length"), read off at zero difference, in the
  spirit of length-controlled AlpacaEval (Dubois et al., 2024).
- Style bias (RM-Bench): accuracy when the chosen response is plainer than the rejected one (hard) vs
  more styled (easy), from the 3x3 style matrix, and their gap.

Bootstraps resample items (clusters), never single presentations of one item, with
``numpy.random.default_rng(seed)``; the interval is the (1 - confidence) / 2 and (1 + confidence) / 2
quantiles of the resampled statistic (resamples where it is undefined are left out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from judgekit.eval.scoring.rewardbench import LENGTH_CATEGORIES
from judgekit.eval.scoring.rmbench import StyleItem
from judgekit.judges.base import Judgment

Pick = Literal["first", "second", "tie", "failed"]
LENGTH_CATEGORY_NAMES = {"True": "chosen-longer", "Neutral": "neutral", "False": "chosen-shorter"}


@dataclass(frozen=True)
class Estimate:
    """A statistic, its bootstrap interval and the number of items (clusters) behind it."""

    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Presentation:
    """One presentation of an item to a pairwise judge and which slot it picked."""

    item_id: str
    chosen_first: bool
    picked: Pick


@dataclass(frozen=True)
class PositionBias:
    first_slot_rate: Estimate
    accuracy_chosen_first: Estimate
    accuracy_chosen_second: Estimate
    gap: Estimate  # accuracy_chosen_first - accuracy_chosen_second
    undecided: int  # presentations judged a tie or failed, left out


@dataclass(frozen=True)
class LengthRecord:
    """One item: ``credit`` 1 when the judge preferred the chosen response (0..1), and both lengths."""

    item_id: str
    credit: float
    chosen_length: float
    rejected_length: float
    subset: str = ""


@dataclass(frozen=True)
class LengthBias:
    accuracy: Estimate
    accuracy_chosen_longer: Estimate
    accuracy_chosen_shorter: Estimate
    equal_length: int
    by_category: dict[str, Estimate]  # chosen-longer / neutral / chosen-shorter (RewardBench subsets only)
    length_controlled_accuracy: Estimate


@dataclass(frozen=True)
class StyleBias:
    hard: Estimate  # chosen plainer than rejected
    normal: Estimate
    easy: Estimate  # chosen more styled than rejected
    gap: Estimate  # easy - hard


def bootstrap(clusters: Sequence[object], statistic: Callable[[list[object]], float | None], *, seed: int = 0,
              resamples: int = 1000, confidence: float = 0.95) -> Estimate:
    """``statistic`` on the clusters and its percentile-bootstrap interval over resampled clusters."""
    items = list(clusters)
    value = statistic(items) if items else None
    if value is None or not items:
        return Estimate(value, None, None, len(items))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(items), size=(resamples, len(items)))
    stats = [statistic([items[i] for i in row]) for row in draws]
    finite = np.array([s for s in stats if s is not None and np.isfinite(s)], dtype=float)
    if finite.size == 0:
        return Estimate(float(value), None, None, len(items))
    low, high = np.quantile(finite, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Estimate(float(value), float(low), float(high), len(items))


def _ratio(pairs: list[object]) -> float | None:
    """sum of numerators / sum of denominators over (numerator, denominator) clusters."""
    num = sum(p[0] for p in pairs)  # type: ignore[index]
    den = sum(p[1] for p in pairs)  # type: ignore[index]
    return num / den if den else None


# -- position ----------------------------------------------------------------------------------------
def presentations_from_judgments(judgments: Iterable[Judgment]) -> list[Presentation]:
    """Each comparison's per-order verdicts ("AB" = chosen shown first) as presentations."""
    out = []
    for judgment in judgments:
        for c in judgment.comparisons:
            for order, verdict in c.orders.items():
                chosen_first = order == "AB"
                if verdict in ("chosen", "rejected"):
                    picked: Pick = "first" if (verdict == "chosen") == chosen_first else "second"
                else:
                    picked = "tie" if verdict == "tie" else "failed"
                out.append(Presentation(judgment.id, chosen_first, picked))
    return out


def position_bias(presentations: Iterable[Presentation], *, seed: int = 0, resamples: int = 1000,
                  confidence: float = 0.95) -> PositionBias:
    """First-slot pick rate and accuracy by the chosen response's slot, over decided presentations."""
    by_item: dict[str, list[Presentation]] = {}
    undecided = 0
    for p in presentations:
        if p.picked in ("first", "second"):
            by_item.setdefault(p.item_id, []).append(p)
        else:
            undecided += 1
    clusters = list(by_item.values())

    def counts(group: list[Presentation]) -> tuple[int, int, int, int, int]:
        first = sum(p.picked == "first" for p in group)
        cf = [p for p in group if p.chosen_first]
        cs = [p for p in group if not p.chosen_first]
        return (first, sum(p.picked == "first" for p in cf), len(cf), sum(p.picked == "second" for p in cs), len(cs))

    stats = [counts(g) + (len(g),) for g in clusters]
    kw = {"seed": seed, "resamples": resamples, "confidence": confidence}
    first_rate = bootstrap(stats, lambda s: _ratio([(c[0], c[5]) for c in s]), **kw)
    acc_first = bootstrap([c for c in stats if c[2]], lambda s: _ratio([(c[1], c[2]) for c in s]), **kw)
    acc_second = bootstrap([c for c in stats if c[4]], lambda s: _ratio([(c[3], c[4]) for c in s]), **kw)

    def gap(s: list[object]) -> float | None:
        a, b = _ratio([(c[1], c[2]) for c in s]), _ratio([(c[3], c[4]) for c in s])  # type: ignore[index]
        return None if a is None or b is None else a - b

    return PositionBias(first_rate, acc_first, acc_second, bootstrap(stats, gap, **kw), undecided)


# -- length ------------------------------------------------------------------------------------------
def _sigmoid(z: float) -> float:
    return float(1 / (1 + np.exp(-z)))


def length_controlled_accuracy(credits: Sequence[float], length_differences: Sequence[float], *,
                               ridge: float = 1e-6, iterations: int = 100) -> float | None:
    """P(correct) at zero length difference from ``logit P = b0 + b1 * d / sd(d)`` (Newton / IRLS).

    ``credits`` are 0..1 (fractional credit is fitted as a quasi-binomial outcome). A tiny ridge on the
    slope keeps the fit finite when longer-vs-shorter separates the outcomes perfectly. With no length
    variation the model is intercept-only: the plain accuracy.
    """
    y = np.asarray(credits, dtype=float)
    d = np.asarray(length_differences, dtype=float)
    if y.size == 0:
        return None
    scale = d.std()
    if scale == 0 or np.all(y == y[0]):
        return float(y.mean())
    x = np.column_stack([np.ones_like(d), d / scale])
    beta = np.zeros(2)
    penalty = np.diag([0.0, ridge])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(x @ beta)))
        gradient = x.T @ (y - p) - penalty @ beta
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.max(np.abs(step)) < 1e-12:
            break
    return _sigmoid(beta[0])


def length_bias(records: Iterable[LengthRecord], *, seed: int = 0, resamples: int = 1000,
                confidence: float = 0.95) -> LengthBias:
    """Accuracy by which response is longer, by RewardBench length category, and length-controlled."""
    items = list(records)
    kw = {"seed": seed, "resamples": resamples, "confidence": confidence}

    def mean_credit(group: list[object]) -> float | None:
        return float(np.mean([r.credit for r in group])) if group else None  # type: ignore[attr-defined]

    longer = [r for r in items if r.chosen_length > r.rejected_length]
    shorter = [r for r in items if r.chosen_length < r.rejected_length]
    by_category = {}
    for category, name in LENGTH_CATEGORY_NAMES.items():
        group = [r for r in items if LENGTH_CATEGORIES.get(r.subset) == category]
        if group:
            by_category[name] = bootstrap(group, mean_credit, **kw)

    def controlled(group: list[object]) -> float | None:
        return length_controlled_accuracy([r.credit for r in group],  # type: ignore[attr-defined]
                                          [r.chosen_length - r.rejected_length for r in group])  # type: ignore[attr-defined]

    return LengthBias(
        accuracy=bootstrap(items, mean_credit, **kw),
        accuracy_chosen_longer=bootstrap(longer, mean_credit, **kw),
        accuracy_chosen_shorter=bootstrap(shorter, mean_credit, **kw),
        equal_length=len(items) - len(longer) - len(shorter),
        by_category=by_category,
        length_controlled_accuracy=bootstrap(items, controlled, **kw),
    )


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties get the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson correlation of tie-averaged ranks); None when undefined."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.size < 2 or a.size != b.size:
        return None
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra @ ra) * (rb @ rb))
    return float(ra @ rb / denominator) if denominator > 0 else None


def score_length_correlation(scores: Sequence[float], lengths: Sequence[float], *, seed: int = 0,
                             resamples: int = 1000, confidence: float = 0.95) -> Estimate:
    """Spearman correlation of a scalar judge's scores with response lengths (each response one point)."""
    points = [(float(s), float(n)) for s, n in zip(scores, lengths, strict=True) if s is not None]
    return bootstrap(points, lambda p: spearman([a for a, _ in p], [b for _, b in p]),  # type: ignore[misc]
                     seed=seed, resamples=resamples, confidence=confidence)


# -- style (RM-Bench) --------------------------------------------------------------------------------
def style_bias(items: Iterable[StyleItem], *, seed: int = 0, resamples: int = 1000,
               confidence: float = 0.95) -> StyleBias:
    """Per-item hard / normal / easy cell means, averaged over items, with item-bootstrap intervals.

    Over one group of items the values equal RM-Bench's ``compute_accuracy`` (THU-KEG/RM-Bench
    scripts/utils.py); across domains they pool items instead of averaging domains.
    """
    rows = []
    for item in items:
        cells = np.asarray(item.wins, dtype=float)
        rows.append((float(np.mean(cells[np.triu_indices(3, 1)])), float(np.mean(np.diag(cells))),
                     float(np.mean(cells[np.tril_indices(3, -1)]))))
    kw = {"seed": seed, "resamples": resamples, "confidence": confidence}

    def column(k: int) -> Callable[[list[object]], float | None]:
        return lambda group: float(np.mean([r[k] for r in group])) if group else None  # type: ignore[index]

    def gap(group: list[object]) -> float | None:
        return float(np.mean([r[2] - r[0] for r in group])) if group else None  # type: ignore[index]

    return StyleBias(bootstrap(rows, column(0), **kw), bootstrap(rows, column(1), **kw),
                     bootstrap(rows, column(2), **kw), bootstrap(rows, gap, **kw))
