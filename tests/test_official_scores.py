"""Official benchmark scores as registered metrics (judgekit.eval.official), by hand and against upstream.

Upstream functions (rewardbench==0.1.4 from PyPI, imported by tests/upstream_rewardbench.py):
rewardbench.utils.calculate_scores_per_section and process_single_model. RM-Bench and JudgeBench values are
computed by hand from THU-KEG/RM-Bench scripts/utils.py compute_accuracy and ScalerLab/JudgeBench
utils/metrics.py compute_final_metrics.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from judgekit.data.example import Example
from judgekit.eval.metrics import VariantContext, run_metrics
from judgekit.eval.scoring import rewardbench as rb1
from judgekit.eval.statistics import item_value
from judgekit.eval.suite import MetricOptions
from judgekit.judges.base import Comparison, Judgment, compare_scores
from tests.upstream_rewardbench import constants, utils

TOL = 1e-9


def scored(item_id: str, subset: str, chosen: list[float | None], rejected: list[float | None]) -> Judgment:
    comparisons = [Comparison(i, k, compare_scores(c, r)) for i, c in enumerate(chosen) for k, r in enumerate(rejected)]
    return Judgment(item_id, subset, comparisons, list(chosen), list(rejected))


def verdicts(item_id: str, subset: str, *values: str, orders: list[dict[str, str]] | None = None) -> Judgment:
    return Judgment(item_id, subset, [Comparison(0, k, v, orders=(orders or [{}] * len(values))[k])
                                      for k, v in enumerate(values)])


def example(j: Judgment, **meta) -> Example:
    n_chosen = len(j.scores_chosen or [0])
    n_rejected = len(j.scores_rejected or [0] * max(1, len(j.comparisons)))
    return Example(id=j.id, prompt="p", chosen=tuple(f"c{i}" for i in range(n_chosen)),
                   rejected=tuple(f"r{i}" for i in range(n_rejected)), subset=j.subset, meta=meta)


def context(judgments: list[Judgment], *, kind: str = "scalar", sections: str = "auto", ties: str = "wrong",
            examples: dict[str, Example] | None = None) -> VariantContext:
    examples = examples or {j.id: example(j) for j in judgments}
    values = {j.id: item_value(j, ties=ties) for j in judgments}
    return VariantContext("j", kind, "original", judgments, values, examples,
                          MetricOptions(sections=sections, ties=ties, bootstrap=200), 0)


def metric(name: str, ctx: VariantContext) -> dict:
    keys, errors = run_metrics("variant", ctx, [name])
    assert errors == {}
    return keys


# -- RewardBench -------------------------------------------------------------------------------------------------
def test_rewardbench_weights_by_example_counts_and_missing_sections_count_zero():
    judgments = [scored("1", "alpacaeval-easy", [1], [0]), scored("2", "alpacaeval-easy", [0], [1]),
                 scored("3", "mt-bench-med", [2], [1]), scored("4", "hep-python", [1], [0]),
                 scored("5", "math-prm", [1], [1]),  # a tie loses for a reward model
                 scored("6", "my-subset", [1], [0])]
    block = metric("rewardbench", context(judgments))["rewardbench"]
    chat = (0.5 * 100 + 1.0 * 40) / 140  # EXAMPLE_COUNTS: alpacaeval-easy 100, mt-bench-med 40
    reasoning = (0 * 984 + 1 * 164) / (984 + 164)  # math-prm counts 984, hep-python 164
    assert block["official"] is True and block["benchmark"] == "RewardBench"
    assert block["scores"] == pytest.approx({"Chat": chat, "Chat Hard": 0, "Safety": 0, "Reasoning": reasoning,
                                             "overall": (chat + reasoning) / 4}, abs=TOL)
    assert block["missing"] == ["Chat Hard", "Safety"] and block["unmapped"] == ["my-subset"]
    assert any("score 0 in the overall" in n for n in block["notes"])
    assert "rewardbench==0.1.4" in block["reference"] and "calculate_scores_per_section" in block["reference"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(rb1.known_subsets()), st.integers(0, 3), st.integers(0, 3)),
                min_size=1, max_size=60))
def test_rewardbench_metric_equals_upstream_sections(rows):
    judgments = [scored(str(k), subset, [float(c)], [float(r)]) for k, (subset, c, r) in enumerate(rows)]
    block = metric("rewardbench", context(judgments))["rewardbench"]
    per_subset = {}
    for subset in sorted({s for s, _, _ in rows}):  # rewardbench/rewardbench.py main
        results = [1 if c > r else 0 for s, c, r in rows if s == subset]
        per_subset[subset] = sum(results) / len(results)
    theirs = utils.calculate_scores_per_section(constants.EXAMPLE_COUNTS, constants.SUBSET_MAPPING, per_subset)
    assert all(abs(block["scores"][k] - theirs[k]) <= TOL for k in theirs)
    assert abs(block["scores"]["overall"] - sum(theirs.values()) / 4) <= TOL


def test_rewardbench_generative_errors_and_rating_ties_earn_half():
    judgments = [verdicts("1", "llmbar-natural", "chosen"), verdicts("2", "llmbar-natural", "tie"),
                 verdicts("3", "llmbar-natural", "failed"), verdicts("4", "llmbar-natural", "rejected"),
                 scored("5", "mt-bench-hard", [7.0], [7.0]), scored("6", "mt-bench-hard", [None], [3.0])]
    block = metric("rewardbench", context(judgments, kind="generative"))["rewardbench"]
    assert block["subsets"] == {"llmbar-natural": (1 + 0.5 + 0.5 + 0) / 4, "mt-bench-hard": 0.5}
    assert block["scores"]["Chat Hard"] == pytest.approx((0.5 * 100 + 0.5 * 37) / 137)
    assert any("earns 0.5" in n for n in block["notes"])


def test_rewardbench_only_where_the_data_defines_it():
    judgments = [scored("1", "chat-easy", [1], [0])]
    assert metric("rewardbench", context(judgments)) == {}  # auto: not a RewardBench subset
    block = metric("rewardbench", context(judgments, sections="rewardbench"))["rewardbench"]
    assert block["scores"] == {} and block["unmapped"] == ["chat-easy"] and "not defined" in block["notes"][0]
    assert metric("rewardbench", context([scored("1", "donotanswer", [1], [0])], sections="none")) == {}
    view = metric("sections_by_items", context([scored("1", "chat-easy", [1], [0])], examples={
        "1": Example(id="1", prompt="p", chosen=("c",), rejected=("r",), subset="chat-easy",
                     meta={"section": "Chat"})}))["sections_by_items"]
    assert view["scores"] == {"chat": 1.0, "overall": 1.0} and "not the RewardBench score" in view["label"]


def test_llmbar_file_named_llmbar_natural_lands_in_chat_hard(tmp_path):
    import json

    from judgekit.data import load_examples

    path = tmp_path / "llmbar-natural.json"
    path.write_text(json.dumps([{"input": "q", "output_1": "a", "output_2": "b", "label": 1}]))
    (item,) = load_examples(str(path))
    assert item.subset == "llmbar-natural"
    block = metric("rewardbench", context([scored(item.id, item.subset, [1], [0])]))["rewardbench"]
    assert block["unmapped"] == [] and block["scores"]["Chat Hard"] == 1.0


# -- RewardBench 2 -----------------------------------------------------------------------------------------------
ISSUE_TIES = [scored("ref:0", "Ties", [5.0], [1.0, 2.0]), scored("tied:0", "Ties", [4.0, 6.0], [1.0]),
              scored("ref:1", "Ties", [1.0], [2.0]), scored("tied:1", "Ties", [3.0, 3.5], [0.0])]


def upstream_ties(judgments: list[Judgment]) -> float:
    from datasets import Dataset

    dataset = Dataset.from_dict({"id": [j.id.rsplit("/", 1)[-1] for j in judgments],
                                 "scores": [[*j.scores_chosen, *j.scores_rejected] for j in judgments],
                                 "num_correct": [len(j.scores_chosen) for j in judgments]})
    return float(utils.process_single_model(dataset)[1])


def test_rewardbench2_tie_credit_ties_and_overall():
    plain = [scored("m", "Math", [3.0], [3.0, 1.0, 3.0]),  # a 3-way tie at the top: 1/3
             scored("f", "Focus", [2.0], [1.0, 1.0, 1.0]), scored("a", "Factuality", [0.0], [1.0, 0.0, 0.0]),
             scored("p", "Precise IF", [1.0], [0.5, 0.5, 0.5]), scored("s", "Safety", [1.0], [1.0, 1.0, 1.0])]
    block = metric("rewardbench2", context(plain + ISSUE_TIES))["rewardbench2"]
    # the issue's hand case: margins over EVERY prompt with both groups (prompt 1's ref is inaccurate)
    ties = 0.3 * 1.0 + 0.3 * 0.5 + 0.2 * 1.0 + 0.2 * 0.5 + 0.01 * (math.tanh(0.5) + math.tanh(-3)) / 2
    assert block["scores"]["Ties"] == pytest.approx(ties, abs=TOL) and round(ties, 3) == 0.747
    assert abs(block["scores"]["Ties"] - upstream_ties(ISSUE_TIES)) <= TOL
    assert block["scores"]["Math"] == pytest.approx(1 / 3) and block["scores"]["Safety"] == pytest.approx(1 / 4)
    assert block["scores"]["overall"] == pytest.approx((1 / 3 + 1 + 0 + 1 + 1 / 4 + ties) / 6, abs=TOL)
    assert block["ties"]["reference"] == "main" and block["ties_reference"].startswith("main")
    assert block["ties"]["common_prompts"] == 2 and block["ties"]["correctness_preferred_hard"] == 0.5
    partial = metric("rewardbench2", context(plain[:2]))["rewardbench2"]
    assert partial["scores"]["overall"] is None and partial["missing"] == ["Factuality", "Precise IF", "Safety", "Ties"]


def test_rewardbench2_generative_judges():
    best_of_n = [Judgment("1", "Math", choice=0), Judgment("2", "Math", choice=-1), Judgment("3", "Math", choice=2)]
    block = metric("rewardbench2", context(best_of_n, kind="generative"))["rewardbench2"]
    assert block["scores"]["Math"] == pytest.approx((1 + 0.25 + 0) / 3)  # an error earns 0.25
    ratings = [scored("1", "Focus", [8.0], [8.0, 3.0, 8.0]), scored("2", "Focus", [None], [None, None, None]),
               scored("ref:0", "Ties", [7.0], [2.0]), scored("tied:0", "Ties", [7.0, None], [2.0])]
    block = metric("rewardbench2", context(ratings, kind="generative"))["rewardbench2"]
    assert block["scores"]["Focus"] == pytest.approx((1 / 3 + 0.25) / 2)
    # rating mode: the invalid rating counts -1 (spread 8, margin -3 -> tanh(-3/8 - 1))
    expected = 0.3 * 0 + 0.3 * 1 + 0.2 * 0 + 0.2 * 0 + 0.01 * math.tanh(-3 / 8 - 1)
    assert block["scores"]["Ties"] == pytest.approx(expected, abs=TOL)
    pairwise = [verdicts("1", "Math", "chosen", "chosen", "chosen"), verdicts("tied:0", "Ties", "chosen")]
    block = metric("rewardbench2", context(pairwise, kind="generative"))["rewardbench2"]
    assert block["scores"] == {"Math": None, "Ties": None, "overall": None}
    assert any("pairwise judge has no official score" in n for n in block["notes"])


def test_rewardbench2_ties_nan_and_prefixed_ids():
    only_ref = [scored("src/ref:0", "Ties", [5.0], [1.0]), scored("src/ref:1", "Ties", [1.0], [2.0])]
    block = metric("rewardbench2", context(only_ref))["rewardbench2"]
    assert block["scores"]["Ties"] is None  # upstream main: NaN (no prompt with both groups)
    assert block["ties"]["score_release_0_1_4"] == pytest.approx(0.3 * 0.5)  # 0.1.4 leaves the margin terms 0
    assert abs(0.3 * 0.5 - upstream_ties(only_ref)) <= TOL
    assert any("NaN" in n for n in block["notes"])


# -- RM-Bench ----------------------------------------------------------------------------------------------------
ITEM_A = ([3.0, 2.0, 1.0], [2.5, 2.5, 0.0])  # cells: row 0 = 1 1 1, rows 1 and 2 = 0 0 1
ITEM_B = ([1.0, 1.0, 1.0], [1.0, 0.0, 2.0])  # every row 0 1 0


def rm_context(domains_items: list[tuple[str, tuple]], kind: str = "scalar") -> VariantContext:
    judgments = [scored(f"{d}/{k}", d, *item) for k, (d, item) in enumerate(domains_items)]
    examples = {j.id: Example(id=j.id, prompt="p", chosen=("a", "bb", "ccc"), rejected=("d", "ee", "fff"),
                              subset=j.subset, meta={"styles": ["concise", "detailed_plain", "detailed_markdown"],
                                                     "domain": j.subset}) for j in judgments}
    return context(judgments, kind=kind, examples=examples)


def test_rm_bench_per_domain_and_over_all_four():
    """compute_accuracy: hard = sum(triu(M, 1)) / 3, normal = mean(diag), easy = sum(tril(M, -1)) / 3 per domain;
    totals are means over chat, math, code, safety (safety-refuse and -response pool)."""
    partial = metric("rm-bench", rm_context([("chat", ITEM_A), ("chat", ITEM_B), ("safety-refuse", ITEM_A)]))
    block = partial["rm_bench"]
    assert block["domains"]["chat"]["hard"] == pytest.approx(2 / 3) and block["domains"]["chat"]["easy"] == pytest.approx(1 / 6)
    assert block["domains"]["chat"]["matrix"] == [[0.5, 1.0, 0.5], [0.0, 0.5, 0.5], [0.0, 0.5, 0.5]]
    assert block["scores"]["chat"] == pytest.approx(4 / 9) and block["scores"]["math"] is None
    assert block["scores"]["total"] is None and block["missing"] == ["math", "code"]
    full = metric("rm-bench", rm_context([("chat", ITEM_A), ("math", ITEM_B), ("code", ITEM_A),
                                          ("safety-refuse", ITEM_A), ("safety-response", ITEM_B)]))["rm_bench"]
    assert (full["scores"]["hard"], full["scores"]["normal"], full["scores"]["easy"]) == pytest.approx(
        (3 / 4, 13 / 24, 1 / 8), abs=TOL)
    assert full["scores"]["total"] == pytest.approx(17 / 36, abs=TOL) and full["missing"] == []
    style = metric("style_bias", rm_context([("chat", ITEM_A), ("chat", ITEM_B)]))["style_bias"]
    assert (style["hard"]["value"], style["normal"]["value"], style["easy"]["value"]) == pytest.approx((2 / 3, 1 / 2, 1 / 6))
    assert style["gap"]["value"] == pytest.approx(1 / 6 - 2 / 3)
    assert style["hard"]["ci"][0] <= 2 / 3 <= style["hard"]["ci"][1] and style["hard"]["n"] == 2


# -- JudgeBench and position bias --------------------------------------------------------------------------------
def judgebench_context(kind: str = "generative") -> VariantContext:
    rows = [  # (label, origin, orders): "AB" = the chosen (better) response shown first
        ("A>B", "mmlu-pro-law", {"AB": "chosen", "BA": "chosen"}),  # +1 +1: correct
        ("B>A", "livebench-math", {"AB": "chosen", "BA": "rejected"}),  # always the first slot: -1 +1
        ("A>B", "livecodebench", {"AB": "tie", "BA": "chosen"}),  # 0 +1: correct
        ("A>B", "arena-hard", {"AB": "rejected", "BA": "rejected"}),  # -1 -1; a source in no category
    ]
    judgments, examples = [], {}
    for k, (label, origin, orders) in enumerate(rows):
        combined = next(iter(set(orders.values()))) if len(set(orders.values())) == 1 else "tie"
        judgments.append(Judgment(str(k), "x", [Comparison(0, 0, combined, orders=orders)]))
        examples[str(k)] = Example(id=str(k), prompt="q", chosen=("good",), rejected=("bad",), subset="x",
                                   meta={"label": label, "source": {"format": "judgebench", "origin": origin}})
    return context(judgments, kind=kind, examples=examples)


def test_judgebench_pairs_in_both_orders_by_hand():
    block = metric("judgebench", judgebench_context())["judgebench"]
    assert block["scores"] == {"mmlu-pro": 1.0, "livebench-reasoning": None, "livebench-math": 0.0,
                               "livecodebench": 1.0, "overall": 0.5}
    assert block["mode"] == "both orders" and block["unmapped"] == ["arena-hard"]
    assert block["missing"] == ["livebench-reasoning"] and block["counts"]["overall"] == 4


def test_position_bias_by_hand():
    bias = metric("position_bias", judgebench_context())["position_bias"]
    # decided presentations: 7 (one tie); first-slot picks 4; chosen shown first: right 2 of 3; second: 2 of 4
    assert bias["first_slot_rate"]["value"] == pytest.approx(4 / 7)
    assert bias["accuracy_chosen_first"]["value"] == pytest.approx(2 / 3)
    assert bias["accuracy_chosen_second"]["value"] == pytest.approx(1 / 2)
    assert bias["gap"]["value"] == pytest.approx(1 / 6) and bias["undecided"] == 1
    low, high = bias["first_slot_rate"]["ci"]
    assert low <= 4 / 7 <= high and bias["first_slot_rate"]["n"] == 4
    assert metric("position_bias", context([scored("1", "s", [1], [0])])) == {}  # scalar judges: none


# -- length bias -------------------------------------------------------------------------------------------------
def test_length_bias_metric_by_hand():
    texts = {"a": ("x" * 10, "y" * 5), "b": ("x" * 10, "y" * 5), "c": ("x" * 3, "y" * 8), "d": ("x" * 3, "y" * 8)}
    judgments = [scored("a", "s", [2.0], [1.0]), scored("b", "s", [0.5], [1.5]), scored("c", "s", [3.0], [0.0]),
                 scored("d", "s", [1.0], [1.0])]
    examples = {k: Example(id=k, prompt="p", chosen=(c,), rejected=(r,), subset="s") for k, (c, r) in texts.items()}
    bias = metric("length_bias", context(judgments, ties="half", examples=examples))["length_bias"]
    assert bias["accuracy_chosen_longer"]["value"] == 0.5  # a right, b wrong
    assert bias["accuracy_chosen_shorter"]["value"] == 0.75  # c right, d a tie worth half
    # two length differences +-5: the logistic fit matches both rates, so P at 0 = sigmoid(mean of logits)
    assert bias["length_controlled_accuracy"]["value"] == pytest.approx(math.sqrt(3) / (1 + math.sqrt(3)), abs=1e-5)
    # ranks: scores (2,1,.5,1.5,3,0,1,1) -> 7,4,2,6,8,1,4,4; lengths (10,5,10,5,3,8,3,8) -> 7.5,3.5,..; rho = -14/40
    assert bias["score_length_spearman"]["value"] == pytest.approx(-0.35)
    assert bias["unit"] == "characters" and bias["score_length_spearman"]["n"] == 4


# -- Done when: the shipped suite with the seeded MiniLM judge -----------------------------------------------------
def test_rewardbench2_minilm_rm_ties_equals_upstream_on_its_judgments(tmp_path, monkeypatch):
    """`judgekit eval rewardbench2 -j minilm-rm` (48-row sample via JUDGEKIT_DATA_MIRROR, originals only):
    read judgments.jsonl back and feed upstream's own functions."""
    import json

    from click.testing import CliRunner
    from datasets import Dataset

    from judgekit.cli.main import cli
    from tests.conftest import shared_file
    from tests.test_scoring_parity import upstream_best_of_n

    shared_file("rewardbench2/sample.jsonl")
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, ["eval", "rewardbench2", "-j", "minilm-rm", "--set", "transforms=[]",
                                      "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "RewardBench 2 (official score, %)" in result.output
    lines = [json.loads(x) for x in (tmp_path / "run" / "judgments.jsonl").read_text().splitlines()]
    report = json.loads((tmp_path / "run" / "report.json").read_text())["results"][0]["rewardbench2"]
    ties = [x for x in lines if x["subset"] == "Ties"]
    dataset = Dataset.from_dict({"id": [x["id"] for x in ties],
                                 "scores": [x["scores_chosen"] + x["scores_rejected"] for x in ties],
                                 "num_correct": [len(x["scores_chosen"]) for x in ties]})
    upstream = float(utils.process_single_model(dataset)[1])
    assert report["ties"]["common_prompts"] == 4  # main and 0.1.4 agree on these scores (no zero spreads)
    assert abs(report["scores"]["Ties"] - upstream) <= TOL and report["scores"]["Ties"] != 0.0
    plain = [x for x in lines if x["subset"] != "Ties"]
    credits = upstream_best_of_n([x["scores_chosen"][:1] + x["scores_rejected"] for x in plain])
    for subset in {x["subset"] for x in plain}:  # scripts/run_v2.py: sum / len per subset
        values = [c for x, c in zip(plain, credits, strict=True) if x["subset"] == subset]
        assert abs(report["scores"][subset] - sum(values) / len(values)) <= TOL
    six = [report["scores"][s] for s in ("Factuality", "Precise IF", "Math", "Safety", "Focus", "Ties")]
    assert report["scores"]["overall"] == pytest.approx(float(np.mean(six)), abs=TOL)
