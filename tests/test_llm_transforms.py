"""LLM transforms (paraphrase, paraphrase-prompt, back-translation, llm-rewrite) against a real local server."""

from __future__ import annotations

import random

import pytest

import judgekit.transforms.llm as llm
from judgekit.backends import load_backend
from judgekit.data import Example
from judgekit.errors import SpecError
from judgekit.transforms.base import NotApplicable
from tests.fake_openai import FakeOpenAI, last_user_message

pytestmark = pytest.mark.api

ITEMS = [
    Example(id="a", prompt="How do I boil an egg?", chosen=["Put the egg in boiling water for nine minutes."],
            rejected=["Eggs come from chickens."]),
    Example(id="b", prompt="Name a prime number.", chosen=["Seven is a prime number."],
            rejected=["Nine is a prime number.", "Ten is prime."]),
]


def source_text(body) -> str:
    """The text a judgekit rewrite template asks to rewrite (after its 'Text:'/'Instruction:' line)."""
    message = last_user_message(body)
    for marker in ("\nText:\n", "\nInstruction:\n"):
        if marker in message:
            return message.split(marker, 1)[1]
    raise AssertionError(f"no text block in {message!r}")


def rngs(n: int) -> list[random.Random]:
    return [random.Random(i) for i in range(n)]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))


def backend_for(server: FakeOpenAI):
    return load_backend({"backend": "openai", "model": "fake", "base_url": server.base_url, "max_backoff": 0.01})


def test_paraphrase_rewrites_responses_strips_preambles_and_records_provenance():
    with FakeOpenAI(reply=lambda body: f"Sure! Here is the paraphrase:\n\nIn short, {source_text(body)}") as server:
        out = llm.Paraphrase(min_similarity=0).apply_batch(ITEMS, rngs(2), backend_for(server))
        assert len(server.log) == 5  # one per response, no resampling
    a, b = out
    assert a.chosen == ("In short, Put the egg in boiling water for nine minutes.",)
    assert b.rejected == ("In short, Nine is a prime number.", "In short, Ten is prime.")
    assert a.prompt == ITEMS[0].prompt and a.id == "a"
    provenance = a.meta["llm"]
    assert provenance["transform"] == "paraphrase"
    assert provenance["templates"] == {"paraphrase/response": llm.load_template("paraphrase/response").sha256}
    assert provenance["backend"]["model"] == "fake"
    assert provenance["texts"]["chosen[0]"]["attempts"] == 1


def test_paraphrase_prompt_touches_only_the_instruction():
    with FakeOpenAI(reply=lambda body: f"Please explain: {source_text(body)}") as server:
        out = llm.ParaphrasePrompt(min_similarity=0).apply_batch(ITEMS[:1], rngs(1), backend_for(server))
    assert out[0].prompt_text == "Please explain: How do I boil an egg?"
    assert out[0].chosen == ITEMS[0].chosen and out[0].rejected == ITEMS[0].rejected


def test_paraphrase_prompt_rejects_an_answer_in_place_of_the_question():
    with FakeOpenAI(reply=lambda body: "You boil an egg for nine minutes.") as server:
        out = llm.ParaphrasePrompt(min_similarity=0, max_attempts=2).apply_batch(ITEMS[:1], rngs(1),
                                                                                 backend_for(server))
    assert out[0].details == {"prompt[0]": "a question became a statement (answered, not paraphrased)"}


def test_failed_checks_are_resampled_with_seeds():
    def reply(body):  # greedy attempt echoes the text (identical: rejected); sampled attempts rewrite it
        text = source_text(body)
        return text if body.get("seed") is None else f"Put differently, {text}"

    with FakeOpenAI(reply=reply) as server:
        out = llm.Paraphrase(min_similarity=0).apply_batch(ITEMS[:1], rngs(1), backend_for(server))
        seeds = [e.sample for e in server.log]
    assert out[0].chosen[0].startswith("Put differently, ")
    assert out[0].meta["llm"]["texts"]["chosen[0]"]["attempts"] == 2
    assert seeds.count(None) == 2 and len([s for s in seeds if s is not None]) == 2


def test_items_that_keep_failing_are_reported_with_reasons():
    with FakeOpenAI(reply=lambda body: "I'm sorry, but I can't help with that.") as server:
        out = llm.Paraphrase(min_similarity=0, max_attempts=3).apply_batch(ITEMS, rngs(2), backend_for(server))
        assert len(server.log) == 5 * 3
    assert all(isinstance(o, llm.GenerationFailed) for o in out)
    assert out[1].details == {"chosen[0]": "refusal", "rejected[0]": "refusal", "rejected[1]": "refusal"}
    assert out[0].reason.startswith("after 3 attempt(s): chosen[0]: refusal")


