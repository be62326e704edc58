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

Bootstraps resample items (clusters), never single presentations or comparisons of one item, with
``numpy.random.default_rng(seed)``; the interval is the (1 - confidence) / 2 and (1 + confidence) / 2
quantiles of the resampled statistic (resamples where it is undefined are left out). A resample is a vector
of item multiplicities, so every statistic here is a weighted statistic computed for all resamples at once
(numpy, in chunks of bounded memory); with all weights 1 it is the statistic on the data itself.
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
    """``statistic`` on the clusters and its percentile-bootstrap interval over resampled clusters (any statistic)."""
    items = list(clusters)
    value = statistic(items) if items else None
    if value is None or not items:
        return Estimate(value, None, None, len(items))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(items), size=(resamples, len(items)))
    stats = [statistic([items[i] for i in row]) for row in draws]
    finite = np.array([s for s in stats if s is not None and np.isfinite(s)], dtype=float)
    return _estimate(float(value), finite, confidence, len(items))


def _estimate(value: float | None, stats: np.ndarray, confidence: float, n: int) -> Estimate:
    if value is None or not np.isfinite(value):
        return Estimate(None, None, None, n)
    finite = stats[np.isfinite(stats)]
    if finite.size == 0:
        return Estimate(float(value), None, None, n)
    low, high = np.quantile(finite, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Estimate(float(value), float(low), float(high), n)


WeightedStatistic = Callable[[np.ndarray], np.ndarray]  # (R, K) cluster weights -> (R,) values, NaN = undefined
_CELLS_PER_CHUNK = 2_000_000


def bootstrap_weighted(n_clusters: int, statistic: WeightedStatistic, *, seed: int = 0, resamples: int = 1000,
                       confidence: float = 0.95, cost: int | None = None) -> Estimate:
    """``statistic`` with every weight 1 and its percentile-bootstrap interval, all resamples vectorised.

    A resample draws ``n_clusters`` cluster indices with replacement (the same draws as `bootstrap`) and
    passes their multiplicities. ``cost`` (values per resample the statistic allocates, default the number
    of clusters) bounds the chunk size.
    """
    if n_clusters == 0:
        return Estimate(None, None, None, 0)
    value = float(statistic(np.ones((1, n_clusters)))[0])
    if not np.isfinite(value):
        return Estimate(None, None, None, n_clusters)
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // max(cost or n_clusters, n_clusters))
    stats = []
    for start in range(0, resamples, chunk):
        rows = min(chunk, resamples - start)
        draws = rng.integers(0, n_clusters, size=(rows, n_clusters))
        offsets = draws + (np.arange(rows) * n_clusters)[:, None]
        weights = np.bincount(offsets.ravel(), minlength=rows * n_clusters).reshape(rows, n_clusters)
        stats.append(np.asarray(statistic(weights.astype(float)), dtype=float))
    return _estimate(value, np.concatenate(stats), confidence, n_clusters)


def _ratio(numerators: np.ndarray, denominators: np.ndarray) -> WeightedStatistic:
    """sum(w * numerator) / sum(w * denominator) per resample (NaN where the denominator is 0)."""
    def statistic(weights: np.ndarray) -> np.ndarray:
        den = weights @ denominators
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, (weights @ numerators) / np.where(den > 0, den, 1), np.nan)
    return statistic


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
    # per item: first-slot picks, decided presentations, right with chosen first / shown first, second likewise
    counts = np.array([[sum(p.picked == "first" for p in g), len(g),
                        sum(p.chosen_first and p.picked == "first" for p in g), sum(p.chosen_first for p in g),
                        sum(not p.chosen_first and p.picked == "second" for p in g),
                        sum(not p.chosen_first for p in g)] for g in by_item.values()], dtype=float).reshape(-1, 6)
    kw = {"seed": seed, "resamples": resamples, "confidence": confidence}

    def rate(num: int, den: int) -> Estimate:
        rows = counts[counts[:, den] > 0]
        return bootstrap_weighted(len(rows), _ratio(rows[:, num], rows[:, den]), **kw)

    first, second = _ratio(counts[:, 2], counts[:, 3]), _ratio(counts[:, 4], counts[:, 5])
    gap = bootstrap_weighted(len(counts), lambda w: first(w) - second(w), **kw)
    return PositionBias(rate(0, 1), rate(2, 3), rate(4, 5), gap, undecided)


