"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from judgekit.eval import statistics as M
from judgekit.eval.metrics import METRICS, VariantContext, run_metrics
from judgekit.eval.sections import section_of, sections_by_items
from judgekit.eval.suite import MetricOptions
from judgekit.judges.base import Comparison, Judgment


def judgment(*verdicts: str, item_id: str = "x") -> Judgment:
    return Judgment(item_id, "s", [Comparison(0, j, v) for j, v in enumerate(verdicts)])


@pytest.mark.parametrize(("verdicts", "ties", "failures", "expected"), [
    (("chosen",), "wrong", "wrong", 1.0),
    (("rejected",), "wrong", "wrong", 0.0),
    (("chosen", "chosen", "chosen"), "wrong", "wrong", 1.0),  # best-of-4: beats every rejected
    (("chosen", "rejected", "chosen"), "half", "wrong", 0.0),  # one loss is a loss, whatever the tie policy
    (("chosen", "tie"), "wrong", "wrong", 0.0),
    (("chosen", "tie"), "half", "wrong", 0.5),
    (("chosen", "tie"), "exclude", "wrong", None),
    (("failed",), "half", "wrong", 0.0),  # a failure is never a tie
    (("failed", "chosen"), "half", "exclude", None),
])
def test_item_value(verdicts, ties, failures, expected):
    assert M.item_value(judgment(*verdicts), ties=ties, failures=failures) == expected


def test_item_value_matrix_is_mean_of_cells():
    j = Judgment("x", "s", [Comparison(i, k, v) for (i, k), v in zip(
        [(i, k) for i in range(3) for k in range(3)],
        ["chosen", "rejected", "rejected", "chosen", "tie", "chosen", "chosen", "chosen", "chosen"], strict=True)])
    assert M.item_value(j, matrix=True) == pytest.approx(6 / 9)
    assert M.item_value(j, matrix=True, ties="half") == pytest.approx(6.5 / 9)


def test_accuracy_ignores_excluded():
    assert M.accuracy([1.0, 0.0, 1.0, None]) == pytest.approx(2 / 3)
    assert M.accuracy([None]) is None


@pytest.mark.parametrize(("original", "transformed", "b", "c", "p"), [
    ([1, 1, 1, 0, 0, 1], [0, 0, 1, 1, 0, 1], 2, 1, 1.0),  # n=3: 2*(C(3,0)+C(3,1))/2^3 = 1
    ([1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0], 5, 0, 2 / 32),  # n=5: 2*1/32
    ([1] * 8 + [0] * 3, [0] * 8 + [1, 0, 0], 8, 1, 20 / 512),  # n=9: 2*(1+9)/512
    ([1, 0], [1, 0], 0, 0, 1.0),
])
def test_mcnemar_exact(original, transformed, b, c, p):
    result = M.mcnemar([float(x) for x in original], [float(x) for x in transformed])
    assert (result["b"], result["c"]) == (b, c)
    assert result["p_value"] == pytest.approx(p)


def test_mcnemar_half_values_are_not_right():
    # under ties=half an item worth 0.5 is not "right"
    assert M.mcnemar([1.0, 0.5], [0.5, 1.0]) == {"b": 1, "c": 1, "p_value": 1.0}


def test_flip_rates():
    rates = M.flip_rates([1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0])
    assert rates == {"right_to_wrong": 0.25, "wrong_to_right": 0.25}


def test_bootstrap_drop():
    # constant paired differences: every resample has the same mean, so the CI collapses onto the drop
    drop, low, high = M.bootstrap_drop([1.0, 1.0, 0.0, 1.0], [0.0, 0.0, -1.0, 0.0], seed=3, resamples=200)
    assert (drop, low, high) == (1.0, 1.0, 1.0)
    original = [1.0] * 30 + [0.0] * 10
    transformed = [1.0] * 20 + [0.0] * 20
    drop, low, high = M.bootstrap_drop(original, transformed, seed=0, resamples=2000)
    assert drop == pytest.approx(0.25)
    assert low < 0.25 < high
    # the paired diffs are 1 on 10 items and 0 on 30: the standard error is sqrt(p(1-p)/n) = 0.0685
    assert high - low == pytest.approx(2 * 1.96 * math.sqrt(0.25 * 0.75 / 40), abs=0.04)
    # seeded: the same seed gives the same interval, another seed (usually) another one
    assert M.bootstrap_drop(original, transformed, seed=0, resamples=2000) == (drop, low, high)
    assert all(math.isnan(v) for v in M.bootstrap_drop([], []))


