"""Judge-bias metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from judgekit.eval import bias
from judgekit.eval.scoring import rmbench
from judgekit.judges.base import Comparison, Judgment

P = bias.Presentation
PRESENTATIONS = [
    P("1", True, "first"), P("1", False, "first"),  # always the first slot: right, then wrong
    P("2", True, "first"), P("2", False, "second"),  # right both times
    P("3", True, "second"), P("3", False, "first"),  # always the rejected one
    P("4", True, "tie"), P("4", False, "failed"),  # undecided, left out
]


def test_position_bias_by_hand():
    result = bias.position_bias(PRESENTATIONS, resamples=200)
    assert result.first_slot_rate.value == pytest.approx(4 / 6)
    assert result.accuracy_chosen_first.value == pytest.approx(2 / 3)
    assert result.accuracy_chosen_second.value == pytest.approx(1 / 3)
    assert result.gap.value == pytest.approx(1 / 3)
    assert result.undecided == 2 and result.first_slot_rate.n == 3
    for estimate in (result.first_slot_rate, result.accuracy_chosen_first, result.gap):
        assert estimate.low <= estimate.value <= estimate.high


def test_presentations_from_judgments_follow_the_order_keys():
    judgment = Judgment("1", "s", [Comparison(0, 0, "tie", orders={"AB": "chosen", "BA": "chosen"})])
    also = Judgment("2", "s", [Comparison(0, 0, "failed", orders={"AB": "rejected", "BA": "failed"})])
    assert bias.presentations_from_judgments([judgment, also]) == [
        P("1", True, "first"), P("1", False, "second"), P("2", True, "second"), P("2", False, "failed")]


def test_bootstrap_is_seeded_and_collapses_on_identical_clusters():
    same = bias.bootstrap([1.0] * 10, lambda xs: sum(xs) / len(xs), resamples=50)
    assert (same.value, same.low, same.high, same.n) == (1.0, 1.0, 1.0, 10)
    values = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    first = bias.bootstrap(values, lambda xs: sum(xs) / len(xs), seed=3, resamples=300)
    assert first == bias.bootstrap(values, lambda xs: sum(xs) / len(xs), seed=3, resamples=300)
    assert first.low < first.value == 5 / 8 < first.high
    assert bias.bootstrap([], lambda xs: 1.0) == bias.Estimate(None, None, None, 0)


def two_groups(correct_longer: int, n_longer: int, correct_shorter: int, n_shorter: int) -> list[bias.LengthRecord]:
    records = [bias.LengthRecord(f"l{i}", float(i < correct_longer), 30, 10) for i in range(n_longer)]
    return records + [bias.LengthRecord(f"s{i}", float(i < correct_shorter), 10, 30) for i in range(n_shorter)]


def test_length_controlled_accuracy_by_hand():
    """Two length differences +-20 -> x = +-c: the fit matches both group rates, so the intercept is the
    mean of their logits: rates 0.8 and 0.5 -> sigmoid((ln 4 + 0) / 2) = 2/3, whatever the group sizes."""
    records = two_groups(8, 10, 5, 10)
    credits = [r.credit for r in records]
    diffs = [r.chosen_length - r.rejected_length for r in records]
    assert bias.length_controlled_accuracy(credits, diffs) == pytest.approx(2 / 3, abs=1e-6)
    unbalanced = two_groups(12, 16, 2, 8)  # 0.75 and 0.25 -> 0.5
    assert bias.length_controlled_accuracy([r.credit for r in unbalanced],
                                           [r.chosen_length - r.rejected_length for r in unbalanced]) == \
        pytest.approx(0.5, abs=1e-6)
    assert bias.length_controlled_accuracy([1, 0, 1], [5, 5, 5]) == pytest.approx(2 / 3)  # no variation
    assert bias.length_controlled_accuracy([1, 1], [3, -3]) == 1.0
    assert bias.length_controlled_accuracy([], []) is None
    # perfectly separated by length, symmetric: the ridge keeps the fit finite and the intercept at 0
    assert bias.length_controlled_accuracy([1, 1, 0, 0], [5, 4, -4, -5]) == pytest.approx(0.5, abs=1e-6)


def test_length_bias_by_hand():
    records = two_groups(8, 10, 5, 10) + [bias.LengthRecord("e", 1.0, 7, 7)]
    result = bias.length_bias(records, resamples=100)
    assert result.accuracy.value == pytest.approx(14 / 21)
    assert result.accuracy_chosen_longer.value == pytest.approx(0.8)
    assert result.accuracy_chosen_shorter.value == pytest.approx(0.5)
    assert result.equal_length == 1
    assert result.by_category == {}
    assert result.accuracy_chosen_longer.low <= 0.8 <= result.accuracy_chosen_longer.high


def test_length_categories_follow_rewardbench_table():
    records = [bias.LengthRecord("1", 1.0, 1, 2, "alpacaeval-easy"), bias.LengthRecord("2", 0.0, 1, 2, "alpacaeval-hard"),
               bias.LengthRecord("3", 1.0, 1, 2, "llmbar-natural"), bias.LengthRecord("4", 0.0, 1, 2, "donotanswer"),
               bias.LengthRecord("5", 1.0, 1, 2, "unknown")]
    result = bias.length_bias(records, resamples=50).by_category
    assert {k: v.value for k, v in result.items()} == {"chosen-longer": 0.5, "neutral": 1.0, "chosen-shorter": 0.0}


def test_spearman_by_hand():
    assert bias.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)  # 1 - 6 * 2 / (4 * 15)
    assert bias.spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(3 / math.sqrt(10))  # tied ranks 2.5
    assert bias.spearman([1, 1, 1], [1, 2, 3]) is None
    estimate = bias.score_length_correlation([0.1, 0.4, 0.3, 0.9, 0.8], [10, 40, 30, 90, 80], resamples=100)
    assert estimate.value == pytest.approx(1.0) and estimate.high == pytest.approx(1.0)


def test_style_bias_equals_rmbench_difficulty_by_hand():
    items = [rmbench.StyleItem.from_scores("a", "chat", (3, 2, 1), (2.5, 2.5, 0)),
             rmbench.StyleItem.from_scores("b", "chat", (1, 1, 1), (1, 0, 2))]
    result = bias.style_bias(items, resamples=100)
    assert (result.hard.value, result.normal.value, result.easy.value) == pytest.approx((2 / 3, 1 / 2, 1 / 6))
    assert result.gap.value == pytest.approx(1 / 6 - 2 / 3)
    difficulty = rmbench.difficulty(items)
    assert (difficulty.hard, difficulty.normal, difficulty.easy) == pytest.approx(
        (result.hard.value, result.normal.value, result.easy.value))
    assert result.hard.low <= result.hard.value <= result.hard.high


def test_weighted_bootstrap_equals_resampling_the_items():
    """bootstrap_weighted passes multiplicities; each weighted statistic equals the plain one on the resampled list
    (the same draws as `bootstrap`), so both give the same interval."""
    import numpy as np

    rng = np.random.default_rng(5)
    records = [bias.LengthRecord(f"i{k // 2}", float(rng.integers(0, 3)) / 2, float(rng.integers(1, 40)),
                                 float(rng.integers(1, 40))) for k in range(40)]  # 20 items, 2 comparisons each
    clusters = [[r for r in records if r.item_id == f"i{k}"] for k in range(20)]

    def controlled(group):
        flat = [r for c in group for r in c]
        return bias.length_controlled_accuracy([r.credit for r in flat], [r.chosen_length - r.rejected_length for r in flat])

    def spearman_of(group):
        flat = [r for c in group for r in c]
        return bias.spearman([r.credit for r in flat], [r.chosen_length for r in flat])

    fast = bias.length_bias(records, seed=4, resamples=150)
    slow = bias.bootstrap(clusters, controlled, seed=4, resamples=150)
    assert fast.length_controlled_accuracy.value == pytest.approx(slow.value, abs=1e-9)
    assert fast.length_controlled_accuracy.low == pytest.approx(slow.low, abs=1e-6)
    assert fast.length_controlled_accuracy.high == pytest.approx(slow.high, abs=1e-6)
    mean = bias.bootstrap(clusters, lambda g: float(np.mean([r.credit for c in g for r in c])), seed=4, resamples=150)
    assert (fast.accuracy.value, fast.accuracy.low, fast.accuracy.high) == pytest.approx((mean.value, mean.low, mean.high))
    rho = bias.score_length_correlation([r.credit for r in records], [r.chosen_length for r in records],
                                        items=[r.item_id for r in records], seed=4, resamples=150)
    slow_rho = bias.bootstrap(clusters, spearman_of, seed=4, resamples=150)
    assert (rho.value, rho.low, rho.high, rho.n) == pytest.approx((slow_rho.value, slow_rho.low, slow_rho.high, 20))


def test_length_controlled_bootstrap_survives_separated_resamples_without_warnings():
    """Small data: many resamples separate longer-vs-shorter perfectly; their fits saturate, none may warn or fail."""
    import warnings

    rows = [(1.0, 22, 28), (0.0, 5, 24), (1.0, 8, 10), (1.0, 13, 8), (1.0, 8, 12)]  # the one loss: the most shorter
    records = [bias.LengthRecord(str(i), c, chosen, rejected) for i, (c, chosen, rejected) in enumerate(rows)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = bias.length_bias(records, resamples=200).length_controlled_accuracy
    assert 0 < result.value <= 1 and result.low <= result.value <= result.high
