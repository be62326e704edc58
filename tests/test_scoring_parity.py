"""judgekit's official RewardBench 1 / 2 scores against upstream's own functions (rewardbench==0.1.4 from PyPI).

Upstream functions called: rewardbench.utils.calculate_scores_per_section, reroll_and_score_dataset,
process_single_model; rewardbench.constants.EXAMPLE_COUNTS / SUBSET_MAPPING / LENGTH_CATEGORIES;
analysis.get_benchmark_results.get_average_over_rewardbench (same wheel). Where GitHub main differs from
the release (the Ties score since commit 5822f16), main's behaviour is pinned by hand-computed fixtures.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from datasets import Dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from judgekit.eval.scoring import judgebench, rmbench
from judgekit.eval.scoring import rewardbench as rb1
from judgekit.eval.scoring import rewardbench2 as rb2
from judgekit.eval.scoring.subsets import subset_from_filename
from tests.conftest import shared_file
from tests.upstream_rewardbench import benchmark_results, constants, utils

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = 1e-9
LLMBAR_FILES = ("natural", "neighbor", "gptinst", "gptout", "manual")


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= TOL


# -- RewardBench 1 ----------------------------------------------------------------------------------
def test_constants_are_upstreams():
    assert rb1.EXAMPLE_COUNTS == constants.EXAMPLE_COUNTS
    assert {k: list(v) for k, v in rb1.SUBSET_MAPPING.items()} == constants.SUBSET_MAPPING
    assert rb1.LENGTH_CATEGORIES == constants.LENGTH_CATEGORIES


subset_accuracies = st.dictionaries(
    st.sampled_from([*rb1.known_subsets(), "llmbar-llmbar-natural", "unknown"]),
    st.floats(0, 1), max_size=26)


@SETTINGS
@given(subset_accuracies)
def test_sections_equal_upstream(accuracy):
    ours = rb1.section_scores(accuracy)
    theirs = utils.calculate_scores_per_section(constants.EXAMPLE_COUNTS, constants.SUBSET_MAPPING, accuracy)
    assert ours.keys() == theirs.keys()
    assert all(same(ours[k], theirs[k]) for k in ours)


@SETTINGS
@given(st.fixed_dictionaries({s: st.floats(0, 1) for s in rb1.known_subsets()}),
       st.one_of(st.none(), st.lists(st.floats(0, 1), min_size=4, max_size=4)))
def test_overall_equals_upstream_leaderboard_average(accuracy, prior):
    """analysis/get_benchmark_results.py get_average_over_rewardbench: sections 2, prior sets 1 (masked if absent)."""
    frame = pd.DataFrame([{"model": "m", "model_type": "t", **accuracy}])
    prefs = pd.DataFrame([{"model": "m" if prior else "other", "anthropic_helpful": 0.0, "anthropic_hhh": 0.0,
                           "shp": 0.0, "summarize": 0.0}])
    if prior:
        prefs.loc[0, ["anthropic_helpful", "anthropic_hhh", "shp", "summarize"]] = prior
    theirs = benchmark_results.get_average_over_rewardbench(frame, prefs)["average"].iloc[0]
    ours = rb1.overall_score(rb1.section_scores(accuracy), prior_sets=float(np.mean(prior)) if prior else None)
    assert same(ours, float(theirs))


def test_missing_section_counts_zero_and_unknown_subsets_are_listed():
    results = [rb1.PairResult("1", "llmbar-natural", 1.0), rb1.PairResult("2", "llmbar-natural", 0.5),
               rb1.PairResult("3", "llmbar-llmbar-natural", 1.0)]
    score = rb1.score_rewardbench(results)
    assert score.subsets["llmbar-natural"] == 0.75
    assert score.sections == {"Chat": 0, "Chat Hard": 0.75, "Safety": 0, "Reasoning": 0}
    assert score.overall == 0.75 / 4
    assert score.missing_sections == ("Chat", "Safety", "Reasoning")
    assert score.unmapped == ("llmbar-llmbar-natural",)


def test_item_credits_follow_upstream_scripts():
    """rewardbench/rewardbench.py main: 1 if chosen > rejected else 0; scripts/run_generative.py: error 0.5."""
    assert [rb1.credit_from_scores(c, r) for c, r in [(2, 1), (1, 1), (0, 1), (math.nan, 1)]] == [1, 0, 0, 0]
    assert [rb1.credit_from_verdict(v) for v in ("chosen", "rejected", "tie", "failed", None)] == [1, 0, .5, .5, .5]


def llmbar_results(limit: int, seed: int = 0) -> list[rb1.PairResult]:
    rng = np.random.default_rng(seed)
    results = []
    for name in LLMBAR_FILES:
        rows = json.loads(shared_file(f"llmbar/{name}.json").read_text())[:limit]
        subset = subset_from_filename(f"{name}.json", format="llmbar")
        for row, (chosen, rejected) in enumerate(rng.normal(size=(len(rows), 2))):
            results.append(rb1.PairResult(f"{name}-{row}", subset, rb1.credit_from_scores(chosen, rejected)))
    return results


@pytest.mark.parametrize("limit", [20, None])
def test_llmbar_sections_equal_upstream_on_shared_data(limit):
    results = llmbar_results(limit or 10_000)
    frame = pd.DataFrame({"results": [r.credit for r in results], "subsets": [r.subset for r in results]})
    upstream_subsets = {}  # rewardbench/rewardbench.py main, verbatim logic
    for subset in np.unique(frame["subsets"]):
        subset_frame = frame[frame["subsets"] == subset]
        upstream_subsets[subset] = sum(subset_frame["results"]) / len(subset_frame["results"])
    theirs = utils.calculate_scores_per_section(constants.EXAMPLE_COUNTS, constants.SUBSET_MAPPING, upstream_subsets)
    score = rb1.score_rewardbench(results)
    assert score.subsets == pytest.approx(upstream_subsets, abs=TOL)
    assert all(same(score.sections[k], theirs[k]) for k in theirs)
    assert score.unmapped == ()


# -- RewardBench 2: best-of-N credit -----------------------------------------------------------------
def upstream_best_of_n(rows: list[list[float]]) -> list[float]:
    """rewardbench.utils.reroll_and_score_dataset on unrolled rows (one per answer, correct answer first)."""
    ids = [str(i) for i, row in enumerate(rows) for _ in row]
    flat = [float(s) for row in rows for s in row]
    dataset = Dataset.from_dict({"id": ids, "subset": ["Math"] * len(ids), "text": ["t"] * len(ids), "scores": flat})
    rerolled = utils.reroll_and_score_dataset(dataset, [len(r) for r in rows], cols_to_combine=["text", "scores"])
    return [float(x) for x in rerolled["results"]]


score_values = st.one_of(st.integers(-2, 2).map(float), st.floats(-5, 5, allow_nan=False), st.just(math.nan))


@SETTINGS
@given(st.lists(st.lists(score_values, min_size=2, max_size=8), min_size=1, max_size=25))
def test_best_of_n_credit_equals_upstream(rows):
    assert [rb2.credit_from_scores(r) for r in rows] == pytest.approx(upstream_best_of_n(rows), abs=TOL)


def test_best_of_n_tie_credit_by_hand():
    assert rb2.credit_from_scores([3, 3, 1, 3]) == pytest.approx(1 / 3)
    assert rb2.credit_from_scores([2, 3, 1, 0]) == 0
    assert rb2.credit_from_scores([3, 1, 1, 0]) == 1


def test_generative_credits_follow_run_generative_v2():
    """scripts/run_generative_v2.py get_judgement: (0 in winners) / len(winners); all invalid -> 0.25."""
    assert rb2.credit_from_ratings([8, 8, 3, 8]) == pytest.approx(1 / 3)
    assert rb2.credit_from_ratings([None, 7, 3, 2]) == 0  # the correct answer's rating is invalid
    assert rb2.credit_from_ratings([-1, None, -1, -1]) == 0.25
    assert [rb2.credit_from_choice(c) for c in (0, 2, -1, None)] == [1, 0, 0.25, 0.25]


# -- RewardBench 2: Ties -----------------------------------------------------------------------------
def upstream_ties(rows: list[rb2.TiesRow]) -> float:
    dataset = Dataset.from_dict({"id": [r.id for r in rows], "scores": [list(r.scores) for r in rows],
                                 "num_correct": [r.num_correct for r in rows]})
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # upstream's np.mean of an empty list
        return float(utils.process_single_model(dataset)[1])


@st.composite
def ties_rows(draw, *, clean: bool) -> list[rb2.TiesRow]:
    """clean: every prompt has both groups, tied groups >= 2 correct, distinct finite scores (dcm > 0)."""
    rows = []
    values = st.floats(-10, 10, allow_nan=False) if clean else st.one_of(score_values, st.integers(0, 3).map(float))
    for pid in range(draw(st.integers(1, 6))):
        kinds = ("ref", "tied") if clean else draw(st.sampled_from([("ref",), ("tied",), ("ref", "tied")]))
        for kind in kinds:
            n_correct = 1 if kind == "ref" else draw(st.integers(2 if clean else 0, 4))
            n_incorrect = draw(st.integers(1 if clean else 0, 4))
            if n_correct + n_incorrect == 0:
                n_incorrect = 1
            scores = draw(st.lists(values, min_size=n_correct + n_incorrect, max_size=n_correct + n_incorrect,
                                   unique=clean))
            rows.append(rb2.TiesRow(f"{kind}:{pid}", tuple(scores), n_correct))
    return draw(st.permutations(rows))


@SETTINGS
@given(ties_rows(clean=False))
def test_ties_release_variant_equals_upstream_on_any_input(rows):
    assert same(rb2.ties_score(rows, reference="0.1.4").score, upstream_ties(rows))


@SETTINGS
@given(ties_rows(clean=True))
def test_ties_main_equals_upstream_release_where_both_agree(rows):
    assert same(rb2.ties_score(rows).score, upstream_ties(rows))


def test_ties_hand_case_from_issue_13():
    """Margin terms over EVERY prompt with both groups, accurate or not (process_single_model)."""
    rows = [rb2.TiesRow("ref:0", (5.0, 1.0, 2.0), 1), rb2.TiesRow("tied:0", (4.0, 6.0, 1.0), 2),
            rb2.TiesRow("ref:1", (1.0, 2.0), 1), rb2.TiesRow("tied:1", (3.0, 3.5, 0.0), 2)]
    # prompt 0: ref margin 3, tied spread 2, margin 3 -> preferred, hard, tanh(3/2 - 1)
    # prompt 1: ref margin -1 (inaccurate), tied spread 0.5, margin 3 -> preferred, not hard, tanh(-1/0.5 - 1)
    expected = 0.3 * 1.0 + 0.3 * 0.5 + 0.2 * 1.0 + 0.2 * 0.5 + 0.01 * (math.tanh(0.5) + math.tanh(-3)) / 2
    ties = rb2.ties_score(rows)
    assert (ties.correctness_preferred, ties.correctness_preferred_hard) == (1.0, 0.5)
    assert ties.score == pytest.approx(expected, abs=TOL) and round(ties.score, 3) == 0.747
    assert same(upstream_ties(rows), ties.score)


def test_ties_main_zero_spread_and_partial_ties_by_hand():
    """GitHub main (allenai/reward-bench @05a9005, rewardbench/utils.py process_single_model after 5822f16):
    min(margins) / 0 -> +-inf -> tanh -> +-1 and 0 / 0 -> nan -> 0 (np.nan_to_num), both counted in the mean;
    the 0.1.4 release leaves those prompts out of the margin mean."""
    rows = [rb2.TiesRow("ref:0", (5.0, 1.0), 1), rb2.TiesRow("tied:0", (3.0, 3.0, 1.0), 2),  # 2/0 -> +1
            rb2.TiesRow("ref:1", (1.0, 1.0), 1), rb2.TiesRow("tied:1", (2.0, 2.0, 2.0), 2),  # 0/0 -> 0
            rb2.TiesRow("ref:2", (5.0, 1.0), 1), rb2.TiesRow("tied:2", (3.0, 3.0, 4.0), 2)]  # -1/0 -> -1
    main = rb2.ties_score(rows)
    assert (main.ref_accuracy, main.tied_accuracy) == (pytest.approx(2 / 3), pytest.approx(1 / 3))
    assert (main.correctness_preferred, main.correctness_preferred_hard) == (pytest.approx(1 / 3),) * 2
    assert main.margin_score == 0.0  # (1 + 0 - 1) / 3
    assert main.score == pytest.approx(0.3 / 3 + 0.3 * 2 / 3 + 0.2 / 3 + 0.2 / 3, abs=TOL)
    release = rb2.ties_score(rows, reference="0.1.4")
    assert release.margin_score == 0 and same(release.score, upstream_ties(rows))
    only_ref = [r for r in rows if r.id.startswith("ref")]
    assert math.isnan(rb2.ties_score(only_ref).score)  # main: np.mean of nothing -> nan
    assert rb2.ties_score(only_ref, reference="0.1.4").score == pytest.approx(0.3 * 2 / 3)
    assert same(upstream_ties(only_ref), 0.3 * 2 / 3)
    with pytest.raises(ValueError, match="single correct answer"):
        rb2.ties_score([rb2.TiesRow("ref:0", (5.0, 1.0), 1), rb2.TiesRow("tied:0", (3.0, 1.0), 1)])


def test_ties_for_rating_judges_uses_ratings_with_invalid_as_minus_one():
    """scripts/run_generative_v2.py: for Ties the judge returns judgements["ratings"] (-1 = invalid)."""
    from judgekit.judges.base import Judgment

    row = rb2.ties_row_from_judgment(Judgment("tied:3", "Ties", scores_chosen=[7, None], scores_rejected=[2]))
    assert row == rb2.TiesRow("tied:3", (7.0, -1.0, 2.0), 2)


def rb2_sample(seed: int, decimals: int | None):
    rows = [json.loads(line) for line in shared_file("rewardbench2/sample.jsonl").read_text().splitlines()]
    rng = np.random.default_rng(seed)
    scored = []
    for row in rows:
        scores = rng.normal(size=len(row["chosen"]) + len(row["rejected"]))
        scored.append((row, [float(s) for s in (np.round(scores, decimals) if decimals is not None else scores)]))
    return scored


@pytest.mark.parametrize("decimals", [None, 0])
def test_rewardbench2_sample_equals_upstream(decimals):
    scored = rb2_sample(0, decimals)
    plain = [(row, s) for row, s in scored if row["subset"] != "Ties"]
    ties = [rb2.TiesRow(row["id"], tuple(s), row["num_correct"]) for row, s in scored if row["subset"] == "Ties"]
    results = [rb2.BestOfNResult(row["id"], row["subset"], rb2.credit_from_scores(s)) for row, s in plain]
    credits = upstream_best_of_n([s for _, s in plain])
    upstream = {}
    for subset in sorted({row["subset"] for row, _ in plain}):  # scripts/run_v2.py main
        values = [c for (row, _), c in zip(plain, credits, strict=True) if row["subset"] == subset]
        upstream[subset] = sum(values) / len(values)
    score = rb2.score_rewardbench2(results, ties, reference="0.1.4")
    assert {k: v for k, v in score.subsets.items() if k != "Ties"} == pytest.approx(upstream, abs=TOL)
    assert same(score.subsets["Ties"], upstream_ties(ties))
    assert score.missing == () and score.unmapped == ()
    if decimals is None:  # no equal scores: main and the release agree
        assert same(rb2.ties_score(ties).score, upstream_ties(ties))


# -- RM-Bench (not importable: hand-computed from THU-KEG/RM-Bench @73c52d7, scripts/utils.py compute_accuracy) -
ITEM_A = ((3.0, 2.0, 1.0), (2.5, 2.5, 0.0))  # cells: row 0 = 1 1 1, rows 1 and 2 = 0 0 1
ITEM_B = ((1.0, 1.0, 1.0), (1.0, 0.0, 2.0))  # every row 0 1 0 (1 > 1 is not a win)


def style(domain: str, item) -> rmbench.StyleItem:
    return rmbench.StyleItem.from_scores(domain, domain, *item)


def test_rmbench_difficulty_by_hand():
    """compute_accuracy: acc_matrix /= len(results); hard = sum(triu(., 1)) / 3, normal = mean(diag),
    easy = sum(tril(., -1)) / 3. A and B together: matrix [[.5, 1, .5], [0, .5, .5], [0, .5, .5]]."""
    result = rmbench.difficulty([style("chat", ITEM_A), style("chat", ITEM_B)])
    assert result.matrix == ((0.5, 1.0, 0.5), (0.0, 0.5, 0.5), (0.0, 0.5, 0.5))
    assert (result.hard, result.normal, result.easy) == pytest.approx((2 / 3, 1 / 2, 1 / 6), abs=TOL)
    assert result.average == pytest.approx(4 / 9, abs=TOL)


def test_rmbench_total_over_domains_by_hand():
    """compute_accuracy on total_dataset.json: split by domain prefix (safety-* pool), per-domain average =
    mean(hard, normal, easy), then means over chat, math, code, safety."""
    items = [style("chat", ITEM_A), style("math", ITEM_B), style("code", ITEM_A),
             style("safety-refuse", ITEM_A), style("safety-response", ITEM_B)]
    score = rmbench.score_rmbench(items)
    assert score.domains["chat"].average == pytest.approx(5 / 9, abs=TOL)  # hard 1, normal 2/3, easy 0
    assert score.domains["math"].average == pytest.approx(1 / 3, abs=TOL)  # 1/3 each
    assert (score.hard, score.normal, score.easy) == pytest.approx((3 / 4, 13 / 24, 1 / 8), abs=TOL)
    assert score.total == pytest.approx(17 / 36, abs=TOL)
    partial = rmbench.score_rmbench(items[:1] + [style("unknown", ITEM_A)])
    assert partial.total is None and partial.missing == ("math", "code", "safety")
    assert partial.unmapped == ("unknown",)


def test_rmbench_generative_cells_count_chosen_verdicts():
    from judgekit.judges.base import Comparison, Judgment

    verdicts = {(0, 0): "chosen", (0, 1): "tie", (2, 0): "chosen", (1, 2): "failed"}
    judgment = Judgment("1", "chat", [Comparison(i, j, verdicts.get((i, j), "rejected"))
                                      for i in range(3) for j in range(3)])
    assert rmbench.StyleItem.from_judgment(judgment).wins == ((1, 0, 0), (0, 0, 0), (1, 0, 0))


# -- JudgeBench (hand-computed from ScalerLab/JudgeBench @e2c52c2, utils/metrics.py compute_final_metrics) -------
PAIRS = [
    judgebench.JudgedPair("1", "mmlu-pro-math", "A>B", ("A>B", "B>A")),  # +1 +1 -> correct
    judgebench.JudgedPair("2", "livebench-reasoning", "A>B", ("A>B", "A>B")),  # +1 -1 -> tie
    judgebench.JudgedPair("3", "livebench-math", "B>A", ("A=B", "A>B")),  # 0 +1 -> correct
    judgebench.JudgedPair("4", "livecodebench", "B>A", (None, None)),  # 0 0 -> tie
    judgebench.JudgedPair("5", "mmlu-pro-law", "A>B", ("B>A", "A=B")),  # -1 0 -> incorrect
]


def test_judgebench_both_orders_by_hand():
    assert judgebench.score_judgebench(PAIRS) == {
        "mmlu-pro": 0.5, "livebench-reasoning": 0.0, "livebench-math": 1.0, "livecodebench": 0.0, "overall": 0.4}


def test_judgebench_single_game_and_reward_models():
    """--single_game: decision == label; reward models: 'A>B' if score1 > score2 else 'B>A' (utils/judges.py)."""
    assert judgebench.score_judgebench(PAIRS, reverse_order=False)["overall"] == 0.4
    assert judgebench.score_judgebench(PAIRS[:1])["livecodebench"] is None  # upstream divides by zero
    assert judgebench.decision_from_scores(1.0, 1.0) == "B>A"


def test_judgebench_pair_from_a_first_slot_judgment_is_a_tie():
    from judgekit.judges.base import Comparison, Judgment

    # label B>A: chosen = response_B. The judge always picks the first slot shown.
    judgment = Judgment("p", "x", [Comparison(0, 0, "tie", orders={"AB": "chosen", "BA": "rejected"})])
    pair = judgebench.pair_from_judgment(judgment, label="B>A", source="mmlu-pro-x")
    assert pair.decisions == ("A>B", "A>B")  # raw decisions: first slot wins in both presentations
    assert not judgebench.pair_correct(pair)
    scalar = Judgment("q", "x", scores_chosen=[2.0], scores_rejected=[2.0])
    assert judgebench.pair_from_judgment(scalar, label="A>B", source="s").decisions == ("B>A",)