def test_kendall_tau_by_hand():
    assert M.kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)  # 5 concordant, 1 discordant
    assert M.kendall_tau([1, 2, 2, 3], [1, 2, 3, 3]) == pytest.approx(0.8)  # C=4, D=0, one tie on each side
    assert M.kendall_tau([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert M.kendall_tau([1, 1, 1], [1, 2, 3]) is None
    assert M.kendall_tau([1.0], [2.0]) is None


def test_kendall_tau_chunking_matches_small_case():
    rng = np.random.default_rng(0)
    x = rng.normal(size=700)
    y = x + rng.normal(scale=0.5, size=700)
    # reference: direct O(n^2) count without chunks
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    upper = np.triu(np.ones((700, 700), dtype=bool), 1)
    concordant = ((dx * dy) > 0)[upper].sum()
    discordant = ((dx * dy) < 0)[upper].sum()
    assert M.kendall_tau(x, y) == pytest.approx((concordant - discordant) / (700 * 699 / 2))


def test_score_shift():
    assert M.score_shift([1.0, 2.0, 3.0], [1.5, 2.0, 2.0], scale=2.0) == pytest.approx(0.25)
    assert M.score_shift([], [], scale=1.0) is None
    assert M.score_shift([1.0], [2.0], scale=0.0) is None


def test_generative_rates():
    judgments = [
        Judgment("a", "s", [Comparison(0, 0, "chosen", orders={"AB": "chosen", "BA": "chosen"})]),
        Judgment("b", "s", [Comparison(0, 0, "tie", orders={"AB": "chosen", "BA": "rejected"})]),
        Judgment("c", "s", [Comparison(0, 0, "failed", orders={"AB": "failed", "BA": "chosen"}, failure="parse")]),
        Judgment("d", "s", [Comparison(0, 0, "rejected", orders={"AB": "rejected"})]),
        Judgment("e", "s", [Comparison(0, 0, "failed", orders={"AB": "failed", "BA": "failed"}, failure="call")]),
    ]
    context = VariantContext("j", "generative", "original", judgments, {j.id: None for j in judgments}, {},
                             MetricOptions(), 0)
    keys, errors = run_metrics("variant", context, ["position_consistency", "parse_failure_rate",
                                                    "call_error_rate", "tie_rate"])
    assert errors == {}
    assert keys["position_consistency"] == 0.5  # a consistent, b not; c, e failed and d one order excluded
    assert keys["parse_failure_rate"] == 0.2 and keys["call_error_rate"] == 0.2  # counted apart
    assert keys["tie_rate"] == 0.2


def test_every_registered_metric_is_dispatched_and_scalar_judges_skip_generative_rates():
    judgments = [Judgment("a", "s", [Comparison(0, 0, "chosen")], scores_chosen=[1.0], scores_rejected=[0.0])]
    context = VariantContext("j", "scalar", "original", judgments, {"a": 1.0}, {}, MetricOptions(), 0)
    keys, errors = run_metrics("variant", context)
    assert errors == {} and keys["accuracy"] == 1.0
    assert "parse_failure_rate" not in keys and "call_error_rate" not in keys
    assert {"accuracy", "drop", "sections_by_items", "call_error_rate", "rewardbench", "rewardbench2", "rm-bench",
            "judgebench", "position_bias", "length_bias", "style_bias"} <= set(METRICS.names())


def test_sections_by_items_weighting():
    """judgekit's labelled view: subsets weighted by the items evaluated, math-prm as much as all code."""
    accuracy = {"alpacaeval-easy": 1.0, "mt-bench-med": 0.5, "math-prm": 0.8, "hep-python": 0.4}
    counts = {"alpacaeval-easy": 10, "mt-bench-med": 30, "math-prm": 10, "hep-python": 20}
    sections = {s: section_of(s, {}) for s in accuracy}
    scores = sections_by_items(accuracy, counts, sections)
    assert scores["chat"] == pytest.approx((10 * 1.0 + 30 * 0.5) / 40)  # count-weighted
    assert scores["reasoning"] == pytest.approx((0.8 + 0.4) / 2)  # math-prm weighs as much as code
    assert scores["overall"] == pytest.approx((0.625 + 0.6) / 2)  # only the sections present
    assert sections_by_items({"foo": 1.0}, {"foo": 3}, {"foo": None}) is None
    assert section_of("anything", {"section": "Chat Hard"}) == "chat-hard"


def test_metrics_registry():
    names = set(METRICS.names())
    assert {"accuracy", "drop", "mcnemar", "flip_rate", "score_shift", "kendall_tau", "position_consistency",
            "parse_failure_rate", "tie_rate"} <= names


def test_two_metrics_writing_one_key_keep_the_first_and_say_so():
    from judgekit.eval.metrics import Metric

    class Shadow(Metric):
        """writes a built-in's key"""

        def compute(self, ctx):
            return {"accuracy": -1.0, "shadow_only": 1}

    METRICS.add("zz-shadow", Shadow)
    try:
        judgments = [Judgment("a", "s", [Comparison(0, 0, "chosen")], scores_chosen=[1.0], scores_rejected=[0.0])]
        context = VariantContext("j", "scalar", "original", judgments, {"a": 1.0}, {}, MetricOptions(), 0)
        keys, errors = run_metrics("variant", context)
    finally:
        METRICS._entries.pop("zz-shadow")
    assert keys["accuracy"] == 1.0 and keys["shadow_only"] == 1
    assert "already written by accuracy" in errors["zz-shadow"]
