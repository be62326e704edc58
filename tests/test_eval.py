"""Suites and runs: data -> transforms -> judges -> run folder, overrides, real-data suites, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from judgekit.backends.base import Backend, Generation
from judgekit.data import load_examples, select_examples, write_examples
from judgekit.errors import DataError, SpecError
from judgekit.eval import Suite, run_suite
from judgekit.eval.suite import load_suite, validate_suite
from judgekit.judges import GenerativeJudgeSpec
from judgekit.judges.generative import GenerativeJudge
from tests.conftest import shared_file


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Scores of the throw-away test models go to a temporary cache, not the user's."""
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))


class OracleBackend(Backend):
    """A pairwise 'judge' that knows which texts are the chosen ones (so it is always right)."""

    name = "oracle"

    def __init__(self, chosen_texts: set[str]) -> None:
        super().__init__()
        self.chosen = chosen_texts

    def identity(self):
        return {"backend": "oracle"}

    def _generate(self, requests, emit) -> None:
        for index, request in enumerate(requests):
            text = request.messages[-1].content
            first = text.split("[Start of Response A]\n", 1)[1].split("\n[End of Response A]", 1)[0]
            emit(index, Generation(text="[[A]]" if first in self.chosen else "[[B]]"))


def oracle_judge(examples) -> GenerativeJudge:
    from judgekit.transforms.engine import run_transforms, select_transforms

    texts = {t for e in examples for t in e.chosen}
    for outcome in run_transforms(examples, select_transforms(["rot13", "code-minify", "master-key"])).values():
        texts |= {t for e in outcome.examples for t in e.chosen}
    spec = GenerativeJudgeSpec(name="oracle", backend="mock", mode="pairwise")
    return GenerativeJudge(spec, backend=OracleBackend(texts))


SUITE = {"name": "unit", "data": {"sources": ["sample"], "limit_per_subset": 1},
         "transforms": ["rot13", "code-minify", "master-key"], "seed": 0}


def test_run_writes_a_complete_run_folder(tiny_bert_dir, tmp_path):
    suite = Suite.model_validate(SUITE)
    examples = list(select_examples(suite.data))
    assert len(examples) == 7 and len({e.subset for e in examples}) == 7
    report = run_suite(suite, [str(tiny_bert_dir), oracle_judge(examples)], out_dir=tmp_path / "run")
    run = tmp_path / "run"
    assert {p.name for p in run.iterdir()} == {"suite.yaml", "judgments.jsonl", "transforms.jsonl", "items.jsonl",
                                               "report.json", "report.md", "report.html", ".judgekit.json"}
    data = json.loads((run / "report.json").read_text())
    assert data["schema"] == "judgekit.report" and data["schema_version"] == 2
    sample = data["inputs"][0]
    assert sample["source"] == "sample" and len(sample["sha256"]) == 64 and sample["items"] == 60
    assert data["templates"]["judge/pairwise"] and data["specs"]["suite"]["name"] == "unit"
    transforms = {t["name"]: t for t in data["transforms"]}
    assert transforms["code-minify"]["applied"] == 1  # the one code item
    assert transforms["code-minify"]["not_applicable"] == 6
    assert transforms["rot13"]["applied"] == 7
    # every n/a item is listed with its reason
    lines = [json.loads(x) for x in (run / "transforms.jsonl").read_text().splitlines()]
    assert sum(1 for x in lines if x["transform"] == "code-minify" and x["status"] == "not_applicable") == 6
    assert all(x["reason"] for x in lines)
    # judgments: 2 judges x (7 originals + the transformed items)
    n_variant_items = 7 + sum(t["applied"] for t in data["transforms"])
    records = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines()]
    assert len(records) == 2 * n_variant_items
    # the oracle is right everywhere, in both orders: accuracy 1, drop 0, position consistency 1
    oracle = [r for r in data["results"] if r["judge"] == "oracle"]
    assert all(r["accuracy"] == 1.0 and r["position_consistency"] == 1.0 and r["parse_failure_rate"] == 0.0
               for r in oracle)
    assert all(r["robustness"]["drop"] == 0.0 and r["robustness"]["drop_ci"] == [0.0, 0.0]
               for r in oracle if r["variant"] != "original")
    # the scalar judge has scores, so shift and tau exist on transforms that change the text
    rot13 = report.results(judge=tiny_bert_dir.name, variant="rot13")[0]["robustness"]
    assert rot13["n_paired"] == 7 and rot13["n_responses_changed"] == 14
    assert rot13["score_shift"] is not None and rot13["score_shift"] > 0
    assert report.accuracy("oracle") == 1.0
    # judgekit's labelled view of sections from the sample's meta.section; no official RewardBench score
    assert set(oracle[0]["sections_by_items"]["scores"]) >= {"chat", "reasoning", "safety", "overall"}
    assert "rewardbench" not in oracle[0]
    resolved = yaml.safe_load((run / "suite.yaml").read_text())
    assert resolved["suite"]["name"] == "unit" and len(resolved["judges"]) == 2


def test_runs_are_reproducible(tiny_bert_dir, tmp_path):
    suite = {**SUITE, "transforms": ["rot13", "char-swap"]}
    first = run_suite(suite, [str(tiny_bert_dir)])
    second = run_suite(suite, [str(tiny_bert_dir)])
    strip = lambda d: json.dumps(d["results"], sort_keys=True)  # noqa: E731
    assert strip(first.data) == strip(second.data)


