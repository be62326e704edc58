"""Panels of judges (votes, tie rules, Fleiss' kappa), self-consistency samples and the verdict re-prompt."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from judgekit.data.example import Example
from judgekit.eval import statistics as S
from judgekit.judges.base import Comparison, Judge, Judgment
from judgekit.judges.panel import PanelJudge, PanelJudgeSpec
from judgekit.judges.spec import GenerativeJudgeSpec
from tests.fake_openai import FakeOpenAI, last_user_message
from tests.judge_helpers import oracle, shown_first, write_items, write_yaml
from tests.test_eval_preflight import run_cli


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))


def test_fleiss_kappa_matches_the_textbook_example():
    # Fleiss (1971) as tabulated on Wikipedia: 10 subjects, 14 raters, 5 categories, kappa = 0.210
    counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
              [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    rows = [[str(c) for c, n in enumerate(row) for _ in range(n)] for row in counts]
    assert S.fleiss_kappa(rows) == pytest.approx(0.20993, abs=1e-4)
    assert S.fleiss_kappa([["a", "a"], ["b", "b"]]) == pytest.approx(1.0)
    assert S.fleiss_kappa([["a", "a"], ["a", "a"]]) is None  # chance agreement is 1: undefined


class Fixed(Judge):
    """A member that gives fixed verdicts (and scores) per item id."""

    kind = "fixed"

    def __init__(self, name: str, verdicts: dict[str, str], scores: dict[str, tuple[float, float]] | None = None):
        self.name = name
        self.verdicts = verdicts
        self.scores = scores or {}

    def judge(self, examples: Sequence[Example], *, placements=None, progress=None) -> list[Judgment]:
        out = []
        for e in examples:
            verdict = self.verdicts[e.id]
            failure = verdict.split(":")[1] if verdict.startswith("failed") else None
            judgment = Judgment(e.id, e.subset, [Comparison(0, 0, verdict.split(":")[0], failure=failure)])
            if e.id in self.scores:
                judgment.scores_chosen, judgment.scores_rejected = [self.scores[e.id][0]], [self.scores[e.id][1]]
            out.append(judgment)
        return out

    def identity(self):
        return {"kind": "fixed"}


ITEMS = [Example(id=f"i{k}", prompt="Q", chosen=("c",), rejected=("r",)) for k in range(5)]
VOTES = {  # three members' verdicts per item
    "i0": ("chosen", "chosen", "rejected"),
    "i1": ("chosen", "rejected", "tie"),
    "i2": ("failed:parse", "rejected", "rejected"),
    "i3": ("failed:call", "failed:parse", "failed:parse"),
    "i4": ("tie", "rejected", "chosen"),
}


def panel(vote: str, tie_break: str, scores=None) -> PanelJudge:
    spec = PanelJudgeSpec(members=[{"kind": "generative", "name": f"m{k}", "backend": "mock"} for k in range(3)],
                          vote=vote, tie_break=tie_break)
    members = [Fixed(f"m{k}", {i: v[k] for i, v in VOTES.items()}, (scores or [None] * 3)[k]) for k in range(3)]
    return PanelJudge(spec, members=members)


@pytest.mark.parametrize(("vote", "tie_break", "expected"), [
    ("majority", "tie", ["chosen", "tie", "rejected", "failed", "tie"]),
    ("majority", "wrong", ["chosen", "rejected", "rejected", "failed", "rejected"]),
    ("majority", "first", ["chosen", "chosen", "rejected", "failed", "rejected"]),
    ("unanimous", "tie", ["tie", "tie", "rejected", "failed", "tie"]),
    ("unanimous", "wrong", ["rejected", "rejected", "rejected", "failed", "rejected"]),
    ("mean", "tie", ["chosen", "tie", "rejected", "failed", "tie"]),
    ("mean", "first", ["chosen", "chosen", "rejected", "failed", "rejected"]),
])
def test_votes_and_tie_rules(vote, tie_break, expected):
    out = panel(vote, tie_break).judge(ITEMS)
    assert [j.comparisons[0].verdict for j in out] == expected
    assert out[3].comparisons[0].failure == "call"  # the most telling failure kind
    assert out[0].meta["votes"] == {"m0": ["chosen"], "m1": ["chosen"], "m2": ["rejected"]}


def test_mean_vote_averages_member_scores():
    scores = [{i: (1.0, 0.0) for i in VOTES}, {i: (0.0, 3.0) for i in VOTES}, {i: (2.0, 1.0) for i in VOTES}]
    out = panel("mean", "tie", scores).judge(ITEMS[:2])
    assert out[0].scores_chosen == [1.0] and out[0].scores_rejected == [pytest.approx(4 / 3)]
    assert [j.comparisons[0].verdict for j in out] == ["rejected", "rejected"]  # by mean score, not by votes


def test_panel_of_api_judges_and_an_embedded_reward_model_from_the_cli(tmp_path, capsys):
    write_items(tmp_path / "items.jsonl")
    suite = write_yaml(tmp_path / "suite.yaml", {"name": "panel", "data": {"sources": ["items.jsonl"]},
                                                 "transforms": ["add-quotes"], "seed": 0})
    (tmp_path / "lazy.jinja").write_text("LAZY {{ question }} {{ answer_a }} {{ answer_b }}")
    with FakeOpenAI(reply=lambda b: "[[A]]" if last_user_message(b).startswith("LAZY") else oracle(b)) as server:
        api = {"backend": "openai", "model": "f", "base_url": server.base_url}
        write_yaml(tmp_path / "careful.yaml", {"kind": "generative", "backend": api})
        write_yaml(tmp_path / "panel.yaml", {"kind": "panel", "name": "trio", "vote": "majority", "members": [
            "careful.yaml", {"kind": "generative", "name": "lazy", "backend": api, "template": "lazy.jinja"},
            "minilm-rm"]})
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(tmp_path / "panel.yaml"), "--dry-run")
        assert code == 0 and server.log == [], out
        assert "trio › careful" in out and "trio › lazy" in out and "trio › minilm-rm │ local model" in out
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(tmp_path / "panel.yaml"), "-j", "minilm-rm",
                            "--out", str(tmp_path / "run"))
        assert code == 0, out
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    trio = next(r for r in report["results"] if r["judge"] == "trio" and r["variant"] == "original")
    assert trio["panel_comparisons"] == 6 and -1.0 <= trio["panel_kappa"] <= 1.0
    lines = [json.loads(x) for x in (tmp_path / "run" / "judgments.jsonl").read_text().splitlines()]
    votes = [x["meta"]["votes"] for x in lines if x["judge"] == "trio"]
    assert all(set(v) == {"careful", "lazy", "minilm-rm"} for v in votes)
    # careful is right, lazy always ties (position bias in both orders): the reward model decides
    rm = {x["id"]: x["comparisons"][0]["verdict"] for x in lines if x["judge"] == "minilm-rm" and x["variant"] == "original"}
    for line in (x for x in lines if x["judge"] == "trio" and x["variant"] == "original"):
        assert line["meta"]["votes"]["careful"] == ["chosen"] and line["meta"]["votes"]["lazy"] == ["tie"]
        assert line["comparisons"][0]["verdict"] == ("chosen" if rm[line["id"]] == "chosen" else "tie")
    assert "versus" in next(r for r in report["results"] if r["judge"] == "trio")
    assert "Panels, self-consistency and re-prompts" in (tmp_path / "run" / "report.md").read_text()


def test_self_consistency_samples_are_seeded_cached_and_voted(tmp_path):
    from judgekit.eval import run_suite

    write_items(tmp_path / "items.jsonl", n=4)
    seeds = []

    def reply(body: dict) -> str:  # seeds 0 and 2 see right, seed 1 sees wrong
        seeds.append(body["seed"])
        right = oracle(body)
        return right if body["seed"] != 1 else ("[[B]]" if "[[A]]" in right else "[[A]]")

    with pytest.raises(ValueError, match="temperature > 0"):
        GenerativeJudgeSpec(backend="mock", samples=3)
    suite = {"name": "sc", "data": {"sources": [str(tmp_path / "items.jsonl")]}}
    with FakeOpenAI(reply=reply) as server:
        judge = {"kind": "generative", "name": "sc", "samples": 3, "temperature": 0.7,
                 "backend": {"backend": "openai", "model": "f", "base_url": server.base_url}}
        report = run_suite(suite, [judge])
        assert len(server.log) == 4 * 2 * 3 and sorted(set(seeds)) == [0, 1, 2]
        result = report.results(variant="original")[0]
        assert result["accuracy"] == 1.0 and result["sample_agreement"] == pytest.approx(2 / 3)
        assert result["sampled_questions"] == 8
        again = run_suite(suite, [judge])
        assert len(server.log) == 24  # every sample came from the cache
        assert again.results(variant="original")[0]["sample_agreement"] == pytest.approx(2 / 3)


def test_reprompt_recovers_missing_verdicts_and_counts_them_apart(tmp_path):
    from judgekit.eval import run_suite

    write_items(tmp_path / "items.jsonl", n=4)

    def reply(body: dict) -> str:
        messages = body["messages"]
        if len(messages) == 1:  # first try: rambles without a verdict on half of the items
            return oracle(body) if "number 0" in messages[0]["content"] or "number 1" in messages[0]["content"] \
                else "Both have merits; the first is longer."
        if "number 3" in messages[0]["content"]:
            return "Still thinking."  # the follow-up fails too
        return "[[A]]" if shown_first(messages[0]["content"]) == "GOOD" else "[[B]]"

    suite = {"name": "rp", "data": {"sources": [str(tmp_path / "items.jsonl")]}}
    with FakeOpenAI(reply=reply) as server:
        judge = {"kind": "generative", "name": "rp", "reprompt": True,
                 "backend": {"backend": "openai", "model": "f", "base_url": server.base_url}}
        report = run_suite(suite, [judge])
        assert len(server.log) == 8 + 4  # 4 items x 2 orders, then one follow-up for each of 4 silent replies
    stats = report.data["judges"][0]["stats"]
    assert (stats["first_try_parse_failures"], stats["reprompts"], stats["reprompt_recovered"]) == (4, 4, 2)
    assert stats["parse_failures"] == 2 and stats["calls"] == 12
    result = report.results(variant="original")[0]
    assert result["accuracy"] == 0.75 and result["first_try_parse_rate"] == 0.5
    assert result["reprompt_recovered"] == 2 and result["reprompt_recovery_rate"] == 0.5
    assert result["parse_failure_rate"] == 0.25  # only what the re-prompt could not recover


def test_samples_and_reprompts_on_a_local_model_are_cached(tiny_llama_dir, tmp_path):
    """A random tiny Llama through the hf backend: 3 seeded samples per question, a re-prompt for every reply
    without a verdict; the rerun sends nothing (each sample and each follow-up is in the cache)."""
    from judgekit.eval import run_suite

    write_items(tmp_path / "items.jsonl", n=2)
    suite = {"name": "local", "data": {"sources": [str(tmp_path / "items.jsonl")]}}
    judge = {"kind": "generative", "name": "tiny", "samples": 3, "temperature": 1.0, "reprompt": True,
             "max_tokens": 6, "backend": {"backend": "hf", "model": str(tiny_llama_dir), "device": "cpu"}}
    first = run_suite(suite, [judge]).data["judges"][0]["stats"]
    assert first["calls"] == 2 * 2 * 3 + first["reprompts"] and first["cached"] == 0
    assert first["reprompts"] == first["first_try_parse_failures"] > 0  # a random model writes no verdicts
    second = run_suite(suite, [judge]).data["judges"][0]["stats"]
    assert second["calls"] == first["calls"] and second["cached"] == second["calls"]