def test_generation_errors_become_reasons():
    with FakeOpenAI(fail_status={"": 500}) as server:
        backend = load_backend({"backend": "openai", "model": "fake", "base_url": server.base_url,
                                "max_retries": 0, "cache": False})
        out = llm.Paraphrase(min_similarity=0, max_attempts=1).apply_batch(ITEMS[:1], rngs(1), backend)
    assert isinstance(out[0], NotApplicable)
    assert "generation failed: HTTP 500" in out[0].reason


def test_length_ratio_bounds():
    with FakeOpenAI(reply=lambda body: source_text(body) + " Indeed." * 40) as server:
        out = llm.Paraphrase(min_similarity=0, max_attempts=1).apply_batch(ITEMS[:1], rngs(1), backend_for(server))
    assert "length ratio" in out[0].reason


def test_back_translation_goes_through_the_pivot_language():
    def reply(body):
        message = last_user_message(body)
        text = source_text(body)
        if "into Spanish" in message:
            return f"[es] {text}"
        assert "from Spanish into English" in message
        return "Back again: " + text.removeprefix("[es] ")

    with FakeOpenAI(reply=reply) as server:
        out = llm.BackTranslation(min_similarity=0).apply_batch(ITEMS[:1], rngs(1), backend_for(server))
        assert len(server.log) == 4  # two texts x two legs
    assert out[0].chosen == ("Back again: Put the egg in boiling water for nine minutes.",)


def test_llm_rewrite_passes_the_style():
    seen = []

    def reply(body):
        seen.append(last_user_message(body))
        return "Formally: " + source_text(body)

    with FakeOpenAI(reply=reply) as server:
        out = llm.StyleRewrite(style="pirate", min_similarity=0).apply_batch(ITEMS[:1], rngs(1), backend_for(server))
    assert all("in a pirate style" in s for s in seen)
    assert out[0].rejected == ("Formally: Eggs come from chickens.",)


def test_bad_templates_fail_before_any_request(tmp_path):
    undefined = tmp_path / "undefined.jinja"
    undefined.write_text("Paraphrase {{ txt }}")
    with pytest.raises(SpecError, match="undefined variable.*txt"):
        llm.Paraphrase(template=str(undefined))
    escape = tmp_path / "escape.jinja"
    escape.write_text("{{ text.__class__.__mro__[1].__subclasses__() }}")
    broken = tmp_path / "broken.jinja"
    broken.write_text("{% if text %}unclosed")
    with pytest.raises(SpecError, match=r"broken.jinja:1"):
        llm.Paraphrase(template=str(broken))
    with FakeOpenAI() as server:
        transform = llm.Paraphrase(template=str(escape), min_similarity=0)
        with pytest.raises(SpecError, match="sandbox|unsafe|not allowed"):
            transform.apply_batch(ITEMS, rngs(2), backend_for(server))
        assert server.log == []


def test_through_the_engine_with_rule_based_transforms():
    from judgekit.transforms.engine import build_transform, run_transforms

    with FakeOpenAI(reply=lambda body: f"So, {source_text(body)}") as server:
        outcomes = run_transforms(ITEMS, [build_transform("rot13"), build_transform("paraphrase(min_similarity=0)")],
                                  seed=3, backend=backend_for(server))
    paraphrased = outcomes["paraphrase(min_similarity=0.0)"]
    assert [e.id for e in paraphrased.examples] == ["a", "b"]
    assert paraphrased.examples[0].meta["source_id"] == "a"
    assert len(outcomes["rot13"].examples) == 2


@pytest.mark.slow
def test_similarity_filter_uses_minilm():
    def reply(body):
        text = source_text(body)
        if text.startswith("Put the egg"):
            return text.replace("Put the egg in", "Place the egg into").replace("for nine", "for about nine")
        return "Stocks rose on Tuesday."

    with FakeOpenAI(reply=reply) as server:
        out = llm.Paraphrase(max_attempts=1).apply_batch(ITEMS[:1], rngs(1), backend_for(server))
    # the chosen paraphrase is close; the rejected one is unrelated, so the item is reported, not kept
    assert isinstance(out[0], llm.GenerationFailed)
    assert list(out[0].details) == ["rejected[0]"] and "similarity" in out[0].details["rejected[0]"]


def test_clean_generation_and_checks():
    from judgekit.transforms.quality import clean_generation, rejection_reason

    assert clean_generation('Here\'s a paraphrased version:\n\n"The cat sat."') == "The cat sat."
    assert clean_generation("Paraphrase: Hello there.\n\nLet me know if you need anything else!") == "Hello there."
    assert clean_generation('She said "hi" and "bye"') == 'She said "hi" and "bye"'
    assert rejection_reason("", "x", min_ratio=0.5, max_ratio=2) == "empty"
    assert rejection_reason("The  Cat", "the cat", min_ratio=0.5, max_ratio=2) == "identical to the original"
    assert rejection_reason("I cannot do that.", "Some text here.", min_ratio=0.1, max_ratio=9) == "refusal"
    assert rejection_reason("abcdef", "abc", min_ratio=0.5, max_ratio=1.5).startswith("length ratio 2.00")
