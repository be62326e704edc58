"""Generative judges: pairwise in both orders, logprob mode, best-of-N placement, pointwise, verifier.

A scripted in-process Backend stands in for the model in the fast tests; the OpenAI-compatible path is
tested against the real local HTTP server in tests/fake_openai.py, and the embedded SmolLM2 as a slow test.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

import pytest

from judgekit.backends.base import Backend, ChatRequest, Generation
from judgekit.data.example import Example
from judgekit.judges import GenerativeJudgeSpec, load_judge
from judgekit.judges.generative import GenerativeJudge, balanced_placements


class ScriptedBackend(Backend):
    """Answers each request with ``reply(user_text, request)``."""

    name = "scripted"

    def __init__(self, reply: Callable[[str, ChatRequest], Generation | str | None]) -> None:
        super().__init__()
        self.reply = reply
        self.seen: list[ChatRequest] = []

    def identity(self):
        return {"backend": "scripted"}

    def _generate(self, requests: Sequence[ChatRequest], emit) -> None:
        for index, request in enumerate(requests):
            self.seen.append(request)
            out = self.reply(request.messages[-1].content, request)
            emit(index, out if isinstance(out, Generation) else Generation(text=out))


def smart(text: str, request: ChatRequest) -> str:
    """Prefers the response containing GOOD, wherever it is shown."""
    a = text.index("[Start of Response A]")
    return "Reasoning...\n[[A]]" if a < text.index("GOOD") < text.index("[Start of Response B]") else "[[B]]"


def biased(text: str, request: ChatRequest) -> str:
    return "I prefer the first one. [[A]]"


ITEMS = [Example(id=f"e{i}", prompt=f"question {i}", chosen=(f"GOOD answer {i}",), rejected=(f"BAD answer {i}",))
         for i in range(4)]


def judge(reply, **options) -> GenerativeJudge:
    spec = GenerativeJudgeSpec(backend="mock", **options)  # the spec names a registered backend; this one stands in
    return GenerativeJudge(spec, backend=ScriptedBackend(reply))


def test_pairwise_both_orders_consistent():
    j = judge(smart)
    out = j.judge(ITEMS)
    assert [c.verdict for o in out for c in o.comparisons] == ["chosen"] * 4
    assert all(c.orders == {"AB": "chosen", "BA": "chosen"} for o in out for c in o.comparisons)
    assert len(j.backend.seen) == 8  # two orders per pair
    # the chosen answer is shown first in one order and second in the other
    shown_first = Counter(("GOOD" in r.messages[-1].content.split("[Start of Response B]")[0]) for r in j.backend.seen)
    assert shown_first == {True: 4, False: 4}


@pytest.mark.parametrize(("policy", "verdict"), [("tie", "tie"), ("wrong", "rejected"), ("first", "chosen")])
def test_pairwise_inconsistent_policy(policy, verdict):
    out = judge(biased, inconsistent=policy).judge(ITEMS[:1])
    comparison = out[0].comparisons[0]
    assert comparison.orders == {"AB": "chosen", "BA": "rejected"}
    assert comparison.verdict == verdict


def test_parse_failure_is_counted_not_a_tie():
    replies = iter(["[[A]]", "I cannot decide between them."])
    j = judge(lambda text, request: next(replies))
    out = j.judge(ITEMS[:1])
    assert out[0].comparisons[0].verdict == "failed"
    assert out[0].errors == ["BA: parse failure: no verdict found (expected [[A]], [[B]] or [[C]])"]
    assert j.stats()["parse_failures"] == 1


def test_backend_error_is_recorded():
    j = judge(lambda text, request: Generation(text=None, error="http 500: upstream"))
    out = j.judge(ITEMS[:1])
    assert out[0].comparisons[0].verdict == "failed"
    assert "backend error: http 500: upstream" in out[0].errors[0]
    assert j.stats()["call_errors"] == 2


def test_single_order_uses_balanced_placements():
    j = judge(smart, both_orders=False)
    placements = balanced_placements([e.id for e in ITEMS], [2] * 4, seed=0)
    assert sorted(placements.values()) == [0, 0, 1, 1]
    out = j.judge(ITEMS, placements=placements)
    assert [list(c.orders) for o in out for c in o.comparisons] == [
        ["AB" if placements[e.id] == 0 else "BA"] for e in ITEMS]
    assert all(c.verdict == "chosen" for o in out for c in o.comparisons)


def test_logprob_mode():
    def reply(text: str, request: ChatRequest) -> Generation:
        assert request.max_tokens == 1 and request.logprobs == 5
        good_first = text.index("GOOD") < text.index("BAD")
        p_a = 0.7 if good_first else 0.6  # position bias: A is always more likely, but less so when B is GOOD
        return Generation(text="A", top_logprobs={"A": math.log(p_a), "B": math.log(1 - p_a)})

    out = judge(reply, logprobs=5).judge(ITEMS[:1])
    comparison = out[0].comparisons[0]
    assert comparison.orders == {"AB": "chosen", "BA": "rejected"}  # position-inconsistent by argmax
    assert comparison.probability == pytest.approx((0.7 + 0.4) / 2)  # the average decides
    assert comparison.verdict == "chosen"


def test_logprob_mode_without_labels_fails():
    out = judge(lambda t, r: Generation(text="The", top_logprobs={"The": -0.1}), logprobs=5).judge(ITEMS[:1])
    assert out[0].comparisons[0].verdict == "failed"
    assert "neither 'A' nor 'B'" in out[0].errors[0]


def test_best_of_n_balanced_placement_and_mapping():
    items = [Example(id=f"b{i}", prompt="q", chosen=("GOOD",), rejected=("BAD 1", "BAD 2", "BAD 3")) for i in range(8)]
    placements = balanced_placements([e.id for e in items], [4] * 8, seed=1)
    assert Counter(placements.values()) == {0: 2, 1: 2, 2: 2, 3: 2}

    def pick_good(text: str, request: ChatRequest) -> str:
        blocks = re.findall(r"\[Start of Response (\d+)\]\n(.*?)\n\[End", text, re.S)
        return f"[[{next(n for n, body in blocks if body == 'GOOD')}]]"

    j = judge(pick_good, mode="best-of-n")
    out = j.judge(items, placements=placements)
    assert [o.meta["position"] for o in out] == [placements[e.id] for e in items]
    assert all(o.choice == 0 and [c.verdict for c in o.comparisons] == ["chosen"] * 3 for o in out)

    wrong = judge(lambda text, request: "[[1]]" if "[Start of Response 1]\nGOOD" not in text else "[[2]]",
                  mode="best-of-n").judge(items, placements=placements)
    assert all(o.choice >= 1 and {c.verdict for c in o.comparisons} == {"rejected"} for o in wrong)

    failed = judge(lambda t, r: "[[9]]", mode="best-of-n").judge(items[:1])
    assert failed[0].choice == -1 and "outside 1-4" in failed[0].errors[0]


def test_pointwise_rates_each_response_once():
    items = [Example(id="p", prompt="q", chosen=("GOOD",), rejected=("BAD",)),
             Example(id="p2", prompt="q", chosen=("GOOD",), rejected=("MEH",))]
    j = judge(lambda text, request: "Rating: [[9]]" if "GOOD" in text else
              ("Rating: [[3]]" if "BAD" in text else "no idea"), mode="pointwise")
    out = j.judge(items)
    assert out[0].scores_chosen == [9.0] and out[0].scores_rejected == [3.0]
    assert out[0].comparisons[0].verdict == "chosen"
    assert out[1].comparisons[0].verdict == "failed" and "response 1: parse failure" in out[1].errors[0]
    assert len(j.backend.seen) == 3  # (q, GOOD) is shared by both items and rated once


def test_verifier_needs_reference():
    items = [Example(id="m", prompt="2+2?", chosen=("4",), rejected=("Let's solve this step by step.",),
                     meta={"reference": "4"}),
             Example(id="n", prompt="3+3?", chosen=("6",), rejected=("5",))]
    j = judge(lambda text, request: "[[CORRECT]]" if text.rstrip().split("[Response to grade]")[1].split()[0] == "4"
              else "[[INCORRECT]]", mode="verifier")
    out = j.judge(items)
    assert out[0].scores_chosen == [1.0] and out[0].scores_rejected == [0.0]
    assert out[0].comparisons[0].verdict == "chosen"
    assert out[1].comparisons[0].verdict == "failed"
    assert "no reference answer" in out[1].errors[0]


def test_spec_validation_errors_name_the_field():
    from judgekit.errors import SpecError
    from judgekit.judges.spec import validate_spec

    with pytest.raises(SpecError, match="model"):
        validate_spec({"kind": "scalar"}, source="x.yaml")
    with pytest.raises(SpecError, match="extra_field"):
        validate_spec({"kind": "generative", "extra_field": 1}, source="x.yaml")
    with pytest.raises(SpecError, match="logprobs"):
        validate_spec({"kind": "generative", "mode": "pointwise", "logprobs": 5})


def test_fake_openai_server_end_to_end(monkeypatch):
    import tests.fake_openai as fake
    monkeypatch.setenv("JUDGEKIT_FAKE_KEY", "test-key")

    def reply(body):
        text = body["messages"][-1]["content"]
        a = text.index("[Start of Response A]")
        return "[[A]]" if a < text.index("GOOD") < text.index("[Start of Response B]") else "[[B]]"

    with fake.FakeOpenAI(latency=0.0, fault_rate=0.3, seed=2, reply=reply) as server:
        j = load_judge({"kind": "generative", "mode": "pairwise", "backend": {
            "backend": "openai", "model": "fake", "base_url": server.base_url, "cache": False,
            "max_backoff": 0.05, "api_key_env": "JUDGEKIT_FAKE_KEY"}})
        out = j.judge(ITEMS)
        j.close()
    assert [c.verdict for o in out for c in o.comparisons] == ["chosen"] * 4


@pytest.mark.slow
def test_embedded_smollm2_logprob_judge(tmp_path, monkeypatch):
    from judgekit.embedded import smollm2_dir
    from judgekit.errors import JudgekitError

    try:
        smollm2_dir()
    except JudgekitError as exc:
        pytest.skip(str(exc))
    j = load_judge("smollm2-pairwise")
    out = j.judge(ITEMS[:2])
    j.close()
    for o in out:
        comparison = o.comparisons[0]
        assert comparison.verdict in ("chosen", "rejected", "tie")
        assert 0.0 <= comparison.probability <= 1.0
        assert set(comparison.orders) == {"AB", "BA"}


def test_verifier_against_the_chosen_response():
    """Master-key setting: a verifier fooled into accepting a non-answer loses the item."""
    items = [Example(id="m", prompt="2+2?", chosen=("The answer is 4.",), rejected=("5", "Let's solve this step by step.")),
             Example(id="n", prompt="3+3?", chosen=("6",), rejected=("???",))]

    def fooled(text: str, request) -> str:
        answer = text.split("[Response to grade]\n", 1)[1]
        if answer.startswith("Let's solve"):
            return "[[CORRECT]]"
        return "hmm" if answer.startswith("???") else "[[INCORRECT]]"

    j = judge(fooled, mode="verifier", reference="chosen")
    out = j.judge(items)
    assert len(j.backend.seen) == 3  # only rejected responses are checked
    assert "The answer is 4." in j.backend.seen[0].messages[-1].content  # the chosen one is the reference
    assert [c.verdict for c in out[0].comparisons] == ["chosen", "rejected"]
    assert out[0].scores_rejected == [0.0, 1.0] and out[0].scores_chosen is None
    assert out[1].comparisons[0].verdict == "failed" and "parse failure" in out[1].errors[0]
