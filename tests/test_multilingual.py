"""Multilingual: the M-RewardBench adapter, the bundled sample, script-aware noise, master keys per language,
the one-way `translate` transform with its language check, and the `multilingual` suite end to end."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import judgekit.transforms.translate as translate_module
from judgekit.data import Example, load_examples, select_examples
from judgekit.data.languages import example_language, iso_code
from judgekit.data.selection import expand_source
from judgekit.errors import DataError, SpecError
from judgekit.transforms.base import item_rng
from judgekit.transforms.engine import build_transform, run_transforms
from judgekit.transforms.langid import identify, language_mismatch
from judgekit.transforms.scripts import fold_homoglyphs, script_of
from tests.fake_openai import FakeOpenAI, last_user_message

MULTILINGUAL_SAMPLE = "sample:multilingual"
SAMPLE = expand_source(MULTILINGUAL_SAMPLE)[0].source


def test_m_rewardbench_rows_become_items_whose_subset_is_the_language(tmp_path):
    rows = [
        {"id": 7, "language": "deu_Latn", "prompt": "Was ist 2+2?", "chosen": "4", "rejected": "5",
         "chosen_model": "gpt-4", "rejected_model": "llama", "subset": "math-prm"},
        {"id": 7, "language": "zho_Hans", "prompt": "2+2等于几？", "chosen": "4", "rejected": "5",
         "chosen_model": "gpt-4", "rejected_model": "llama", "subset": "hep-go"},
    ]
    path = tmp_path / "mrb.jsonl"
    path.write_text("\n".join(__import__("json").dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    german, chinese = load_examples(str(path))
    assert german.id == "deu_Latn/7" and chinese.id == "zho_Hans/7"  # ids repeat across languages
    assert german.subset == "deu_Latn" and german.meta["source_subset"] == "math-prm"
    assert german.meta["domain"] == "math" and chinese.meta["domain"] == "code"
    assert german.meta["language"] == "deu_Latn" and german.meta["chosen_model"] == "gpt-4"
    assert german.meta["source"]["format"] == "m-rewardbench"
    assert example_language(chinese) == "zh"


def test_bundled_sample_has_four_items_in_each_of_six_languages():
    items = load_examples(SAMPLE)
    by_language: dict[str, int] = {}
    for item in items:
        by_language[item.subset] = by_language.get(item.subset, 0) + 1
        assert item.meta["language"] == item.subset
        code, _ = identify(item.chosen[0] + " " + item.prompt_text)
        assert code == iso_code(item.subset), (item.id, code)
    assert by_language == {c: 4 for c in ("eng_Latn", "deu_Latn", "spa_Latn", "rus_Cyrl", "zho_Hans", "jpn_Jpan")}
    with pytest.raises(DataError, match="no bundled sample named 'klingon'"):
        list(select_examples("sample:klingon"))
    assert len(list(select_examples(MULTILINGUAL_SAMPLE))) == 24


# -- script-aware noise ---------------------------------------------------------------------------------
russian = st.lists(st.text(alphabet="абвгдежзийклмнопрстуфхцчшщыэюя", min_size=3, max_size=9), min_size=3,
                   max_size=30).map(" ".join)
chinese = st.text(alphabet="这是一个关于天气的句子口工力夕二八", min_size=4, max_size=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(russian, st.sampled_from(["char-sub", "char-insert"]), st.integers(min_value=0, max_value=10_000))
def test_keyboard_typos_in_cyrillic_stay_cyrillic(text, name, seed):
    out = build_transform(f"{name}(rate=0.5)").perturb(text, item_rng(seed, name, "x"))
    assert out != text
    assert all(script_of(c) in ("cyrillic", "") for c in out), out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chinese, st.sampled_from(["char-sub", "char-insert", "char-swap", "homoglyph", "word-delete"]),
       st.integers(min_value=0, max_value=10_000))
def test_noise_in_chinese_never_brings_latin_letters(text, name, seed):
    out = build_transform(f"{name}(rate=0.3)").perturb(text, item_rng(seed, name, "x"))
    assert not any(c.isascii() and c.isalpha() for c in out)
    if name in ("char-sub", "char-insert", "char-swap"):
        assert out == text  # no keyboard layout or swap for one-character words: left alone
    if name == "homoglyph" and any(c in "口工力夕二八一" for c in text):
        assert out != text and fold_homoglyphs(out) == fold_homoglyphs(text)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["Это простое предложение о погоде.", "Το κείμενο είναι ελληνικό και απλό.",
                        "ロボットとテストのカタカナ", "This is plain English text."]),
       st.integers(min_value=0, max_value=10_000))
def test_homoglyphs_come_from_another_script_and_fold_back(text, seed):
    out = build_transform("homoglyph(rate=1.0)").perturb(text, item_rng(seed, "homoglyph", "x"))
    assert out != text and fold_homoglyphs(out) == fold_homoglyphs(text)
    for before, after in zip(text, out, strict=True):
        if before != after:
            assert script_of(before) != script_of(after), (before, after)
            assert unicodedata.category(after).startswith("L")


def test_sample_noise_is_deterministic_and_touches_declared_targets_only():
    items = load_examples(SAMPLE)
    transforms = [build_transform(n) for n in ("char-sub", "char-swap", "word-delete", "homoglyph")]
    first = run_transforms(items, transforms, seed=3)
    second = run_transforms(list(reversed(items)), transforms, seed=3, workers=2)
    for name, outcome in first.items():
        assert not outcome.failed
        assert {e.id: e.to_json() for e in outcome.examples} == {e.id: e.to_json() for e in second[name].examples}
        for example in outcome.examples:
            assert example.prompt == next(i for i in items if i.id == example.id).prompt


# -- master keys -----------------------------------------------------------------------------------------
def test_master_keys_are_drawn_in_the_item_language():
    from judgekit.transforms.judge_attacks import MASTER_KEYS, master_keys

    assert {":", ".", ",", "Thought process:", "Let's solve this problem step by step.", "Solution", "解",
            "かいせつ", "Respuesta"} == set(MASTER_KEYS)
    items = {e.id: e for e in load_examples(SAMPLE)}
    outcome = run_transforms(list(items.values()), [build_transform("master-key(language=auto)")], seed=0)
    for example in outcome["master-key(language='auto')"].examples:
        allowed = set(master_keys("attacks/master-keys", "auto", items[example.id]))
        assert set(example.rejected) <= allowed
        assert allowed - {":", ".", ","} == {"zh": {"解"}, "ja": {"かいせつ"}, "es": {"Respuesta"}}.get(
            example_language(example), {"Thought process:", "Let's solve this problem step by step.", "Solution"}
            if example_language(example) == "en" else set())
    extra = build_transform({"name": "master-key", "args": {"keys": "attacks/master-keys-extra", "language": "ru"}})
    out = extra.apply(items["rus_Cyrl/capital"], random.Random(1))
    assert out.rejected[0] in (":", ".", "Решение", "Ход мыслей:", "Давайте решим эту задачу шаг за шагом.")


# -- translate ---------------------------------------------------------------------------------------------
GERMAN = {"How do I boil an egg?": "Wie koche ich ein Ei?",
          "Put the egg in boiling water for nine minutes.": "Lege das Ei neun Minuten lang in kochendes Wasser.",
          "Eggs come from chickens.": "Eier kommen von Hühnern."}
ITEM = Example(id="egg", prompt="How do I boil an egg?", chosen=["Put the egg in boiling water for nine minutes."],
               rejected=["Eggs come from chickens."])


def _source(body) -> str:
    return last_user_message(body).split("\nText:\n", 1)[1]


@pytest.fixture
def backend(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))
    from judgekit.backends import load_backend

    def make(server):
        return load_backend({"backend": "openai", "model": "fake", "base_url": server.base_url, "max_backoff": 0.01})
    return make


@pytest.mark.api
def test_translate_translates_every_text_and_checks_the_language(backend):
    asked = []

    def reply(body):
        asked.append(last_user_message(body))
        return GERMAN[_source(body)]
    with FakeOpenAI(reply=reply) as server:
        (out,) = translate_module.Translate(language="de").apply_batch([ITEM], [random.Random(0)], backend(server))
    assert all("from English into German" in message for message in asked) and len(asked) == 3
    assert out.prompt_text == "Wie koche ich ein Ei?"
    assert out.chosen == ("Lege das Ei neun Minuten lang in kochendes Wasser.",)
    assert out.meta["llm"]["transform"] == "translate"


@pytest.mark.api
def test_translate_rejects_text_left_in_another_language_and_says_why(backend):
    def reply(body):  # greedy: English paraphrase (wrong language); sampled retries: Spanish (still wrong)
        text = _source(body)
        return f"In other words: {text.lower()} indeed" if body.get("seed") is None else "Pon el huevo en agua."
    with FakeOpenAI(reply=reply) as server:
        (out,) = translate_module.Translate(language="German", max_attempts=2).apply_batch(
            [ITEM], [random.Random(0)], backend(server))
    assert out.details, out
    assert all(reason.startswith("language check: written in") and reason.endswith("not de")
               for reason in out.details.values())


def test_translate_is_not_selected_by_all_and_refuses_unknown_languages():
    from judgekit.transforms.engine import select_transforms

    assert "translate" not in {t.name for t in select_transforms("all")}
    with pytest.raises(SpecError, match="no language-identification model"):
        translate_module.Translate(language="Klingon")
    assert language_mismatch("Das ist ein ganz normaler deutscher Satz.", "de", min_confidence=0.5) is None
    assert "written in en" in language_mismatch("This is an ordinary English sentence.", "de", min_confidence=0.5)
    assert language_mismatch("```python\nx = 1\n```", "ja", min_confidence=0.5) is None  # no prose: no verdict


# -- the suite ------------------------------------------------------------------------------------------
def test_multilingual_suite_reports_accuracy_per_language(tmp_path):
    """`judgekit eval multilingual -j minilm-rm`, offline, on the bundled sample (a subset of its transforms)."""
    from judgekit.eval.runner import run_suite
    from judgekit.eval.suite import load_suite

    suite = load_suite("multilingual", overrides=["transforms=[homoglyph, 'master-key(language=auto)']"])
    assert suite.data.sources == [MULTILINGUAL_SAMPLE]
    report = run_suite(suite, ["minilm-rm"], out_dir=str(tmp_path / "run"))
    text = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    languages = ("eng_Latn", "deu_Latn", "spa_Latn", "rus_Cyrl", "zho_Hans", "jpn_Jpan")
    for language in languages:
        assert language in text
    assert "## Drop per subset" in text
    homoglyph = report.results(variant="homoglyph")[0]["robustness"]["subsets"]
    assert set(homoglyph) == set(languages) and all(v["n"] == 4 and v["drop"] is not None for v in homoglyph.values())
    assert report is not None