# -- length ------------------------------------------------------------------------------------------
def _lc_weighted(y: np.ndarray, d: np.ndarray, weights: np.ndarray, *, ridge: float = 1e-6,
                 iterations: int = 100, start: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """Length-controlled accuracy of each weight row (R, N): the weighted fit of ``length_controlled_accuracy``.

    Returns (P at zero difference, slope per unit of length difference) per row. Newton steps run per row until
    that row converges; ``start`` (intercept, slope per unit) warm-starts every row (bootstrap rows start from
    the fit on the data itself, a few steps away).
    """
    total = weights.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = (weights @ y) / total
        mean_d = (weights @ d) / total
        scale = np.sqrt(np.maximum((weights @ (d * d)) / total - mean_d ** 2, 0.0))
        spread_y = (weights @ (y * y)) / total - plain ** 2  # 0 when every outcome in the row is the same
    fit = (scale > 1e-12 * np.maximum(1.0, np.abs(mean_d))) & (spread_y > 1e-12)
    out, slope = plain.copy(), np.zeros(len(weights))
    rows = np.flatnonzero(fit)
    b0, b1 = np.full(len(rows), start[0]), start[1] * scale[rows]  # b1: slope per standard deviation
    powers = np.column_stack([np.ones_like(d), d, d * d])
    active = np.arange(len(rows))
    for _ in range(iterations):
        if active.size == 0:
            break
        w, sd = weights[rows[active]], scale[rows[active]]
        with np.errstate(over="ignore"):
            p = 1 / (1 + np.exp(-(b0[active, None] + (b1[active] / sd)[:, None] * d[None, :])))
        g = (w * (y - p)) @ powers[:, :2]  # sums of r and r * d
        h = (w * p * (1 - p)) @ powers  # sums of v, v * d, v * d^2
        g0, g1 = g[:, 0], g[:, 1] / sd - ridge * b1[active]
        h00, h01, h11 = h[:, 0], h[:, 1] / sd, h[:, 2] / sd ** 2 + ridge
        det = h00 * h11 - h01 * h01
        with np.errstate(divide="ignore", invalid="ignore"):
            s0, s1 = (h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det
        # a row whose fitted probabilities saturated (separated outcomes) has no curvature left: keep its estimate
        usable = (det > 0) & np.isfinite(s0) & np.isfinite(s1)
        b0[active[usable]] += s0[usable]
        b1[active[usable]] += s1[usable]
        active = active[usable & (np.maximum(np.abs(s0), np.abs(s1)) >= 1e-10)]
    with np.errstate(over="ignore"):
        out[rows] = 1 / (1 + np.exp(-b0))
    slope[rows] = b1 / scale[rows]
    return out, slope


def length_controlled_accuracy(credits: Sequence[float], length_differences: Sequence[float], *,
                               ridge: float = 1e-6, iterations: int = 100) -> float | None:
    """P(correct) at zero length difference from ``logit P = b0 + b1 * d / sd(d)`` (Newton / IRLS).

    ``credits`` are 0..1 (fractional credit is fitted as a quasi-binomial outcome). A tiny ridge on the
    slope keeps the fit finite when longer-vs-shorter separates the outcomes perfectly. With no length
    variation, or one outcome only, the model is intercept-only: the plain accuracy.
    """
    y = np.asarray(credits, dtype=float)
    if y.size == 0:
        return None
    d = np.asarray(length_differences, dtype=float)
    return float(_lc_weighted(y, d, np.ones((1, y.size)), ridge=ridge, iterations=iterations)[0][0])


def _grouped(records: Sequence[LengthRecord], keep: Callable[[LengthRecord], bool] = lambda r: True,
             ) -> tuple[list[LengthRecord], np.ndarray, int]:
    """The kept records, each record's item (cluster) index, and the number of items, in first-seen order."""
    kept = [r for r in records if keep(r)]
    index: dict[str, int] = {}
    clusters = np.array([index.setdefault(r.item_id, len(index)) for r in kept], dtype=int)
    return kept, clusters, len(index)


def _mean_credit(records: Sequence[LengthRecord], keep: Callable[[LengthRecord], bool], kw: dict) -> Estimate:
    kept, clusters, n = _grouped(records, keep)
    sums = np.bincount(clusters, weights=[r.credit for r in kept], minlength=n)
    counts = np.bincount(clusters, minlength=n).astype(float)
    return bootstrap_weighted(n, _ratio(sums, counts), **kw)


def length_bias(records: Iterable[LengthRecord], *, seed: int = 0, resamples: int = 1000,
                confidence: float = 0.95) -> LengthBias:
    """Accuracy by which response is longer, by RewardBench length category, and length-controlled.

    Accuracies are means over comparisons; the bootstrap resamples items (all comparisons of an item
    together), so ``n`` counts items.
    """
    items = list(records)
    kw = {"seed": seed, "resamples": resamples, "confidence": confidence}
    by_category = {}
    for category, name in LENGTH_CATEGORY_NAMES.items():
        def in_category(r: LengthRecord, c: str = category) -> bool:
            return LENGTH_CATEGORIES.get(r.subset) == c
        if any(in_category(r) for r in items):
            by_category[name] = _mean_credit(items, in_category, kw)
    kept, clusters, n = _grouped(items)
    y = np.array([r.credit for r in kept], dtype=float)
    d = np.array([r.chosen_length - r.rejected_length for r in kept], dtype=float)
    value, slope = _lc_weighted(y, d, np.ones((1, len(kept))))
    start = (float(np.log(value[0] / (1 - value[0]))) if 0 < value[0] < 1 else 0.0, float(slope[0]))
    controlled = bootstrap_weighted(n, lambda w: _lc_weighted(y, d, w[:, clusters], start=start)[0],
                                    cost=len(kept) * 8, **kw)
    return LengthBias(
        accuracy=_mean_credit(items, lambda r: True, kw),
        accuracy_chosen_longer=_mean_credit(items, lambda r: r.chosen_length > r.rejected_length, kw),
        accuracy_chosen_shorter=_mean_credit(items, lambda r: r.chosen_length < r.rejected_length, kw),
        equal_length=sum(1 for r in items if r.chosen_length == r.rejected_length),
        by_category=by_category,
        length_controlled_accuracy=controlled,
    )


def _weighted_ranks(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Tie-averaged 1-based ranks of ``values`` in the sample where point i appears weights[r, i] times."""
    unique, inverse = np.unique(values, return_inverse=True)
    group = np.zeros((weights.shape[0], unique.size))
    np.add.at(group.T, inverse, weights.T)  # weight of each distinct value per resample
    before = np.cumsum(group, axis=1) - group
    return (before + (group + 1) / 2)[:, inverse]


def _weighted_spearman(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    rx, ry = _weighted_ranks(x, weights), _weighted_ranks(y, weights)
    total = weights.sum(axis=1, keepdims=True)
    rx = rx - (weights * rx).sum(axis=1, keepdims=True) / total
    ry = ry - (weights * ry).sum(axis=1, keepdims=True) / total
    cov = (weights * rx * ry).sum(axis=1)
    scale = np.sqrt((weights * rx * rx).sum(axis=1) * (weights * ry * ry).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((scale > 1e-12) & (total[:, 0] >= 2), cov / np.where(scale > 0, scale, 1), np.nan)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson correlation of tie-averaged ranks); None when undefined."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.size < 2 or a.size != b.size:
        return None
    value = float(_weighted_spearman(a, b, np.ones((1, a.size)))[0])
    return value if np.isfinite(value) else None


def score_length_correlation(scores: Sequence[float | None], lengths: Sequence[float], *,
                             items: Sequence[str] | None = None, seed: int = 0, resamples: int = 1000,
                             confidence: float = 0.95) -> Estimate:
    """Spearman correlation of a scalar judge's scores with response lengths (each response one point).

    With ``items`` (the item id of each response) the bootstrap resamples items, all their responses
    together, and ``n`` counts items; without, each response is its own cluster.
    """
    keys = list(items) if items is not None else [str(k) for k in range(len(scores))]
    kept = [(k, float(s), float(n)) for k, s, n in zip(keys, scores, lengths, strict=True) if s is not None]
    index: dict[str, int] = {}
    clusters = np.array([index.setdefault(k, len(index)) for k, _, _ in kept], dtype=int)
    x = np.array([s for _, s, _ in kept], dtype=float)
    y = np.array([n for _, _, n in kept], dtype=float)
    if len(kept) < 2:
        return Estimate(None, None, None, len(index))
    return bootstrap_weighted(len(index), lambda w: _weighted_spearman(x, y, w[:, clusters]),
                              cost=len(kept) * 12 + 2 * len(kept), seed=seed, resamples=resamples,
                              confidence=confidence)


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
    table = np.array(rows, dtype=float).reshape(-1, 3)
    ones = np.ones(len(table))
    kw = {"seed": seed, "resamples": resamples, "confidence": confidence}
    hard, normal, easy = (bootstrap_weighted(len(table), _ratio(table[:, k], ones), **kw) for k in range(3))
    gap = bootstrap_weighted(len(table), _ratio(table[:, 2] - table[:, 0], ones), **kw)
    return StyleBias(hard, normal, easy, gap)
