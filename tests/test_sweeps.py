"""`judgekit eval --sweep`: every combination of judge-spec values as its own judge, compared pairwise on the
same items (accuracy difference with a paired bootstrap CI, exact McNemar p)."""

from __future__ import annotations

import json

import pytest

from judgekit.errors import SpecError
from judgekit.eval.judge_metrics import JudgeDifference, JudgePairContext
from judgekit.eval.metrics import VariantContext
from judgekit.eval.suite import MetricOptions
from judgekit.eval.sweep import expand_judges, parse_sweeps
from tests.fake_openai import FakeOpenAI, last_user_message
from tests.judge_helpers import oracle, write_items, write_yaml
from tests.test_eval_preflight import run_cli


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))


def test_sweep_values_are_typed_and_checked():
    assert parse_sweeps(["template=a.jinja,b.jinja", "temperature=0,0.7", "stop=[x, y]"]) == {
        "template": ["a.jinja", "b.jinja"], "temperature": [0, 0.7], "stop": ["x", "y"]}
    assert parse_sweeps(["system='Be brief, please',\"Be kind\""]) == {"system": ["Be brief, please", "Be kind"]}
    for bad, message in (("temperature", "expected KEY=V1"), ("name=a,b", "cannot be swept"),
                         ("temperature=0,0", "listed twice")):
        with pytest.raises(SpecError, match=message):
            parse_sweeps([bad])
    with pytest.raises(SpecError, match="given twice"):
        parse_sweeps(["temperature=0", "temperature=1"])


def test_every_combination_is_a_named_judge():
    raws = [{"kind": "generative", "name": "j", "backend": "openai:gpt-x@http://127.0.0.1:1/v1"}]
    sweeps = parse_sweeps(["template=/p/a.jinja,/q/b.jinja", "backend.model=m1,m2"])
    out = expand_judges(raws, sweeps)
    assert [o["name"] for o in out] == ["j(template=a,backend.model=m1)", "j(template=a,backend.model=m2)",
                                        "j(template=b,backend.model=m1)", "j(template=b,backend.model=m2)"]
    assert out[1]["backend"] == {"backend": "openai", "model": "m2", "base_url": "http://127.0.0.1:1/v1"}
    assert raws[0]["backend"] == "openai:gpt-x@http://127.0.0.1:1/v1"  # the input is not changed
    same_stem = expand_judges(raws, parse_sweeps(["template=/p/a.jinja,/q/a.jinja"]))
    assert [o["name"] for o in same_stem] == ["j(template=/p/a.jinja)", "j(template=/q/a.jinja)"]


def _context(judge: str, values: list[float]) -> VariantContext:
    return VariantContext(judge, "generative", "original", [], {f"i{k}": v for k, v in enumerate(values)}, {},
                          MetricOptions(), 0)


def test_judge_difference_is_paired():
    a = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0]
    b = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    out = JudgeDifference().compute(JudgePairContext.of(_context("a", a), _context("b", b)))
    assert out["n_paired"] == 8 and out["difference"] == pytest.approx(5 / 8)
    assert out["mcnemar"] == {"b": 5, "c": 0, "p_value": pytest.approx(2 / 2**5)}
    assert out["difference_ci"][0] > 0 and out["difference_ci"][0] <= 5 / 8 <= out["difference_ci"][1]
    excluded = _context("b", b)
    excluded.values["i0"] = None  # not counted for one judge: left out of the pair
    assert JudgeDifference().compute(JudgePairContext.of(_context("a", a), excluded))["n_paired"] == 7


def test_cli_sweep_compares_templates_and_settings_head_to_head(tmp_path, capsys):
    write_items(tmp_path / "items.jsonl")
    suite = write_yaml(tmp_path / "suite.yaml", {"name": "sweep", "data": {"sources": ["items.jsonl"]},
                                                 "transforms": ["rot13"], "seed": 0})
    good = tmp_path / "good.jinja"
    good.write_text("[Start of Response A]\n{{ answer_a }}\n[End of Response A]\n"
                    "[Start of Response B]\n{{ answer_b }}\n[End of Response B]\n{{ question }}")
    bad = tmp_path / "bad.jinja"
    bad.write_text("LAZY {{ question }} [Start of Response A]\n{{ answer_a }}\n[End of Response A]\n{{ answer_b }}")
    temperatures = set()

    def reply(body: dict) -> str:
        temperatures.add(body.get("temperature"))
        return "[[A]]" if last_user_message(body).startswith("LAZY") else oracle(body)

    with FakeOpenAI(reply=reply) as server:
        judge = write_yaml(tmp_path / "j.yaml", {"kind": "generative", "name": "j",
                                                 "backend": {"backend": "openai", "model": "f", "base_url": server.base_url}})
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--out", str(tmp_path / "run"),
                            "--sweep", f"template={good},{bad}", "--sweep", "temperature=0,0.7")
        assert code == 0, out
    assert temperatures == {0.0, 0.7}
    assert "judges compared on the same original items" in out
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    names = [j["name"] for j in report["judges"]]
    assert names == ["j(template=good,temperature=0)", "j(template=good,temperature=0.7)",
                     "j(template=bad,temperature=0)", "j(template=bad,temperature=0.7)"]
    by = {(r["judge"], r["variant"]): r for r in report["results"]}
    assert by[(names[0], "original")]["accuracy"] == 1.0 and by[(names[2], "original")]["accuracy"] == 0.0
    pair = by[(names[0], "original")]["versus"][names[2]]
    assert pair["difference"] == 1.0 and pair["difference_ci"] == [1.0, 1.0] and pair["n_paired"] == 6
    assert pair["mcnemar"] == {"b": 6, "c": 0, "p_value": pytest.approx(2 / 2**6)}
    assert by[(names[0], "rot13")]["versus"][names[1]]["difference"] == 0.0
    assert sum(len(r.get("versus") or {}) for r in report["results"]) == 6 * 2  # 6 pairs x 2 variants
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert "## Judges compared on the same items" in markdown
    assert "| original | j(template=good,temperature=0) | j(template=bad,temperature=0) | 6 | 100.0 | 0.0 |" in markdown
    assert "Judges compared on the same items" in (tmp_path / "run" / "report.html").read_text()