def test_data_override_with_a_held_out_file(tiny_bert_dir, tmp_path):
    held_out = tmp_path / "heldout.jsonl"
    write_examples(load_examples("sample")[:5], held_out)
    report = run_suite("rewordbench", [str(tiny_bert_dir)], data=str(held_out), transforms=["rot13", "add-quotes"])
    assert report.data["suite"]["n_items"] == 5
    assert report.data["suite"]["data"]["sources"] == [str(held_out)]
    assert report.data["inputs"][0]["path"] == str(held_out)
    assert [t["name"] for t in report.data["transforms"]] == ["rot13", "add-quotes"]


def test_suite_errors_are_actionable(tmp_path):
    with pytest.raises(SpecError, match="field 'data.limit'"):
        validate_suite({"data": {"sources": ["sample"], "limit": 0}}, source="x.yaml")
    with pytest.raises(SpecError, match="unknown transform 'nosuch'"):
        validate_suite({"data": "sample", "transforms": ["nosuch"]}, source="x.yaml")
    with pytest.raises(SpecError, match="unknown metric"):
        validate_suite({"data": "sample", "metrics": ["accuracy", "nope"]})
    with pytest.raises(DataError, match="no files match"):
        list(select_examples(Suite.model_validate({"data": str(tmp_path / "*.json")}).data))
    with pytest.raises(SpecError, match="names no judges"):
        run_suite({"data": "sample"}, [])


def test_metrics_selection_limits_the_report(tiny_bert_dir):
    report = run_suite({**SUITE, "transforms": ["rot13"], "metrics": ["accuracy", "drop"]}, [str(tiny_bert_dir)])
    robustness = report.results(variant="rot13")[0]["robustness"]
    assert "drop" in robustness and "mcnemar" not in robustness and "kendall_tau" not in robustness


def test_rewordbench_on_llmbar(tiny_bert_dir):
    shared_file("llmbar/natural.json")
    report = run_suite("rewordbench", [str(tiny_bert_dir)], limit_per_subset=4,
                       transforms=["controlled", "code", "jailbreak-*"])
    data = report.data
    assert data["suite"]["n_items"] == 20
    assert set(data["suite"]["subsets"]) == {"llmbar-natural", "llmbar-adver-neighbor", "llmbar-adver-GPTInst",
                                             "llmbar-adver-GPTOut", "llmbar-adver-manual"}
    original = report.results(variant="original")[0]
    assert set(original["sections_by_items"]["scores"]) == {"chat-hard", "overall"}
    official = original["rewardbench"]  # the official score: Chat Hard only, the other sections count 0
    assert official["unmapped"] == [] and official["missing"] == ["Chat", "Safety", "Reasoning"]
    assert official["scores"]["overall"] == official["scores"]["Chat Hard"] / 4
    # domain transforms do not apply to chat items: reported as n/a, never judged as if transformed
    code = {t["name"]: t for t in data["transforms"]}["code-minify"]
    assert code["applied"] == 0 and code["not_applicable"] == 20
    assert report.results(variant="code-minify")[0]["n_items"] == 0


def test_rewardbench2_and_rm_bench_sections(tiny_bert_dir):
    shared_file("rewardbench2/sample.jsonl")
    rb2 = run_suite("rewardbench2", [str(tiny_bert_dir)], transforms=["rot13"]).results(variant="original")[0]
    scores = rb2["rewardbench2"]["scores"]
    assert set(scores) == {"Factuality", "Precise IF", "Math", "Safety", "Focus", "Ties", "overall"}
    ties = rb2["rewardbench2"]["ties"]
    assert ties["ref_accuracy"] is not None and ties["tied_accuracy"] is not None and ties["reference"] == "main"
    shared_file("rm-bench/chat.json")
    rm = run_suite("rm-bench-style", [str(tiny_bert_dir)], limit_per_subset=3, transforms=["rot13"])
    official = rm.results(variant="original")[0]["rm_bench"]
    assert set(official["domains"]) == {"chat", "code", "safety"}  # safety-refuse and -response pool
    assert official["missing"] == ["math"] and official["scores"]["total"] is None
    assert {"easy", "normal", "hard", "gap"} <= set(rm.results(variant="original")[0]["style_bias"])


def test_cli_eval_report_compare(tiny_bert_dir, tmp_path):
    from click.testing import CliRunner

    from judgekit.cli.main import cli

    suite_file = tmp_path / "mini.yaml"
    suite_file.write_text(yaml.safe_dump({**SUITE, "transforms": ["rot13"]}))
    runner = CliRunner()
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    result = runner.invoke(cli, ["eval", str(suite_file), "--judge", str(tiny_bert_dir), "--out", str(out_a)])
    assert result.exit_code == 0, result.output
    assert "rot13" in result.output and (out_a / "report.html").is_file()
    result = runner.invoke(cli, ["eval", str(suite_file), "--judge", str(tiny_bert_dir), "--out", str(out_b),
                                 "-t", "add-quotes", "--limit", "3"])
    assert result.exit_code == 0, result.output
    (out_a / "report.md").unlink()
    result = runner.invoke(cli, ["report", str(out_a)])
    assert result.exit_code == 0, result.output
    assert (out_a / "report.md").read_text().startswith("# judgekit report: unit")
    result = runner.invoke(cli, ["compare", str(out_a), str(out_b), "--markdown"])
    assert result.exit_code == 0, result.output
    assert "| " + tiny_bert_dir.name + " | rot13 |" in result.output  # only in run a
    assert "| " + tiny_bert_dir.name + " | add-quotes |" in result.output  # only in run b
    bad = runner.invoke(cli, ["report", str(tmp_path)])
    assert bad.exit_code != 0


def test_shipped_suites_resolve():
    for name in ("demo", "rewordbench", "llmbar-chat-hard", "rm-bench-style", "judgebench-position"):
        suite = load_suite(name)
        base = suite.base_dir
        assert suite.name == name and base is not None and Path(base).is_dir()
        assert suite.build_transforms()
